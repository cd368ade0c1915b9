"""The auditor's questions: what ran when, who approved it, on what evidence.

    >>> with Auditor.open(git, rev) as auditor:                                   # doctest: +SKIP
    ...     answer = auditor.at("sepsis-ews", "production", moment)
    >>> answer.version, answer.landing.commit                                     # doctest: +SKIP
    ('1.2.0', '3f2a9c01…')

Each historical revision is judged by the rules of *its own base* — the commit before it on
main — through the Decider (DESIGN §13): the change class and PCCP status a deployed version
had, and which of its approvals counted, are what that revision's rules and trust said.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .. import layout
from ..gitrepo import Git
from .cache import AuditCache, EvidenceKey
from .events import Event, EventLog, Kind, Landing, extend_events, read_events
from .line import LineReader
from .state import state_at

if TYPE_CHECKING:  # the judges are imported when a question needs judging, not to read a cache
    from ..approvals.review import ApprovalBook
    from ..approvals.verdict import ApprovalVerdict
    from ..gate.decider import Decider
    from ..manifest.loader import LoadedFile
    from .applied import Applied


@dataclass(frozen=True)
class Evidence:
    """A deployed version as the rules of its landing's base saw it."""

    version: str
    change_class: str | None
    pccp_status: str | None
    approvals: list[dict[str, Any]]  # the version manifest's acts (ApprovalVerdict.as_dict)
    release_approvals: list[dict[str, Any]]  # deployment.yaml's acts at that commit
    validation: dict[str, Any] | None  # overall metrics and the subgroup count
    problem: str | None = None  # why the rules could not judge it (shown, not hidden)
    required_roles: tuple[str, ...] = ()  # what the base's rules asked of this version
    regulatory_action: str | None = None
    signed_approvals_required: bool = True  # the base's trust.yaml (false: merged is approved)

    @property
    def missing_roles(self) -> list[str]:
        approved = {a["role"] for a in self.approvals if a["valid"] and a["decision"] == "approved"}
        return [r for r in self.required_roles if r not in approved]


@dataclass(frozen=True)
class Deployed:
    """One deployment change of one environment, with its evidence."""

    event: Event
    evidence: Evidence | None  # None: the environment was emptied
    applied: Applied | None = None  # when sync applied it in MLflow (audit/applied.py), if asked and recorded


@dataclass(frozen=True)
class Modification:
    """A version merged on main: what the PCCP export lists for the next submission."""

    event: Event  # its landing (version_added)
    evidence: Evidence
    modification_id: str | None
    summary: str | None
    declared_class: str | None  # what the submitter claimed; evidence.change_class is what the rules computed
    first_production: Event | None  # when it first went to production, if it did


@dataclass(frozen=True)
class InForce:
    model: str
    env: str
    moment: datetime
    deployed: Deployed | None  # None: nothing ran in that environment then


@dataclass
class Auditor:
    git: Git
    log: EventLog
    cache: AuditCache = field(default_factory=AuditCache.disabled)
    _deciders: dict[object, Decider] = field(default_factory=dict)
    _books: dict[object, ApprovalBook] = field(default_factory=dict)
    # Everything below is a pure function of its key: the same documents, rules and trust give
    # the same answer, so a long history judges each distinct input once.
    _evidence_of: dict[EvidenceKey, Evidence] = field(default_factory=dict, repr=False)
    _acts: dict[tuple[object, str, str], list[ApprovalVerdict]] = field(default_factory=dict, repr=False)
    _loaded: dict[tuple[str, str], LoadedFile] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, git: Git, rev: str, *, cache: AuditCache | None = None) -> Auditor:
        """``cache``: answers kept from earlier runs (audit/cache.py); None judges all from Git."""
        cache = cache or AuditCache.disabled()
        tip = git.resolve(rev)
        log = cache.events(tip) or _extended(git, cache, tip)
        if log is None:
            log = read_events(git, tip)
            cache.store_events(log)
        auditor = cls(git, log, cache)
        if not log.from_cache:
            auditor.git = LineReader(git.root, git.remote_env, files=log.files)
        return auditor

    def _fold(self) -> None:
        """The line's files, for judging: a history read from the cache holds only its events."""
        if self.log.from_cache:
            log = read_events(self.git, self.log.rev)
            self.log.files, self.log.from_cache = log.files, False
            self.git = LineReader(self.git.root, self.git.remote_env, files=log.files)

    def close(self) -> None:
        self.cache.flush()
        for decider in self._deciders.values():
            decider.close()
        for book in self._books.values():
            book.close()

    def __enter__(self) -> Auditor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def models(self) -> set[str]:
        return {e.model for e in self.log.events if e.model}

    def timeline(self, model: str, env: str | None = None) -> list[Deployed]:
        return [self.deployed(e) for e in self.log.of(model, env) if e.kind is Kind.DEPLOYMENT_CHANGED]

    def at(self, model: str, env: str, moment: datetime) -> InForce:
        event = state_at(self.log, moment).in_force(model, env)
        return InForce(model, env, moment, self.deployed(event) if event else None)

    def modifications(self, model: str) -> list[Modification]:
        """Each version of ``model`` merged on main, as its base's rules classed it under the PCCP."""
        from ..manifest.revision import Snapshot
        from ..manifest.version import ModelVersion

        found = []
        for event in self.log.of(model):
            if event.kind is not Kind.VERSION_ADDED or event.version is None:
                continue
            doc = Snapshot(self.git, event.landing.commit).doc(event.path)
            change = doc.change if isinstance(doc, ModelVersion) else None
            declared = change.declared_class.value if change and change.declared_class else None
            found.append(Modification(event, self.evidence(event.landing, model, event.version),
                                      change.modification_id if change else None,
                                      change.summary if change else None, declared,
                                      self._first_production(model, event.version)))
        return found

    def _first_production(self, model: str, version: str) -> Event | None:
        return next((e for e in self.log.of(model, "production")
                     if e.kind is Kind.DEPLOYMENT_CHANGED and e.after == version), None)

    def deployed(self, event: Event) -> Deployed:
        if event.after is None or event.model is None:
            return Deployed(event, None)
        return Deployed(event, self.evidence(event.landing, event.model, event.after))

    def evidence(self, landing: Landing, model: str, version: str) -> Evidence:
        """``version`` of ``model`` as the rules of ``landing``'s base judged it (each judged once)."""
        key: EvidenceKey = (landing.commit, model, version)
        if key not in self._evidence_of:
            known = self.cache.evidence(self.git, key) if self.cache.root else None
            if known is None:
                known = self._evidence(landing, model, version)
                self.cache.keep_evidence(self.git, key, known)
            self._evidence_of[key] = known
        return self._evidence_of[key]

    def _evidence(self, landing: Landing, model: str, version: str) -> Evidence:
        from ..approvals.review import accepts_claimed_times, policy_approvals
        from ..errors import ClinigateError
        from ..manifest.version import ModelVersion
        from .documents import LandingDocuments

        self._fold()

        path = layout.version_path(model, version)
        base = landing.parent or landing.commit  # the root commit has no base: it judges itself
        docs = LandingDocuments(self.git, landing.commit, self.log.files, self._loaded)
        doc = docs.doc(path)
        validation = _validation(doc) if isinstance(doc, ModelVersion) else None
        try:
            book = self._book(base)
            acts = self._judge(book, path, landing.commit)
            release = self._judge(book, layout.deployment_path(model), landing.commit)
            verdict = self._decider(base).version_verdict(
                docs, path, policy_approvals(acts, claimed_times=accepts_claimed_times(book.trust)))
        except (ClinigateError, ValueError) as exc:  # a base without rules or trust judges nothing
            problem = getattr(exc, "message", None) or str(exc)
            return Evidence(version, None, None, [], [], validation, problem=problem)
        rows = verdict.mark_rows([a.as_dict() for a in acts])  # what the rules did not count, so marked
        return Evidence(version, verdict.change_class, verdict.pccp_status, rows,
                        [a.as_dict() for a in release], validation,
                        required_roles=tuple(r for r in verdict.required_roles if r),
                        regulatory_action=verdict.regulatory_action,
                        signed_approvals_required=book.trust.require_signed_approvals)

    def _judge(self, book: ApprovalBook, path: str, rev: str) -> list[ApprovalVerdict]:
        """The book's verdicts on ``path`` at ``rev``: a function of the document's bytes (and the
        book's ledger and trust), so each blob is judged once per book."""
        blob = self._blob(rev, path)
        if blob is None:
            return book.judge(path, rev=rev)
        key = (self._book_key(book.base), path, blob)
        if key not in self._acts:
            self._acts[key] = book.judge(path, rev=rev)
        return self._acts[key]

    def _blob(self, rev: str, path: str) -> str | None:
        files = self.log.files
        state = files.state(rev)
        entry = files.entry(state, path) if state is not None and files.covers(path) else None
        return entry[1] if entry is not None else None

    def _tree(self, rev: str, path: str) -> object:
        """What ``rev`` holds at ``path``: equal for equal trees or files, from the fold when it
        knows ``rev``, else Git's object id."""
        files = self.log.files
        state = files.state(rev)
        if state is not None and files.covers(path):
            return files.tree_key(state, path) or None
        info = self.git.object_info([f"{rev}:{path}"]).get(f"{rev}:{path}")
        return info.oid if info else None

    def _decider(self, base: str) -> Decider:
        key = self._tree(base, layout.POLICIES_DIR) or base  # same rules, same judge
        if key not in self._deciders:
            from ..gate.decider import Decider

            self._deciders[key] = Decider.open(self.git, rules_rev=base)
        return self._deciders[key]

    def _book_key(self, base: str) -> object:
        return tuple(self._tree(base, path) for path in (layout.TRUST_DIR, layout.ROLES_PATH))

    def _book(self, base: str) -> ApprovalBook:
        # Bases with the same trust folder and roles.yaml judge alike: open one book for them all.
        key = self._book_key(base)
        if key not in self._books:
            from ..approvals.review import ApprovalBook

            self._books[key] = ApprovalBook.open(self.git, base=base, strict_trust=False)
        return self._books[key]


def _extended(git: Git, cache: AuditCache, tip: str) -> EventLog | None:
    """A kept history of an older tip of the same line, extended by the commits since (stored)."""
    for older in cache.recent_events():
        log = extend_events(git, older, tip)
        if log is not None:
            cache.store_events(log)
            return log
    return None


def _validation(doc: Any) -> dict[str, Any]:
    overall = doc.validation.overall
    return {"dataset": doc.validation.dataset.name, "n": overall.n, "auc_roc": overall.auc_roc,
            "sensitivity": overall.sensitivity, "specificity": overall.specificity,
            "subgroups": len(doc.validation.subgroups),
            "lowest_subgroup_auc": min(s.auc_roc for s in doc.validation.subgroups)}
