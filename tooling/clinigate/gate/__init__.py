"""The gate decision: one revision's rules, roles and trust judge another's documents and approvals.

    >>> from clinigate.gate.check import run_check
    >>> run_check(repo_root, base="origin/main").decision            # doctest: +SKIP
    'pending'

Above ``policy/`` (the bundle, the engines, the policy input) and ``approvals/`` (signed acts
and their verdicts), which it joins; ``check``, ``sync``, ``audit`` and the GitHub review
recorder ask it, never the layers below, for a decision (DESIGN §13).
"""
