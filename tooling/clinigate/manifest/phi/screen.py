"""A cheap test of a whole file: could any value, key or comment in it hold an identifier?

Almost no manifest does, and walking every field costs more than parsing the file, so the walk
runs only when this says yes. It must say yes whenever the detectors could find something
(a property test holds it to that): it looks for what each detector cannot do without, a
label word (``mrn``, ``dob``, ``born``, ``ssn``, an honorific, a patient cue before a capital
letter, ``name``), an ``@``, or a run of seven or more digits that no letter touches. It reads
the raw text, so it also sees comments, and treats ``_`` as a blank as the walk does for keys.
"""

from __future__ import annotations

import re
import string

from .text import fold

_SHAPE = str.maketrans(string.digits + string.ascii_letters, "0" * 10 + "a" * len(string.ascii_letters))

# Each pattern starts with a literal so that re skips ahead fast (this runs on every file); a
# look-behind after the literal stands in for \b, which would stop that.
_LABELS = tuple(re.compile(p) for p in (  # on the lower-cased text
    r"ss(?<![a-z]ss)(?:n|no|\s?#|\s+no)", r"social\s+sec",
    r"mr(?<![a-z]mr)(?:n|\s?#|\s+no)", r"med(?:ical)?\s+rec", r"nhs(?<![a-z]nhs)",
    r"dob", r"o[./]b", r"birth", r"born", r"surname", r"forename",
))
_HONORIFIC = re.compile(r"M(?<![A-Za-z]M)(?:rs?|s|x|iss|ister)(?![a-z])")
_CUE_NAMES = tuple(re.compile(rf"{w}(?<![A-Za-z]{w})(?:\s*[:,]\s*|\s+)"
                              r"(?:[A-Z]\.\s*)*[A-Z](?:['’]{1,2}[A-Z])?[a-z]")
                   for w in ("patient", "pt", "daughter", "son", "wife", "husband", "mother", "father",
                             "spouse", "guardian", "kin"))
_CAPITAL_CUE = re.compile(r"P(?:atient|ATIENT|t|T)\s*:\s*[A-Z]")
# The identifier comes at most a few words and blanks (any number: a folded line) after its label.
_CUE_IDS = tuple(re.compile(rf"{w}(?<![a-z]{w})s?(?:['’]s)?\s*(?:id|identifier|number|no|num|#)"
                            r"(?:\s*[^0-9\s]){0,60}\s*[0-9]")
                 for w in ("patient", "pt", "member", "hospital", "chart", "record", "account", "acct",
                           "encounter", "visit"))
_NAME_LABEL_BEFORE = re.compile(
    r"(?:patient|pt|client|resident|subject|member|first|last|given|family|full|maiden|middle)"
    r"(?:['’]s)?\s*$")
_NAME_OF = re.compile(r"name\s+of\s")
_NAME = re.compile("name")
# A run of digits and separators on one line; a folded line (digits at the end of one line, at
# the start of the next, which is no key) counts as a blank.
_DIGIT_RUN = re.compile(r"0[0 \t().\-/]{5,}0")
_FOLDED_LINE = re.compile(r"0\n[ \t]*(?=[(+]?0[0 \t().\-/]*(?:[^0 \t().\-/:]|$))")
# YAML 1.2 integers in other bases (yaml-rs also reads 0b): the walk sees their decimal digits.
_NON_DECIMAL = tuple(re.compile(rf"0{b}(?<![0-9a-z]0{b}){digits}+(?![0-9a-z])")
                     for b, digits in (("x", "[0-9a-f]"), ("o", "[0-7]"), ("b", "[01]")))
_SEPARATORS = " \t().-/"
_DATE_SHAPE = re.compile(r"0000([-/.])00?\1(?:00?)|00?([-/.])00?\2(?:00)?00")


def might_contain_phi(text: str) -> bool:
    folded = fold(text).replace("_", " ")
    if "@" in folded or "\\" in text:  # an address, or an escape that could spell anything
        return True
    low = folded.lower()
    return (any(p.search(low) for p in _LABELS) or _HONORIFIC.search(folded) is not None
            or _named(low) or any(p.search(folded) for p in _CUE_NAMES)
            or _CAPITAL_CUE.search(folded) is not None or any(p.search(low) for p in _CUE_IDS)
            or _digits(folded.translate(_SHAPE), low))


def _named(low: str) -> bool:
    return any(_NAME_LABEL_BEFORE.search(low, max(0, m.start() - 80), m.start())
               or _NAME_OF.match(low, m.start()) for m in _NAME.finditer(low))


def _digits(shape: str, low: str) -> bool:
    """Seven or more digits in one run of digits and separators, not a date, once the digits
    that touch a letter (or a letter and a hyphen: ``CAPA-2025-007``) are cut off; or an
    integer written in hex, octal or binary."""
    if "\n" in shape:
        shape = _FOLDED_LINE.sub("0 ", shape.replace("\r\n", "\n"))
    for match in _DIGIT_RUN.finditer(shape):
        run, start, end = match.group(), match.start(), match.end()
        if end < len(shape) and shape[end] == "a":
            run = run.rstrip("0").rstrip(_SEPARATORS)
        if start and (shape[start - 1] == "a" or shape[start - 2:start] == "a-"):
            run = run.lstrip("0").lstrip(_SEPARATORS)
        if run.count("0") >= 7 and not _DATE_SHAPE.fullmatch(run):
            return True
    return any(p.search(low) for p in _NON_DECIMAL)
