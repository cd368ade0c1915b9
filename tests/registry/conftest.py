"""A real ``mlflow server`` on loopback (local artifacts; SQLite or PostgreSQL backend store), and registries
wired to it (built by ``testing/sync_registry.py``).

``mlflow_server`` (``testing/mlflow_server.py``'s) is the SQLite one most tests share. The key sync
scenarios run on both backends hospitals use: a test asking for ``backend_registry`` (or ``backend``) runs twice, as
``test_x[sqlite]`` and ``test_x[postgresql]``; the PostgreSQL cluster is ``testing/postgres.py``'s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from testing.mlflow_server import (  # noqa: F401 (mlflow_server: the fixture, by import)
    free_port,
    in_process_cli,
    mlflow_server,
    start_mlflow_server,
    stop_mlflow_server,
)
from testing.postgres import postgres_cluster, postgres_uri  # noqa: F401 (fixtures, by import)
from testing.sync_registry import SyncRegistry, build_registry


@pytest.fixture(scope="session")
def mlflow_server_postgresql(tmp_path_factory: pytest.TempPathFactory,
                             postgres_uri: str) -> Iterator[str]:  # noqa: F811 (the fixture imported above)
    """The URL of a real MLflow tracking server whose backend store is PostgreSQL, started once per session."""
    root = tmp_path_factory.mktemp("mlflow-postgresql")
    port = free_port()
    proc = start_mlflow_server(root, port, postgres_uri)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_mlflow_server(proc)


SESSION_SERVERS = {"sqlite": "mlflow_server", "postgresql": "mlflow_server_postgresql"}  # backend -> fixture
BACKENDS = tuple(SESSION_SERVERS)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The MLflow backend store a test runs on; the test runs once for each (ids ``[sqlite]``, ``[postgresql]``)."""
    return str(request.param)


@pytest.fixture
def backend_server(backend: str, request: pytest.FixtureRequest) -> str:
    """The URL of the session's MLflow server on ``backend`` (each started only when a test asks for it)."""
    return str(request.getfixturevalue(SESSION_SERVERS[backend]))


@pytest.fixture
def sync_registry(mlflow_server: str, tmp_path: Path) -> SyncRegistry:  # noqa: F811 (the fixture imported above)
    """The example registry, its deployed versions logged to the session server."""
    return build_registry(mlflow_server, tmp_path)


@pytest.fixture
def backend_registry(backend_server: str, tmp_path: Path) -> SyncRegistry:
    """The example registry, its deployed versions logged to the session server of each backend."""
    return build_registry(backend_server, tmp_path)


@pytest.fixture
def sync_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    return in_process_cli(capsys, "sync")
