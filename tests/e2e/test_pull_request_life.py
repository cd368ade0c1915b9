"""A pull request's whole life on "GitHub": opened, judged, reviewed in the UI, signed by the
approval workflow from main, turned green, merged, deployed by sync to a real MLflow server —
and the attacks on that path, each refused for its own reason (DESIGN §6, §10, §13)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from testing.fixtures import git
from testing.github_api import LocalGitHub, local_github  # noqa: F401
from testing.local_sigstore import LocalSigstore, local_sigstore  # noqa: F401
from testing.mlflow_server import log_model_version, mlflow_server  # noqa: F401 (mlflow_server: the fixture)
from testing.sync_registry import SyncRegistry, build_registry, rewrite_artifact
from testing.world import DEPLOYMENT, STATUS_APP_ID, VERSION, World, add_version, new_world

pytestmark = pytest.mark.slow

APPROVE_CLINICAL = "Subgroup AUCs reviewed.\nclinigate: approve as clinical_reviewer — subgroup AUCs reviewed, CR-212"
APPROVE_QUALITY = "clinigate: approve as quality — release record QR-114"
APPROVE_ML = "clinigate: approve as ml_reviewer — calibration and drift checks reviewed, MLR-31"


@pytest.fixture
def world(tmp_path: Path, local_github: LocalGitHub, local_sigstore: LocalSigstore) -> Iterator[World]:  # noqa: F811
    with local_sigstore.serve():
        yield new_world(tmp_path, local_github, local_sigstore)


def _open_version_pull(world: World, number: int = 1, *, author: str = "pnair") -> str:
    clone = world.clone(f"scientist-{number}")
    git(clone, "switch", "-q", "-c", f"sepsis-1.4.0-{number}")
    add_version(world, clone)  # submitted_by: pnair, whoever opens the pull request
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

    world.review(1, "smarquez", APPROVE_ML)  # the technical review comes first (the PCCP's review order)
    technical = world.approval_workflow(1)
    assert [r.code for r in technical] == [0, 0, 0, 0], _outcomes(technical)
    assert "signed approved as ml_reviewer " + VERSION in technical[1].stdout

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

    # Each act names the review it came from, by ids GitHub never reassigns, and the head.
    from clinigate.approvals.act import ActBundle
    from clinigate.approvals.attestation import parse_statement
    from clinigate.approvals.ledger import Ledger
    from clinigate.gitrepo import Git

    predicates = [parse_statement(ActBundle.from_bytes(e.text.encode()).payload).predicate
                  for e in Ledger(Git(world.origin)).entries(document_path=VERSION)]
    by_role = {p.role.value: p for p in predicates}
    assert set(by_role) == {"ml_reviewer", "clinical_reviewer", "quality"}
    clinical = by_role["clinical_reviewer"]
    assert clinical.review is not None and clinical.pull_request == 1 and clinical.head_commit == head
    assert (clinical.review.reviewer_login, clinical.review.reviewer_id) == world.account("jlindqvist")
    assert clinical.review.review_id == world.gh.pull(world.repo, 1).reviews[1].id  # after the ML review
    assert clinical.reason == "subgroup AUCs reviewed, CR-212" and clinical.signer.id == "jlindqvist"


@pytest.fixture
def deployed(tmp_path: Path, local_github: LocalGitHub, local_sigstore: LocalSigstore,  # noqa: F811
             mlflow_server: str) -> Iterator[tuple[World, SyncRegistry]]:  # noqa: F811
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
    world.review(1, "smarquez", APPROVE_ML)
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
    audit = world.clinigate(sync, "verify", "--rev", "origin/main")  # audit.yml, the next morning
    assert audit.code == 0 and ", 0 invalid, 0 ledger problems" in audit.stdout, audit.stdout + audit.stderr
    history = world.clinigate(sync, "audit", "verify", "--format", "json")
    errors = [f for m in json.loads(history.stdout)["manifests"] for f in m["findings"] if f["severity"] == "error"]
    assert history.code == 0 and errors == [], history.stdout + history.stderr

    # Someone with push rights rewinds the ledger on the origin: the published head tags remain.
    root = git(world.origin, "rev-list", "--max-parents=0", "refs/heads/clinigate/ledger").split()[0]
    git(world.origin, "update-ref", "refs/heads/clinigate/ledger", root)
    fresh = world.clone("auditor")
    world.clinigate(fresh, "ledger", "fetch")
    rewound = world.clinigate(fresh, "audit", "verify")
    assert rewound.code == 1 and "[ledger.rewound]" in rewound.stdout, rewound.stdout + rewound.stderr


# --- the negative twins: each attack on the path refused for its own reason ---------------------


def _record(world: World, number: int = 1) -> str:
    run = world.approval_workflow(number)
    assert [r.code for r in run] == [0, 0, 0, 0], _outcomes(run)
    return run[1].stdout


def _acts(world: World) -> int:
    from clinigate.approvals.ledger import Ledger
    from clinigate.gitrepo import Git

    return len(Ledger(Git(world.origin)).entries())


def test_the_pull_requests_author_cannot_approve_it(world: World) -> None:
    # A clinical reviewer writes the change, names a data scientist as its submitter, approves it.
    head = _open_version_pull(world, author="jlindqvist")
    world.review(1, "jlindqvist", APPROVE_CLINICAL)
    out = _record(world)
    assert "refused approved as clinical_reviewer" in out and "[review.pr_author]" in out, out
    assert _acts(world) == 0 and world.statuses(head)[0][0] == "pending"


def test_an_author_of_a_commit_cannot_approve_it(world: World) -> None:
    _open_version_pull(world)
    clone = world.tmp / "scientist-1"
    (clone / VERSION).write_text((clone / VERSION).read_text().replace("2025", "2025", 1) + "# reviewed\n")
    head = world.commit(clone, "tidy the manifest", "rbaptiste")  # a clinical reviewer's own commit
    world.push_branch(clone, "sepsis-1.4.0-1", 1)
    world.gh.push(world.repo, 1, head_sha=head)
    world.review(1, "rbaptiste", APPROVE_CLINICAL)
    out = _record(world)
    assert "[review.commit_author]" in out and _acts(world) == 0, out


def test_a_login_repointed_in_the_pull_requests_roles_yaml_signs_nothing(world: World) -> None:
    """The PR gives the author's GitHub login to a clinical reviewer; main's roles.yaml decides."""
    clone = world.clone("attacker")
    git(clone, "switch", "-q", "-c", "attack")
    add_version(world, clone)
    roles = clone / "policies/data/roles.yaml"
    roles.write_text(roles.read_text().replace("github: pnair-mg", "github: pnair-old")
                     .replace("github: jlindqvist-md", "github: pnair-mg"))
    world.commit(clone, "sepsis-ews 1.4.0", "pnair")
    head = world.open_pull(clone, "attack", 1, "pnair")
    world.review(1, "pnair", APPROVE_CLINICAL)  # pnair's own account, now "Johanna" in the PR's file
    out = _record(world)
    assert "[review.role_not_held]" in out and _acts(world) == 0, out
    assert world.statuses(head)[0][0] == "failure"  # and roles.yaml is governance: a mixed change


def test_a_login_registered_again_by_someone_else_signs_nothing(world: World) -> None:
    _open_version_pull(world)
    world.review(1, "jlindqvist", APPROVE_CLINICAL, account=("jlindqvist-md", 987654321))
    out = _record(world)
    assert "[review.github_id_mismatch]" in out and _acts(world) == 0, out


def test_a_review_of_an_older_head_signs_nothing(world: World) -> None:
    old = _open_version_pull(world)
    world.review(1, "jlindqvist", APPROVE_CLINICAL, commit_id=old)
    clone = world.tmp / "scientist-1"
    (clone / VERSION).write_text((clone / VERSION).read_text() + "# one more change\n")
    new = world.commit(clone, "change after the review", "pnair")
    world.push_branch(clone, "sepsis-1.4.0-1", 1)
    world.gh.push(world.repo, 1, head_sha=new)
    out = _record(world)
    assert "skipped approved as clinical_reviewer" in out and "[review.stale_head]" in out, out
    assert _acts(world) == 0 and world.statuses(new)[0][0] == "pending"


@pytest.mark.parametrize(("ref", "event"), [("refs/heads/sepsis-1.4.0-1", "workflow_run"),
                                            ("refs/heads/main", "pull_request_review")])
def test_signing_from_anything_but_mains_approval_workflow_is_refused(world: World, ref: str,
                                                                      event: str) -> None:
    head = _open_version_pull(world)
    world.review(1, "jlindqvist", APPROVE_CLINICAL)
    run = world.approval_workflow(1, ref=ref, event_name=event)
    assert run[0].code == 0 and run[1].code == 2, _outcomes(run)
    assert "record.not_default_branch" in run[1].stderr and "Traceback" not in run[1].stderr
    assert _acts(world) == 0 and world.statuses(head) == []
    assert not [r for r in world.gh.requests if r.method == "POST"]


def test_a_pull_request_that_edits_the_gate_or_the_tooling_stays_pending(world: World) -> None:
    clone = world.clone("maintainer")
    git(clone, "switch", "-q", "-c", "tooling")
    (clone / ".github/workflows").mkdir(parents=True)
    (clone / ".github/workflows/pr-gate.yml").write_text("name: clinigate/evaluate\non: pull_request\n")
    (clone / "tooling").mkdir()
    (clone / "tooling/helper.py").write_text("print('judge me')\n")
    world.commit(clone, "a faster gate", "awu")
    head = world.open_pull(clone, "tooling", 1, "awu")
    world.review(1, "jlindqvist", APPROVE_CLINICAL)
    world.review(1, "kosei", "clinigate: approve as quality — change record CR-9")
    out = _record(world)
    assert "[review.role_not_required]" in out  # the clinical reviewer signs no governance file
    assert "signed approved as quality .github/workflows/pr-gate.yml" in out, out
    state, description, _ = world.statuses(head)[0]
    assert state == "pending" and "security_reviewer" in description, description
