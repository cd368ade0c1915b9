"""Phone numbers, judged by Google's libphonenumber metadata (the ``phonenumbers`` package).

A run of digits is a phone number when libphonenumber finds in it a valid number grouped the way
its country writes it (leniency ``STRICT_GROUPING``: any country in international ``+`` form, the
US written nationally; ``2024-03-0112`` is a document number, not 202-403-0112); or when it is
written in a telephone layout (``+`` and a possible number, or the North American
``(555) 201-3344`` shape, whose 555 numbers are fictional and so not "valid"); or when a word
such as "tel" or "phone" comes right before it (national forms of other countries). Counts,
dates, percentages and digests never reach the matcher: it sees only runs of seven or more
digits that no letter touches, with a little of the text around them (a time after a date).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .identifiers import PHONE, Hit

_DEFAULT_REGION = "US"
_CANDIDATE = re.compile(r"(?<![0-9A-Za-z_.+/-])(?:\+|\(\+?)?\d[\d ().\-/]{5,24}\d(?![0-9A-Za-z_/])", re.A)
_NANP_LAYOUT = re.compile(r"(?:\+?1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}", re.A)
_CUED = re.compile(
    r"\b(?:tel(?:ephone)?|phone(?:d)?|mobile|cell(?:phone)?|fax|call(?:ed)?|ring|pager|bleep|whatsapp"
    r"|contact\s+(?:no\.?|number))\b\.?(?:\s+(?:no\.?|number|at|on|to))?[ \t:#=.\-]{0,4}"
    r"(?<![A-Za-z])(?<![A-Za-z]-)(\+?\(?\d[\d ().\-]{5,20}\d)(?![0-9A-Za-z])",
    re.A | re.I)
_MIN_DIGITS = 7
# libphonenumber tells a time stamp ("2026-12-02 08:00") from a number by what follows it.
_CONTEXT = 12
_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\d(?:[ T]\d\d)?$", re.A)
_DATE = re.compile(r"\d{4}([-/.])\d\d?\1\d\d?|\d\d?([-/.])\d\d?\2(?:\d\d)?\d\d", re.A)


def find(text: str) -> Iterator[Hit]:
    """Phone numbers in ``text`` (folded)."""
    for match in _CANDIDATE.finditer(text):
        start, end = match.span()
        if _digits(match.group()) >= _MIN_DIGITS and not _DATE_TIME.match(match.group()) \
                and _is_phone(text[max(0, start - _CONTEXT):end + _CONTEXT]):
            yield Hit(PHONE, start, end)
    for match in _CUED.finditer(text):
        if _digits(match.group(1)) >= _MIN_DIGITS and not _DATE.fullmatch(match.group(1)):
            yield Hit(PHONE, match.start(1), match.end(1))


def _digits(text: str) -> int:
    return sum(c.isdigit() for c in text)


def _is_phone(window: str) -> bool:
    import phonenumbers  # ~25 ms; only when a manifest holds a run of seven digits

    strict = phonenumbers.PhoneNumberMatcher(window, _DEFAULT_REGION,
                                             leniency=phonenumbers.Leniency.STRICT_GROUPING)
    if strict.has_next():  # a valid number, its digits grouped as that country writes them
        return True
    possible = phonenumbers.PhoneNumberMatcher(window, _DEFAULT_REGION,
                                               leniency=phonenumbers.Leniency.POSSIBLE)
    return any(found.raw_string.startswith("+") or _NANP_LAYOUT.fullmatch(found.raw_string)
               for found in possible)
