"""``github review-line``: whether a review's clinigate lines read, before the workflow signs them.

    lines = check_review_lines(event_path=os.environ["GITHUB_EVENT_PATH"])
    [(line.ok, line.text) for line in lines.lines]

Only the line and the review's state are read; who may sign is decided later, from the default
branch (github/record.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class LineReading:
    """One clinigate line of the review: ``ok`` when it reads and agrees with the review's state."""

    text: str
    ok: bool


@dataclass(frozen=True)
class ReviewLines:
    lines: list[LineReading] = field(default_factory=list)

    @property
    def problems(self) -> int:
        return sum(not line.ok for line in self.lines)


def check_review_lines(*, event_path: str | None) -> ReviewLines:
    """Each clinigate line of the pull_request_review event's review, read against its state."""
    from ..errors import UsageError
    from ..run_event import read_event
    from .review_line import REVIEW_STATE, Intent, intents

    review = read_event(event_path).get("review")
    if not isinstance(review, dict):
        raise UsageError("the event holds no review", hint="run on a pull_request_review event")
    state = str(review.get("state") or "").upper()
    found = []
    for item in intents(str(review.get("body") or "")):
        if isinstance(item, Intent) and state != REVIEW_STATE[item.decision]:
            found.append(LineReading(f"'{item.decision}' as {item.role}, but the review's state is {state}: "
                                     "it will not be signed", ok=False))
        elif isinstance(item, Intent):
            found.append(LineReading(f"reads: {item.decision} as {item.role} — {item.reason}", ok=True))
        else:
            found.append(LineReading(f"[{item.rule}] {item.message}", ok=False))
    return ReviewLines(found)
