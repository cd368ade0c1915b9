"""Which tree entries ``git ls-tree`` pathspecs select: literal paths, as ls-tree takes them.

ls-tree has never expanded wildcards: ``models`` selects ``models`` and everything under it
(not ``models2``), ``models/`` only a folder (a gitlink counts as one), ``a/b/c`` a file or
folder at that path. With ``-t`` the folders leading to a pathspec are listed too. A leading
``:`` (git's pathspec magic) is refused.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence

from ..errors import GitError


class Pathspec:
    NONE, LEADING, MATCH = 0, 1, 2

    def __init__(self, items: Sequence[str] = ()) -> None:
        self.exact: dict[str, bool] = {}  # path -> must be a folder (every item naming it ends in /)
        self.leading: set[str] = set()
        self.everything = not items
        for item in items:
            path, folder_only = _normal(item)
            if path == ".":
                self.everything = True
                continue
            self.exact[path] = self.exact.get(path, True) and folder_only
            parts = path.split("/")
            self.leading.update("/".join(parts[:n]) for n in range(1, len(parts)))

    def judge(self, path: str, folder: bool) -> int:
        """MATCH: listed, and so is everything below; LEADING: a folder on the way to a pathspec."""
        if self.everything:
            return self.MATCH
        if path in self.exact and (folder or not self.exact[path]):
            return self.MATCH
        cut = path.rfind("/")
        while cut > 0:
            if path[:cut] in self.exact:
                return self.MATCH
            cut = path.rfind("/", 0, cut)
        return self.LEADING if folder and path in self.leading else self.NONE


def _normal(item: str) -> tuple[str, bool]:
    if not item:
        raise GitError("an empty string is not a valid pathspec")
    if item.startswith(":"):  # git would read pathspec magic (":(glob)…", ":!…"): never wanted here
        raise GitError(f"the pathspec {item!r} asks for pathspec magic, which is not supported")
    path = posixpath.normpath(item)
    if path == ".." or path.startswith(("../", "/")):
        raise GitError(f"the pathspec {item!r} is outside the repository")
    return path, item.endswith("/")
