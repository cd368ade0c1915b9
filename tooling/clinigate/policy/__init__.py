"""Rego policies: loading the bundle, the engines that evaluate it, unit tests and lint.

    >>> from contextlib import closing
    >>> from clinigate.policy.bundle import load_bundle
    >>> from clinigate.policy.engine import make_engine
    >>> bundle = load_bundle(repo_root)                             # doctest: +SKIP
    >>> with closing(make_engine("embedded")) as engine:            # doctest: +SKIP
    ...     engine.load(bundle)
    ...     engine.evaluate("clinigate.decision.result", policy_input)
    >>> from clinigate.policy.testing import run_tests
    >>> run_tests(bundle).summary()                                 # doctest: +SKIP
    '114 passed, 0 failed'

Engines (DESIGN §5): ``embedded`` (regorus, the default), ``opa-server`` (a real OPA over
REST), ``opa-cli`` (``opa eval``), and ``regopy``, used only as the independent second
opinion of ``policy crosscheck``. Heavy engine libraries are imported only when an engine is
made, so importing this package costs nothing.
"""
