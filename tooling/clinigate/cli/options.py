"""Options shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..gitrepo import find_repo_root

if TYPE_CHECKING:
    from ..report.protocol import Renderers

FC = TypeVar("FC", bound=Callable[..., Any])
T = TypeVar("T")

FORMATS = ("text", "json", "github", "sarif", "junit")

repo_option = click.option(
    "--repo", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="The registry repository (default: the Git repository enclosing the current folder).",
)


def format_option(choices: tuple[str, ...] = FORMATS) -> Callable[[FC], FC]:
    return click.option(
        "--format", "fmt", type=click.Choice(choices), default="text", show_default=True,
        help="Output format: text for people, json for tools, github for workflow annotations, "
             "sarif for code scanning, junit for CI dashboards.",
    )


def resolve_repo(repo: Path | None) -> Path:
    if repo is not None:
        if not repo.is_dir():
            raise click.UsageError(f"--repo {repo}: no such folder")
        return repo.resolve()
    return find_repo_root(Path.cwd())


def emit(renderers: Renderers[T], fmt: str, result: T) -> None:
    """Print ``result`` as ``fmt`` with its table of renderers: every command's one way out.

    On a terminal, ``text`` is the result's rich rendering when it has one (cli/console.py);
    anywhere else the plain renderer, so pipes and CI read the same bytes as ever. A format the
    result has no renderer for is a usage error (exit 2) that lists the ones it has.
    """
    if fmt not in renderers:
        raise click.UsageError(f"--format {fmt}: {renderers.subject} has no {fmt} output; "
                               f"choose one of: {', '.join(renderers)}")
    if fmt == "text" and renderers.interactive is not None:
        from .console import interactive, show

        if interactive():
            show(renderers.interactive(result))
            return
    click.echo(renderers[fmt](result), nl=False)
