"""Protected health information never belongs in a manifest (HIPAA minimum necessary; seed 001).

    >>> from clinigate.manifest import phi
    >>> text = "change:\\n  summary: Escalations phoned to 555-201-3344  # pt DOB 4/12/61\\n"
    >>> data = {"change": {"summary": "Escalations phoned to 555-201-3344"}}
    >>> [(s.place.value, s.kinds) for s in phi.scan_document(text, data)]
    [('value', ('a phone number',)), ('comment', ('a date of birth',))]

Every string and integer value, every key and every comment is folded (:mod:`.text`: full-width
digits, zero-width and bidi characters) and scanned for patterns that identify a patient
(:mod:`.identifiers`, :mod:`.phones`). A hit names the place and the kind of identifier but never
repeats the text: the finding itself must not leak it.

E-mail addresses belong only in the fields meant for staff (``email`` in roles.yaml,
``developer.contact`` in model.yaml); anywhere else an address is refused unless it is one of
those: a person in roles.yaml or the contact this document declares.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from . import identifiers, phones
from .comments import Comment, candidates, comments
from .fields import EMAIL_FIELDS, FieldPath, Leaf, Place, leaves
from .identifiers import EMAIL, LONG_NUMBER, Hit
from .screen import might_contain_phi
from .text import fold

__all__ = ["FieldPath", "Place", "Suspect", "describe", "identify", "might_contain_phi", "scan",
           "scan_document"]

# The order kinds are named in a finding.
_ORDER = (identifiers.SSN, identifiers.MRN, identifiers.PHONE, identifiers.DOB, LONG_NUMBER,
          identifiers.NAME, EMAIL)
_UNKNOWN_EMAIL = "an e-mail address that is not a known staff contact"
# Text of separate leaves is scanned in one pass; no pattern crosses a NUL (the loader refuses
# NUL bytes, so none is in the text itself).
_JOIN = "\x00\n"
_LINE_BREAK = re.compile(r"\r\n|[\n\r\x85\u2028\u2029]")  # YAML's (and so the Locator's) lines


@dataclass(frozen=True)
class Suspect:
    """Where an identifier seems to be: a value or key (by field path) or a comment (by line)."""

    place: Place
    kinds: tuple[str, ...]
    path: FieldPath = ()
    line: int | None = None
    column: int | None = None


def scan_document(text: str, data: Any, known_emails: frozenset[str] = frozenset()) -> list[Suspect]:
    """Every value, key and comment of one parsed document that seems to hold an identifier."""
    if not might_contain_phi(text):  # nearly every manifest: no field needs a look
        return []
    known = known_emails | declared_emails(data)
    found = list(_scan_fields(data, known))
    if "#" in text:
        found.extend(_scan_comments(text, known))
    return found


def scan(data: Any, known_emails: frozenset[str] = frozenset()) -> Iterator[tuple[FieldPath, str]]:
    """(field path, kinds of identifier) for each suspicious value or key; comments need the text."""
    for suspect in _scan_fields(data, known_emails | declared_emails(data)):
        yield suspect.path, describe(suspect.kinds)


def identify(text: str, known_emails: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """The kinds of identifier in one piece of free text (a value, a key or a comment)."""
    folded = fold(text)
    return _kinds(_hits(folded), folded, known_emails, frozenset())


def describe(kinds: Iterable[str]) -> str:
    named = [_UNKNOWN_EMAIL if k == EMAIL else k for k in kinds]
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]


def declared_emails(data: Any) -> frozenset[str]:
    """Addresses in this document's own e-mail fields (a model's developer contact)."""
    return frozenset(leaf.value.strip().lower() for leaf in leaves(data)
                     if leaf.path and leaf.path[-1] in EMAIL_FIELDS)


def _scan_fields(data: Any, known: frozenset[str]) -> Iterator[Suspect]:
    found = list(leaves(data))
    keys = [fold(leaf.key) for leaf in found]
    texts = [key + fold(leaf.value) for key, leaf in zip(keys, found, strict=True)]
    joined, starts = _join(texts)
    by_leaf: dict[int, list[Hit]] = {}
    for hit in _hits(joined):
        index = bisect.bisect_right(starts, hit.start) - 1
        base = starts[index]
        by_leaf.setdefault(index, []).append(Hit(hit.kind, hit.start - base, hit.end - base))
    for index, hits in sorted(by_leaf.items()):
        yield from _leaf_suspects(found[index], texts[index], len(keys[index]), hits, known)


def _leaf_suspects(leaf: Leaf, text: str, key_length: int, hits: list[Hit],
                   known: frozenset[str]) -> Iterator[Suspect]:
    # A label in the key with its identifier in the value ("mrn: 12345678") is the value's.
    in_key = [h for h in hits if h.end <= key_length]
    in_value = [h for h in hits if h.end > key_length]
    for place, group in ((Place.KEY, in_key), (Place.VALUE, in_value)):
        kinds = _kinds(group, text, known, leaf.allowed if place is Place.VALUE else frozenset())
        if kinds:
            yield Suspect(place, kinds, leaf.path)


def _scan_comments(text: str, known: frozenset[str]) -> Iterator[Suspect]:
    lines = _LINE_BREAK.split(text)
    rough = list(candidates(lines))
    if not rough or not _any_kind(rough, known):  # nearly always: no comment can hold one
        return
    for comment in comments(text, lines):
        folded = fold(comment.text)
        kinds = _kinds(_hits(folded), folded, known, frozenset())
        if kinds:
            yield Suspect(Place.COMMENT, kinds, line=comment.line, column=comment.column)


def _any_kind(found: list[Comment], known: frozenset[str]) -> bool:
    joined, _ = _join([fold(c.text) for c in found])
    return bool(_kinds(_hits(joined), joined, known, frozenset()))


def _join(texts: list[str]) -> tuple[str, list[int]]:
    starts, offset = [], 0
    for text in texts:
        starts.append(offset)
        offset += len(text) + len(_JOIN)
    return _JOIN.join(texts), starts


def _hits(text: str) -> list[Hit]:
    return [*identifiers.find(text), *phones.find(text)]


def _kinds(hits: list[Hit], text: str, known: frozenset[str], allowed: frozenset[str]) -> tuple[str, ...]:
    """The kinds that count: not allowed here, not a known address, no long number that is
    already a Social Security or phone number."""
    digits = [h for h in hits if h.kind in (identifiers.SSN, identifiers.PHONE)]
    kinds = set()
    for hit in hits:
        if hit.kind in allowed:
            continue
        if hit.kind == EMAIL and text[hit.start:hit.end].lower() in known:
            continue
        if hit.kind == LONG_NUMBER and any(d.start < hit.end and hit.start < d.end for d in digits):
            continue
        kinds.add(hit.kind)
    return tuple(k for k in _ORDER if k in kinds)
