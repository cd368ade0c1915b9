"""Actual state: what the MLflow registry holds, behind the :class:`RegistryClient` protocol.

Reads are batched per registered model: aliases and registered-model tags come from one
``get_registered_model`` call (search results may come back without aliases, mlflow#9783),
versions and their tags from one paged ``search_model_versions`` call. Nothing is read per
version unless a production alias is about to move (then its artifacts are downloaded to
check their digest and, when they carry one, their OpenSSF model signature).

Models are read concurrently against a server (:func:`read_each`): each of the two requests
per model is a ~15 ms round trip (~3.5 ms of it client CPU, the rest the server's), and the
client's work can overlap the server's. MLflow shares one ``requests.Session`` per process
(``mlflow.utils.request_utils._cached_get_request_session``, a urllib3 pool of
``MLFLOW_HTTP_POOL_MAXSIZE`` = 10 connections, safe across threads) whatever the number of
clients, so one client serves every thread; ``READ_WORKERS`` stays below the pool size so no
connection is thrown away. Four is enough: against a one-worker ``mlflow server`` the server's
CPU is the floor, and 2, 4, 8 or 16 threads all read 1,000 models in 22-28 s (sequential ~30 s).
"""

from __future__ import annotations

import functools
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable
from urllib.parse import urlparse

from ..errors import ClinigateError, EnvironmentProblem
from ..tracking.session import apply_http_defaults, quiet_mlflow_logs
from ..tracking.uri import redact, redact_all
from .digest import artifact_digest
from .model_signature import SignatureVerdict, TrustedKey, find_signature, verify_signature

T = TypeVar("T")

PAGE_SIZE = 1000
BULK_PAGE_SIZE = 10000  # MLflow's default max_results for version searches
READ_WORKERS = 4


@dataclass(frozen=True)
class RegisteredModelState:
    name: str
    aliases: dict[str, str]  # alias -> version
    tags: dict[str, str]


@dataclass(frozen=True)
class VersionState:
    version: str
    source: str
    run_id: str | None
    current_stage: str | None
    tags: dict[str, str] = field(default_factory=dict)


class RegistryClient(Protocol):
    """What sync needs from a model registry; MLflow is the one implementation today."""

    @property
    def tracking_uri(self) -> str: ...

    def registered_model(self, name: str) -> RegisteredModelState | None:
        """Aliases and tags of ``name``; None when the registered model does not exist."""

    def versions(self, name: str) -> dict[str, VersionState]:
        """Every version of ``name`` with its tags (paged search, one call per page)."""

    def artifact_digest(self, name: str, version: str, source: str) -> str:
        """:func:`~clinigate.registry.digest.artifact_digest` of the version's stored artifacts."""

    def set_alias(self, name: str, alias: str, version: str) -> None: ...

    def delete_alias(self, name: str, alias: str) -> None: ...

    def set_version_tag(self, name: str, version: str, key: str, value: str) -> None: ...

    def set_model_tag(self, name: str, key: str, value: str) -> None: ...

    def delete_model_tag(self, name: str, key: str) -> None: ...

    def create_registered_model(self, name: str) -> None: ...

    def transition_stage(self, name: str, version: str, stage: str) -> None: ...


@dataclass(frozen=True)
class ArtifactCheck:
    digest: str
    signature: SignatureVerdict | None = None  # None: the artifact carries no model signature


@runtime_checkable
class BulkVersionReader(Protocol):
    """A registry client that can read every version carrying a tag in a few paged requests."""

    def versions_tagged(self, key: str) -> dict[str, dict[str, VersionState]]:
        """Registered model name -> version -> state, for every version that has tag ``key``."""


@runtime_checkable
class ArtifactInspector(Protocol):
    """A registry client that checks a version's model signature along with its digest."""

    def check_artifact(self, name: str, version: str, source: str) -> ArtifactCheck:
        """One download: the digest of every file, and the signature's verdict if there is one."""


def read_each(fn: Callable[[str], T], names: Sequence[str], *, remote: bool) -> list[T]:
    """``fn`` over ``names``, results in the order of ``names``; the first failure in that order is raised.

    The first name is read alone: it builds MLflow's lazily created store and HTTP session once,
    and an unreachable server fails there, before any thread starts. Only a remote registry gets
    threads: a local store's reads are Python work that the GIL runs one at a time anyway.
    """
    if not names:
        return []
    first = fn(names[0])
    if not remote or len(names) == 1:
        return [first, *map(fn, names[1:])]
    pool = ThreadPoolExecutor(max_workers=READ_WORKERS, thread_name_prefix="clinigate-read")
    try:
        return [first, *pool.map(fn, names[1:])]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # after a failure: start no further reads


def is_remote(uri: str) -> bool:
    return urlparse(uri).scheme in ("http", "https")


def is_not_found(exc: BaseException) -> bool:
    """MLflow's answer that the thing asked for does not exist (the client's calls re-raise it as is)."""
    return getattr(exc, "error_code", None) == "RESOURCE_DOES_NOT_EXIST"


class MlflowRegistry:
    """:class:`RegistryClient` over ``mlflow.MlflowClient`` (imported on first use)."""

    def __init__(self, tracking_uri: str, *, model_keys: tuple[TrustedKey, ...] = (),
                 creates: bool = True) -> None:
        """``creates``: this client may write (sync --apply), so a new sqlite store may be made;
        False (a dry run) refuses a store that does not exist before MLflow could create it."""
        self._uri = tracking_uri
        self._creates = creates
        self._client: Any = None
        self._lock = threading.Lock()
        self.model_keys = model_keys  # see clinigate.registry.model_signature.trusted_keys

    @property
    def tracking_uri(self) -> str:
        return self._uri

    def _mlflow(self) -> Any:
        with self._lock:  # reads run in threads (read_each)
            if self._client is None:
                self._client = self._connect()
            return self._client

    def _connect(self) -> Any:
        apply_http_defaults()
        from .._internal.extras import require
        from ..tracking.uri import check_tracking_uri

        check_tracking_uri(self._uri, creates=self._creates)  # before MLflow can create anything
        require("mlflow", "talking to the MLflow registry")
        from mlflow import MlflowClient

        quiet_mlflow_logs()  # after the import: importing mlflow sets its loggers up at INFO
        try:
            return MlflowClient(tracking_uri=self._uri, registry_uri=self._uri)
        except Exception as exc:  # a store MLflow cannot open: the environment, never a traceback
            raise EnvironmentProblem(f"MLflow cannot open the registry at {redact(self._uri)}: "
                                     f"{_first_line(exc)}", hint="check --tracking-uri") from exc

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        """Run one MLflow call; anything but 'does not exist' is an environment problem (exit 3)."""
        try:
            return fn()
        except Exception as exc:
            if is_not_found(exc) or isinstance(exc, ClinigateError):  # ours already says what is wrong
                raise
            raise EnvironmentProblem(
                f"MLflow at {redact(self._uri)} failed to {what}: {_first_line(exc)}",
                hint="check that the tracking server is running and reachable (--tracking-uri)",
            ) from exc

    def registered_model(self, name: str) -> RegisteredModelState | None:
        try:
            model = self._call(f"read registered model {name}",
                               lambda: self._mlflow().get_registered_model(name))
        except Exception as exc:
            if is_not_found(exc):
                return None
            raise
        return RegisteredModelState(name, {str(k): str(v) for k, v in (model.aliases or {}).items()},
                                    {str(k): str(v) for k, v in (model.tags or {}).items()})

    def versions(self, name: str) -> dict[str, VersionState]:
        found = self._search(f"name='{_quote(name)}'", f"search the versions of {name}", PAGE_SIZE)
        return found.get(name, {})

    def versions_tagged(self, key: str) -> dict[str, dict[str, VersionState]]:
        # Backquoted because tag keys with dots are not plain identifiers in MLflow's filter grammar.
        return self._search(f"tags.`{key}` LIKE '%'", f"search the versions tagged {key}", BULK_PAGE_SIZE)

    def _search(self, filter_string: str, what: str, page_size: int) -> dict[str, dict[str, VersionState]]:
        found: dict[str, dict[str, VersionState]] = {}
        token: str | None = None
        while True:
            page = self._call(what, functools.partial(self._mlflow().search_model_versions, filter_string,
                                                      max_results=page_size, page_token=token))
            for mv in page:
                found.setdefault(str(mv.name), {})[str(mv.version)] = _version_state(mv)
            token = page.token
            if not token:
                return found

    def model_version(self, name: str, version: str) -> VersionState:
        """One version of ``name``; MLflow's not-found error (:func:`is_not_found`) when there is none."""
        mv = self._call(f"read model version {name}/{version}",
                        lambda: self._mlflow().get_model_version(name, version))
        return _version_state(mv)

    def model_version_by_alias(self, name: str, alias: str) -> VersionState:
        """The version ``alias`` points at now (an unknown alias is MLflow's INVALID_PARAMETER_VALUE)."""
        mv = self._call(f"resolve alias {alias} of {name}",
                        lambda: self._mlflow().get_model_version_by_alias(name, alias))
        return _version_state(mv)

    def versions_of_run(self, run_id: str) -> dict[str, dict[str, VersionState]]:
        """Registered model name -> version -> state, for every version registered from run ``run_id``."""
        return self._search(f"run_id='{_quote(run_id)}'", f"search the model versions of run {run_id}",
                            BULK_PAGE_SIZE)

    def run(self, run_id: str) -> Any:
        """MLflow's ``Run`` entity (info, data with params, metrics and tags, inputs)."""
        return self._call(f"read run {run_id}", lambda: self._mlflow().get_run(run_id))

    def download(self, artifact_uri: str, dst: Path) -> Path:
        """Download the artifacts at ``artifact_uri`` (any URI MLflow resolves) under ``dst``."""
        from mlflow.artifacts import download_artifacts

        return Path(self._call(f"download the artifacts at {artifact_uri}",
                               lambda: download_artifacts(artifact_uri=artifact_uri, dst_path=str(dst),
                                                          tracking_uri=self._uri)))

    def artifact_digest(self, name: str, version: str, source: str) -> str:
        return self.check_artifact(name, version, source).digest

    def check_artifact(self, name: str, version: str, source: str) -> ArtifactCheck:
        from mlflow.artifacts import download_artifacts

        with tempfile.TemporaryDirectory(prefix="clinigate-artifact-") as tmp:
            path = self._call(f"download the artifacts of {name} version {version} ({source})",
                              lambda: download_artifacts(artifact_uri=source, dst_path=tmp,
                                                         tracking_uri=self._uri))
            folder = Path(path) if Path(path).is_dir() else Path(path).parent
            digest = artifact_digest(folder)  # before the signature is moved out of the folder
            signature = find_signature(folder)
            if signature is None:
                return ArtifactCheck(digest)
            return ArtifactCheck(digest, verify_signature(folder, signature, self.model_keys))

    def set_alias(self, name: str, alias: str, version: str) -> None:
        self._call(f"set alias {alias} of {name}",
                   lambda: self._mlflow().set_registered_model_alias(name, alias, version))

    def delete_alias(self, name: str, alias: str) -> None:
        self._call(f"delete alias {alias} of {name}",
                   lambda: self._mlflow().delete_registered_model_alias(name, alias))

    def set_version_tag(self, name: str, version: str, key: str, value: str) -> None:
        self._call(f"tag {name} version {version}",
                   lambda: self._mlflow().set_model_version_tag(name, version, key, value))

    def set_model_tag(self, name: str, key: str, value: str) -> None:
        self._call(f"tag registered model {name}",
                   lambda: self._mlflow().set_registered_model_tag(name, key, value))

    def delete_model_tag(self, name: str, key: str) -> None:
        try:
            self._call(f"untag registered model {name}",
                       lambda: self._mlflow().delete_registered_model_tag(name, key))
        except Exception as exc:
            if not is_not_found(exc):  # already gone: deleting is idempotent
                raise

    def create_registered_model(self, name: str) -> None:
        try:
            self._call(f"create registered model {name}",
                       lambda: self._mlflow().create_registered_model(name))
        except EnvironmentProblem as exc:
            if getattr(exc.__cause__, "error_code", None) != "RESOURCE_ALREADY_EXISTS":
                raise

    def transition_stage(self, name: str, version: str, stage: str) -> None:
        with _quiet_deprecation():
            self._call(f"move {name} version {version} to stage {stage}",
                       lambda: self._mlflow().transition_model_version_stage(name, version, stage))


def _version_state(mv: Any) -> VersionState:
    return VersionState(str(mv.version), str(mv.source or ""), mv.run_id or None, mv.current_stage or None,
                        {str(k): str(v) for k, v in (mv.tags or {}).items()})


def _first_line(exc: Exception) -> str:
    return redact_all(str(exc).splitlines()[0][:400]) if str(exc) else type(exc).__name__


def _quote(name: str) -> str:
    return name.replace("\\", "\\\\").replace("'", "\\'")


@contextmanager
def _quiet_deprecation() -> Iterator[None]:
    # Stages are deprecated since MLflow 2.9; --legacy-stages asks for them knowingly.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        yield
