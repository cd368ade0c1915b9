"""Sync deploys only versions whose required roles all signed (trust.yaml's default)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from testing.sync import actual_aliases, expected_aliases
from testing.sync_registry import SyncRegistry, build_registry

from clinigate.demo.approvals import sign_deployed_versions
from clinigate.gitrepo import Git

pytestmark = pytest.mark.slow


@pytest.fixture
def signed_reg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SyncRegistry:
    from mlflow import MlflowClient

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    client: Any = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_experiment("clinigate-tests", artifact_location=(tmp_path / "artifacts").as_uri())
    return build_registry(uri, tmp_path, client, signed=True)


def test_unsigned_versions_are_refused_and_signed_ones_deployed(signed_reg: SyncRegistry, sync_cli) -> None:  # type: ignore[no-untyped-def]
    reg = signed_reg
    args = ("--tracking-uri", reg.uri, "--repo", str(reg.repo))
    code, out, err = sync_cli(*args, "--apply")
    assert code == 1, out + err
    assert "lacks valid signed approvals from: clinical_reviewer" in out
    assert all(not aliases for aliases in actual_aliases(reg).values())

    acts = sign_deployed_versions(Git(reg.repo), reg.pki)
    assert {a.predicate.signer.id for a in acts} >= {"jlindqvist", "dwhitfield"}
    code, out, err = sync_cli(*args, "--apply")
    assert code == 0, out + err
    assert actual_aliases(reg) == expected_aliases(reg)

    name, version = reg.names["sepsis-ews"], reg.logged[("sepsis-ews", "1.2.1")].version
    tags = reg.mlflow().get_model_version(name, version).tags
    # The manifest declares metadata_only, but this test logs a fresh artifact per version, so
    # the policy computes data_update: the tag records the computed class, not the claim.
    assert tags["clinigate.change_class"] == "data_update"
    assert "clinical_reviewer:jlindqvist" in tags["clinigate.approved_by"]


def test_a_ledger_rewound_behind_what_sync_recorded_is_refused_in_a_fresh_clone(
        signed_reg: SyncRegistry, sync_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Sync records the ledger commit each alias move relied on in MLflow; a later sync from a
    clone with no record of its own still refuses a ledger that no longer contains it."""
    from testing.fixtures import git

    from clinigate.approvals.ledger import LEDGER_REF, Ledger

    reg = signed_reg
    sign_deployed_versions(Git(reg.repo), reg.pki)
    code, out, err = sync_cli("--tracking-uri", reg.uri, "--repo", str(reg.repo), "--apply")
    assert code == 0, out + err
    tip = Ledger(Git(reg.repo)).tip()
    assert tip is not None
    assert reg.mlflow().get_registered_model(reg.names["sepsis-ews"]).tags["clinigate.ledger_commit"] == tip
    root = git(reg.repo, "rev-list", "--max-parents=0", LEDGER_REF).split()[0]
    git(reg.repo, "update-ref", LEDGER_REF, root)  # the rewind, on the repository CI clones from
    clone = tmp_path / "fresh"
    git(tmp_path, "clone", "-q", str(reg.repo), str(clone))
    Ledger(Git(clone)).fetch()
    code, out, err = sync_cli("--tracking-uri", reg.uri, "--repo", str(clone), "--apply")
    assert code == 1, out + err
    assert "[ledger.rewound]" in err and tip in err and "registered model" in err
    assert actual_aliases(reg) == expected_aliases(reg)  # nothing moved
