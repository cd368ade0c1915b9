"""Build one policy input per changed document between two revisions (policies/README.md).

Only the changed documents, their parents, the manifest in production at the base and the
PCCP's authorised version are read, so the cost follows the size of the change, not of the
registry (DESIGN §11).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial
from pathlib import PurePosixPath
from typing import Any

from pydantic import BaseModel

from .. import layout
from ..findings import Finding
from ..gitrepo import Change, Git
from ..manifest import crossref
from ..manifest.authority import risk_class_fact
from ..manifest.deployment import Deployment
from ..manifest.documents import expected_kind
from ..manifest.loader import LoadedFile
from ..manifest.model import Model
from ..manifest.pccp import PCCP
from ..manifest.revision import Snapshot
from ..manifest.roles import Roles
from ..manifest.semver import SemverKey
from ..manifest.strict_yaml import Locator
from ..manifest.values import Environment
from ..manifest.version import ModelVersion
from ..manifest.waiver import Waiver
from ..pccp import facts
from ..pccp.independence import independence_facts
from ..pccp.modifications import release_facts, shipped_facts
from .governance import DEFAULT_GOVERNANCE, ChangeControl
from .linked_facts import linked_facts
from .waiver_facts import version_waiver_facts, waiver_subject_facts

# Kinds the policies judge as governance (their roles come from the change-control table).
GOVERNANCE_KINDS = frozenset({"Governance", "Trust"})
REGISTRY_KINDS = frozenset({"ModelVersion", "Deployment", "PCCP", "Model", "RiskRegister", "Waiver"})


@dataclass
class Subject:
    path: str
    kind: str
    model: str | None
    change: str  # added | modified | deleted
    merged_at_base: bool
    version: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "model": self.model, "version": self.version,
                "change": self.change, "merged_at_base": self.merged_at_base}


@dataclass(frozen=True)
class InProduction:
    """What deployment.yaml at the base names for production, and that version's manifest there."""

    version: str | None  # None: nothing in production (a first release)
    manifest: ModelVersion | None  # None also when the named version does not load at the base


@dataclass
class PolicyInput:
    subject: Subject
    document: dict[str, Any] | None  # the policy input; None when the document is invalid
    findings: list[Finding] = field(default_factory=list)  # strict-loading / cross-reference
    locate: Locator | None = None  # field path -> line in the head document
    # A changed ModelVersion, typed, and production's, for the reports' comparison (subgroup_delta.py).
    version: ModelVersion | None = None
    production: InProduction | None = None

    def position(self, field_path: str | None) -> tuple[int | None, int | None]:
        return position(self.locate, field_path)


def position(locate: Locator | None, field_path: str | None) -> tuple[int | None, int | None]:
    """Line and column of a dotted field path (``validation.subgroups[3].n``) in a document."""
    if not field_path or locate is None:
        return None, None
    steps: list[str | int] = []
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", field_path):
        steps.append(int(part[1:-1]) if part.startswith("[") else part)
    return locate(tuple(steps))


_CHANGE = {"A": "added", "M": "modified", "D": "deleted", "T": "modified"}


def _subject(change: Change, base_has: bool, control: ChangeControl) -> Subject | None:
    path = change.path
    kind = expected_kind(PurePosixPath(path))
    model = layout.model_of(path)
    if kind == "Roles" or (kind is None and control.rule_for(path) is not None):
        kind = "Governance"
    if kind is None:
        return None
    version = PurePosixPath(path).stem if kind == "ModelVersion" else None
    return Subject(path, kind, model, _CHANGE.get(change.status[0], "modified"), base_has, version)


def build_inputs(git: Git, base: str, head: str, defaults: dict[str, Any],
                 control: ChangeControl = DEFAULT_GOVERNANCE, *,
                 evidence_tracking_uri: str | None = None) -> list[PolicyInput]:
    """One input per changed document between ``base`` (for a PR: the merge base) and ``head``."""
    changes = git.changes(base, head)
    head_snap, base_snap = Snapshot.with_roles(git, head), Snapshot(git, base)
    roles = head_snap.roles()
    at_base = git.read_blobs(base, [c.path for c in changes])
    subjects = [s for c in changes if (s := _subject(c, at_base.get(c.path) is not None, control))]
    _prefetch(head_snap, base_snap, subjects)
    mix = {"registry": sorted(s.path for s in subjects if s.kind in REGISTRY_KINDS),
           "governance": sorted(s.path for s in subjects if s.kind in GOVERNANCE_KINDS)}
    inputs = [_build(s, head_snap, base_snap, roles, defaults, evidence_tracking_uri) for s in subjects]
    for item in inputs:
        if item.document is not None:
            item.document["facts"]["change_mix"] = mix
            if item.version is not None:  # a changed version: the model's waivers (waivers.rego)
                item.document["facts"].update(version_waiver_facts(head_snap, item.version.model))
            if item.subject.kind in GOVERNANCE_KINDS:
                item.document["facts"]["governance"] = {"roles": control.roles_for(item.subject.path) or []}
    return inputs


def version_input(docs: Snapshot, path: str, defaults: dict[str, Any]) -> PolicyInput:
    """The policy input for a version manifest already merged at ``docs``' revision.

    Used by ``sync`` to learn a deployed version's change class and required roles: the version
    is judged as if it were being added, against its parent and the PCCP at that revision.
    """
    parts = PurePosixPath(path).parts
    subject = Subject(path, "ModelVersion", parts[1], "added", False, PurePosixPath(path).stem)
    return _build(subject, docs, docs, docs.roles(), defaults)


def _prefetch(head: Snapshot, base: Snapshot, subjects: list[Subject]) -> None:
    models = {s.model for s in subjects if s.model}
    context = [layout.model_file_path(m, n) for m in models for n in layout.MODEL_FILES]
    head.prefetch([*context, *(s.path for s in subjects if s.change != "deleted" and _is_document(s))])
    base.prefetch([*context, *(s.path for s in subjects if s.merged_at_base and _is_document(s))])


def _is_document(subject: Subject) -> bool:
    """Registry documents are loaded strictly; other governance files (Rego, workflows) are not YAML
    documents of ours and are judged by path alone."""
    return subject.kind != "Governance" or subject.path == layout.ROLES_PATH  # Trust is a document


def _build(subject: Subject, head: Snapshot, base: Snapshot, roles: Roles | None,
           defaults: dict[str, Any], evidence_tracking_uri: str | None = None) -> PolicyInput:
    loaded = head.get(subject.path) if subject.change != "deleted" and _is_document(subject) else None
    findings = list(loaded.findings) if loaded else []
    if loaded is not None and loaded.document is not None and subject.model:
        crossref.check([loaded], roles, lambda m, v: v in head.versions(m),
                       neighbours=crossref.Neighbours(versions=head.versions, pccp=lambda m: _pccp(head, m),
                                                      monitoring=head.reports))
        findings = list(loaded.findings)
    invalid = loaded is None or loaded.document is None
    if subject.change != "deleted" and subject.kind not in GOVERNANCE_KINDS and invalid:
        return PolicyInput(subject, None, findings)
    document = _common(subject, loaded, head, base)
    if subject.kind == "ModelVersion" and loaded is not None:
        assert isinstance(loaded.document, ModelVersion)
        version = loaded.document
        if version.validation.evidence is not None:  # the numbers are recomputed from the head's files
            from ..evidence.rederive import rederive

            at = partial(position, loaded.locate)
            findings += rederive(head.git, head.rev, subject.path, version, at,
                                 tracking_uri=evidence_tracking_uri)
        production = _in_production(base, version.model)
        document["facts"].update(_version_facts(version, head, production.manifest, defaults))
        document["facts"].update(_shipped(version, head, base))
        document["facts"].update(linked_facts(version, head, base))  # risk register, claims
        document.update(_version_context(version, head, production.manifest))
        return PolicyInput(subject, document, findings, loaded.locate, version, production)
    if subject.kind == "ModelVersion":  # a deleted version: judged on its base copy
        document["facts"].update({"criteria_e4": facts.criteria_e4(None, defaults)})
    if subject.kind == "Waiver" and loaded is not None and isinstance(loaded.document, Waiver):
        document["facts"].update(waiver_subject_facts(loaded.document))
    if subject.kind == "Deployment" and subject.model:
        document["facts"]["deployment"] = _deployment_facts(subject.model, head, base)
    return PolicyInput(subject, document, findings, loaded.locate if loaded else None)


def _pccp(docs: Snapshot, model: str) -> PCCP | None:
    doc = docs.doc(layout.pccp_path(model))
    return doc if isinstance(doc, PCCP) else None


def _dump(doc: BaseModel | None) -> dict[str, Any] | None:
    return doc.model_dump(mode="json", by_alias=True) if doc is not None else None


def _common(subject: Subject, loaded: LoadedFile | None, head: Snapshot,
            base: Snapshot) -> dict[str, Any]:
    model = subject.model
    doc = loaded.document if loaded else None
    base_loaded = base.get(subject.path) if subject.merged_at_base and _is_document(subject) else None
    pccp_head = head.doc(layout.pccp_path(model)) if model else None
    pccp_base = base.doc(layout.pccp_path(model)) if model else None
    model_head = head.doc(layout.model_path(model)) if model else None
    model_base = base.doc(layout.model_path(model)) if model else None
    return {
        "subject": subject.as_dict(),
        "manifest": _dump(doc),
        "base_manifest": _dump(base_loaded.document) if base_loaded else None,
        "pccp": _dump(pccp_head),
        "model_doc": _dump(model_head),
        "deployment": _dump(head.doc(layout.deployment_path(model))) if model else None,
        "facts": {
            # A plan that is new with its model is the initial authorisation, not a plan change.
            "pccp_changed": pccp_base is not None and _dump(pccp_head) != _dump(pccp_base),
            "intended_use_changed": isinstance(model_head, Model) and isinstance(model_base, Model)
            and model_head.intended_use != model_base.intended_use,
            "approved_versions": sorted(base.versions(model), key=SemverKey) if model else [],
            # The authority matrix's column (policies/authority.rego): the stricter of base and head.
            "risk_class": risk_class_fact(model_head, model_base),
        },
        "approvals": [],
    }


def _production_version(deployment: BaseModel | None) -> str | None:
    if isinstance(deployment, Deployment):
        target = deployment.environments.get(Environment.PRODUCTION)
        return target.version if target else None
    return None


def _in_production(base: Snapshot, model: str) -> InProduction:
    """The version in production at ``base``: the one the no-regression gates compare with."""
    name = _production_version(base.doc(layout.deployment_path(model)))
    return InProduction(name, base.version(model, name))


def _version_context(doc: ModelVersion, head: Snapshot, production: ModelVersion | None) -> dict[str, Any]:
    pccp = head.doc(layout.pccp_path(doc.model))
    authorised = head.version(doc.model, pccp.authorised_baseline) if isinstance(pccp, PCCP) else None
    return {"parent": _dump(head.version(doc.model, doc.parent)), "production": _dump(production),
            "authorised": _dump(authorised)}


def _shipped(doc: ModelVersion, head: Snapshot, base: Snapshot) -> dict[str, Any]:
    """facts.modifications, read only when the plan asks for a cumulative assessment (it loads
    every version of the model at the base)."""
    pccp = _pccp(head, doc.model)
    if pccp is None or pccp.cumulative_assessment_after is None:
        return {}
    names = sorted(base.versions(doc.model), key=SemverKey)
    base.prefetch(layout.version_path(doc.model, v) for v in names)
    return {"modifications": shipped_facts(doc, pccp, {v: base.version(doc.model, v) for v in names})}


def _version_facts(doc: ModelVersion, head: Snapshot, production: ModelVersion | None,
                   defaults: dict[str, Any]) -> dict[str, Any]:
    pccp = head.doc(layout.pccp_path(doc.model))
    pccp = pccp if isinstance(pccp, PCCP) else None
    authorised = head.version(doc.model, pccp.authorised_baseline) if pccp else None
    return version_facts(doc, parent=head.version(doc.model, doc.parent), production=production,
                         authorised=authorised, pccp=pccp, defaults=defaults)


def version_facts(doc: ModelVersion, *, parent: ModelVersion | None, production: ModelVersion | None,
                  authorised: ModelVersion | None, pccp: PCCP | None,
                  defaults: dict[str, Any]) -> dict[str, Any]:
    """The ``facts`` of a ModelVersion subject, from documents alone (no Git needed)."""
    validation = doc.validation
    return {
        "first_version": doc.parent is None,
        "diff": facts.diff(parent, doc),
        "metrics": facts.metrics(doc, parent=parent, production=production, authorised=authorised),
        "locked_set_matches_pccp": pccp is not None
        and validation.dataset.sha256 == pccp.locked_validation_set.sha256,
        "validation_set_locked": validation.dataset.locked,
        "evidence_present": validation.evidence is not None,
        "reference_standard_matches_pccp": pccp is not None
        and validation.reference_standard.name == pccp.reference_standard,
        "criteria_e4": facts.criteria_e4(pccp, defaults),
        "independence": independence_facts(doc, pccp),
    }


def _release_of(version: ModelVersion | None, sites: list[str] | None) -> dict[str, Any] | None:
    return release_facts(version.change.release if version else None, sites)


def _deployment_facts(model: str, head: Snapshot, base: Snapshot) -> dict[str, Any]:
    now = head.doc(layout.deployment_path(model))
    before = base.doc(layout.deployment_path(model))
    if not isinstance(now, Deployment):
        return {}
    before = before if isinstance(before, Deployment) else None
    exists, approved = head.versions(model), base.versions(model)
    environments = {}
    for env, target in now.environments.items():
        previous = before.environments.get(env) if before else None
        environments[env.value] = {
            "version": target.version, "exists": target.version in exists,
            "approved": target.version in approved,
            "changed": previous is None or previous.version != target.version,
            "sites": list(target.sites or []),
            "release": _release_of(head.version(model, target.version), target.sites),
        }
    prod_now, prod_before = _production_version(now), _production_version(before)
    rollback = now.rollback_target
    return {
        "environments": environments,
        "rollback_target": None if rollback is None else {
            "version": rollback, "exists": rollback in exists, "was_approved": rollback in approved},
        # A rollback must explain itself: the rationale has to be rewritten, not inherited.
        "rationale_present": before is None or now.change.rationale != before.change.rationale,
        "production_changed": prod_now != prod_before,
        "is_rollback": prod_now is not None and prod_before is not None
        and SemverKey(prod_now) < SemverKey(prod_before),
    }
