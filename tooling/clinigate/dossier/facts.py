"""What a report says about one model version, gathered once from Git at one revision.

    with Auditor.open(git, "main") as auditor:
        dossier = gather(auditor, model="sepsis-ews", version="1.2.1")

Every rendering (model card, audit report, release notes; HTML, PDF, Markdown) reads a
``Dossier``, never Git. The version must have landed on the audited line: its change class,
PCCP status and approvals are those the rules of its landing's base computed (audit/query.py),
the same answer ``audit export --pccp`` gives.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .. import layout
from ..audit.query import Auditor, Deployed, Modification
from ..errors import UsageError
from ..manifest.deployment import Deployment
from ..manifest.model import Model
from ..manifest.pccp import PCCP, AcceptanceCriteria
from ..manifest.revision import Snapshot
from ..manifest.version import ModelVersion


@dataclass(frozen=True)
class Criterion:
    """One PCCP acceptance criterion against the measured value (and production's, the baseline's)."""

    name: str
    threshold: str
    measured: str
    production: str | None
    baseline: str | None
    passed: bool | None  # None: nothing to compare against (no production version)


@dataclass(frozen=True)
class SignatureRow:
    """One signature act as 21 CFR 11.50 asks to show it: printed name, time, meaning."""

    document: str
    printed_name: str | None
    role: str | None
    meaning: str | None
    decision: str | None
    time: str | None
    time_trusted: bool
    time_source: str
    reason: str | None
    valid: bool
    why_not: str | None


@dataclass(frozen=True)
class DeploymentRow:
    environment: str
    before: str | None
    after: str | None
    commit: str
    at: datetime  # Git's committer date: claimed
    pull_request: int | None
    rollback: bool
    rationale: str | None


@dataclass
class Dossier:
    rev: str
    commit: str
    model: Model
    version: ModelVersion
    pccp: PCCP | None
    path: str
    manifest_sha256: str
    landed_commit: str
    landed_at: datetime  # claimed
    pull_request: int | None
    change_class: str | None
    pccp_status: str | None
    regulatory_action: str | None
    declared_class: str | None
    modification_id: str | None
    parent: ModelVersion | None
    production: ModelVersion | None  # what production ran at the audited revision
    baseline: ModelVersion | None  # the PCCP's authorised baseline
    acceptance: AcceptanceCriteria | None = None  # the computed change class's, in the PCCP
    criteria: list[Criterion] = field(default_factory=list)
    signatures: list[SignatureRow] = field(default_factory=list)
    deployments: list[DeploymentRow] = field(default_factory=list)
    history: list[Modification] = field(default_factory=list)  # every version of the model, oldest first

    @property
    def production_version(self) -> str | None:
        return self.production.version if self.production else None


def gather(auditor: Auditor, *, model: str, version: str) -> Dossier:
    """The dossier of ``version`` of ``model`` at the auditor's revision (UsageError if it never landed)."""
    modifications = auditor.modifications(model)
    mine = next((m for m in modifications if m.event.version == version), None)
    if mine is None:
        known = ", ".join(m.event.version or "?" for m in modifications) or "none"
        raise UsageError(f"{model} {version} never landed on the audited branch",
                         hint=f"versions of {model} there: {known}")
    snapshot = Snapshot(auditor.git, auditor.log.rev)
    manifest = snapshot.version(model, version)
    card = snapshot.doc(layout.model_path(model))
    if not isinstance(manifest, ModelVersion) or not isinstance(card, Model):
        raise UsageError(f"{layout.version_path(model, version)} or {layout.model_path(model)} does not "
                         f"load at {auditor.log.rev[:12]}", hint="`clinigate validate` names the problem")
    pccp = snapshot.doc(layout.pccp_path(model))
    pccp = pccp if isinstance(pccp, PCCP) else None
    production = _production(snapshot, model)
    baseline = snapshot.version(model, pccp.authorised_baseline) if pccp else None
    raw = auditor.git.read_blobs(auditor.log.rev, [layout.version_path(model, version)])
    blob = raw.get(layout.version_path(model, version)) or b""
    evidence = mine.evidence
    dossier = Dossier(
        rev=auditor.log.rev, commit=auditor.log.rev, model=card, version=manifest, pccp=pccp,
        path=layout.version_path(model, version), manifest_sha256=hashlib.sha256(blob).hexdigest(),
        landed_commit=mine.event.landing.commit, landed_at=mine.event.landing.at,
        pull_request=mine.event.landing.pull_request, change_class=evidence.change_class,
        pccp_status=evidence.pccp_status, regulatory_action=evidence.regulatory_action,
        declared_class=mine.declared_class, modification_id=mine.modification_id,
        parent=snapshot.version(model, manifest.parent) if manifest.parent else None,
        production=production if production and production.version != version else None,
        baseline=baseline if baseline and baseline.version != version else None,
        history=modifications)
    dossier.acceptance = _plan(pccp, evidence.change_class)
    dossier.criteria = criteria(manifest, dossier.acceptance, dossier.production, dossier.baseline,
                                in_production=production is not None and production.version == version)
    dossier.signatures = [_signature(dossier.path, a) for a in evidence.approvals]
    dossier.signatures += [_signature(layout.deployment_path(model), a) for a in evidence.release_approvals]
    dossier.deployments = [_deployment(d) for d in auditor.timeline(model)
                           if version in (d.event.before, d.event.after)]
    return dossier


def _production(snapshot: Snapshot, model: str) -> ModelVersion | None:
    deployment = snapshot.doc(layout.deployment_path(model))
    if not isinstance(deployment, Deployment):
        return None
    target = next((t for env, t in deployment.environments.items() if env.value == "production"), None)
    return snapshot.version(model, target.version) if target else None


def _plan(pccp: PCCP | None, change_class: str | None) -> AcceptanceCriteria | None:
    if pccp is None or change_class is None:
        return None
    return next((p.acceptance for c, p in pccp.change_classes.items() if c.value == change_class), None)


def _f(value: float | None) -> str | None:
    return None if value is None else f"{value:.3f}"


def _gap(version: ModelVersion) -> float:
    return version.validation.overall.auc_roc - min(s.auc_roc for s in version.validation.subgroups)


def criteria(version: ModelVersion, plan: AcceptanceCriteria | None, production: ModelVersion | None,
             baseline: ModelVersion | None, *, in_production: bool = False) -> list[Criterion]:
    """The change class's acceptance criteria, each with its threshold and the measured value."""
    if plan is None:
        return []
    auc = version.validation.overall.auc_roc
    rows = [Criterion("overall AUC ≥ minimum", f"≥ {plan.min_auc:.3f}", f"{auc:.3f}",
                      _f(production.validation.overall.auc_roc) if production else None,
                      _f(baseline.validation.overall.auc_roc) if baseline else None, auc >= plan.min_auc),
            Criterion("largest subgroup gap below overall AUC", f"≤ {plan.max_subgroup_gap:.3f}",
                      f"{_gap(version):.3f}", _f(_gap(production)) if production else None,
                      _f(_gap(baseline)) if baseline else None, _gap(version) <= plan.max_subgroup_gap)]
    drop = (production.validation.overall.auc_roc - auc) if production else None
    rows.append(Criterion("AUC drop against production", f"≤ {plan.max_regression:.3f}",
                          f"{drop:.3f}" if drop is not None else
                          ("this version is production" if in_production else "no production version"), None,
                          _f(baseline.validation.overall.auc_roc - auc) if baseline else None,
                          None if drop is None else drop <= plan.max_regression + 1e-9))
    smallest = min(s.n for s in version.validation.subgroups)
    rows.append(Criterion("smallest subgroup n", f"≥ {plan.min_subgroup_n}", str(smallest),
                          str(min(s.n for s in production.validation.subgroups)) if production else None,
                          None, smallest >= plan.min_subgroup_n))
    present = {s.attribute.value for s in version.validation.subgroups}
    wanted = [a.value for a in plan.required_subgroup_attributes]
    missing = [a for a in wanted if a not in present]
    rows.append(Criterion("subgroup attributes reported", ", ".join(wanted),
                          "all present" if not missing else f"missing: {', '.join(missing)}", None, None,
                          not missing))
    return rows


def _signature(document: str, act: dict[str, Any]) -> SignatureRow:
    return SignatureRow(
        document=document, printed_name=act.get("printed_name"), role=act.get("role"),
        meaning=act.get("meaning"), decision=act.get("decision"), time=act.get("time"),
        time_trusted=bool(act.get("time_trusted")), time_source=str(act.get("time_source") or "claimed"),
        reason=act.get("reason"), valid=bool(act.get("valid")),
        why_not=None if act.get("valid") else f"{act.get('rule')}: {act.get('problem')}")


def _deployment(deployed: Deployed) -> DeploymentRow:
    event = deployed.event
    return DeploymentRow(environment=event.env or "?", before=event.before, after=event.after,
                         commit=event.landing.commit, at=event.landing.at,
                         pull_request=event.landing.pull_request, rollback=event.rollback,
                         rationale=event.rationale)
