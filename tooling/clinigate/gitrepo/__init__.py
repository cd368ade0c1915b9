"""The one module that talks to Git (through the git CLI, with a clean environment)."""

from .git import Git, find_repo_root

__all__ = ["Git", "find_repo_root"]
