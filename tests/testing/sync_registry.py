"""Registries wired to a real MLflow server: the example registry with its deployed versions logged
under unique names (:func:`build_registry`), the client that counts what sync writes, and a new
backend store per dedicated server (:func:`new_backend_store`)."""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from clinigate.registry.actual import MlflowRegistry, VersionState
from testing.fixtures import copy_example_registry, git, init_repo, merged_is_approved
from testing.mlflow_server import Logged, log_model_version
from testing.postgres import PostgresCluster

_counter = itertools.count(1)
MODELS = ("sepsis-ews", "readmission-30d")


def new_backend_store(backend: str, root: Path, request: pytest.FixtureRequest) -> str:
    """A new, empty backend store on ``backend`` for a dedicated server: a file under ``root``, or a new
    database on the session's PostgreSQL cluster."""
    if backend == "sqlite":
        return f"sqlite:///{root}/mlflow.db"
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    return cluster.create_database(f"mlflow_{next(_counter)}_{os.getpid()}")


class CountingRegistry(MlflowRegistry):
    """The real MLflow client, counting the writes sync makes and its version reads."""

    def __init__(self, uri: str) -> None:
        super().__init__(uri)
        self.writes: list[tuple[str, ...]] = []
        self.reads: list[tuple[str, ...]] = []

    def versions(self, name: str) -> dict[str, VersionState]:
        self.reads.append(("versions", name))
        return super().versions(name)

    def versions_tagged(self, key: str) -> dict[str, dict[str, VersionState]]:
        self.reads.append(("versions_tagged", key))
        return super().versions_tagged(key)

    def set_alias(self, name: str, alias: str, version: str) -> None:
        self.writes.append(("set_alias", name, alias, version))
        super().set_alias(name, alias, version)

    def delete_alias(self, name: str, alias: str) -> None:
        self.writes.append(("delete_alias", name, alias))
        super().delete_alias(name, alias)

    def set_version_tag(self, name: str, version: str, key: str, value: str) -> None:
        self.writes.append(("set_version_tag", name, version, key))
        super().set_version_tag(name, version, key, value)

    def set_model_tag(self, name: str, key: str, value: str) -> None:
        if not name.startswith("clinigate-sync-lock"):
            self.writes.append(("set_model_tag", name, key))
        super().set_model_tag(name, key, value)

    def delete_model_tag(self, name: str, key: str) -> None:
        if not name.startswith("clinigate-sync-lock"):
            self.writes.append(("delete_model_tag", name, key))
        super().delete_model_tag(name, key)

    def transition_stage(self, name: str, version: str, stage: str) -> None:
        self.writes.append(("transition_stage", name, version, stage))
        super().transition_stage(name, version, stage)


@dataclass
class SyncRegistry:
    """A Git registry whose manifests point at real versions on the test server."""

    repo: Path
    uri: str
    names: dict[str, str]  # model folder -> unique registered model name
    logged: dict[tuple[str, str], Logged] = field(default_factory=dict)  # (model, semver) -> version
    pki: Any = None  # a DemoPki when the registry requires signed approvals

    def client(self) -> CountingRegistry:
        return CountingRegistry(self.uri)

    def mlflow(self) -> Any:
        from mlflow import MlflowClient

        return MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)

    def commit(self, message: str) -> None:
        git(self.repo, "add", "-A")
        git(self.repo, "-c", "commit.gpgsign=false", "commit", "-q", "-m", message)


_ARTIFACT = re.compile(
    r"artifact:\n  uri: \S+\n  sha256: [0-9a-f]{64}\n  mlflow:\n    registered_model: \S+\n"
    r"    version: \d+\n    run_id: [0-9a-f]{32}\n")


# The placeholders are hex letters: all-digit ones would read as YAML numbers and void the manifest.
def rewrite_artifact(manifest: Path, *, registered_model: str, version: str = "1", run_id: str = "f" * 32,
                     sha256: str = "f" * 64, uri: str | None = None) -> None:
    text = manifest.read_text()
    block = (f"artifact:\n  uri: {uri or f'models:/{registered_model}/{version}'}\n  sha256: {sha256}\n"
             f"  mlflow:\n    registered_model: {registered_model}\n    version: {version}\n"
             f"    run_id: {run_id}\n")
    new, count = _ARTIFACT.subn(block, text)
    assert count == 1, f"no artifact block in {manifest}"
    manifest.write_text(new)


def _deployed_versions(repo: Path, model: str) -> list[str]:
    text = (repo / "models" / model / "deployment.yaml").read_text()
    return re.findall(r"^    version: (\S+)$", text, flags=re.M)


def build_registry(uri: str, tmp_path: Path, client: Any | None = None, *, signed: bool = False) -> SyncRegistry:
    """The example registry, its deployed versions logged to ``uri`` under unique names.

    ``signed``: trust.yaml keeps requiring signed approvals and trusts a test CA (``reg.pki``);
    otherwise merged manifests are deployable, as the MLflow-mechanics tests need.
    """
    n = next(_counter)
    repo = tmp_path / f"registry-{n}"
    repo.mkdir()
    copy_example_registry(repo)
    reg = SyncRegistry(repo, uri, {m: f"{m}-t{n}-{os.getpid()}" for m in MODELS})
    if signed:
        from clinigate.demo.approvals import DemoPki

        (repo / ".gitignore").write_text(".demo-pki/\n", encoding="utf-8")
        reg.pki = DemoPki.create(repo)
    else:
        merged_is_approved(repo)
    client = client or reg.mlflow()
    for model, name in reg.names.items():
        deployed = _deployed_versions(repo, model)
        for manifest in sorted((repo / "models" / model / "versions").glob("*.yaml")):
            semver = manifest.stem
            if semver not in deployed:
                rewrite_artifact(manifest, registered_model=name, version="999")
                continue
            files = {"MLmodel": f"name: {model}\nversion: {semver}\n".encode(),
                     "model.pkl": os.urandom(64), "sub/features.json": b'["a", "b"]'}
            logged = log_model_version(client, name, files, tmp_path)
            reg.logged[(model, semver)] = logged
            rewrite_artifact(manifest, registered_model=name, version=logged.version, run_id=logged.run_id,
                             sha256=logged.digest, uri=logged.source)
    init_repo(repo)
    return reg
