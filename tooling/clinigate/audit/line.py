"""The registry's files at every commit of the first-parent line, folded from the one ``git log``.

    >>> mainline = git.mainline(tip, ["models", "policies"])                      # doctest: +SKIP
    >>> files = LineFiles.fold(mainline, ["models", "policies"], tip)             # doctest: +SKIP
    >>> files.entry(files.state(landing.commit), "models/sepsis-ews/deployment.yaml")  # doctest: +SKIP
    ('100644', '5b1d3c…')
    >>> reader = LineReader(git.root, files=files)  # a Git: reads at line commits cost no call

``git log --first-parent --raw -- models policies`` names every change under those folders along
the line, each against the commit's first parent, and leaves out only commits that changed
nothing there. Folding the changes from the root gives each file's blob at every listed commit,
at each listed commit's first parent and at the tip (nothing under the folders changed in
between). So the audit reads a document as it was at a historical commit without one Git call
per commit; what the fold does not cover (another folder, a commit off the line, an unusual
path) is read from Git.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .. import layout
from ..gitrepo import Git
from ..gitrepo.git import NULL_OID, MainlineCommit

GITLINK = "160000"  # a submodule's commit: not a file of this repository
# Paths the fold answers for: plain segments, no "." / ".." / empty ones, nothing git would read
# as a pattern (ls-tree) or spell differently (quoting, encodings). Anything else goes to Git.
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_@+-][A-Za-z0-9._@+-]*(/[A-Za-z0-9_@+-][A-Za-z0-9._@+-]*)*")
_FULL_ID = re.compile(r"[0-9a-f]{40}")

Entry = tuple[str, str]  # (mode, object id) of a file at one state


@dataclass
class _PathHistory:
    states: list[int] = field(default_factory=list)  # ascending: where the path changed
    entries: list[Entry | None] = field(default_factory=list)  # what it became (None: deleted)

    def at(self, state: int) -> Entry | None:
        index = bisect.bisect_right(self.states, state) - 1
        return self.entries[index] if index >= 0 else None


@dataclass
class LineFiles:
    """Every file under ``folders`` at every state of the line. State ``k`` is the tree after the
    first ``k`` listed commits: listed commit ``k`` is state ``k + 1``, its first parent state ``k``."""

    folders: tuple[str, ...] = ()
    _states: dict[str, int] = field(default_factory=dict)
    _paths: dict[str, _PathHistory] = field(default_factory=dict)
    _under: dict[str, list[str]] = field(default_factory=dict)  # folder -> paths ever below it
    bodies: dict[str, bytes | None] = field(default_factory=dict)  # object id -> blob (None: not one)

    @classmethod
    def fold(cls, mainline: Sequence[MainlineCommit], folders: Sequence[str],
             tip: str | None = None) -> LineFiles:
        """``tip``: the commit the log was read from (it holds what the last listed commit left)."""
        files = cls(tuple(f.strip("/") for f in folders))
        for position, item in enumerate(mainline):
            if item.parent is not None:
                files._states.setdefault(item.parent, position)
            files._states[item.commit] = position + 1
            for change in item.changes:
                gone = change.blob == NULL_OID or change.status == "D"
                entry = None if gone else (change.mode, change.blob)
                files._record(change.path, position + 1, entry)
        if tip is not None:
            files._states.setdefault(tip, len(mainline))
        return files

    def _record(self, path: str, state: int, entry: Entry | None) -> None:
        history = self._paths.get(path)
        if history is None:
            history = self._paths[path] = _PathHistory()
            parts = path.split("/")
            for depth in range(1, len(parts)):
                self._under.setdefault("/".join(parts[:depth]), []).append(path)
        history.states.append(state)
        history.entries.append(entry)

    def state(self, rev: str) -> int | None:
        """The state of a commit of the line given by its full id (None: not one the fold knows)."""
        return self._states.get(rev) if _FULL_ID.fullmatch(rev) else None

    def covers(self, path: str) -> bool:
        """Whether the fold knows this path at every state (a plain path: a folder it read, or below)."""
        return _PLAIN_PATH.fullmatch(path) is not None and any(
            path == folder or path.startswith(f"{folder}/") for folder in self.folders)

    def entry(self, state: int, path: str) -> Entry | None:
        history = self._paths.get(path)
        return history.at(state) if history else None

    def listing(self, state: int, folder: str) -> list[str]:
        """The files below ``folder`` at ``state``, in Git's order (byte order of the full paths)."""
        return sorted((p for p in self._under.get(folder, ()) if self.entry(state, p) is not None),
                      key=lambda p: p.encode())

    def tree_key(self, state: int, path: str) -> tuple[tuple[str, ...], ...]:
        """What the tree (or file) at ``path`` holds at ``state``: equal keys, equal Git objects
        (a tree's id is the hash of exactly this listing). Empty: nothing there."""
        own = self.entry(state, path)
        if own is not None:
            return (own,)
        return tuple((p, *entry) for p in self.listing(state, path) if (entry := self.entry(state, p)))

    def blobs_below(self, prefix: str) -> set[str]:
        """Every object id ever held by a file below ``prefix``, at any state."""
        return {e[1] for p in self._under.get(prefix, ()) for e in self._paths[p].entries
                if e is not None and e[0] != GITLINK}


@dataclass(frozen=True)
class LineReader(Git):
    """A :class:`Git` that answers file reads at commits of the line from :class:`LineFiles`.

    Blobs are read from Git by id, a model folder's whole history in one batch, and kept. Calls
    the fold cannot answer exactly are Git's own: the answers never differ, only the cost.
    """

    files: LineFiles = field(default_factory=LineFiles, compare=False, repr=False)

    def resolve(self, ref: str) -> str:
        return ref if self.files.state(ref) is not None else super().resolve(ref)

    def read_blobs(self, rev: str, paths: Sequence[str]) -> dict[str, bytes | None]:
        state = self.files.state(rev)
        if state is None or not all(self.files.covers(p) for p in paths):
            return super().read_blobs(rev, paths)
        entries = {p: self.files.entry(state, p) for p in paths}
        self._load({e[1]: _group(p) for p, e in entries.items() if e is not None and e[0] != GITLINK})
        return {p: None if e is None or e[0] == GITLINK else self.files.bodies.get(e[1])
                for p, e in entries.items()}

    def list_files(self, rev: str, folder: str) -> list[str]:
        state, name = self.files.state(rev), folder.rstrip("/")
        if state is None or not self.files.covers(name):
            return super().list_files(rev, folder)
        return self.files.listing(state, name)

    def _load(self, wanted: dict[str, str]) -> None:
        """Read the missing blobs, with every blob their folders ever held (one ``cat-file``)."""
        missing = [oid for oid in wanted if oid not in self.files.bodies]
        if not missing:
            return
        batch = set(missing)
        for group in {wanted[oid] for oid in missing}:
            batch |= self.files.blobs_below(group)
        batch -= self.files.bodies.keys()
        self.files.bodies.update(self.read_objects(sorted(batch)))


def _group(path: str) -> str:
    """The folder whose history is read with a path: its model's (``models/<m>``), else its own."""
    parts = path.split("/")
    if parts[0] == layout.MODELS_DIR and len(parts) > 2:
        return "/".join(parts[:2])
    return "/".join(parts[:-1]) or path
