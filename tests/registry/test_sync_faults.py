"""`clinigate sync --apply` under faults: the server dies mid-apply, two applies race.

(a) uses a dedicated ``mlflow server`` (not the session one, which other tests share) on a
SQLite backend store and a local artifact root under ``tmp_path``. The kill is deterministic:
the CLI's registry client is replaced (``clinigate.registry.actual.MlflowRegistry``, which the
command imports at call time) by a subclass of the real client whose **second write** to a
synced model (lock writes on ``clinigate-sync-lock`` not counted) first SIGKILLs the server's
process group and waits for it to die, then makes the real call. So exactly one write has
landed, the second fails with a refused connection, and the run must end with exit 3 naming
the tracking URI. A server is then restarted on the same backend store, artifact root and port,
and a re-run must converge.

(b) starts two ``python -m clinigate sync --apply`` subprocesses together against the session
server: each must end cleanly (exit 0, or 3 if it gave up on the lock; never a traceback), and
a dry run afterwards exits 0.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clinigate.registry import actual as actual_module
from clinigate.registry.reconcile import LOCK_MODEL, LOCK_TAG

from .conftest import (
    SyncRegistry,
    build_registry,
    free_port,
    start_mlflow_server,
    stop_mlflow_server,
)

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]


def expected_aliases(reg: SyncRegistry) -> dict[str, dict[str, str]]:
    v = {key: logged.version for key, logged in reg.logged.items()}
    return {
        "sepsis-ews": {"production": v[("sepsis-ews", "1.2.0")], "staging": v[("sepsis-ews", "1.2.1")],
                       "shadow": v[("sepsis-ews", "1.3.0")]},
        "readmission-30d": {"production": v[("readmission-30d", "1.1.0")],
                            "staging": v[("readmission-30d", "2.0.0")]},
    }


def actual_aliases(reg: SyncRegistry) -> dict[str, dict[str, str]]:
    client = reg.mlflow()
    # str(): the SQLite store hands alias versions back as int, the REST client as str.
    return {model: {alias: str(version) for alias, version in client.get_registered_model(name).aliases.items()}
            for model, name in reg.names.items()}


class Server:
    """A dedicated ``mlflow server`` whose store outlives the process."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = start_mlflow_server(self.root, self.port)

    def kill(self) -> None:
        if self.proc is not None:
            stop_mlflow_server(self.proc, signal.SIGKILL)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            stop_mlflow_server(self.proc)
        self.proc = None


@pytest.fixture
def dedicated_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    root = tmp_path / "dedicated-mlflow"
    root.mkdir()
    server = Server(root)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_server_killed_mid_apply_then_rerun_converges(dedicated_server: Server, tmp_path: Path, sync_cli,  # type: ignore[no-untyped-def]
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    server = dedicated_server
    reg = build_registry(server.url, tmp_path)
    writes: list[str] = []

    class KillingRegistry(actual_module.MlflowRegistry):
        """The real client; its 2nd write to a synced model kills the server first."""

        def _write(self, what: str, name: str) -> None:
            if name == LOCK_MODEL:
                return
            writes.append(f"{what} {name}")
            if len(writes) == 2:
                server.kill()

        def set_alias(self, name: str, alias: str, version: str) -> None:
            self._write("set_alias", name)
            super().set_alias(name, alias, version)

        def delete_alias(self, name: str, alias: str) -> None:
            self._write("delete_alias", name)
            super().delete_alias(name, alias)

        def set_version_tag(self, name: str, version: str, key: str, value: str) -> None:
            self._write("set_version_tag", name)
            super().set_version_tag(name, version, key, value)

        def set_model_tag(self, name: str, key: str, value: str) -> None:
            self._write("set_model_tag", name)
            super().set_model_tag(name, key, value)

        def delete_model_tag(self, name: str, key: str) -> None:
            self._write("delete_model_tag", name)
            super().delete_model_tag(name, key)

    args = ("--tracking-uri", reg.uri, "--repo", str(reg.repo))
    monkeypatch.setattr(actual_module, "MlflowRegistry", KillingRegistry)
    started = time.monotonic()
    code, out, err = sync_cli(*args, "--apply")
    elapsed = time.monotonic() - started
    monkeypatch.undo()
    assert len(writes) == 2, writes  # the run stopped at the write that met the dead server
    assert code == 3, out + err
    assert reg.uri in err
    assert "Traceback" not in err and "internal error" not in err
    assert elapsed < 60, f"a dead server took {elapsed:.0f} s to report"

    server.start()  # same backend store, artifact root and port
    partial = actual_aliases(reg)
    assert partial != expected_aliases(reg)  # really interrupted half-way

    # The crashed run's lease on the lock model survives the crash: a re-run is refused
    # cleanly (exit 3, naming the lock) until the lease expires (LEASE_SECONDS).
    holder = reg.mlflow().get_registered_model(LOCK_MODEL).tags.get(LOCK_TAG)
    assert holder is not None  # the dead server could not take the release
    code, out, err = sync_cli(*args, "--apply", "--lock-timeout", "1")
    assert code == 3, out + err
    assert LOCK_MODEL in err and holder.rsplit(" ", 1)[0] in err and "Traceback" not in err
    # Let the lease run out (as LEASE_SECONDS later) rather than wait ten minutes.
    owner = holder.rsplit(" ", 1)[0]
    reg.mlflow().set_registered_model_tag(LOCK_MODEL, LOCK_TAG, f"{owner} {int(time.time()) - 1}")

    code, out, err = sync_cli(*args, "--apply")
    assert code == 0, out + err
    assert actual_aliases(reg) == expected_aliases(reg)
    for (model, semver), logged in reg.logged.items():
        mv = reg.mlflow().get_model_version(logged.registered_model, logged.version)
        assert mv.tags.get("clinigate.synced_at"), (model, semver)
    code, out, err = sync_cli(*args, "--dry-run")
    assert code == 0, out + err
    assert LOCK_TAG not in reg.mlflow().get_registered_model(LOCK_MODEL).tags


def _spawn(reg: SyncRegistry, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "MLFLOW_TRACKING_URI": "", "PYTHONPATH": os.pathsep.join(
        filter(None, [str(REPO_ROOT / "tooling"), os.environ.get("PYTHONPATH")]))}
    return subprocess.Popen([sys.executable, "-m", "clinigate", "sync", "--tracking-uri", reg.uri,
                             "--repo", str(reg.repo), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def run_concurrently(reg: SyncRegistry, *args: str, count: int = 2) -> list[tuple[int, str, str]]:
    procs = [_spawn(reg, *args) for _ in range(count)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        results.append((proc.returncode, out, err))
    return results


def test_two_concurrent_applies_against_a_server(sync_registry: SyncRegistry) -> None:
    reg = sync_registry
    results = run_concurrently(reg, "--apply")
    for code, out, err in results:
        assert code in (0, 3), out + err
        assert "Traceback" not in err and "internal error" not in err, err
        if code == 3:
            assert "lock" in err, err
    assert 0 in [code for code, _, _ in results]
    assert actual_aliases(reg) == expected_aliases(reg)
    dry = _spawn(reg, "--dry-run")
    out, err = dry.communicate(timeout=300)
    assert dry.returncode == 0, out + err
    assert LOCK_TAG not in reg.mlflow().get_registered_model(LOCK_MODEL).tags
