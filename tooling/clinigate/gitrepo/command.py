"""GitPython's git runner with clinigate's environment, and the repository opened on it.

Every git process of the Git layer starts here (imported only on first use: ``import git``
costs ~0.08 s that ``--help`` and ``validate`` never pay). GitPython builds each process's
environment from ``os.environ``; an inherited ``GIT_DIR`` or ``GIT_INDEX_FILE`` (a hook's)
would point git at another repository or index, and GitPython can add variables but not
remove them. So a process that would inherit ``GIT_*`` variables is started through
``env -u NAME …``: removed in the child only, while this process keeps its own environment
(mutating ``os.environ`` would race with other threads).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import EnvironmentProblem, GitError
from .environment import FIXED, failure, inherited_git_names
from .gitpython import GitCmdObjectDB, git


class CleanCommand(git.Git):
    """``git.Git`` whose processes run in ``root`` with ``GIT_TERMINAL_PROMPT=0``, ``LC_ALL=C``
    and no inherited ``GIT_*`` variable (only the ones a call passes itself)."""

    __slots__ = ()

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.update_environment(**FIXED)

    def execute(self, command: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if not os.path.isdir(str(self.working_dir)):  # GitPython would run git in the cwd instead
            raise GitError(f"git cannot run in {self.working_dir}: no such folder")
        if isinstance(command, (list, tuple)):
            command = [*_unset_inherited(self.environment(), kwargs.get("env")), *command]
        return super().execute(command, **kwargs)


def _unset_inherited(own: Mapping[str, str], passed: Mapping[str, str] | None) -> list[str]:
    drop = inherited_git_names([*own, *(passed or {})])
    if not drop:
        return []
    env = shutil.which("env")
    if env is None:
        raise EnvironmentProblem("env(1) is not on PATH: git cannot be started without the inherited "
                                 f"variables {', '.join(drop)}", hint="unset them, or put coreutils on PATH")
    return [env, *(arg for name in drop for arg in ("-u", name)), "--"]


def run(command: git.Git, args: Sequence[str], *, data: bytes | None = None,
        env: Mapping[str, str] | None = None) -> tuple[int, bytes, bytes]:
    """One git process: (exit status, stdout, stderr); ``data`` is its standard input."""
    process = command.execute([str(command.GIT_PYTHON_GIT_EXECUTABLE), *args], as_process=True,
                              istream=subprocess.PIPE, env=dict(env) if env else None)
    proc = process.proc
    assert proc is not None  # None only once the process has been reaped
    out, err = proc.communicate(data)
    return proc.returncode, out, err


def command_failure(args: Sequence[str], exc: git.GitCommandError) -> GitError:
    """A :class:`GitError` worded like :func:`failure` for a call GitPython made and refused."""
    return failure(args, exc.status, printed(exc))


def printed(exc: git.GitCommandError) -> str:
    """What the git process GitPython ran printed: its stderr, else its stdout."""
    return _unquoted(exc.stderr, "stderr") or _unquoted(exc.stdout, "stdout")


def _unquoted(text: str, label: str) -> str:
    """What GitPython's error holds as ``\n  stderr: '<text>'``, as git printed it."""
    text = text.strip()
    head = f"{label}: '"
    return text[len(head):-1] if text.startswith(head) and text.endswith("'") else text


def open_command(root: Path) -> CleanCommand:
    return CleanCommand(root)


def open_repo(root: Path, command: CleanCommand) -> git.Repo:
    """The repository at ``root`` on ``command``, its objects read by git (``GitCmdObjectDB``).

    ``Repo()`` itself reads ``GIT_WORK_TREE``, ``GIT_COMMON_DIR`` and ``GIT_OBJECT_DIRECTORY``
    from ``os.environ``; its own runner and object database are replaced by ones on ``command``,
    so that what git is asked never depends on them. GitPython's pure-Python ``GitDB`` is not
    used: it is deprecated, and it read 10,000 blobs ~8x slower (notes in benchmarks/README.md).
    """
    try:
        repo = git.Repo(root, odbt=GitCmdObjectDB, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise GitError(f"{root} is not inside a Git repository ({type(exc).__name__})") from exc
    objects = repo.odb.root_path()
    repo.git = command
    repo.odb = GitCmdObjectDB(objects, command)
    return repo
