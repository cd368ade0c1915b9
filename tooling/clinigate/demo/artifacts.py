"""Deterministic stand-in inference packages for the example registry.

The example manifests' ``artifact.sha256`` values are the digests (registry/digest.py) of the
folders built here, so the demo can register real artifacts in MLflow and ``sync`` can verify
them. Content depends only on what identifies a trained artifact (model, training run, algorithm,
features), so a metadata-only version shares its parent's artifact, as it should.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..manifest.version import ModelVersion


def build_artifact(manifest: ModelVersion, folder: Path) -> Path:
    training = manifest.training
    identity = f"{manifest.artifact.mlflow.registered_model}:{manifest.artifact.mlflow.run_id}"
    weights = hashlib.sha256(f"weights {identity} {training.algorithm.random_seed}".encode()).hexdigest()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "MLmodel").write_text(
        "artifact_path: model\n"
        "flavors:\n  python_function:\n    loader_module: clinigate_demo_model\n    python_version: 3.11\n"
        f"run_id: {manifest.artifact.mlflow.run_id}\n", encoding="utf-8")
    (folder / "model.json").write_text(json.dumps({
        "algorithm": training.algorithm.type,
        "framework": f"{training.algorithm.framework} {training.algorithm.framework_version}",
        "hyperparameters": training.algorithm.hyperparameters,
        "features": training.features.names,
        "weights_sha256": weights,
    }, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    (folder / "requirements.txt").write_text(
        f"{training.algorithm.framework}=={training.algorithm.framework_version}\n", encoding="utf-8")
    return folder


def build_candidate(model: str, number: int, folder: Path) -> Path:
    """An exploratory model version that never became a manifest (MLflow numbers are shared)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "MLmodel").write_text(f"artifact_path: model\ncandidate: {model} #{number}\n", encoding="utf-8")
    return folder
