"""The state at a moment, folded from events (never stored): what ran where, and since when.

    >>> state = state_at(log, datetime(2026, 3, 15, 14, 0, tzinfo=UTC))       # doctest: +SKIP
    >>> state.in_force("sepsis-ews", "production").version                      # doctest: +SKIP
    '1.2.0'

A version is in force from the instant its commit landed on main (the committer date,
inclusive) until the next change of that environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .events import Event, EventLog, Kind


@dataclass
class State:
    at: datetime
    running: dict[tuple[str, str], Event] = field(default_factory=dict)  # (model, env) -> the event

    def in_force(self, model: str, env: str) -> Event | None:
        """The deployment event that put the environment's version in place (None: nothing ran)."""
        return self.running.get((model, env))


def state_at(log: EventLog, moment: datetime) -> State:
    if moment.tzinfo is None:
        raise ValueError("a moment without a UTC offset is ambiguous")
    state = State(moment)
    for event in log.events:
        if event.landing.at > moment:
            break  # oldest first: nothing later can have been in force
        if event.kind is not Kind.DEPLOYMENT_CHANGED or event.model is None or event.env is None:
            continue
        if event.after is None:
            state.running.pop((event.model, event.env), None)
        else:
            state.running[(event.model, event.env)] = event
    return state
