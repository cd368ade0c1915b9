"""``clinigate audit report | card | release-notes``: the documents reviewers and auditors read."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .options import repo_option, resolve_repo

if TYPE_CHECKING:
    from ..dossier.document import Format
    from ..dossier.render import Kind

_FORMAT = click.option("--format", "fmt", type=click.Choice(("html", "pdf", "md")), default="html",
                       show_default=True, help="html (charts inline), pdf (printed by headless Chromium) or "
                                               "md (Markdown; the charts are in html and pdf only).")
_OUT = click.option("-o", "--output", "output", type=click.Path(dir_okay=False, path_type=Path), default=None,
                    help="Write to FILE (never over an existing file unless --force); default: standard "
                         "output for html and md.")
_FORCE = click.option("--force", is_flag=True, help="Replace FILE if it exists.")
_REV = click.option("--rev", default=None, help="Report as of this commit of the branch (default: its tip).")
_BRANCH = click.option("--branch", default="main", show_default=True, envvar="CLINIGATE_DEPLOYMENT_BRANCH",
                       help="The deployment branch whose history holds the version.")


def _options(command: Any) -> Any:
    for option in reversed((_FORMAT, _OUT, _FORCE, _BRANCH, _REV, repo_option)):
        command = option(command)
    return click.argument("model")(click.argument("version")(command))


@click.command("report")
@_options
def report(**kwargs: Any) -> None:
    """The audit report of MODEL VERSION: identity and intended use; the CHAI model card
    sections; the 31 ONC HTI-1 source attributes, each with the field that answers it or "not
    recorded"; training data and demographics (table and chart); validation overall and by
    subgroup (table and forest plot); the PCCP class, status, regulatory action and each
    acceptance criterion against the measured value, production and the authorised baseline;
    the approval chain (printed name, role, meaning, trusted or claimed time, reason, valid or
    why not); deployment history; monitoring plan; limitations; the digests and commit it was
    built from.

    \b
    Examples:
      clinigate audit report sepsis-ews 1.2.1 --format pdf -o sepsis-ews-1.2.1.pdf
      clinigate audit report sepsis-ews 1.2.1 --format md > report.md

    Exit codes: 0 written · 2 usage (unknown version, FILE exists) · 3 Chromium missing (pdf).
    """
    _write("report", **kwargs)


@click.command("card")
@_options
def card(**kwargs: Any) -> None:
    """The model card of MODEL VERSION alone (CHAI Applied Model Card sections) with the HTI-1
    attribute sheet, limitations and provenance.

    Exit codes: 0 written · 2 usage · 3 Chromium missing (pdf).
    """
    _write("card", **kwargs)


@click.command("release-notes")
@_options
def release_notes(**kwargs: Any) -> None:
    """What changed in MODEL VERSION against its parent and against production: metrics
    overall and per subgroup, features, training data, known issues, and the version history.

    Exit codes: 0 written · 2 usage · 3 Chromium missing (pdf).
    """
    _write("release-notes", **kwargs)


def register(audit: click.Group) -> None:
    for command in (report, card, release_notes):
        audit.add_command(command)


def _write(kind: Kind, *, model: str, version: str, fmt: Format, output: Path | None, force: bool,
           branch: str, rev: str | None, repo: Path | None) -> None:
    from ..dossier.document import version_document
    from ..errors import UsageError

    if output is not None and output.exists() and not force:
        raise UsageError(f"{output} exists; a report never replaces a file unless --force is given")
    if output is None and fmt == "pdf" and sys.stdout.isatty():
        raise UsageError("a PDF is not written to a terminal: give -o FILE")
    data = version_document(root=resolve_repo(repo), model=model, version=version, kind=kind, fmt=fmt,
                            branch=branch, rev=rev)
    if output is None:
        sys.stdout.buffer.write(data)
        return
    partial = output.with_name(f".{output.name}.partial")
    partial.write_bytes(data)
    partial.replace(output)
    click.echo(f"wrote {output} ({fmt}, {len(data) // 1024 or 1} KB): {kind} of {model} {version}", err=True)
