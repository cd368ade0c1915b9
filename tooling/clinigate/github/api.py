"""The GitHub REST API, through PyGithub: the one module that knows it (imported lazily).

    >>> api = GitHubApi.from_environment()                        # doctest: +SKIP
    >>> pull = api.pull(42); [r.state for r in api.reviews(42)]   # doctest: +SKIP
    ['APPROVED', 'CHANGES_REQUESTED']

Only facts cross this boundary, as frozen dataclasses: what GitHub says about a pull request,
its reviews and a commit's statuses. Nothing here decides anything (github/record.py does).
In GitHub Actions the repository, the API address and the token come from the runner's
environment (``GITHUB_REPOSITORY``, ``GITHUB_API_URL``, a ``GITHUB_TOKEN`` the workflow passes).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from ..errors import EnvironmentProblem, UsageError

if TYPE_CHECKING:
    from github.Repository import Repository

DEFAULT_API_URL = "https://api.github.com"
TOKEN_ENV = "GITHUB_TOKEN"
STATUS_STATES = ("error", "failure", "pending", "success")
MAX_DESCRIPTION = 140  # GitHub truncates nothing: it refuses a longer status description
_T = TypeVar("_T")


@dataclass(frozen=True)
class Account:
    login: str
    id: int  # GitHub never reassigns it; a login can be renamed and re-registered


@dataclass(frozen=True)
class PullFacts:
    number: int
    state: str  # open | closed
    merged: bool
    author: Account
    head_sha: str
    head_ref: str
    base_ref: str
    base_sha: str
    html_url: str


@dataclass(frozen=True)
class ReviewFacts:
    id: int
    reviewer: Account | None  # None: a deleted account ("ghost")
    state: str  # APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED | PENDING
    commit_id: str | None  # the head the reviewer saw
    body: str
    html_url: str


@dataclass(frozen=True)
class StatusFacts:
    context: str
    state: str
    description: str | None
    target_url: str | None


class GitHubUnavailable(EnvironmentProblem):
    """GitHub refused or could not be reached (exit 3)."""


class GitHubApi:
    """One repository on one GitHub (github.com or an Enterprise server)."""

    def __init__(self, repository: str, token: str, *, api_url: str = DEFAULT_API_URL) -> None:
        from github import Auth, Github

        if "/" not in repository:
            raise UsageError(f"{repository!r} is not OWNER/NAME")
        self.repository = repository
        # Few calls per run: no client-side throttling, and a short retry so a dead API fails fast.
        self._client = Github(auth=Auth.Token(token), base_url=api_url.rstrip("/"), retry=2, timeout=30,
                              seconds_between_requests=None, seconds_between_writes=None, lazy=True)
        self._repo: Repository = self._client.get_repo(repository)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None, *, repository: str | None = None,
                         token_env: str = TOKEN_ENV) -> GitHubApi:
        env = environ if environ is not None else os.environ
        repository = _repository(env, repository)
        token = env.get(token_env, "")
        if not token:
            raise UsageError(f"{token_env} is not set: the GitHub API needs a token",
                             hint=f"in the workflow: env: {token_env}: ${{{{ github.token }}}}")
        return cls(repository, token, api_url=env.get("GITHUB_API_URL") or DEFAULT_API_URL)

    @classmethod
    def as_app(cls, repository: str, app_id: str, private_key: str, *,
               api_url: str = DEFAULT_API_URL) -> GitHubApi:
        """Acting as a GitHub App's installation on ``repository`` (an installation token).

        The gate status is posted this way: the ruleset accepts ``clinigate/gate`` only from
        this App, so no workflow's GITHUB_TOKEN can post a green gate.
        """
        from github import Auth, GithubIntegration

        owner, _, name = repository.partition("/")
        app = GithubIntegration(auth=Auth.AppAuth(app_id, private_key), base_url=api_url.rstrip("/"),
                                retry=2, timeout=30, seconds_between_requests=None,
                                seconds_between_writes=None)
        installation = _call(repository, "the App's installation",
                             lambda: app.get_repo_installation(owner, name))
        grant = _call(repository, "an installation token", lambda: app.get_access_token(installation.id))
        token = grant.token
        return cls(repository, token, api_url=api_url)

    @classmethod
    def app_from_environment(cls, app_id: str, key_env: str, *, repository: str | None = None,
                             environ: Mapping[str, str] | None = None) -> GitHubApi:
        env = environ if environ is not None else os.environ
        repository = _repository(env, repository)
        key = env.get(key_env, "")
        if not key.strip():
            raise UsageError(f"{key_env} is not set: it must hold the GitHub App's private key (PEM)",
                             hint="store it as a secret of the protected approvals environment")
        return cls.as_app(repository, app_id, key, api_url=env.get("GITHUB_API_URL") or DEFAULT_API_URL)

    def pull(self, number: int) -> PullFacts:
        def read() -> PullFacts:  # the client is lazy: attributes fetch, so read them all in here
            pull = self._repo.get_pull(number)
            return PullFacts(number=pull.number, state=pull.state, merged=bool(pull.merged),
                             author=Account(pull.user.login, pull.user.id), head_sha=pull.head.sha,
                             head_ref=pull.head.ref, base_ref=pull.base.ref, base_sha=pull.base.sha,
                             html_url=pull.html_url)
        return self._call(f"pull request #{number}", read)

    def reviews(self, number: int) -> list[ReviewFacts]:
        """Every review of pull request ``number``, oldest first (all pages)."""
        def read() -> list[ReviewFacts]:
            return [ReviewFacts(id=r.id, reviewer=Account(r.user.login, r.user.id) if r.user else None,
                                state=r.state, commit_id=r.commit_id, body=r.body or "", html_url=r.html_url)
                    for r in self._repo.get_pull(number).get_reviews()]
        return self._call(f"the reviews of pull request #{number}", read)

    def pulls_of_commit(self, sha: str) -> list[int]:
        """The open pull requests whose head is ``sha`` (a fork's PR included)."""
        def read() -> list[int]:
            return [p.number for p in self._repo.get_commit(sha).get_pulls()
                    if p.state == "open" and p.head.sha == sha]
        return self._call(f"the pull requests of commit {sha[:12]}", read)

    def set_status(self, sha: str, *, state: str, context: str, description: str,
                   target_url: str | None = None) -> None:
        if state not in STATUS_STATES:
            raise ValueError(f"status state {state!r} is not one of {STATUS_STATES}")
        text = description if len(description) <= MAX_DESCRIPTION else description[:MAX_DESCRIPTION - 1] + "…"
        self._call(f"the {context} status of {sha[:12]}", lambda: self._repo.get_commit(sha).create_status(
            state=state, description=text, context=context,
            **({"target_url": target_url} if target_url else {})))

    def statuses(self, sha: str) -> list[StatusFacts]:
        def read() -> list[StatusFacts]:
            return [StatusFacts(s.context, s.state, s.description, s.target_url)
                    for s in self._repo.get_commit(sha).get_statuses()]
        return self._call(f"the statuses of {sha[:12]}", read)

    def upload_sarif(self, sha: str, ref: str, sarif: str) -> str:
        """Send a SARIF log to code scanning for ``sha`` on ``ref``; GitHub's id for the upload."""
        import base64
        import gzip

        body = {"commit_sha": sha, "ref": ref, "tool_name": "clinigate",
                "sarif": base64.b64encode(gzip.compress(sarif.encode())).decode()}
        url = f"{self._repo.url}/code-scanning/sarifs"
        _, data = self._call(f"a code scanning upload for {sha[:12]}",
                             lambda: self._repo.requester.requestJsonAndCheck("POST", url, input=body))
        return str(data.get("id", "")) if isinstance(data, dict) else ""

    def _call(self, what: str, action: Callable[[], _T]) -> _T:
        return _call(self.repository, what, action)


def _repository(env: Mapping[str, str], repository: str | None) -> str:
    """``--repository`` wins over the runner's ``GITHUB_REPOSITORY``; one of them must name it."""
    repository = repository or env.get("GITHUB_REPOSITORY")
    if not repository:
        raise UsageError("which repository? GITHUB_REPOSITORY is not set",
                         hint="pass --repository OWNER/NAME (GitHub Actions sets it)")
    return repository


def _call(repository: str, what: str, action: Callable[[], _T]) -> _T:
    """``action()``; GitHub's refusals and network failures as :class:`GitHubUnavailable`."""
    from github import GithubException
    from requests import RequestException

    try:
        return action()
    except GithubException as exc:
        message = exc.data.get("message") if isinstance(exc.data, dict) else None
        raise GitHubUnavailable(f"GitHub refused to give {what} of {repository}: HTTP {exc.status} "
                                f"{message or ''}".rstrip(),
                                hint=_HINTS.get(exc.status, "check the repository and the token's "
                                                "permissions")) from None
    except RequestException as exc:
        raise GitHubUnavailable(f"cannot reach the GitHub API for {what}: {type(exc).__name__}",
                                hint="check GITHUB_API_URL and the network") from None


_HINTS = {401: "the token is missing, expired or wrong", 403: "the token lacks a permission "
          "(pull-requests: read, statuses: write) or hit a rate limit",
          404: "no such repository or pull request, or the token cannot see it (is the App installed?)"}
