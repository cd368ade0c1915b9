"""``clinigate schema``."""

from __future__ import annotations

from pathlib import Path

import click

from .options import emit, repo_option, resolve_repo


@click.command()
@repo_option
@click.option("--check", "check_only", is_flag=True,
              help="Write nothing; exit 1 if any schema in schemas/ is missing or stale.")
def schema(repo: Path | None, check_only: bool) -> None:
    """Generate the JSON Schemas in schemas/ from the document models.

    Editors validate as you type through the `# yaml-language-server: $schema=…` line at the
    top of each manifest; CI runs `clinigate schema --check` so the files never go stale.
    """
    from ..manifest import schema_export as generator
    from ..report.generated import GENERATED_RENDERERS

    outcome = generator.generate(resolve_repo(repo), check_only=check_only)
    emit(GENERATED_RENDERERS, "text", outcome)
    raise SystemExit(1 if outcome.stale else 0)
