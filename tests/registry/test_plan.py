"""Pure planning with an in-memory RegistryClient: the edge cases of the rules (no server)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from testing.fixtures import copy_example_registry, init_repo, merged_is_approved

from clinigate.errors import EnvironmentProblem
from clinigate.gitrepo import Git
from clinigate.registry.actual import RegisteredModelState, VersionState
from clinigate.registry.approval import is_approved
from clinigate.registry.desired import read_desired
from clinigate.registry.digest import artifact_digest
from clinigate.registry.plan import Drift, Refuse, RemoveAlias, SetAlias, SetTags, TransitionStage, make_plan
from clinigate.registry.reconcile import LOCK_MODEL, LOCK_TAG, apply, local_lock_path, sync_lock


@dataclass
class FakeRegistry:
    """An in-memory registry: enough MLflow to exercise planning and apply."""

    models: dict[str, RegisteredModelState] = field(default_factory=dict)
    versions_of: dict[str, dict[str, VersionState]] = field(default_factory=dict)
    digests: dict[tuple[str, str], str] = field(default_factory=dict)
    writes: list[tuple[str, ...]] = field(default_factory=list)
    tracking_uri: str = "http://fake.invalid"

    def registered_model(self, name: str) -> RegisteredModelState | None:
        return self.models.get(name)

    def versions(self, name: str) -> dict[str, VersionState]:
        return self.versions_of.get(name, {})

    def artifact_digest(self, name: str, version: str, source: str) -> str:
        return self.digests.get((name, version), "0" * 64)

    def set_alias(self, name: str, alias: str, version: str) -> None:
        self.writes.append(("set_alias", name, alias, version))
        self.models[name].aliases[alias] = version

    def delete_alias(self, name: str, alias: str) -> None:
        self.writes.append(("delete_alias", name, alias))
        self.models[name].aliases.pop(alias, None)

    def set_version_tag(self, name: str, version: str, key: str, value: str) -> None:
        self.writes.append(("set_version_tag", name, version, key))
        self.versions_of[name][version].tags[key] = value

    def set_model_tag(self, name: str, key: str, value: str) -> None:
        self.writes.append(("set_model_tag", name, key))
        self.models[name].tags[key] = value

    def delete_model_tag(self, name: str, key: str) -> None:
        self.writes.append(("delete_model_tag", name, key))
        self.models[name].tags.pop(key, None)

    def create_registered_model(self, name: str) -> None:
        self.models.setdefault(name, RegisteredModelState(name, {}, {}))

    def transition_stage(self, name: str, version: str, stage: str) -> None:
        self.writes.append(("transition_stage", name, version, stage))
        old = self.versions_of[name][version]
        self.versions_of[name][version] = VersionState(old.version, old.source, old.run_id, stage, old.tags)


def _fake_for(registry: Path) -> FakeRegistry:
    """Every version the example manifests name exists, with matching digests, and nothing else."""
    fake = FakeRegistry()
    for target in read_desired(Git(registry)).targets:
        name = target.registered_model
        fake.models.setdefault(name, RegisteredModelState(name, {}, {}))
        fake.versions_of.setdefault(name, {})[target.mlflow_version] = VersionState(
            target.mlflow_version, f"runs:/{'0' * 32}/model", None, None, {})
        fake.digests[(name, target.mlflow_version)] = target.artifact_sha256
    return fake


def _plan(registry: Path, fake: FakeRegistry, **options):  # type: ignore[no-untyped-def]
    return make_plan(read_desired(Git(registry)), fake, **options)


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    """The example registry with merged = approved: these tests are about planning, not signatures."""
    repo = tmp_path / "registry"
    repo.mkdir()
    copy_example_registry(repo)
    merged_is_approved(repo)
    return init_repo(repo)


def test_unsigned_versions_are_refused_by_default(tmp_path: Path) -> None:
    repo = tmp_path / "signed"
    repo.mkdir()
    copy_example_registry(repo)
    desired = read_desired(Git(init_repo(repo)))
    assert not desired.targets and len(desired.refusals) == 5
    assert all("lacks valid signed approvals from: clinical_reviewer" in r.reason for r in desired.refusals)


def test_is_approved_means_merged() -> None:
    assert is_approved("m", "1.0.0", merged_versions={"1.0.0"})
    assert not is_approved("m", "2.0.0", merged_versions={"1.0.0"})


def test_desired_state_of_the_example_registry(registry: Path) -> None:
    desired = read_desired(Git(registry))
    by_env = {(t.model, t.environment): t for t in desired.targets}
    assert set(by_env) == {("sepsis-ews", "production"), ("sepsis-ews", "staging"), ("sepsis-ews", "shadow"),
                           ("readmission-30d", "production"), ("readmission-30d", "staging")}
    production = by_env[("sepsis-ews", "production")]
    assert (production.version, production.registered_model, production.mlflow_version) == ("1.2.0", "sepsis-ews", "11")
    assert production.change_class == "hyperparameter_tuning"
    assert len(production.manifest_commit) == 40 and not desired.refusals


def test_unmerged_version_is_refused(registry: Path) -> None:
    (registry / "models" / "sepsis-ews" / "versions" / "1.3.0.yaml").unlink()
    Git(registry).commit_all("drop 1.3.0", author="T", email="t@test.invalid")
    desired = read_desired(Git(registry))
    assert [(r.environment, "not merged" in r.reason) for r in desired.refusals] == [("shadow", True)]


def test_plan_apply_then_noop(registry: Path) -> None:
    fake = _fake_for(registry)
    plan = _plan(registry, fake)
    kinds = {type(a) for a in plan.actions}
    assert kinds == {SetAlias, SetTags}
    apply(plan, fake, lock_timeout=1)
    fake.writes.clear()
    second = _plan(registry, fake)
    assert second.in_sync and not apply(second, fake).written and fake.writes == []


def test_record_distinguishes_git_change_from_hand_move(registry: Path) -> None:
    fake = _fake_for(registry)
    apply(_plan(registry, fake), fake, lock_timeout=1)
    state = fake.models["sepsis-ews"]
    state.aliases["production"] = "13"  # by hand, onto the shadow version
    warn = _plan(registry, fake, drift="warn")
    assert [type(a) for a in warn.actions] == [Drift]
    repair = _plan(registry, fake, drift="repair")
    assert [type(a) for a in repair.actions] == [SetAlias]
    assert "audit event" in repair.actions[0].reason
    state.tags["clinigate.alias.production"] = "13"  # as if sync had put it there: Git moved since
    assert [type(a) for a in _plan(registry, fake, drift="warn").actions] == [SetAlias]


def test_missing_registered_model_is_refused(registry: Path) -> None:
    fake = _fake_for(registry)
    del fake.models["readmission-30d"]
    plan = _plan(registry, fake)
    refused = [a for a in plan.actions if isinstance(a, Refuse)]
    assert {r.environment for r in refused} == {"production", "staging"}
    assert all("does not exist in MLflow" in r.reason for r in refused)


def test_prune_and_empty_guard(registry: Path) -> None:
    fake = _fake_for(registry)
    apply(_plan(registry, fake), fake, lock_timeout=1)
    fake.models["readmission-30d"].aliases["shadow"] = "3"
    assert [type(a) for a in _plan(registry, fake).actions] == [Drift]
    assert [type(a) for a in _plan(registry, fake, prune=True).actions] == [RemoveAlias]
    empty = make_plan(read_desired(Git(registry), model="none"), fake, prune=True)
    assert empty.blocked and "refusing to prune" in empty.blocked and not apply(empty, fake).written


def test_tags_follow_manifest_changes_only(registry: Path) -> None:
    fake = _fake_for(registry)
    apply(_plan(registry, fake), fake, lock_timeout=1)
    fake.versions_of["sepsis-ews"]["11"].tags["clinigate.change_class"] = "edited-by-hand"
    plan = _plan(registry, fake)
    assert [type(a) for a in plan.actions] == [SetTags]
    assert "clinigate.synced_at" in plan.actions[0].tags


def test_legacy_stages_only_when_asked(registry: Path) -> None:
    fake = _fake_for(registry)
    apply(_plan(registry, fake), fake, lock_timeout=1)
    plan = _plan(registry, fake, legacy_stages=True)
    stages = sorted((a.model, a.stage) for a in plan.actions if isinstance(a, TransitionStage))
    assert stages == [("readmission-30d", "Production"), ("readmission-30d", "Staging"),
                      ("sepsis-ews", "Production"), ("sepsis-ews", "Staging")]


def test_digest_mismatch_refuses_production_only(registry: Path) -> None:
    fake = _fake_for(registry)
    fake.digests[("sepsis-ews", "11")] = "f" * 64
    plan = _plan(registry, fake)
    refused = [a for a in plan.actions if isinstance(a, Refuse)]
    assert len(refused) == 1 and "f" * 64 in refused[0].reason
    assert not any(isinstance(a, SetAlias) and a.model == "sepsis-ews" and a.alias == "production"
                   for a in plan.actions)


def test_artifact_digest_algorithm(tmp_path: Path) -> None:
    import hashlib

    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.bin").write_bytes(b"x")
    (tmp_path / "a.txt").write_bytes(b"a")
    expected = hashlib.sha256(
        b"a.txt\0" + hashlib.sha256(b"a").hexdigest().encode() + b"\n"
        + b"b/x.bin\0" + hashlib.sha256(b"x").hexdigest().encode() + b"\n").hexdigest()
    assert artifact_digest(tmp_path) == expected


def test_local_lock_paths() -> None:
    assert local_lock_path("sqlite:////var/db/mlflow.db") == Path("/var/db/mlflow.db.clinigate-sync.lock")
    assert local_lock_path("sqlite:///mlflow.db") == Path("mlflow.db.clinigate-sync.lock")
    assert local_lock_path("file:///srv/mlruns") == Path("/srv/mlruns/.clinigate-sync.lock")
    assert local_lock_path("http://127.0.0.1:5000") is None


def test_file_lock_excludes_a_second_holder(tmp_path: Path) -> None:
    fake = FakeRegistry(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db")
    with sync_lock(fake, timeout=1), pytest.raises(EnvironmentProblem, match="holds the lock"):
        with sync_lock(fake, timeout=0.3):
            pass


def test_tag_lock_names_the_holder() -> None:
    fake = FakeRegistry()
    fake.models[LOCK_MODEL] = RegisteredModelState(LOCK_MODEL, {}, {LOCK_TAG: f"host:1 {int(time.time()) + 60}"})
    with pytest.raises(EnvironmentProblem, match="host:1"), sync_lock(fake, timeout=0.2):
        pass
    fake.models[LOCK_MODEL].tags[LOCK_TAG] = f"host:1 {int(time.time()) - 1}"
    with sync_lock(fake, timeout=0.2, owner="me"):
        assert fake.models[LOCK_MODEL].tags[LOCK_TAG].startswith("me ")
    assert LOCK_TAG not in fake.models[LOCK_MODEL].tags


class _Interrupted(Exception):
    pass


def test_interrupted_apply_converges_on_rerun(registry: Path) -> None:
    fake = _fake_for(registry)
    real_set_model_tag = fake.set_model_tag
    calls = {"n": 0}

    def flaky(name: str, key: str, value: str) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # dies between an alias and its record
            raise _Interrupted
        real_set_model_tag(name, key, value)

    fake.set_model_tag = flaky  # type: ignore[method-assign]
    with pytest.raises(_Interrupted):
        apply(_plan(registry, fake), fake, lock_timeout=1)
    fake.set_model_tag = real_set_model_tag  # type: ignore[method-assign]
    rerun = _plan(registry, fake)
    assert not rerun.drifts and not rerun.refusals
    apply(rerun, fake, lock_timeout=1)
    assert _plan(registry, fake).in_sync


def test_a_failed_lock_release_does_not_hide_the_failure_that_stopped_the_apply(registry: Path) -> None:
    """The server dies mid-apply: the user must see the write that failed, not the lock release."""
    from clinigate.errors import EnvironmentProblem
    from clinigate.registry.reconcile import LOCK_MODEL

    fake = _fake_for(registry)
    plan = _plan(registry, fake)
    real_registered_model = fake.registered_model
    dead = {"yes": False}

    def set_alias(name: str, alias: str, version: str) -> None:
        dead["yes"] = True
        raise EnvironmentProblem("write failed: set_alias")

    def registered_model(name: str):  # type: ignore[no-untyped-def]
        if dead["yes"] and name == LOCK_MODEL:
            raise EnvironmentProblem("failed to read registered model clinigate-sync-lock")
        return real_registered_model(name)

    fake.set_alias = set_alias  # type: ignore[method-assign]
    fake.registered_model = registered_model  # type: ignore[method-assign]
    with pytest.raises(EnvironmentProblem, match="write failed: set_alias"):
        apply(plan, fake, lock_timeout=1)


def test_apply_replans_under_the_lock(registry: Path) -> None:
    """A second apply that waited for the lock executes a fresh plan, not its stale one."""
    fake = _fake_for(registry)
    stale = _plan(registry, fake)
    apply(_plan(registry, fake), fake, lock_timeout=1)  # another sync finished meanwhile
    writes_before = len(fake.writes)
    result = apply(stale, fake, lock_timeout=1, replan=lambda: _plan(registry, fake))
    assert result.plan.in_sync and result.written == []
    assert [w for w in fake.writes[writes_before:] if "clinigate-sync-lock" not in str(w)] == []
