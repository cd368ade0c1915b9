"""The ``clinigate/gate`` commit status: the gate's decision on a pull request's head, posted by
the approval workflow after each review, so the pull request turns green after its last
approval without a new push.

    >>> state, text = summary(decision)          # doctest: +SKIP
    >>> state, text                              # doctest: +SKIP
    ('pending', 'waiting for clinical_reviewer, quality on 1 document (rules of main at 3f2a9c01d4e2)')

The decision is made by the default branch's rules on the head's documents and the ledger
(gate/decider.py); the pull request's own policies are not evaluated here (a job that holds
write credentials runs no Rego the PR wrote). ``success`` only when every document passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .rulesets import GATE_CHECK

if TYPE_CHECKING:
    from ..gitrepo import Git
    from ..gitrepo.auth import RemoteAuth
    from ..policy.decision import GateDecision
    from .api import GitHubApi, PullFacts


@dataclass(frozen=True)
class PostedStatus:
    pull: PullFacts
    state: str
    description: str
    decision: GateDecision | None  # None: the pull request is closed, nothing was posted


def summary(decision: GateDecision) -> tuple[str, str]:
    """The commit status state and its one-line description (at most 140 characters)."""
    rules = f"rules at {decision.rules_rev[:12]}"
    if decision.decision == "pass":
        return "success", f"passed: {len(decision.manifests)} document(s), all gates and approvals ({rules})"
    if decision.decision == "fail":
        rules_hit = sorted({f.rule for m in decision.manifests if m.blocked for f in m.findings
                            if f.severity.value == "error"})
        shown = ", ".join(rules_hit[:3]) + (" …" if len(rules_hit) > 3 else "")
        return "failure", f"blocked by {shown} ({rules})"
    waiting = [m for m in decision.manifests if m.decision == "pending"]
    roles = sorted({r for m in waiting for r in m.missing_roles})
    return "pending", f"waiting for {', '.join(roles)} on {len(waiting)} document(s) ({rules})"


def upload_findings(git: Git, api: GitHubApi, number: int, *, rules_rev: str, remote: str = "origin",
                    auth: RemoteAuth | None = None) -> tuple[PullFacts, int, str]:
    """The gate's findings on the head, to code scanning (SARIF): the head, the count, GitHub's id."""
    from ..report.sarif import render
    from .record import decide_pull

    pull = api.pull(number)
    decision = decide_pull(git, pull, git.resolve(rules_rev), remote=remote, auth=auth)
    report = decision.as_findings()
    upload = api.upload_sarif(pull.head_sha, f"refs/pull/{number}/head", render(report))
    return pull, len(report.findings), upload


def post_gate_status(git: Git, api: GitHubApi, number: int, *, rules_rev: str, remote: str = "origin",
                     target_url: str | None = None, auth: RemoteAuth | None = None) -> PostedStatus:
    """Decide pull request ``number``'s head by ``rules_rev`` and post the result as ``clinigate/gate``."""
    from .record import decide_pull

    pull = api.pull(number)
    if pull.state != "open":
        return PostedStatus(pull, "", "the pull request is not open: no status posted", None)
    decision = decide_pull(git, pull, git.resolve(rules_rev), remote=remote, auth=auth)
    state, description = summary(decision)
    api.set_status(pull.head_sha, state=state, context=GATE_CHECK, description=description,
                   target_url=target_url)
    return PostedStatus(pull, state, description, decision)
