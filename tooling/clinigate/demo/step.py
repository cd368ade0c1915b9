"""What the tour yields, and the names it uses throughout: one demo model, one demo author."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEMO_AUTHOR = ("clinigate demo", "demo@clinigate.invalid")
DEMO_MODEL = "sepsis-ews"


@dataclass
class Step:
    title: str
    explanation: str
    command: str | None = None
    output: str = ""
    ok: bool = True
    details: dict[str, Any] = field(default_factory=dict)
