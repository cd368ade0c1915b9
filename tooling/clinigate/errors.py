"""One error hierarchy; the CLI maps each class to an exit code in one place (DESIGN §9)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .findings import Finding


class ClinigateError(Exception):
    """Base class. ``hint`` tells the user what to do next; ``findings`` say where (file, line, rule)."""

    exit_code = 3

    def __init__(self, message: str, *, hint: str | None = None, findings: Sequence[Finding] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.findings = tuple(findings)


class UsageError(ClinigateError):
    """The command line asks for something impossible (exit 2)."""

    exit_code = 2


class EnvironmentProblem(ClinigateError):
    """Something outside the input is missing or broken: no git, not a repo (exit 3)."""

    exit_code = 3


class GitError(EnvironmentProblem):
    """A git command failed; the message shows the command and its output."""
