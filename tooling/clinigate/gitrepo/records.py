"""What the Git layer answers with: plain records and constants (no GitPython: cheap to import)."""

from __future__ import annotations

import re
from dataclasses import dataclass

NULL_OID = "0" * 40
FULL_ID = re.compile(r"[0-9a-f]{40}")
NO_COMMIT_GRAPH_ENV = "CLINIGATE_NO_COMMIT_GRAPH"  # "1": never write a commit-graph into the clone
REGULAR_FILE = "100644"  # the only mode the ledger writes


@dataclass(frozen=True)
class Change:
    status: str  # A added, M modified, D deleted, T type changed
    path: str


@dataclass(frozen=True)
class ObjectInfo:
    """What Git says of one object (``cat-file --batch-check``), without reading its body."""

    kind: str  # blob, tree, commit or tag
    size: int
    oid: str = ""  # the object's id (what a ``rev:path`` name resolved to)


@dataclass(frozen=True)
class TreeFile:
    path: str
    blob: str
    mode: str = "100644"
    kind: str = "blob"


@dataclass(frozen=True)
class RawChange:
    status: str  # A added, M modified, D deleted, T type changed
    path: str
    blob: str  # the new blob id (all zeros for a deletion)
    mode: str = REGULAR_FILE  # the new mode (160000 gitlink, 120000 symlink, ...)


@dataclass(frozen=True)
class CommitRecord:
    commit: str
    parents: tuple[str, ...]
    author_date: str
    changes: tuple[RawChange, ...]


@dataclass(frozen=True)
class MainlineCommit:
    commit: str
    parent: str | None  # the first parent (None for the root)
    committed_at: str  # ISO 8601, the committer's claim: when it landed on the line
    subject: str
    changes: tuple[RawChange, ...]
