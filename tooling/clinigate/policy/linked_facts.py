"""Facts that link a version to its model's other controlled documents (policies/risk.rego, claims.rego).

    facts.risk    the risk register (risk.yaml) at base and head: its control and hazard ids,
                  whether this pull request changes it, and the control ids the version cites
    facts.claims  the terms the intended use (model.yaml at head) covers, and what each environment
                  of the approved deployment (deployment.yaml at base) serves

Python only reads and lists; which register counts, which environment covers a claim and what is
denied is the policies' decision.
"""

from __future__ import annotations

from typing import Any

from .. import layout
from ..manifest.deployment import Deployment
from ..manifest.model import Model
from ..manifest.revision import Snapshot
from ..manifest.risk import RiskRegister
from ..manifest.version import ModelVersion


def control_id(entry: str) -> str:
    """The control an entry of ``change.risk_controls_affected`` cites: its first word.

    ``"RC-04 post-market performance monitoring"`` -> ``"RC-04"``.
    """
    words = entry.split()
    return words[0] if words else entry


def risk_facts(doc: ModelVersion, *, base: RiskRegister | None, head: RiskRegister | None,
               changed: bool) -> dict[str, Any]:
    return {
        "register_at_base": base is not None,
        "register_at_head": head is not None,
        "register_changed": changed,  # risk.yaml is among the files this pull request changes
        "base_controls": base.control_ids() if base else [],
        "head_controls": head.control_ids() if head else [],
        "base_hazards": base.hazard_ids() if base else [],
        "head_hazards": head.hazard_ids() if head else [],
        "cited_controls": [control_id(e) for e in doc.change.risk_controls_affected],
    }


def claims_facts(*, model: Model | None, deployment: Deployment | None) -> dict[str, Any]:
    intended = model.intended_use if model else None
    return {
        "intended_use": None if intended is None else {
            "care_settings": list(intended.care_settings), "populations": list(intended.populations),
            "indications": list(intended.indications)},
        "deployment_at_base": deployment is not None,
        "deployments": [] if deployment is None else [
            {"environment": env.value, "version": target.version, "care_settings": list(target.care_settings),
             "populations": list(target.populations)}
            for env, target in sorted(deployment.environments.items())],
    }


def linked_facts(doc: ModelVersion, head: Snapshot, base: Snapshot) -> dict[str, Any]:
    """``facts.risk`` and ``facts.claims`` of a version judged between ``base`` and ``head``."""
    path = layout.risk_path(doc.model)
    at_head, at_base = head.get(path), base.get(path)
    changed = (at_head.sha256 if at_head else None) != (at_base.sha256 if at_base else None)
    model, deployment = head.doc(layout.model_path(doc.model)), base.doc(layout.deployment_path(doc.model))
    return {
        "risk": risk_facts(doc, base=_register(at_base.document if at_base else None),
                           head=_register(at_head.document if at_head else None), changed=changed),
        "claims": claims_facts(model=model if isinstance(model, Model) else None,
                               deployment=deployment if isinstance(deployment, Deployment) else None),
    }


def _register(doc: object) -> RiskRegister | None:
    return doc if isinstance(doc, RiskRegister) else None
