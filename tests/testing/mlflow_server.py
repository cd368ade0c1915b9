"""A real ``mlflow server`` on loopback, and what tests log to it.

A test folder's conftest imports the fixture::

    from testing.mlflow_server import mlflow_server  # noqa: F401 (the fixture, by import)

    def test_x(mlflow_server: str) -> None:
        uri = mlflow_server  # http://127.0.0.1:<port>, a SQLite store, started once per session

``start_mlflow_server``/``stop_mlflow_server`` run a dedicated server (artifacts under a folder, any
backend store); ``log_model_version`` logs a tiny artifact folder and registers it; ``in_process_cli``
runs ``clinigate <command>`` through the real entry point.
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from clinigate.registry.digest import artifact_digest

_counter = itertools.count(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_mlflow_server(root: Path, port: int, backend_store_uri: str | None = None) -> subprocess.Popen[bytes]:
    """Start ``mlflow server`` on loopback (artifacts under ``root``, in its own process group) and
    wait until /health answers; output goes to ``root/server.log``. The backend store is
    ``backend_store_uri``, by default a SQLite database under ``root``."""
    env = {**os.environ, "HOME": str(root), "MLFLOW_TRACKING_URI": ""}
    store = backend_store_uri or f"sqlite:///{root}/mlflow.db"
    with open(root / "server.log", "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", store,
             "--default-artifact-root", str(root / "artifacts"), "--host", "127.0.0.1", "--port", str(port),
             "--workers", "1"],
            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                if response.status == 200:
                    return proc
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_mlflow_server(proc)
            raise RuntimeError(f"mlflow server did not start: {(root / 'server.log').read_text()[-2000:]}")
        time.sleep(0.3)


def stop_mlflow_server(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, sig)  # the server's own process group (start_new_session)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a real MLflow tracking server (SQLite store), started once per test session."""
    root = tmp_path_factory.mktemp("mlflow")
    port = free_port()
    proc = start_mlflow_server(root, port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_mlflow_server(proc)


@dataclass
class Logged:
    registered_model: str
    version: str  # MLflow's version number
    run_id: str
    digest: str
    source: str


def log_model_version(client: Any, name: str, files: dict[str, bytes], tmp: Path) -> Logged:
    """Log a tiny real artifact folder to a run and register it as a version of ``name``."""
    folder = tmp / f"artifact-{next(_counter)}"
    for rel, content in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(content)
    experiment = client.get_experiment_by_name("clinigate-tests")
    experiment_id = experiment.experiment_id if experiment else client.create_experiment("clinigate-tests")
    run = client.create_run(experiment_id)
    client.log_artifacts(run.info.run_id, str(folder), "model")
    client.set_terminated(run.info.run_id)
    try:
        client.create_registered_model(name)
    except Exception as exc:
        if getattr(exc, "error_code", None) != "RESOURCE_ALREADY_EXISTS":
            raise
    source = f"runs:/{run.info.run_id}/model"
    version = client.create_model_version(name, source=source, run_id=run.info.run_id)
    return Logged(name, str(version.version), run.info.run_id, artifact_digest(folder), source)


def in_process_cli(capsys: pytest.CaptureFixture[str], command: str) -> Callable[..., tuple[int, str, str]]:
    """Run ``clinigate <command>`` in-process through the real entry point (exit codes as users see them)."""
    from clinigate.cli import main as main_module

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_info:
            main_module.main([command, *args])
        out, err = capsys.readouterr()
        return int(exit_info.value.code or 0), out, err

    return run
