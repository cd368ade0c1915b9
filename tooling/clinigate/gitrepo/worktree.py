"""The index and the work tree as ``validate``'s answer cache keys them, without GitPython.

``validate`` runs on every commit (the pre-commit hook) and answers in a fraction of a second,
so it does not pay GitPython's import (~0.08 s). Nothing here reads a Git object: these calls
list the index, compare it with the work tree and hash work-tree files. They inherit the
environment as git's own hooks see it (a pre-commit hook's ``GIT_INDEX_FILE`` is the index
being committed) and take no optional lock (``GIT_OPTIONAL_LOCKS=0``: a commit in progress
holds the index lock). Any failure, git missing included, is None: the cache is then skipped.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path


def _git(root: Path, *args: str, data: bytes | None = None) -> bytes | None:
    try:
        done = subprocess.run(["git", *args], cwd=root, input=data, capture_output=True, check=False,
                              env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"})
    except OSError:
        return None
    return done.stdout if done.returncode == 0 else None


def git_dir_at_top(root: Path) -> Path | None:
    """The Git directory of the work tree whose top folder is ``root`` (None: not such a top)."""
    found = _git(root, "rev-parse", "--path-format=absolute", "--git-dir", "--show-toplevel")
    if found is None:
        return None
    git_dir, top = found.decode().splitlines()[:2]
    return Path(git_dir) if Path(top).resolve() == root.resolve() else None


def index_entries(root: Path, folders: Sequence[str]) -> dict[str, tuple[str, str]] | None:
    """Path -> (mode, blob id) of the index entries under ``folders``."""
    listed = _git(root, "ls-files", "-s", "-z", "--", *folders)
    if listed is None:
        return None
    entries: dict[str, tuple[str, str]] = {}
    for record in listed.split(b"\0"):
        if record:
            meta, _, path = record.partition(b"\t")
            mode, blob, _stage = meta.split()
            entries[path.decode()] = (mode.decode(), blob.decode())
    return entries


def changed_paths(root: Path, folders: Sequence[str]) -> set[str]:
    """Paths under ``folders`` whose work-tree file differs from the index (empty on failure)."""
    output = _git(root, "diff-files", "--name-only", "-z", "--", *folders)
    return {p.decode() for p in (output or b"").split(b"\0") if p}


def hash_files(root: Path, paths: Sequence[str]) -> list[str] | None:
    """The blob ids of work-tree files, in order, without writing them (filters not applied)."""
    hashed = _git(root, "hash-object", "--no-filters", "--stdin-paths", data="\n".join(paths).encode())
    return None if hashed is None else hashed.decode().split()
