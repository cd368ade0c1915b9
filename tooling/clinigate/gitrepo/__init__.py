"""The one module that talks to Git (through the git CLI, with a clean environment)."""

from .git import Change, Git, find_repo_root

__all__ = ["Change", "Git", "find_repo_root"]
