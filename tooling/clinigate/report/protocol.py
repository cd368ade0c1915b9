"""One renderer protocol: each result type has one table, format name -> function of the result.

    SYNC_RENDERERS = Renderers("the sync plan", {"text": text, "json": json_format},
                               interactive=tables)
    SYNC_RENDERERS["json"](outcome)    # a str, ready to print
    "sarif" in SYNC_RENDERERS          # False: the CLI refuses it (exit 2) and lists the formats

Every renderer takes the result alone, so a command's output is a function of what its core
call returned (check-jsonschema's reporters, pip-audit's ``_format/``). ``interactive`` is the
text rendering for a person at a terminal: rich tables, built from the same result, used by
``cli.options.emit`` only when standard output is a terminal; pipes, files and CI get the plain
``text`` renderer, byte for byte. rich is imported by the interactive renderers alone, so a
command that is not printing to a terminal never loads it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from rich.console import RenderableType

T = TypeVar("T")


class Renderers(Mapping[str, Callable[[T], str]]):
    """The renderers of one result type, by format name; ``subject`` names the result in errors."""

    def __init__(self, subject: str, formats: Mapping[str, Callable[[T], str]], *,
                 interactive: Callable[[T], RenderableType] | None = None) -> None:
        self.subject = subject
        self._formats = dict(formats)
        self.interactive = interactive

    def __getitem__(self, fmt: str) -> Callable[[T], str]:
        return self._formats[fmt]

    def __iter__(self) -> Iterator[str]:
        return iter(self._formats)

    def __len__(self) -> int:
        return len(self._formats)

    def __repr__(self) -> str:
        return f"Renderers({self.subject!r}, {sorted(self._formats)})"
