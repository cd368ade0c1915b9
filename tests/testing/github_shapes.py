"""GitHub's JSON shapes, rendered from LocalGitHub's state (tests/testing/github_api.py).

One renderer per object, shared by the REST stand-in and the webhook payload builders
(tests/testing/github_events.py), so a pull request in an event is the pull request the API serves.

Sources for the shapes (field names, nesting, which fields are null):
- REST: docs.github.com/rest "Get a repository", "Get a pull request", "List reviews for a pull
  request", "Get a commit", "Create a commit status", "Get the combined status for a specific
  reference"; cross-checked against real responses recorded in PyGithub's tests/ReplayData.
- Webhooks: the payload schemas in octokit/webhooks (payload-schemas/api.github.com/common/*), the
  source of docs.github.com/webhooks/webhook-events-and-payloads. Where webhooks and REST differ
  (a review's ``state`` is ``approved`` in a webhook, ``APPROVED`` in REST) both are rendered.

URLs point at the stand-in, laid out as GitHub Enterprise Server lays them out: the API under
``<server>/api/v3``, web pages at ``<server>/<owner>/<repo>``.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from testing.github_api import GitHubUser, LocalCommit, LocalPull, LocalRepo, LocalReview, LocalStatus

DOCS = "https://docs.github.com/rest"


@dataclass(frozen=True)
class Site:
    """Where the stand-in serves: ``server`` is GITHUB_SERVER_URL, ``api`` is GITHUB_API_URL."""

    server: str

    @property
    def api(self) -> str:
        return f"{self.server}/api/v3"


def node_id(kind: str, number: int) -> str:
    """GitHub's legacy global node id: base64 of ``<len(kind):02d>:<kind><id>``."""
    return base64.b64encode(f"{len(kind):02d}:{kind}{number}".encode()).decode()


def timestamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def error(message: str, documentation_url: str, status: int,
          errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """GitHub's error body; ``errors`` only on validation failures (422)."""
    body: dict[str, Any] = {"message": message}
    if errors is not None:
        body["errors"] = errors
    body.update({"documentation_url": documentation_url, "status": str(status)})
    return body


# --- users and repositories -------------------------------------------------------------------


def user(site: Site, account: GitHubUser) -> dict[str, Any]:
    """A simple-user; bots (``name[bot]``) keep the brackets escaped in their URLs, as on GitHub."""
    api = f"{site.api}/users/{quote(account.login)}"
    return {
        "login": account.login, "id": account.id, "node_id": node_id(account.type, account.id),
        "avatar_url": f"{site.server}/avatars/u/{account.id}?v=4", "gravatar_id": "", "url": api,
        "html_url": f"{site.server}/{quote(account.login)}", "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}", "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}", "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs", "repos_url": f"{api}/repos", "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events", "type": account.type, "user_view_type": "public",
        "site_admin": False,
    }


_REPO_URL_TEMPLATES = {
    "forks_url": "/forks", "keys_url": "/keys{/key_id}", "collaborators_url": "/collaborators{/collaborator}",
    "teams_url": "/teams", "hooks_url": "/hooks", "issue_events_url": "/issues/events{/number}",
    "events_url": "/events", "assignees_url": "/assignees{/user}", "branches_url": "/branches{/branch}",
    "tags_url": "/tags", "blobs_url": "/git/blobs{/sha}", "git_tags_url": "/git/tags{/sha}",
    "git_refs_url": "/git/refs{/sha}", "trees_url": "/git/trees{/sha}", "statuses_url": "/statuses/{sha}",
    "languages_url": "/languages", "stargazers_url": "/stargazers", "contributors_url": "/contributors",
    "subscribers_url": "/subscribers", "subscription_url": "/subscription", "commits_url": "/commits{/sha}",
    "git_commits_url": "/git/commits{/sha}", "comments_url": "/comments{/number}",
    "issue_comment_url": "/issues/comments{/number}", "contents_url": "/contents/{+path}",
    "compare_url": "/compare/{base}...{head}", "merges_url": "/merges",
    "archive_url": "/{archive_format}{/ref}", "downloads_url": "/downloads", "issues_url": "/issues{/number}",
    "pulls_url": "/pulls{/number}", "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}", "labels_url": "/labels{/name}",
    "releases_url": "/releases{/id}", "deployments_url": "/deployments",
}


def repo_lite(site: Site, repo: LocalRepo) -> dict[str, Any]:
    """The minimal repository (combined status, ``workflow_run.repository``): identity and URLs."""
    api = f"{site.api}/repos/{repo.full_name}"
    body: dict[str, Any] = {
        "id": repo.id, "node_id": node_id("Repository", repo.id), "name": repo.name,
        "full_name": repo.full_name, "private": repo.private, "owner": user(site, repo.owner),
        "html_url": f"{site.server}/{repo.full_name}", "description": None, "fork": repo.parent is not None,
        "url": api,
    }
    body.update({key: api + suffix for key, suffix in _REPO_URL_TEMPLATES.items()})
    return body


def repo(site: Site, repository: LocalRepo) -> dict[str, Any]:
    """A full repository (GET /repos/{owner}/{repo}, ``head.repo``/``base.repo``, webhook ``repository``)."""
    body = repo_lite(site, repository)
    created = timestamp(repository.created_at)
    clone = f"{site.server}/{repository.full_name}.git"
    body.update({
        "created_at": created, "updated_at": created, "pushed_at": created, "git_url": clone,
        "ssh_url": f"git@{site.server.split('://', 1)[1]}:{repository.full_name}.git", "clone_url": clone,
        "svn_url": f"{site.server}/{repository.full_name}", "homepage": None, "size": 0,
        "stargazers_count": 0, "watchers_count": 0, "language": "Python", "has_issues": True,
        "has_projects": False, "has_downloads": True, "has_wiki": False, "has_pages": False,
        "has_discussions": False, "forks_count": 0, "mirror_url": None, "archived": False, "disabled": False,
        "open_issues_count": sum(p.state == "open" for p in repository.pulls.values()), "license": None,
        "allow_forking": True, "is_template": False, "web_commit_signoff_required": False, "topics": [],
        "visibility": "private" if repository.private else "public", "forks": 0,
        "open_issues": sum(p.state == "open" for p in repository.pulls.values()), "watchers": 0,
        "default_branch": repository.default_branch,
        "permissions": {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True},
    })
    if repository.parent is not None:
        # A fork names what it was forked from; the payloads nest these one level only.
        body["parent"] = body["source"] = repo_lite(site, repository.parent)
    return body


def repo_ref(site: Site, repository: LocalRepo) -> dict[str, Any]:
    """The ``{id, url, name}`` reference ``workflow_run.pull_requests[].head.repo`` carries."""
    return {"id": repository.id, "url": f"{site.api}/repos/{repository.full_name}", "name": repository.name}


# --- pull requests and reviews ----------------------------------------------------------------


def _branch(site: Site, repository: LocalRepo, ref: str, sha: str) -> dict[str, Any]:
    return {"label": f"{repository.owner.login}:{ref}", "ref": ref, "sha": sha,
            "user": user(site, repository.owner), "repo": repo(site, repository)}


def _pull_links(site: Site, pull: LocalPull) -> dict[str, Any]:
    api = f"{site.api}/repos/{pull.repo.full_name}"
    hrefs = {
        "self": f"{api}/pulls/{pull.number}", "html": f"{site.server}/{pull.repo.full_name}/pull/{pull.number}",
        "issue": f"{api}/issues/{pull.number}", "comments": f"{api}/issues/{pull.number}/comments",
        "review_comments": f"{api}/pulls/{pull.number}/comments",
        "review_comment": f"{api}/pulls/comments{{/number}}", "commits": f"{api}/pulls/{pull.number}/commits",
        "statuses": f"{api}/statuses/{pull.head_sha}",
    }
    return {name: {"href": href} for name, href in hrefs.items()}


def pull_simple(site: Site, pull: LocalPull) -> dict[str, Any]:
    """A pull-request-simple (commit's pulls list, ``pull_request_review`` event's ``pull_request``)."""
    links = _pull_links(site, pull)
    return {
        "url": links["self"]["href"], "id": pull.id, "node_id": node_id("PullRequest", pull.id),
        "html_url": links["html"]["href"], "diff_url": f"{links['html']['href']}.diff",
        "patch_url": f"{links['html']['href']}.patch", "issue_url": links["issue"]["href"],
        "number": pull.number, "state": pull.state, "locked": False, "title": pull.title,
        "user": user(site, pull.author), "body": pull.body, "created_at": timestamp(pull.created_at),
        "updated_at": timestamp(pull.updated_at), "closed_at": timestamp(pull.closed_at),
        "merged_at": timestamp(pull.merged_at), "merge_commit_sha": pull.merge_commit_sha,
        "assignee": None, "assignees": [], "requested_reviewers": [], "requested_teams": [], "labels": [],
        "milestone": None, "draft": pull.draft, "commits_url": links["commits"]["href"],
        "review_comments_url": links["review_comments"]["href"],
        "review_comment_url": links["review_comment"]["href"], "comments_url": links["comments"]["href"],
        "statuses_url": links["statuses"]["href"],
        "head": _branch(site, pull.head_repo, pull.head_ref, pull.head_sha),
        "base": _branch(site, pull.repo, pull.base_ref, pull.base_sha), "_links": links,
        "author_association": pull.author_association, "auto_merge": None, "active_lock_reason": None,
    }


def pull(site: Site, pull_request: LocalPull) -> dict[str, Any]:
    """A full pull request (GET /repos/{owner}/{repo}/pulls/{number}, ``pull_request`` event)."""
    body = pull_simple(site, pull_request)
    merged_by = pull_request.merged_by
    body.update({
        "merged": pull_request.merged, "mergeable": None if pull_request.state == "closed" else True,
        "rebaseable": None if pull_request.state == "closed" else True,
        "mergeable_state": "unknown" if pull_request.state == "closed" else "clean",
        "merged_by": None if merged_by is None else user(site, merged_by), "comments": 0,
        "review_comments": 0, "maintainer_can_modify": False, "commits": len(pull_request.head_shas),
        "additions": 0, "deletions": 0, "changed_files": 0,
    })
    return body


def pull_minimal(site: Site, pull_request: LocalPull) -> dict[str, Any]:
    """The pull-request-minimal entries of ``workflow_run.pull_requests``."""
    return {
        "url": f"{site.api}/repos/{pull_request.repo.full_name}/pulls/{pull_request.number}",
        "id": pull_request.id, "number": pull_request.number,
        "head": {"ref": pull_request.head_ref, "sha": pull_request.head_sha,
                 "repo": repo_ref(site, pull_request.head_repo)},
        "base": {"ref": pull_request.base_ref, "sha": pull_request.base_sha,
                 "repo": repo_ref(site, pull_request.repo)},
    }


def review(site: Site, item: LocalReview, *, webhook: bool = False) -> dict[str, Any]:
    """A pull-request-review. REST states are upper case; webhook states lower case. A pending
    review has no ``submitted_at`` (REST omits the key)."""
    pull_url = f"{site.api}/repos/{item.pull.repo.full_name}/pulls/{item.pull.number}"
    html = f"{site.server}/{item.pull.repo.full_name}/pull/{item.pull.number}#pullrequestreview-{item.id}"
    body: dict[str, Any] = {
        "id": item.id, "node_id": node_id("PullRequestReview", item.id), "user": user(site, item.user),
        "body": item.body, "state": item.state.lower() if webhook else item.state, "html_url": html,
        "pull_request_url": pull_url, "author_association": item.author_association,
        "_links": {"html": {"href": html}, "pull_request": {"href": pull_url}},
    }
    if item.submitted_at is not None or webhook:
        body["submitted_at"] = timestamp(item.submitted_at)
    body["commit_id"] = item.commit_id
    return body


# --- commits and statuses ---------------------------------------------------------------------


def _derived_sha(*parts: str) -> str:
    """A stable stand-in hash for objects the stand-in does not model (trees)."""
    return hashlib.sha1("\0".join(parts).encode()).hexdigest()


def commit(site: Site, repository: LocalRepo, item: LocalCommit) -> dict[str, Any]:
    """A commit (GET /repos/{owner}/{repo}/commits/{ref}); ``author``/``committer`` are null, as on
    GitHub when the commit's e-mail matches no account."""
    api = f"{site.api}/repos/{repository.full_name}"
    person = {"name": item.author_name, "email": item.author_email, "date": timestamp(item.date)}
    tree = _derived_sha("tree", item.sha)
    return {
        "sha": item.sha, "node_id": node_id("Commit", int(item.sha[:12], 16)),
        "commit": {
            "author": person, "committer": person, "message": item.message,
            "tree": {"sha": tree, "url": f"{api}/git/trees/{tree}"}, "url": f"{api}/git/commits/{item.sha}",
            "comment_count": 0,
            "verification": {"verified": False, "reason": "unsigned", "signature": None, "payload": None,
                             "verified_at": None},
        },
        "url": f"{api}/commits/{item.sha}", "html_url": f"{site.server}/{repository.full_name}/commit/{item.sha}",
        "comments_url": f"{api}/commits/{item.sha}/comments", "author": None, "committer": None,
        "parents": [{"sha": p, "url": f"{api}/commits/{p}",
                     "html_url": f"{site.server}/{repository.full_name}/commit/{p}"} for p in item.parents],
        "stats": {"total": 0, "additions": 0, "deletions": 0}, "files": [],
    }


def status(site: Site, repository: LocalRepo, item: LocalStatus, *, creator: bool = True) -> dict[str, Any]:
    """A commit status. Its ``url`` names the commit, not the status, as GitHub's does."""
    body: dict[str, Any] = {
        "url": f"{site.api}/repos/{repository.full_name}/statuses/{item.sha}",
        "avatar_url": f"{site.server}/avatars/u/{item.creator.id}?v=4", "id": item.id,
        "node_id": node_id("Status", item.id), "state": item.state, "description": item.description,
        "target_url": item.target_url, "context": item.context, "created_at": timestamp(item.created_at),
        "updated_at": timestamp(item.created_at),
    }
    if creator:
        body["creator"] = user(site, item.creator)
    return body


def combined_state(latest: list[LocalStatus]) -> str:
    """GitHub's rule: failure if any context is error/failure, pending if none or any pending."""
    states = {s.state for s in latest}
    if states & {"error", "failure"}:
        return "failure"
    if not states or "pending" in states:
        return "pending"
    return "success"


def combined_status(site: Site, repository: LocalRepo, sha: str, latest: list[LocalStatus]) -> dict[str, Any]:
    """GET /repos/{owner}/{repo}/commits/{ref}/status: the latest status of each context."""
    api = f"{site.api}/repos/{repository.full_name}"
    return {
        "state": combined_state(latest),
        "statuses": [status(site, repository, s, creator=False) for s in latest], "sha": sha,
        "total_count": len(latest), "repository": repo_lite(site, repository),
        "commit_url": f"{api}/commits/{sha}", "url": f"{api}/commits/{sha}/status",
    }
