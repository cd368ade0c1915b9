"""The gate decision as typed data: what the engine said, per document, and for the whole change.

    >>> decision = Decider.for_change(git, base="origin/main", head="HEAD").decide()  # doctest: +SKIP
    >>> decision.decision, [d.path for d in decision.manifests]                       # doctest: +SKIP
    ('pending', ['models/sepsis-ews/versions/1.3.0.yaml'])

Engine output is wrapped once, in :class:`EngineVerdict` (``extra="forbid"``): a policy that
returns a misspelt key or a wrong type fails loudly as ``policy.output`` instead of being read
with ``.get()`` as "no findings". Every renderer (text, json, markdown, github, sarif, junit)
renders a :class:`GateDecision`; nothing else judges.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .._internal.validation import first_problem
from ..findings import Finding, Report, Severity
from .subgroup_delta import ProductionComparison

DECISION_RULE = "clinigate.decision.result"  # the rule every engine evaluates for a document


class _Typed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PolicyFinding(_Typed):
    """One ``deny`` or ``warn`` entry of ``data.clinigate.decision.result``."""

    rule: str = Field(min_length=1)
    msg: str
    field: str | None = None


class WaivedPolicyFinding(PolicyFinding):
    """A ``deny`` entry an in-force waiver lifts (policies/waivers.rego): reported, never hidden."""

    waiver: str = Field(min_length=1)
    expires: str


class UncountedApproval(_Typed):
    """A valid approval the policies do not count (policies/authority.rego): why, by its ledger entry."""

    entry: str | None
    rule: str = Field(min_length=1)
    msg: str


class EngineVerdict(_Typed):
    """``data.clinigate.decision.result`` for one document (policies/README.md "Output")."""

    change_class: str | None = None
    pccp_status: str | None = None
    regulatory_action: str | None = None
    required_roles: list[str] = Field(default_factory=list)
    deny: list[PolicyFinding] = Field(default_factory=list)
    warn: list[PolicyFinding] = Field(default_factory=list)
    # Absent from the decisions of rules older than the review-order gate: they counted every valid approval.
    uncounted: list[UncountedApproval] = Field(default_factory=list)
    # Absent from the decisions of rules older than waivers: nothing was waived.
    waived: list[WaivedPolicyFinding] = Field(default_factory=list)

    def mark_uncounted(self, records: list[ApprovalRecord]) -> list[ApprovalRecord]:
        """The records, those the policies did not count marked invalid with the policies' rule and reason."""
        refused = {u.entry: u for u in self.uncounted if u.entry}
        return [r.model_copy(update={"valid": False, "rule": refused[r.entry].rule,
                                     "problem": refused[r.entry].msg})
                if r.entry in refused and r.valid else r for r in records]

    def mark_rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The same for report rows of acts (``ApprovalVerdict.as_dict``)."""
        refused = {u.entry: u for u in self.uncounted if u.entry}
        def marked(row: dict[str, Any]) -> dict[str, Any]:
            why = refused[row["entry"]]
            return {**row, "valid": False, "rule": why.rule, "problem": why.msg}
        return [marked(row) if row.get("entry") in refused and row.get("valid") else row for row in rows]

    @classmethod
    def from_engine(cls, value: Any) -> EngineVerdict | None:
        """The typed verdict; None when the rule is undefined; :class:`OutputInvalid` when malformed."""
        if value is None:
            return None
        try:
            return cls.model_validate(value)
        except ValidationError as exc:
            problem = first_problem(exc)
            raise OutputInvalid(f"{problem.where}: {problem.message}") from None


class OutputInvalid(ValueError):
    """The policies returned a decision that is not of the documented shape."""


class ApprovalRecord(_Typed):
    """One signature act on a document, as judged (``input.approvals`` and the reports)."""

    role: str | None
    signer: str | None
    printed_name: str | None = None
    valid: bool
    decision: str | None = None
    meaning: str | None = None  # 21 CFR 11.50(a)(3): what the signature means
    order: int | None = None  # its signing time's rank among the document's approvals (approvals/sequence.py)
    digest: str | None = None
    rule: str | None = None
    problem: str | None = None
    entry: str | None = None  # the ledger file
    # What an entry that did not verify says of itself, for the reports only (approvals/claim.py).
    claimed: dict[str, str | None] | None = None
    # 21 CFR 11.50: the signature's times (trusted by a log or TSA, claimed by the signer), shown
    # beside the name and meaning in every rendering; never read by the policies.
    trusted_time: str | None = None
    claimed_time: str | None = None
    time_source: str | None = None


class WaivedFinding(_Typed):
    """A finding an in-force waiver lifts: shown as waived by its id until its expiry."""

    rule: str
    message: str
    field: str | None = None
    line: int | None = None
    waiver: str
    expires: str

    def as_finding(self, path: str) -> Finding:
        """For the plain-findings renderers (github, sarif, junit): a warning that says it is waived."""
        return Finding(path, self.line, None, self.rule, f"waived by {self.waiver} until {self.expires}: "
                       f"{self.message}", self.field, Severity.WARNING)


class DocumentDecision(BaseModel):
    """The gate's verdict on one changed document."""

    model_config = ConfigDict(extra="forbid")

    path: str
    kind: str
    model: str | None
    version: str | None
    change_class: str | None = None
    pccp_status: str | None = None
    regulatory_action: str | None = None
    findings: list[Finding] = Field(default_factory=list)
    waived: list[WaivedFinding] = Field(default_factory=list)  # deny findings a signed waiver lifts
    required_roles: list[str] = Field(default_factory=list)
    approvals: list[ApprovalRecord] = Field(default_factory=list)
    # A changed ModelVersion's AUC beside production's, per subgroup: shown to reviewers, not deciding.
    production_comparison: ProductionComparison | None = None
    # sha256 of the canonical JSON policy input judged (gate/evaluation.py records it); not rendered.
    inputs_sha256: str | None = None

    @property
    def missing_roles(self) -> list[str]:
        approved = {a.role for a in self.approvals if a.valid}
        return [r for r in self.required_roles if r not in approved]

    @property
    def blocked(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def decision(self) -> str:
        """``fail`` (a finding blocks), ``pending`` (a required role has not signed) or ``pass``."""
        return "fail" if self.blocked else "pending" if self.missing_roles else "pass"

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "kind": self.kind, "model": self.model, "version": self.version,
            "change_class": self.change_class, "pccp_status": self.pccp_status,
            "regulatory_action": self.regulatory_action,
            "findings": [{"rule": f.rule, "severity": f.severity.value, "message": f.message,
                          "field": f.field, "line": f.line} for f in self.findings],
            "waived": [w.model_dump() for w in self.waived],
            "required_roles": self.required_roles, "missing_roles": self.missing_roles,
            "approvals": [a.model_dump() for a in self.approvals],
            "production_comparison": self.production_comparison.model_dump(mode="json")
            if self.production_comparison else None,
        }


class HeadPreview(BaseModel):
    """What the pull request's own policies would say: shown, never deciding (DESIGN §13)."""

    model_config = ConfigDict(extra="forbid")

    tests_summary: str
    tests_passed: bool
    problems: list[str] = Field(default_factory=list)  # failing or erroring Rego tests, located
    decisions: dict[str, str] = Field(default_factory=dict)  # document path -> would-be decision
    error: str | None = None  # the head's policies could not be loaded or evaluated


class GateDecision(BaseModel):
    """The decision on one change: judged by the rules of ``rules_rev`` (DESIGN §13)."""

    model_config = ConfigDict(extra="forbid")

    base: str  # the base revision's commit (for a PR: the target branch tip)
    head: str
    merge_base: str  # the diff is merge_base..head, as GitHub shows a pull request
    rules_rev: str  # whose policies, policy data, trust and roles decided
    engine: str
    manifests: list[DocumentDecision]
    head_preview: HeadPreview | None = None

    @property
    def decision(self) -> str:
        """The worst of the documents' decisions: any fail fails, else any pending is pending."""
        decisions = {m.decision for m in self.manifests}
        return next((d for d in ("fail", "pending") if d in decisions), "pass")

    def as_findings(self) -> Report:
        """The same findings as a plain report (for github, sarif and junit renderers)."""
        report = Report(files=[m.path for m in self.manifests])
        report.findings = [f for m in self.manifests
                           for f in [*m.findings, *(w.as_finding(m.path) for w in m.waived)]]
        report.sort()
        return report
