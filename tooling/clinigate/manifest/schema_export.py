"""JSON Schema generated from the document models; committed in schemas/ for editors and tools."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..findings import Finding
from ..generated import Generated
from ..layout import SCHEMA_FILES, SCHEMAS_DIR
from .documents import DOCUMENT_TYPES
from .values import API_VERSION

__all__ = ["SCHEMA_FILES", "SchemaStatus", "check", "generate", "schema_text"]


def schema_text(kind: str) -> str:
    schema = DOCUMENT_TYPES[kind].model_json_schema(by_alias=True, mode="validation")
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://clinigate.dev/schemas/{API_VERSION}/{SCHEMA_FILES[kind]}",
        **schema,
    }
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


@dataclass(frozen=True)
class SchemaStatus:
    path: Path
    state: str  # "fresh" | "stale" | "missing"


def check(schemas_dir: Path) -> list[SchemaStatus]:
    out = []
    for kind, name in SCHEMA_FILES.items():
        path = schemas_dir / name
        if not path.is_file():
            out.append(SchemaStatus(path, "missing"))
        else:
            same = path.read_text(encoding="utf-8") == schema_text(kind)
            out.append(SchemaStatus(path, "fresh" if same else "stale"))
    return out


def write(schemas_dir: Path) -> list[Path]:
    schemas_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, name in SCHEMA_FILES.items():
        path = schemas_dir / name
        path.write_text(schema_text(kind), encoding="utf-8")
        written.append(path)
    return written


def generate(repo_root: Path, *, check_only: bool = False) -> Generated:
    """Write every schema into schemas/, or with ``check_only`` say which are missing or stale."""
    folder = repo_root / SCHEMAS_DIR
    subject = f"{len(SCHEMA_FILES)} schemas"
    if not check_only:
        return Generated(subject, written=tuple(p.relative_to(repo_root).as_posix() for p in write(folder)),
                         plural=True)
    stale = tuple(Finding(s.path.relative_to(repo_root).as_posix(), None, None, "schema.stale",
                          f"the file is {s.state}; run `clinigate schema` and commit the result")
                  for s in check(folder) if s.state != "fresh")
    return Generated(subject, stale=stale, checked=True, plural=True)
