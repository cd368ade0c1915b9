"""Discrimination and calibration metrics with their 95% intervals, vectorised with numpy.

Every function takes the scores **sorted ascending** with the labels in the same order, so that a
caller evaluating many subgroups sorts a million rows once and keeps that order in each group (a
boolean mask of a sorted array is sorted). Conventions follow scikit-learn: a score at or above
the threshold is a positive call; the AUC counts a tie between a positive and a negative as one
half (the Mann-Whitney statistic).

References: DeLong, DeLong & Clarke-Pearson (1988), Biometrics 44:837 (the variance of the AUC,
computed here with the midrank algorithm of Sun & Xu (2014), IEEE SPL 21:1389); Wilson (1927),
JASA 22:209 (the score interval for a proportion); Cox (1958), Biometrika 45:562 (the calibration
slope: the logistic regression of the outcome on the logit of the predicted risk).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

Z95 = 1.959963984540054  # the 0.975 quantile of the standard normal


@dataclass(frozen=True)
class Proportion:
    """``successes / trials`` with its Wilson 95% interval; ``None`` estimate when there are no trials."""

    successes: int
    trials: int
    estimate: float | None
    ci95: tuple[float, float] | None


@dataclass(frozen=True)
class AucEstimate:
    auc: float
    variance: float  # DeLong's, or the bootstrap's sample variance
    ci95: tuple[float, float]
    method: str  # "delong" or "bootstrap"


def wilson(successes: int, trials: int) -> Proportion:
    if trials == 0:
        return Proportion(successes, trials, None, None)
    p = successes / trials
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = Z95 * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / (1 + z2 / trials)
    return Proportion(successes, trials, p, (max(0.0, centre - half), min(1.0, centre + half)))


def midranks_sorted(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """1-based ranks of ascending ``values``, ties sharing the mean of their positions."""
    import numpy as np

    n = values.size
    if n == 0:
        return np.empty(0)
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    lengths = np.diff(np.r_[starts, n])
    return np.repeat(starts + (lengths + 1) / 2.0, lengths)


def delong_sorted(scores: NDArray[np.float64], labels: NDArray[np.bool_]) -> AucEstimate | None:
    """The AUC and DeLong's variance; ``None`` when one class is absent (no AUC exists)."""
    import numpy as np

    m = int(labels.sum())
    n = labels.size - m
    if m == 0 or n == 0:
        return None
    all_ranks = midranks_sorted(scores)
    pos, neg = scores[labels], scores[~labels]
    tz_pos, tz_neg = all_ranks[labels], all_ranks[~labels]
    auc = float((tz_pos.sum() - m * (m + 1) / 2.0) / (m * n))
    v10 = (tz_pos - midranks_sorted(pos)) / n  # per positive: share of negatives scored below it
    v01 = 1.0 - (tz_neg - midranks_sorted(neg)) / m  # per negative: share of positives above it
    s10 = float(np.var(v10, ddof=1)) if m > 1 else 0.0
    s01 = float(np.var(v01, ddof=1)) if n > 1 else 0.0
    variance = s10 / m + s01 / n
    return AucEstimate(auc, variance, _normal_ci(auc, variance), "delong")


def bootstrap_sorted(scores: NDArray[np.float64], labels: NDArray[np.bool_], resamples: int,
                     seed: int) -> AucEstimate | None:
    """The AUC with a percentile bootstrap interval, stratified by class (each resample keeps the
    numbers of positives and negatives, so every resample has an AUC).

    Resampling draws multiplicities, not rows: the AUC of a weighted sample is computed from the
    already sorted scores in one pass, so no resample is sorted again.
    """
    import numpy as np

    point = delong_sorted(scores, labels)
    if point is None:
        return None
    rng = np.random.default_rng(seed)
    pos_at, neg_at = np.flatnonzero(labels), np.flatnonzero(~labels)
    boundary = np.r_[True, scores[1:] != scores[:-1]]  # where each block of tied scores starts
    starts, block = np.flatnonzero(boundary), np.cumsum(boundary) - 1
    aucs = np.empty(resamples)
    for r in range(resamples):  # a loop over resamples; each is vectorised over rows
        pos_weights = rng.multinomial(pos_at.size, np.full(pos_at.size, 1 / pos_at.size)).astype(np.float64)
        neg_weights = rng.multinomial(neg_at.size, np.full(neg_at.size, 1 / neg_at.size)).astype(np.float64)
        aucs[r] = _weighted_auc(pos_weights, neg_weights, pos_at, neg_at, starts, block)
    low, high = np.quantile(aucs, [0.025, 0.975])
    return AucEstimate(point.auc, float(np.var(aucs, ddof=1)), (float(low), float(high)), "bootstrap")


def _weighted_auc(pos_weights: NDArray[np.float64], neg_weights: NDArray[np.float64],
                  pos_at: NDArray[np.int64], neg_at: NDArray[np.int64], starts: NDArray[np.int64],
                  block: NDArray[np.int64]) -> float:
    """The AUC of a sample in which row ``pos_at[i]`` appears ``pos_weights[i]`` times (and so for
    negatives): each positive is credited the negative weight below it, half of that tied with it."""
    import numpy as np

    negatives = np.zeros(block.size)
    negatives[neg_at] = neg_weights
    per_block = np.add.reduceat(negatives, starts)
    below = np.cumsum(per_block) - per_block  # negative weight strictly below each tie block
    credit = below[block[pos_at]] + 0.5 * per_block[block[pos_at]]
    return float((pos_weights * credit).sum() / (pos_at.size * neg_at.size))


def _normal_ci(auc: float, variance: float) -> tuple[float, float]:
    half = Z95 * math.sqrt(max(variance, 0.0))
    return max(0.0, auc - half), min(1.0, auc + half)


def auc_roc(scores: NDArray[np.float64], labels: NDArray[np.bool_]) -> float | None:
    estimate = delong_sorted(scores, labels)
    return None if estimate is None else estimate.auc


def brier(scores: NDArray[np.float64], labels: NDArray[np.bool_]) -> float:
    import numpy as np

    return float(np.mean((scores - labels) ** 2))


def logit(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    """log(p / (1 - p)), with p clipped to [1e-15, 1 - 1e-15] so 0 and 1 stay finite."""
    import numpy as np

    clipped = np.clip(scores, 1e-15, 1 - 1e-15)
    out: NDArray[np.float64] = np.log(clipped) - np.log1p(-clipped)
    return out


def calibration_slope(scores: NDArray[np.float64], labels: NDArray[np.bool_],
                      logits: NDArray[np.float64] | None = None) -> float | None:
    """Slope of the logistic recalibration ``logit P(y) = a + b·logit(score)`` by Newton's method.

    ``None`` when it does not exist: one class only, constant scores, or a logit that separates
    the classes perfectly (the maximum-likelihood slope is then infinite).
    """
    import numpy as np

    y = labels.astype(np.float64)
    if y.size == 0 or y.min() == y.max():
        return None
    x = logit(scores) if logits is None else logits
    if x.min() == x.max():
        return None
    a, b = 0.0, 1.0
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(a + b * x)))
        w = p * (1.0 - p)
        r = y - p
        g0, g1 = r.sum(), (r * x).sum()
        h00, h01, h11 = w.sum(), (w * x).sum(), (w * x * x).sum()
        det = h00 * h11 - h01 * h01
        if not det > 1e-300 * max(1.0, h00 * h11):
            return None
        da, db = (h11 * g0 - h01 * g1) / det, (h00 * g1 - h01 * g0) / det
        a, b = a + da, b + db
        if not math.isfinite(b) or abs(b) > 1e6:
            return None  # separated: the slope runs away
        if abs(da) + abs(db) < 1e-12 * (1.0 + abs(a) + abs(b)):
            return float(b)
    return None


@dataclass(frozen=True)
class Confusion:
    """Counts at the operating point (a score ≥ threshold is a positive call)."""

    tp: int
    fp: int
    tn: int
    fn: int

    @property
    def sensitivity(self) -> Proportion:
        return wilson(self.tp, self.tp + self.fn)

    @property
    def specificity(self) -> Proportion:
        return wilson(self.tn, self.tn + self.fp)

    @property
    def ppv(self) -> Proportion:
        return wilson(self.tp, self.tp + self.fp)

    @property
    def npv(self) -> Proportion:
        return wilson(self.tn, self.tn + self.fn)

    @property
    def fpr(self) -> Proportion:
        return wilson(self.fp, self.fp + self.tn)


def confusion_sorted(scores: NDArray[np.float64], labels: NDArray[np.bool_], threshold: float) -> Confusion:
    import numpy as np

    cut = int(np.searchsorted(scores, threshold, side="left"))  # scores[cut:] >= threshold
    called = labels[cut:]
    tp = int(called.sum())
    fp = called.size - tp
    fn = int(labels[:cut].sum())
    return Confusion(tp, fp, cut - fn, fn)
