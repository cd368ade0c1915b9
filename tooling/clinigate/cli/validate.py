"""``clinigate validate``."""

from __future__ import annotations

from pathlib import Path

import click

from .options import emit, format_option, repo_option, resolve_repo


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@repo_option
@format_option()
@click.option("--max-bytes", type=click.IntRange(1024), default=262144, show_default=True,
              help="Refuse files larger than this many bytes.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None,
              help="Worker processes for large registries (default: one per CPU).")
@click.option("--no-cache", "no_cache", is_flag=True,
              help="Judge every file again, ignoring (and not writing) the answer kept under "
                   ".git/clinigate/validate/ for an unchanged registry (also CLINIGATE_NO_VALIDATE_CACHE=1).")
def validate(paths: tuple[Path, ...], repo: Path | None, fmt: str, max_bytes: int,
             jobs: int | None, no_cache: bool) -> None:
    """Check manifests strictly: YAML safety, schema, value ranges and cross-references.

    PATHS are files or folders inside the repository; with none, the whole registry
    (models/ and policies/data/roles.yaml) is checked. Exit 0 when every file is valid,
    1 when any error is found (warnings alone do not fail).

    \b
    Examples:
      clinigate validate
      clinigate validate models/sepsis-ews/versions/1.3.0.yaml
      clinigate validate --format github      # annotations in a GitHub workflow
    """
    from ..gate.validate import validate_paths
    from ..report import RENDERERS

    report = validate_paths(root=resolve_repo(repo), paths=paths, max_bytes=max_bytes, jobs=jobs,
                            cached=not no_cache)
    emit(RENDERERS, fmt, report)
    raise SystemExit(0 if report.passed else 1)
