"""Where a draft goes: the model folder, the new version and its parent, checked before MLflow is read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import layout
from ..errors import UsageError
from ..manifest.semver import SEMVER_RE, SemverKey, next_minor
from ..manifest.values import MODEL_NAME_MAX, MODEL_NAME_RE
from .draft import TODO_PREFIX


@dataclass(frozen=True)
class Target:
    model: str
    version: str
    parent: str | None  # None: the first version of the model
    path: Path
    relpath: str


def choose_target(repo: Path, model: str, *, version: str | None, parent: str | None,
                  force: bool) -> Target:
    """The manifest to write; a bad name, an unfinished parent draft or an existing file is refused."""
    check_model(model)
    version, parent = _resolve(repo, model, version, parent)
    relpath = layout.version_path(model, version)
    path = repo / relpath
    if path.exists() and not force:
        raise UsageError(f"{relpath} already exists; nothing was written",
                         hint="pick another --version, or pass --force to replace the file")
    return Target(model, version, parent, path, relpath)


def check_model(model: str) -> None:
    if not MODEL_NAME_RE.match(model) or len(model) > MODEL_NAME_MAX:
        raise UsageError(f"model folder {model!r} is not lower-case kebab-case",
                         hint="name the folder under models/ with --model, e.g. --model sepsis-ews")


def manifest_versions(repo: Path, model: str) -> list[str]:
    folder = repo / layout.versions_dir(model)
    stems = [p.stem for p in folder.glob("*.yaml")] if folder.is_dir() else []
    return sorted((s for s in stems if SEMVER_RE.match(s)), key=SemverKey)


def load_parent(repo: Path, model: str, version: str) -> dict[str, Any]:
    """The parent manifest's data as loaded (even if it no longer validates)."""
    from ..manifest.loader import load_file

    relpath = layout.version_path(model, version)
    if not (repo / relpath).is_file():
        raise UsageError(f"--parent {version}: no manifest {relpath}")
    loaded = load_file(repo, relpath)
    return loaded.data if isinstance(loaded.data, dict) else {}


def _resolve(repo: Path, model: str, version: str | None, parent: str | None) -> tuple[str, str | None]:
    existing = manifest_versions(repo, model)
    latest = existing[-1] if existing else None
    if parent is None:  # the latest other version: redrafting 1.4.0 does not make it its own parent
        others = [v for v in existing if v != version]
        parent = others[-1] if others else None
        if parent is not None:
            _refuse_draft_parent(repo, model, parent, others[:-1])
    for what, value in (("--version", version), ("--parent", parent)):
        if value is not None and not SEMVER_RE.match(value):
            raise UsageError(f"{what} {value}: not a semantic version (e.g. 1.4.0)")
    if version is None:
        version = next_minor(latest) if latest else "1.0.0"
    return version, parent


def _refuse_draft_parent(repo: Path, model: str, latest: str, earlier: list[str]) -> None:
    """A second draft must not silently descend from a first one that nobody has finished."""
    relpath = layout.version_path(model, latest)
    if TODO_PREFIX not in (repo / relpath).read_text(encoding="utf-8", errors="replace"):
        return
    name_parent = f"--parent {earlier[-1]}" if earlier else "--parent <version>"
    raise UsageError(f"{relpath} is still a draft (it holds {TODO_PREFIX} markers), so it cannot be the "
                     "parent of a new one; nothing was written",
                     hint=f"finish that draft first, redraft it with --version {latest} --force, "
                          f"or name the parent with {name_parent}")
