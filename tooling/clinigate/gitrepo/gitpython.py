"""GitPython, imported here only, and only once git is known to be on PATH: its import runs
``git version`` and fails without one (what the user is told is :func:`require_git`'s message).
Nothing imports this module before a Git object is first asked something (:mod:`.session`)."""

from .environment import require_git

require_git()

import git  # noqa: E402
from git.db import GitCmdObjectDB  # noqa: E402
from git.objects.fun import tree_entries_from_data  # noqa: E402
from gitdb.base import IStream  # type: ignore[import-untyped]  # noqa: E402  # GitPython's own dependency

__all__ = ["GitCmdObjectDB", "IStream", "git", "tree_entries_from_data"]
