"""`clinigate sync --apply` under faults: the server dies mid-apply, two applies race, a lease is held.

(a) uses a dedicated ``mlflow server`` (not the session one, which other tests share) on a new
backend store (a SQLite file under ``tmp_path``, or a new database on the session's PostgreSQL
cluster) and a local artifact root under ``tmp_path``. The crashing client is a
``python`` subprocess running the real ``clinigate sync --apply`` entry point with its registry
client (``clinigate.registry.actual.MlflowRegistry``, which the command imports at call time)
replaced by a subclass of the real client whose **second write** to a synced model (lock writes
on ``clinigate-sync-lock`` not counted) first SIGKILLs the server's process group and waits until
its port refuses connections, then makes the real call. So exactly one write has landed, the
second fails with a refused connection, and the run must end with exit 3 naming the tracking
URI, leaving its lease on the lock (the dead server could not take the release). A server is
then restarted on the same backend store, artifact root and port; the crashed client's process
is gone, so a re-run on this host takes its lease over at once and must converge.

(b) starts two ``python -m clinigate sync --apply`` subprocesses together against the session
server: each must end cleanly (exit 0, or 3 if it gave up on the lock; never a traceback),
together they make each write of the plan exactly once, and a dry run afterwards exits 0.

(a) and (b) run on both backend stores, ``[sqlite]`` and ``[postgresql]``.

(c) plants leases on the session server's lock: one whose process is alive on this host and one
from another host; both block (exit 3 naming the holder) until the process dies or the lease
expires.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from testing.mlflow_server import free_port, start_mlflow_server, stop_mlflow_server
from testing.sync import actual_aliases, expected_aliases, run_concurrently, spawn_sync, sync_env
from testing.sync_registry import SyncRegistry, build_registry, new_backend_store

from clinigate.registry import reconcile
from clinigate.registry.actual import MlflowRegistry
from clinigate.registry.reconcile import LOCK_MODEL, LOCK_TAG

pytestmark = pytest.mark.slow

class Server:
    """A dedicated ``mlflow server`` whose store outlives the process."""

    def __init__(self, root: Path, backend_store_uri: str) -> None:
        self.root, self.backend_store_uri = root, backend_store_uri
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = start_mlflow_server(self.root, self.port, self.backend_store_uri)

    def kill(self) -> None:
        if self.proc is not None:
            stop_mlflow_server(self.proc, signal.SIGKILL)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            stop_mlflow_server(self.proc)
        self.proc = None


@pytest.fixture
def dedicated_server(backend: str, tmp_path: Path, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    root = tmp_path / "dedicated-mlflow"
    root.mkdir()
    server = Server(root, new_backend_store(backend, root, request))
    server.start()
    try:
        yield server
    finally:
        server.stop()


CRASHING_CLIENT = """
import os, signal, socket, sys, time

from clinigate.cli import main as main_module
from clinigate.registry import actual as actual_module
from clinigate.registry.reconcile import LOCK_MODEL

port, server_pgid, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
writes = []


def refused():
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return True
    return False


class KillingRegistry(actual_module.MlflowRegistry):
    def _write(self, what, name):
        if name == LOCK_MODEL:
            return
        writes.append(what)
        with open(log, "a") as handle:
            handle.write(f"{what} {name}\\n")
        if len(writes) == 2:
            os.killpg(server_pgid, signal.SIGKILL)
            while not refused():
                time.sleep(0.05)

    def set_alias(self, name, alias, version):
        self._write("set_alias", name)
        super().set_alias(name, alias, version)

    def delete_alias(self, name, alias):
        self._write("delete_alias", name)
        super().delete_alias(name, alias)

    def set_version_tag(self, name, version, key, value):
        self._write("set_version_tag", name)
        super().set_version_tag(name, version, key, value)

    def set_model_tag(self, name, key, value):
        self._write("set_model_tag", name)
        super().set_model_tag(name, key, value)

    def delete_model_tag(self, name, key):
        self._write("delete_model_tag", name)
        super().delete_model_tag(name, key)


actual_module.MlflowRegistry = KillingRegistry
main_module.main(["sync", *sys.argv[4:]])
"""


def test_server_killed_mid_apply_then_rerun_converges(dedicated_server: Server, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                      sync_cli) -> None:
    server = dedicated_server
    assert server.proc is not None
    reg = build_registry(server.url, tmp_path)
    script, log = tmp_path / "crashing_client.py", tmp_path / "writes.log"
    script.write_text(CRASHING_CLIENT)
    args = ("--tracking-uri", reg.uri, "--repo", str(reg.repo))
    started = time.monotonic()
    crashed = subprocess.Popen([sys.executable, str(script), str(server.port), str(server.proc.pid), str(log),
                                *args, "--apply"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=sync_env())
    out, err = crashed.communicate(timeout=120)
    elapsed = time.monotonic() - started
    writes = log.read_text().splitlines()
    assert len(writes) == 2, writes  # the run stopped at the write that met the dead server
    assert crashed.returncode == 3, out + err
    assert reg.uri in err
    assert "Traceback" not in err and "internal error" not in err
    assert elapsed < 60, f"a dead server took {elapsed:.0f} s to report"
    with pytest.raises(ProcessLookupError):
        os.kill(crashed.pid, 0)  # reaped by communicate(): its lease names a dead process

    server.kill()  # reap the server the crashing client killed
    server.start()  # same backend store, artifact root and port
    partial = actual_aliases(reg)
    assert partial != expected_aliases(reg)  # really interrupted half-way
    holder = reg.mlflow().get_registered_model(LOCK_MODEL).tags.get(LOCK_TAG)
    assert holder is not None  # the dead server could not take the release
    host, pid = holder.split(":")[:2]
    assert (host, pid) == (socket.gethostname(), str(crashed.pid))
    assert int(holder.rsplit(" ", 1)[1]) > time.time()  # not expired: only the takeover frees it

    code, out, err = sync_cli(*args, "--apply", "--lock-timeout", "1")
    assert code == 0, out + err
    assert actual_aliases(reg) == expected_aliases(reg)
    for (model, semver), logged in reg.logged.items():
        mv = reg.mlflow().get_model_version(logged.registered_model, logged.version)
        assert mv.tags.get("clinigate.synced_at"), (model, semver)
    code, out, err = sync_cli(*args, "--dry-run")
    assert code == 0, out + err
    assert LOCK_TAG not in reg.mlflow().get_registered_model(LOCK_MODEL).tags


_WRITES = ("set_alias", "remove_alias", "set_tags", "transition_stage")


def _write_key(write: dict[str, object]) -> tuple[object, ...]:
    """What a write changes (not the timestamps it records): one key per alias, stage or set of tags."""
    tags = write.get("tags")
    return (write["kind"], write["model"], write.get("alias"), write.get("version"), write.get("stage"),
            tuple(sorted(tags)) if isinstance(tags, dict) else None)


def test_two_concurrent_applies_against_a_server(backend_registry: SyncRegistry) -> None:
    reg = backend_registry
    dry = spawn_sync(reg, "--dry-run", "--format", "json")
    out, err = dry.communicate(timeout=300)
    assert dry.returncode == 1, out + err
    planned = sorted(_write_key(a) for a in json.loads(out)["actions"] if a["kind"] in _WRITES)
    assert planned
    results = run_concurrently(reg, "--apply", "--format", "json")
    written = []
    for code, out, err in results:
        assert code in (0, 3), out + err
        assert "Traceback" not in err and "internal error" not in err, err
        if code == 3:
            assert "lock" in err, err
        else:
            written += [_write_key(w) for w in json.loads(out)["written"]]
    assert 0 in [code for code, _, _ in results]
    assert sorted(written) == planned  # each write exactly once: the second replanned under the lock
    assert actual_aliases(reg) == expected_aliases(reg)
    dry = spawn_sync(reg, "--dry-run")
    out, err = dry.communicate(timeout=300)
    assert dry.returncode == 0, out + err
    assert LOCK_TAG not in reg.mlflow().get_registered_model(LOCK_MODEL).tags


@pytest.fixture
def planted_lease(sync_registry: SyncRegistry) -> Iterator[SyncRegistry]:
    """The session server's lock, freed again afterwards whoever holds it (other tests share it)."""
    MlflowRegistry(sync_registry.uri).create_registered_model(LOCK_MODEL)
    yield sync_registry
    MlflowRegistry(sync_registry.uri).delete_model_tag(LOCK_MODEL, LOCK_TAG)


def _plant(reg: SyncRegistry, owner: str, expires_in: float) -> str:
    value = f"{owner} {int(time.time() + expires_in)}"
    reg.mlflow().set_registered_model_tag(LOCK_MODEL, LOCK_TAG, value)
    return value


def _lock_value(reg: SyncRegistry) -> str | None:
    tag = reg.mlflow().get_registered_model(LOCK_MODEL).tags.get(LOCK_TAG)
    return None if tag is None else str(tag)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_lease_of_a_live_process_blocks_until_it_dies(planted_lease: SyncRegistry, sync_cli) -> None:  # type: ignore[no-untyped-def]
    reg = planted_lease
    args = ("--tracking-uri", reg.uri, "--repo", str(reg.repo), "--apply", "--lock-timeout", "1")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    try:
        owner = f"{socket.gethostname()}:{sleeper.pid}:0badcafe:{reconcile._pid_namespace()}"
        planted = _plant(reg, owner, 600)
        code, out, err = sync_cli(*args)
        assert code == 3, out + err
        assert owner in err and LOCK_MODEL in err and "still running" in err and "Traceback" not in err
        assert _lock_value(reg) == planted
        assert actual_aliases(reg) != expected_aliases(reg)  # nothing was written
    finally:
        sleeper.kill()
        sleeper.wait()
    code, out, err = sync_cli(*args)  # the same lease, its process now gone: taken over
    assert code == 0, out + err
    assert actual_aliases(reg) == expected_aliases(reg)
    assert _lock_value(reg) is None


def test_lease_from_another_host_waits_for_expiry(planted_lease: SyncRegistry, sync_cli) -> None:  # type: ignore[no-untyped-def]
    reg = planted_lease
    args = ("--tracking-uri", reg.uri, "--repo", str(reg.repo), "--apply", "--lock-timeout", "1")
    # A pid that is dead here says nothing about a process on another machine.
    owner = f"build-agent-7.invalid:{_dead_pid()}:0badcafe:{reconcile._pid_namespace()}"
    planted = _plant(reg, owner, 600)
    code, out, err = sync_cli(*args)
    assert code == 3, out + err
    assert owner in err and "build-agent-7.invalid" in err and "Traceback" not in err
    assert _lock_value(reg) == planted
    _plant(reg, owner, -1)  # as LEASE_SECONDS later
    code, out, err = sync_cli(*args)
    assert code == 0, out + err
    assert actual_aliases(reg) == expected_aliases(reg)


def test_dead_pid_in_another_pid_namespace_is_not_taken_over(planted_lease: SyncRegistry, sync_cli) -> None:  # type: ignore[no-untyped-def]
    """Containers sharing the host name (``--network host``) cannot see each other's processes."""
    reg = planted_lease
    owner = f"{socket.gethostname()}:{_dead_pid()}:0badcafe:1"
    planted = _plant(reg, owner, 600)
    code, out, err = sync_cli("--tracking-uri", reg.uri, "--repo", str(reg.repo), "--apply",
                              "--lock-timeout", "1")
    assert code == 3, out + err
    assert owner in err and _lock_value(reg) == planted
