"""``clinigate propose``: read MLflow, map what it says onto a draft manifest, write the file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..errors import UsageError
from ..registry.actual import MlflowRegistry
from .draft import ManifestDraft
from .mapping import build_draft
from .reader import read_facts
from .source import parse_source
from .target import choose_target, load_parent
from .write import write_draft


@dataclass(frozen=True)
class Proposal:
    path: Path
    relpath: str
    draft: ManifestDraft
    todos: tuple[tuple[str, str], ...]  # (dotted field path, marker) still to fill in


def propose(repo: Path, from_uri: str, tracking_uri: str, *, model: str | None = None,
            version: str | None = None, parent: str | None = None, submitted_by: str | None = None,
            force: bool = False, today: date | None = None) -> Proposal:
    """Read MLflow, build the draft and write it; refuses to overwrite without ``force``."""
    source = parse_source(from_uri)
    folder = model or source.name
    if folder is not None:  # fail fast, before any download
        choose_target(repo, folder, version=version, parent=parent, force=force)
    facts = read_facts(MlflowRegistry(tracking_uri), source)
    folder = folder or facts.registered_model
    if folder is None:
        raise UsageError(f"{from_uri}: the run's model is not registered, so the model folder is unknown",
                         hint="pass --model <folder under models/>")
    target = choose_target(repo, folder, version=version, parent=parent, force=force)
    parent_data = load_parent(repo, folder, target.parent) if target.parent else {}
    draft = build_draft(facts, model=folder, version=target.version, parent_version=target.parent,
                        parent=parent_data, submitted_by=submitted_by, today=today or date.today())
    write_draft(target.path, draft.render(), force=force)
    return Proposal(target.path, target.relpath, draft, draft.todos())
