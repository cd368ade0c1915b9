"""``clinigate evaluate``'s core against the obvious alternative, side by side in one run.

    python benchmarks/bench_evaluate.py --rows 1000000 --runs 5    # the figures in benchmarks/README.md
    python benchmarks/bench_evaluate.py --rows 20000 --runs 1 --resamples 20   # .ci/run's smoke run

The data: ``--rows`` synthetic predictions (outcome, score) with five subgroup attributes that
partition the rows into 30 groups (age band 5, sex 2, race 7, ethnicity 3, site 13), read from a
Parquet file. Rows:

- clinigate: ``read_predictions`` + ``evaluate`` (overall and the 30 groups, each with its AUC and
  DeLong interval, confusion counts with Wilson intervals, calibration slope, Brier).
- scikit-learn + bootstrap: for the whole set and each group, ``roc_auc_score`` on ``--resamples``
  stratified resamples (the usual way to get an AUC interval without DeLong), reading the same
  file with pyarrow. Only the AUC and its interval: less work than clinigate's row.

The target (issue 14): 1,000,000 rows × 30 groups with DeLong intervals ≤ 3 s median.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ATTRIBUTES = {"age_band": 5, "sex": 2, "race": 7, "ethnicity": 3, "site": 13}


def write_data(path: Path, rows: int, seed: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    outcome = rng.random(rows) < 0.08
    score = 1 / (1 + np.exp(-(rng.normal(size=rows) + 1.6 * outcome - 2.5)))
    groups = {a: np.array([f"{a}-{i}" for i in range(k)], dtype=object)[rng.integers(0, k, rows)]
              for a, k in ATTRIBUTES.items()}
    pq.write_table(pa.table({"label": outcome.astype(np.int8), "score": score, **groups}), path)


def clinigate_run(path: Path) -> Callable[[], object]:
    from clinigate.evidence.evaluate import Spec, evaluate
    from clinigate.evidence.predictions import read_predictions

    spec = Spec("label", "score", 0.1, tuple(ATTRIBUTES))

    def run() -> object:
        predictions = read_predictions(path, label="label", score="score", subgroups=list(ATTRIBUTES))
        result = evaluate(predictions, spec, min_subgroup_n=100)
        assert len(result.subgroups) == sum(ATTRIBUTES.values())
        return result
    return run


def sklearn_run(path: Path, resamples: int, seed: int) -> Callable[[], object]:
    import numpy as np
    import pyarrow.parquet as pq
    from sklearn.metrics import roc_auc_score

    def interval(y: np.ndarray, s: np.ndarray, rng: np.random.Generator) -> tuple[float, float, float]:
        pos, neg = np.flatnonzero(y), np.flatnonzero(~y)
        aucs = [roc_auc_score(y[idx], s[idx]) for idx in (
            np.r_[rng.choice(pos, pos.size), rng.choice(neg, neg.size)] for _ in range(resamples))]
        low, high = np.quantile(aucs, [0.025, 0.975])
        return roc_auc_score(y, s), float(low), float(high)

    def run() -> object:
        table = pq.read_table(path).to_pydict()
        y = np.asarray(table["label"], dtype=bool)
        s = np.asarray(table["score"], dtype=float)
        rng = np.random.default_rng(seed)
        out = [interval(y, s, rng)]
        for attribute in ATTRIBUTES:
            values = np.asarray(table[attribute], dtype=object)
            for group in sorted(set(values.tolist())):
                mask = values == group
                out.append(interval(y[mask], s[mask], rng))
        return out
    return run


def median_s(fn: Callable[[], object], runs: int) -> tuple[float, list[float]]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--resamples", type=int, default=200, help="bootstrap resamples for the baseline")
    parser.add_argument("--sklearn-runs", type=int, default=None,
                        help="runs of the (slow) baseline; default --runs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.rows < 1000 or args.runs < 1:
        parser.error("--rows must be ≥ 1000 and --runs ≥ 1")
    with tempfile.TemporaryDirectory(prefix="clinigate-bench-evaluate-") as tmp:
        path = Path(tmp) / "predictions.parquet"
        write_data(path, args.rows, args.seed)
        ours_fn, theirs_fn = clinigate_run(path), sklearn_run(path, args.resamples, args.seed)
        ours_fn()  # warm-up: imports
        ours, ours_samples = median_s(ours_fn, args.runs)
        theirs, theirs_samples = median_s(theirs_fn, args.sklearn_runs or args.runs)
        ours_after, _ = median_s(ours_fn, args.runs)  # again after, so drift in the machine shows
    groups = sum(ATTRIBUTES.values())
    print("# clinigate evaluate benchmark\n")
    print(f"{args.rows:,} predictions × {groups} subgroups (+ overall), Parquet; load average "
          f"{Path('/proc/loadavg').read_text().split()[0]}\n")
    print("| what | runs | median (s) | min–max (s) |\n|---|---|---|---|")
    print(f"| clinigate: read + all metrics, DeLong CIs | {len(ours_samples)} | {ours:.3f} | "
          f"{min(ours_samples):.3f}–{max(ours_samples):.3f} |")
    print(f"| scikit-learn roc_auc_score + {args.resamples}-resample bootstrap (AUC only) | "
          f"{len(theirs_samples)} | {theirs:.3f} | {min(theirs_samples):.3f}–{max(theirs_samples):.3f} |")
    print(f"| clinigate again, after the baseline | {args.runs} | {ours_after:.3f} | |")
    print(f"\nratio: the bootstrap baseline takes {theirs / ours:.1f}× clinigate's median.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
