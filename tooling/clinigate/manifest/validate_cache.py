"""The answer of a whole-registry ``validate``, kept for a registry whose files have not changed.

Validation reads every YAML file under models/, roles.yaml and trust.yaml, and cross-checks them
against each other and the file system, so the answer is kept for the **whole set**: the key is
a digest of clinigate's own code (a new version never trusts an old answer), the validation
limits, and every file under ``models/`` and ``policies/`` by path, mode and Git blob id. Blob ids
come from the index for files Git reports unchanged (its stat cache makes that cheap), and are
hashed for the rest (edited, untracked); a symbolic link is keyed by its target. Any change,
addition or removal is a new key: everything is judged again.

Answers live in ``.git/clinigate/validate/`` (the newest ``KEEP``); a file that does not parse
is ignored and rewritten. ``--no-cache`` or ``CLINIGATE_NO_VALIDATE_CACHE=1`` skips it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

from .. import layout
from ..findings import Finding, Report, Severity
from ..gitrepo import worktree

FORMAT = 1
KEEP = 4
DISABLE_ENV = "CLINIGATE_NO_VALIDATE_CACHE"
_FOLDERS = (layout.MODELS_DIR, layout.POLICIES_DIR)


def cache_folder(root: Path) -> Path | None:
    """``.git/clinigate/validate`` of the repository at ``root``, or None outside a Git work tree."""
    git_dir = worktree.git_dir_at_top(root)  # only the registry at the work tree's top
    return None if git_dir is None else git_dir / "clinigate" / "validate"


def _files(root: Path) -> Iterable[tuple[str, bool]]:
    """(path, is a symbolic link) of every file under the folders; scandir's entry types need no
    stat per file, which on 10,000 manifests is most of the cost."""
    stack = [f for f in _FOLDERS if (root / f).is_dir()]
    while stack:
        folder = stack.pop()
        with os.scandir(root / folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                path = f"{folder}/{entry.name}"
                if entry.is_dir(follow_symlinks=False):
                    stack.append(path)
                else:
                    yield path, entry.is_symlink()


def state_key(root: Path, salt: str) -> str | None:
    """The digest of the registry's files as validate would read them, or None (no Git)."""
    from .._internal.code import package_digest

    index = worktree.index_entries(root, _FOLDERS)
    if index is None:
        return None
    changed = worktree.changed_paths(root, _FOLDERS)
    digest = hashlib.sha256(f"{FORMAT}\0{package_digest('validate')}\0{salt}\0".encode())
    to_hash: list[str] = []
    for path, link in sorted(_files(root)):
        if link:
            digest.update(f"{path}\0link\0{os.readlink(root / path)}\0".encode())
        elif path in index and path not in changed:
            mode, blob = index[path]
            digest.update(f"{path}\0{mode}\0{blob}\0".encode())
        else:
            to_hash.append(path)
    if to_hash:
        hashed = worktree.hash_files(root, to_hash)
        if hashed is None:
            return None
        for path, blob in zip(to_hash, hashed, strict=True):
            digest.update(f"{path}\0new\0{blob}\0".encode())
    return digest.hexdigest()[:32]


def load(folder: Path, key: str) -> Report | None:
    try:
        data = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
        findings = [Finding(f["path"], f["line"], f["column"], f["rule"], f["message"], f["field"],
                            Severity(f["severity"])) for f in data["findings"]]
        return Report(files=list(data["files"]), findings=findings)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # absent, torn or from another format: judge again


def store(folder: Path, key: str, report: Report) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{key}.partial"
        partial.write_text(json.dumps({"files": report.files,
                                       "findings": [_finding(f) for f in report.findings]}), encoding="utf-8")
        partial.replace(folder / f"{key}.json")
        kept = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in kept[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass  # a clone that cannot keep answers still gets them


def _finding(finding: Finding) -> dict[str, object]:
    return {"path": finding.path, "line": finding.line, "column": finding.column, "rule": finding.rule,
            "message": finding.message, "field": finding.field, "severity": finding.severity.value}
