"""A pull request's whole life on "GitHub": opened, judged, reviewed in the UI, signed by the
approval workflow from main, turned green, merged, deployed by sync to a real MLflow server —
and the attacks on that path, each refused for its own reason (DESIGN §6, §10, §13)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from testing.fixtures import git
from testing.github_api import LocalGitHub, local_github  # noqa: F401
from testing.local_sigstore import LocalSigstore, local_sigstore  # noqa: F401

from registry.conftest import SyncRegistry, build_registry, log_model_version, mlflow_server, rewrite_artifact  # noqa: F401

from .world import DEPLOYMENT, STATUS_APP_ID, VERSION, World, add_version, new_world

pytestmark = pytest.mark.slow

APPROVE_CLINICAL = "Subgroup AUCs reviewed.\nclinigate: approve as clinical_reviewer — subgroup AUCs reviewed, CR-212"
APPROVE_QUALITY = "clinigate: approve as quality — release record QR-114"


@pytest.fixture
def world(tmp_path: Path, local_github: LocalGitHub, local_sigstore: LocalSigstore) -> Iterator[World]:  # noqa: F811
    with local_sigstore.serve():
        yield new_world(tmp_path, local_github, local_sigstore)


def _open_version_pull(world: World, number: int = 1, *, author: str = "pnair") -> str:
    clone = world.clone(f"scientist-{number}")
    git(clone, "switch", "-q", "-c", f"sepsis-1.4.0-{number}")
    add_version(world, clone, submitter=author)
    world.commit(clone, "sepsis-ews 1.4.0: 2025 Q3 data refresh; stage it", author)
    return world.open_pull(clone, f"sepsis-1.4.0-{number}", number, author)


def _outcomes(results: list) -> str:  # type: ignore[type-arg]
    return "\n".join(r.stdout + r.stderr for r in results)


def test_reviews_in_the_ui_become_signed_approvals_and_turn_the_gate_green(world: World) -> None:
    head = _open_version_pull(world)
    evaluation = world.evaluate(1)
    assert evaluation.code == 1 and "pending" in evaluation.stdout, evaluation.stdout + evaluation.stderr

    after_open = world.approval_workflow(1, after="clinigate/evaluate")
    assert [r.code for r in after_open] == [0, 0, 0, 0], _outcomes(after_open)
    [(state, description, app)] = world.statuses(head)
    assert state == "pending" and "clinical_reviewer" in description and app == STATUS_APP_ID

    world.review(1, "jlindqvist", APPROVE_CLINICAL)
    first = world.approval_workflow(1)
    assert [r.code for r in first] == [0, 0, 0, 0], _outcomes(first)
    assert "signed approved as clinical_reviewer " + VERSION in first[1].stdout
    assert world.statuses(head)[0][0] == "pending"

    world.review(1, "dwhitfield", APPROVE_QUALITY)
    second = world.approval_workflow(1)
    assert [r.code for r in second] == [0, 0, 0, 0], _outcomes(second)
    assert f"signed approved as quality {VERSION}" in second[1].stdout
    assert "already recorded" in second[1].stdout  # the first review is not signed twice
    state, description, app = world.statuses(head)[0]
    assert (state, app) == ("success", STATUS_APP_ID), description

    # The evaluation (read-only, the base's rules) agrees once it sees the pushed ledger.
    assert world.evaluate(1).code == 0


@pytest.fixture
def deployed(tmp_path: Path, local_github: LocalGitHub, local_sigstore: LocalSigstore,  # noqa: F811
             mlflow_server: str) -> Iterator[tuple[World, SyncRegistry]]:
    """The example registry with its deployed versions on a real MLflow server, signed (PKI)."""
    from clinigate.demo.approvals import sign_deployed_versions
    from clinigate.gitrepo import Git

    reg = build_registry(mlflow_server, tmp_path, signed=True)
    with local_sigstore.serve():
        yield new_world(tmp_path, local_github, local_sigstore, repo=reg.repo,
                        prepare=lambda repo: bool(sign_deployed_versions(Git(repo), reg.pki))), reg


def test_the_whole_life_ends_with_sync_moving_production(deployed: tuple[World, SyncRegistry],
                                                          tmp_path: Path) -> None:
    world, reg = deployed
    name = reg.names["sepsis-ews"]
    clone = world.clone("scientist")
    git(clone, "switch", "-q", "-c", "release-1.2.1")
    add_version(world, clone)  # 1.4.0 staged, its artifact logged to MLflow
    logged = log_model_version(reg.mlflow(), name, {"MLmodel": b"name: sepsis-ews\nversion: 1.4.0\n"}, tmp_path)
    rewrite_artifact(clone / VERSION, registered_model=name, version=logged.version, run_id=logged.run_id,
                     sha256=logged.digest, uri=logged.source)
    deployment = clone / DEPLOYMENT
    deployment.write_text(deployment.read_text()
                          .replace("  production:\n    version: 1.2.0", "  production:\n    version: 1.2.1")
                          .replace("rollback_target: 1.1.0", "rollback_target: 1.2.0"))
    world.commit(clone, "promote 1.2.1 (CAPA-2025-007 model card) to production; stage 1.4.0", "pnair")
    head = world.open_pull(clone, "release-1.2.1", 1, "pnair")

    assert world.evaluate(1).code == 1
    world.approval_workflow(1, after="clinigate/evaluate")
    assert world.statuses(head)[0][0] in ("pending", "failure")
    world.review(1, "jlindqvist", APPROVE_CLINICAL)
    world.review(1, "dwhitfield", APPROVE_QUALITY)
    run = world.approval_workflow(1)
    assert [r.code for r in run] == [0, 0, 0, 0], _outcomes(run)
    state, description, app = world.statuses(head)[0]
    assert (state, app) == ("success", STATUS_APP_ID), _outcomes(run)

    merged = world.merge(1)
    sync = world.clone("sync")  # sync.yml: main, the ledger fetched first, --rev origin/main
    assert world.clinigate(sync, "ledger", "fetch").code == 0
    result = world.clinigate(sync, "sync", "--tracking-uri", reg.uri, "--branch", "main", "--rev", "origin/main",
                             "--apply")
    assert result.code == 0, result.stdout + result.stderr
    client = reg.mlflow()
    assert client.get_model_version_by_alias(name, "production").version == reg.logged[("sepsis-ews", "1.2.1")].version
    assert client.get_model_version_by_alias(name, "staging").version == logged.version
    assert git(sync, "rev-parse", "origin/main").strip() == merged
