"""Questions about the commit graph, asked on GitPython's runner (git answers them from its
commit-graph file when there is one; GitPython has nothing faster)."""

from __future__ import annotations

from ..errors import GitError
from .command import run
from .gitpython import git


def is_ancestor(repo: git.Repo, ancestor: str, descendant: str) -> bool:
    """``git merge-base --is-ancestor``: exit 1 is False, any other failure raises."""
    status, _, err = run(repo.git, ["merge-base", "--is-ancestor", ancestor, descendant])
    if status > 1:
        raise GitError(f"git merge-base --is-ancestor {ancestor} {descendant} failed: "
                       f"{err.decode(errors='replace').strip()}")
    return status == 0


def merge_base(repo: git.Repo, a: str, b: str) -> str | None:
    """The best common ancestor of two commits (GitPython's ``Repo.merge_base``); None when they
    share no history, or when git cannot answer (a name that is not a commit)."""
    try:
        found = repo.merge_base(a, b)
    except git.GitCommandError:
        return None
    return found[0].hexsha if found and found[0] is not None else None


def ancestors(repo: git.Repo, commit: str) -> frozenset[str]:
    """Every commit ``commit`` descends from, itself included (empty when git cannot say)."""
    status, out, _ = run(repo.git, ["rev-list", commit])
    return frozenset(out.decode().split()) if status == 0 else frozenset()
