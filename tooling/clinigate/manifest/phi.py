"""Protected health information never belongs in a manifest (HIPAA minimum necessary; seed 001).

Every string value is scanned for patterns that identify a patient. A hit names the field and
the kind of identifier but never repeats the value: the finding itself must not leak it.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from typing import Any

# Fields that hold identifiers by design (digests, URIs, addresses of known staff).
_EXEMPT_LEAVES = {"sha256", "uri", "run_id", "code_commit", "environment_sha256", "email",
                  "contact", "github", "apiVersion", "kind"}

# ASCII digits only (re.A): the cheap screen below works on ASCII shapes.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a US Social Security number", re.compile(r"\b\d{3}-\d{2}-\d{4}\b", re.A)),
    ("a medical record number",
     re.compile(r"\b(?:MRN|medical record(?: number| no\.?)?)\W{0,3}\d{4,}", re.I | re.A)),
    ("a phone number", re.compile(r"(?<!\d)(?:\+?1[ .-])?\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}(?!\d)", re.A)),
    ("a date of birth", re.compile(r"\b(?:DOB|d\.o\.b\.|date of birth|born(?: on)?)\W{0,3}\d", re.I | re.A)),
    # \b keeps digit runs inside hex digests and ids from matching.
    ("a long identifier number", re.compile(r"\b(?<![.,])\d{8,12}\b(?![.,]\d)", re.A)),
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# A cheap screen of the raw text decides whether the per-field walk is needed at all: almost
# no manifest contains any of these shapes, and the walk costs more than parsing the file.
# The screen must accept everything the patterns above can match (a property test holds it to that).
_SHAPE = str.maketrans(string.digits + string.ascii_letters + "_",
                       "0" * 10 + "a" * len(string.ascii_letters) + "a")
_KEYWORDS = ("mrn", "medical record", "dob", "d.o.b", "date of birth", "born")
_DIGIT_SHAPES = ("000-00-0000",) + tuple(
    f"000{close}{sep1}000{sep2}0000" for close in ("", ")") for sep1 in " .-" for sep2 in " .-")


def might_contain_phi(text: str) -> bool:
    if "@" in text:
        return True
    lowered = text.lower()
    if any(word in lowered for word in _KEYWORDS):
        return True
    shape = text.translate(_SHAPE)
    return any(s in shape for s in _DIGIT_SHAPES) or _has_long_number(shape)


def _has_long_number(shape: str) -> bool:
    """A run of 8-12 digits standing alone as a word (not inside a digest or a decimal)."""
    pos = shape.find("00000000")
    while pos >= 0:
        end = pos
        while end < len(shape) and shape[end] == "0":
            end += 1
        before = shape[pos - 1] if pos else " "
        after = shape[end] if end < len(shape) else " "
        if end - pos <= 12 and before not in "a0" and after != "a":
            return True
        pos = shape.find("00000000", end)
    return False


FieldPath = tuple[str | int, ...]


def scan(data: Any, known_emails: frozenset[str] = frozenset()) -> Iterator[tuple[FieldPath, str]]:
    """Yield (field path, kind of identifier) for each suspicious string value."""
    stack: list[tuple[FieldPath, Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            stack.extend(((*path, str(k)), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend(((*path, i), v) for i, v in enumerate(value))
        elif isinstance(value, str) and not (path and path[-1] in _EXEMPT_LEAVES):
            kind = _identify(value, known_emails)
            if kind:
                yield path, kind


def _identify(text: str, known_emails: frozenset[str]) -> str | None:
    for kind, pattern in _PATTERNS:
        if pattern.search(text):
            return kind
    for address in _EMAIL.findall(text):
        if address.lower() not in known_emails:
            return "the e-mail address of someone not in roles.yaml"
    return None
