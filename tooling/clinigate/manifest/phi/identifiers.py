"""Patterns for the identifiers HIPAA's Safe Harbor lists that a manifest could carry (45 CFR 164.514(b)).

Each detector reads folded text (:func:`.text.fold`) and yields :class:`Hit` spans. They are
built to be silent on what manifests legitimately hold: digests and ids are runs of hex or
carry letters, so digit runs count only when no letter, digit or dot touches them; counts,
percentages, dates of data extracts and document numbers never meet a label such as ``MRN``
or ``DOB``. Phone numbers are judged by ``phonenumbers`` (:mod:`.phones`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

SSN = "a US Social Security number"
MRN = "a medical record number"
PHONE = "a phone number"
DOB = "a date of birth"
LONG_NUMBER = "a long identifier number"
NAME = "a person's name"
EMAIL = "an e-mail address"

# Kinds that are digits alone, with no label to say what they are: a field whose schema makes
# it a count, a seed or a version number is not judged by them (see fields.py).
DIGIT_SHAPES = frozenset({SSN, PHONE, LONG_NUMBER})


@dataclass(frozen=True)
class Hit:
    kind: str
    start: int
    end: int


# A separator between a label and its value: blanks, punctuation and YAML's quotes and
# indicators (the same detectors read raw comment text), but never a line break twice.
_SEP = r"[ \t:#=.,'\"()\[\]{}|>+\-]{0,6}(?:\n[ \t]{0,40})?[ \t:'\"]{0,3}"
# Digits alone: no letter, digit, dot or slash on either side, no hyphen joining them to a
# digit or (before) to a letter: CAPA-2025-007 is a document.
_ALONE_BEFORE = r"(?<![0-9A-Za-z_./])(?<![0-9A-Za-z]-)"
_ALONE_AFTER = r"(?![0-9A-Za-z_/])(?!-[0-9])(?!\.[0-9])"

_SSN_SHAPE = re.compile(_ALONE_BEFORE + r"(\d{3})([ .-]?)(\d{2})\2(\d{4})" + _ALONE_AFTER, re.A)
_SSN_LABEL = re.compile(
    r"\b(?:SSN|SS\#|SS\s?No\.?|social\s+security(?:\s+(?:number|no\.?|\#))?)" + _SEP
    + r"(?:(?:ending|last\s+(?:4|four)(?:\s+digits)?)(?:\s+(?:in|of|is))?\s*[:#]?\s*)?"
    r"(?:\d{3}[ .-]?\d{2}[ .-]?)?\d{4}(?![0-9])",
    re.A | re.I)

_MRN_LABEL = re.compile(
    r"\b(?:MRN|MR\s?\#|MR\s+No\.?|med(?:ical)?\s+rec(?:ord)?\s*(?:number|no\.?|num|\#|:)|NHS\s+no\.?"
    r"|(?:patient|pt|member|hospital|chart|health\s+record|NHS|account|acct|encounter|visit)"
    r"\s+(?:id|identifier|number|no\.?|num|\#)|pt\s?\#)(?![A-Za-z])"
    r"(?:\s+(?:is|was|of))?" + _SEP + r"(?=[0-9A-Z-]*\d[0-9A-Z-]*\d[0-9A-Z-]*\d[0-9A-Z-]*\d)"
    r"[0-9A-Z][0-9A-Z-]{3,23}(?![0-9A-Za-z])",
    re.A | re.I)

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
          r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_MONTH_ANY_CASE = "(?i:" + _MONTH + ")"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]|20)?\d\d"
_DAY_DATE = (  # a date down to the day
    r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"  # 1961-04-12
    r"|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"  # 04/12/1961, 12.04.61
    r"|(?:18|19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"  # 19610412
    rf"|{_MONTH_ANY_CASE}\s*{_DAY}(?:(?:,\s*|\s+){_YEAR})?"  # April 12, 1961 / Apr 12
    rf"|{_DAY}(?:\s+of)?[\s\-/.]*{_MONTH_ANY_CASE}(?:,?[\s\-/.]*{_YEAR})?)"  # 12 April 1961, 12-Apr-61
    r"(?![0-9A-Za-z])"
)
_MONTH_OR_YEAR = rf"(?:{_MONTH_ANY_CASE}[\s\-/.,]*(?:of\s+)?)?(?:18|19|20)\d\d(?![0-9A-Za-z])"  # (April) 1961
_ORDINAL = (r"(?:(?:twenty|thirty)[\s-])?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth"
            r"|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth"
            r"|nineteenth|twentieth|thirtieth)")
# "born" says less than a label: cohorts are "born in 2015 or later" or "born before 32 weeks",
# so after "born" only a date down to the day counts ("born April 12, 1961", "born on the twelfth
# of April"); after DOB, date of birth, birth date, a month and year or a year alone count too.
_DOB = re.compile(
    r"\b(?:DOB|D\.O\.B\.?|date\s+of\s+birth|birth\s*date|birthdate|birthday|d/o/b)(?:\s+(?:of|is|was))?"
    + _SEP + r"(?:" + _DAY_DATE + "|" + _MONTH_OR_YEAR + ")"
    r"|\bborn(?:\s+(?:on|in))?" + _SEP + _DAY_DATE
    + r"|\bborn(?:\s+(?:on|in))?\s+(?:the\s+)?" + _ORDINAL + r"(?:\s+(?:day\s+)?of)?\s+" + _MONTH_ANY_CASE,
    re.A | re.I)

_LONG_NUMBER = re.compile(r"\b(?<![.,])(?<![A-Za-z]-)\d{8,12}\b(?![.,]\d)", re.A)
_EXTRACT_DATE = re.compile(r"20\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])", re.A)

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", re.A)

# A person's name, capitalised (Smith, O'Brien, McDonald, Smith-Jones) or an initial.
_NAME_WORD = r"(?:[A-Z]['’]{1,2})?[A-Z][a-z]+(?:[A-Z][a-z]+)?(?:-[A-Z][a-z]+)?(?![\w-])"
_NAMES = r"(?:[A-Z]\.\s*)*" + _NAME_WORD + r"(?:,?\s+(?:[A-Z]\.\s*)*" + _NAME_WORD + r")*"
_TWO_NAMES = r"(?:[A-Z]\.\s*)*" + _NAME_WORD + r"(?:,?\s+(?:[A-Z]\.\s*)*" + _NAME_WORD + r")+"
# Capitalised words that follow "patient" in clinical prose without being anyone's name.
_NOT_A_NAME = (r"(?!(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March"
               r"|April|May|June|July|August|September|October|November|December|Hispanic|Latino|Latina"
               r"|Black|White|Asian|American|Native|African|Pacific|Alaska|English|Spanish|Medicare"
               r"|Medicaid)\b)")
_NAME_PATTERNS = tuple(re.compile(p, re.A) for p in (
    # An honorific, case as written ("MR" is magnetic resonance, "MS" multiple sclerosis); not
    # the "near miss" of incident reporting. "Dr" is left out: clinicians may be named.
    r"\b(?:Mr|Mrs|Ms|Mx|Mister)\b\.?\s+" + _NAMES,
    r"(?<![Nn]ear[ -])\bMiss\b\.?\s+" + _NAMES,
    # A name label: "patient name: Jane Doe", "surname Smith", "name of patient: Smith, John".
    r"(?i:\b(?:(?:patient|pt|client|resident|subject|member)(?:['’]s)?\s+(?:full\s+|first\s+|last\s+"
    r"|given\s+|family\s+|sur)?name|(?:first|last|given|family|full|maiden|middle)\s+name|surname"
    r"|forename|name\s+of\s+(?:the\s+)?(?:patient|pt))\b)\s*(?i:is|was)?\s*[:=\-]?\s*" + _NAMES,
    # A patient or next-of-kin cue in running text: "reviewed with patient John Smith", "pt Doe",
    # "Patient: Smith, John". In running text the cue is lower case: "Patient Safety" is a
    # programme; capitalised, it takes a colon and two names ("Patient: Adult inpatients" is not).
    r"(?:\bpatient|(?<![\d-])\bpt|\bdaughter|\bson|\bwife|\bhusband|\bmother|\bfather|\bspouse|\bguardian"
    r"|\bnext\s+of\s+kin)(?:\s*[:,]\s*|\s+)" + _NOT_A_NAME + _NAMES,
    r"\b(?:Patient|PATIENT|Pt|PT)\s*:\s*" + _NOT_A_NAME + _TWO_NAMES,
))


def find(text: str) -> Iterator[Hit]:
    """Every identifier the patterns see in ``text`` (folded), phone numbers excepted."""
    for match in _SSN_SHAPE.finditer(text):
        if _valid_ssn(match.group(1), match.group(3), match.group(4)):
            yield Hit(SSN, match.start(), match.end())
    yield from _hits(SSN, _SSN_LABEL, text)
    yield from _hits(MRN, _MRN_LABEL, text)
    yield from _hits(DOB, _DOB, text)
    for match in _LONG_NUMBER.finditer(text):
        if not _EXTRACT_DATE.fullmatch(match.group()):
            yield Hit(LONG_NUMBER, match.start(), match.end())
    for pattern in _NAME_PATTERNS:
        yield from _hits(NAME, pattern, text)
    yield from _hits(EMAIL, EMAIL_RE, text)


def _hits(kind: str, pattern: re.Pattern[str], text: str) -> Iterator[Hit]:
    return (Hit(kind, m.start(), m.end()) for m in pattern.finditer(text))


def _valid_ssn(area: str, group: str, serial: str) -> bool:
    """The Social Security Administration never issues area 000, 666 or 900-999, group 00 or serial 0000."""
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"
