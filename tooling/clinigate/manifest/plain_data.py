"""What a parsed document may hold: JSON-safe numbers and text that reads as it is stored (DESIGN §3).

    >>> [p.rule for p in problems({"hyperparameters": {"gamma": float("nan")}})]
    ['yaml.non-finite']
    >>> problems({"site": "North\\u202e"})[0].message.split(",")[0]
    'text contains U+202E RIGHT-TO-LEFT OVERRIDE'

YAML can spell values that JSON cannot carry (``.nan``, ``.inf``, a 5,000-digit integer): they
would pass the schema and then break the policy input, the signed digests or the reports far
from the file. Unicode can make two different strings look the same (a zero-width space, NFC
versus NFD) or display in another order than stored (bidi controls, "Trojan Source",
CVE-2021-42574), so a reviewer would approve what they did not read. Each is refused where it
is written, before the schema sees the document.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .messages import field_path

# I-JSON (RFC 7493 §2.2): integers beyond ±(2**53 − 1) are not exact in IEEE 754 doubles, so
# Rego engines, browsers and JSON tools may round them; huge ones break int-to-str (4,300 digits).
MAX_SAFE_INTEGER = 2**53 - 1

INVISIBLE = frozenset({0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF})
BIDI_CONTROLS = frozenset({*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C})
_SUSPECT = frozenset(chr(c) for c in INVISIBLE | BIDI_CONTROLS)

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class ValueProblem:
    rule: str
    message: str
    loc: Loc  # the value's (or key's) path, for the locator
    field: str  # the same path, printable: suspect characters shown as <U+XXXX>


def problems(data: Any, text: str | None = None) -> list[ValueProblem]:
    """Every value or key of ``data`` that a clinigate document must not hold.

    ``text``, the YAML ``data`` was parsed from, lets the common case run fast: plain ASCII
    without a backslash escape cannot hold a suspect character or two NFC-equal keys, so only
    the numbers are scanned, without building paths, and paths are built once one is wrong.
    """
    if text is not None and text.isascii() and "\\" not in text and _numbers_are_plain(data):
        return []
    return list(_walk(data, ()))


def _numbers_are_plain(data: Any) -> bool:
    """No NaN, no Infinity, no unsafe integer among the values (keys that are numbers are left to the
    schema, whose keys are all text). Runs on every file: kept to a flat loop over containers."""
    if type(data) not in (dict, list):
        return not any(_number(data, ()))
    stack = [data]
    while stack:
        container = stack.pop()
        for value in container.values() if type(container) is dict else container:
            kind = type(value)
            if kind is str:
                continue
            if kind is dict or kind is list:
                stack.append(value)
            elif kind is float:
                if not math.isfinite(value):
                    return False
            elif kind is int and not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
                return False
    return True


def _walk(value: Any, loc: Loc) -> Iterator[ValueProblem]:
    if isinstance(value, dict):
        yield from _keys(value, loc)
        for key, item in value.items():
            yield from _walk(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, (*loc, index))
    elif isinstance(value, str):
        yield from _text(value, loc, "text")
    else:
        yield from _number(value, loc)


def _number(value: Any, loc: Loc) -> Iterator[ValueProblem]:
    if isinstance(value, bool):
        return
    if isinstance(value, int) and not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        yield _problem("yaml.integer-range", loc, _integer_message(value))
    elif isinstance(value, float) and not math.isfinite(value):
        yield _problem("yaml.non-finite", loc, _non_finite_message(value))


def _keys(mapping: dict[Any, Any], loc: Loc) -> Iterator[ValueProblem]:
    seen: dict[str, str] = {}  # NFC form -> the key first spelled so
    for key in mapping:
        if not isinstance(key, str):
            continue
        yield from _text(key, (*loc, key), "field name")
        normal = unicodedata.normalize("NFC", key)
        first = seen.setdefault(normal, key)
        if first != key:
            yield _problem(
                "yaml.nfc-duplicate-key", (*loc, key),
                f"keys '{shown(first)}' and '{shown(key)}' are the same text after Unicode NFC "
                "normalisation: they look identical but would be two different fields; spell the key once")


def _text(text: str, loc: Loc, what: str) -> Iterator[ValueProblem]:
    if _SUSPECT.isdisjoint(text):
        return
    found = sorted({ord(c) for c in text if c in _SUSPECT})
    invisible = [c for c in found if c in INVISIBLE]
    bidi = [c for c in found if c in BIDI_CONTROLS]
    if invisible:
        yield _problem(
            "yaml.invisible-character", loc,
            f"{what} contains {_names(invisible)}, an invisible character: it makes names that look "
            "the same differ; delete it")
    if bidi:
        yield _problem(
            "yaml.bidi-control", loc,
            f"{what} contains {_names(bidi)}, a bidirectional control character: it can make text "
            "display in another order than it is stored (Trojan Source); delete it")


def _names(code_points: list[int]) -> str:
    return " and ".join(f"U+{c:04X} {unicodedata.name(chr(c), 'UNNAMED')}" for c in code_points)


def _non_finite_message(value: float) -> str:
    if math.isnan(value):
        return ("NaN (.nan) is not a number JSON can hold, and every comparison with it is false, so a "
                "gate would silently pass or fail; write a finite number")
    sign = "-" if value < 0 else ""
    return (f"{sign}Infinity (.inf, or a literal beyond about 1.8e308) is not a number JSON can hold; "
            "write a finite number")


def _integer_message(value: int) -> str:
    what = f"integer {value}" if abs(value) < 10**30 else f"a {_digits(value):,}-digit integer"
    return (f"{what} is outside the JSON-safe range |n| < 2**53 (9,007,199,254,740,992): JSON tools "
            "and policy engines would round or refuse it")


def _digits(value: int) -> int:
    """Decimal digits of ``value`` without converting it to text (refused beyond 4,300 digits)."""
    magnitude = abs(value)
    digits = max(1, int(magnitude.bit_length() * math.log10(2)))
    while 10**digits <= magnitude:
        digits += 1
    while digits > 1 and 10 ** (digits - 1) > magnitude:
        digits -= 1
    return digits


def shown(text: str) -> str:
    """``text`` with every character outside printable ASCII written as <U+XXXX> (NFC twins differ)."""
    return "".join(c if " " <= c <= "~" else f"<U+{ord(c):04X}>" for c in text)


def printable(text: str) -> str:
    """``text`` with the characters that hide or reorder text written as <U+XXXX>."""
    return "".join(f"<U+{ord(c):04X}>" if _hides(c) else c for c in text)


def _hides(c: str) -> bool:
    return c in _SUSPECT or unicodedata.combining(c) != 0 or (unicodedata.category(c)[0] in "CZ" and c != " ")


def _problem(rule: str, loc: Loc, message: str) -> ValueProblem:
    steps = tuple(printable(s) if isinstance(s, str) and not s.isascii() else s for s in loc)
    return ValueProblem(rule, message, loc, field_path(steps))
