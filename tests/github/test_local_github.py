"""The GitHub stand-in (testing/github_api.py) driven by PyGithub itself, and the event payloads.

If PyGithub reads these responses as it reads GitHub's, code built on PyGithub can be tested here.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import github
import pytest
from github import Auth, Github
from testing.github_api import ACTIONS_BOT, LocalGitHub, LocalPull, LocalRepo, local_github, pygithub  # noqa: F401
from testing.github_events import (
    pull_request_event,
    pull_request_review_event,
    workflow_run_event,
    write_event,
)

BASE, HEAD, HEAD2, MERGE = "a" * 40, "b" * 40, "c" * 40, "d" * 40
ALICE, BOB, CAROL = ("alice", 1001), ("bob", 1002), ("carol", 1003)


@pytest.fixture
def repo(local_github: LocalGitHub) -> LocalRepo:  # noqa: F811
    return local_github.add_repo("acme/reg", repo_id=101, owner_id=202)


@pytest.fixture
def pull(local_github: LocalGitHub, repo: LocalRepo) -> LocalPull:  # noqa: F811
    return local_github.add_pull(repo, 7, author=ALICE, head_sha=HEAD, head_ref="change", base_sha=BASE,
                                 title="Retrain sepsis model")


@pytest.fixture
def client(local_github: LocalGitHub) -> Iterator[Github]:  # noqa: F811
    with pygithub(local_github) as connection:
        yield connection


def raw_get(gh: LocalGitHub, path: str, authorization: str | None = None) -> tuple[int, dict[str, str], Any]:
    """A request without PyGithub, to see headers and bodies as sent."""
    request = urllib.request.Request(gh.api_url + path)
    if authorization is not None:
        request.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, dict(response.headers), json.load(response)
    except urllib.error.HTTPError as failure:
        with failure:
            return failure.code, dict(failure.headers), json.load(failure)


def posts(gh: LocalGitHub) -> list[str]:
    return [r.path for r in gh.requests if r.method == "POST"]


# --- repositories and pull requests -----------------------------------------------------------


def test_repository_by_name_and_by_id(client: Github, local_github: LocalGitHub, repo: LocalRepo) -> None:  # noqa: F811
    by_name = client.get_repo("ACME/Reg")  # GitHub matches names case-insensitively
    assert (by_name.id, by_name.full_name, by_name.name, by_name.private) == (101, "acme/reg", "reg", True)
    assert (by_name.owner.login, by_name.owner.id, by_name.owner.type) == ("acme", 202, "Organization")
    assert by_name.default_branch == "main"
    assert by_name.html_url == f"{local_github.server_url}/acme/reg"
    assert client.get_repo(101).full_name == "acme/reg"


def test_pull_request_fields(client: Github, local_github: LocalGitHub, pull: LocalPull) -> None:  # noqa: F811
    served = client.get_repo("acme/reg").get_pull(7)
    assert (served.number, served.id, served.state, served.title) == (7, pull.id, "open", "Retrain sepsis model")
    assert (served.user.login, served.user.id, served.user.type) == ("alice", 1001, "User")
    assert (served.head.ref, served.head.sha, served.head.label) == ("change", HEAD, "acme:change")
    assert (served.head.repo.id, served.head.repo.full_name) == (101, "acme/reg")
    assert (served.base.ref, served.base.sha, served.base.repo.full_name) == ("main", BASE, "acme/reg")
    assert (served.merged, served.draft) == (False, False)
    assert served.merged_by is None
    assert served.html_url == f"{local_github.server_url}/acme/reg/pull/7"
    assert served.url == f"{local_github.api_url}/repos/acme/reg/pulls/7"


def test_push_and_merge_show_in_the_pull(client: Github, local_github: LocalGitHub, repo: LocalRepo,  # noqa: F811
                                         pull: LocalPull) -> None:
    local_github.push(repo, 7, head_sha=HEAD2)
    assert client.get_repo("acme/reg").get_pull(7).head.sha == HEAD2
    local_github.merge(repo, 7, merge_commit_sha=MERGE, merged_by=CAROL)
    merged = client.get_repo("acme/reg").get_pull(7)
    assert (merged.state, merged.merged, merged.merge_commit_sha, merged.merged_by.login) == (
        "closed", True, MERGE, "carol")
    assert merged.merged_at is not None and merged.closed_at == merged.merged_at
    assert client.get_repo("acme/reg").get_commit("main").sha == MERGE


def test_pull_from_a_fork_names_the_fork_as_head(client: Github, local_github: LocalGitHub,  # noqa: F811
                                                 repo: LocalRepo) -> None:
    fork = local_github.add_repo("mallory/reg", repo_id=909, owner_id=666, owner_type="User", parent=repo)
    local_github.add_pull(repo, 8, author=("mallory", 666), head_sha=HEAD, head_ref="main", base_sha=BASE,
                          head_repo=fork, author_association="CONTRIBUTOR")
    served = client.get_repo("acme/reg").get_pull(8)
    assert (served.head.repo.full_name, served.head.label, served.head.repo.fork) == (
        "mallory/reg", "mallory:main", True)
    assert client.get_repo("mallory/reg").parent.full_name == "acme/reg"
    assert client.get_repo("acme/reg").get_commit(HEAD).sha == HEAD  # refs/pull/8/head


# --- reviews ----------------------------------------------------------------------------------


def test_reviews_follow_github_pagination(client: Github, local_github: LocalGitHub, repo: LocalRepo,  # noqa: F811
                                          pull: LocalPull) -> None:
    ids = [local_github.add_review(repo, 7, user=(f"reviewer{i}", 5000 + i)) for i in range(35)]
    reviews = client.get_repo("acme/reg").get_pull(7).get_reviews()
    assert [r.id for r in reviews] == ids
    pages = [r for r in local_github.requests if r.path.endswith("/reviews")]
    assert [(r.path, r.query) for r in pages] == [
        ("/api/v3/repos/acme/reg/pulls/7/reviews", {}),
        ("/api/v3/repositories/101/pulls/7/reviews", {"page": "2"}),  # followed from the Link header
    ]
    assert reviews.totalCount == 35


def test_link_header_is_built_like_githubs(local_github: LocalGitHub, repo: LocalRepo, pull: LocalPull) -> None:  # noqa: F811
    for i in range(25):
        local_github.add_review(repo, 7, user=(f"reviewer{i}", 5000 + i))
    auth = f"token {local_github.token}"
    base = f"{local_github.api_url}/repositories/101/pulls/7/reviews"
    _, first_headers, first = raw_get(local_github, "/repos/acme/reg/pulls/7/reviews?per_page=10", auth)
    assert len(first) == 10
    assert first_headers["Link"] == (f'<{base}?per_page=10&page=2>; rel="next", '
                                     f'<{base}?per_page=10&page=3>; rel="last"')
    _, last_headers, last = raw_get(local_github, "/repos/acme/reg/pulls/7/reviews?per_page=10&page=3", auth)
    assert len(last) == 5
    assert last_headers["Link"] == (f'<{base}?per_page=10&page=2>; rel="prev", '
                                    f'<{base}?per_page=10&page=1>; rel="first"')
    _, capped, everything = raw_get(local_github, "/repos/acme/reg/pulls/7/reviews?per_page=500", auth)
    assert len(everything) == 25 and "Link" not in capped


def test_review_fields_and_states(client: Github, local_github: LocalGitHub, repo: LocalRepo,  # noqa: F811
                                  pull: LocalPull) -> None:
    approved = local_github.add_review(repo, 7, user=BOB, body="Looks right", commit_id=HEAD)
    dismissed = local_github.add_review(repo, 7, user=CAROL, state="CHANGES_REQUESTED")
    local_github.dismiss_review(repo, 7, dismissed)
    local_github.add_review(repo, 7, user=("dave", 1004), state="PENDING")  # someone else's draft
    own_draft = local_github.add_review(repo, 7, user=ACTIONS_BOT, state="PENDING")
    reviews = list(client.get_repo("acme/reg").get_pull(7).get_reviews())
    assert [(r.id, r.state) for r in reviews] == [(approved, "APPROVED"), (dismissed, "DISMISSED"),
                                                  (own_draft, "PENDING")]
    first = reviews[0]
    assert (first.user.login, first.user.id, first.body, first.commit_id) == ("bob", 1002, "Looks right", HEAD)
    assert first.submitted_at is not None and reviews[2].submitted_at is None
    assert first.html_url == f"{local_github.server_url}/acme/reg/pull/7#pullrequestreview-{approved}"
    assert first.pull_request_url == f"{local_github.api_url}/repos/acme/reg/pulls/7"
    assert first.raw_data["author_association"] == "MEMBER"
    assert first.raw_data["_links"]["pull_request"]["href"] == first.pull_request_url


# --- commits ----------------------------------------------------------------------------------


def test_pulls_of_a_commit(client: Github, local_github: LocalGitHub, repo: LocalRepo,  # noqa: F811
                           pull: LocalPull) -> None:
    remote = client.get_repo("acme/reg")
    assert [p.number for p in remote.get_commit(HEAD).get_pulls()] == [7]
    assert list(remote.get_commit(BASE).get_pulls()) == []
    local_github.merge(repo, 7, merge_commit_sha=MERGE)
    assert [p.number for p in remote.get_commit(MERGE).get_pulls()] == [7]
    assert remote.get_commit(MERGE).parents[1].sha == HEAD


def test_commit_refs_resolve_like_github(client: Github, pull: LocalPull) -> None:
    remote = client.get_repo("acme/reg")
    assert remote.get_commit("change").sha == HEAD  # a branch
    assert remote.get_commit(HEAD[:7]).sha == HEAD  # a unique abbreviation
    with pytest.raises(github.GithubException) as caught:
        remote.get_commit("e" * 40)
    assert caught.value.status == 422
    assert caught.value.data["message"] == f"No commit found for SHA: {'e' * 40}"


# --- statuses ---------------------------------------------------------------------------------


def test_create_status_then_read_it_back(client: Github, local_github: LocalGitHub, repo: LocalRepo,  # noqa: F811
                                         pull: LocalPull) -> None:
    commit = client.get_repo("acme/reg").get_commit(HEAD)
    commit.create_status(state="pending", description="Checking approvals", context="clinigate/gate")
    created = commit.create_status(state="success", description="2 of 2 approvals", context="clinigate/gate",
                                   target_url="https://ci.example.test/run/1")
    assert (created.state, created.context, created.target_url) == (
        "success", "clinigate/gate", "https://ci.example.test/run/1")
    assert (created.creator.login, created.creator.type) == ("github-actions[bot]", "Bot")
    assert [s.state for s in commit.get_statuses()] == ["success", "pending"]  # newest first
    assert [(s.state, s.description) for s in local_github.statuses(repo, HEAD)] == [
        ("success", "2 of 2 approvals"), ("pending", "Checking approvals")]
    combined = commit.get_combined_status()
    assert (combined.state, combined.sha, combined.total_count) == ("success", HEAD, 1)
    assert [s.id for s in combined.statuses] == [created.id]


def test_combined_status_takes_the_latest_per_context(client: Github, pull: LocalPull) -> None:
    commit = client.get_repo("acme/reg").get_commit(HEAD)
    assert commit.get_combined_status().state == "pending"  # no statuses yet
    commit.create_status(state="failure", context="ci/tests")
    commit.create_status(state="success", context="clinigate/gate")
    assert commit.get_combined_status().state == "failure"
    commit.create_status(state="success", context="CI/Tests")  # contexts are case-insensitive
    combined = commit.get_combined_status()
    assert (combined.state, combined.total_count) == ("success", 2)
    by_branch = client.get_repo("acme/reg").get_commit("change").get_combined_status()
    assert by_branch.sha == HEAD


def test_status_context_defaults_to_default(client: Github, pull: LocalPull) -> None:
    assert client.get_repo("acme/reg").get_commit(HEAD).create_status(state="error").context == "default"


@pytest.mark.parametrize(("fields", "field"), [
    ({"state": "approved"}, "state"),
    ({"state": "success", "description": "x" * 141}, "description"),
])
def test_invalid_status_is_refused_with_githubs_validation_error(
        client: Github, local_github: LocalGitHub, repo: LocalRepo, pull: LocalPull,  # noqa: F811
        fields: dict[str, str], field: str) -> None:
    with pytest.raises(github.GithubException) as caught:
        client.get_repo("acme/reg").get_commit(HEAD).create_status(**fields)
    assert caught.value.status == 422
    assert caught.value.data["message"] == "Validation Failed"
    assert [e["field"] for e in caught.value.data["errors"]] == [field]
    assert local_github.statuses(repo, HEAD) == []


def test_a_140_character_description_is_accepted(client: Github, pull: LocalPull) -> None:
    created = client.get_repo("acme/reg").get_commit(HEAD).create_status(state="success", description="x" * 140)
    assert len(created.description) == 140


def test_status_for_an_unknown_commit_is_refused(local_github: LocalGitHub, repo: LocalRepo) -> None:  # noqa: F811
    with pygithub(local_github) as client:
        requester = client.get_repo("acme/reg")._requester
        with pytest.raises(github.GithubException) as caught:
            requester.requestJsonAndCheck("POST", "/repos/acme/reg/statuses/" + "e" * 40, input={"state": "success"})
    assert (caught.value.status, caught.value.data["message"]) == (422, f"No commit found for SHA: {'e' * 40}")


def test_token_without_statuses_write_gets_403(local_github: LocalGitHub, repo: LocalRepo,  # noqa: F811
                                               pull: LocalPull) -> None:
    local_github.add_token("ghs_read_only", user=ACTIONS_BOT, statuses_write=False)
    with pygithub(local_github, "ghs_read_only") as client:
        commit = client.get_repo("acme/reg").get_commit(HEAD)  # reading is allowed
        with pytest.raises(github.GithubException) as caught:
            commit.create_status(state="success")
    assert (caught.value.status, caught.value.data["message"]) == (403, "Resource not accessible by integration")
    assert local_github.statuses(repo, HEAD) == []


# --- credentials and unknown things -----------------------------------------------------------


def test_bad_token_is_bad_credentials_and_nothing_is_posted(local_github: LocalGitHub, pull: LocalPull) -> None:  # noqa: F811
    with pygithub(local_github, "ghs_wrong") as client, pytest.raises(github.BadCredentialsException) as caught:
        client.get_repo("acme/reg")
    assert caught.value.status == 401
    assert caught.value.data == {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest",
                                 "status": "401"}
    assert [(r.authorized, r.status) for r in local_github.requests] == [(False, 401)]
    assert posts(local_github) == []


def test_credentials_are_checked_before_the_path(local_github: LocalGitHub) -> None:  # noqa: F811
    status, _, body = raw_get(local_github, "/repos/nobody/nothing", "token ghs_wrong")
    assert (status, body["message"]) == (401, "Bad credentials")
    status, _, body = raw_get(local_github, "/repos/nobody/nothing")
    assert (status, body["message"]) == (401, "Requires authentication")


def test_bearer_and_token_schemes_are_both_accepted(local_github: LocalGitHub, repo: LocalRepo) -> None:  # noqa: F811
    for scheme in ("token", "Bearer"):
        status, _, body = raw_get(local_github, "/repos/acme/reg", f"{scheme} {local_github.token}")
        assert (status, body["id"]) == (200, 101)


def test_unknown_things_are_not_found(client: Github, local_github: LocalGitHub, pull: LocalPull) -> None:  # noqa: F811
    with pytest.raises(github.UnknownObjectException):
        client.get_repo("acme/missing")
    with pytest.raises(github.UnknownObjectException) as caught:
        client.get_repo("acme/reg").get_pull(99)
    assert caught.value.data["message"] == "Not Found" and caught.value.data["status"] == "404"
    auth = f"token {local_github.token}"
    for suffix in ("status", "statuses"):
        status, _, body = raw_get(local_github, f"/repos/acme/reg/commits/no-such-branch/{suffix}", auth)
        assert (status, body["message"]) == (404, "Ref not found")
    status, _, body = raw_get(local_github, "/repos/acme/reg/branches/main", auth)  # not a served route
    assert (status, body["message"]) == (404, "Not Found")


def test_base_url_must_carry_the_api_prefix(local_github: LocalGitHub, repo: LocalRepo) -> None:  # noqa: F811
    with Github(auth=Auth.Token(local_github.token), base_url=local_github.server_url, retry=None,
                seconds_between_requests=None, seconds_between_writes=None) as client:
        with pytest.raises(github.UnknownObjectException):
            client.get_repo("acme/reg")


def test_setup_refuses_what_is_not_a_sha(local_github: LocalGitHub, repo: LocalRepo) -> None:  # noqa: F811
    with pytest.raises(ValueError, match="not a commit sha"):
        local_github.add_pull(repo, 9, author=ALICE, head_sha="HEAD", head_ref="x", base_sha=BASE)


# --- event payloads ---------------------------------------------------------------------------

# Required keys from octokit/webhooks payload-schemas/api.github.com/common (workflow-run,
# pull-request-review, simple-pull-request, repo-ref): the payloads must carry at least these.
WORKFLOW_RUN_REQUIRED = {
    "artifacts_url", "cancel_url", "check_suite_url", "check_suite_id", "check_suite_node_id", "conclusion",
    "created_at", "event", "head_branch", "head_commit", "head_repository", "head_sha", "html_url", "id",
    "jobs_url", "logs_url", "node_id", "name", "pull_requests", "repository", "rerun_url", "run_number",
    "status", "updated_at", "url", "workflow_id", "workflow_url", "run_attempt", "run_started_at",
    "previous_attempt_url", "actor", "triggering_actor", "path", "display_title",
}
WEBHOOK_REVIEW_REQUIRED = {"id", "node_id", "user", "body", "commit_id", "submitted_at", "state", "html_url",
                           "pull_request_url", "author_association", "_links"}
SIMPLE_PULL_REQUIRED = {
    "url", "id", "node_id", "html_url", "diff_url", "patch_url", "issue_url", "number", "state", "locked",
    "title", "user", "body", "created_at", "updated_at", "closed_at", "merged_at", "merge_commit_sha",
    "assignee", "assignees", "requested_reviewers", "requested_teams", "labels", "milestone", "draft",
    "commits_url", "review_comments_url", "review_comment_url", "comments_url", "statuses_url", "head",
    "base", "_links", "author_association", "auto_merge", "active_lock_reason",
}


def test_review_event_agrees_with_the_api(client: Github, local_github: LocalGitHub, repo: LocalRepo,  # noqa: F811
                                          pull: LocalPull, tmp_path: Path) -> None:
    review_id = local_github.add_review(repo, 7, user=BOB, body="Approved for release")
    path = write_event(tmp_path / "event.json", pull_request_review_event(pull.review(review_id)))
    event = json.loads(path.read_text(encoding="utf-8"))
    assert event["action"] == "submitted"
    assert WEBHOOK_REVIEW_REQUIRED <= event["review"].keys()
    assert SIMPLE_PULL_REQUIRED <= event["pull_request"].keys()
    assert "merged" not in event["pull_request"]  # the simple form
    assert event["review"]["state"] == "approved"  # webhooks: lower case; REST: APPROVED
    served = client.get_repo("acme/reg").get_pull(7)
    rest_review = next(iter(served.get_reviews()))
    assert (event["review"]["id"], event["review"]["commit_id"]) == (rest_review.id, rest_review.commit_id)
    assert event["pull_request"]["head"]["sha"] == served.head.sha
    assert event["pull_request"]["url"] == served.url
    assert (event["repository"]["id"], event["sender"]["login"]) == (101, "bob")


def test_pull_request_synchronize_names_before_and_after(local_github: LocalGitHub, repo: LocalRepo,  # noqa: F811
                                                         pull: LocalPull) -> None:
    local_github.push(repo, 7, head_sha=HEAD2)
    event = pull_request_event("synchronize", pull)
    assert (event["before"], event["after"], event["number"]) == (HEAD, HEAD2, 7)
    assert event["pull_request"]["head"]["sha"] == HEAD2 and event["pull_request"]["merged"] is False
    assert event["sender"]["login"] == "alice"


def test_workflow_run_event_for_a_same_repository_pull(local_github: LocalGitHub, repo: LocalRepo,  # noqa: F811
                                                       pull: LocalPull) -> None:
    event = workflow_run_event(repo, pull=pull, name="approvals", path=".github/workflows/approvals.yml",
                               event="pull_request_review")
    run = event["workflow_run"]
    assert WORKFLOW_RUN_REQUIRED <= run.keys()
    assert (event["action"], run["status"], run["conclusion"], run["event"]) == (
        "completed", "completed", "success", "pull_request_review")
    assert (run["head_sha"], run["head_branch"], run["head_repository"]["full_name"]) == (HEAD, "change", "acme/reg")
    assert run["pull_requests"] == [{
        "url": f"{local_github.api_url}/repos/acme/reg/pulls/7", "id": pull.id, "number": 7,
        "head": {"ref": "change", "sha": HEAD, "repo": {"id": 101, "url": f"{local_github.api_url}/repos/acme/reg",
                                                         "name": "reg"}},
        "base": {"ref": "main", "sha": BASE, "repo": {"id": 101, "url": f"{local_github.api_url}/repos/acme/reg",
                                                       "name": "reg"}},
    }]
    assert run["head_commit"]["id"] == HEAD
    assert event["workflow"]["path"] == ".github/workflows/approvals.yml"


def test_workflow_run_event_for_a_fork_has_no_pull_requests(local_github: LocalGitHub, repo: LocalRepo) -> None:  # noqa: F811
    fork = local_github.add_repo("mallory/reg", repo_id=909, owner_id=666, owner_type="User", parent=repo)
    forked = local_github.add_pull(repo, 8, author=("mallory", 666), head_sha=HEAD, head_ref="main",
                                   base_sha=BASE, head_repo=fork)
    run = workflow_run_event(repo, pull=forked, status="in_progress", conclusion=None)
    assert run["action"] == "in_progress"
    assert run["workflow_run"]["pull_requests"] == []
    assert run["workflow_run"]["head_repository"]["full_name"] == "mallory/reg"
    assert run["workflow_run"]["repository"]["full_name"] == "acme/reg"

