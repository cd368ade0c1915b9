"""``clinigate github`` (``record-reviews``, ``gate-status``): the approval workflow's commands."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .options import emit, repo_option, resolve_repo
from .signing import keyless_options

if TYPE_CHECKING:
    from ..github.workflow_run import PullTarget

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
    from ..github.run_log import REVIEWS_RENDERERS
    from ..github.workflow_run import record_pull_reviews

    target = _trusted_target(pull_request, branch, remote, repository, token_env)
    for result in record_pull_reviews(root=resolve_repo(repo), environ=os.environ, target=target,
                                      trust_config=trust_config, identity_token=identity_token):
        emit(REVIEWS_RENDERERS, "text", result)


@github.command("gate-status")
@_run_options
@click.option("--app-key-env", default=None, metavar="VAR",
              help="Post as the GitHub App trust.yaml names (sigstore.ci.status_app_id), whose PEM "
                   "private key VAR holds; the ruleset accepts clinigate/gate from that App alone. "
                   "Without it the status is posted with the API token (not enough on its own: "
                   "any workflow's GITHUB_TOKEN can post a status).")
@click.option("--record", is_flag=True,
              help="Also sign the evaluation of each changed version with this workflow's keyless "
                   "identity and keep it on refs/heads/clinigate/evaluations (the failure record, "
                   "B-13); `ledger push` publishes it.")
@keyless_options
def gate_status(pull_request: int | None, branch: str, remote: str, repository: str | None, token_env: str,
                repo: Path | None, app_key_env: str | None, record: bool, trust_config: Path | None,
                identity_token: str | None) -> None:
    """Decide the pull request's head with the default branch's rules; post it as clinigate/gate.

    success when every document passes its gates and has its required approvals, pending while
    approvals are missing, failure when a gate fails. The ledger must be fetched first
    (`clinigate ledger fetch`). The rulesets (.github/rulesets/main.json) require this status.
    With --record, each evaluation is signed as the gate's record: a failed acceptance criterion
    stays on record after the pull request changes, and a later retry of the modification must
    cite it in change.root_cause.

    \b
    Exit codes: 0 posted (whatever the state) · 2 not the default branch's approval workflow,
    or bad input · 3 GitHub or Git unreachable.
    """
    from ..github.run_log import GATE_RENDERERS
    from ..github.workflow_run import post_gate_statuses

    target = _trusted_target(pull_request, branch, remote, repository, token_env)
    root = resolve_repo(repo)
    for result in post_gate_statuses(root=root, environ=os.environ, target=target, app_key_env=app_key_env):
        emit(GATE_RENDERERS, "text", result)
        decision = getattr(getattr(result, "posted", None), "decision", None)
        if record and decision is not None:
            _record_evaluation(root, decision, result.number, trust_config, identity_token)  # type: ignore[union-attr]


def _record_evaluation(root: Path, decision: Any, number: int, trust_config: Path | None,
                       identity_token: str | None) -> None:
    from ..approvals.signers import keyless_signer
    from ..gate.evaluation import EVALUATIONS_REF, record_evaluations
    from ..gitrepo import Git

    git = Git(root)
    signer = keyless_signer(git, trust_config, identity_token)
    for written in record_evaluations(git, signer, decision, number):
        click.echo(f"recorded: {written.predicate.document} {written.predicate.decision} as evaluation "
                   f"{written.record} on {EVALUATIONS_REF}")


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
    from ..github.run_log import SCAN_RENDERERS
    from ..github.workflow_run import upload_code_scanning

    target = _trusted_target(pull_request, branch, remote, repository, token_env)
    for result in upload_code_scanning(root=resolve_repo(repo), environ=os.environ, target=target):
        emit(SCAN_RENDERERS, "text", result)


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
    from ..github.review_check import check_review_lines
    from ..github.run_log import REVIEW_LINES_RENDERERS

    lines = check_review_lines(event_path=event_path)
    emit(REVIEW_LINES_RENDERERS, fmt, lines)
    if lines.problems:
        raise SystemExit(1)


def _trusted_target(pull_request: int | None, branch: str, remote: str, repository: str | None,
            token_env: str) -> PullTarget:
    """The run's options; the trusted-run check first, before anything (even the repository) is read."""
    from ..github.trigger import require_trusted_run
    from ..github.workflow_run import PullTarget

    require_trusted_run(os.environ, branch)
    return PullTarget(pull_request, branch, remote, repository, token_env)
