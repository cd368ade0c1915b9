"""``clinigate monitor`` on a real registry: reports written, triggers fired, citations checked."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from testing.fixtures import CliResult

from clinigate.demo.synthetic import write_predictions
from clinigate.manifest.loader import load_file
from clinigate.manifest.monitoring_report import MonitoringReport

SEPSIS = "models/sepsis-ews"
PRODUCTION = "1.2.0"  # models/sepsis-ews/deployment.yaml


@pytest.fixture
def files(registry: Path, tmp_path: Path) -> dict[str, Path]:
    manifest = yaml.safe_load((registry / SEPSIS / f"versions/{PRODUCTION}.yaml").read_text())
    return {name: write_predictions(tmp_path / f"{name}.parquet", manifest, rows=rows, seed=seed, shift=shift)
            for name, rows, seed, shift in (("reference", 20_000, 1, 0.0), ("stable", 8_000, 2, 0.0),
                                            ("shifted", 8_000, 3, 0.8))}


def _monitor(run_cli: Callable[..., CliResult], registry: Path, files: dict[str, Path], current: str,
             *extra: str) -> CliResult:
    return run_cli("monitor", "--model", "sepsis-ews", "--reference", str(files["reference"]),
                   "--current", str(files[current]), "--id", current, *extra, cwd=registry)


def test_a_stable_period_breaches_nothing(registry: Path, files: dict[str, Path],
                                          run_cli: Callable[..., CliResult]) -> None:
    result = _monitor(run_cli, registry, files, "stable")
    assert result.code == 0, result.stdout + result.stderr
    assert "no trigger breached" in result.stdout and f"wrote {SEPSIS}/monitoring/stable.yaml" in result.stdout
    report = load_file(registry, f"{SEPSIS}/monitoring/stable.yaml")
    assert isinstance(report.document, MonitoringReport) and not report.findings, report.findings
    assert report.document.version == PRODUCTION and report.document.triggers == []
    (score,) = [d for d in report.document.drift if d.feature == "score"]
    assert score.psi < 0.05 and not score.breached


def test_a_shifted_score_fires_the_psi_trigger_naming_the_modification(
        registry: Path, files: dict[str, Path], run_cli: Callable[..., CliResult]) -> None:
    result = _monitor(run_cli, registry, files, "shifted")
    assert result.code == 1, result.stdout + result.stderr
    report = load_file(registry, f"{SEPSIS}/monitoring/shifted.yaml").document
    assert isinstance(report, MonitoringReport)
    (trigger,) = [t for t in report.triggers if t.on == "drift"]
    assert trigger.starts.value == "data_update" and "PSI of score" in trigger.what
    assert trigger.modification is not None and trigger.modification.startswith("Modification M1")
    assert re.search(r"PSI of score is \d\.\d{3}, above 0\.2: starts data_update", result.stdout)
    assert run_cli("validate", cwd=registry).code == 0


def test_a_version_citing_a_report_must_name_one_that_exists(
        registry: Path, files: dict[str, Path], run_cli: Callable[..., CliResult]) -> None:
    assert _monitor(run_cli, registry, files, "shifted").code == 1
    path = registry / SEPSIS / "versions/1.3.0.yaml"
    text = path.read_text()
    cited = re.sub(r"(?m)^  problem_reports:\n(    - .*\n)+", "  problem_reports:\n    - monitoring/shifted\n"
                   "    - monitoring/2026-q9\n", text, count=1)
    assert cited != text
    path.write_text(cited)
    result = run_cli("validate", f"{SEPSIS}/versions/1.3.0.yaml", cwd=registry)
    assert result.code == 1
    findings = [line for line in result.stdout.splitlines() if "xref.problem_report" in line]
    assert len(findings) == 1 and "monitoring/2026-q9 is not a monitoring report of sepsis-ews" in findings[0]
    assert "change.problem_reports[1]" in findings[0] and "its reports: shifted" in findings[0]


def test_bad_input_writes_nothing(registry: Path, files: dict[str, Path], tmp_path: Path,
                                  run_cli: Callable[..., CliResult]) -> None:
    result = _monitor(run_cli, registry, files, "stable", "--score", "risk")
    assert result.code == 2 and "has no column 'risk'" in result.stderr
    assert not (registry / SEPSIS / "monitoring").exists()
    assert _monitor(run_cli, registry, files, "stable").code == 0
    again = _monitor(run_cli, registry, files, "stable")
    assert again.code == 2 and "already exists; nothing was written" in again.stderr
    unknown = run_cli("monitor", "--model", "no-such-model", "--reference", str(files["reference"]),
                      "--current", str(files["stable"]), cwd=registry)
    assert unknown.code == 2 and "no folder models/no-such-model/" in unknown.stderr
    for option, value in (("--id", "../../escaped"), ("--model", "../models/sepsis-ews")):
        args = {"--id": "x", "--model": "sepsis-ews", option: value}
        escaped = run_cli("monitor", "--model", args["--model"], "--reference", str(files["reference"]),
                          "--current", str(files["stable"]), "--id", args["--id"], cwd=registry)
        assert escaped.code == 2 and "is not a valid name" in escaped.stderr, escaped.stderr
    assert not (registry / "escaped.yaml").exists() and not (registry.parent / "escaped.yaml").exists()
