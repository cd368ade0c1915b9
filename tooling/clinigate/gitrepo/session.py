"""The GitPython side of one :class:`~.git.Git`, opened on its first use.

``import git`` (GitPython) costs ~0.08 s and starts a ``git version``: ``--help`` and
``validate`` never ask a Git object anything, so they never open one. The repository's
persistent ``cat-file`` processes answer one question at a time: a lock keeps threads that
share one clone from interleaving them, and they end with the session.
"""

from __future__ import annotations

import threading
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .command import CleanCommand
    from .gitpython import git
    from .objects import TreeEntries

TREES_KEPT = 4096  # parsed trees kept by id (immutable); past that the store starts again


class Session:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.trees: dict[bytes, TreeEntries] = {}
        self._command: CleanCommand | None = None
        self._repo: git.Repo | None = None

    def command(self, root: Path) -> CleanCommand:
        with self.lock:
            if self._command is None:
                from .command import open_command

                self._command = open_command(root)
            return self._command

    def repo(self, root: Path) -> git.Repo:
        with self.lock:
            if self._repo is None:
                from .command import open_repo

                self._repo = open_repo(root, self.command(root))
                # The repository keeps `git cat-file` processes running; end them with the session
                # (or at exit), not whenever the garbage collector reaches the Popen objects.
                weakref.finalize(self, _close, self._repo)
            if len(self.trees) > TREES_KEPT:
                self.trees.clear()
            return self._repo


def _close(repo: git.Repo) -> None:
    repo.close()  # GitPython: clear_cache() terminates and reaps the persistent cat-file processes
