"""``check``: the pull-request gate, judged by the base revision's rules (DESIGN §13).

    >>> report = run_check(repo_root, base="origin/main")      # doctest: +SKIP
    >>> report.decision                                          # doctest: +SKIP
    'pending'

The base names both the revision the change is compared with (through the merge base, as
GitHub shows a pull request) and whose policies, policy data, trust roots and roles decide.
"""

from __future__ import annotations

from pathlib import Path

from ..gitrepo import Git
from ..policy.decision import DECISION_RULE, DocumentDecision, GateDecision
from .decider import Decider

__all__ = ["DECISION_RULE", "DocumentDecision", "GateDecision", "run_check"]


def run_check(repo_root: Path, *, base: str, head: str = "HEAD", engine_name: str = "embedded",
              opa_url: str | None = None, evidence_tracking_uri: str | None = None) -> GateDecision:
    git = Git(repo_root)
    with Decider.open(git, rules_rev=base, engine_name=engine_name, opa_url=opa_url) as decider:
        return decider.decide_change(base=base, head=head, evidence_tracking_uri=evidence_tracking_uri)
