"""Facts the policies need but must not compute themselves (DESIGN §4, rego-engines.md §8).

Numbers are handed over as integers in units of 1/10,000 (``*_e4``) computed with decimal
arithmetic from the literals in the manifests, so 0.90 − 0.80 ≤ 0.10 holds in every engine.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..manifest.pccp import PCCP
from ..manifest.values import ChangeClass
from ..manifest.version import ModelVersion

E4 = Decimal(10_000)


def e4(value: float) -> int:
    """0.873 → 8730, exactly as written (via the shortest repr, never binary float error)."""
    return int((Decimal(repr(value)) * E4).to_integral_value())


def _same_number(a: object, b: object) -> bool:
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool) \
            and not isinstance(b, bool):
        return Decimal(repr(a)) == Decimal(repr(b))
    return a == b


def _same_params(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Hyperparameters equal up to number spelling (1 == 1.0)."""
    return a.keys() == b.keys() and all(_same_number(a[k], b[k]) for k in a)


def diff(parent: ModelVersion | None, child: ModelVersion) -> dict[str, bool]:
    """Which model-affecting parts changed; all false for a first version."""
    if parent is None:
        return dict.fromkeys(_DIFF_KEYS, False)
    p, c = parent, child
    pt, ct = p.training, c.training
    pd, cd = pt.dataset, ct.dataset
    return {
        "algorithm_type": pt.algorithm.type != ct.algorithm.type,
        "framework": pt.algorithm.framework.lower() != ct.algorithm.framework.lower(),
        "hyperparameters": not _same_params(pt.algorithm.hyperparameters, ct.algorithm.hyperparameters),
        "features": (pt.features.set, pt.features.version, pt.features.names)
        != (ct.features.set, ct.features.version, ct.features.names),
        "training_data": (pd.sha256, pd.version, pd.date_range, pd.size, pd.sites)
        != (cd.sha256, cd.version, cd.date_range, cd.size, cd.sites),
        "artifact": p.artifact.sha256 != c.artifact.sha256,
        "validation_set": p.validation.dataset.sha256 != c.validation.dataset.sha256,
        "reference_standard": p.validation.reference_standard.name
        != c.validation.reference_standard.name,
        "model_card": p.model_card != c.model_card,
        "monitoring": p.monitoring != c.monitoring,
    }


_DIFF_KEYS = ("algorithm_type", "framework", "hyperparameters", "features", "training_data",
              "artifact", "validation_set", "reference_standard", "model_card", "monitoring")


def _regression(reference: ModelVersion | None, child: ModelVersion) -> int | None:
    if reference is None:
        return None
    return e4(reference.validation.overall.auc_roc) - e4(child.validation.overall.auc_roc)


def metrics(child: ModelVersion, *, parent: ModelVersion | None, production: ModelVersion | None,
            authorised: ModelVersion | None) -> dict[str, Any]:
    overall = e4(child.validation.overall.auc_roc)
    return {
        "overall_auc_e4": overall,
        "overall_n": child.validation.overall.n,
        "subgroups": [
            {"attribute": s.attribute.value, "group": s.group, "n": s.n,
             "auc_e4": e4(s.auc_roc), "gap_e4": overall - e4(s.auc_roc)}
            for s in child.validation.subgroups
        ],
        "attributes_present": sorted({s.attribute.value for s in child.validation.subgroups}),
        "regression_vs_parent_e4": _regression(parent, child),
        "regression_vs_production_e4": _regression(production, child),
        "regression_vs_authorised_e4": _regression(authorised, child),
    }


def criteria_e4(pccp: PCCP | None, defaults: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Acceptance criteria per change class, the PCCP's over the defaults, in 1/10,000."""
    base = defaults.get("acceptance", {})
    out: dict[str, dict[str, Any]] = {}
    for change_class in ChangeClass:
        plan = pccp.change_classes.get(change_class) if pccp else None
        given = plan.acceptance.model_dump(mode="json") if plan else {}
        merged = {**base, **given}
        out[change_class.value] = {
            "min_auc_e4": e4(merged["min_auc"]),
            "max_subgroup_gap_e4": e4(merged["max_subgroup_gap"]),
            "max_regression_e4": e4(merged["max_regression"]),
            "min_subgroup_n": int(merged["min_subgroup_n"]),
            "required_subgroup_attributes": sorted(merged["required_subgroup_attributes"]),
            "require_locked_validation_set": bool(merged["require_locked_validation_set"]),
            "require_evidence": bool(merged.get("require_evidence", False)),
            "require_external_validation": bool(merged.get("require_external_validation", False)),
            "require_patient_overlap_check": bool(merged.get("require_patient_overlap_check", False)),
        }
    return out
