"""Semantic versions (semver.org 2.0.0): the pattern and precedence, without pydantic.

Kept apart from ``values`` so that the audit's light path (events, cached answers) can order
versions without importing the document models.
"""

from __future__ import annotations

import re
from functools import total_ordering

# semver.org 2.0.0 regular expression, verbatim.
SEMVER_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


@total_ordering
class SemverKey:
    """Orders semver strings by semver precedence rules (build metadata ignored)."""

    def __init__(self, text: str) -> None:
        match = SEMVER_RE.match(text)
        if match is None:
            raise ValueError(f"not a semantic version: {text!r}")
        self.core = tuple(int(part) for part in match.group(1, 2, 3))
        pre = match.group(4)
        self.pre: tuple[tuple[int, int | str], ...] | None = (
            tuple((0, int(p)) if p.isdigit() else (1, p) for p in pre.split(".")) if pre else None
        )

    def _key(self) -> tuple[object, ...]:
        # A release sorts after all of its pre-releases.
        return (self.core, self.pre is None, self.pre or ())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SemverKey) and self._key() == other._key()

    def __lt__(self, other: SemverKey) -> bool:
        return self._key() < other._key()

    def __hash__(self) -> int:
        return hash(self._key())


def next_minor(version: str) -> str:
    """The next minor release after ``version`` (1.3.2 -> 1.4.0): what a new data update is called."""
    major, minor, _ = SemverKey(version).core
    return f"{major}.{minor + 1}.0"
