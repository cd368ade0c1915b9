"""History as events: what each commit on main's first-parent line did to the registry.

    >>> log = read_events(git, rev)                                    # doctest: +SKIP
    >>> [(e.kind, e.env, e.before, e.after) for e in log.events if e.model == "sepsis-ews"][:1]
    [('deployment_changed', 'production', None, '1.0.0')]                # doctest: +SKIP

Events are derived, never stored (DESIGN §8; gto's ``get_state`` is the model): one ``git log``
of the first-parent line, and the deployment.yaml blobs it names, read in one batch. Every
commit on that line reached main through the gate, so its committer date is when the change
took effect — a date Git lets anyone write, so it is shown as *claimed*.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from .. import layout
from ..gitrepo import Git
from ..gitrepo.git import NULL_OID, MainlineCommit
from ..manifest.semver import SemverKey
from .line import LineFiles

# A GitHub merge ("Merge pull request #12 from …") or squash/rebase ("Title (#12)") subject.
_PULL = re.compile(r"^Merge pull request #(\d+)\b|\(#(\d+)\)\s*$")


class Kind(StrEnum):
    VERSION_ADDED = "version_added"
    VERSION_EDITED = "version_edited"  # a merged manifest changed: audit verify's finding
    VERSION_REMOVED = "version_removed"
    DEPLOYMENT_CHANGED = "deployment_changed"  # one per environment whose version changed
    PCCP_CHANGED = "pccp_changed"
    MODEL_CHANGED = "model_changed"
    RISK_REGISTER_CHANGED = "risk_register_changed"
    WAIVER_CHANGED = "waiver_changed"  # a signed exception to a gate was added, edited or removed
    GOVERNANCE_CHANGED = "governance_changed"


@dataclass(frozen=True)
class Landing:
    """A commit of the first-parent line: where and when a change landed on main."""

    commit: str
    parent: str | None
    at: datetime  # the committer date: claimed by Git, not vouched for by anyone
    subject: str

    @property
    def pull_request(self) -> int | None:
        match = _PULL.search(self.subject)
        return int(match[1] or match[2]) if match else None


@dataclass(frozen=True)
class Event:
    kind: Kind
    landing: Landing
    path: str
    model: str | None = None
    version: str | None = None  # the version document's, or the one an environment now runs
    env: str | None = None
    before: str | None = None  # deployment: the version the environment ran before (None: none)
    after: str | None = None  # deployment: the version it runs from this commit on (None: removed)
    rationale: str | None = None

    @property
    def rollback(self) -> bool:
        """A move to an older version than the environment ran: a rollback."""
        if self.kind is not Kind.DEPLOYMENT_CHANGED or not (self.before and self.after):
            return False
        return SemverKey(self.after) < SemverKey(self.before)


@dataclass
class EventLog:
    rev: str  # the commit the history was read up to
    events: list[Event] = field(default_factory=list)  # oldest first
    problems: list[tuple[Landing, str, str]] = field(default_factory=list)  # (where, path, why)
    files: LineFiles = field(default_factory=LineFiles)  # every registry file at every commit read
    documents: list[tuple[str, str, str]] = field(default_factory=list)  # (commit, path, blob) committed
    from_cache: bool = False  # read from the audit cache: ``files`` is empty

    def of(self, model: str, env: str | None = None) -> list[Event]:
        return [e for e in self.events if e.model == model and (env is None or e.env in (None, env))]


def read_events(git: Git, rev: str) -> EventLog:
    """Fold ``rev``'s first-parent history into events, oldest first."""
    git.ensure_commit_graph()  # once per clone: the path-limited walk below is ~15× faster with it
    commit = git.resolve(rev)
    folders = [layout.MODELS_DIR, layout.POLICIES_DIR]
    mainline = git.mainline(commit, folders)
    log = EventLog(commit, files=LineFiles.fold(mainline, folders, commit))
    _fold(git, mainline, log, {}, log.files)
    return log


def extend_events(git: Git, older: EventLog, tip: str) -> EventLog | None:
    """``tip``'s events from those of ``older`` (a commit of tip's first-parent line): only the
    commits after it are read. None when ``older.rev`` is not on that line (main was rewritten)."""
    if older.rev == tip:
        return older
    line = git.run(["rev-list", "--first-parent", "--parents", f"{older.rev}..{tip}"]).split("\n")
    oldest = line[-2].split() if len(line) >= 2 else []  # the last line is empty
    if len(oldest) < 2 or oldest[1] != older.rev:
        return None
    running: dict[tuple[str, str], str] = {}
    for event in older.events:
        if event.kind is Kind.DEPLOYMENT_CHANGED and event.model and event.env:
            if event.after is None:
                running.pop((event.model, event.env), None)
            else:
                running[(event.model, event.env)] = event.after
    log = EventLog(tip, list(older.events), list(older.problems), documents=list(older.documents),
                   from_cache=True)
    since = git.mainline(f"{older.rev}..{tip}", [layout.MODELS_DIR, layout.POLICIES_DIR])
    _fold(git, since, log, running, None)
    return log


def _fold(git: Git, mainline: list[MainlineCommit], log: EventLog, running: dict[tuple[str, str], str],
          files: LineFiles | None) -> None:
    """Append ``mainline``'s events to ``log``; ``running``: (model, env) -> version before it."""
    deployments = _deployment_blobs(git, mainline, files)
    for item in mainline:
        landing = Landing(item.commit, item.parent, datetime.fromisoformat(item.committed_at), item.subject)
        log.documents.extend((item.commit, c.path, c.blob) for c in item.changes
                             if c.blob != NULL_OID and layout.parse(c.path) is not None)
        for change in item.changes:
            log.events.extend(_events(landing, change.status, change.path, change.blob, deployments, running,
                                      log))


def _events(landing: Landing, status: str, path: str, blob: str, deployments: dict[str, object],
            running: dict[tuple[str, str], str], log: EventLog) -> list[Event]:
    place = layout.parse(path)
    if place is None or place.kind in ("Roles", "Trust"):
        return [Event(Kind.GOVERNANCE_CHANGED, landing, path)] if path.startswith(layout.POLICIES_DIR) else []
    if place.kind == "ModelVersion":
        kind = {"A": Kind.VERSION_ADDED, "D": Kind.VERSION_REMOVED}.get(status, Kind.VERSION_EDITED)
        return [Event(kind, landing, path, place.model, place.version)]
    if place.kind == "PCCP":
        return [Event(Kind.PCCP_CHANGED, landing, path, place.model)]
    if place.kind == "Model":
        return [Event(Kind.MODEL_CHANGED, landing, path, place.model)]
    if place.kind == "RiskRegister":
        return [Event(Kind.RISK_REGISTER_CHANGED, landing, path, place.model)]
    if place.kind == "Waiver":
        return [Event(Kind.WAIVER_CHANGED, landing, path, place.model)]
    if place.kind == "MonitoringReport":
        return []  # evidence a version cites, not a change of what runs: the citing version is the event
    return _deployment_events(landing, path, place.model or "", blob, deployments, running, log)


def _deployment_events(landing: Landing, path: str, model: str, blob: str, deployments: dict[str, object],
                       running: dict[tuple[str, str], str], log: EventLog) -> list[Event]:
    from ..manifest.deployment import Deployment

    doc = deployments.get(blob) if blob != NULL_OID else None
    if blob != NULL_OID and not isinstance(doc, Deployment):
        log.problems.append((landing, path, "does not load at this commit"))
        return []  # an unreadable desired state changes nothing: sync refuses it too
    now = {env.value: target.version for env, target in doc.environments.items()} if isinstance(
        doc, Deployment) else {}
    rationale = doc.change.rationale if isinstance(doc, Deployment) else None
    events = []
    for env in sorted({e for (m, e) in running if m == model} | set(now)):
        before, after = running.get((model, env)), now.get(env)
        if before == after:
            continue
        events.append(Event(Kind.DEPLOYMENT_CHANGED, landing, path, model, after, env, before, after,
                            rationale))
        if after is None:
            running.pop((model, env), None)
        else:
            running[(model, env)] = after
    return events


def _deployment_blobs(git: Git, mainline: list[MainlineCommit], files: LineFiles | None) -> dict[str, object]:
    """Every deployment.yaml blob the history names, loaded (one batch read, kept for the evidence)."""
    wanted = {c.blob: c.path for m in mainline for c in m.changes
              if c.blob != NULL_OID and (p := layout.parse(c.path)) is not None and p.kind == "Deployment"}
    if not wanted:
        return {}
    from ..manifest.loader import load_bytes

    raw = git.read_objects(list(wanted))
    if files is not None:
        files.bodies.update(raw)
    return {blob: load_bytes(wanted[blob], data).document for blob, data in raw.items() if data is not None}
