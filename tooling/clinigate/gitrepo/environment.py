"""The environment every git process of the Git layer gets (no GitPython: cheap to import)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Sequence

from ..errors import EnvironmentProblem, GitError

# Set in every git process: never prompt (a CI job would hang), untranslated messages.
FIXED = {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}


def inherited_git_names(kept: Iterable[str]) -> list[str]:
    """The ``GIT_*`` variables of this process that a git process must not inherit: all but
    ``kept`` (the ones the Git layer sets itself). An inherited GIT_DIR / GIT_INDEX_FILE (e.g.
    from a pre-commit hook) would point git elsewhere."""
    own = set(kept)
    return sorted(name for name in os.environ if name.startswith("GIT_") and name not in own)


def require_git() -> str:
    exe = shutil.which("git")
    if exe is None:
        raise EnvironmentProblem("git is not installed or not on PATH")
    return exe


def failure(args: Sequence[str], status: object, output: bytes | str) -> GitError:
    """The error of a git call that failed: the command, its exit status and what it printed."""
    text = output.decode(errors="replace") if isinstance(output, bytes) else output
    return GitError(f"git {' '.join(args)} failed (exit {status}): {text.strip()}")
