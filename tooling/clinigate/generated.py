"""What a generator command did: ``schema``, ``codeowners`` and ``rulesets`` write files the
repository commits, or (``--check``) say which of them are missing or stale.

    outcome = codeowners.generate(root, check=True)
    outcome.stale        # one finding per file to regenerate; empty when all are up to date
"""

from __future__ import annotations

from dataclasses import dataclass

from .findings import Finding


@dataclass(frozen=True)
class Generated:
    """``subject`` names what was generated (".github/CODEOWNERS", "12 schemas") in the ok line."""

    subject: str
    written: tuple[str, ...] = ()  # repository-relative paths, in the order written
    stale: tuple[Finding, ...] = ()
    checked: bool = False  # --check: nothing was written
    plural: bool = False  # the subject reads as several things ("12 schemas are up to date")
