"""The documents at one commit of the first-parent line, for judging a long history.

Imported only when a question needs judging (it brings the document models): answers read from
the audit cache never load it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from ..gitrepo import Git
from ..manifest.loader import LoadedFile
from ..manifest.revision import Snapshot
from .line import LineFiles


class LandingDocuments(Snapshot):
    """The documents at one commit of the line, each blob loaded once for the whole audit.

    A long history holds the same manifests at thousands of commits; ``loaded`` (shared by every
    landing) keeps one loaded copy per (path, blob). Each landing gets its own copy of the
    findings list, which cross-checks append to.
    """

    def __init__(self, git: Git, rev: str, files: LineFiles,
                 loaded: dict[tuple[str, str], LoadedFile]) -> None:
        super().__init__(git, rev)
        self.files, self.shared = files, loaded

    def prefetch(self, paths: Iterable[str]) -> None:
        from ..manifest.loader import load_bytes

        todo = [p for p in dict.fromkeys(paths) if p not in self._loaded]
        state = self.files.state(self.rev)
        if state is None or self.emails or not all(self.files.covers(p) for p in todo):
            super().prefetch(todo)
            return
        for path, raw in self.git.read_blobs(self.rev, todo).items():
            entry = self.files.entry(state, path)
            if raw is None or entry is None:
                self._loaded[path] = None
                continue
            key = (path, entry[1])
            if key not in self.shared:
                self.shared[key] = load_bytes(path, raw)
            shared = self.shared[key]
            self._loaded[path] = replace(shared, findings=list(shared.findings))
