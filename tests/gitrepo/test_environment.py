"""Every git process of the Git layer gets clinigate's environment, not the caller's: an
inherited GIT_DIR, GIT_INDEX_FILE, GIT_WORK_TREE or GIT_OBJECT_DIRECTORY (a hook's) never
points git at another repository or index; prompts are off."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from clinigate.gitrepo import Git

DATE = "2026-01-05T09:00:00+00:00"


def _repo(path: Path, content: bytes) -> Git:
    repo = Git.init(path)
    (path / "a.txt").write_bytes(content)
    repo.commit_all("one", author="T", email="t@test.invalid", date=DATE)
    return repo


def test_inherited_git_variables_point_nowhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other, mine = _repo(tmp_path / "other", b"other\n"), _repo(tmp_path / "mine", b"mine\n")
    hook_index = tmp_path / "hook-index"
    hook_index.write_bytes(b"not an index")
    monkeypatch.setenv("GIT_DIR", str(other.root / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other.root))
    monkeypatch.setenv("GIT_INDEX_FILE", str(hook_index))
    monkeypatch.setenv("GIT_OBJECT_DIRECTORY", str(other.root / ".git" / "objects"))
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Inherited")

    repo = Git(mine.root)  # opened (GitPython, cat-file processes) while they are set
    assert repo.read_blobs("HEAD", ["a.txt"]) == {"a.txt": b"mine\n"}
    assert repo.rev_parse("HEAD") == mine.rev_parse("HEAD") != other.rev_parse("HEAD")
    assert Path(repo.run(["rev-parse", "--show-toplevel"]).strip()) == mine.root.resolve()
    tree = repo.write_tree("HEAD", {"b.txt": repo.write_blob(b"b\n")})
    assert [f.path for f in repo.tree_files(tree)] == ["a.txt", "b.txt"]
    assert hook_index.read_bytes() == b"not an index"
    commit = repo.commit_tree(tree, [repo.resolve("HEAD")], "two\n", name="Mine", email="m@test.invalid", date=DATE)
    assert b"author Mine <m@test.invalid>" in repo.read_commit(commit)


def test_what_a_git_process_sees(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _repo(tmp_path / "repo", b"a\n")
    monkeypatch.setenv("GIT_DIR", "/nowhere")
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "1")
    seen = repo.run(["-c", "alias.show-env=!env", "show-env"], env={"GIT_AUTHOR_NAME": "Passed"})
    env = dict(line.split("=", 1) for line in seen.splitlines() if "=" in line)
    assert (env.get("GIT_TERMINAL_PROMPT"), env.get("LC_ALL"), env.get("GIT_AUTHOR_NAME")) == ("0", "C", "Passed")
    assert "/nowhere" not in env.values()


def test_no_git_on_path_is_an_environment_problem(tmp_path: Path) -> None:
    code = ("from pathlib import Path\nfrom clinigate.errors import EnvironmentProblem\n"
            "from clinigate.gitrepo import Git\n"
            "try:\n    Git(Path('.')).read_blobs('HEAD', ['a'])\nexcept EnvironmentProblem as exc:\n"
            "    print(type(exc).__name__, exc.message)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True,
                          env={"PATH": str(tmp_path), "PYTHONPATH": ":".join(sys.path)})
    assert done.stdout.strip() == "EnvironmentProblem git is not installed or not on PATH"
