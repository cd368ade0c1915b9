"""``clinigate evaluate``."""

from __future__ import annotations

from pathlib import Path

import click

from .. import layout
from .options import emit, repo_option, resolve_repo


@click.command()
@click.option("--predictions", required=True, type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="One row per case: the outcome, the model's score and the subgroup columns "
                   "(.csv or .parquet).")
@click.option("--label", default="label", show_default=True, metavar="COL", help="The outcome column (0/1).")
@click.option("--score", default="score", show_default=True, metavar="COL",
              help="The score column: a predicted probability in [0, 1].")
@click.option("--threshold", type=float, default=None, metavar="T",
              help="The operating point (score >= T is a positive call); with --into, the manifest's.")
@click.option("--subgroups", default=None, metavar="COLS",
              help="Comma-separated subgroup columns, e.g. age_band,sex,race,ethnicity,site; with "
                   "--into, the attributes the manifest lists.")
@click.option("--into", "into", default=None, metavar="MANIFEST",
              help="Write validation.overall, .subgroups and .evidence into this version manifest.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FILE",
              help="Write the evidence record (JSON) here; with --into, default "
                   f"{layout.evidence_dir('<m>', '<v>')}/{layout.EVIDENCE_RECORD}.")
@click.option("--predictions-uri", default=None, metavar="runs:/ID/PATH",
              help="Where the predictions are kept when they are not in the repository (an MLflow artifact).")
@click.option("--ci", "ci_method", type=click.Choice(["delong", "bootstrap"]), default="delong",
              show_default=True, help="How the AUC's 95% interval is computed.")
@click.option("--resamples", type=click.IntRange(20, 100_000), default=200, show_default=True,
              help="Bootstrap resamples (with --ci bootstrap).")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=0, show_default=True,
              help="Bootstrap seed: the same seed gives the same interval.")
@click.option("--max-bytes", type=click.IntRange(1), default=2 * 1024**3, show_default=True,
              help="Refuse a predictions file larger than this.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people; json prints the evidence record.")
@repo_option
def evaluate(predictions: Path, label: str, score: str, threshold: float | None, subgroups: str | None,
             into: str | None, out: Path | None, predictions_uri: str | None, ci_method: str, resamples: int,
             seed: int, max_bytes: int, fmt: str, repo: Path | None) -> None:
    """Compute a version's validation metrics from its predictions, instead of typing them.

    Overall and for every subgroup: n, prevalence, AUC with a 95% interval (DeLong, or a
    stratified bootstrap), sensitivity, specificity, PPV, NPV and FPR (Wilson intervals in the
    record), calibration slope and Brier score. Rows without a label or a score are counted and
    left out; a NaN or out-of-range score, a label that is not 0/1 or an empty subgroup cell
    refuses the file, naming the row and column. Groups smaller than the PCCP's minimum n are
    computed and flagged, never dropped.

    With --into, the manifest's validation.overall and validation.subgroups are replaced by
    the computed values (4 decimals) and validation.evidence records the predictions file and
    the evidence record with their SHA-256, so `clinigate check` can recompute and compare them.
    Nothing else in the manifest changes, and nothing is written if anything fails.

    \b
    Exit codes: 0 computed (and written) · 1 the predictions break a rule · 2 usage (a missing
    file or column, a file over --max-bytes) · 3 environment (the evidence extra is missing).

    \b
    Examples:
      clinigate evaluate --predictions preds.csv --threshold 0.1 --subgroups age_band,sex,race,ethnicity
      clinigate evaluate --predictions models/sepsis-ews/evidence/1.4.0/predictions.csv \\
          --label sepsis --score risk --into models/sepsis-ews/versions/1.4.0.yaml
    """
    from .._internal.extras import require

    require("numpy", "clinigate evaluate")
    require("pyarrow", "clinigate evaluate")
    from ..evidence.run import Request, run_evaluate
    from ..report.evaluate import EVALUATE_RENDERERS

    columns = tuple(c.strip() for c in subgroups.split(",") if c.strip()) if subgroups else None
    request = Request(predictions, label, score, threshold, columns, into=into, out=out,
                      predictions_uri=predictions_uri, ci_method=ci_method, resamples=resamples, seed=seed,
                      max_bytes=max_bytes)
    outcome = run_evaluate(resolve_repo(repo), request)
    emit(EVALUATE_RENDERERS, fmt, outcome)
