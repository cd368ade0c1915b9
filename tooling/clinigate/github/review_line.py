"""The line a reviewer types in a GitHub review to sign in a role.

    >>> intents("Looks right.\\nclinigate: approve as clinical_reviewer — subgroup AUCs reviewed")
    [Intent(decision='approved', role='clinical_reviewer', reason='subgroup AUCs reviewed')]

One line per role: ``clinigate: approve as <role> — <reason>`` in an *Approve* review, or
``clinigate: reject as <role> — <reason>`` in a *Request changes* review. The reason is what
every verification shows beside the printed name (21 CFR 11.50), so it may not be empty. The
dash may be an em dash, an en dash, a hyphen or a colon. A review without such a line is an
ordinary review and signs nothing; a line that starts ``clinigate:`` but does not parse is
refused with its rule, so a typo never passes silently as "no approval".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..manifest.values import Role

PREFIX = "clinigate:"
_LINE = re.compile(r"^\s*clinigate:\s*(?P<verb>approve|reject)\s+as\s+(?P<role>[A-Za-z_]+)\s*"
                   r"(?:[—–:]|-{1,2})\s*(?P<reason>\S.*?)\s*$", re.IGNORECASE)
_PREFIXED = re.compile(r"^\s*clinigate:", re.IGNORECASE)
EXAMPLE = "clinigate: approve as clinical_reviewer — <reason>"
# Which GitHub review state each verb must come with: the UI's verdict and the line must agree.
REVIEW_STATE = {"approved": "APPROVED", "rejected": "CHANGES_REQUESTED"}
_SIGNING_ROLES = tuple(r.value for r in Role if r is not Role.DATA_SCIENTIST)


@dataclass(frozen=True)
class Intent:
    decision: str  # approved | rejected
    role: str
    reason: str


@dataclass(frozen=True)
class LineProblem:
    rule: str
    message: str


def intents(body: str) -> list[Intent | LineProblem]:
    """Each ``clinigate:`` line of a review body, read (an empty list: an ordinary review)."""
    found: list[Intent | LineProblem] = []
    roles: set[str] = set()
    for line in body.splitlines():
        if not _PREFIXED.match(line):
            continue
        item = _read(line)
        if isinstance(item, Intent) and item.role in roles:
            item = LineProblem("review.line_repeated", f"the review names the {item.role} role twice; "
                               "write one line per role")
        elif isinstance(item, Intent):
            roles.add(item.role)
        found.append(item)
    return found


def _read(line: str) -> Intent | LineProblem:
    match = _LINE.match(line)
    if match is None:
        return LineProblem("review.line_syntax", f"cannot read {line.strip()[:80]!r}: write {EXAMPLE!r} "
                           "(or 'reject as …' in a Request changes review)")
    role = match["role"].lower()
    if role not in _SIGNING_ROLES:
        return LineProblem("review.line_role", f"{match['role']!r} is not a signing role: "
                           f"one of {', '.join(_SIGNING_ROLES)}")
    decision = "approved" if match["verb"].lower() == "approve" else "rejected"
    return Intent(decision, role, match["reason"])
