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

from .world import STATUS_APP_ID, VERSION, World, add_version, new_world

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
