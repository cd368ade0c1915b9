"""``clinigate audit`` (``timeline``, ``at``): the registry's history for auditors."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .ledger import token_env_option
from .options import emit, repo_option, resolve_repo
from .signing import SigningMethod, signing_options

if TYPE_CHECKING:
    from ..audit.answers import Unreadable

AUDIT_FORMATS = ("text", "json", "csv", "markdown")
branch_option = click.option("--branch", default="main", show_default=True,
                             envvar="CLINIGATE_DEPLOYMENT_BRANCH",
                             help="The deployment branch whose first-parent history is audited "
                                  "(origin/BRANCH when it exists).")
rev_option = click.option("--rev", default=None, help="Audit the history up to this commit of the branch "
                                                      "(default: its tip).")
cache_option = click.option("--no-cache", "no_cache", is_flag=True,
                            help="Judge everything from Git again, ignoring (and not writing) the answers "
                                 "this clone keeps under .git/clinigate/audit/ from earlier runs "
                                 "(also CLINIGATE_NO_AUDIT_CACHE=1).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def audit() -> None:
    """Ask the history: what ran where and when, who approved it, on what evidence.

    The history is main's first-parent line (every commit on it came through the gate) folded
    into events, and the approval ledger. Each revision is judged by the rules, trust and roles of
    its own base. Commit times are Git's committer dates: shown as claimed, since anyone can
    write them; a signature's time is trusted only when a Sigstore log or a TSA vouches for it.

    \b
    timeline  every deployment change of a model, per environment, with its evidence
    at        the version in force at a moment, the commit that authorised it, its approvals
    verify    the whole history: nothing edited, nothing unapproved reached production
    checkpoint sign where main and the ledger stand, so a later rewrite is caught
    export    the modifications under a model's PCCP, or every approval for stock verifiers
    report    a version's audit report (HTML, PDF, Markdown) with the subgroup forest plot
    card      its model card and HTI-1 attribute sheet
    release-notes what changed against its parent and production

    \b
    Exit codes: 0 answered · 2 usage (an unknown model, a time without a UTC offset) · 3 Git missing.
    """


@audit.command("timeline")
@click.argument("model")
@click.option("--env", default=None, help="Only this environment (production, staging, shadow).")
@click.option("--format", "fmt", type=click.Choice(AUDIT_FORMATS), default="text", show_default=True,
              help="text for people, json for tools, csv for a spreadsheet, markdown for a report.")
@click.option("--tracking-uri", default=None, metavar="URI",
              help="Also ask this MLflow registry when sync applied each change (the version tags sync "
                   "writes); without it nothing outside the clone is contacted.")
@branch_option
@rev_option
@cache_option
@repo_option
def timeline(model: str, env: str | None, fmt: str, tracking_uri: str | None, branch: str, rev: str | None,
             no_cache: bool, repo: Path | None) -> None:
    """Every deployment change of MODEL: commit time (claimed), commit, pull request, versions per
    environment, change class and PCCP status by that revision's base, approvers (printed name,
    role, meaning, trusted or claimed time) and rationale; rollbacks marked. With --tracking-uri,
    when sync applied it in MLflow (sync's clock; MLflow keeps the last time per version)."""
    from ..audit.answers import deployment_timeline
    from ..report.audit import TIMELINE_RENDERERS

    answer = deployment_timeline(root=resolve_repo(repo), model=model, env=env, branch=branch, rev=rev,
                                 cached=not no_cache, tracking_uri=tracking_uri)
    emit(TIMELINE_RENDERERS, fmt, answer.value)
    _warn_unreadable(answer.unreadable)


@audit.command("at")
@click.argument("model")
@click.argument("moment", metavar="TIME")
@click.option("--env", default="production", show_default=True,
              help="The environment asked about (production, staging, shadow).")
@click.option("--assume-utc", is_flag=True, help="Read a TIME without an offset as UTC.")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True,
              help="text for people, json for tools.")
@branch_option
@rev_option
@cache_option
@repo_option
def at(model: str, moment: str, env: str, assume_utc: bool, fmt: str, branch: str, rev: str | None,
       no_cache: bool, repo: Path | None) -> None:
    """The version of MODEL in force in --env at TIME (ISO 8601 with an offset, e.g.
    2026-03-15T14:00:00+01:00 or …Z): the commit that authorised it, its approvals and its
    validation summary; "none" before the first deployment. A version is in force from its
    commit's time, inclusive.

    \b
    Example:
      clinigate audit at sepsis-ews 2026-03-15T14:00:00Z --env production
    """
    from ..audit.answers import version_in_force
    from ..report.audit import AT_RENDERERS

    when = _moment(moment, assume_utc)
    answer = version_in_force(root=resolve_repo(repo), model=model, env=env, moment=when, branch=branch,
                              rev=rev, cached=not no_cache)
    emit(AT_RENDERERS, fmt, answer.value)
    _warn_unreadable(answer.unreadable)


@audit.command("verify")
@click.option("--since", default=None, metavar="REV",
              help="Only check what landed after REV (a commit of the branch), e.g. the last verified head.")
@click.option("--format", "fmt", type=click.Choice(("text", "json", "github", "sarif", "junit")),
              default="text", show_default=True,
              help="text for people, json for tools, github for annotations, sarif, junit.")
@branch_option
@rev_option
@cache_option
@repo_option
def verify(since: str | None, fmt: str, branch: str, rev: str | None, no_cache: bool,
           repo: Path | None) -> None:
    """Check the whole history: every document loadable where it was committed; merged versions
    never edited or removed later; every version that reached production approved by each role
    the rules of its base required (valid signatures); the approval ledger append-only; every
    signed checkpoint (`audit checkpoint`) still contained in main and the ledger.

    A re-run judges only what is new (commits, documents, a ledger that moved): the rest comes from
    the answers this clone keeps (--no-cache judges it all again). A progress bar shows on a terminal.

    \b
    Exit codes: 0 nothing found · 1 findings (each with its rule, commit and document) · 2 usage.
    """
    from ..audit.answers import check_history
    from ..report.audit_checks import HISTORY_RENDERERS
    from .console import progress

    check = check_history(root=resolve_repo(repo), branch=branch, rev=rev, since=since, cached=not no_cache,
                          progress=progress)
    emit(HISTORY_RENDERERS, fmt, check)
    if check.report.errors:
        raise SystemExit(1)


@audit.command("export")
@click.option("--pccp", "model", default=None, metavar="MODEL",
              help="The model whose modifications under its PCCP to export.")
@click.option("--bundle", "bundle_dir", default=None, metavar="DIR",
              type=click.Path(file_okay=False, path_type=Path),
              help="Write every approval, the bytes it covers and the roots of trust into DIR (new or "
                   "empty), with VERIFY.md: the commands that verify them with stock Sigstore tools.")
@click.option("--model", "bundle_model", default=None, metavar="MODEL",
              help="With --bundle: only this model.")
@click.option("--version", "bundle_version", default=None, metavar="VERSION",
              help="With --bundle: only approvals of this version.")
@click.option("--format", "fmt", type=click.Choice(("csv", "json")), default="csv", show_default=True,
              help="With --pccp: csv for the submission's tables, json for tools.")
@branch_option
@rev_option
@cache_option
@repo_option
def export(model: str | None, bundle_dir: Path | None, bundle_model: str | None, bundle_version: str | None,
           fmt: str, branch: str, rev: str | None, no_cache: bool, repo: Path | None) -> None:
    """Export for a submission or for an auditor without clinigate.

    \b
    --pccp MODEL: the modifications made to MODEL under its PCCP, for the next submission: each
    version merged on main with its merge time (claimed by Git), commit, pull request, modification
    id, declared and computed change class, PCCP status and regulatory action (by the rules of its
    base), valid approvals (printed name, role, meaning, time), and when it first reached production.

    \b
    --bundle DIR: every approval on the ledger (--model/--version narrow it) judged at the branch
    tip (or --rev): each Sigstore bundle byte for byte, the exact document bytes it covers with a
    commit that holds them, trusted_root.json (the hospital CA and TSA) and client_trust_config.json
    (the Sigstore instance), index.json (document → approvals → identity), and VERIFY.md with the
    sigstore-python and sigstore-js commands that check each one, run as written.

    \b
    Examples:
      clinigate audit export --pccp sepsis-ews > modifications.csv
      clinigate audit export --bundle /media/usb/approvals-2026 --model sepsis-ews

    Exit codes: 0 written · 1 the trust at REV cannot form the roots (nothing written) · 2 usage
    (neither or both of --pccp and --bundle, DIR not empty).
    """
    if (model is None) == (bundle_dir is None):
        raise click.UsageError("choose one: --pccp MODEL (modifications) or --bundle DIR (approvals)")
    if bundle_dir is None and (bundle_model or bundle_version):
        raise click.UsageError("--model and --version narrow --bundle")
    if bundle_dir is not None:
        _export_bundle(bundle_dir, bundle_model, bundle_version, branch, rev, repo)
    elif model is not None:
        from ..audit.answers import pccp_modifications
        from ..report.audit import EXPORT_RENDERERS

        emit(EXPORT_RENDERERS, fmt, pccp_modifications(root=resolve_repo(repo), model=model, branch=branch,
                                                       rev=rev, cached=not no_cache))


def _export_bundle(out: Path, model: str | None, version: str | None, branch: str, rev: str | None,
                   repo: Path | None) -> None:
    from ..audit.answers import export_approvals
    from ..report.audit_checks import BUNDLE_RENDERERS

    emit(BUNDLE_RENDERERS, "text", export_approvals(root=resolve_repo(repo), out=out, model=model,
                                                    version=version, branch=branch, rev=rev))


@audit.command("checkpoint")
@signing_options
@click.option("--note", default=None,
              help="A short note kept in the checkpoint (e.g. the job that wrote it).")
@click.option("--push", "push_remote", default=None, metavar="REMOTE",
              help="Fetch REMOTE's checkpoints branch first (the checkpoint goes on top of it), then "
                   "push the branch there (fast-forward only).")
@token_env_option
@click.option("--ssh-key-env", metavar="VAR", default=None,
              help="With --push: authenticate over SSH with the private key held by the environment "
                   "variable VAR (its name, never the key), as `ledger push` does: the deploy key, the "
                   "only actor the checkpoints ruleset lets update the branch. Excludes --token-env.")
@branch_option
@repo_option
def checkpoint(signing: SigningMethod, note: str | None, push_remote: str | None, token_env: str | None,
               ssh_key_env: str | None, branch: str, repo: Path | None) -> None:
    """Sign a record of where the deployment branch and the ledger stand now, and keep it on
    refs/heads/clinigate/checkpoints (append-only; .github/rulesets/checkpoints.json protects it).

    `audit verify` then reports history.rewritten when main or the ledger no longer contains a
    checkpointed commit — a force-push or a rewound ledger — in any clone. Signed by a person in
    roles.yaml (PKI or keyless) or, keylessly, by the approval workflow or a workflow listed in
    trust.yaml's sigstore.ci.checkpoint_workflows; any other signer makes it checkpoint.invalid.

    \b
    In GitHub Actions, .github/workflows/audit.yml writes one daily after `audit verify`, and
    sync.yml after each successful `sync --apply`, both as:
      clinigate audit checkpoint --sigstore --push origin --ssh-key-env CLINIGATE_LEDGER_DEPLOY_KEY

    \b
    Exit codes: 0 written · 2 usage (no signing method; --token-env/--ssh-key-env without --push;
    the named variable unset) · 3 the signing service or the remote unreachable or refusing.
    """
    from ..audit.checkpointing import record_checkpoint
    from ..errors import UsageError
    from ..gitrepo.auth import RemoteAuth
    from ..report.audit_checks import CHECKPOINT_RENDERERS

    if (token_env or ssh_key_env) and not push_remote:
        raise UsageError("--token-env and --ssh-key-env authenticate --push: give --push REMOTE too")
    auth = RemoteAuth.from_environment(token_var=token_env, ssh_key_var=ssh_key_env)  # the options' variables
    outcome = record_checkpoint(root=resolve_repo(repo), signing=signing, branch=branch, note=note,
                                push_remote=push_remote, auth=auth)
    emit(CHECKPOINT_RENDERERS, "text", outcome)
    if outcome.push_failed is not None:
        raise outcome.push_failed


def _warn_unreadable(unreadable: Iterable[Unreadable]) -> None:
    """A desired state that did not load changed nothing (sync refused it too): say where."""
    for u in unreadable:
        click.echo(f"warning: {u.path} {u.why} (commit {u.commit[:12]}); the history above skips it",
                   err=True)


def _moment(text: str, assume_utc: bool) -> datetime:
    from ..errors import UsageError

    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"TIME {text!r} is not an ISO 8601 date and time",
                         hint="e.g. 2026-03-15T14:00:00+01:00 or 2026-03-15T13:00:00Z") from None
    if when.tzinfo is None:
        if not assume_utc:
            raise UsageError(f"TIME {text!r} has no UTC offset: which 14:00 — the hospital's or UTC?",
                             hint=f"add one ({text}Z for UTC, {text}+01:00 for CET) or pass --assume-utc")
        when = when.replace(tzinfo=UTC)
    return when


from .audit_documents import register as _register_documents  # noqa: E402 - the group must exist first

_register_documents(audit)
