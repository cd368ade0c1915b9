"""``schema``, ``codeowners`` and ``rulesets`` rendered: the files written, or what ``--check``
found stale, then the ok line."""

from __future__ import annotations

from ..generated import Generated
from .protocol import Renderers
from .text import finding_line


def text(outcome: Generated) -> str:
    if not outcome.checked:
        return "".join(f"wrote {path}\n" for path in outcome.written)
    lines = [finding_line(f, severity=False) for f in outcome.stale]
    if not outcome.stale:
        lines.append(f"ok: {outcome.subject} {'are' if outcome.plural else 'is'} up to date")
    return "\n".join(lines) + "\n"


GENERATED_RENDERERS: Renderers[Generated] = Renderers("the generated files", {"text": text})
