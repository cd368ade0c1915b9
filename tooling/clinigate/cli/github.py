"""``clinigate github`` (``record-reviews``, ``gate-status``): the approval workflow's commands."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .options import repo_option, resolve_repo
from .signing import keyless_options, keyless_signer

if TYPE_CHECKING:
    from ..github.api import GitHubApi
    from ..gitrepo import Git
    from ..gitrepo.auth import RemoteAuth

FC = TypeVar("FC", bound=Callable[..., Any])


def _run_options(command: FC) -> FC:
    for option in reversed([
        click.option("--pr", "pull_request", type=click.IntRange(min=1), default=None,
                     help="The pull request (default: the one the event at $GITHUB_EVENT_PATH points at)."),
        click.option("--branch", default="main", show_default=True, envvar="CLINIGATE_DEPLOYMENT_BRANCH",
                     help="The default branch: its rules, roles and trust judge; the run must be on it."),
        click.option("--remote", default="origin", show_default=True,
                     help="The Git remote the pull request's head is fetched from."),
        click.option("--repository", default=None, metavar="OWNER/NAME",
                     help="The GitHub repository (default: $GITHUB_REPOSITORY)."),
        click.option("--token-env", default="GITHUB_TOKEN", show_default=True, metavar="VAR",
                     help="The environment variable holding the API token (never the token itself)."),
        repo_option,
    ]):
        command = option(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def github() -> None:
    """The approval workflow's commands: reviews in the GitHub UI become signed approvals.

    A reviewer approves the pull request in GitHub with a line naming the role:

    \b
        clinigate: approve as clinical_reviewer — subgroup AUCs reviewed, CR-212
        clinigate: reject as quality — release record QR-114 is missing   (Request changes)

    .github/workflows/record-approval.yml runs from the default branch after each review
    (workflow_run) and calls, in order: `ledger fetch`, `github record-reviews` (read the
    reviews from the API, sign each countable one with the workflow's keyless identity,
    append to the ledger), `ledger push` (with the deploy key), `github gate-status` (decide
    the head with the default branch's rules, post the clinigate/gate commit status). The
    pull request turns green after its last required approval, without a new push.

    Both commands refuse to run anywhere but a workflow_run or workflow_dispatch run on the
    default branch (rule record.not_default_branch, exit 2): a pull request's own workflow
    cannot sign or set the gate. Personal signatures (`clinigate approve`) need none of this.
    """


@github.command("record-reviews")
@_run_options
@keyless_options
def record_reviews(pull_request: int | None, branch: str, remote: str, repository: str | None, token_env: str,
                   repo: Path | None, trust_config: Path | None, identity_token: str | None) -> None:
    """Sign the pull request's clinigate reviews and append them to the local ledger.

    Each review is judged by the default branch alone: state Approve (or Request changes for
    'reject as'), on the current head, by a person whose GitHub login and numeric id
    (github_id) roles.yaml on the default branch lists with that role, who neither opened the
    pull request nor wrote a commit that changed the document. The documents signed are those
    the default branch's policies require the role for, read as blobs at the head. Every review
    gets a line saying what became of it and why (its rule). Run `ledger push` next.

    \b
    Exit codes: 0 done (refused reviews are reported, not errors) · 2 not the default branch's
    approval workflow, or bad input · 3 GitHub, Git or the signing service unreachable.
    """
    from ..github.record import record_reviews as record

    git, api, numbers, rules_rev = _prepare(pull_request, branch, repository, token_env, repo)
    for number in numbers:
        run = record(git, api, number, rules_rev=rules_rev, remote=remote, auth=_fetch_auth(token_env),
                     signer=lambda: keyless_signer(git, trust_config, identity_token))
        if run.pull.state != "open":
            click.echo(f"#{number} is {run.pull.state}: nothing recorded")
            continue
        click.echo(f"#{number} at {run.pull.head_sha[:12]}, judged by {branch} at {run.rules_rev[:12]}:")
        for o in run.outcomes:
            what = " ".join(x for x in (o.decision, f"as {o.role}" if o.role else None, o.document) if x)
            click.echo(f"  review {o.review_id} by {o.reviewer}: {o.status}{' ' + what if what else ''} "
                       f"[{o.rule}] {o.message}" + (f" (act {o.act_id})" if o.act_id else ""))
        if not run.outcomes:
            click.echo("  no review carries a 'clinigate: approve as <role> — <reason>' line yet")
        click.echo(f"  {len(run.signed)} act(s) signed" + ("; publish with: clinigate ledger push"
                                                           if run.signed else ""))


@github.command("gate-status")
@_run_options
@click.option("--app-key-env", default=None, metavar="VAR",
              help="Post as the GitHub App trust.yaml names (sigstore.ci.status_app_id), whose PEM "
                   "private key VAR holds; the ruleset accepts clinigate/gate from that App alone. "
                   "Without it the status is posted with the API token (not enough on its own: "
                   "any workflow's GITHUB_TOKEN can post a status).")
def gate_status(pull_request: int | None, branch: str, remote: str, repository: str | None, token_env: str,
                repo: Path | None, app_key_env: str | None) -> None:
    """Decide the pull request's head with the default branch's rules; post it as clinigate/gate.

    success when every document passes its gates and has its required approvals, pending while
    approvals are missing, failure when a gate fails. The ledger must be fetched first
    (`clinigate ledger fetch`). The rulesets (.github/rulesets/main.json) require this status.

    \b
    Exit codes: 0 posted (whatever the state) · 2 not the default branch's approval workflow,
    or bad input · 3 GitHub or Git unreachable.
    """
    from ..github.status import post_gate_status

    git, api, numbers, rules_rev = _prepare(pull_request, branch, repository, token_env, repo)
    if app_key_env:
        api = _app_api(git, rules_rev, app_key_env, repository)
    run_url = _run_url()
    for number in numbers:
        posted = post_gate_status(git, api, number, rules_rev=rules_rev, remote=remote, target_url=run_url,
                                  auth=_fetch_auth(token_env))
        if posted.decision is None:
            click.echo(f"#{number}: {posted.description}")
        else:
            click.echo(f"#{number} at {posted.pull.head_sha[:12]}: clinigate/gate {posted.state}: "
                       f"{posted.description}")


@github.command("code-scanning")
@_run_options
def code_scanning(pull_request: int | None, branch: str, remote: str, repository: str | None, token_env: str,
                  repo: Path | None) -> None:
    """Send the gate's findings on the pull request's head to code scanning (SARIF).

    The same decision as gate-status (the default branch's rules), so the findings show on the
    pull request's Files tab. The token needs security-events: write.

    
    Exit codes: 0 uploaded · 2 not the default branch's approval workflow · 3 GitHub unreachable.
    """
    from ..github.status import upload_findings

    git, api, numbers, rules_rev = _prepare(pull_request, branch, repository, token_env, repo)
    for number in numbers:
        pull, count, upload = upload_findings(git, api, number, rules_rev=rules_rev, remote=remote,
                                              auth=_fetch_auth(token_env))
        click.echo(f"#{number} at {pull.head_sha[:12]}: {count} finding(s) sent to code scanning "
                   f"(upload {upload or '?'})")


@github.command("review-line")
@click.option("--event", "event_path", envvar="GITHUB_EVENT_PATH", default=None, metavar="FILE",
              help="A pull_request_review event payload (default: $GITHUB_EVENT_PATH).")
@click.option("--format", "fmt", type=click.Choice(("text", "github")), default="text", show_default=True,
              help="github: workflow annotations on the run.")
def review_line(event_path: str | None, fmt: str) -> None:
    """Say whether a review's clinigate lines read, before the approval workflow signs them.

    Only reads the line and the review's state; who may sign is decided later, from the
    default branch. Exit codes: 0 every clinigate line reads (or there is none) · 1 a line does
    not read, or contradicts the review's state · 2 no review in the payload.
    """
    from ..errors import UsageError
    from ..github.review_line import REVIEW_STATE, Intent, intents
    from ..run_event import read_event

    review = read_event(event_path).get("review")
    if not isinstance(review, dict):
        raise UsageError("the event holds no review", hint="run on a pull_request_review event")
    state = str(review.get("state") or "").upper()
    problems = 0
    for item in intents(str(review.get("body") or "")):
        if isinstance(item, Intent) and state != REVIEW_STATE[item.decision]:
            text, problems = (f"'{item.decision}' as {item.role}, but the review's state is {state}: "
                              "it will not be signed"), problems + 1
        elif isinstance(item, Intent):
            text = f"reads: {item.decision} as {item.role} — {item.reason}"
        else:
            text, problems = f"[{item.rule}] {item.message}", problems + 1
        ok = isinstance(item, Intent) and state == REVIEW_STATE[item.decision]
        click.echo(f"::{'notice' if ok else 'error'} title=clinigate review line::{text}" if fmt == "github"
                   else text)
    if problems:
        raise SystemExit(1)


def _app_api(git: Git, rules_rev: str, key_env: str, repository: str | None) -> GitHubApi:
    from ..approvals.review import load_trust
    from ..errors import UsageError
    from ..github.api import GitHubApi

    ci = load_trust(git, rules_rev).sigstore.ci
    if ci is None or ci.status_app_id is None:
        raise UsageError("trust.yaml on the default branch names no status App (sigstore.ci.status_app_id)",
                         hint="add the App's numeric id, or post with the token (no --app-key-env)")
    return GitHubApi.app_from_environment(ci.status_app_id, key_env, repository=repository)


def _prepare(pull_request: int | None, branch: str, repository: str | None, token_env: str,
             repo: Path | None) -> tuple[Git, GitHubApi, list[int], str]:
    from ..github.api import GitHubApi
    from ..github.trigger import pull_numbers, require_trusted_run
    from ..gitrepo import Git
    from ..registry.branch import branch_tip
    from ..run_event import read_event

    require_trusted_run(os.environ, branch)
    git = Git(resolve_repo(repo))
    api = GitHubApi.from_environment(repository=repository, token_env=token_env)
    event_path = os.environ.get("GITHUB_EVENT_PATH")
    numbers = [pull_request] if pull_request else pull_numbers(read_event(event_path), api)
    if not numbers:
        click.echo("the event points at no open pull request: nothing to do")
    return git, api, numbers, branch_tip(git, branch)


def _fetch_auth(token_env: str) -> RemoteAuth | None:
    """The API token also fetches the head over HTTPS (the workflow's checkout keeps no credentials)."""
    from ..gitrepo.auth import RemoteAuth

    return RemoteAuth(token=os.environ[token_env]) if os.environ.get(token_env) else None


def _run_url() -> str | None:
    env = os.environ
    if all(env.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")):
        return f"{env['GITHUB_SERVER_URL']}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
    return None
