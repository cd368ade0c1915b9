"""``propose`` rendered: the draft written, then every field a person must still fill in."""

from __future__ import annotations

from ..propose import TODO_PREFIX
from ..propose.run import Proposal
from .protocol import Renderers


def text(proposal: Proposal) -> str:
    lines = [f"wrote {proposal.relpath}"]
    if proposal.todos:
        lines.append(f"{len(proposal.todos)} fields to fill in before `clinigate validate` passes:")
        lines += [f"  {path}: {marker.removeprefix(f'{TODO_PREFIX}: ')}" for path, marker in proposal.todos]
    return "\n".join(lines) + "\n"


PROPOSAL_RENDERERS: Renderers[Proposal] = Renderers("the draft", {"text": text})
