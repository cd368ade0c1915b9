"""What MLflow says about a model version or run, read through the registry's client.

The artifacts are downloaded once, to recompute their digest with
:func:`~clinigate.registry.digest.artifact_digest` and to read the ``MLmodel`` file; the run gives
params, metrics, tags, logged datasets and its duration. A version, run or alias MLflow does not
have is a usage error; an unreachable server stays the client's environment problem.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import yaml

from ..errors import EnvironmentProblem, UsageError
from ..registry.actual import VersionState, is_not_found
from ..registry.digest import artifact_digest
from .source import Source

T = TypeVar("T")

_ARTIFACT_URI = re.compile(r"^(models|runs|s3|gs|wasbs|file|mlflow-artifacts)://?\S+$")
_MLMODEL_MAX_BYTES = 1 << 20


class ReadClient(Protocol):
    """What propose reads from the model registry; :class:`~clinigate.registry.actual.MlflowRegistry`
    is the implementation."""

    @property
    def tracking_uri(self) -> str: ...

    def model_version(self, name: str, version: str) -> VersionState: ...

    def model_version_by_alias(self, name: str, alias: str) -> VersionState: ...

    def versions_of_run(self, run_id: str) -> dict[str, dict[str, VersionState]]: ...

    def run(self, run_id: str) -> Any: ...

    def download(self, artifact_uri: str, dst: Path) -> Path: ...


@dataclass(frozen=True)
class DatasetFacts:
    name: str
    digest: str
    context: str | None
    version: str | None
    sha256: str | None = None


@dataclass(frozen=True)
class MlflowFacts:
    artifact_uri: str  # what the manifest records: the version's own artifact URI, never an alias
    sha256: str
    registered_model: str | None = None
    model_version: str | None = None
    run_id: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    datasets: tuple[DatasetFacts, ...] = ()
    duration_minutes: int | None = None
    mlmodel: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Artifacts:
    uri: str
    sha256: str
    mlmodel: Mapping[str, Any]


@dataclass(frozen=True)
class _Run:
    params: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    datasets: tuple[DatasetFacts, ...] = ()
    duration_minutes: int | None = None


def read_facts(client: ReadClient, source: Source) -> MlflowFacts:
    """The model version (an alias resolved to its version) or run, its artifacts and its run."""
    if source.name is not None:
        mv = _model_version(client, source)
        pinned = f"models:/{source.name}/{mv.version}"  # never the alias: it may move
        uri = mv.source
        artifacts = _download(client, uri if _ARTIFACT_URI.match(uri) else pinned, uri or pinned)
        registered: tuple[str, str] | None = (source.name, mv.version)
        run_id = mv.run_id
    else:
        assert source.run_id is not None
        artifacts = _download(client, source.uri, source.uri)
        run_id = source.run_id
        registered = _registered_from_run(client, source.run_id, source.uri)
    run = _read_run(client, run_id) if run_id else _Run()
    return MlflowFacts(artifacts.uri, artifacts.sha256,
                       registered_model=registered[0] if registered else None,
                       model_version=registered[1] if registered else None, run_id=run_id,
                       params=run.params, metrics=run.metrics, tags=run.tags, datasets=run.datasets,
                       duration_minutes=run.duration_minutes, mlmodel=artifacts.mlmodel)


def _get(client: ReadClient, missing: str, fn: Callable[[], T]) -> T:
    """``fn()``, MLflow's "does not exist" turned into a usage error naming what is ``missing``."""
    try:
        return fn()
    except UsageError:
        raise
    except Exception as exc:
        if is_not_found(exc):
            raise UsageError(f"MLflow at {client.tracking_uri} has no {missing}") from exc
        raise


def _model_version(client: ReadClient, source: Source) -> VersionState:
    name = source.name
    assert name is not None
    if source.alias is None:
        version = source.version
        assert version is not None
        return _get(client, f"model version {version} of registered model {name}",
                    lambda: client.model_version(name, version))
    alias = source.alias
    try:
        return _get(client, f"registered model {name}", lambda: client.model_version_by_alias(name, alias))
    except EnvironmentProblem as exc:
        # MLflow answers an unknown alias with INVALID_PARAMETER_VALUE, not "does not exist".
        if getattr(exc.__cause__, "error_code", None) == "INVALID_PARAMETER_VALUE":
            raise UsageError(f"MLflow at {client.tracking_uri} has no alias {alias} on registered "
                             f"model {name}") from exc
        raise


def _registered_from_run(client: ReadClient, run_id: str, uri: str) -> tuple[str, str] | None:
    """The one version registered from this run (the one with exactly this source, if several)."""
    versions = [(name, state) for name, found in client.versions_of_run(run_id).items()
                for state in found.values()]
    exact = [(name, state) for name, state in versions if state.source == uri]
    chosen = exact or versions
    if len(chosen) != 1:
        return None
    name, state = chosen[0]
    return name, state.version


def _download(client: ReadClient, manifest_uri: str, download_uri: str) -> _Artifacts:
    with tempfile.TemporaryDirectory(prefix="clinigate-propose-") as tmp:
        path = _get(client, f"artifacts at {download_uri}", lambda: client.download(download_uri, Path(tmp)))
        folder = path if path.is_dir() else path.parent
        return _Artifacts(manifest_uri, artifact_digest(folder), _read_mlmodel(folder))


def _read_run(client: ReadClient, run_id: str) -> _Run:
    run = _get(client, f"run {run_id}", lambda: client.run(run_id))
    inputs = getattr(run, "inputs", None)
    start, end = run.info.start_time, run.info.end_time
    minutes = max(1, round((end - start) / 60000)) if start and end and end > start else None
    return _Run(params={str(k): str(v) for k, v in (run.data.params or {}).items()},
                metrics={str(k): float(v) for k, v in (run.data.metrics or {}).items()},
                tags={str(k): str(v) for k, v in (run.data.tags or {}).items()},
                datasets=tuple(_dataset(di) for di in (getattr(inputs, "dataset_inputs", None) or [])),
                duration_minutes=minutes)


def _dataset(dataset_input: Any) -> DatasetFacts:
    """Name and digest from MLflow; version and sha256 from the source JSON when it carries them.

    MLflow's own dataset digest is at most 36 characters, so a SHA-256 can only come from the
    source (e.g. ``{"uri": ..., "version": "2025.3", "sha256": "..."}``).
    """
    ds = dataset_input.dataset
    tags = {t.key: t.value for t in (dataset_input.tags or [])}
    try:
        source = json.loads(ds.source or "")
    except ValueError:
        source = None
    source = source if isinstance(source, dict) else {}
    version, sha = source.get("version"), source.get("sha256")
    return DatasetFacts(str(ds.name), str(ds.digest or ""), tags.get("mlflow.data.context"),
                        None if version is None else str(version), None if sha is None else str(sha))


def _read_mlmodel(folder: Path) -> dict[str, Any]:
    path = folder / "MLmodel"
    if not path.is_file() or path.stat().st_size > _MLMODEL_MAX_BYTES:
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}
