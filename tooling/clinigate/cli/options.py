"""Options shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..gitrepo import find_repo_root

FC = TypeVar("FC", bound=Callable[..., Any])

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
