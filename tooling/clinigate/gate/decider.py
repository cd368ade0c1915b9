"""The one owner of the gate decision (DESIGN §13): the rules of one revision judge another.

    >>> with Decider.open(git, rules_rev="origin/main") as decider:             # doctest: +SKIP
    ...     decision = decider.decide_change(base="origin/main", head="HEAD")
    >>> decision.decision                                                        # doctest: +SKIP
    'pending'

Policies, policy data (thresholds, the change-control table), trust roots and roles are read
from the Git objects of ``rules_rev`` — never the work tree, never the revision under review —
so a pull request cannot choose its own judge. ``check`` passes the base branch; ``sync`` the
revision it deploys (which reached the deployment branch through this same gate); ``audit``
any historical revision's base. The pull request's own policies are still exercised: their
unit tests run and their would-be decision is shown, labelled as not deciding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import layout
from ..approvals.attestation import APPROVABLE_KINDS
from ..errors import UsageError
from ..findings import Finding, Severity
from ..gitrepo import Git
from ..policy import subgroup_delta
from ..policy.bundle import PolicyBundle, bundle_at
from ..policy.decision import (
    DECISION_RULE,
    ApprovalRecord,
    DocumentDecision,
    EngineVerdict,
    GateDecision,
    HeadPreview,
    OutputInvalid,
    WaivedFinding,
)
from ..policy.governance import ChangeControl
from ..policy.inputs import GOVERNANCE_KINDS, PolicyInput, build_inputs

if TYPE_CHECKING:
    from ..approvals.authorship import PullRequestEvent
    from ..approvals.review import ApprovalBook, ChangeContext, TrustAt
    from ..manifest.revision import Snapshot
    from ..policy.engine import PolicyEngine

_POLICY_PREFIX = f"{layout.POLICIES_DIR}/"
_TRUST_PREFIX = f"{layout.TRUST_DIR}/"


@dataclass
class Decider:
    """Judges with the rules committed at ``rules_rev`` (a commit id)."""

    git: Git
    rules_rev: str
    bundle: PolicyBundle
    engine: PolicyEngine
    engine_name: str
    control: ChangeControl
    _books: list[ApprovalBook] = field(default_factory=list, repr=False)

    @classmethod
    def open(cls, git: Git, *, rules_rev: str, engine_name: str = "embedded",
             opa_url: str | None = None) -> Decider:
        from ..policy.engine import make_engine

        commit = git.resolve(rules_rev)
        bundle = bundle_at(git, commit)
        control = ChangeControl.from_policy_data(bundle.data.get("clinigate", {}))
        engine = make_engine(engine_name, opa_url=opa_url)
        try:
            engine.load(bundle)
        except BaseException:
            engine.close()
            raise
        return cls(git, commit, bundle, engine, engine_name, control)

    @property
    def defaults(self) -> dict[str, Any]:
        value = self.bundle.data.get("clinigate", {}).get("defaults", {})
        return value if isinstance(value, dict) else {}

    def close(self) -> None:
        for book in self._books:
            book.close()
        self._books.clear()
        self.engine.close()

    def __enter__(self) -> Decider:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- a change (a pull request) -------------------------------------------------------

    def decide_change(self, *, base: str, head: str, event: PullRequestEvent | None = None,
                      preview: bool = True, evidence_tracking_uri: str | None = None) -> GateDecision:
        """Judge ``merge-base(base, head)..head`` — what GitHub shows as the pull request.

        ``event``: the pull request (its number and author) when the caller knows it from
        elsewhere than ``$GITHUB_EVENT_PATH`` (the approval workflow reads it from the API).
        ``preview=False`` never evaluates the head's own policies: a job holding signing or
        write credentials must not run Rego the pull request wrote (OPA's ``opa.runtime()``
        exposes the environment). ``evidence_tracking_uri``: where runs:/ evidence is fetched.
        """
        base_sha, head_sha = self.git.resolve(base), self.git.resolve(head)
        fork = merge_base(self.git, base_sha, head_sha)
        inputs = build_inputs(self.git, fork, head_sha, self.defaults, self.control,
                              evidence_tracking_uri=evidence_tracking_uri)
        self._attach_approvals(fork, head_sha, inputs, event)
        manifests = [self._decide(item) for item in inputs]
        preview_of = self._head_preview(head_sha, inputs) if preview and _touches_policies(inputs) else None
        return GateDecision(base=base_sha, head=head_sha, merge_base=fork, rules_rev=self.rules_rev,
                            engine=self.engine_name, manifests=manifests, head_preview=preview_of)

    def _attach_approvals(self, fork: str, head: str, inputs: list[PolicyInput],
                          event: PullRequestEvent | None = None) -> None:
        """Fill ``input.approvals`` from the ledger, judged against the rules revision's trust and
        roles; nobody who wrote the change counts as its approver (authorship.py)."""
        from ..approvals.authorship import ChangeAuthors
        from ..approvals.review import ChangeContext

        todo = [i for i in inputs
                if i.document is not None and _approvable(i) and i.subject.change != "deleted"]
        if not todo:
            return
        book = self.book(head=head)
        book.ledger.require_intact()  # a rewound ledger may have dropped a revocation: count nothing
        context = ChangeContext(head, ChangeAuthors.read(self.git, fork, head, book.roles.base, event))
        failures = _FailureRecords(self.git, book)
        for item in todo:
            assert item.document is not None
            item.document["approvals"] = approval_inputs(book, item.subject.path, rev=head, context=context)
            for waiver in item.document["facts"].get("waivers") or []:  # judged like any document
                waiver["approvals"] = approval_inputs(book, waiver["path"], rev=head, context=context)
            if (version := item.version) is not None:  # the gate's signed failures (failures.rego)
                item.document["facts"]["failures"] = failures.of_others(version.model, version.version)

    def book(self, *, head: str | None = None, trust: TrustAt | None = None) -> ApprovalBook:
        """The ledger, read through the rules revision's trust and roles (closed with the decider);
        ``trust``: that revision's trust.yaml when the caller has already read it."""
        from ..approvals.review import ApprovalBook

        book = ApprovalBook.open(self.git, base=self.rules_rev, head=head, trust=trust)
        self._books.append(book)
        return book

    def _decide(self, item: PolicyInput, engine: PolicyEngine | None = None) -> DocumentDecision:
        subject = item.subject
        decision = DocumentDecision(path=subject.path, kind=subject.kind, model=subject.model,
                                    version=subject.version, findings=list(item.findings))
        if item.document is None:
            return decision  # invalid document: its validation findings already fail the check
        decision.approvals = [ApprovalRecord.model_validate(a) for a in item.document.get("approvals") or []]
        decision.inputs_sha256 = _inputs_digest(item.document)
        verdict = _verdict(engine or self.engine, item, decision)
        decision.production_comparison = _production_comparison(item, verdict)
        if verdict is None:
            return decision
        decision.approvals = verdict.mark_uncounted(decision.approvals)
        decision.change_class, decision.pccp_status = verdict.change_class, verdict.pccp_status
        decision.regulatory_action = verdict.regulatory_action
        decision.required_roles = list(verdict.required_roles)
        for severity, entries in ((Severity.ERROR, verdict.deny), (Severity.WARNING, verdict.warn)):
            for entry in entries:
                line, column = item.position(entry.field)
                decision.findings.append(Finding(subject.path, line, column, entry.rule, entry.msg,
                                                 entry.field, severity))
        decision.waived = [WaivedFinding(rule=w.rule, message=w.msg, field=w.field,
                                         line=item.position(w.field)[0], waiver=w.waiver, expires=w.expires)
                           for w in verdict.waived]
        return decision

    def _head_preview(self, head: str, inputs: list[PolicyInput]) -> HeadPreview:
        """Run the head's Rego tests and its would-be decision; nothing here decides."""
        from ..policy.engine import make_engine
        from ..policy.testing import run_tests

        try:
            bundle = bundle_at(self.git, head)
            run = run_tests(bundle)
            engine = make_engine("embedded")
            try:
                engine.load(bundle)
                decisions = {item.subject.path: self._decide(item, engine).decision for item in inputs}
            finally:
                engine.close()
        except Exception as exc:  # the head's policies may be broken in any way: show it, never decide
            message = getattr(exc, "message", None) or str(exc)
            return HeadPreview(tests_summary="not run", tests_passed=False, error=message)
        problems = [f"{r.location}: {r.name}: {r.outcome}" + (f" ({r.message})" if r.message else "")
                    for r in run.problems]
        return HeadPreview(tests_summary=run.summary(), tests_passed=run.passed, problems=problems,
                           decisions=decisions)

    # --- one merged version (sync) ---------------------------------------------------------

    def requirement(self, docs: Snapshot, path: str,
                    approvals: list[dict[str, Any]]) -> tuple[set[str], str | None]:
        """The roles the rules require for a version merged at ``docs``' revision, and its class."""
        verdict = self.version_verdict(docs, path, approvals)
        return {r for r in verdict.required_roles if r}, verdict.change_class

    def version_verdict(self, docs: Snapshot, path: str, approvals: list[dict[str, Any]]) -> EngineVerdict:
        """What the rules say of a version as merged at ``docs``' revision (class, PCCP status, …)."""
        from ..policy.inputs import version_input

        item = version_input(docs, path, self.defaults)
        if item.document is None:
            raise ValueError(f"{path} does not load")
        item.document["approvals"] = approvals
        verdict = evaluate(self.engine, item.document)
        if verdict is None:
            raise ValueError(f"the policies returned no decision for {path}")
        return verdict


def evaluate(engine: PolicyEngine, document: dict[str, Any]) -> EngineVerdict | None:
    return EngineVerdict.from_engine(engine.evaluate(DECISION_RULE, document))


def _verdict(engine: PolicyEngine, item: PolicyInput, decision: DocumentDecision) -> EngineVerdict | None:
    """The engine's verdict; None, with the finding that fails the document, when it gave none usable."""
    assert item.document is not None
    path = item.subject.path
    try:
        verdict = evaluate(engine, item.document)
    except OutputInvalid as exc:
        decision.findings.append(Finding(path, None, None, "policy.output",
                                         f"the policies returned a malformed decision: {exc}"))
        return None
    if verdict is None:
        decision.findings.append(Finding(path, None, None, "policy.undefined",
                                         "the policies returned no decision for this document"))
    return verdict


def _production_comparison(item: PolicyInput,
                           verdict: EngineVerdict | None) -> subgroup_delta.ProductionComparison | None:
    """A changed version against production; the overall row by the PCCP tolerance of its class."""
    if item.version is None or item.production is None or item.document is None:
        return None
    change_class = verdict.change_class if verdict else None
    criteria = item.document["facts"].get("criteria_e4", {}).get(change_class or "")
    tolerance = criteria.get("max_regression_e4") if isinstance(criteria, dict) else None
    return subgroup_delta.compare(item.version, production_version=item.production.version,
                                  production=item.production.manifest,
                                  max_regression_e4=tolerance if isinstance(tolerance, int) else None)


def approval_inputs(book: ApprovalBook, path: str, *, rev: str,
                    context: ChangeContext | None = None) -> list[dict[str, Any]]:
    from ..approvals.review import accepts_claimed_times, policy_approvals

    verdicts = book.judge(path, rev=rev, context=context)
    return policy_approvals(verdicts, claimed_times=accepts_claimed_times(book.trust))


def merge_base(git: Git, base: str, head: str) -> str:
    """The commit a pull request forked from; its diff to ``head`` is what the PR changes."""
    fork = git.merge_base(base, head)
    if fork is None:
        raise UsageError(f"{base[:12]} and {head[:12]} share no history",
                         hint="pass a --base the change was branched from (e.g. origin/main)")
    return fork


def _approvable(item: PolicyInput) -> bool:
    return item.subject.kind in APPROVABLE_KINDS or item.subject.kind in GOVERNANCE_KINDS


def _touches_policies(inputs: list[PolicyInput]) -> bool:
    return any(i.subject.path.startswith(_POLICY_PREFIX) and not i.subject.path.startswith(_TRUST_PREFIX)
               for i in inputs)


def _inputs_digest(document: dict[str, Any]) -> str:
    """sha256 of the policy input as canonical JSON: what an evaluation record says was judged."""
    import hashlib
    import json

    return hashlib.sha256(json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
                          .encode()).hexdigest()


@dataclass
class _FailureRecords:
    """Each model's recorded failures, read once per decision (gate/evaluation.py)."""

    git: Git
    book: ApprovalBook
    _by_model: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def of_others(self, model: str, version: str) -> list[dict[str, Any]]:
        from .evaluation import recorded_failures

        if model not in self._by_model:
            self._by_model[model] = recorded_failures(self.git, self.book, model)
        return [f for f in self._by_model[model] if f["version"] != version]

