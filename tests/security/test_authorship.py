"""Separation of duties from facts: whoever wrote a change cannot approve it (DESIGN §13).

The facts are the pull request's author (the GitHub event payload) and the authors and
committers of the commits in ``merge-base..head`` that changed the document — not the
manifest's own ``submitted_by``. Real repositories, real signatures (the test CA).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from testing.approvals import SignedRegistry

from clinigate.approvals.authorship import ChangeAuthors, PullRequestEvent
from clinigate.approvals.review import ApprovalBook
from clinigate.gate.check import run_check


def _commit_as(repo: Path, message: str, *, author: str, committer: str | None = None) -> None:
    """Commit everything with a given author and committer e-mail (fixed dates, isolated config)."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "Someone", "GIT_AUTHOR_EMAIL": author,
           "GIT_COMMITTER_NAME": "Someone", "GIT_COMMITTER_EMAIL": committer or author,
           "GIT_AUTHOR_DATE": "2026-02-03T09:00:00+00:00", "GIT_COMMITTER_DATE": "2026-02-03T09:00:00+00:00",
           "GIT_CONFIG_NOSYSTEM": "1"}
    for args in (["add", "-A"], ["-c", "commit.gpgsign=false", "commit", "-q", "-m", message]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def _touch(reg: SignedRegistry, path: str | None = None) -> str:
    path = path or reg.version_path
    file = reg.repo / path
    file.write_text(file.read_text().replace("summary: ", "summary: Reviewed edit. ", 1))
    return path


def _verdicts(reg: SignedRegistry, path: str, **event: object):  # type: ignore[no-untyped-def]
    from clinigate.approvals.review import ChangeContext
    from clinigate.gate.decider import merge_base

    fork = merge_base(reg.git, reg.git.resolve("main"), reg.git.resolve(reg.branch))
    with ApprovalBook.open(reg.git, base="main", head=reg.branch) as book:
        authors = ChangeAuthors.read(reg.git, fork, reg.git.resolve(reg.branch), book.roles.base,
                                     PullRequestEvent(**event))  # type: ignore[arg-type]
        return book.judge(path, rev=reg.branch, context=ChangeContext(reg.git.resolve(reg.branch), authors))


@pytest.mark.parametrize("as_committer", [False, True], ids=["author", "committer"])
def test_a_reviewer_who_wrote_a_commit_of_the_change_is_not_counted(
        signed_registry: SignedRegistry, as_committer: bool) -> None:
    reg = signed_registry
    email = reg.person("jlindqvist").email
    _touch(reg)
    if as_committer:
        _commit_as(reg.repo, "tidy the summary", author="someone@else.invalid", committer=email)
    else:
        _commit_as(reg.repo, "tidy the summary", author=email)
    reg.approve_in_order()
    report = run_check(reg.repo, base="main", head=reg.branch)
    version = next(m for m in report.manifests if m.path == reg.version_path)
    refused = {a.signer: a for a in version.approvals if not a.valid}
    # Quality signed after a clinical approval that does not count: its stage never opened.
    assert {(a.signer, a.rule) for a in refused.values()} == {("jlindqvist", "approval.author_approval"),
                                                             ("kosei", "approvals.out_of_order")}
    assert "separation of duties" in (refused["jlindqvist"].problem or "")
    assert version.missing_roles == ["clinical_reviewer", "quality"]
    assert report.decision == "pending"


def test_the_pull_request_author_from_the_event_payload_is_not_counted(
        signed_registry: SignedRegistry, tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    reg = signed_registry
    reg.approve_in_order()
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 12, "user": {"login": "JLindqvist-MD"},
                                                  "head": {"sha": reg.git.resolve(reg.branch)}}}))
    env = {**os.environ, "GITHUB_EVENT_PATH": str(event)}
    proc = subprocess.run([sys.executable, "-m", "clinigate", "check", "--base", "main", "--head", reg.branch,
                           "--repo", str(reg.repo), "--format", "json"], env=env, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    version = next(m for m in json.loads(proc.stdout)["manifests"] if m["path"] == reg.version_path)
    assert version["missing_roles"] == ["clinical_reviewer", "quality"]
    assert {a["rule"] for a in version["approvals"] if not a["valid"]} == {"approval.author_approval",
                                                                          "approvals.out_of_order"}
    # The same approvals, without the event: both count, the gate passes.
    assert run_cli("check", "--base", "main", "--head", reg.branch, "--repo", str(reg.repo)).code == 0


def test_a_github_noreply_commit_email_maps_to_its_person(signed_registry: SignedRegistry) -> None:
    reg = signed_registry
    _touch(reg)
    _commit_as(reg.repo, "tidy", author="4123+jlindqvist-md@users.noreply.github.com")
    reg.sign("jlindqvist", "clinical_reviewer")
    [verdict] = _verdicts(reg, reg.version_path)
    assert verdict.rule == "approval.author_approval"


def test_an_author_may_not_approve_any_kind_of_document(signed_registry: SignedRegistry) -> None:
    """Deployments have no submitted_by: the commit facts are all there is."""
    reg = signed_registry
    deployment = "models/sepsis-ews/deployment.yaml"
    file = reg.repo / deployment
    file.write_text(file.read_text().replace("rationale: ", "rationale: Reviewed. ", 1))
    _commit_as(reg.repo, "edit the rollout note", author=reg.person("kosei").email)
    reg.sign("kosei", "quality", deployment)
    reg.sign("jlindqvist", "clinical_reviewer", deployment)
    verdicts = {v.statement.predicate.signer.id: v for v in _verdicts(reg, deployment) if v.statement}
    assert verdicts["kosei"].rule == "approval.author_approval"
    assert verdicts["jlindqvist"].valid


def test_an_approval_for_another_pull_request_does_not_count(signed_registry: SignedRegistry) -> None:
    from clinigate.approvals.approve import ActRequest, sign_act
    reg = signed_registry
    person = reg.person("jlindqvist")
    signer = reg.pki.signer(person)
    sign_act(reg.git, ActRequest(reg.version_path, "clinical_reviewer", "approved", "reviewed in #7",
                                 signer_id=person.id, signer_email=person.email, pull_request=7), signer)
    [other] = _verdicts(reg, reg.version_path, number=8)
    assert other.rule == "approval.other_pull_request" and "#7" in (other.problem or "")
    [same] = _verdicts(reg, reg.version_path, number=7)
    assert same.valid


def test_an_approval_recorded_on_another_line_of_commits_does_not_count(signed_registry: SignedRegistry) -> None:
    """Same bytes, another branch: the approval names a head that is not in this change's history."""
    from testing.fixtures import git

    reg = signed_registry
    git(reg.repo, "switch", "-q", "-c", "elsewhere", "main")
    git(reg.repo, "checkout", "-q", reg.branch, "--", reg.version_path)
    reg.commit("the same version on another branch")
    reg.sign("jlindqvist", "clinical_reviewer")  # head_commit: a commit of `elsewhere`
    git(reg.repo, "switch", "-q", reg.branch)
    [verdict] = _verdicts(reg, reg.version_path)
    assert verdict.rule == "approval.other_lineage"
