"""Fail loudly on side effects: isolated HOME, no network except loopback, clean GIT_* env."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from clinigate._internal.network import is_loopback

pytest_plugins = ["testing.fixtures", "testing.approvals", "testing.ledger_origin", "testing.ssh_stub"]


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    # sigstore keeps its TUF cache under XDG_CACHE_HOME: never share one between tests.
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)


def _is_loopback(address: object) -> bool:
    if isinstance(address, tuple) and address:
        return is_loopback(str(address[0]))
    return isinstance(address, (str, bytes))  # unix sockets


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> None:
        if not _is_loopback(address):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


REPO_ROOT = Path(__file__).resolve().parent.parent
