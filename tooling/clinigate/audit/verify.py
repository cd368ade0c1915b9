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

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from .. import layout
from ..findings import Finding, Severity
from ..gitrepo import Git
from .cache import NO_LEDGER, AuditCache
from .events import Event, Kind
from .query import Auditor

T = TypeVar("T")
# Wraps the work still to be judged, e.g. in a progress bar: (items, what they are) -> items.
Progress = Callable[[Sequence[T], str], Iterable[T]]


def _unwatched(items: Sequence[T], label: str) -> Iterable[T]:
    return items


def verify_history(git: Git, rev: str, *, since: str | None = None, cache: AuditCache | None = None,
                   progress: Progress = _unwatched) -> list[Finding]:  # type: ignore[type-arg]
    """Every finding on ``rev``'s first-parent history (only commits after ``since``, if given).

    ``cache``: what earlier runs worked out (audit/cache.py) — a re-run judges only what is new:
    commits, documents, or a ledger that moved. The ledger and the checkpoints are checked each run.
    """
    with Auditor.open(git, rev, cache=cache) as auditor:
        recent = _after(git, auditor, since)
        events = [e for e in auditor.log.events if e.landing.commit in recent]
        findings = _unloadable(git, auditor, recent, progress)
        findings += [_edited(e) for e in events if e.kind in (Kind.VERSION_EDITED, Kind.VERSION_REMOVED)]
        production = [e for e in events
                      if e.kind is Kind.DEPLOYMENT_CHANGED and e.env == "production" and e.after]
        for event in progress(production, "judging production changes"):
            findings += _production(auditor, event)
    findings += _ledger(git, cache or AuditCache.disabled())
    findings += _checkpoints(git, git.resolve(rev))
    return findings


def _checkpoints(git: Git, tip: str) -> list[Finding]:
    """Checkpoint signatures are judged by the audited tip's trust.yaml and roles.yaml (each run:
    a signature whose time nobody vouches for is checked against "now")."""
    remote = "refs/remotes/origin/" + layout.CHECKPOINTS_REF.removeprefix("refs/heads/")
    refs = [layout.CHECKPOINTS_REF, remote]
    if not git.run(["for-each-ref", "--count=1", "--format=%(refname)", *refs]).strip():
        return []  # none written: nothing to hold the history to (and no signature code to load)
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


def _unloadable(git: Git, auditor: Auditor, recent: set[str],
                progress: Progress) -> list[Finding]:  # type: ignore[type-arg]
    """Each document committed on the line loads at its commit (each blob loaded once, ever: what
    the cache knows is not read again; the rest is read in one batch)."""
    known = auditor.cache.loadable()
    firsts: dict[tuple[str, str], str] = {}  # (path, blob) -> the first commit that holds it
    for commit, path, blob in auditor.log.documents:
        if commit in recent:
            firsts.setdefault((path, blob), commit)
    todo = [key for key in firsts if f"{key[0]} {key[1]}" not in known]
    if todo:
        from ..manifest.loader import load_bytes

        blobs = git.read_objects(sorted({blob for _, blob in todo}))
        for path, blob in progress(todo, "loading committed documents"):
            raw = blobs.get(blob)
            if raw is None:
                continue  # not in this clone (a shallow one): nothing to say of it
            loaded = load_bytes(path, raw)
            why = None if loaded.document is not None else (
                loaded.findings[0].message if loaded.findings else "it does not load")
            auditor.cache.keep_loadable(path, blob, why)
    return [Finding(path, None, None, "history.unloadable",
                    f"at commit {commit[:12]} this document does not load: {why}")
            for (path, blob), commit in firsts.items() if (why := known.get(f"{path} {blob}"))]


def _ledger(git: Git, cache: AuditCache) -> list[Finding]:
    """The ledger's own rules: a function of its refs, so judged once per state of them."""
    state = cache.ledger_state(git)
    if state == NO_LEDGER:
        return []  # no ledger, no head this clone saw or any remote published: nothing to rewind
    known = cache.ledger_findings(state)
    if known is not None:
        return known
    from ..approvals.ledger import LEDGER_REF, Ledger

    ledger = Ledger(git)
    problems = ledger.check_history() if ledger.tip() is not None else ledger.rewinds()
    found = [Finding(p.path or LEDGER_REF, None, None, p.rule,
                     p.message + (f" (ledger commit {p.commit[:12]})" if p.commit else "")) for p in problems]
    cache.keep_ledger_findings(state, found)
    return found
