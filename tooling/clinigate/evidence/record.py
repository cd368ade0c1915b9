"""An evaluation as data: the evidence record (JSON) and the manifest's ``validation`` blocks.

The manifest holds numbers rounded to ``DECIMALS`` places; the record holds them unrounded, with
every count and interval, so a reviewer (and ``check``) can see exactly what was computed.
"""

from __future__ import annotations

import json
from typing import Any

from .evaluate import Evaluation, GroupResult
from .metrics import Proportion

DECIMALS = 4
RECORD_KIND = "Evidence"


class NotRecordable(ValueError):
    """A computed result the manifest's schema cannot hold (no AUC for a group, no calibration slope)."""


def _proportion(p: Proportion) -> dict[str, Any]:
    return {"estimate": p.estimate, "ci95": list(p.ci95) if p.ci95 else None,
            "successes": p.successes, "trials": p.trials}


def _group_record(g: GroupResult) -> dict[str, Any]:
    auc = g.auc
    c = g.confusion
    entry: dict[str, Any] = {"attribute": g.attribute, "group": g.group} if g.attribute else {}
    entry.update({
        "n": g.n, "positives": g.positives, "prevalence": g.prevalence,
        "auc_roc": auc.auc if auc else None, "auc_ci95": list(auc.ci95) if auc else None,
        "auc_variance": auc.variance if auc else None,
        "confusion": {"tp": c.tp, "fp": c.fp, "tn": c.tn, "fn": c.fn},
        "sensitivity": _proportion(c.sensitivity), "specificity": _proportion(c.specificity),
        "ppv": _proportion(c.ppv), "npv": _proportion(c.npv), "fpr": _proportion(c.fpr),
        "calibration_slope": g.calibration_slope, "brier": g.brier,
    })
    if g.attribute:
        entry["below_min_n"] = g.below_min_n
    return entry


def record(ev: Evaluation, *, version: str) -> dict[str, Any]:
    """The evidence file's content (``clinigate evaluate --out``)."""
    p, spec = ev.predictions, ev.spec
    return {
        "apiVersion": "clinigate/v1", "kind": RECORD_KIND, "computed_by": f"clinigate {version}",
        "predictions": {"file": p.source, "sha256": p.sha256, "rows": p.rows, "used": int(p.labels.size),
                        "missing_label": p.missing_label, "missing_score": p.missing_score},
        "spec": {"label": spec.label, "score": spec.score, "threshold": spec.threshold,
                 "subgroups": list(spec.subgroups), "ci_method": spec.ci_method,
                 **({"resamples": spec.resamples, "seed": spec.seed}
                    if spec.ci_method == "bootstrap" else {}),
                 "positive_call": "score >= threshold"},
        "min_subgroup_n": ev.min_subgroup_n,
        "overall": _group_record(ev.overall),
        "subgroups": [_group_record(g) for g in ev.subgroups],
    }


def record_text(ev: Evaluation, *, version: str) -> str:
    return json.dumps(record(ev, version=version), indent=2, sort_keys=False) + "\n"


def _r(value: float) -> float:
    return round(float(value), DECIMALS)


def _interval(low: float, high: float) -> list[float]:
    return [_r(low), _r(high)]


def overall_block(ev: Evaluation) -> dict[str, Any]:
    """``validation.overall`` as the ModelVersion schema spells it."""
    g, c = ev.overall, ev.overall.confusion
    if g.calibration_slope is None or not 0 < g.calibration_slope <= 10:
        raise NotRecordable("the calibration slope of these predictions does not exist or is outside "
                            "(0, 10] (the scores separate the outcomes, or are constant)")
    assert g.auc is not None  # evaluate() refuses a population without both outcomes
    rates = {"sensitivity": c.sensitivity, "specificity": c.specificity, "ppv": c.ppv, "npv": c.npv}
    empty = [name for name, p in rates.items() if p.estimate is None]
    if empty:
        raise NotRecordable(f"at threshold {ev.spec.threshold} {', '.join(empty)} have no cases "
                            "(no score on one side of the threshold)")
    return {"n": g.n, "prevalence": _r(g.prevalence), "auc_roc": _r(g.auc.auc),
            "auc_ci95": _interval(*g.auc.ci95),
            **{name: _r(p.estimate or 0.0) for name, p in rates.items()},
            "calibration_slope": _r(g.calibration_slope), "brier": _r(g.brier),
            "threshold": ev.spec.threshold}


def subgroup_blocks(ev: Evaluation) -> list[dict[str, Any]]:
    """``validation.subgroups``: every group, small ones included (the gate judges their n)."""
    blocks = []
    for g in ev.subgroups:
        if g.auc is None:
            only = "positive" if g.positives else "negative"
            raise NotRecordable(f"subgroup {g.attribute}={g.group} (n={g.n}) has only {only} outcomes, so "
                                "it has no AUC; the manifest cannot record it")
        c = g.confusion
        block: dict[str, Any] = {"attribute": g.attribute, "group": g.group, "n": g.n,
                                 "auc_roc": _r(g.auc.auc), "ci95": _interval(*g.auc.ci95),
                                 "prevalence": _r(g.prevalence)}
        for name, p in (("sensitivity", c.sensitivity), ("specificity", c.specificity), ("ppv", c.ppv),
                        ("fpr", c.fpr)):
            if p.estimate is not None:
                block[name] = _r(p.estimate)
        blocks.append(block)
    return blocks
