"""Answers the audit already worked out, kept in the clone and keyed by what they depend on.

    >>> cache = AuditCache.open(git)                                   # doctest: +SKIP
    >>> cache.events(tip)            # the folded history of ``tip``, or None
    >>> cache.evidence(ledger_tip)   # {(commit, model, version): Evidence} judged with that ledger

A commit id names its whole history, so the events folded from it never change; the evidence of
a deployed version is a function of its landing commit (the documents, and its base's rules,
trust and roles) and of the approval ledger's tip; whether a document loads, of its path and
blob. Every key also holds a digest of clinigate's own code: another version of the tool starts
an empty cache (and removes the old one). What could change with the wall clock is never kept:
an approval whose signature time nobody vouches for is verified against "now", so evidence that
holds one is judged afresh each time.

The cache lives under the clone's Git directory (``clinigate/audit/``), never in the working tree
and never pushed. It is a convenience of this clone, as much to be trusted as the clone itself:
``--no-cache`` (or ``CLINIGATE_NO_AUDIT_CACHE=1``) judges everything from Git again, and a fresh
clone has none.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import layout
from ..findings import Finding, Severity
from .events import Event, EventLog, Kind, Landing

if TYPE_CHECKING:
    from ..gitrepo import Git
    from .query import Evidence

NO_CACHE_ENV = "CLINIGATE_NO_AUDIT_CACHE"
FORMAT = 1  # bump when what is stored changes shape
KEEP_HISTORIES = 4  # folded histories kept (one per tip asked about recently)

EvidenceKey = tuple[str, str, str]  # (landing commit, model, version)
# Every ref the approval ledger's verdicts read: the branch (and origin's copy), the heads this
# clone saw or wrote, the published head tags.
LEDGER_REFS = (layout.LEDGER_REF, "refs/remotes/origin/clinigate/ledger", layout.LEDGER_SEEN_PREFIX,
               layout.LEDGER_WRITTEN_REF, layout.LEDGER_HEAD_TAGS)
NO_LEDGER = "no-ledger"


def code_digest() -> str:
    """A digest of the installed clinigate package (every file of it): the answers are its answers."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(f"{FORMAT}".encode())
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


@dataclass
class AuditCache:
    root: Path | None  # None: disabled (nothing read, nothing written)
    _evidence: dict[str, dict[EvidenceKey, Evidence]] = field(default_factory=dict, repr=False)
    _loadable: dict[str, str | None] | None = field(default=None, repr=False)
    _dirty: set[str] = field(default_factory=set, repr=False)

    @classmethod
    def open(cls, git: Git, *, enabled: bool = True) -> AuditCache:
        if not enabled or os.environ.get(NO_CACHE_ENV, "").strip() not in ("", "0"):
            return cls(None)
        git_dir = git.git_dir()
        if git_dir is None:
            return cls(None)
        top = git_dir / "clinigate" / "audit"
        code = code_digest()
        _forget_other_code(top, keep=code)
        return cls(top / code)

    @classmethod
    def disabled(cls) -> AuditCache:
        return cls(None)

    @staticmethod
    def ledger_state(git: Git) -> str:
        """A digest of the ledger's refs: evidence is judged again when any of them moves."""
        refs = git.run(["for-each-ref", "--format=%(objectname) %(refname)", *LEDGER_REFS])
        return hashlib.sha256(refs.encode()).hexdigest()[:20] if refs.strip() else NO_LEDGER

    # -- the folded history of one tip ------------------------------------------------------

    def events(self, tip: str) -> EventLog | None:
        data = self._read(f"events/{tip}.json")
        return _log_from(data) if isinstance(data, dict) and data.get("rev") == tip else None

    def recent_events(self) -> list[EventLog]:
        """The folded histories kept, newest first (to extend one rather than fold all again)."""
        if self.root is None:
            return []
        kept = sorted((self.root / "events").glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        return [log for path in kept if (log := self.events(path.stem)) is not None]

    def store_events(self, log: EventLog) -> None:
        if self.root is None:
            return
        self._write(f"events/{log.rev}.json", _log_to(log))
        histories = sorted((self.root / "events").glob("*.json"), key=lambda p: p.stat().st_mtime)
        for old in histories[:-KEEP_HISTORIES]:
            old.unlink(missing_ok=True)

    # -- evidence, per ledger tip ---------------------------------------------------------------

    def evidence(self, ledger: str | None) -> dict[EvidenceKey, Evidence]:
        name = ledger or NO_LEDGER
        if name not in self._evidence:
            from .query import Evidence

            data = self._read(f"evidence/{name}.json")
            try:
                self._evidence[name] = {_key(k): _evidence_from(Evidence, v)
                                        for k, v in (data if isinstance(data, dict) else {}).items()}
            except (AttributeError, TypeError, ValueError):
                self._evidence[name] = {}  # written by something else: judged afresh
        return self._evidence[name]

    def keep_evidence(self, ledger: str | None, key: EvidenceKey, evidence: Evidence) -> None:
        if self.root is None or not cacheable(evidence):
            return
        name = ledger or NO_LEDGER
        self.evidence(ledger)[key] = evidence
        self._dirty.add(f"evidence/{name}")

    # -- the ledger's own findings, per ledger state -----------------------------------------

    def ledger_findings(self, state: str) -> list[Finding] | None:
        data = self._read(f"ledger/{state}.json")
        if not isinstance(data, list):
            return None
        try:
            return [Finding(**{**f, "severity": Severity(f["severity"])}) for f in data]
        except (KeyError, TypeError, ValueError):
            return None

    def keep_ledger_findings(self, state: str, findings: list[Finding]) -> None:
        if self.root is not None:
            self._write(f"ledger/{state}.json", [f.to_dict() for f in findings] or [])

    # -- whether a document loads ----------------------------------------------------------------

    def loadable(self) -> dict[str, str | None]:
        """``"path blob"`` -> None (it loads) or why it does not."""
        if self._loadable is None:
            data = self._read("loadable.json")
            self._loadable = {k: v for k, v in data.items() if isinstance(k, str) and (
                v is None or isinstance(v, str))} if isinstance(data, dict) else {}
        return self._loadable

    def keep_loadable(self, path: str, blob: str, why: str | None) -> None:
        self.loadable()[f"{path} {blob}"] = why  # kept in memory even when disabled: one run's answers
        self._dirty.add("loadable")

    def flush(self) -> None:
        """Write what was added since the cache was read."""
        if self.root is None:
            return
        for name in sorted(self._dirty):
            if name == "loadable":
                self._write("loadable.json", self.loadable())
            else:
                ledger = name.removeprefix("evidence/")
                self._write(f"{name}.json", {" ".join(k): _evidence_to(v)
                                             for k, v in self._evidence[ledger].items()})
        self._dirty.clear()

    def _read(self, name: str) -> Any:
        if self.root is None:
            return None
        try:
            return json.loads((self.root / name).read_bytes())
        except (OSError, ValueError):
            return None  # missing, or torn by a crash: judged afresh and written again

    def _write(self, name: str, data: Any) -> None:
        assert self.root is not None
        target = self.root / name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, separators=(",", ":"))  # key order kept: the renderers show it
            os.replace(tmp, target)  # whole or not at all: a reader never sees half a file
        except OSError:
            pass  # a read-only clone, a full disk: the answer stands, it is just not kept


def cacheable(evidence: Evidence) -> bool:
    """Evidence that cannot change with the wall clock: judged fully, and every signature's time
    vouched for by a log or a TSA (a claimed time is checked against "now")."""
    if evidence.problem is not None:
        return False  # maybe a passing fault of this machine: never made permanent
    acts = [*evidence.approvals, *evidence.release_approvals]
    return all(a.get("backend") is None or a.get("time_trusted") for a in acts)


def _forget_other_code(top: Path, *, keep: str) -> None:
    if not top.is_dir():
        return
    for child in top.iterdir():
        if child.name != keep and child.is_dir():
            shutil.rmtree(child, ignore_errors=True)


def _landing_to(landing: Landing) -> list[Any]:
    return [landing.parent, landing.at.isoformat(), landing.subject]


def _log_to(log: EventLog) -> dict[str, Any]:
    landings: dict[str, list[Any]] = {}
    for event in log.events:
        landings.setdefault(event.landing.commit, _landing_to(event.landing))
    for landing, _, _ in log.problems:
        landings.setdefault(landing.commit, _landing_to(landing))
    return {
        "rev": log.rev, "landings": landings,
        "events": [[e.kind.value, e.landing.commit, e.path, e.model, e.version, e.env, e.before, e.after,
                    e.rationale] for e in log.events],
        "problems": [[landing.commit, path, why] for landing, path, why in log.problems],
        "documents": [list(d) for d in log.documents],
    }


def _log_from(data: dict[str, Any]) -> EventLog | None:
    try:
        landings = {commit: Landing(commit, parent, datetime.fromisoformat(at), subject)
                    for commit, (parent, at, subject) in data["landings"].items()}
        events = [Event(Kind(kind), landings[commit], *rest) for kind, commit, *rest in data["events"]]
        problems = [(landings[commit], path, why) for commit, path, why in data["problems"]]
        documents = [(commit, path, blob) for commit, path, blob in data["documents"]]
    except (KeyError, TypeError, ValueError):
        return None
    return EventLog(data["rev"], events, problems, documents=documents, from_cache=True)


def _key(text: str) -> EvidenceKey:
    commit, model, version = text.split(" ")
    return commit, model, version


def _evidence_to(evidence: Evidence) -> dict[str, Any]:
    return asdict(evidence)


def _evidence_from(cls: type[Evidence], data: dict[str, Any]) -> Evidence:
    evidence = cls(**{**data, "required_roles": tuple(data.get("required_roles", ()))})
    if not all(isinstance(a, dict) for a in [*evidence.approvals, *evidence.release_approvals]):
        raise TypeError("an act that is not a mapping")
    return evidence
