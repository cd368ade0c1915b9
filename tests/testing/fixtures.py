"""Fixtures: real registries copied into tmp_path, real git repositories, the CLI in-process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_PARTS = ("models", "policies", "schemas")
INITIAL_DATE = "2026-01-05T09:00:00+00:00"  # git's author and committer date unless told (init_repo's commit)
CHANGE_DATE = "2026-02-01T10:00:00+00:00"  # a later day, for the changes made on top of it


def copy_example_registry(dest: Path) -> Path:
    for part in EXAMPLE_PARTS:
        shutil.copytree(REPO_ROOT / part, dest / part, ignore=shutil.ignore_patterns(".keep"))
    return dest


def merged_is_approved(repo: Path) -> None:
    """Let sync deploy merged versions without signed approvals (tests of MLflow mechanics)."""
    trust = repo / "policies" / "trust" / "trust.yaml"
    text = trust.read_text(encoding="utf-8")
    trust.write_text(text.replace("require_signed_approvals: true", "require_signed_approvals: false"),
                     encoding="utf-8")


def git(repo: Path, *args: str, date: str = INITIAL_DATE) -> str:
    env = {
        "PATH": "/usr/bin:/bin:/usr/local/bin",
        "HOME": str(repo),
        "GIT_AUTHOR_NAME": "Test Author", "GIT_AUTHOR_EMAIL": "author@test.invalid",
        "GIT_COMMITTER_NAME": "Test Author", "GIT_COMMITTER_EMAIL": "author@test.invalid",
        "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date, "GIT_CONFIG_NOSYSTEM": "1",
    }
    proc = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)
    return proc.stdout


def init_repo(path: Path) -> Path:
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "initial registry")
    return path


def commit_all(repo: Path, message: str, date: str | datetime = CHANGE_DATE) -> str:
    """Stage everything and commit it, unsigned, dated ``date``; the new commit's id."""
    when = date.isoformat() if isinstance(date, datetime) else date
    git(repo, "add", "-A")
    git(repo, "-c", "commit.gpgsign=false", "commit", "-q", "-m", message, date=when)
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    """A real Git repository holding a copy of the bundled example registry."""
    repo = tmp_path / "registry"
    repo.mkdir()
    copy_example_registry(repo)
    return init_repo(repo)


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli() -> Callable[..., CliResult]:
    """Run the real console entry point in a subprocess (exit codes and streams as users see them)."""

    def run(*args: str, cwd: Path | None = None, timeout: float = 120,
            env: dict[str, str] | None = None) -> CliResult:
        """``env``: variables added to this process's environment for the run."""
        proc = subprocess.run([sys.executable, "-m", "clinigate", *args], cwd=cwd, capture_output=True,
                              text=True, timeout=timeout, env={**os.environ, **env} if env else None)
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run
