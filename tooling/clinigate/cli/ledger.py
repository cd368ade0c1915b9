"""``clinigate ledger`` (``fetch``, ``push``, ``list``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from .options import emit, repo_option, resolve_repo

if TYPE_CHECKING:
    from ..approvals.ledger import Ledger

remote_option = click.option("--remote", default="origin", show_default=True,
                             help="The Git remote whose ledger to fetch from or push to.")
token_env_option = click.option(
    "--token-env", metavar="VAR", default=None,
    help="Authenticate over HTTPS with the token held by the environment variable VAR (its name, "
         "never the token itself), sent as actions/checkout sends it and only to the remote's host. "
         "Use --token-env GITHUB_TOKEN for a private repository in GitHub Actions, where the "
         "checkout does not keep its credentials (persist-credentials: false).")
ssh_key_env_option = click.option(
    "--ssh-key-env", metavar="VAR", default=None,
    help="Authenticate over SSH with the private key held by the environment variable VAR (its "
         "name, never the key): a deploy key, the only actor the ledger's ruleset lets update the "
         "ledger and create its head tags. An https:// remote is contacted at git@HOST:OWNER/REPO.git. "
         "The approval workflow's push uses --ssh-key-env CLINIGATE_LEDGER_DEPLOY_KEY. "
         "Excludes --token-env.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def ledger() -> None:
    """Move the approval ledger between this clone and a remote.

    Every signed approval (a Sigstore bundle, one file per act) is kept in this repository
    on its own branch, refs/heads/clinigate/ledger, at
    <model>/<version or _deployment|_pccp|_model>/<document sha256>/<act id>.sigstore.json,
    where the act id is the sha256 of the signed statement (what `approve --revokes` takes).
    The branch never touches your PR branch, index or work tree, and it only ever grows:
    `clinigate approve` adds to it, `check` and `verify` read it.

    \b
    fetch  bring the remote's ledger in and merge it with yours (a union of files)
    push   publish your new entries (fast-forward only; retried when others pushed first)
    list   show the entries this clone holds

    \b
    Authentication: by default git's own credentials (credential helper, ssh agent). In
    GitHub Actions, where checkouts do not keep credentials:
      private repository, fetch:   ledger fetch --token-env GITHUB_TOKEN
      the approval workflow's push: ledger push --ssh-key-env CLINIGATE_LEDGER_DEPLOY_KEY
    Each option takes the name of an environment variable, never the secret itself; the
    secret reaches git through its environment only (not argv, not .git/config).

    \b
    Exit codes: 0 ok · 1 the remote ledger was rewritten (or deleted) since this clone last
    saw it, or the local one is not append-only · 2 usage (also: the named variable is unset
    or empty) · 3 remote unreachable or refusing (also: the credentials were refused).
    """


def _open(repo: Path | None, *, token_env: str | None = None, ssh_key_env: str | None = None) -> Ledger:
    from ..approvals.ledger import Ledger
    from ..gitrepo import Git
    from ..gitrepo.auth import RemoteAuth

    auth = RemoteAuth.from_environment(token_var=token_env, ssh_key_var=ssh_key_env)
    return Ledger(Git(resolve_repo(repo)), auth=auth)


@ledger.command("fetch")
@remote_option
@repo_option
@token_env_option
def ledger_fetch(remote: str, repo: Path | None, token_env: str | None) -> None:
    """Fetch REMOTE's ledger and fast-forward (or replay onto it) the local one.

    Entries only this clone holds are kept and pushed next. Fails (exit 1) when the remote
    history no longer contains what this clone saw there before: someone rewrote the ledger.

    In GitHub Actions, a private repository needs --token-env GITHUB_TOKEN.
    """
    from ..report.approvals import FETCH_RENDERERS

    emit(FETCH_RENDERERS, "text", _open(repo, token_env=token_env).fetch(remote))


@ledger.command("push")
@remote_option
@repo_option
@click.option("--retries", type=click.IntRange(min=0), default=8, show_default=True,
              help="How many times to fetch, replay and push again when another clone pushed first.")
@token_env_option
@ssh_key_env_option
def ledger_push(remote: str, repo: Path | None, retries: int, token_env: str | None,
                ssh_key_env: str | None) -> None:
    """Publish local ledger entries to REMOTE as a fast-forward (never a force push).

    The approval workflow pushes with its deploy key (--ssh-key-env CLINIGATE_LEDGER_DEPLOY_KEY):
    the ledger's ruleset lets only that key update the ledger and create its head tags, so a
    push with GITHUB_TOKEN is refused there. --token-env suits a repository without that rule.
    """
    from ..report.approvals import PUSH_RENDERERS

    ledger = _open(repo, token_env=token_env, ssh_key_env=ssh_key_env)
    emit(PUSH_RENDERERS, "text", ledger.push(remote, retries=retries))


@ledger.command("list")
@repo_option
@click.option("--model", default=None, help="Only this model's entries (its folder under models/).")
@click.option("--rev", default=None,
              help="The revision whose trust.yaml, roles.yaml and documents judge each act "
                   "(default: the default branch, origin/HEAD or else main).")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True,
              help="text: each act with its signer, times and validity; json: a list of objects with the "
                   "bundle text and the same judgement.")
def ledger_list(repo: Path | None, model: str | None, rev: str | None, fmt: str) -> None:
    """List the acts of the local ledger (run `ledger fetch` first for the remote's).

    For each act: the document, decision, role and the signer's printed name, the trusted time
    (Sigstore log or RFC 3161) and the signer's claimed time, and whether it is valid as judged
    with the trust and roles of --rev (an act on a document not at --rev is listed, not judged).
    Exit 0 whatever the validity: `clinigate verify` is the check.
    """
    from ..approvals.command import list_acts
    from ..report.approvals import LEDGER_RENDERERS
    from ..report.text import finding_line

    listing = list_acts(root=resolve_repo(repo), rev=rev, model=model)
    emit(LEDGER_RENDERERS, fmt, listing)
    if fmt == "json":  # the JSON is a list of entries (kept so): trust problems go to stderr
        for f in listing.trust_problems:
            click.echo(f"warning: {finding_line(f, severity=False)}", err=True)
