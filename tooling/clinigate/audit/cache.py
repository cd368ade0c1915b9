"""Answers the audit already worked out, kept in the clone and keyed by what they depend on.

    >>> cache = AuditCache.open(git)                                   # doctest: +SKIP
    >>> cache.events(tip)                          # the folded history of ``tip``, or None
    >>> cache.evidence(git, (commit, model, version))   # as judged before, if nothing it read moved

A commit id names its whole history, so the events folded from it never change; the evidence of
a deployed version is a function of its landing commit (the documents, and its base's rules,
trust and roles) and of the ledger's acts on the two documents it judges — the version manifest
and the model's deployment.yaml, each a folder of the ledger's tree (``<model>/<version>/``,
``<model>/_deployment/``), so a new approval or revocation of one version leaves the others'
evidence standing; whether a document loads, of its path and blob; the ledger's own findings, of
all its refs. Every key also holds a digest of clinigate's own code: another version of the tool starts
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
KEEP = 4  # files kept per kind: histories of recent tips, evidence and findings of recent ledger states

EvidenceKey = tuple[str, str, str]  # (landing commit, model, version)
# Every ref the approval ledger's verdicts read: the branch (and origin's copy), the heads this
# clone saw or wrote, the published head tags.
LEDGER_REFS = (layout.LEDGER_REF, "refs/remotes/origin/clinigate/ledger", layout.LEDGER_SEEN_PREFIX,
               layout.LEDGER_WRITTEN_REF, layout.LEDGER_HEAD_TAGS)
NO_LEDGER = "no-ledger"
DEPLOYMENT_ACTS = "_deployment"  # the ledger folder of a model's deployment.yaml (approvals/ledger.py)


def code_digest() -> str:
    """A digest of the installed clinigate package (every file of it): the answers are its answers."""
    from .._internal.code import package_digest

    return package_digest(f"{FORMAT}")


@dataclass
class AuditCache:
    root: Path | None  # None: disabled (nothing read, nothing written)
    _evidence: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)  # model -> file body
    _acts: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)  # model -> ledger folder ids
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
        """A digest of all the ledger's refs: the ledger's own findings are checked again when any moves."""
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
        _prune(self.root / "events")

    # -- evidence, per landing, stamped with the ledger folders it read -----------------------

    def evidence(self, git: Git, key: EvidenceKey) -> Evidence | None:
        commit, model, version = key
        entry = self._model_evidence(model).get(f"{commit} {version}")
        if not isinstance(entry, dict) or entry.get("acts") != self._stamp(git, model, version):
            return None
        from .query import Evidence

        try:
            return _evidence_from(Evidence, entry["evidence"])
        except (AttributeError, KeyError, TypeError, ValueError):
            return None  # written by something else: judged afresh

    def keep_evidence(self, git: Git, key: EvidenceKey, evidence: Evidence) -> None:
        if self.root is None or not cacheable(evidence):
            return
        commit, model, version = key
        self._model_evidence(model)[f"{commit} {version}"] = {"acts": self._stamp(git, model, version),
                                                               "evidence": _evidence_to(evidence)}
        self._dirty.add(f"evidence/{model}")

    def _model_evidence(self, model: str) -> dict[str, Any]:
        if model not in self._evidence:
            data = self._read(f"evidence/{_safe(model)}.json")
            self._evidence[model] = data if isinstance(data, dict) else {}
        return self._evidence[model]

    def _stamp(self, git: Git, model: str, version: str) -> str:
        """The ledger folders holding the acts on the version and on the deployment (their tree ids)."""
        if model not in self._acts:
            acts: dict[str, str] = {}
            listing = git.run(["ls-tree", f"{layout.LEDGER_REF}:{model}"], check=False)  # none: no acts
            for line in listing.splitlines():
                meta, _, name = line.partition("\t")
                if len(fields := meta.split()) == 3:
                    acts[name] = fields[2]
            self._acts[model] = acts
        acts = self._acts[model]
        return f"{acts.get(version, '-')} {acts.get(DEPLOYMENT_ACTS, '-')}"

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
            self._write(f"ledger/{state}.json", [f.to_dict() for f in findings])
            _prune(self.root / "ledger")

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
                model = name.removeprefix("evidence/")
                self._write(f"evidence/{_safe(model)}.json", self._evidence[model])
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


def _prune(folder: Path) -> None:
    """Keep the KEEP newest files: a ledger that moves, a main that moves, leave older answers behind."""
    try:
        files = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
    except OSError:
        return
    for old in files[:-KEEP]:
        old.unlink(missing_ok=True)


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


def _safe(model: str) -> str:
    """A model folder name as a file name (they are plain already; this keeps a path in the folder)."""
    return model.replace("/", "_").replace("\\", "_").lstrip(".") or "_"


def _evidence_to(evidence: Evidence) -> dict[str, Any]:
    return asdict(evidence)


def _evidence_from(cls: type[Evidence], data: dict[str, Any]) -> Evidence:
    evidence = cls(**{**data, "required_roles": tuple(data.get("required_roles", ()))})
    if not all(isinstance(a, dict) for a in [*evidence.approvals, *evidence.release_approvals]):
        raise TypeError("an act that is not a mapping")
    return evidence
