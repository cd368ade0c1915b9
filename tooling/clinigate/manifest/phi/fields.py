"""Which parsed text is scanned for which identifiers: string and integer values, and keys.

A key is read together with its value (``mrn: 12345678``, ``date_of_birth: 1961-04-12``), so
a label written as a key counts like a label written in a sentence. Fields that hold
identifiers by design are let off only the kinds they are meant to hold.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .identifiers import DIGIT_SHAPES, EMAIL, NAME

FieldPath = tuple[str | int, ...]

# Machine identifiers whose schema allows nothing but their own shape (digests, commit ids,
# GitHub logins and ids, the document header): nothing in them is scanned.
_MACHINE_IDS = frozenset({"sha256", "environment_sha256", "run_id", "code_commit", "github",
                          "github_id", "apiVersion", "kind"})
# Counts, seeds, version numbers and URIs are digits by design: only labelled identifiers count.
_DIGITS_BY_DESIGN = frozenset({"size", "n", "random_seed", "version", "uri"})
# Where the schema keeps staff e-mail addresses (roles.yaml people, a model's developer contact).
EMAIL_FIELDS = frozenset({"email", "contact"})


class Place(StrEnum):
    VALUE = "value"
    KEY = "key"
    COMMENT = "comment"


@dataclass(frozen=True)
class Leaf:
    """Text to scan: ``key: value``, a value alone (a list item) or a key alone (of a mapping,
    a list or a number)."""

    path: FieldPath
    key: str  # "" for a list item; "date of birth: " before a value
    value: str  # "" for a key alone
    allowed: frozenset[str]  # kinds the value may hold


def leaves(data: Any) -> Iterator[Leaf]:
    stack: list[tuple[FieldPath, Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            for key, child in value.items():
                stack.append(((*path, str(key)), child))
                if not _is_scalar(child):
                    yield Leaf((*path, str(key)), _key_text(key), "", frozenset())
        elif isinstance(value, list):
            stack.extend(((*path, i), v) for i, v in enumerate(value))
        elif _is_scalar(value):
            leaf = _scalar_leaf(path, value)
            if leaf is not None:
                yield leaf


# An identifier has at most a few dozen digits; the loader refuses integers beyond 2**53 on its
# own (plain_data.py), and str() of one with more than 4,300 digits raises.
_MAX_SCANNED_INT = 10 ** 40


def _is_scalar(value: Any) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) < _MAX_SCANNED_INT
    return isinstance(value, str)


def _scalar_leaf(path: FieldPath, value: str | int) -> Leaf | None:
    name = path[-1] if path else None
    if name in _MACHINE_IDS:
        return None
    allowed = _allowed(path)
    key = _key_text(name) + ": " if isinstance(name, str) else ""
    return Leaf(path, key, str(value), allowed)


def _allowed(path: FieldPath) -> frozenset[str]:
    name = path[-1] if path else None
    allowed: set[str] = set()
    if name in _DIGITS_BY_DESIGN:
        allowed |= DIGIT_SHAPES
    if name in EMAIL_FIELDS:
        allowed.add(EMAIL)
    if len(path) == 3 and path[0] == "people" and name == "name":  # roles.yaml: printed names
        allowed.add(NAME)
    return frozenset(allowed)


def _key_text(key: Any) -> str:
    """``date_of_birth`` reads as ``date of birth``."""
    return str(key).replace("_", " ")
