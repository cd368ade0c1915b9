"""Rego tokens for ``policy lint``: a small lexer that drops comments and keeps strings whole.

    >>> [t.text for t in tokenize('x := "a # b" # c')]              # doctest: +SKIP
    ['x', ':=', '"a # b"']

Parsing Rego is left to the engines; the lint and :mod:`.rego_outline` read token
neighbourhoods, with 1-based lines and columns for their findings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Token:
    kind: str  # ident number string template op open close newline
    text: str
    line: int
    col: int


class LexError(Exception):
    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(message)
        self.message, self.line, self.col = message, line, col


_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATORS = (":=", "==", "!=", "<=", ">=", "<", ">", "=", "|", "&", "+", "-", "*", "/", "%",
              ".", ",", ";", ":")
_OPEN, _CLOSE = "([{", ")]}"


def tokenize(source: str) -> Iterator[Token]:
    """Rego tokens with 1-based line and column; comments dropped, strings kept as one token."""
    i, line, line_start, n = 0, 1, 0, len(source)
    while i < n:
        c, col = source[i], i - line_start + 1
        if c == "\n":
            yield Token("newline", c, line, col)
            i, line, line_start = i + 1, line + 1, i + 1
        elif c in " \t\r\f":
            i += 1
        elif c == "#":
            end = source.find("\n", i)
            i = n if end < 0 else end
        else:
            kind, end = _token_end(source, i, line, col)
            text = source[i:end]
            yield Token(kind, text, line, col)
            if "\n" in text:  # raw and template strings may span lines
                line, line_start = line + text.count("\n"), i + text.rfind("\n") + 1
            i = end


def _token_end(source: str, i: int, line: int, col: int) -> tuple[str, int]:
    """The kind of the token starting at ``i`` and the index just past it."""
    c = source[i]
    if c == '"':
        return "string", _string_end(source, i + 1, line, col)
    if c == "`":
        end = source.find("`", i + 1)
        if end < 0:
            raise LexError("raw string is never closed", line, col)
        return "string", end + 1
    if c == "$" and source[i + 1:i + 2] in ('"', "`"):
        return "template", _template_end(source, i + 1, line, col)
    for kind, pattern in (("number", _NUMBER), ("ident", _IDENT)):
        match = pattern.match(source, i)
        if match:
            return kind, match.end()
    if c in _OPEN or c in _CLOSE:
        return ("open" if c in _OPEN else "close"), i + 1
    op = next((o for o in _OPERATORS if source.startswith(o, i)), None)
    if op is None:
        raise LexError(f"unexpected character {c!r}", line, col)
    return "op", i + len(op)


def _string_end(source: str, i: int, line: int, col: int) -> int:
    """Index just past the closing quote of a "..." string starting before ``i``."""
    while i < len(source):
        c = source[i]
        if c == "\\":
            i += 2
        elif c == '"':
            return i + 1
        elif c == "\n":
            break
        else:
            i += 1
    raise LexError("string is never closed on its line", line, col)


def _template_end(source: str, i: int, line: int, col: int) -> int:
    """Index just past a $"..." or $`...` template string, whose {expressions} may hold strings."""
    quote, depth, i = source[i], 0, i + 1
    while i < len(source):
        c = source[i]
        if c == "\\" and quote == '"':
            i += 2
            continue
        if depth and c == '"':
            i = _string_end(source, i + 1, line, col)
            continue
        if c == "{":
            depth += 1
        elif c == "}" and depth:
            depth -= 1
        elif c == quote and not depth:
            return i + 1
        i += 1
    raise LexError("template string is never closed", line, col)
