"""Git through one small typed wrapper: clean ``GIT_*`` environment, errors that show the command."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import EnvironmentProblem, GitError


def _clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    # Inherited GIT_DIR / GIT_INDEX_FILE (e.g. from a pre-commit hook) would point git elsewhere.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"})
    env.update(extra or {})
    return env


def find_repo_root(start: Path) -> Path:
    """The enclosing Git work tree of ``start`` (no subprocess: this runs on every command)."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    raise EnvironmentProblem(f"{start} is not inside a Git repository",
                             hint="run clinigate inside your registry's clone, or pass --repo DIR")


@dataclass(frozen=True)
class Change:
    status: str  # A added, M modified, D deleted, T type changed
    path: str


def _parse_batch(out: bytes, count: int) -> list[bytes | None]:
    blobs: list[bytes | None] = []
    pos = 0
    for _ in range(count):
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if header[-1] == b"missing" or header[1] != b"blob":
            blobs.append(None)
            continue
        size = int(header[2])
        blobs.append(out[pos:pos + size])
        pos += size + 1
    return blobs


@dataclass(frozen=True)
class Git:
    root: Path

    def run(self, args: Sequence[str], *, env: Mapping[str, str] | None = None,
            check: bool = True) -> str:
        exe = shutil.which("git")
        if exe is None:
            raise EnvironmentProblem("git is not installed or not on PATH")
        command = [exe, *args]
        proc = subprocess.run(command, cwd=self.root, env=_clean_env(env), capture_output=True,
                              text=True, check=False)
        if check and proc.returncode != 0:
            output = (proc.stderr or proc.stdout).strip()
            raise GitError(f"git {' '.join(args)} failed (exit {proc.returncode}): {output}")
        return proc.stdout

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
        return self.run(["rev-parse", "HEAD"]).strip()

    def resolve(self, ref: str) -> str:
        """The commit id ``ref`` names; a clear error when it names nothing."""
        out = self.run(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], check=False).strip()
        if not out:
            raise GitError(f"{ref!r} is not a commit in {self.root}",
                           hint="fetch it first (e.g. git fetch origin main) or pass another --base")
        return out

    def changes(self, base: str, head: str) -> list[Change]:
        """Files that differ between two commits (renames split into delete + add)."""
        out = self.run(["diff", "--no-renames", "--name-status", "-z", base, head])
        fields = out.split("\0")
        return [Change(fields[i], fields[i + 1]) for i in range(0, len(fields) - 1, 2)]

    def list_files(self, rev: str, folder: str) -> list[str]:
        """Paths of the files under ``folder`` at ``rev`` (empty when the folder is absent)."""
        out = self.run(["ls-tree", "-r", "-z", "--name-only", rev, "--", folder.rstrip("/") + "/"])
        return [p for p in out.split("\0") if p]

    def read_blobs(self, rev: str, paths: Sequence[str]) -> dict[str, bytes | None]:
        """File contents at ``rev`` in one ``git cat-file --batch`` call (None = absent)."""
        if not paths:
            return {}
        exe = shutil.which("git")
        if exe is None:
            raise EnvironmentProblem("git is not installed or not on PATH")
        request = "".join(f"{rev}:{p}\n" for p in paths).encode()
        proc = subprocess.run([exe, "cat-file", "--batch"], cwd=self.root, env=_clean_env(),
                              input=request, capture_output=True, check=False)
        if proc.returncode != 0:
            raise GitError(f"git cat-file --batch failed: {proc.stderr.decode(errors='replace')}")
        return dict(zip(paths, _parse_batch(proc.stdout, len(paths)), strict=True))

    def switch(self, branch: str, *, create: bool = False) -> None:
        self.run(["switch", "-q", *(["-c"] if create else []), branch])

    def current_branch(self) -> str:
        return self.run(["rev-parse", "--abbrev-ref", "HEAD"]).strip()
