"""``clinigate ledger`` (``fetch``, ``push``, ``list``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .options import repo_option, resolve_repo

if TYPE_CHECKING:
    from ..approvals.ledger import Ledger

remote_option = click.option("--remote", default="origin", show_default=True,
                             help="The Git remote whose ledger to fetch from or push to.")


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
    Exit codes: 0 ok · 1 the remote ledger was rewritten (or deleted) since this clone last
    saw it, or the local one is not append-only · 2 usage · 3 remote unreachable or refusing.
    """


def _open(repo: Path | None) -> Ledger:
    from ..approvals.ledger import Ledger
    from ..gitrepo import Git

    return Ledger(Git(resolve_repo(repo)))


def _short(commit: str | None) -> str:
    return commit[:12] if commit else "(empty)"


@ledger.command("fetch")
@remote_option
@repo_option
def ledger_fetch(remote: str, repo: Path | None) -> None:
    """Fetch REMOTE's ledger and fast-forward (or replay onto it) the local one.

    Entries only this clone holds are kept and pushed next. Fails (exit 1) when the remote
    history no longer contains what this clone saw there before: someone rewrote the ledger.
    """
    result = _open(repo).fetch(remote)
    if result.remote_tip is None:
        click.echo(f"{remote} has no ledger yet; local ledger at {_short(result.local_tip)}")
        return
    replayed = f", {result.replayed} local commits replayed on top" if result.replayed else ""
    click.echo(f"fetched {remote}: ledger at {_short(result.remote_tip)}, "
               f"local at {_short(result.local_tip)}{replayed}")


@ledger.command("push")
@remote_option
@repo_option
@click.option("--retries", type=click.IntRange(min=0), default=8, show_default=True,
              help="How many times to fetch, replay and push again when another clone pushed first.")
def ledger_push(remote: str, repo: Path | None, retries: int) -> None:
    """Publish local ledger entries to REMOTE as a fast-forward (never a force push)."""
    result = _open(repo).push(remote, retries=retries)
    if not result.pushed:
        click.echo(f"{remote} is up to date: ledger at {_short(result.tip)}")
        return
    click.echo(f"pushed the ledger to {remote}: now at {_short(result.tip)}")


@ledger.command("list")
@repo_option
@click.option("--model", default=None, help="Only this model's entries (its folder under models/).")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True,
              help="text: one line per entry; json: a list of objects with the bundle text.")
def ledger_list(repo: Path | None, model: str | None, fmt: str) -> None:
    """List the acts on the local ledger (run `ledger fetch` first for the remote's).

    Each act is shown with its act id. Files on the ledger that are not readable acts are
    not listed as entries; the text format names them after the list (`verify` reports them).
    """
    reading = _open(repo).read(model=model)
    entries = reading.entries
    if fmt == "json":
        click.echo(json.dumps([{"path": e.path, "document": e.document_path, "model": e.model, "key": e.key,
                                "document_sha256": e.document_sha256, "act_id": e.act_id,
                                "commit": e.commit, "committed_at": e.committed_at.isoformat(),
                                "bundle": e.text} for e in entries], indent=2))
        return
    for e in sorted(entries, key=lambda e: (e.committed_at, e.path)):
        click.echo(f"{e.committed_at.isoformat()}  {e.document_path}  sha256:{e.document_sha256[:12]}  "
                   f"act {e.act_id}  ({_short(e.commit)})")
    for problem in reading.problems:
        click.echo(f"not an entry: [{problem.rule}] {problem.message}")
    unreadable = f", {len(reading.problems)} files that are not acts" if reading.problems else ""
    click.echo(f"{len(entries)} entries{unreadable}")
