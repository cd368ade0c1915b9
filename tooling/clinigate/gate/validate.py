"""``validate`` as the CLI runs it: strict reading of the registry's files, trust.yaml's files
included, answered from the cache when nothing under the registry changed.

    report = validate_paths(root=root)                                  # the whole registry
    report = validate_paths(root=root, paths=[Path("models/a/model.yaml")])

It sits above ``approvals/`` because trust.yaml's check of the files it names (certificates,
trusted roots) lives there and is passed down into ``manifest.validate`` (which must not import
it). Imports are deferred: a cache hit never loads the document models (~0.2 s).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..findings import Report

DEFAULT_MAX_BYTES = 256 * 1024


def validate_paths(*, root: Path, paths: Sequence[Path] = (), max_bytes: int = DEFAULT_MAX_BYTES,
                   jobs: int | None = None, cached: bool = True) -> Report:
    """The findings on ``paths`` (files or folders inside ``root``), or on the whole registry when
    none is given; only a whole-registry answer is kept and reused (``cached``, unless
    ``CLINIGATE_NO_VALIDATE_CACHE=1``)."""
    if paths:
        return _judge(root, list(paths), max_bytes, jobs)
    from ..manifest import validate_cache

    enabled = cached and os.environ.get(validate_cache.DISABLE_ENV) != "1"
    folder = validate_cache.cache_folder(root) if enabled else None
    key = validate_cache.state_key(root, f"max_bytes={max_bytes}") if folder else None
    report = validate_cache.load(folder, key) if folder and key else None
    if report is None:
        report = _judge(root, None, max_bytes, jobs)
        if folder and key:
            validate_cache.store(folder, key, report)
    return report


def _judge(root: Path, paths: list[Path] | None, max_bytes: int, jobs: int | None) -> Report:
    from ..approvals.trust_files import worktree_findings
    from ..manifest.strict_yaml import Limits
    from ..manifest.validate import validate_registry

    return validate_registry(root, paths, limits=Limits(max_bytes=max_bytes), jobs=jobs,
                             trust_files=worktree_findings)
