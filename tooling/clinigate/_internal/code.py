"""A digest of the installed clinigate package: a cache keyed by it never outlives the code."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path


@cache
def package_digest(salt: str) -> str:
    """sha256 over every file of the package (paths and bytes) and ``salt`` (a cache's format)."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(salt.encode())
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]
