"""The approval workflow's other commands, as its steps run them: review-line, code-scanning,
and what they say when GitHub refuses (exit 3, never a traceback)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from testing.fixtures import git
from testing.github_api import LocalGitHub, local_github  # noqa: F401
from testing.github_events import pull_request_review_event, write_event
from testing.local_sigstore import LocalSigstore, local_sigstore  # noqa: F401
from testing.world import World, add_version, new_world

pytestmark = pytest.mark.slow


@pytest.fixture
def world(tmp_path: Path, local_github: LocalGitHub, local_sigstore: LocalSigstore) -> Iterator[World]:  # noqa: F811
    with local_sigstore.serve():
        yield new_world(tmp_path, local_github, local_sigstore)


def _pull(world: World, *, repoint_roles: bool = False) -> str:
    clone = world.clone("scientist")
    git(clone, "switch", "-q", "-c", "change")
    add_version(world, clone)
    if repoint_roles:  # a governance file beside a version: governance.mixed_change fails the gate
        roles = clone / "policies/data/roles.yaml"
        roles.write_text(roles.read_text().replace("title: Information Security Architect", "title: CISO"))
    world.commit(clone, "change", "pnair")
    return world.open_pull(clone, "change", 1, "pnair")


@pytest.mark.parametrize(("body", "state", "code", "expected"), [
    ("clinigate: approve as clinical_reviewer — subgroups fine", "APPROVED", 0,
     "::notice title=clinigate review line::reads: approved as clinical_reviewer — subgroups fine"),
    ("clinigate: approve as clinical_reviewer", "APPROVED", 1, "[review.line_syntax]"),
    ("clinigate: approve as quality — ok", "CHANGES_REQUESTED", 1, "the review's state is CHANGES_REQUESTED"),
    ("Looks good to me", "APPROVED", 0, ""),
])
def test_review_line_answers_the_reviewer_at_once(world: World, body: str, state: str, code: int,
                                                  expected: str) -> None:
    _pull(world)
    review = world.gh.pull(world.repo, 1).review(world.review(1, "jlindqvist", body, state=state))
    event = write_event(world.tmp / "review.json", pull_request_review_event(review))
    result = world.clinigate(world.tmp, "github", "review-line", "--event", str(event), "--format", "github")
    assert result.code == code and expected in result.stdout, result.stdout + result.stderr


def test_code_scanning_receives_the_gates_findings_on_the_head(world: World) -> None:
    head = _pull(world, repoint_roles=True)
    runner = world.clone("scanning")
    env = world._actions_env(world.tmp / "none.json", "workflow_dispatch", "refs/heads/main")
    result = world.clinigate(runner, "github", "code-scanning", "--branch", "main", "--pr", "1", env=env)
    assert result.code == 0, result.stdout + result.stderr
    [upload] = world.repo.sarifs
    assert upload["commit_sha"] == head and upload["ref"] == "refs/pull/1/head"
    rules = {r["ruleId"] for r in upload["sarif"]["runs"][0]["results"]}
    assert "governance.mixed_change" in rules, json.dumps(upload["sarif"])[:2000]


def test_a_refused_token_is_an_environment_error_without_a_traceback(world: World) -> None:
    _pull(world)
    runner = world.clone("approval")
    env = {**world._actions_env(world.tmp / "none.json", "workflow_dispatch", "refs/heads/main"),
           "GITHUB_TOKEN": "ghs_wrong"}
    result = world.clinigate(runner, "github", "gate-status", "--branch", "main", "--pr", "1", env=env)
    assert result.code == 3 and "HTTP 401" in result.stderr and "Traceback" not in result.stderr
    assert "ghs_wrong" not in result.stdout + result.stderr


def test_a_status_app_key_that_is_not_the_apps_is_refused(world: World) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    head = _pull(world)
    runner = world.clone("approval")
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    env = {**world._actions_env(world.tmp / "none.json", "workflow_dispatch", "refs/heads/main"),
           "CLINIGATE_STATUS_APP_KEY": other}
    result = world.clinigate(runner, "github", "gate-status", "--branch", "main", "--pr", "1",
                             "--app-key-env", "CLINIGATE_STATUS_APP_KEY", env=env)
    assert result.code == 3 and "HTTP 401" in result.stderr and "Traceback" not in result.stderr
    assert world.statuses(head) == []
