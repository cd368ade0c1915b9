"""``clinigate monitor``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .options import emit, repo_option, resolve_repo


@click.command()
@click.option("--reference", required=True, type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="The baseline: the validation set's predictions (CSV or Parquet).")
@click.option("--current", required=True, type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Production's predictions for the period, with their observed outcomes.")
@click.option("--model", required=True, metavar="NAME", help="The model folder under models/.")
@click.option("--version", default=None, metavar="SEMVER",
              help="The version that produced them (default: the one in production).")
@click.option("--label", default="label", show_default=True, metavar="COL", help="The outcome column.")
@click.option("--score", default="score", show_default=True, metavar="COL", help="The score column.")
@click.option("--id", "report_id", default=None, metavar="ID",
              help="The report's id and file name (default: <today>-<version>).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people; json prints the report with its path and whether it breached.")
@repo_option
def monitor(reference: Path, current: Path, model: str, version: str | None, label: str, score: str,
            report_id: str | None, fmt: str, repo: Path | None) -> None:
    """Compare production with the validated baseline and write a MonitoringReport.

    Input drift: the population stability index (PSI) of the score and of every numeric training
    feature both files carry, binned at the reference's deciles (below 0.1 stable, above 0.25
    a major shift). Performance: the AUROC now with its DeLong 95% interval, overall and for each
    subgroup attribute the version's monitoring plan tracks, against the manifest's validated
    value. Each is judged by the version's `monitoring` thresholds: a PSI above drift.threshold,
    or an AUROC drop beyond performance.max_drop whose validated value lies above the current
    95% interval (not sampling noise). Every breached trigger names the PCCP modification it
    opens.

    The report is written to models/<model>/monitoring/<id>.yaml (never over an existing one). A
    new version that answers it cites it in change.problem_reports as `monitoring/<id>`, and
    validate checks that the report exists.

    \b
    Exit codes: 0 report written, nothing breached · 1 report written, a trigger breached ·
    2 usage (a missing file, column or version; the report exists) · 3 environment.

    \b
    Example:
      clinigate monitor --model sepsis-ews --reference validation.parquet --current 2026-q4.parquet
    """
    from .._internal.extras import require

    require("numpy", "clinigate monitor")
    require("pyarrow", "clinigate monitor")
    from ..evidence.monitor import MonitorRequest, run_monitor
    from ..report.monitor import MONITOR_RENDERERS

    outcome = run_monitor(resolve_repo(repo), MonitorRequest(
        reference=reference, current=current, model=model, version=version, label=label, score=score,
        report_id=report_id))
    emit(MONITOR_RENDERERS, fmt, outcome)
    if outcome.breached:
        sys.exit(1)
