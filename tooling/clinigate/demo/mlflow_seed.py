"""Seed a local SQLite MLflow store with the example registry's model versions.

MLflow numbers versions per registered model 1, 2, 3…; the manifests name the numbers the
models had (4, 7, 11…), so the versions in between are registered too, as exploratory
candidates that never got a manifest — which is what a real registry looks like.
"""

from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from .. import layout
from ..manifest.loader import load_file
from ..manifest.version import ModelVersion
from .artifacts import build_artifact, build_candidate


def tracking_uri(workdir: Path) -> str:
    return f"sqlite:///{(workdir / 'mlflow.db').resolve()}"


def seed(workdir: Path) -> dict[str, int]:
    """Register every manifest's artifact (and the candidates between); returns versions per model."""
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
    # MLflow announces its schema migrations at INFO level; the tour has its own narration.
    from .._internal.extras import require

    require("mlflow", "the demo's MLflow registry")
    from mlflow import MlflowClient

    from ..tracking.session import quiet_mlflow_logs

    quiet_mlflow_logs()

    uri = tracking_uri(workdir)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.create_experiment(
        "clinigate-demo", artifact_location=(workdir / "mlartifacts").resolve().as_uri())
    counts: dict[str, int] = {}
    for name, by_number in sorted(_manifests(workdir).items()):
        client.create_registered_model(name, description="Registered by the clinigate demo")
        for number in range(1, max(by_number) + 1):
            _register(client, experiment, name, number, by_number.get(number))
        counts[name] = max(by_number)
    return counts


def _manifests(workdir: Path) -> dict[str, dict[int, ModelVersion]]:
    found: dict[str, dict[int, ModelVersion]] = defaultdict(dict)
    for path in sorted(workdir.glob(layout.version_path("*", "*"))):
        doc = load_file(workdir, path.relative_to(workdir).as_posix()).document
        if isinstance(doc, ModelVersion):
            found[doc.artifact.mlflow.registered_model][doc.artifact.mlflow.version] = doc
    return found


def _register(client: Any, experiment: str, name: str, number: int, manifest: ModelVersion | None) -> None:
    run = client.create_run(experiment, run_name=f"{name}-{number}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "model"
        if manifest is not None:
            build_artifact(manifest, folder)
        else:
            build_candidate(name, number, folder)
        client.log_artifacts(run.info.run_id, str(folder), artifact_path="model")
    client.set_terminated(run.info.run_id)
    source = f"{run.info.artifact_uri}/model"
    created = client.create_model_version(name, source=source, run_id=run.info.run_id)
    if int(created.version) != number:
        raise RuntimeError(f"{name}: MLflow numbered a version {created.version}, expected {number}")
