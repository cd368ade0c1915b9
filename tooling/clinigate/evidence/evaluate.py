"""Overall and per-subgroup metrics of one predictions file (``clinigate evaluate``, DESIGN §14).

The scores are sorted once; each subgroup is a boolean mask over the sorted arrays, so the order
holds in every group and no group is sorted again (a million rows × 30 groups in well under the
3 s the benchmark asks). A group below the PCCP's minimum n is computed and flagged, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import metrics
from .metrics import AucEstimate, Confusion
from .predictions import Predictions, PredictionsInvalid

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

CI_METHODS = ("delong", "bootstrap")


@dataclass(frozen=True)
class Spec:
    """How the numbers were computed: recorded beside them so the gate can recompute them."""

    label: str
    score: str
    threshold: float
    subgroups: tuple[str, ...]
    ci_method: str = "delong"
    resamples: int = 200
    seed: int = 0


@dataclass(frozen=True)
class GroupResult:
    attribute: str | None  # None for the whole population
    group: str | None
    n: int
    positives: int
    auc: AucEstimate | None
    confusion: Confusion
    calibration_slope: float | None
    brier: float
    below_min_n: bool = False

    @property
    def prevalence(self) -> float:
        return self.positives / self.n


@dataclass(frozen=True)
class Evaluation:
    spec: Spec
    predictions: Predictions
    overall: GroupResult
    subgroups: list[GroupResult] = field(default_factory=list)
    min_subgroup_n: int | None = None

    @property
    def small_groups(self) -> list[GroupResult]:
        return [g for g in self.subgroups if g.below_min_n]



def evaluate(predictions: Predictions, spec: Spec, *, min_subgroup_n: int | None = None) -> Evaluation:
    import numpy as np

    if spec.ci_method not in CI_METHODS:
        raise ValueError(f"ci_method must be one of {CI_METHODS}")
    order = np.argsort(predictions.scores, kind="stable")
    scores, labels = predictions.scores[order], predictions.labels[order]
    logits = metrics.logit(scores)  # once for every group's calibration slope
    overall = _group(scores, labels, logits, spec, None, None)
    if overall.auc is None:
        only = "positive" if overall.positives else "negative"
        raise PredictionsInvalid(f"{predictions.source}: every label is {only}, so no AUC exists",
                                 hint="the validation set needs both outcomes")
    results = []
    for attribute in spec.subgroups:
        grouping = predictions.grouping[attribute]
        codes = grouping.codes[order]
        for code, group in enumerate(grouping.names):
            mask = codes == code
            results.append(_group(scores[mask], labels[mask], logits[mask], spec, attribute, group,
                                  min_subgroup_n))
    return Evaluation(spec, predictions, overall, results, min_subgroup_n)


def _group(scores: NDArray[np.float64], labels: NDArray[np.bool_], logits: NDArray[np.float64], spec: Spec,
           attribute: str | None, group: str | None, min_n: int | None = None) -> GroupResult:
    if spec.ci_method == "bootstrap":
        auc = metrics.bootstrap_sorted(scores, labels, spec.resamples, spec.seed)
    else:
        auc = metrics.delong_sorted(scores, labels)
    return GroupResult(attribute, group, int(labels.size), int(labels.sum()), auc,
                       metrics.confusion_sorted(scores, labels, spec.threshold),
                       metrics.calibration_slope(scores, labels, logits), metrics.brier(scores, labels),
                       below_min_n=min_n is not None and labels.size < min_n)
