"""The registry's documents as they are at one Git revision, read in batches and loaded strictly.

Both ``check`` (base and head of a pull request) and ``sync`` (the desired state on main) read
documents this way: one ``git cat-file --batch`` per batch, every document through the strict
loader, screened for e-mail addresses of people not in that revision's roles.yaml.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePosixPath

from pydantic import BaseModel

from .. import layout
from ..gitrepo import Git
from .loader import LoadedFile, load_bytes
from .roles import Roles
from .version import ModelVersion
from .waiver import Waiver


class Snapshot:
    """Documents at one revision, loaded on demand (or prefetched in one batch), cached by path."""

    def __init__(self, git: Git, rev: str, emails: frozenset[str] = frozenset()) -> None:
        self.git, self.rev, self.emails = git, rev, emails
        self._loaded: dict[str, LoadedFile | None] = {}
        self._listing: dict[str, set[str]] = {}

    def prefetch(self, paths: Iterable[str]) -> None:
        todo = [p for p in dict.fromkeys(paths) if p not in self._loaded]
        for path, raw in self.git.read_blobs(self.rev, todo).items():
            self._loaded[path] = None if raw is None else load_bytes(path, raw, known_emails=self.emails)

    def get(self, path: str) -> LoadedFile | None:
        if path not in self._loaded:
            self.prefetch([path])
        return self._loaded[path]

    def doc(self, path: str) -> BaseModel | None:
        loaded = self.get(path)
        return loaded.document if loaded else None

    def versions(self, model: str) -> set[str]:
        if model not in self._listing:
            files = self.git.list_files(self.rev, layout.versions_dir(model))
            self._listing[model] = {PurePosixPath(f).stem for f in files if f.endswith(".yaml")}
        return self._listing[model]

    def reports(self, model: str) -> set[str]:
        """The ids of the model's monitoring reports at this revision."""
        files = self.git.list_files(self.rev, layout.monitoring_dir(model))
        return {PurePosixPath(f).stem for f in files if f.endswith(".yaml")}

    def waivers(self, model: str) -> dict[str, Waiver]:
        """The model's waivers that load at this revision, by path (an invalid one is its own finding)."""
        paths = [f for f in self.git.list_files(self.rev, layout.waivers_dir(model)) if f.endswith(".yaml")]
        self.prefetch(paths)
        return {p: doc for p in sorted(paths) if isinstance(doc := self.doc(p), Waiver)}

    def version(self, model: str, version: str | None) -> ModelVersion | None:
        if version is None:
            return None
        doc = self.doc(layout.version_path(model, version))
        return doc if isinstance(doc, ModelVersion) else None

    def roles(self) -> Roles | None:
        roles = self.doc(layout.ROLES_PATH)
        return roles if isinstance(roles, Roles) else None

    @classmethod
    def with_roles(cls, git: Git, rev: str) -> Snapshot:
        """A snapshot whose documents are screened against that revision's roles.yaml."""
        snapshot = cls(git, rev)
        roles = snapshot.roles()
        # Documents loaded from here on are screened for e-mail addresses of unknown people.
        snapshot.emails = frozenset(p.email.lower() for p in roles.people) if roles else frozenset()
        return snapshot
