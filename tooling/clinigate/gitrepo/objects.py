"""Reading Git objects through GitPython: headers, bodies, trees and commits.

Objects come from GitPython's object database on git (``GitCmdObjectDB``: one persistent
``git cat-file --batch`` and one ``--batch-check`` per repository, whose answers GitPython
parses); trees are parsed by GitPython (``tree_entries_from_data``), commits are GitPython
``Commit`` objects. Nothing here reads ``cat-file`` output itself.

A name git answers "missing" or "ambiguous" for is None. GitPython raises ValueError for
those, and also when the process stopped answering (it then says "SHA is empty"): that one is
a :class:`GitError`, with what git printed, and the processes are restarted on the next call.
"""

from __future__ import annotations

import stat
from collections.abc import Callable
from io import BytesIO
from typing import TypeVar

from ..errors import GitError
from .gitpython import IStream, git, tree_entries_from_data
from .pathspec import Pathspec
from .records import ObjectInfo, TreeFile

_T = TypeVar("_T")
TreeEntries = list[tuple[bytes, int, str]]  # (binary id, mode, name), as GitPython parses a tree
_CHUNK = 1 << 16


def _ask(repo: git.Repo, name: str, read: Callable[[str], _T]) -> _T | None:
    if "\n" in name:  # one request is one line: such a name can only be absent
        return None
    try:
        return read(name)
    except ValueError as exc:
        if not str(exc).startswith("SHA is empty"):
            return None  # git answered "<name> missing" or "<name> ambiguous"
        raise _stopped(repo, exc) from exc
    except OSError as exc:  # the pipe to a process that has gone
        raise _stopped(repo, exc) from exc


def _stopped(repo: git.Repo, exc: Exception) -> GitError:
    said = []
    for process in (repo.git.cat_file_header, repo.git.cat_file_all):
        if process is not None and process.proc is not None and process.proc.poll() is not None:
            said.append(process.proc.stderr.read().decode(errors="replace").strip())
    repo.git.clear_cache()  # the next question starts new processes
    return GitError(f"git cat-file failed: {' '.join(filter(None, said)) or exc}")


def info(repo: git.Repo, name: str) -> ObjectInfo | None:
    """Type, size and id of the object ``name`` names (an id, ``rev:path``, ``ref^{commit}``…)."""
    found = _ask(repo, name, repo.git.get_object_header)
    return None if found is None else ObjectInfo(_str(found[1]), found[2], _str(found[0]))


def blob(repo: git.Repo, name: str) -> bytes | None:
    """The body of the blob ``name`` names; None when it names nothing, or a tree, commit or tag
    (whose body is read to its end all the same: the next answer starts where it should)."""
    found = _ask(repo, name, repo.git.stream_object_data)
    if found is None:
        return None
    _, kind, size, stream = found
    if _str(kind) == "blob":
        return stream.read(size)
    while stream.read(_CHUNK):
        pass
    return None


def _str(value: str | bytes) -> str:
    """GitPython hands a header's fields over as read from the pipe: bytes."""
    return value.decode() if isinstance(value, bytes) else value


def store_blob(repo: git.Repo, data: bytes) -> str:
    """``data`` written as a blob (GitPython's ``store``: ``git hash-object -w`` does the writing)."""
    stored = repo.odb.store(IStream("blob", len(data), BytesIO(data)))
    if stored.binsha is None or len(stored.binsha) != 20:
        raise GitError("git hash-object -w wrote no blob")
    return bytes(stored.binsha).hex()


def commit(repo: git.Repo, rev: str) -> git.Commit:
    found = info(repo, f"{rev}^{{commit}}")
    if found is None:
        raise GitError(f"{rev!r} is not a commit in {repo.git.working_dir}")
    return git.Commit(repo, bytes.fromhex(found.oid))


def raw_commit(repo: git.Repo, rev: str) -> bytes:
    """The commit object's bytes, as its id hashes them (after the ``commit <size>\\0`` header)."""
    stream = _ask(repo, commit(repo, rev).hexsha, lambda oid: repo.odb.stream(bytes.fromhex(oid)))
    if stream is None:
        raise GitError(f"the commit {rev!r} cannot be read")
    data: bytes = stream.read()
    return data


def tree_files(repo: git.Repo, rev: str, spec: Pathspec, *, trees: bool,
               cache: dict[bytes, TreeEntries]) -> list[TreeFile]:
    """What ``git ls-tree -r [-t] --full-tree rev -- <spec>`` lists, in its order (a folder
    before what it holds, each folder in tree order); ``cache`` keeps parsed trees by id."""
    root = info(repo, f"{rev}^{{tree}}")
    if root is None:
        raise GitError(f"{rev!r} is not a commit or tree in {repo.git.working_dir}")
    listed: list[TreeFile] = []
    _walk(repo, bytes.fromhex(root.oid), "", spec, trees, cache, listed)
    return listed


def _walk(repo: git.Repo, tree: bytes, prefix: str, spec: Pathspec | None, trees: bool,
          cache: dict[bytes, TreeEntries], listed: list[TreeFile]) -> None:
    """``spec`` None: everything below matches."""
    for binsha, mode, name in _entries(repo, tree, prefix, cache):
        path = prefix + name
        folder = stat.S_ISDIR(mode)
        verdict = Pathspec.MATCH if spec is None else spec.judge(path, folder or _gitlink(mode))
        if verdict == Pathspec.NONE or (not folder and verdict != Pathspec.MATCH):
            continue
        if not folder or trees:
            listed.append(_tree_file(path, binsha, mode))
        if folder:
            below = None if verdict == Pathspec.MATCH else spec
            _walk(repo, binsha, path + "/", below, trees, cache, listed)


def _entries(repo: git.Repo, tree: bytes, prefix: str, cache: dict[bytes, TreeEntries]) -> TreeEntries:
    entries = cache.get(tree)
    if entries is None:
        stream = _ask(repo, tree.hex(), lambda oid: repo.odb.stream(bytes.fromhex(oid)))
        if stream is None or _str(stream.type) != "tree":
            raise GitError(f"the tree {tree.hex()} of {prefix or '/'!r} is not in this clone")
        try:
            entries = tree_entries_from_data(stream.read())
        except ValueError as exc:  # GitPython refuses trees git's fsck would flag (".git", "..")
            raise GitError(f"the tree of {prefix or '/'!r} cannot be read: {exc}") from exc
        cache[tree] = entries
    return entries


def _gitlink(mode: int) -> bool:
    return stat.S_IFMT(mode) == 0o160000


def _tree_file(path: str, binsha: bytes, mode: int) -> TreeFile:
    """As ls-tree prints an entry: the canonical mode in six digits, the kind the mode implies,
    and a name that is not UTF-8 with replacement characters (GitPython keeps surrogates)."""
    shown = path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return TreeFile(path=shown, blob=binsha.hex(), mode=f"{_canonical(mode):06o}",
                    kind="tree" if stat.S_ISDIR(mode) else "commit" if _gitlink(mode) else "blob")


def _canonical(mode: int) -> int:
    if stat.S_ISREG(mode):
        return 0o100755 if mode & 0o100 else 0o100644
    if stat.S_ISLNK(mode):
        return 0o120000
    return 0o040000 if stat.S_ISDIR(mode) else 0o160000
