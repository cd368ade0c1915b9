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

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from .. import layout
from ..approvals.review import ApprovalBook
from ..approvals.verdict import ApprovalVerdict
from ..errors import ClinigateError
from ..gitrepo import Git
from ..manifest.loader import LoadedFile
from ..manifest.revision import Snapshot
from ..policy.decider import Decider
from .events import Event, EventLog, Kind, Landing, read_events
from .line import LineFiles, LineReader
from .state import state_at


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
    _deciders: dict[object, Decider] = field(default_factory=dict)
    _books: dict[object, ApprovalBook] = field(default_factory=dict)
    # Everything below is a pure function of its key: the same documents, rules and trust give
    # the same answer, so a long history judges each distinct input once.
    _evidence_of: dict[tuple[str, str, str], Evidence] = field(default_factory=dict, repr=False)
    _acts: dict[tuple[object, str, str], list[ApprovalVerdict]] = field(default_factory=dict, repr=False)
    _loaded: dict[tuple[str, str], LoadedFile] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, git: Git, rev: str) -> Auditor:
        log = read_events(git, rev)
        return cls(LineReader(git.root, git.remote_env, files=log.files), log)

    def close(self) -> None:
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
            found.append(Modification(event, self._evidence(event.landing, model, event.version),
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
        key = (event.landing.commit, event.model, event.after)
        if key not in self._evidence_of:
            self._evidence_of[key] = self._evidence(event.landing, event.model, event.after)
        return Deployed(event, self._evidence_of[key])

    def _evidence(self, landing: Landing, model: str, version: str) -> Evidence:
        from ..approvals.review import policy_approvals
        from ..manifest.version import ModelVersion

        path = layout.version_path(model, version)
        base = landing.parent or landing.commit  # the root commit has no base: it judges itself
        docs = LandingDocuments(self.git, landing.commit, self.log.files, self._loaded)
        doc = docs.doc(path)
        validation = _validation(doc) if isinstance(doc, ModelVersion) else None
        try:
            book = self._book(base)
            acts = self._judge(book, path, landing.commit)
            release = self._judge(book, layout.deployment_path(model), landing.commit)
            verdict = self._decider(base).version_verdict(docs, path, policy_approvals(acts))
        except (ClinigateError, ValueError) as exc:  # a base without rules or trust judges nothing
            problem = getattr(exc, "message", None) or str(exc)
            return Evidence(version, None, None, [], [], validation, problem=problem)
        return Evidence(version, verdict.change_class, verdict.pccp_status, [a.as_dict() for a in acts],
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
            self._deciders[key] = Decider.open(self.git, rules_rev=base)
        return self._deciders[key]

    def _book_key(self, base: str) -> object:
        return tuple(self._tree(base, path) for path in (layout.TRUST_DIR, layout.ROLES_PATH))

    def _book(self, base: str) -> ApprovalBook:
        # Bases with the same trust folder and roles.yaml judge alike: open one book for them all.
        key = self._book_key(base)
        if key not in self._books:
            self._books[key] = ApprovalBook.open(self.git, base=base, strict_trust=False)
        return self._books[key]


class LandingDocuments(Snapshot):
    """The documents at one commit of the line, each blob loaded once for the whole audit.

    A long history holds the same manifests at thousands of commits; ``loaded`` (shared by every
    landing) keeps one loaded copy per (path, blob). Each landing gets its own copy of the
    findings list, which cross-checks append to.
    """

    def __init__(self, git: Git, rev: str, files: LineFiles,
                 loaded: dict[tuple[str, str], LoadedFile]) -> None:
        super().__init__(git, rev)
        self.files, self.shared = files, loaded

    def prefetch(self, paths: Iterable[str]) -> None:
        from ..manifest.loader import load_bytes

        todo = [p for p in dict.fromkeys(paths) if p not in self._loaded]
        state = self.files.state(self.rev)
        if state is None or self.emails or not all(self.files.covers(p) for p in todo):
            super().prefetch(todo)
            return
        for path, raw in self.git.read_blobs(self.rev, todo).items():
            entry = self.files.entry(state, path)
            if raw is None or entry is None:
                self._loaded[path] = None
                continue
            key = (path, entry[1])
            if key not in self.shared:
                self.shared[key] = load_bytes(path, raw)
            shared = self.shared[key]
            self._loaded[path] = replace(shared, findings=list(shared.findings))


def _validation(doc: Any) -> dict[str, Any]:
    overall = doc.validation.overall
    return {"dataset": doc.validation.dataset.name, "n": overall.n, "auc_roc": overall.auc_roc,
            "sensitivity": overall.sensitivity, "specificity": overall.specificity,
            "subgroups": len(doc.validation.subgroups),
            "lowest_subgroup_auc": min(s.auc_roc for s in doc.validation.subgroups)}
