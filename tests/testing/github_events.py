"""Event payloads as GitHub Actions writes them to GITHUB_EVENT_PATH, built from LocalGitHub state.

    pull = gh.add_pull(repo, 7, author=("alice", 1001), head_sha=..., head_ref="change", base_sha=...)
    review_id = gh.add_review(repo, 7, user=("bob", 1002), state="APPROVED")
    write_event(tmp_path / "event.json", pull_request_review_event(pull.review(review_id)))

Shapes follow GitHub's webhook payloads (docs.github.com/webhooks/webhook-events-and-payloads; the
field-level schemas are octokit/webhooks payload-schemas/api.github.com). The objects inside come
from the same renderers the REST stand-in uses (tests/testing/github_shapes.py), so a payload and the
API agree on ids, shas, URLs and users. A payload shows the state at the moment it is built: build it
when the event would fire (a later ``gh.push`` does not rewrite an event already written).

Included, per event:
- ``pull_request``: action, number, pull_request (the full pull request), repository, sender; for
  ``synchronize`` also before/after (the previous and the new head).
- ``pull_request_review``: action, review (webhook form: state lower case, e.g. ``approved``),
  pull_request (the simple form: no merged/mergeable/counts), repository, sender (the reviewer).
- ``workflow_run``: action, workflow, workflow_run, repository, sender. workflow_run carries id,
  name, node_id, head_branch, head_sha, path, display_title, run_number, run_attempt, event, status,
  conclusion, workflow_id, check_suite_id/node_id, url/html_url and the other run URLs,
  pull_requests, created_at, updated_at, run_started_at, actor, triggering_actor,
  referenced_workflows, previous_attempt_url, head_commit, repository and head_repository (lite).
  As on GitHub, ``pull_requests`` is empty when the head branch lives in a fork.
Left out: enterprise, organization, installation (present only for apps and organisations).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from testing import github_shapes as shapes
from testing.github_api import Account, GitHubUser, LocalPull, LocalRepo, LocalReview

WORKFLOW_RUN_ACTIONS = {"completed": "completed", "in_progress": "in_progress"}


def write_event(path: Path, payload: dict[str, Any]) -> Path:
    """Write ``payload`` where GITHUB_EVENT_PATH would point; returns ``path``."""
    path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return path


def pull_request_event(action: str, pull: LocalPull, *, sender: Account | None = None) -> dict[str, Any]:
    """A ``pull_request`` event (opened, synchronize, closed, ...); ``sender`` defaults to the author."""
    site = pull.repo.github.site
    payload: dict[str, Any] = {"action": action, "number": pull.number}
    if action == "synchronize":
        previous = pull.head_shas[-2] if len(pull.head_shas) > 1 else pull.base_sha
        payload.update({"before": previous, "after": pull.head_sha})
    payload.update({
        "pull_request": shapes.pull(site, pull), "repository": shapes.repo(site, pull.repo),
        "sender": shapes.user(site, GitHubUser.of(sender) if sender else pull.author),
    })
    return payload


def pull_request_review_event(review: LocalReview, *, action: str = "submitted") -> dict[str, Any]:
    """A ``pull_request_review`` event (submitted, edited, dismissed), sent by the reviewer."""
    site = review.pull.repo.github.site
    return {
        "action": action, "review": shapes.review(site, review, webhook=True),
        "pull_request": shapes.pull_simple(site, review.pull), "repository": shapes.repo(site, review.pull.repo),
        "sender": shapes.user(site, review.user),
    }


def workflow_run_event(repo: LocalRepo, *, pull: LocalPull | None = None, name: str = "CI",
                       path: str = ".github/workflows/ci.yml", event: str = "pull_request",
                       head_sha: str | None = None, head_branch: str | None = None,
                       status: str = "completed", conclusion: str | None = "success",
                       run_id: int = 9_000_000_001, run_number: int = 1, run_attempt: int = 1,
                       workflow_id: int = 8_000_001, actor: Account | None = None,
                       action: str | None = None) -> dict[str, Any]:
    """A ``workflow_run`` event for a run of workflow ``name`` in ``repo``.

    With ``pull`` the run is that pull's: head sha, branch and repository default to its head,
    ``pull_requests`` lists it unless its head is in a fork, and ``actor`` defaults to its author.
    Without, the run is on ``repo``'s default branch. ``action`` defaults from ``status``
    (completed, in_progress, else requested).
    """
    site = repo.github.site
    head_repo = pull.head_repo if pull else repo
    sha = head_sha or (pull.head_sha if pull else repo.branches[repo.default_branch])
    runner = GitHubUser.of(actor) if actor else (pull.author if pull else repo.owner)
    run = _workflow_run(site, repo, run_id, workflow_id, run_attempt)
    run.update({
        "name": name, "head_branch": head_branch or (pull.head_ref if pull else repo.default_branch),
        "head_sha": sha, "path": path, "display_title": pull.title if pull else name,
        "run_number": run_number, "event": event, "status": status, "conclusion": conclusion,
        "pull_requests": _run_pull_requests(site, repo, pull), "actor": shapes.user(site, runner),
        "triggering_actor": shapes.user(site, runner), "run_attempt": run_attempt,
        "head_commit": _head_commit(head_repo, sha), "repository": shapes.repo_lite(site, repo),
        "head_repository": shapes.repo_lite(site, head_repo),
    })
    return {
        "action": action or WORKFLOW_RUN_ACTIONS.get(status, "requested"),
        "workflow": _workflow(site, repo, workflow_id, name, path), "workflow_run": run,
        "repository": shapes.repo(site, repo), "sender": shapes.user(site, runner),
    }


def _run_pull_requests(site: shapes.Site, repo: LocalRepo, pull: LocalPull | None) -> list[dict[str, Any]]:
    # GitHub leaves workflow_run.pull_requests empty for a pull whose head is in a fork
    # (actions/runner#3444): the run's head cannot be trusted to name its pull request.
    if pull is None or pull.head_repo is not repo:
        return []
    return [shapes.pull_minimal(site, pull)]


def _workflow_run(site: shapes.Site, repo: LocalRepo, run_id: int, workflow_id: int,
                  attempt: int) -> dict[str, Any]:
    """The run's identity and URLs; the caller adds what the run is about."""
    api = f"{site.api}/repos/{repo.full_name}"
    run_api = f"{api}/actions/runs/{run_id}"
    suite_id = run_id + 1
    moment = shapes.timestamp(repo.github.now)
    return {
        "id": run_id, "node_id": shapes.node_id("WorkflowRun", run_id), "workflow_id": workflow_id,
        "check_suite_id": suite_id, "check_suite_node_id": shapes.node_id("CheckSuite", suite_id),
        "url": run_api, "html_url": f"{site.server}/{repo.full_name}/actions/runs/{run_id}",
        "created_at": moment, "updated_at": moment, "run_started_at": moment, "referenced_workflows": [],
        "jobs_url": f"{run_api}/jobs", "logs_url": f"{run_api}/logs",
        "check_suite_url": f"{api}/check-suites/{suite_id}", "artifacts_url": f"{run_api}/artifacts",
        "cancel_url": f"{run_api}/cancel", "rerun_url": f"{run_api}/rerun",
        "previous_attempt_url": f"{run_api}/attempts/{attempt - 1}" if attempt > 1 else None,
        "workflow_url": f"{api}/actions/workflows/{workflow_id}",
    }


def _workflow(site: shapes.Site, repo: LocalRepo, workflow_id: int, name: str, path: str) -> dict[str, Any]:
    created = shapes.timestamp(repo.created_at)
    return {
        "id": workflow_id, "node_id": shapes.node_id("Workflow", workflow_id), "name": name, "path": path,
        "state": "active", "created_at": created, "updated_at": created,
        "url": f"{site.api}/repos/{repo.full_name}/actions/workflows/{workflow_id}",
        "html_url": f"{site.server}/{repo.full_name}/blob/{repo.default_branch}/{path}",
        "badge_url": f"{site.server}/{repo.full_name}/workflows/{name}/badge.svg",
    }


def _head_commit(repo: LocalRepo, sha: str) -> dict[str, Any] | None:
    """The simple-commit form webhooks use (``id`` not ``sha``), or null for a commit not on record."""
    commit = repo.commits.get(sha)
    if commit is None:
        return None
    person = {"name": commit.author_name, "email": commit.author_email}
    return {"id": commit.sha, "tree_id": shapes.commit(repo.github.site, repo, commit)["commit"]["tree"]["sha"],
            "message": commit.message, "timestamp": shapes.timestamp(commit.date), "author": person,
            "committer": person}
