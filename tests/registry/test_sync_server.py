"""`clinigate sync` against a real MLflow server (SQLite backend, local artifacts, loopback).

The first sync and the repair of a hand-moved alias also run on a PostgreSQL backend store
(``backend_registry``: ``[sqlite]`` and ``[postgresql]``).
"""

from __future__ import annotations

import json
import time

import pytest
from testing.sync_registry import SyncRegistry, rewrite_artifact

from clinigate.gitrepo import Git
from clinigate.registry.desired import read_desired
from clinigate.registry.plan import make_plan
from clinigate.registry.reconcile import LOCK_MODEL, LOCK_TAG, apply

pytestmark = pytest.mark.slow


def _sync(reg: SyncRegistry, sync_cli, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code, out, err = sync_cli("--tracking-uri", reg.uri, "--repo", str(reg.repo), *args)
    return int(code), str(out), str(err)


def _aliases(reg: SyncRegistry, model: str) -> dict[str, str]:
    return dict(reg.mlflow().get_registered_model(reg.names[model]).aliases)


def _plan_apply(reg: SyncRegistry, **options):  # type: ignore[no-untyped-def]
    client = reg.client()
    plan = make_plan(read_desired(Git(reg.repo)), client, **options)
    return plan, apply(plan, client, lock_timeout=5), client


def test_first_sync_from_empty(backend_registry: SyncRegistry, sync_cli) -> None:  # type: ignore[no-untyped-def]
    reg = backend_registry
    code, out, err = _sync(reg, sync_cli, "--dry-run")
    assert code == 1, out + err
    assert "new alias" in out
    code, out, err = _sync(reg, sync_cli, "--apply", "--format", "json")
    assert code == 0, out + err
    report = json.loads(out)
    assert report["applied"] and report["written"]
    for (model, semver), logged in reg.logged.items():
        mv = reg.mlflow().get_model_version(logged.registered_model, logged.version)
        assert mv.tags["clinigate.change_class"], (model, semver)
        assert len(mv.tags["clinigate.manifest_sha256"]) == 64
        assert len(mv.tags["clinigate.git_commit"]) == 40
        assert mv.tags["clinigate.approved_by"] == ""
        assert mv.tags["clinigate.synced_at"]
    assert _aliases(reg, "sepsis-ews") == {
        "production": reg.logged[("sepsis-ews", "1.2.0")].version,
        "staging": reg.logged[("sepsis-ews", "1.2.1")].version,
        "shadow": reg.logged[("sepsis-ews", "1.3.0")].version}
    assert _aliases(reg, "readmission-30d") == {
        "production": reg.logged[("readmission-30d", "1.1.0")].version,
        "staging": reg.logged[("readmission-30d", "2.0.0")].version}
    code, out, _ = _sync(reg, sync_cli, "--dry-run")
    assert code == 0, out
    assert out.rstrip().endswith("in sync: 0 to write, 0 refused, 0 drift warning(s)")


def test_second_apply_writes_nothing(sync_registry: SyncRegistry) -> None:
    reg = sync_registry
    _, first, _ = _plan_apply(reg)
    assert first.written
    plan, second, client = _plan_apply(reg)
    assert plan.in_sync and not second.written
    assert client.writes == []


def test_first_sync_searches_per_model_then_one_search_serves_the_registry(sync_registry: SyncRegistry) -> None:
    reg = sync_registry
    _, _, first = _plan_apply(reg)
    assert sorted(r for r in first.reads if r[0] == "versions") == sorted(
        ("versions", name) for name in reg.names.values())  # nothing tagged yet: one search per model
    plan, _, client = _plan_apply(reg)
    assert plan.in_sync
    assert client.reads == [("versions_tagged", "clinigate.manifest_sha256")]  # O(1) version reads


def test_hand_moved_production_is_put_back(backend_registry: SyncRegistry, sync_cli) -> None:  # type: ignore[no-untyped-def]
    reg = backend_registry
    assert _sync(reg, sync_cli, "--apply")[0] == 0
    name, shadow = reg.names["sepsis-ews"], reg.logged[("sepsis-ews", "1.3.0")].version
    reg.mlflow().set_registered_model_alias(name, "production", shadow)
    code, out, _ = _sync(reg, sync_cli, "--dry-run")
    assert code == 1
    assert f"moved by hand to version {shadow}" in out and "audit event" in out
    assert _aliases(reg, "sepsis-ews")["production"] == shadow  # a dry run writes nothing
    code, out, err = _sync(reg, sync_cli, "--apply")
    assert code == 0, out + err
    assert _aliases(reg, "sepsis-ews")["production"] == reg.logged[("sepsis-ews", "1.2.0")].version
    assert _sync(reg, sync_cli, "--dry-run")[0] == 0


def test_drift_warn_leaves_hand_moved_alias(sync_registry: SyncRegistry, sync_cli) -> None:  # type: ignore[no-untyped-def]
    reg = sync_registry
    assert _sync(reg, sync_cli, "--apply")[0] == 0
    name, other = reg.names["sepsis-ews"], reg.logged[("sepsis-ews", "1.2.1")].version
    reg.mlflow().set_registered_model_alias(name, "production", other)
    code, out, _ = _sync(reg, sync_cli, "--apply", "--drift", "warn")
    assert code == 1
    assert "DRIFT" in out and "--drift warn leaves it" in out
    assert _aliases(reg, "sepsis-ews")["production"] == other


def test_git_change_moves_alias_even_in_warn_mode(sync_registry: SyncRegistry, sync_cli) -> None:  # type: ignore[no-untyped-def]
    reg = sync_registry
    assert _sync(reg, sync_cli, "--apply")[0] == 0
    deployment = reg.repo / "models" / "sepsis-ews" / "deployment.yaml"
    deployment.write_text(deployment.read_text().replace("  staging:\n    version: 1.2.1", "  staging:\n    version: 1.3.0"))
    reg.commit("stage 1.3.0")
    code, out, err = _sync(reg, sync_cli, "--apply", "--drift", "warn")
    assert code == 0, out + err
    assert "Git moves it from version" in out
    assert _aliases(reg, "sepsis-ews")["staging"] == reg.logged[("sepsis-ews", "1.3.0")].version


def test_extra_environment_alias_removed_only_with_prune(sync_registry: SyncRegistry, sync_cli) -> None:  # type: ignore[no-untyped-def]
    reg = sync_registry
    assert _sync(reg, sync_cli, "--apply")[0] == 0
    name = reg.names["readmission-30d"]  # its deployment.yaml has no shadow environment
    reg.mlflow().set_registered_model_alias(name, "shadow", reg.logged[("readmission-30d", "2.0.0")].version)
    reg.mlflow().set_registered_model_alias(name, "champion", reg.logged[("readmission-30d", "2.0.0")].version)
    code, out, _ = _sync(reg, sync_cli, "--apply")
    assert code == 1 and "--prune removes it" in out
    assert "shadow" in _aliases(reg, "readmission-30d")
    code, out, err = _sync(reg, sync_cli, "--apply", "--prune")
    assert code == 0, out + err
    aliases = _aliases(reg, "readmission-30d")
    assert "shadow" not in aliases
    assert "champion" in aliases  # not an environment: not clinigate's to remove


def test_prune_with_empty_desired_state_is_refused(sync_registry: SyncRegistry, sync_cli) -> None:  # type: ignore[no-untyped-def]
    reg = sync_registry
    assert _sync(reg, sync_cli, "--apply")[0] == 0
    repo = Git(reg.repo)
    repo.switch("empty", create=True)
    repo.run(["rm", "-r", "-q", "models"])
    reg.commit("no models")
    code, out, _ = _sync(reg, sync_cli, "--apply", "--prune", "--branch", "empty")
    assert code == 2
    assert "refusing to prune" in out
    assert len(_aliases(reg, "sepsis-ews")) == 3


def test_digest_mismatch_is_refused(sync_registry: SyncRegistry, sync_cli) -> None:  # type: ignore[no-untyped-def]
    reg = sync_registry
    logged = reg.logged[("sepsis-ews", "1.2.0")]
    wrong = "ab" * 32
    rewrite_artifact(reg.repo / "models" / "sepsis-ews" / "versions" / "1.2.0.yaml",
                     registered_model=logged.registered_model, version=logged.version, run_id=logged.run_id,
                     sha256=wrong, uri=logged.source)
    reg.commit("tampered digest")
    code, out, _ = _sync(reg, sync_cli, "--apply")
    assert code == 1
    assert "digest mismatch" in out and wrong in out and logged.digest in out
    assert "production" not in _aliases(reg, "sepsis-ews")
    assert "staging" in _aliases(reg, "sepsis-ews")  # the rest still syncs


def test_version_deleted_by_hand_is_drift_not_crash(sync_registry: SyncRegistry, sync_cli) -> None:  # type: ignore[no-untyped-def]
    reg = sync_registry
    assert _sync(reg, sync_cli, "--apply")[0] == 0
    logged = reg.logged[("sepsis-ews", "1.2.1")]
    reg.mlflow().delete_model_version(logged.registered_model, logged.version)
    code, out, err = _sync(reg, sync_cli, "--dry-run")
    assert code == 1, err
    assert f"version {logged.version}" in out and "missing from MLflow" in out
    code, out, err = _sync(reg, sync_cli, "--apply")
    assert code == 1 and "internal error" not in err
    assert _aliases(reg, "sepsis-ews")["production"] == reg.logged[("sepsis-ews", "1.2.0")].version


def test_model_option_limits_scope(sync_registry: SyncRegistry, sync_cli) -> None:  # type: ignore[no-untyped-def]
    reg = sync_registry
    code, out, err = _sync(reg, sync_cli, "--apply", "--model", "sepsis-ews")
    assert code == 0, out + err
    assert reg.mlflow().get_registered_model(reg.names["readmission-30d"]).aliases == {}
    assert _sync(reg, sync_cli, "--dry-run", "--model", "readmission-30d")[0] == 1
    assert _sync(reg, sync_cli, "--dry-run", "--model", "no-such-model")[0] == 2


def test_legacy_stages(sync_registry: SyncRegistry, sync_cli) -> None:  # type: ignore[no-untyped-def]
    reg = sync_registry
    code, out, err = _sync(reg, sync_cli, "--apply", "--legacy-stages", "--model", "sepsis-ews")
    assert code == 0, out + err
    prod = reg.logged[("sepsis-ews", "1.2.0")]
    assert reg.mlflow().get_model_version(prod.registered_model, prod.version).current_stage == "Production"
    assert _sync(reg, sync_cli, "--dry-run", "--legacy-stages", "--model", "sepsis-ews")[0] == 0


def test_lock_held_by_another_sync_fails_cleanly(sync_registry: SyncRegistry, sync_cli) -> None:  # type: ignore[no-untyped-def]
    reg = sync_registry
    client = reg.mlflow()
    try:
        client.create_registered_model(LOCK_MODEL)
    except Exception as exc:
        assert getattr(exc, "error_code", None) == "RESOURCE_ALREADY_EXISTS"
    client.set_registered_model_tag(LOCK_MODEL, LOCK_TAG, f"ci-runner-7:4242 {int(time.time()) + 300}")
    try:
        code, out, err = _sync(reg, sync_cli, "--apply", "--lock-timeout", "1")
        assert code == 3
        assert "ci-runner-7:4242" in err and reg.uri in err
        assert reg.mlflow().get_registered_model(reg.names["sepsis-ews"]).aliases == {}
        # An expired lease is taken over.
        client.set_registered_model_tag(LOCK_MODEL, LOCK_TAG, f"crashed:1 {int(time.time()) - 5}")
        code, out, err = _sync(reg, sync_cli, "--apply", "--lock-timeout", "1")
        assert code == 0, out + err
        assert LOCK_TAG not in client.get_registered_model(LOCK_MODEL).tags  # released
    finally:
        client.delete_registered_model_tag(LOCK_MODEL, LOCK_TAG)
