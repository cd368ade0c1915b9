"""Protected health information never belongs in a manifest (HIPAA minimum necessary; seed 001).

Every string value is scanned for patterns that identify a patient. A hit names the field and
the kind of identifier but never repeats the value: the finding itself must not leak it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# Fields that hold identifiers by design (digests, URIs, addresses of known staff).
_EXEMPT_LEAVES = {"sha256", "uri", "run_id", "code_commit", "environment_sha256", "email",
                  "contact", "github", "apiVersion", "kind"}

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a US Social Security number", re.compile(r"\b\d{3}-\d{2}-\d{4}\b")),
    ("a medical record number", re.compile(r"\b(?:MRN|medical record(?: number| no\.?)?)\W{0,3}\d{4,}", re.I)),
    ("a phone number", re.compile(r"(?<!\d)(?:\+?1[ .-])?\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}(?!\d)")),
    ("a date of birth", re.compile(r"\b(?:DOB|d\.o\.b\.|date of birth|born(?: on)?)\W{0,3}\d", re.I)),
    ("a long identifier number", re.compile(r"(?<![\d.,])\d{8,12}(?![\d.,])")),
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def scan(data: Any, known_emails: frozenset[str] = frozenset()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Yield (field path, kind of identifier) for each suspicious string value."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), data)]
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
