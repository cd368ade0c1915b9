"""``check``: validate the changed documents, classify them under the PCCP, run the gates.

    >>> report = run_check(repo_root, base="origin/main")      # doctest: +SKIP
    >>> report.decision                                          # doctest: +SKIP
    'pending'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..approvals.attestation import APPROVABLE_KINDS
from ..findings import Finding, Report, Severity
from ..gitrepo import Git
from .inputs import PolicyInput, build_inputs

DECISION_RULE = "clinigate.decision.result"


@dataclass
class ManifestDecision:
    path: str
    kind: str
    model: str | None
    version: str | None
    change_class: str | None = None
    pccp_status: str | None = None
    regulatory_action: str | None = None
    findings: list[Finding] = field(default_factory=list)
    required_roles: list[str] = field(default_factory=list)
    approvals: list[dict[str, Any]] = field(default_factory=list)

    @property
    def missing_roles(self) -> list[str]:
        approved = {a["role"] for a in self.approvals if a.get("valid")}
        return [r for r in self.required_roles if r not in approved]

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "kind": self.kind, "model": self.model, "version": self.version,
            "change_class": self.change_class, "pccp_status": self.pccp_status,
            "regulatory_action": self.regulatory_action,
            "findings": [{"rule": f.rule, "severity": f.severity.value, "message": f.message,
                          "field": f.field, "line": f.line} for f in self.findings],
            "required_roles": self.required_roles, "missing_roles": self.missing_roles,
            "approvals": self.approvals,
        }


@dataclass
class CheckReport:
    base: str
    head: str
    engine: str
    manifests: list[ManifestDecision]

    @property
    def decision(self) -> str:
        if any(f.severity is Severity.ERROR for m in self.manifests for f in m.findings):
            return "fail"
        if any(m.missing_roles for m in self.manifests):
            return "pending"
        return "pass"

    def as_findings(self) -> Report:
        """The same findings as a plain report (for github, sarif and junit renderers)."""
        report = Report(files=[m.path for m in self.manifests])
        report.findings = [f for m in self.manifests for f in m.findings]
        report.sort()
        return report


def run_check(repo_root: Path, *, base: str, head: str = "HEAD", engine_name: str = "embedded",
              opa_url: str | None = None) -> CheckReport:
    from .bundle import load_bundle
    from .engine import make_engine

    git = Git(repo_root)
    base_sha, head_sha = git.resolve(base), git.resolve(head)
    bundle = load_bundle(repo_root)
    defaults = bundle.data.get("clinigate", {}).get("defaults", {})
    inputs = build_inputs(git, base_sha, head_sha, defaults)
    _attach_approvals(git, base_sha, head_sha, inputs)
    engine = make_engine(engine_name, opa_url=opa_url)
    try:
        if inputs:
            engine.load(bundle)
        manifests = [_decide(engine, item) for item in inputs]
    finally:
        engine.close()
    return CheckReport(base_sha, head_sha, engine_name, manifests)


def _attach_approvals(git: Git, base: str, head: str, inputs: list[PolicyInput]) -> None:
    """Fill ``input.approvals`` from the ledger, judged against the base's trust and roles."""
    todo = [i for i in inputs if i.document is not None and i.subject.kind in APPROVABLE_KINDS
            and i.subject.change != "deleted"]
    if not todo:
        return
    from ..approvals.review import ApprovalBook, policy_approvals

    with ApprovalBook.open(git, base=base, head=head) as book:
        for item in todo:
            assert item.document is not None
            item.document["approvals"] = policy_approvals(book.judge(item.subject.path, rev=head))


def _decide(engine: Any, item: PolicyInput) -> ManifestDecision:
    subject = item.subject
    decision = ManifestDecision(subject.path, subject.kind, subject.model, subject.version,
                                findings=list(item.findings))
    if item.document is None:
        return decision  # invalid document: its validation findings already fail the check
    result = engine.evaluate(DECISION_RULE, item.document) or {}
    decision.change_class = result.get("change_class")
    decision.pccp_status = result.get("pccp_status")
    decision.regulatory_action = result.get("regulatory_action")
    decision.required_roles = list(result.get("required_roles") or [])
    decision.approvals = list(item.document.get("approvals") or [])
    for severity, key in ((Severity.ERROR, "deny"), (Severity.WARNING, "warn")):
        for entry in result.get(key) or []:
            line, column = item.position(entry.get("field"))
            decision.findings.append(Finding(subject.path, line, column, str(entry.get("rule", "policy")),
                                             str(entry.get("msg", "")), entry.get("field"), severity))
    if not result:
        decision.findings.append(Finding(subject.path, None, None, "policy.undefined",
                                         "the policies returned no decision for this document"))
    return decision
