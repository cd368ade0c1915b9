"""What ``clinigate sync`` should leave in MLflow for the example registry, what it did, and running it.

The registry is the registry tests' ``SyncRegistry`` (a Git registry whose manifests point at real
versions on a test server); only the attributes named in :class:`SyncedRegistry` are used.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Protocol

from testing.fixtures import REPO_ROOT


class SyncedRegistry(Protocol):
    @property
    def repo(self) -> Path: ...
    @property
    def uri(self) -> str: ...
    @property
    def names(self) -> dict[str, str]: ...  # model folder -> registered model name
    @property
    def logged(self) -> dict[tuple[str, str], Any]: ...  # (model, semver) -> its Logged (.version: MLflow's number)

    def mlflow(self) -> Any: ...


def expected_aliases(reg: SyncedRegistry) -> dict[str, dict[str, str]]:
    """The aliases the example registry's deployment.yaml files ask for, as MLflow version numbers."""
    v = {key: logged.version for key, logged in reg.logged.items()}
    return {
        "sepsis-ews": {"production": v[("sepsis-ews", "1.2.0")], "staging": v[("sepsis-ews", "1.2.1")],
                       "shadow": v[("sepsis-ews", "1.3.0")]},
        "readmission-30d": {"production": v[("readmission-30d", "1.1.0")],
                            "staging": v[("readmission-30d", "2.0.0")]},
    }


def actual_aliases(reg: SyncedRegistry) -> dict[str, dict[str, str]]:
    """The aliases each registered model has on the server, read as sync reads them."""
    client = reg.mlflow()
    # str(): the SQLite store hands alias versions back as int, the REST client as str.
    return {model: {alias: str(version) for alias, version in client.get_registered_model(name).aliases.items()}
            for model, name in reg.names.items()}


def sync_env() -> dict[str, str]:
    """A subprocess environment that runs this checkout's clinigate, with no tracking URI of its own."""
    return {**os.environ, "MLFLOW_TRACKING_URI": "", "PYTHONPATH": os.pathsep.join(
        filter(None, [str(REPO_ROOT / "tooling"), os.environ.get("PYTHONPATH")]))}


def spawn_sync(reg: SyncedRegistry, *args: str) -> subprocess.Popen[str]:
    """``python -m clinigate sync`` on ``reg`` with ``args``, started and not waited for."""
    return subprocess.Popen([sys.executable, "-m", "clinigate", "sync", "--tracking-uri", reg.uri,
                             "--repo", str(reg.repo), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=sync_env())


def run_concurrently(reg: SyncedRegistry, *args: str, count: int = 2) -> list[tuple[int, str, str]]:
    """``count`` syncs started together; each one's exit code, stdout and stderr, in start order."""
    procs = [spawn_sync(reg, *args) for _ in range(count)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        results.append((proc.returncode, out, err))
    return results
