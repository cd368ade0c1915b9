"""Which MLflow metric means which manifest metric: names tried bare, then with a split prefix."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .draft import AUC_CI95_TODO, OverallMetrics, Todo

# manifest metric -> MLflow metric names that mean it (first match wins), tried bare, then prefixed
METRIC_NAMES: dict[str, tuple[str, ...]] = {
    "n": ("n", "n_samples", "n_validation", "n_eval", "example_count"),
    "prevalence": ("prevalence",),
    "auc_roc": ("auc_roc", "roc_auc", "auroc", "auc"),
    "auc_pr": ("auc_pr", "pr_auc", "auprc", "average_precision"),
    "sensitivity": ("sensitivity", "recall", "tpr", "true_positive_rate"),
    "specificity": ("specificity", "tnr", "true_negative_rate"),
    "ppv": ("ppv", "precision"),
    "npv": ("npv",),
    "calibration_slope": ("calibration_slope",),
    "brier": ("brier", "brier_score", "brier_score_loss"),
    "threshold": ("threshold", "decision_threshold"),
}
METRIC_PREFIXES = ("", "val_", "validation_", "test_", "eval_", "locked_")
CI_NAMES = (("auc_ci95_lower", "auc_ci95_upper"), ("auc_ci95_low", "auc_ci95_high"),
            ("auc_ci_lower", "auc_ci_upper"), ("auc_ci_low", "auc_ci_high"))


def first(table: Mapping[str, Any], names: tuple[str, ...], prefixes: tuple[str, ...] = ("",)) -> Any:
    """The value of the first of ``names`` in ``table`` (each name tried with every prefix in turn)."""
    for name in names:
        for prefix in prefixes:
            if prefix + name in table:
                return table[prefix + name]
    return None


def _normalised(metrics: Mapping[str, float]) -> dict[str, float]:
    return {re.sub(r"[/.\-\s]", "_", k.lower()): v for k, v in metrics.items()}


def overall_metrics(metrics: Mapping[str, float]) -> OverallMetrics:
    """``validation.overall`` from the run's metrics; a Todo for each one it did not log."""
    table = _normalised(metrics)
    found: dict[str, Any] = {}
    for target, names in METRIC_NAMES.items():
        value = first(table, names, METRIC_PREFIXES)
        if value is None:
            continue
        if target == "n":
            found[target] = int(value) if float(value).is_integer() else value
        else:
            found[target] = float(value)
    if "auc_roc" in found:
        found["auc_ci95"] = _auc_ci(table)
    return OverallMetrics(**found)


def _auc_ci(table: Mapping[str, float]) -> tuple[float, float] | Todo:
    for lower, upper in CI_NAMES:
        low, high = first(table, (lower,), METRIC_PREFIXES), first(table, (upper,), METRIC_PREFIXES)
        if low is not None and high is not None:
            return float(low), float(high)
    return AUC_CI95_TODO
