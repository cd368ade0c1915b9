"""Deterministic synthetic predictions for a bundled model: what the demo and the tests evaluate.

Each case gets one group per subgroup attribute the manifest lists (an attribute with a single
listed group, such as a clinical flag, gets its complement too), an outcome at the manifest's
prevalence, and a score from a binormal model whose separation gives roughly the manifest's AUC.
``shift`` moves every score's logit, as a drifted population would.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any


def predictions_table(manifest: dict[str, Any], *, rows: int, seed: int, shift: float = 0.0,
                      label: str = "label", score: str = "score") -> Any:
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    validation = manifest["validation"]
    overall = validation["overall"]
    columns: dict[str, Any] = {}
    for attribute, groups in _groups(validation["subgroups"]).items():
        columns[attribute] = rng.choice(np.array(groups, dtype=object), rows)
    outcome = rng.random(rows) < overall["prevalence"]
    separation = math.sqrt(2) * _probit(overall["auc_roc"])  # binormal: AUC = Phi(d / sqrt 2)
    logit = rng.normal(size=rows) + separation * outcome + _base_logit(overall["prevalence"]) + shift
    scores = 1 / (1 + np.exp(-logit))
    return pa.table({label: outcome.astype(np.int8), score: np.round(scores, 6), **columns})


def write_predictions(path: Path, manifest: dict[str, Any], **options: Any) -> Path:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = predictions_table(manifest, **options)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        pq.write_table(table, path)
    else:
        pacsv.write_csv(table, path)
    return path


def _groups(subgroups: list[dict[str, Any]]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for entry in subgroups:
        groups.setdefault(entry["attribute"], []).append(entry["group"])
    return {a: g if len(g) > 1 else [*g, f"Not: {g[0]}"] for a, g in groups.items()}


def _probit(p: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(p)


def _base_logit(prevalence: float) -> float:
    return math.log(prevalence / (1 - prevalence)) - 1.0
