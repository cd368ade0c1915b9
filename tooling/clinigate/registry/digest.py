"""The artifact digest: the algorithm every manifest's ``artifact.sha256`` must use."""

from __future__ import annotations

import hashlib
from pathlib import Path

_CHUNK = 1 << 20


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def artifact_digest(folder: Path) -> str:
    """SHA-256 over a model's complete artifact folder (the inference package).

    Algorithm (stable, documented, what ``artifact.sha256`` in a ModelVersion manifest means):

    1. list every regular file below ``folder``, recursively (symbolic links are followed
       as files; empty folders contribute nothing);
    2. name each by its path relative to ``folder`` in POSIX form (``/`` separators), UTF-8;
    3. sort those names by their UTF-8 bytes;
    4. for each file, feed ``relative_path_bytes + b"\\0" + sha256_hex_of_content + b"\\n"``
       (hex in lower case, ASCII) into one SHA-256;
    5. the result is that SHA-256 in lower-case hex.

    Renaming, adding or removing a file changes the digest, as does any byte of content.
    """
    files = [p for p in folder.rglob("*") if p.is_file()]
    named = sorted((p.relative_to(folder).as_posix().encode("utf-8"), p) for p in files)
    total = hashlib.sha256()
    for name, path in named:
        total.update(name + b"\0" + _file_sha256(path).encode("ascii") + b"\n")
    return total.hexdigest()
