"""The metrics against scikit-learn, scipy and a published DeLong example (issue 14 acceptance)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from sklearn import metrics as skm
from sklearn.linear_model import LogisticRegression

from clinigate.evidence import metrics

DATA = Path(__file__).parent / "data"


def _sorted(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(scores, kind="stable")
    return scores[order], labels[order]


def _random(seed: int, n: int, ties: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.random(n) < rng.uniform(0.05, 0.5)
    scores = 1 / (1 + np.exp(-(rng.normal(size=n) + 1.2 * labels - 1.5)))
    if ties:
        scores = np.round(scores, 2)  # many ties, as a score rounded for display has
    return _sorted(scores, labels)


@pytest.mark.parametrize("seed", range(12))
def test_auc_brier_and_confusion_equal_scikit_learn(seed: int) -> None:
    scores, labels = _random(seed, 500 + 97 * seed, ties=seed % 2 == 0)
    threshold = float(np.quantile(scores, 0.7))
    assert metrics.auc_roc(scores, labels) == pytest.approx(skm.roc_auc_score(labels, scores), abs=1e-12)
    assert metrics.brier(scores, labels) == pytest.approx(skm.brier_score_loss(labels, scores), abs=1e-12)
    called = scores >= threshold
    tn, fp, fn, tp = skm.confusion_matrix(labels, called).ravel()
    c = metrics.confusion_sorted(scores, labels, threshold)
    assert (c.tp, c.fp, c.tn, c.fn) == (tp, fp, tn, fn)
    assert c.sensitivity.estimate == pytest.approx(skm.recall_score(labels, called), abs=1e-12)
    assert c.ppv.estimate == pytest.approx(skm.precision_score(labels, called), abs=1e-12)
    assert c.specificity.estimate == pytest.approx(skm.recall_score(~labels, ~called), abs=1e-12)
    assert c.npv.estimate == pytest.approx(skm.precision_score(~labels, ~called), abs=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_calibration_slope_equals_an_unpenalised_logistic_fit(seed: int) -> None:
    scores, labels = _random(seed, 2000, ties=False)
    logit = np.log(scores / (1 - scores)).reshape(-1, 1)
    fit = LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-14, max_iter=1000)
    fit.fit(logit, labels)
    assert metrics.calibration_slope(scores, labels) == pytest.approx(fit.coef_[0][0], abs=1e-9)


def test_calibration_slope_is_absent_where_it_does_not_exist() -> None:
    scores = np.array([0.1, 0.2, 0.3, 0.4])
    assert metrics.calibration_slope(scores, np.array([False] * 4)) is None  # one class
    assert metrics.calibration_slope(np.full(4, 0.3), np.array([False, True, False, True])) is None
    assert metrics.calibration_slope(scores, np.array([False, False, True, True])) is None  # separated


def _delong_by_definition(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """DeLong et al. (1988) as written: the pairwise kernel and its structural components."""
    pos, neg = scores[labels], scores[~labels]
    kernel = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = kernel.mean(axis=1), kernel.mean(axis=0)
    return kernel.mean(), v10.var(ddof=1) / pos.size + v01.var(ddof=1) / neg.size


@pytest.mark.parametrize("seed", range(8))
def test_delong_variance_equals_its_definition(seed: int) -> None:
    scores, labels = _random(seed, 300, ties=seed % 2 == 1)
    auc, variance = _delong_by_definition(scores, labels)
    estimate = metrics.delong_sorted(scores, labels)
    assert estimate is not None
    assert (estimate.auc, estimate.variance) == (pytest.approx(auc, abs=1e-12), pytest.approx(variance, abs=1e-14))


def test_delong_ci_equals_proc_on_its_published_example() -> None:
    """pROC (Robin et al. 2011): ``ci.auc(aSAH$outcome, aSAH$s100b)`` prints
    "Area under the curve: 0.7314, 95% CI: 0.6301-0.8326 (DeLong)"."""
    rows = [line.strip().split(",") for line in (DATA / "asah_s100b.csv").read_text().splitlines()
            if line and not line.startswith("#")][1:]
    labels = np.array([outcome == "Poor" for outcome, _ in rows])
    scores = np.array([float(value) for _, value in rows])
    assert (labels.size, int(labels.sum())) == (113, 41)
    estimate = metrics.delong_sorted(*_sorted(scores, labels))
    assert estimate is not None
    assert estimate.auc == pytest.approx(0.7314, abs=1e-4)
    assert estimate.ci95 == (pytest.approx(0.6301, abs=1e-4), pytest.approx(0.8326, abs=1e-4))


@pytest.mark.parametrize(("k", "n"), [(0, 10), (1, 10), (5, 10), (10, 10), (81, 263), (3, 1000)])
def test_wilson_interval_equals_scipy(k: int, n: int) -> None:
    expected = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    p = metrics.wilson(k, n)
    assert p.ci95 == (pytest.approx(expected.low, abs=1e-12), pytest.approx(expected.high, abs=1e-12))
    assert metrics.wilson(0, 0).estimate is None


def test_one_class_has_no_auc() -> None:
    scores = np.array([0.1, 0.5, 0.9])
    assert metrics.delong_sorted(scores, np.array([True] * 3)) is None
    assert metrics.bootstrap_sorted(scores, np.array([False] * 3), 10, 0) is None


def test_bootstrap_is_seeded_stratified_and_agrees_with_delong_on_a_large_sample() -> None:
    scores, labels = _random(3, 4000, ties=True)
    one = metrics.bootstrap_sorted(scores, labels, 300, seed=7)
    assert one == metrics.bootstrap_sorted(scores, labels, 300, seed=7)
    delong = metrics.delong_sorted(scores, labels)
    assert one is not None and delong is not None
    assert one.auc == delong.auc
    assert np.sqrt(one.variance) == pytest.approx(np.sqrt(delong.variance), rel=0.15)
    # each resample's weighted AUC equals scikit-learn's on the rows it drew
    rng = np.random.default_rng(11)
    pos_at, neg_at = np.flatnonzero(labels), np.flatnonzero(~labels)
    drawn = np.r_[rng.choice(pos_at, pos_at.size), rng.choice(neg_at, neg_at.size)]
    weights = np.bincount(drawn, minlength=scores.size).astype(float)
    starts = np.flatnonzero(np.r_[True, scores[1:] != scores[:-1]])
    block = np.cumsum(np.r_[True, scores[1:] != scores[:-1]]) - 1
    ours = metrics._weighted_auc(weights[pos_at], weights[neg_at], pos_at, neg_at, starts, block)
    assert ours == pytest.approx(skm.roc_auc_score(labels[drawn], scores[drawn]), abs=1e-12)


@pytest.mark.slow
def test_delong_interval_covers_the_true_auc_about_95_percent_of_the_time() -> None:
    """Binormal data: negatives N(0, 1), positives N(mu, 1), so the true AUC is Phi(mu / sqrt 2)."""
    rng = np.random.default_rng(2026)
    mu, true_auc, covered = 1.0, float(stats.norm.cdf(1.0 / np.sqrt(2))), 0
    for _ in range(1000):
        labels = np.r_[np.ones(150, bool), np.zeros(350, bool)]
        scores = rng.normal(size=500) + mu * labels
        estimate = metrics.delong_sorted(*_sorted(scores, labels))
        assert estimate is not None
        covered += estimate.ci95[0] <= true_auc <= estimate.ci95[1]
    assert 930 <= covered <= 970, covered
