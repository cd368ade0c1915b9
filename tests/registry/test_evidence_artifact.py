"""Evidence kept as an MLflow run artifact: check fetches it from a real server and recomputes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from testing.evidence import NEW, draft_version
from testing.fixtures import CliResult, commit_all

from clinigate.gate.check import run_check


def _evidence_rules(repo: Path, **options: str) -> dict[str, str]:
    report = run_check(repo, base="main", head="HEAD", **options)  # type: ignore[arg-type]
    (entry,) = [m for m in report.manifests if m.path == NEW]
    return {f.rule: f.message for f in entry.findings if f.rule.startswith("gates.evidence")}


@pytest.mark.slow
def test_runs_artifact_evidence_is_fetched_checked_and_recomputed(
        registry: Path, tmp_path: Path, mlflow_server: str, run_cli: Callable[..., CliResult]) -> None:
    from mlflow.tracking import MlflowClient

    predictions = tmp_path / "predictions.csv"
    draft_version(registry, predictions)
    client = MlflowClient(tracking_uri=mlflow_server)
    experiment = client.get_experiment_by_name("evidence") or client.get_experiment(
        client.create_experiment("evidence"))
    run = client.create_run(experiment.experiment_id)
    client.log_artifact(run.info.run_id, str(predictions), "validation")
    uri = f"runs:/{run.info.run_id}/validation/predictions.csv"

    result = run_cli("evaluate", "--predictions", str(predictions), "--predictions-uri", uri, "--into", NEW,
                     cwd=registry)
    assert result.code == 0, result.stderr
    assert yaml.safe_load((registry / NEW).read_text())["validation"]["evidence"]["predictions"]["uri"] == uri
    commit_all(registry, "sepsis 1.4.0, evidence in MLflow")

    assert "not recomputed" in _evidence_rules(registry)["gates.evidence_not_rederived"]
    assert _evidence_rules(registry, evidence_tracking_uri=mlflow_server) == {}

    path = registry / NEW
    auc = yaml.safe_load(path.read_text())["validation"]["overall"]["auc_roc"]
    path.write_text(path.read_text().replace(f"    auc_roc: {auc}\n", f"    auc_roc: {round(auc - 0.003, 4)}\n", 1))
    commit_all(registry, "a typed number")
    assert "gates.evidence_mismatch" in _evidence_rules(registry, evidence_tracking_uri=mlflow_server)

    gone = _evidence_rules(registry, evidence_tracking_uri="http://127.0.0.1:9")
    assert "could not be fetched" in gone["gates.evidence_missing"]
