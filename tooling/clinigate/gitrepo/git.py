"""Git through one small typed wrapper on GitPython: clean ``GIT_*`` environment, errors that
show the command.

Objects (blobs, trees, gitlinks, commits, names such as ``rev:path`` or ``ref^{commit}``) are
read through GitPython's object database (:mod:`.objects`), pushes through its ``Remote``
(:mod:`.remotes`). What stays a git process, on GitPython's runner (:mod:`.command`), is what
GitPython has no equal for: writing objects, trees and refs with git's own locks, permissions
and compare-and-swap; ``git log`` on the commit-graph's Bloom filters (:mod:`.log`); ``diff``,
``for-each-ref``, ``fetch`` and ``ls-remote``, each said why where it is called. GitPython is
imported on first use (:mod:`.session`), never by ``--help`` or ``validate``.
"""

from __future__ import annotations

import locale
import os
import shlex
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from ..errors import EnvironmentProblem, GitError
from .environment import failure
from .log import Ancestry, LastMainline, history_args, mainline_args, parse_history, parse_mainline
from .records import (  # the records are re-exported: gitrepo.git was once the whole layer
    NO_COMMIT_GRAPH_ENV,
    NULL_OID,
    REGULAR_FILE,
    Change,
    CommitRecord,
    MainlineCommit,
    ObjectInfo,
    RawChange,
    TreeFile,
)
from .session import Session

if TYPE_CHECKING:
    from .gitpython import git

__all__ = ["NO_COMMIT_GRAPH_ENV", "NULL_OID", "REGULAR_FILE", "Change", "CommitRecord", "Git",
           "MainlineCommit", "ObjectInfo", "RawChange", "TreeFile", "find_repo_root"]

_T = TypeVar("_T")


def find_repo_root(start: Path) -> Path:
    """The enclosing Git work tree of ``start`` (no subprocess: this runs on every command)."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    raise EnvironmentProblem(f"{start} is not inside a Git repository",
                             hint="run clinigate inside your registry's clone, or pass --repo DIR")


def _text(out: bytes) -> str:
    """Output as text mode read it before: the locale's encoding, universal newlines."""
    return out.decode(locale.getpreferredencoding(False)).replace("\r\n", "\n").replace("\r", "\n")


@dataclass(frozen=True)
class Git:
    root: Path
    # Extra environment of the calls that contact a remote (credentials: gitrepo.auth). Out of
    # repr and comparisons: it may hold a token.
    remote_env: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    # is_ancestor's memory: how often each descendant was asked about, and the ancestry of the
    # last one asked about repeatedly (commit ids are immutable: so is what they descend from).
    _ancestry: Ancestry = field(default_factory=Ancestry, repr=False, compare=False)
    _last_mainline: LastMainline = field(default_factory=LastMainline, repr=False, compare=False)
    # GitPython's runner and repository, opened on first use; shared by with_remote_env's copies.
    _session: Session = field(default_factory=Session, repr=False, compare=False)

    def with_remote_env(self, env: Mapping[str, str]) -> Git:
        """This clone, with ``env`` added to every call that contacts a remote."""
        return replace(self, remote_env=dict(env))

    def _exec(self, args: Sequence[str], *, data: bytes | None = None,
              env: Mapping[str, str] | None = None) -> tuple[int, bytes, bytes]:
        from .command import run

        return run(self._session.command(self.root), args, data=data, env=env)

    def _read(self, read: Callable[[git.Repo], _T]) -> _T:
        """``read`` on the repository, one thread at a time (its cat-file processes are shared)."""
        with self._session.lock:
            return read(self._session.repo(self.root))

    def run(self, args: Sequence[str], *, env: Mapping[str, str] | None = None,
            check: bool = True) -> str:
        status, out, err = self._exec(args, env=env)
        if check and status != 0:
            raise failure(args, status, _text(err) or _text(out))
        return _text(out)

    @classmethod
    def init(cls, root: Path, *, branch: str = "main") -> Git:
        root.mkdir(parents=True, exist_ok=True)
        repo = cls(root)
        repo.run(["init", "-q", "-b", branch])
        return repo

    def commit_all(self, message: str, *, author: str, email: str, date: str | None = None) -> str:
        """Stage everything and commit as ``author``; ``date`` (ISO 8601) fixes both dates."""
        self.run(["add", "-A"])
        env = {"GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": email,
               "GIT_COMMITTER_NAME": author, "GIT_COMMITTER_EMAIL": email}
        if date:
            env.update({"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date})
        self.run(["-c", "commit.gpgsign=false", "commit", "-q", "-m", message], env=env)
        return self.resolve("HEAD")

    def resolve(self, ref: str) -> str:
        """The commit id ``ref`` names; a clear error when it names nothing."""
        out = self.rev_parse(ref)
        if not out:
            name = ref.removeprefix("origin/")
            example = f"git fetch origin {shlex.quote(name)}" if name else "git fetch origin main"
            raise GitError(f"{ref!r} is not a commit in {self.root}",
                           hint="check the revision you named (a branch, tag or commit id); if it is "
                                f"another clone's, fetch it first (e.g. {example})")
        return out

    def changes(self, base: str, head: str) -> list[Change]:
        """Files that differ between two commits (renames split into delete + add).

        ``git diff`` itself, not GitPython's ``diff``: GitPython's reader of raw diffs strips
        newlines at either end of a path and splits records on ``\\0:``, so a path that starts
        with ``:`` or ends with a newline would come back wrong."""
        fields = self.run(["diff", "--no-renames", "--name-status", "-z", base, head]).split("\0")
        return [Change(fields[i], fields[i + 1]) for i in range(0, len(fields) - 1, 2)]

    def list_files(self, rev: str, folder: str) -> list[str]:
        """Paths of the files under ``folder`` at ``rev`` (empty when the folder is absent)."""
        return [f.path for f in self.tree_files(rev, [folder.rstrip("/") + "/"])]

    def read_blobs(self, rev: str, paths: Sequence[str]) -> dict[str, bytes | None]:
        """File contents at ``rev`` (None = absent or not a file), each read as ``rev:path``.

        A path holding a newline cannot be asked for on cat-file's line protocol; it is answered
        None (absent) instead of being split into two requests that would shift the answers.
        """
        from .objects import blob

        asked = list(dict.fromkeys(paths))
        found = self._read(lambda repo: {p: blob(repo, f"{rev}:{p}") for p in asked})
        return {p: found[p] for p in paths}

    def switch(self, branch: str, *, create: bool = False) -> None:
        self.run(["switch", "-q", *(["-c"] if create else []), branch])

    def current_branch(self) -> str:
        return self.run(["rev-parse", "--abbrev-ref", "HEAD"]).strip()

    # --- plumbing for refs that live beside the branches (the approval ledger) ---------------

    def run_bytes(self, args: Sequence[str], *, data: bytes | None = None,
                  env: Mapping[str, str] | None = None) -> bytes:
        """Like :meth:`run`, with raw bytes in and out (blobs, ``-z`` output)."""
        status, out, err = self._exec(args, data=data, env=env)
        if status != 0:
            raise failure(args, status, err or out)
        return out

    def rev_parse(self, ref: str) -> str | None:
        """The commit ``ref`` names, or None when it names nothing (:meth:`resolve` raises instead)."""
        from .objects import info

        try:
            found = self._read(lambda repo: info(repo, f"{ref}^{{commit}}"))
        except GitError:  # not a repository, or one git cannot read: it names nothing here
            return None
        return found.oid if found else None

    def git_dir(self) -> Path | None:
        """The clone's own Git directory (the one its worktrees share); None outside a repository."""
        dot_git = self.root / ".git"
        if dot_git.is_dir():
            return dot_git
        out = self.run(["rev-parse", "--git-common-dir"], check=False).strip()
        return (self.root / out).resolve() if out else None

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """Whether ``ancestor`` is ``descendant`` or one of its ancestors.

        Asked repeatedly about one descendant given by its full id (``audit verify --since``
        asks once per commit of a long history), the descendant's ancestry is read once with
        ``git rev-list`` and the answers that are in it come from memory; anything else is
        still ``git merge-base``'s answer, errors included.
        """
        from . import graph

        if self._ancestry.wants(descendant):
            self._ancestry.load(descendant, self._read(lambda repo: graph.ancestors(repo, descendant)))
        if self._ancestry.knows(ancestor, descendant):
            return True
        return self._read(lambda repo: graph.is_ancestor(repo, ancestor, descendant))

    def merge_base(self, a: str, b: str) -> str | None:
        """The best common ancestor of two commits, or None when they share no history."""
        from . import graph

        return self._read(lambda repo: graph.merge_base(repo, a, b))

    def on_first_parent_line(self, commit: str, tip: str) -> bool:
        """Whether ``commit`` is ``tip`` or one of its first parents, transitively: a commit the
        branch itself stood on, not one merged in from a side branch."""
        out = self.run_bytes(["rev-list", "--first-parent", tip])
        return commit.encode() in out.split()

    def write_blob(self, data: bytes) -> str:
        from .objects import store_blob

        return self._read(lambda repo: store_blob(repo, data))

    def read_objects(self, blob_ids: Sequence[str]) -> dict[str, bytes | None]:
        """Blobs by full id (None: missing, or not a blob).

        Faster than :meth:`read_blobs` (no path lookups). Bodies are read into memory: ask
        :meth:`object_info` first when an object may be too large to hold.
        """
        from .objects import blob

        unique = list(dict.fromkeys(blob_ids))
        return self._read(lambda repo: {oid: blob(repo, oid) for oid in unique})

    def object_info(self, object_ids: Sequence[str]) -> dict[str, ObjectInfo | None]:
        """Type and size of each object (None: not in this clone), without reading any body."""
        from .objects import info

        unique = list(dict.fromkeys(object_ids))
        return self._read(lambda repo: {name: info(repo, name) for name in unique})

    def read_commit(self, commit: str) -> bytes:
        """The bytes of the commit object ``commit`` names (what its id is the hash of, after
        the ``commit <size>\\0`` header)."""
        from .objects import raw_commit

        return self._read(lambda repo: raw_commit(repo, commit))

    def write_blobs(self, contents: Sequence[bytes]) -> list[str]:
        """Store ``contents`` as blobs; their ids, in order."""
        from .objects import store_blob

        return self._read(lambda repo: [store_blob(repo, data) for data in contents])

    def write_tree(self, base: str | None, files: Mapping[str, str],
                   modes: Mapping[str, str] | None = None) -> str:
        """A tree: ``base``'s files plus ``files`` (path -> blob id), built in a throwaway index.

        ``modes`` (path -> git mode) keeps an entry's mode when a commit is replayed; the
        default is a regular file. The user's index and work tree are never read or written.
        git's index builds the nested trees (and refuses paths it would never check out).
        """
        modes = modes or {}
        with tempfile.TemporaryDirectory(prefix="clinigate-index-") as folder:
            env = {"GIT_INDEX_FILE": str(Path(folder) / "index")}
            self.run(["read-tree", base] if base else ["read-tree", "--empty"], env=env)
            info = "".join(f"{modes.get(path, REGULAR_FILE)} {blob}\t{path}\0"
                           for path, blob in files.items())
            self.run_bytes(["update-index", "--add", "-z", "--index-info"], data=info.encode(), env=env)
            return self.run(["write-tree"], env=env).strip()

    def commit_tree(self, tree: str, parents: Sequence[str], message: str, *, name: str, email: str,
                    date: str, author_date: str | None = None) -> str:
        """A commit object for ``tree``; no branch, index or hook is involved. git writes it: its
        reading of the dates is what fixes the commit's id."""
        env = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": author_date or date,
               "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email, "GIT_COMMITTER_DATE": date}
        args = ["commit-tree", "--no-gpg-sign", tree, *(a for p in parents for a in ("-p", p))]
        return self.run_bytes(args, data=message.encode(), env=env).decode().strip()

    def update_ref(self, ref: str, new: str, expected: str | None) -> bool:
        """Compare-and-swap ``ref`` from ``expected`` (None: must not exist) to ``new``.

        False when someone else moved the ref first, so the caller can rebuild and retry.
        ``git update-ref`` with the old value: GitPython writes ref files without that check.
        """
        status, _, err = self._exec(["update-ref", ref, new, expected or NULL_OID])
        if status == 0:
            return True
        if self.rev_parse(ref) != expected:
            return False
        raise GitError(f"git update-ref {ref} {new} {expected} failed: "
                       f"{err.decode(errors='replace').strip()}")

    def set_ref(self, ref: str, new: str) -> None:
        self.run(["update-ref", ref, new])

    def refs(self, prefix: str) -> dict[str, str]:
        """Ref name -> object id for every ref under ``prefix`` (or named ``prefix``).

        ``git for-each-ref``: GitPython's ``Reference.iter_items`` walks loose ref folders and
        string-prefixes packed-refs, so it misses a loose ref named exactly ``prefix``."""
        out = self.run(["for-each-ref", "--format=%(refname) %(objectname)", prefix])
        pairs = (line.partition(" ") for line in out.splitlines() if line)
        return {name: oid for name, _, oid in pairs}

    def tree_files(self, rev: str, pathspecs: Sequence[str] = (), *, trees: bool = False) -> list[TreeFile]:
        """Every file of ``rev``'s tree (optionally under ``pathspecs``), with its object id.

        ``trees``: list the folders too (kind ``tree``), before what they hold. Names that are
        not UTF-8 are decoded with replacement characters: shown, never a crash.
        """
        from .objects import tree_files
        from .pathspec import Pathspec

        spec = Pathspec(pathspecs)
        return self._read(lambda repo: tree_files(repo, rev, spec, trees=trees, cache=self._session.trees))

    def history(self, revs: Sequence[str], pathspecs: Sequence[str] = ()) -> list[CommitRecord]:
        """Commits reachable from ``revs`` (newest first), each with its raw changes to its first parent.

        A merge's changes are those against its first parent. One ``git log`` for the whole history.
        """
        return parse_history(self.run_bytes(history_args(revs, pathspecs)).decode(errors="replace"))

    def mainline(self, rev: str, pathspecs: Sequence[str] = ()) -> list[MainlineCommit]:
        """``rev``'s first-parent line, oldest first: each commit's committer date, subject and raw
        changes against its first parent (the commits that touched ``pathspecs``). One ``git log``;
        asked again for the same commit id and pathspecs, the last answer (the history below a
        commit id does not change; only deepening a shallow clone would add to it)."""
        kept = self._last_mainline.get(rev, pathspecs)
        if kept is not None:
            return kept
        commits = parse_mainline(self.run_bytes(mainline_args(rev, pathspecs)).decode(errors="replace"))
        self._last_mainline.keep(rev, pathspecs, commits)
        return list(commits)

    def ensure_commit_graph(self) -> bool:
        """Write a commit-graph with changed-path Bloom filters when the clone has none; True if
        one was written now.

        Path-limited history (``git log -- models policies``) walks every commit of the line: the
        graph and its filters make that walk ~15× faster on 50,000 commits (notes/performance.md),
        for a one-off write of a few seconds. ``CLINIGATE_NO_COMMIT_GRAPH=1`` opts out. The graph is
        only a cache git keeps beside the objects: failing to write one (a read-only clone, a
        concurrent writer holding the lock, a git without ``--changed-paths``) changes nothing.
        """
        if os.environ.get(NO_COMMIT_GRAPH_ENV, "").strip() not in ("", "0") or self.has_commit_graph():
            return False
        try:
            self.run(["commit-graph", "write", "--reachable", "--changed-paths"])
        except GitError:
            return False
        return True

    def has_commit_graph(self) -> bool:
        """Whether the clone's object store holds a commit-graph (one file, or a split chain)."""
        dot_git = self.root / ".git"
        info = dot_git / "objects" / "info" if dot_git.is_dir() else None
        if info is None:  # a linked worktree or a submodule: ask git where the objects live
            out = self.run(["rev-parse", "--git-path", "objects/info"], check=False).strip()
            if not out:
                return False
            info = self.root / out
        return (info / "commit-graph").is_file() or (info / "commit-graphs").is_dir()

    def commit_message(self, commit: str) -> str:
        from .objects import commit as read_commit

        message = self._read(lambda repo: read_commit(repo, commit).message)
        text = message.decode(errors="replace") if isinstance(message, bytes) else message
        return text.rstrip("\n") + "\n"

    def remote_url(self, remote: str) -> str:
        """The URL git fetches ``remote`` from (``url.*.insteadOf`` applied)."""
        from . import remotes

        return self._read(lambda repo: remotes.url(repo, remote))

    def remote_ref(self, remote: str, ref: str) -> str | None:
        """What ``ref`` points at on ``remote`` (None when the remote has no such ref)."""
        from . import remotes

        return self._read(lambda repo: remotes.ref(repo, remote, ref, self.remote_env))

    def fetch_ref(self, remote: str, ref: str, into: str, *, force: bool = True) -> None:
        """Copy ``remote``'s ``ref`` to the local ``into``, even when it is not a fast-forward
        (``force=False``: only as a fast-forward, and an existing tag never). Both may be ``*``
        patterns."""
        from . import remotes

        refspec = f"{'+' if force else ''}{ref}:{into}"
        self._read(lambda repo: remotes.fetch(repo, remote, refspec, self.remote_env))

    def push_ref(self, remote: str, commit: str, ref: str) -> str | None:
        """Push ``commit`` to ``remote``'s ``ref`` as a fast-forward only.

        None when it landed; the remote's reason when the push was rejected (someone else moved the
        ref, or a protection rule refused it). An unreachable remote raises :class:`GitError`.
        """
        from . import remotes

        return self._read(lambda repo: remotes.push(repo, remote, f"{commit}:{ref}", self.remote_env))

