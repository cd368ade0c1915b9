"""What the approval workflow's commands do, one call each, one result per pull request.

    for result in record_pull_reviews(root=root, environ=os.environ, target=PullTarget(branch="main")):
        ...   # NoPullRequest, or one pull request's ReviewsRecorded, as each is done

Each call first refuses to run anywhere but the default branch's workflow (github/trigger.py),
then works on the pull request the options or the event name, judged by the default branch's
rules. Results are yielded as each pull request is done, so what one did is shown even when
the next fails.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..registry.branch import branch_tip

if TYPE_CHECKING:
    from ..gitrepo import Git
    from ..gitrepo.auth import RemoteAuth
    from .api import GitHubApi, PullFacts
    from .record import RecordRun
    from .status import PostedStatus


@dataclass(frozen=True)
class PullTarget:
    """The pull request (default: the event's), the default branch, and how GitHub is reached."""

    pull_request: int | None = None
    branch: str = "main"
    remote: str = "origin"
    repository: str | None = None
    token_env: str = "GITHUB_TOKEN"


@dataclass(frozen=True)
class NoPullRequest:
    """The event points at no open pull request: nothing to do."""


@dataclass(frozen=True)
class ReviewsRecorded:
    number: int
    run: RecordRun
    branch: str  # the default branch whose rules judged


@dataclass(frozen=True)
class GateStatusPosted:
    number: int
    posted: PostedStatus


@dataclass(frozen=True)
class FindingsUploaded:
    number: int
    pull: PullFacts
    count: int
    upload: str | None


def record_pull_reviews(*, root: Path, environ: Mapping[str, str], target: PullTarget,
                        trust_config: Path | None = None,
                        identity_token: str | None = None) -> Iterator[NoPullRequest | ReviewsRecorded]:
    """Sign each pull request's countable clinigate reviews (keylessly) into the local ledger."""
    from ..approvals.signers import keyless_signer
    from .record import record_reviews

    git, api, numbers = _prepare(root, environ, target)
    if not numbers:
        yield NoPullRequest()
    rules_rev = branch_tip(git, target.branch)
    for number in numbers:
        run = record_reviews(git, api, number, rules_rev=rules_rev, remote=target.remote,
                             auth=_fetch_auth(environ, target.token_env),
                             signer=lambda: keyless_signer(git, trust_config, identity_token))
        yield ReviewsRecorded(number, run, target.branch)


def post_gate_statuses(*, root: Path, environ: Mapping[str, str], target: PullTarget,
                       app_key_env: str | None = None) -> Iterator[NoPullRequest | GateStatusPosted]:
    """Decide each pull request's head by the default branch's rules and post it as clinigate/gate
    (as trust.yaml's status App with ``app_key_env``, else with the API token)."""
    from .status import post_gate_status

    git, api, numbers = _prepare(root, environ, target)
    if not numbers:
        yield NoPullRequest()
    rules_rev = branch_tip(git, target.branch)
    if app_key_env:
        api = _app_api(git, rules_rev, app_key_env, target.repository, environ)
    run_url = _run_url(environ)
    for number in numbers:
        posted = post_gate_status(git, api, number, rules_rev=rules_rev, remote=target.remote,
                                  target_url=run_url, auth=_fetch_auth(environ, target.token_env))
        yield GateStatusPosted(number, posted)


def upload_code_scanning(*, root: Path, environ: Mapping[str, str],
                         target: PullTarget) -> Iterator[NoPullRequest | FindingsUploaded]:
    """Send the gate's findings on each pull request's head to code scanning (SARIF)."""
    from .status import upload_findings

    git, api, numbers = _prepare(root, environ, target)
    if not numbers:
        yield NoPullRequest()
    rules_rev = branch_tip(git, target.branch)
    for number in numbers:
        pull, count, upload = upload_findings(git, api, number, rules_rev=rules_rev, remote=target.remote,
                                              auth=_fetch_auth(environ, target.token_env))
        yield FindingsUploaded(number, pull, count, upload)


def _prepare(root: Path, environ: Mapping[str, str],
             target: PullTarget) -> tuple[Git, GitHubApi, list[int]]:
    from ..gitrepo import Git
    from ..run_event import read_event
    from .api import GitHubApi
    from .trigger import pull_numbers, require_trusted_run

    require_trusted_run(environ, target.branch)
    git = Git(root)
    api = GitHubApi.from_environment(environ, repository=target.repository, token_env=target.token_env)
    numbers = ([target.pull_request] if target.pull_request
               else pull_numbers(read_event(environ.get("GITHUB_EVENT_PATH")), api))
    return git, api, numbers


def _app_api(git: Git, rules_rev: str, key_env: str, repository: str | None,
             environ: Mapping[str, str]) -> GitHubApi:
    from ..approvals.review import load_trust
    from ..errors import UsageError
    from .api import GitHubApi

    ci = load_trust(git, rules_rev).sigstore.ci
    if ci is None or ci.status_app_id is None:
        raise UsageError("trust.yaml on the default branch names no status App (sigstore.ci.status_app_id)",
                         hint="add the App's numeric id, or post with the token (no --app-key-env)")
    return GitHubApi.app_from_environment(ci.status_app_id, key_env, repository=repository, environ=environ)


def _fetch_auth(environ: Mapping[str, str], token_env: str) -> RemoteAuth | None:
    """The API token also fetches the head over HTTPS (the workflow's checkout keeps no credentials)."""
    from ..gitrepo.auth import RemoteAuth

    return RemoteAuth(token=environ[token_env]) if environ.get(token_env) else None


def _run_url(environ: Mapping[str, str]) -> str | None:
    env = environ
    if all(env.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")):
        return f"{env['GITHUB_SERVER_URL']}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
    return None
