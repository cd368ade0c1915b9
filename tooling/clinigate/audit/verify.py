"""Whole-history verification: has anything been altered, or let through, since it happened?

    >>> findings = verify_history(git, "origin/main")          # doctest: +SKIP
    >>> [f.rule for f in findings]                              # doctest: +SKIP
    ['history.version_edited']

Each finding names the commit and the document:

* ``history.unloadable`` — a document committed on main does not load at that commit;
* ``history.version_edited`` / ``history.version_removed`` — a merged version manifest changed
  or disappeared later (a version is immutable once merged: approvals, MLflow and the audit
  trail all refer to its bytes);
* ``history.unapproved_production`` — a version reached production without a valid signed
  approval from every role the rules *of that revision's base* required;
* ``history.unjudged`` (warning) — the base of a production change held no rules to judge it;
* the ledger's own rules (``ledger.rewound``, ``ledger.rewritten_entry``, …) — the approval
  ledger is not an append-only log;
* ``history.rewritten`` — main or the ledger no longer contains a commit a signed checkpoint
  recorded (audit/checkpoint.py); ``checkpoint.invalid`` (warning) — a checkpoint that does not
  verify.
"""

from __future__ import annotations

from ..findings import Finding, Severity
from ..gitrepo import Git
from ..gitrepo.git import NULL_OID
from .events import Event, Kind
from .query import Auditor


def verify_history(git: Git, rev: str, *, since: str | None = None) -> list[Finding]:
    """Every finding on ``rev``'s first-parent history (only commits after ``since``, if given)."""
    with Auditor.open(git, rev) as auditor:
        recent = _after(git, auditor, since)
        events = [e for e in auditor.log.events if e.landing.commit in recent]
        findings = _unloadable(git, auditor, recent)
        findings += [_edited(e) for e in events if e.kind in (Kind.VERSION_EDITED, Kind.VERSION_REMOVED)]
        for event in events:
            if event.kind is Kind.DEPLOYMENT_CHANGED and event.env == "production" and event.after:
                findings += _production(auditor, event)
    findings += _ledger(git)
    findings += _checkpoints(git, git.resolve(rev))
    return findings


def _checkpoints(git: Git, tip: str) -> list[Finding]:
    """Checkpoint signatures are judged by the audited tip's trust.yaml and roles.yaml."""
    from ..approvals.review import ApprovalBook
    from .checkpoint import check_checkpoints

    with ApprovalBook.open(git, base=tip, strict_trust=False) as book:
        people = book.roles.base.people if book.roles.base else []
        return check_checkpoints(git, tip, verifiers=list(book.checkpoint_verifiers), people=people)


def _after(git: Git, auditor: Auditor, since: str | None) -> set[str]:
    commits = [e.landing.commit for e in auditor.log.events]
    if since is None:
        return set(commits)
    fence = git.resolve(since)
    return {c for c in commits if c != fence and not git.is_ancestor(c, fence)}


def _where(event: Event) -> str:
    pr = f", pull request #{event.landing.pull_request}" if event.landing.pull_request else ""
    return f"commit {event.landing.commit[:12]}{pr}"


def _edited(event: Event) -> Finding:
    if event.kind is Kind.VERSION_REMOVED:
        return Finding(event.path, None, None, "history.version_removed",
                       f"{event.model} {event.version} was removed in {_where(event)}: a merged version "
                       "is kept")
    return Finding(event.path, None, None, "history.version_edited",
                   f"{event.model} {event.version} was edited after it was merged, in {_where(event)}: a "
                   "merged version is immutable (its approvals and MLflow's copy refer to its bytes); "
                   "publish a new version")


def _production(auditor: Auditor, event: Event) -> list[Finding]:
    evidence = auditor.deployed(event).evidence
    if evidence is None:
        return []
    if evidence.problem:
        return [Finding(event.path, None, None, "history.unjudged", f"{event.model} {event.after} went to "
                        f"production in {_where(event)}, but its base could not judge it: {evidence.problem}",
                        severity=Severity.WARNING)]
    if not evidence.signed_approvals_required or not evidence.missing_roles:
        return []
    invalid = sorted({f"{a['role']} ({a['rule']})" for a in evidence.approvals if not a["valid"]})
    shown = f"; acts that did not count: {', '.join(invalid)}" if invalid else ""
    return [Finding(event.path, None, None, "history.unapproved_production",
                    f"{event.model} {event.after} went to production in {_where(event)} without a valid "
                    f"signed approval from: {', '.join(evidence.missing_roles)}{shown}")]


def _unloadable(git: Git, auditor: Auditor, recent: set[str]) -> list[Finding]:
    """Each document committed on the line loads at its commit (blobs read in one batch)."""
    from .. import layout
    from ..manifest.loader import load_bytes

    wanted = [(commit, change.path, change.blob) for commit, changes in _changes(git, auditor.log.rev)
              if commit in recent for change in changes
              if change.blob != NULL_OID and layout.locate(change.path) is not None]
    blobs = git.read_objects([blob for _, _, blob in wanted])
    findings, seen = [], set()
    for commit, path, blob in wanted:
        raw = blobs.get(blob)
        if blob in seen or raw is None:
            continue
        seen.add(blob)
        loaded = load_bytes(path, raw)
        if loaded.document is None:
            why = loaded.findings[0].message if loaded.findings else "it does not load"
            findings.append(Finding(path, None, None, "history.unloadable",
                                    f"at commit {commit[:12]} this document does not load: {why}"))
    return findings


def _changes(git: Git, rev: str) -> list[tuple[str, tuple]]:  # type: ignore[type-arg]
    from .. import layout

    return [(c.commit, c.changes) for c in git.mainline(rev, [layout.MODELS_DIR, layout.POLICIES_DIR])]


def _ledger(git: Git) -> list[Finding]:
    from ..approvals.ledger import LEDGER_REF, Ledger

    ledger = Ledger(git)
    problems = ledger.check_history() if ledger.tip() is not None else ledger.rewinds()
    return [Finding(p.path or LEDGER_REF, None, None, p.rule,
                    p.message + (f" (ledger commit {p.commit[:12]})" if p.commit else "")) for p in problems]
