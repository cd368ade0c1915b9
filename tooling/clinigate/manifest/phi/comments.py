"""YAML comments: text in the file that no parsed value holds, so only the raw lines show it.

A ``#`` opens a comment when it starts a line or follows a blank, outside every scalar: in
``summary: 'Patient #4'`` or in a block scalar it is text. PyYAML's scanner knows where each
scalar starts and ends, so what lies outside its tokens after such a ``#`` is the comment.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import yaml

try:  # the C scanner; the pure-Python one gives the same marks
    from yaml import CSafeLoader as _Scanner
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Scanner  # type: ignore[assignment]


@dataclass(frozen=True)
class Comment:
    line: int  # 1-based
    column: int  # 1-based, of the '#'
    text: str  # after the '#'


def candidates(lines: list[str]) -> Iterator[Comment]:
    """From each line, the text after its first ``#`` that could open a comment (a superset)."""
    for number, line in enumerate(lines, 1):
        column = _first_hash(line, 0)
        if column >= 0:
            yield Comment(number, column + 1, line[column + 1:])


def comments(text: str, lines: list[str]) -> list[Comment]:
    """The real comments of a document that parsed: ``#`` outside every token of the scanner."""
    covered: dict[int, list[tuple[int, int]]] = {}
    try:
        for token in yaml.scan(text, Loader=_Scanner):
            start, end = token.start_mark, token.end_mark
            for row in range(start.line, end.line + 1):
                first = start.column if row == start.line else 0
                last = end.column if row == end.line else len(lines[row]) if row < len(lines) else 0
                covered.setdefault(row, []).append((first, last))
    except yaml.YAMLError:  # the strict parser accepted it; keep every candidate rather than none
        return list(candidates(lines))
    found = []
    for index, line in enumerate(lines):
        column = _first_hash(line, 0)
        while column >= 0 and any(a <= column < b for a, b in covered.get(index, ())):
            column = _first_hash(line, column + 1)
        if column >= 0:
            found.append(Comment(index + 1, column + 1, line[column + 1:]))
    return found


def _first_hash(line: str, start: int) -> int:
    column = line.find("#", start)
    while column > 0 and not line[column - 1].isspace():
        column = line.find("#", column + 1)
    return column
