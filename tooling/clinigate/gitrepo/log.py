"""History as ``git log`` prints it, and what is kept of it between questions.

``git log`` stays a git process (through GitPython's runner, :mod:`.command`): a path-limited
walk of a 50,000-commit line is ~15x faster on the commit-graph's changed-path Bloom filters
(notes/performance.md), which only git reads; walking commits as GitPython objects would diff
every commit's trees in Python. What is parsed here is ``log -z --raw`` output, never an object.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .records import FULL_ID, CommitRecord, MainlineCommit, RawChange


def history_args(revs: Sequence[str], pathspecs: Sequence[str]) -> list[str]:
    return ["log", "-z", "--raw", "--no-renames", "--no-abbrev", "--root", "--diff-merges=first-parent",
            "--format=%x01%H %P %aI", *revs, "--", *pathspecs]


def mainline_args(rev: str, pathspecs: Sequence[str]) -> list[str]:
    return ["log", "--first-parent", "--reverse", "-z", "--raw", "--no-renames", "--no-abbrev", "--root",
            "--diff-merges=first-parent", "--format=%x01%H %P %cI%x00%s", rev, "--", *pathspecs]


def parse_history(out: str) -> list[CommitRecord]:
    # Tokens are read in order, so a path that contains the \x01 marker is still taken as a path.
    heads: list[tuple[str, tuple[str, ...], str, list[RawChange]]] = []
    tokens = iter(out.split("\0"))
    for token in tokens:
        token = token.lstrip("\n")
        if token.startswith("\x01"):
            commit, *parents, date = token[1:].split(" ")
            heads.append((commit, tuple(p for p in parents if p), date, []))
        elif token.startswith(":"):
            meta = token[1:].split(" ")
            heads[-1][3].append(RawChange(status=meta[4][0], path=next(tokens), blob=meta[3], mode=meta[1]))
    return [CommitRecord(commit, parents, date, tuple(changes)) for commit, parents, date, changes in heads]


def parse_mainline(out: str) -> list[MainlineCommit]:
    commits: list[MainlineCommit] = []
    tokens = iter(out.split("\0"))
    head: tuple[str, str | None, str, str] | None = None
    changes: list[RawChange] = []
    for token in tokens:
        token = token.lstrip("\n")
        if token.startswith("\x01"):
            if head is not None:
                commits.append(MainlineCommit(*head, tuple(changes)))
            commit, *parents, date = token[1:].split(" ")
            parent = parents[0] if parents and parents[0] else None
            head, changes = (commit, parent, date, next(tokens, "")), []
        elif token.startswith(":") and head is not None:
            meta = token[1:].split(" ")
            changes.append(RawChange(status=meta[4][0], path=next(tokens), blob=meta[3], mode=meta[1]))
    if head is not None:
        commits.append(MainlineCommit(*head, tuple(changes)))
    return commits


@dataclass
class Ancestry:
    """The ancestry of one commit, read once it has been asked about ``LOAD_AFTER`` times (one
    ``rev-list`` costs about two ``merge-base --is-ancestor`` on a 50,000-commit line)."""

    LOAD_AFTER = 3
    asked: dict[str, int] = field(default_factory=dict)
    commit: str | None = None
    ancestors: frozenset[str] = frozenset()

    def knows(self, ancestor: str, descendant: str) -> bool:
        return descendant == self.commit and ancestor in self.ancestors

    def wants(self, descendant: str) -> bool:
        if descendant == self.commit or not FULL_ID.fullmatch(descendant):
            return False
        self.asked[descendant] = self.asked.get(descendant, 0) + 1
        return self.asked[descendant] >= self.LOAD_AFTER

    def load(self, descendant: str, ancestors: frozenset[str]) -> None:
        self.commit, self.ancestors = descendant, ancestors  # only the last one: bounded memory
        self.asked.clear()


@dataclass
class LastMainline:
    """The last first-parent log read, by commit id and pathspecs: ``audit verify`` folds it into
    events and then reads its changes again (a second ``git log`` of 50,000 commits)."""

    kept: dict[tuple[str, tuple[str, ...]], list[MainlineCommit]] = field(default_factory=dict)

    def get(self, rev: str, pathspecs: Sequence[str]) -> list[MainlineCommit] | None:
        found = self.kept.get((rev, tuple(pathspecs)))
        return None if found is None else list(found)

    def keep(self, rev: str, pathspecs: Sequence[str], commits: list[MainlineCommit]) -> None:
        if FULL_ID.fullmatch(rev):  # a name may move; the history below a commit id does not
            self.kept.clear()  # one kept: bounded memory
            self.kept[(rev, tuple(pathspecs))] = commits
