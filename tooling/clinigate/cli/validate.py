"""``clinigate validate``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .options import emit, format_option, repo_option, resolve_repo

if TYPE_CHECKING:
    from ..findings import Report


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@repo_option
@format_option()
@click.option("--max-bytes", type=click.IntRange(1024), default=256 * 1024, show_default=True,
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
    from ..report import RENDERERS

    root = resolve_repo(repo)
    if paths:
        from ..approvals.trust_files import worktree_findings
        from ..manifest.strict_yaml import Limits
        from ..manifest.validate import validate_registry

        report = validate_registry(root, list(paths), limits=Limits(max_bytes=max_bytes), jobs=jobs,
                                   trust_files=worktree_findings)
    else:
        report = _whole_registry(root, max_bytes, jobs, cached=not no_cache)
    emit(RENDERERS, fmt, report)
    raise SystemExit(0 if report.passed else 1)


def _whole_registry(root: Path, max_bytes: int, jobs: int | None, *, cached: bool) -> Report:
    """The whole registry, answered from the cache when no file changed (manifest/validate_cache.py)."""
    from ..manifest import validate_cache

    enabled = cached and os.environ.get(validate_cache.DISABLE_ENV) != "1"
    folder = validate_cache.cache_folder(root) if enabled else None
    key = validate_cache.state_key(root, f"max_bytes={max_bytes}") if folder else None
    report = validate_cache.load(folder, key) if folder and key else None
    if report is None:
        from ..approvals.trust_files import worktree_findings
        from ..manifest.strict_yaml import Limits  # only on a miss: loading the models costs ~0.2 s
        from ..manifest.validate import validate_registry

        report = validate_registry(root, None, limits=Limits(max_bytes=max_bytes), jobs=jobs,
                                   trust_files=worktree_findings)
        if folder and key:
            validate_cache.store(folder, key, report)
    return report
