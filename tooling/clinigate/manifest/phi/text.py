"""Fold the ways of writing an identifier that a pattern would not see into one plain form.

Full-width digits (``１２３``), other scripts' digits (``١٢٣``), a full-width ``＠``, a zero-width
space or a bidi control inside a date, combining marks over digits: each reads like the plain
identifier to a person, so the scan must read it that way too. The folded text is only scanned,
never shown, and keeps every line break, so a hit's line number is the line in the file.
"""

from __future__ import annotations

import functools
import unicodedata

# Format characters (zero-width space and joiners, bidi controls, soft hyphen, word joiner,
# tag characters, ...) and combining marks disappear; decimal digits of any script become ASCII.
_DROPPED = frozenset({"Cf", "Mn", "Me"})


def fold(text: str) -> str:
    """NFKC-compatible folding: compatibility forms decomposed, invisible characters removed."""
    if text.isascii():  # nearly every manifest: nothing to fold
        return text
    return "".join(_fold_char(c) for c in unicodedata.normalize("NFKD", text))


@functools.lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    if char.isascii() or char in "\n\r":
        return char
    category = unicodedata.category(char)
    if category in _DROPPED:
        return ""
    if category == "Nd":
        return str(unicodedata.digit(char))
    if category == "Zs":  # no-break, thin, ideographic ... spaces
        return " "
    return char
