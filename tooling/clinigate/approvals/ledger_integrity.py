"""The ledger's integrity checks: an append-only line of commits, each file an act under its name.

    checks = LedgerChecks(ledger)      # what Ledger.check_history, rewinds and push run
    problems = checks.check_history()  # every way the ledger differs from an append-only log

Two kinds of check. Of the history: every commit only adds files (no merge, no edit, no
deletion), and the ledger still contains every head recorded of it (tips this clone saw on a
remote or wrote, tips `ledger push` tagged, heads recorded elsewhere). Of the files at one tip,
never trusting one: listed with its mode, sized before it is read, parsed once; a file that is
not a readable act under its own name is one :class:`LedgerProblem` and never hides another.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import ClinigateError
from ..gitrepo.git import REGULAR_FILE, CommitRecord, ObjectInfo, TreeFile
from .act import MAX_BUNDLE_BYTES, ActBundle, BundleUnreadable
from .ledger_layout import HEAD_TAGS, LAYOUT, SEEN_PREFIX, WRITTEN_REF, folder_in_layout, parse_entry_path

if TYPE_CHECKING:
    from ..gitrepo import Git
    from .ledger import Ledger

Candidate = tuple[TreeFile, tuple[str, str, str, str]]  # a file that may be an act, its parsed name


class LedgerIntegrityError(ClinigateError):
    """The ledger's history is not append-only, or an entry is not what its name says (exit 1)."""

    exit_code = 1


class LedgerRewritten(LedgerIntegrityError):
    """A remote's ledger no longer descends from the tip this clone saw there before."""


class LedgerRewound(LedgerIntegrityError):
    """The ledger lacks a head clinigate relied on, or a commit that does more than add files.

    Approvals from such a ledger are refused as a whole: the commit that was dropped or the file
    that was deleted may have been a revocation.
    """

    def __init__(self, problems: Sequence[LedgerProblem]) -> None:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"[{first.rule}] {first.message}{more}; no approval on it is counted",
                         hint="run `clinigate ledger fetch` first; if the remote lacks the commit too, "
                              "restore the ledger ref from a clone or backup that holds it (`clinigate "
                              "verify` lists every problem) and protect the ref")
        self.problems = list(problems)


@dataclass(frozen=True)
class LedgerProblem:
    rule: str
    message: str
    path: str | None = None
    commit: str | None = None


# --- the history ----------------------------------------------------------------------------------

class LedgerChecks:
    """The history checks of one :class:`~.ledger.Ledger` (its ref, in its clone)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    @property
    def git(self) -> Git:
        return self.ledger.git

    def check_history(self) -> list[LedgerProblem]:
        """Every way the ledger differs from an append-only log of acts, each under its own name."""
        tip = self.ledger.tip()
        if tip is None:
            return self.rewinds()  # a deleted ledger: every published head is missing
        problems = [p for record in self.git.history([tip]) for p in commit_problems(record)]
        problems += self.ledger.read().problems
        problems += self._descent_problems(tip)
        return problems

    def rewinds(self, recorded: Mapping[str, str] | None = None) -> list[LedgerProblem]:
        """See :meth:`.ledger.Ledger.rewinds`."""
        tip = self.ledger.tip()
        heads = {**self._published_heads(), **self._local_heads(), **(recorded or {})}
        problems = self._missing(tip, heads, "ledger.rewound")
        if tip is not None:
            problems += [p for record in self.git.history([tip]) for p in commit_problems(record)]
        return problems

    def refuse_broken_history(self, local: str, published: str | None) -> None:
        """Refuse to publish commits that rewrite the ledger or add files that are not acts.

        What the remote already holds is reported by `verify`, but must not block every later
        push: the ledger is append-only, so a bad entry once published is there for good.
        """
        problems = self._descent_problems(local)
        unpublished = self.git.history([local, *([f"^{published}"] if published else [])])
        problems += [p for record in unpublished for p in commit_problems(record)]
        added = {c.path for record in unpublished for c in record.changes if c.status == "A"}
        problems += [p for p in self.ledger.read().problems if p.path and _touches(p.path, added)]
        if problems:
            raise LedgerIntegrityError(
                f"refusing to push a ledger that is not append-only or holds entries that are not "
                f"approval acts: [{problems[0].rule}] {problems[0].message}"
                + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
                hint="run `clinigate verify` for the full list")

    def _local_heads(self) -> dict[str, str]:
        """Tips this clone saw on each remote and the last tip it wrote. Name -> commit."""
        return self.git.refs(SEEN_PREFIX.rstrip("/")) | self.git.refs(WRITTEN_REF)

    def _published_heads(self) -> dict[str, str]:
        """Tips `ledger push` published (:data:`HEAD_TAGS`, fetched back by `ledger fetch`)."""
        return self.git.refs(HEAD_TAGS.rstrip("/"))

    def _missing(self, tip: str | None, heads: Mapping[str, str], rule: str) -> list[LedgerProblem]:
        """One problem per recorded head the ledger at ``tip`` does not contain."""
        return [LedgerProblem(rule, f"{self.ledger.ref} is at {tip or '(nothing)'}, which does not contain "
                              f"{commit}, a ledger head recorded by {name}", commit=commit)
                for name, commit in sorted(heads.items()) if not self._contains(tip, commit)]

    def _contains(self, tip: str | None, commit: str) -> bool:
        if tip is None or self.git.rev_parse(commit) is None:  # a commit this clone never got
            return False
        return self.git.is_ancestor(commit, tip)

    def _descent_problems(self, tip: str) -> list[LedgerProblem]:
        # This clone's own record is a rewritten history; a published head missing is a rewind.
        return (self._missing(tip, self._local_heads(), "ledger.history_rewritten")
                + self._missing(tip, self._published_heads(), "ledger.rewound"))


def commit_problems(record: CommitRecord) -> Iterable[LedgerProblem]:
    """A merge, or a change other than an added file: the ledger is a single line of appends."""
    if len(record.parents) > 1:
        yield LedgerProblem("ledger.merge_commit",
                            f"ledger commit {record.commit} is a merge; the ledger is a single line "
                            "of appends", commit=record.commit)
    verbs = {"M": "modifies", "D": "deletes", "T": "changes the type of"}
    for change in record.changes:
        if change.status != "A":
            yield LedgerProblem("ledger.rewritten_entry",
                                f"ledger commit {record.commit} {verbs.get(change.status, 'changes')} "
                                f"{change.path}; entries may only be added",
                                path=change.path, commit=record.commit)


def _touches(path: str, added: set[str]) -> bool:
    """Whether ``path`` (a file, or a folder reported whole) is or holds one of ``added``."""
    return path in added or any(a.startswith(path + "/") for a in added)


# --- the files ------------------------------------------------------------------------------------

def sort_out(listing: Sequence[TreeFile]) -> tuple[list[Candidate], list[LedgerProblem]]:
    """Files that may be acts (a regular file under a layout name), and a problem for the rest.

    A folder that does not belong is reported once, as a whole: what it holds is not an entry
    and is not listed file by file (a thousand files in it are one finding, not a thousand).
    """
    candidates, problems, refused = [], [], set()
    for item in listing:
        parts = item.path.split("/")
        if any("/".join(parts[:n]) in refused for n in range(1, len(parts))):
            continue
        if item.kind == "tree":
            if not folder_in_layout(parts):
                refused.add(item.path)
                problems.append(_tree_problem(item))
            continue
        parsed = parse_entry_path(item.path)
        problem = _path_problem(item) if parsed is None else _mode_problem(item)
        if problem is not None:
            problems.append(problem)
        elif parsed is not None:
            candidates.append((item, parsed))
    return candidates, problems


def _path_problem(item: TreeFile) -> LedgerProblem:
    return LedgerProblem("ledger.entry_path", f"{item.path} is not {LAYOUT}", path=item.path)


def _tree_problem(item: TreeFile) -> LedgerProblem:
    if parse_entry_path(item.path) is not None:
        return LedgerProblem("ledger.entry_tree", f"{item.path} is a folder where the layout puts one "
                             "act's bundle file; nothing in it is read", path=item.path)
    return LedgerProblem("ledger.entry_path", f"{item.path}/ is a folder outside {LAYOUT}; nothing in "
                         "it is read", path=item.path)


def _mode_problem(item: TreeFile) -> LedgerProblem | None:
    # ls-tree names the kind after the mode; both are checked so neither can pass for the other.
    if item.mode == "160000" or item.kind == "commit":
        return LedgerProblem("ledger.entry_gitlink", f"{item.path} is a gitlink (a submodule commit "
                             f"{item.blob}), not an act's bundle file", path=item.path)
    if item.mode == "120000":
        return LedgerProblem("ledger.entry_symlink", f"{item.path} is a symbolic link, not an act's bundle "
                             "file; it is not followed", path=item.path)
    if item.mode != REGULAR_FILE or item.kind != "blob":
        return LedgerProblem("ledger.entry_mode", f"{item.path} has mode {item.mode} ({item.kind}); the "
                             f"ledger only holds regular files ({REGULAR_FILE})", path=item.path)
    return None


def object_problem(item: TreeFile, info: ObjectInfo | None) -> LedgerProblem | None:
    """What is wrong with the object a candidate names (missing, not a blob, too big), if anything."""
    if info is None:
        return LedgerProblem("ledger.entry_missing", f"{item.path} names blob {item.blob}, which this clone "
                             "does not have", path=item.path)
    if info.kind != "blob":
        return LedgerProblem("ledger.entry_object", f"{item.path} is listed as a file but names a "
                             f"{info.kind} object ({item.blob})", path=item.path)
    if info.size > MAX_BUNDLE_BYTES:
        # Sized from the object header: a 50 MB blob is refused without being read.
        return LedgerProblem("ledger.entry_size", f"{item.path} is {info.size} bytes, more than an "
                             f"approval bundle may hold ({MAX_BUNDLE_BYTES}); it is not read", path=item.path)
    return None


def content_problem(item: TreeFile, parsed: tuple[str, str, str, str],
                    raw: bytes) -> tuple[LedgerProblem | None, str]:
    """(None, the act's text) for a readable act under its own name, else (the problem, "")."""
    try:
        act = ActBundle.from_bytes(raw)
    except BundleUnreadable as exc:
        return LedgerProblem(exc.rule, f"{item.path}: {exc.message}", path=item.path), ""
    if act.act_id != parsed[3]:
        return LedgerProblem("ledger.entry_name", f"{item.path} holds act {act.act_id}, not the act its "
                             "name says: every file is named by the sha256 of the statement it signs",
                             path=item.path), ""
    return None, act.text


def holds_own_act(git: Git, path: str, blob: str) -> bool:
    """Whether the file at ``path`` is a readable act whose id is the one its name gives."""
    parsed = parse_entry_path(path)
    info = git.object_info([blob]).get(blob)
    if parsed is None or info is None or info.kind != "blob" or info.size > MAX_BUNDLE_BYTES:
        return False
    try:
        return ActBundle.from_bytes(git.read_objects([blob])[blob] or b"").act_id == parsed[3]
    except BundleUnreadable:
        return False
