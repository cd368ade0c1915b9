"""A loopback stand-in for the GitHub REST endpoints clinigate's approval workflow calls.

The unmodified PyGithub client runs against it (tests/github/test_local_github.py), so code under
test talks to something that answers as GitHub does: same paths, JSON shapes, errors, pagination.

    gh = LocalGitHub(token="ghs_local")
    with gh.serve():
        repo = gh.add_repo("acme/reg", repo_id=101, owner_id=202)
        gh.add_pull(repo, 7, author=("alice", 1001), head_sha="b" * 40, head_ref="change",
                    base_sha="a" * 40)
        review_id = gh.add_review(repo, 7, user=("bob", 1002), state="APPROVED")
        client = Github(auth=Auth.Token("ghs_local"), base_url=gh.api_url)

``gh.api_url`` is ``http://127.0.0.1:<port>/api/v3``: GitHub Enterprise Server's layout, which is
also what Actions puts in GITHUB_API_URL there (``gh.server_url`` is GITHUB_SERVER_URL). Pass it as
PyGithub's ``base_url``; paths outside ``/api/v3`` answer 404, so a base URL without the prefix
fails loudly instead of half-working.

Served, under ``/repos/{owner}/{repo}`` and the ``/repositories/{id}`` form GitHub's Link headers use:

    GET  ""                       the repository
    GET  /pulls/{n}               a pull request
    GET  /pulls/{n}/reviews       its reviews, chronological, paginated; PENDING only to their author
    GET  /commits/{ref}           a commit (ref: sha, unique sha prefix >= 7, or branch)
    GET  /commits/{sha}/pulls     merged pulls that introduced it, else open pulls containing it
    POST /statuses/{sha}          create a status (201), as the token's user
    GET  /statuses/{ref}          statuses, newest first (the legacy path PyGithub's get_statuses uses)
    GET  /commits/{ref}/statuses  the same
    GET  /commits/{ref}/status    combined status: the latest per context (contexts case-insensitive)
    POST /code-scanning/sarifs    a SARIF upload (gzip + base64), kept decoded in ``repo.sarifs`` (202)

And for a GitHub App (``gh.add_app``), authenticated by its RS256 JWT (PyGithub's
GithubIntegration): ``GET /repos/{o}/{r}/installation`` and
``POST /app/installations/{id}/access_tokens``; statuses posted with the installation token
record the App's id (``LocalStatus.app_id``), which is what a ruleset's ``integration_id`` pins.

Errors as GitHub words them: 401 ``Bad credentials`` (wrong token) or ``Requires authentication``
(none), checked before anything else; 404 ``Not Found`` (unknown repo, pull, route or method);
404 ``Ref not found`` (status reads of an unknown ref); 422 ``No commit found for SHA: <sha>``
(unknown commit on GET commit, commit pulls and POST status); 422 ``Validation Failed`` with
``errors`` (state outside error|failure|pending|success, description over 140 characters); 403
``Resource not accessible by integration`` (POST status with a token lacking ``statuses: write``);
400 ``Problems parsing JSON``. Lists honour ``per_page`` (default 30, max 100) and ``page``, and
send a ``Link`` header with next/last (and prev/first after page 1), as GitHub does.

Every request is logged (``gh.requests``) with whether its credentials were accepted, so a test can
assert that nothing was POSTed. Timestamps come from a fixed clock that advances one minute per
change, starting 2026-01-05T09:00:00Z: runs are reproducible and order is visible in the data.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import pytest
from github import Auth, Github

from testing import github_shapes as shapes
from testing.serving import serving

Account = tuple[str, int]
STATUS_STATES = ("error", "failure", "pending", "success")
REVIEW_STATES = ("APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING")
# The identity GITHUB_TOKEN acts as; statuses it creates name this creator.
ACTIONS_BOT: Account = ("github-actions[bot]", 41898282)
DEFAULT_TOKEN = "ghs_clinigate-local-github-token"
CLOCK_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SHA = re.compile(r"[0-9a-f]{40}")


# --- state ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GitHubUser:
    login: str
    id: int
    type: str = "User"  # User, Bot or Organization

    @classmethod
    def of(cls, account: Account | GitHubUser) -> GitHubUser:
        if isinstance(account, GitHubUser):
            return account
        login, number = account
        # GitHub names app identities "<slug>[bot]" and types them Bot.
        return cls(login, number, "Bot" if login.endswith("[bot]") else "User")


@dataclass
class LocalCommit:
    sha: str
    parents: list[str]
    message: str
    date: datetime
    author_name: str = "Test Author"
    author_email: str = "author@test.invalid"


@dataclass
class LocalStatus:
    id: int
    sha: str
    state: str
    description: str | None
    target_url: str | None
    context: str
    creator: GitHubUser
    created_at: datetime
    app_id: int | None = None  # the GitHub App whose installation token posted it (what a ruleset pins)


@dataclass(eq=False)  # identity: reviews, pulls and repos point at each other
class LocalReview:
    pull: LocalPull = field(repr=False)
    id: int
    user: GitHubUser
    state: str
    body: str
    commit_id: str
    submitted_at: datetime | None
    author_association: str


@dataclass(eq=False)
class LocalPull:
    repo: LocalRepo = field(repr=False)
    number: int
    id: int
    author: GitHubUser
    title: str
    body: str
    head_repo: LocalRepo = field(repr=False)
    head_ref: str
    base_ref: str
    base_sha: str
    head_shas: list[str]  # every head the pull has had, oldest first
    created_at: datetime
    draft: bool = False
    author_association: str = "MEMBER"
    state: str = "open"
    merged: bool = False
    merged_at: datetime | None = None
    merge_commit_sha: str | None = None
    merged_by: GitHubUser | None = None
    closed_at: datetime | None = None
    updated_at: datetime | None = None
    reviews: list[LocalReview] = field(default_factory=list)

    @property
    def head_sha(self) -> str:
        return self.head_shas[-1]

    def review(self, review_id: int) -> LocalReview:
        return next(r for r in self.reviews if r.id == review_id)


@dataclass(eq=False)
class LocalRepo:
    github: LocalGitHub = field(repr=False)
    full_name: str
    id: int
    owner: GitHubUser
    default_branch: str
    private: bool
    created_at: datetime
    parent: LocalRepo | None = field(default=None, repr=False)
    branches: dict[str, str] = field(default_factory=dict)
    commits: dict[str, LocalCommit] = field(default_factory=dict)
    pulls: dict[int, LocalPull] = field(default_factory=dict)
    statuses: dict[str, list[LocalStatus]] = field(default_factory=dict)  # sha -> oldest first
    sarifs: list[dict[str, Any]] = field(default_factory=list)  # code scanning uploads, decoded

    @property
    def name(self) -> str:
        return self.full_name.split("/", 1)[1]


@dataclass(frozen=True)
class TokenGrant:
    user: GitHubUser
    statuses_write: bool = True
    app_id: int | None = None  # an App's installation token (else GITHUB_TOKEN or a user's)


@dataclass
class LocalApp:
    """A GitHub App: it authenticates with an RS256 JWT signed by its private key (iss = its id)."""

    id: int
    slug: str
    public_key_pem: bytes
    installations: dict[str, int] = field(default_factory=dict)  # repository full name -> installation id


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str  # as requested, without the query
    query: dict[str, str]
    authorized: bool
    status: int


# --- the stand-in -----------------------------------------------------------------------------


class LocalGitHub:
    """Repositories, pull requests, reviews and statuses, served over loopback HTTP."""

    def __init__(self, token: str = DEFAULT_TOKEN, *, token_user: Account = ACTIONS_BOT,
                 statuses_write: bool = True) -> None:
        self.token = token
        self._grants = {token: TokenGrant(GitHubUser.of(token_user), statuses_write)}
        self._repos: dict[str, LocalRepo] = {}
        self._lock = threading.RLock()
        self._log: list[LoggedRequest] = []
        self._now = CLOCK_START
        self._ids = {kind: count(start) for kind, start in
                     (("pull", 2_000_000_001), ("review", 3_000_000_001), ("status", 4_000_000_001))}
        self._site: shapes.Site | None = None
        self._apps: dict[int, LocalApp] = {}

    # where it serves

    @property
    def site(self) -> shapes.Site:
        if self._site is None:
            raise RuntimeError("LocalGitHub is not serving: use it inside `with gh.serve():`")
        return self._site

    @property
    def api_url(self) -> str:
        """PyGithub's ``base_url`` (and GITHUB_API_URL): ``http://127.0.0.1:<port>/api/v3``."""
        return self.site.api

    @property
    def server_url(self) -> str:
        """GITHUB_SERVER_URL: where ``html_url``s point."""
        return self.site.server

    # setting up state

    def add_token(self, token: str, *, user: Account, statuses_write: bool = True) -> None:
        """Accept another token, acting as ``user``; ``statuses_write=False`` is a GITHUB_TOKEN
        whose workflow did not grant ``statuses: write``."""
        with self._lock:
            self._grants[token] = TokenGrant(GitHubUser.of(user), statuses_write)

    def add_app(self, app_id: int, slug: str, public_key_pem: bytes, *, repos: list[LocalRepo]) -> LocalApp:
        """A GitHub App installed on ``repos``; its installation tokens post as ``<slug>[bot]``."""
        with self._lock:
            app = LocalApp(app_id, slug, public_key_pem,
                           {r.full_name: 5_000_000_000 + app_id * 10 + i for i, r in enumerate(repos)})
            self._apps[app_id] = app
            return app

    def add_repo(self, full_name: str, *, repo_id: int, owner_id: int, default_branch: str = "main",
                 private: bool = True, owner_type: str = "Organization",
                 parent: LocalRepo | None = None) -> LocalRepo:
        """A repository; ``parent`` makes it a fork (for pull requests from forks)."""
        owner = GitHubUser(full_name.split("/", 1)[0], owner_id, owner_type)
        with self._lock:
            repo = LocalRepo(self, full_name, repo_id, owner, default_branch, private, self._tick(),
                             parent=parent)
            self._repos[full_name.lower()] = repo
            return repo

    def add_commit(self, repo: LocalRepo, sha: str, *, parents: list[str] | None = None,
                   message: str = "change", branch: str | None = None) -> LocalCommit:
        """A commit ``GET /commits/{ref}`` can find; ``branch`` moves that branch to it."""
        for name in (sha, *(parents or [])):
            if not SHA.fullmatch(name):
                raise ValueError(f"not a commit sha (40 lower-case hex digits): {name!r}")
        with self._lock:
            known = repo.commits.get(sha)
            commit = known or LocalCommit(sha, list(parents or []), message, self._tick())
            repo.commits[sha] = commit
            if branch is not None:
                repo.branches[branch] = sha
            return commit

    def add_pull(self, repo: LocalRepo, number: int, *, author: Account, head_sha: str, head_ref: str,
                 base_ref: str = "main", base_sha: str | None = None, title: str | None = None,
                 body: str = "", draft: bool = False, head_repo: LocalRepo | None = None,
                 author_association: str = "MEMBER") -> LocalPull:
        """An open pull request. ``base_sha`` defaults to the tip of ``base_ref``; ``head_repo``
        (default: ``repo``) is where the head branch lives, a fork for a pull from a fork."""
        with self._lock:
            base = base_sha or repo.branches.get(base_ref)
            if base is None:
                raise ValueError(f"base_sha is required: {repo.full_name} has no branch {base_ref!r} yet")
            source = head_repo or repo
            # An explicit older base must not move an existing branch backwards.
            self.add_commit(repo, base, branch=None if base_ref in repo.branches else base_ref)
            pull = LocalPull(repo, number, next(self._ids["pull"]), GitHubUser.of(author),
                             title or f"Change {number}", body, source, head_ref, base_ref, base, [],
                             self._tick(), draft=draft, author_association=author_association)
            repo.pulls[number] = pull
            self._record_head(pull, head_sha, parent=base)
            return pull

    def push(self, repo: LocalRepo, number: int, *, head_sha: str) -> LocalPull:
        """A new push to the pull's head branch (the ``synchronize`` event)."""
        with self._lock:
            pull = self.pull(repo, number)
            self._record_head(pull, head_sha, parent=pull.head_sha)
            return pull

    def merge(self, repo: LocalRepo, number: int, *, merge_commit_sha: str,
              merged_by: Account | None = None) -> LocalPull:
        """Merge: closed, ``merged``, base branch moved to ``merge_commit_sha``; ``merged_by``
        defaults to the author."""
        with self._lock:
            pull = self.pull(repo, number)
            now = self._tick()
            self.add_commit(repo, merge_commit_sha, parents=[pull.base_sha, pull.head_sha],
                            message=f"Merge pull request #{number}", branch=pull.base_ref)
            pull.state, pull.merged, pull.merged_at, pull.closed_at, pull.updated_at = (
                "closed", True, now, now, now)
            pull.merge_commit_sha = merge_commit_sha
            pull.merged_by = GitHubUser.of(merged_by) if merged_by else pull.author
            return pull

    def close(self, repo: LocalRepo, number: int) -> LocalPull:
        """Close without merging."""
        with self._lock:
            pull = self.pull(repo, number)
            pull.state, pull.closed_at = "closed", self._tick()
            pull.updated_at = pull.closed_at
            return pull

    def add_review(self, repo: LocalRepo, number: int, *, user: Account, state: str = "APPROVED",
                   body: str = "", commit_id: str | None = None, submitted_at: datetime | None = None,
                   author_association: str = "MEMBER") -> int:
        """A review of the pull's current head (or ``commit_id``); returns its id."""
        if state not in REVIEW_STATES:
            raise ValueError(f"review state must be one of {REVIEW_STATES}, not {state!r}")
        with self._lock:
            pull = self.pull(repo, number)
            when = None if state == "PENDING" else (submitted_at or self._tick())
            review = LocalReview(pull, next(self._ids["review"]), GitHubUser.of(user), state, body,
                                 commit_id or pull.head_sha, when, author_association)
            pull.reviews.append(review)
            return review.id

    def dismiss_review(self, repo: LocalRepo, number: int, review_id: int) -> None:
        """What a dismissal (or a stale-approval rule) leaves behind: state DISMISSED."""
        with self._lock:
            self.pull(repo, number).review(review_id).state = "DISMISSED"

    # reading state

    def pull(self, repo: LocalRepo, number: int) -> LocalPull:
        return repo.pulls[number]

    def statuses(self, repo: LocalRepo, sha: str) -> list[LocalStatus]:
        """What was POSTed for ``sha``, newest first, as GitHub lists them."""
        with self._lock:
            return list(reversed(repo.statuses.get(sha, [])))

    @property
    def now(self) -> datetime:
        """The stand-in's clock: the time of the latest change."""
        return self._now

    @property
    def requests(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._log)

    # internals shared with the HTTP layer

    def _tick(self) -> datetime:
        self._now += timedelta(minutes=1)
        return self._now

    def _record_head(self, pull: LocalPull, sha: str, *, parent: str) -> None:
        # A pull's head commits are readable from the base repository too (refs/pull/N/head).
        for where in {id(pull.repo): pull.repo, id(pull.head_repo): pull.head_repo}.values():
            self.add_commit(where, sha, parents=[parent])
        pull.head_repo.branches[pull.head_ref] = sha
        pull.head_shas.append(sha)
        pull.updated_at = self._now

    def _repo_named(self, full_name: str) -> LocalRepo | None:
        return self._repos.get(full_name.lower())

    def _repo_numbered(self, repo_id: int) -> LocalRepo | None:
        return next((r for r in self._repos.values() if r.id == repo_id), None)

    def _app_of(self, authorization: str | None) -> LocalApp | None:
        """The App whose private key signed the bearer JWT (RS256, unexpired, iss = the App id)."""
        import jwt

        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        try:
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
            app = self._apps.get(int(issuer))
            if app is None:
                return None
            jwt.decode(token, app.public_key_pem, algorithms=["RS256"], options={"require": ["exp", "iat"]})
        except (jwt.PyJWTError, TypeError, ValueError):
            return None
        return app

    def _grant(self, authorization: str | None) -> TokenGrant | None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() not in ("token", "bearer"):
            return None
        return self._grants.get(token.strip())

    def _new_status(self, repo: LocalRepo, sha: str, fields: dict[str, Any], creator: GitHubUser,
                    app_id: int | None = None) -> LocalStatus:
        item = LocalStatus(next(self._ids["status"]), sha, fields["state"], fields.get("description"),
                           fields.get("target_url"), fields.get("context") or "default", creator, self._tick(),
                           app_id)
        repo.statuses.setdefault(sha, []).append(item)
        return item

    def _logged(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._log.append(entry)

    @contextmanager
    def serve(self) -> Iterator[LocalGitHub]:
        """Serve on 127.0.0.1:<free port> until the block ends."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._site = shapes.Site(f"http://127.0.0.1:{server.server_address[1]}")
        try:
            with serving(server, "local-github-http"):
                yield self
        finally:
            self._site = None


def pygithub(gh: LocalGitHub, token: str | None = None, *, per_page: int = 30) -> Github:
    """PyGithub pointed at ``gh``: no retries and no throttling, so a failing test fails at once."""
    return Github(auth=Auth.Token(token or gh.token), base_url=gh.api_url, per_page=per_page, retry=None,
                  seconds_between_requests=None, seconds_between_writes=None)


# --- REST handlers ----------------------------------------------------------------------------


class ApiError(Exception):
    """An error reply; ``body`` is GitHub's error JSON."""

    def __init__(self, status: int, message: str, documentation_url: str,
                 errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = shapes.error(message, documentation_url, status, errors)


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ApiRequest:
    gh: LocalGitHub
    method: str
    repo: LocalRepo
    rest: str  # the path after the repository, e.g. /pulls/7
    query: dict[str, str]
    body: bytes
    grant: TokenGrant


Handler = Callable[[ApiRequest, re.Match[str]], Reply]
DOC_PULL = f"{shapes.DOCS}/pulls/pulls#get-a-pull-request"
DOC_REVIEWS = f"{shapes.DOCS}/pulls/reviews#list-reviews-for-a-pull-request"
DOC_COMMIT = f"{shapes.DOCS}/commits/commits#get-a-commit"
DOC_COMMIT_PULLS = f"{shapes.DOCS}/commits/commits#list-pull-requests-associated-with-a-commit"
DOC_CREATE_STATUS = f"{shapes.DOCS}/commits/statuses#create-a-commit-status"
DOC_LIST_STATUSES = f"{shapes.DOCS}/commits/statuses#list-commit-statuses-for-a-reference"
DOC_COMBINED = f"{shapes.DOCS}/commits/statuses#get-the-combined-status-for-a-specific-reference"
DOC_REPO = f"{shapes.DOCS}/repos/repos#get-a-repository"


def _resolve(repo: LocalRepo, ref: str) -> LocalCommit | None:
    """A sha, a unique sha prefix of 7+ hex digits, or a branch (``main``, ``heads/main``, ``refs/heads/main``)."""
    if ref in repo.commits:
        return repo.commits[ref]
    branch = repo.branches.get(ref.removeprefix("refs/").removeprefix("heads/"))
    if branch is not None:
        return repo.commits.get(branch)
    if len(ref) >= 7 and re.fullmatch(r"[0-9a-f]+", ref):
        matches = [c for sha, c in repo.commits.items() if sha.startswith(ref)]
        return matches[0] if len(matches) == 1 else None
    return None


def _commit_or_422(repo: LocalRepo, ref: str, doc: str) -> LocalCommit:
    commit = _resolve(repo, ref)
    if commit is None:
        raise ApiError(422, f"No commit found for SHA: {ref}", doc)
    return commit


def _paginate(request: ApiRequest, items: list[Any]) -> Reply:
    """One page of ``items`` with GitHub's Link header (URLs in the /repositories/{id} form)."""
    per_page = _int(request.query.get("per_page"), 30)
    per_page = 30 if per_page < 1 else min(per_page, 100)
    page = max(_int(request.query.get("page"), 1), 1)
    last = max((len(items) + per_page - 1) // per_page, 1)
    base = f"{request.gh.api_url}/repositories/{request.repo.id}{request.rest}"

    def link(number: int, rel: str) -> str:
        params = {k: v for k, v in request.query.items() if k != "page"} | {"page": str(number)}
        return f'<{base}?{urlencode(params)}>; rel="{rel}"'

    rels = []
    if page > 1:
        rels.append(link(min(page - 1, last), "prev"))
    if page < last:
        rels += [link(page + 1, "next"), link(last, "last")]
    if page > 1:
        rels.append(link(1, "first"))
    headers = {"Link": ", ".join(rels)} if rels else {}
    return Reply(200, items[(page - 1) * per_page: page * per_page], headers)


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def _get_repo(request: ApiRequest, match: re.Match[str]) -> Reply:
    return Reply(200, shapes.repo(request.gh.site, request.repo))


def _pull_or_404(request: ApiRequest, number: str, doc: str) -> LocalPull:
    pull = request.repo.pulls.get(int(number))
    if pull is None:
        raise ApiError(404, "Not Found", doc)
    return pull


def _get_pull(request: ApiRequest, match: re.Match[str]) -> Reply:
    return Reply(200, shapes.pull(request.gh.site, _pull_or_404(request, match[1], DOC_PULL)))


def _list_reviews(request: ApiRequest, match: re.Match[str]) -> Reply:
    pull = _pull_or_404(request, match[1], DOC_REVIEWS)
    # A pending review is a draft only its author can see.
    visible = [r for r in pull.reviews if r.state != "PENDING" or r.user == request.grant.user]
    return _paginate(request, [shapes.review(request.gh.site, r) for r in visible])


def _get_commit(request: ApiRequest, match: re.Match[str]) -> Reply:
    commit = _commit_or_422(request.repo, match[1], DOC_COMMIT)
    return Reply(200, shapes.commit(request.gh.site, request.repo, commit))


def _commit_pulls(request: ApiRequest, match: re.Match[str]) -> Reply:
    sha = _commit_or_422(request.repo, match[1], DOC_COMMIT_PULLS).sha
    related = [p for p in request.repo.pulls.values() if sha in p.head_shas or p.merge_commit_sha == sha]
    merged = [p for p in related if p.merged]
    chosen = merged or [p for p in related if p.state == "open"]
    return _paginate(request, [shapes.pull_simple(request.gh.site, p) for p in chosen])


def _validation_errors(fields: dict[str, Any]) -> list[dict[str, str]]:
    errors = []
    if fields.get("state") not in STATUS_STATES:
        errors.append({"resource": "Status", "code": "custom", "field": "state",
                       "message": "state is not included in the list"})
    description = fields.get("description")
    if isinstance(description, str) and len(description) > 140:
        errors.append({"resource": "Status", "code": "custom", "field": "description",
                       "message": "description is too long (maximum is 140 characters)"})
    return errors


def _create_status(request: ApiRequest, match: re.Match[str]) -> Reply:
    if not request.grant.statuses_write:
        raise ApiError(403, "Resource not accessible by integration", DOC_CREATE_STATUS)
    try:
        fields = json.loads(request.body or b"{}")
    except ValueError:
        raise ApiError(400, "Problems parsing JSON", DOC_CREATE_STATUS) from None
    if not isinstance(fields, dict):
        raise ApiError(400, "Problems parsing JSON", DOC_CREATE_STATUS)
    sha = match[1]
    if sha not in request.repo.commits:
        raise ApiError(422, f"No commit found for SHA: {sha}", DOC_CREATE_STATUS)
    errors = _validation_errors(fields)
    if errors:
        raise ApiError(422, "Validation Failed", DOC_CREATE_STATUS, errors)
    item = request.gh._new_status(request.repo, sha, fields, request.grant.user, request.grant.app_id)
    location = f"{request.gh.api_url}/repos/{request.repo.full_name}/statuses/{sha}"
    return Reply(201, shapes.status(request.gh.site, request.repo, item), {"Location": location})


def _ref_or_404(request: ApiRequest, ref: str, doc: str) -> LocalCommit:
    commit = _resolve(request.repo, ref)
    if commit is None:
        raise ApiError(404, "Ref not found", doc)
    return commit


def _list_statuses(request: ApiRequest, match: re.Match[str]) -> Reply:
    sha = _ref_or_404(request, match[1], DOC_LIST_STATUSES).sha
    newest_first = reversed(request.repo.statuses.get(sha, []))
    return _paginate(request, [shapes.status(request.gh.site, request.repo, s) for s in newest_first])


def _combined_status(request: ApiRequest, match: re.Match[str]) -> Reply:
    sha = _ref_or_404(request, match[1], DOC_COMBINED).sha
    latest: dict[str, LocalStatus] = {}
    for item in request.repo.statuses.get(sha, []):  # oldest first: later ones win
        latest.pop(item.context.lower(), None)
        latest[item.context.lower()] = item
    return Reply(200, shapes.combined_status(request.gh.site, request.repo, sha, list(latest.values())))


DOC_SARIF = f"{shapes.DOCS}/code-scanning/code-scanning#upload-an-analysis-as-sarif-data"
DOC_INSTALLATION = f"{shapes.DOCS}/apps/apps#get-a-repository-installation-for-the-authenticated-app"
DOC_ACCESS_TOKEN = f"{shapes.DOCS}/apps/apps#create-an-installation-access-token-for-an-app"


def _upload_sarif(request: ApiRequest, match: re.Match[str]) -> Reply:
    """Code scanning takes gzip-compressed, base64-encoded SARIF for a commit and a ref (202)."""
    import base64
    import gzip

    try:
        fields = json.loads(request.body or b"{}")
        sarif = json.loads(gzip.decompress(base64.b64decode(fields["sarif"])))
    except (ValueError, KeyError, TypeError, OSError):
        raise ApiError(400, "Problems parsing JSON", DOC_SARIF) from None
    if fields.get("commit_sha") not in request.repo.commits or not str(fields.get("ref", "")).startswith("refs/"):
        raise ApiError(422, "Validation Failed", DOC_SARIF)
    upload = f"{len(request.repo.sarifs) + 1:08d}-0000-4000-8000-000000000000"
    request.repo.sarifs.append({"commit_sha": fields["commit_sha"], "ref": fields["ref"], "sarif": sarif})
    url = f"{request.gh.api_url}/repos/{request.repo.full_name}/code-scanning/sarifs/{upload}"
    return Reply(202, {"id": upload, "url": url})


APP_INSTALLATION = re.compile(r"/api/v3/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)/installation")
APP_ACCESS_TOKEN = re.compile(r"/api/v3/app/installations/(?P<id>\d+)/access_tokens")


def _app_answer(gh: LocalGitHub, method: str, path: str, authorization: str | None) -> Reply | None:
    """The two App endpoints PyGithub's GithubIntegration calls, authenticated by the App's JWT."""
    installation, access = APP_INSTALLATION.fullmatch(path), APP_ACCESS_TOKEN.fullmatch(path)
    if not ((method == "GET" and installation) or (method == "POST" and access)):
        return None
    app = gh._app_of(authorization)
    if app is None:
        raise ApiError(401, "A JSON web token could not be decoded", DOC_INSTALLATION)
    if installation:
        full_name = f"{unquote(installation['owner'])}/{unquote(installation['name'])}"
        if full_name not in app.installations:
            raise ApiError(404, "Not Found", DOC_INSTALLATION)
        return Reply(200, {"id": app.installations[full_name], "app_id": app.id, "app_slug": app.slug,
                           "target_type": "Organization", "repository_selection": "selected",
                           "permissions": {"statuses": "write", "pull_requests": "read"}, "events": [],
                           "account": shapes.user(gh.site, GitHubUser.of((full_name.split("/")[0], 202)))})
    assert access is not None
    if int(access["id"]) not in app.installations.values():
        raise ApiError(404, "Not Found", DOC_ACCESS_TOKEN)
    token = f"ghs_app{app.id}_{len(gh._grants)}"
    gh._grants[token] = TokenGrant(GitHubUser.of((f"{app.slug}[bot]", 90_000_000 + app.id)), True, app.id)
    expires = (gh.now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Reply(201, {"token": token, "expires_at": expires, "permissions": {"statuses": "write"},
                       "repository_selection": "selected"})


# Order matters: /commits/{ref} would swallow the /pulls, /statuses and /status suffixes.
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    ("GET", re.compile(r""), _get_repo),
    ("GET", re.compile(r"/pulls/(\d+)"), _get_pull),
    ("GET", re.compile(r"/pulls/(\d+)/reviews"), _list_reviews),
    ("GET", re.compile(r"/commits/(.+)/pulls"), _commit_pulls),
    ("GET", re.compile(r"/commits/(.+)/statuses"), _list_statuses),
    ("GET", re.compile(r"/commits/(.+)/status"), _combined_status),
    ("GET", re.compile(r"/commits/(.+)"), _get_commit),
    ("POST", re.compile(r"/statuses/(.+)"), _create_status),
    ("GET", re.compile(r"/statuses/(.+)"), _list_statuses),
    ("POST", re.compile(r"/code-scanning/sarifs"), _upload_sarif),
]
REPO_PATH = re.compile(r"/api/v3/(?:repos/(?P<owner>[^/]+)/(?P<name>[^/]+)|repositories/(?P<id>\d+))(?P<rest>/.*)?")


def _route(gh: LocalGitHub, method: str, path: str) -> tuple[LocalRepo, str, Handler, re.Match[str]]:
    found = REPO_PATH.fullmatch(path)
    if found is None:
        raise ApiError(404, "Not Found", shapes.DOCS)
    if found["id"]:
        repo = gh._repo_numbered(int(found["id"]))
    else:
        repo = gh._repo_named(f"{unquote(found['owner'])}/{unquote(found['name'])}")
    rest = (found["rest"] or "").rstrip("/")
    for verb, pattern, handler in ROUTES:
        match = pattern.fullmatch(rest)
        if verb == method and match is not None:
            if repo is None:
                raise ApiError(404, "Not Found", DOC_REPO)
            return repo, rest, handler, _unquoted(pattern, rest)
    raise ApiError(404, "Not Found", shapes.DOCS)


def _unquoted(pattern: re.Pattern[str], rest: str) -> re.Match[str]:
    # PyGithub quotes refs (feature/x -> feature%2Fx); GitHub matches the decoded ref.
    match = pattern.fullmatch(unquote(rest)) or pattern.fullmatch(rest)
    assert match is not None
    return match


def answer(gh: LocalGitHub, method: str, target: str, authorization: str | None, body: bytes) -> Reply:
    """One REST exchange, logged. Credentials are checked before the path, as GitHub does."""
    parts = urlsplit(target)
    query = dict(parse_qsl(parts.query))
    with gh._lock:
        grant = gh._grant(authorization)
        try:
            if grant is None and (app_reply := _app_answer(gh, method, parts.path, authorization)):
                gh._logged(LoggedRequest(method, parts.path, query, True, app_reply.status))
                return app_reply
            if grant is None:
                message = "Bad credentials" if authorization else "Requires authentication"
                raise ApiError(401, message, shapes.DOCS)
            repo, rest, handler, match = _route(gh, method, parts.path)
            reply = handler(ApiRequest(gh, method, repo, rest, query, body, grant), match)
        except ApiError as failure:
            reply = Reply(failure.status, failure.body)
        except Exception as bug:  # a fault in the stand-in: say so, rather than drop the connection
            reply = Reply(500, shapes.error(f"LocalGitHub failed: {bug!r}", shapes.DOCS, 500))
    gh._logged(LoggedRequest(method, parts.path, query, grant is not None, reply.status))
    return reply


# --- HTTP -------------------------------------------------------------------------------------

RATE_LIMIT_HEADERS = {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "4999",
                      "X-RateLimit-Used": "1", "X-RateLimit-Resource": "core",
                      "X-GitHub-Media-Type": "github.v3; format=json"}


def _handler_for(gh: LocalGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in two writes; without TCP_NODELAY each request on a kept-alive
        # connection waits ~40 ms for the client's delayed ACK.
        disable_nagle_algorithm = True

        def _dispatch(self) -> None:
            # Read the body whatever the outcome, or a kept-alive connection desynchronises.
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            reply = answer(gh, self.command, self.path, self.headers.get("Authorization"), body)
            data = json.dumps(reply.body).encode()
            self.send_response(reply.status)
            headers = {"Content-Type": "application/json; charset=utf-8", **RATE_LIMIT_HEADERS,
                       "X-RateLimit-Reset": str(int(CLOCK_START.timestamp()) + 3600), **reply.headers,
                       "Content-Length": str(len(data))}
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        # http.server's naming; every verb goes through one router, which 404s what GitHub would.
        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet test output
            pass

    return Handler


# --- pytest fixture ---------------------------------------------------------------------------


@pytest.fixture
def local_github() -> Iterator[LocalGitHub]:
    """A fresh, empty stand-in per test, serving on loopback, with token ``DEFAULT_TOKEN``."""
    instance = LocalGitHub()
    with instance.serve():
        yield instance
