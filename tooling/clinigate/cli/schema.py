"""``clinigate schema``."""

from __future__ import annotations

from pathlib import Path

import click

from .. import layout
from .options import repo_option, resolve_repo


@click.command()
@repo_option
@click.option("--check", "check_only", is_flag=True,
              help="Write nothing; exit 1 if any schema in schemas/ is missing or stale.")
def schema(repo: Path | None, check_only: bool) -> None:
    """Generate the JSON Schemas in schemas/ from the document models.

    Editors validate as you type through the `# yaml-language-server: $schema=…` line at the
    top of each manifest; CI runs `clinigate schema --check` so the files never go stale.
    """
    from ..manifest import schema_export

    folder = resolve_repo(repo) / layout.SCHEMAS_DIR
    if not check_only:
        for path in schema_export.write(folder):
            click.echo(f"wrote {path}")
        return
    problems = [s for s in schema_export.check(folder) if s.state != "fresh"]
    for status in problems:
        click.echo(f"{status.path}: {status.state}; run `clinigate schema` and commit the result")
    if problems:
        raise SystemExit(1)
    click.echo(f"ok: {len(schema_export.SCHEMA_FILES)} schemas are up to date")
