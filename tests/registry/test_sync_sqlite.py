"""`clinigate sync` on the embedded default: a ``sqlite:///`` tracking URI, no server at all.

Versions are registered straight into the SQLite store with
``MlflowClient(tracking_uri="sqlite:///...")``, their artifacts in a local folder under
``tmp_path`` (the experiment's artifact location). Sync runs in-process through the CLI entry
point, and, for the file lock, as two concurrent subprocesses on the same store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from testing.sync import actual_aliases, expected_aliases, run_concurrently
from testing.sync_registry import SyncRegistry, build_registry

from clinigate.registry.reconcile import local_lock_path

pytestmark = pytest.mark.slow


def sqlite_registry(tmp_path: Path) -> SyncRegistry:
    from mlflow import MlflowClient

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    client: Any = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_experiment("clinigate-tests", artifact_location=(tmp_path / "artifacts").as_uri())
    return build_registry(uri, tmp_path, client)


@pytest.fixture
def sqlite_reg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SyncRegistry:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)  # anything MLflow would drop in the working directory stays here
    return sqlite_registry(tmp_path)


def test_sqlite_apply_dry_run_and_repair(sqlite_reg: SyncRegistry, sync_cli) -> None:  # type: ignore[no-untyped-def]
    reg = sqlite_reg
    args = ("--tracking-uri", reg.uri, "--repo", str(reg.repo))
    code, out, err = sync_cli(*args, "--dry-run")
    assert code == 1, out + err
    code, out, err = sync_cli(*args, "--apply")
    assert code == 0, out + err
    assert actual_aliases(reg) == expected_aliases(reg)
    code, out, err = sync_cli(*args, "--dry-run")
    assert code == 0, out + err

    name, shadow = reg.names["sepsis-ews"], reg.logged[("sepsis-ews", "1.3.0")].version
    reg.mlflow().set_registered_model_alias(name, "production", shadow)
    code, out, err = sync_cli(*args, "--dry-run")
    assert code == 1, out + err
    assert f"moved by hand to version {shadow}" in out
    code, out, err = sync_cli(*args, "--apply")
    assert code == 0, out + err
    assert actual_aliases(reg) == expected_aliases(reg)
    assert sync_cli(*args, "--dry-run")[0] == 0
    lock = local_lock_path(reg.uri)
    assert lock is not None and lock.parent == Path(reg.uri.split(":///", 1)[1]).parent


def test_sqlite_two_concurrent_applies(sqlite_reg: SyncRegistry, sync_cli) -> None:  # type: ignore[no-untyped-def]
    reg = sqlite_reg
    results = run_concurrently(reg, "--apply")
    for code, out, err in results:
        assert code in (0, 3), out + err
        assert "Traceback" not in err and "internal error" not in err, err
    assert 0 in [code for code, _, _ in results]
    assert actual_aliases(reg) == expected_aliases(reg)
    code, out, err = sync_cli("--tracking-uri", reg.uri, "--repo", str(reg.repo), "--dry-run")
    assert code == 0, out + err
