"""The terminal: rich tables and progress bars for a person watching, plain text for everyone else.

rich is imported only once a terminal is known to be there, so ``--help``, pipes and CI never
load it (tests/cli/test_cli.py holds ``--help`` to that).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import RenderableType

PROGRESS_FROM = 50  # items of work still to judge before a progress bar is worth showing


def interactive() -> bool:
    """Standard output is a terminal (not a pipe, a file or a CI log)."""
    return sys.stdout.isatty()


def show(renderable: RenderableType) -> None:
    """Print a rich renderable on standard output (no markup or highlighting of the data)."""
    from rich.console import Console

    Console(highlight=False).print(renderable)


def progress(items: Sequence[Any], label: str) -> Iterable[Any]:
    """A progress bar on a terminal for long work (rich, on stderr; gone when done)."""
    if len(items) < PROGRESS_FROM or not sys.stderr.isatty():
        return items
    from rich.console import Console
    from rich.progress import track

    return track(items, description=label, console=Console(stderr=True), transient=True)
