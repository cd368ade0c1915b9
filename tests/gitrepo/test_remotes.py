"""Pushes, fetches and remote refs between two local clones: a push by commit id lands or gives
the remote's reason, an unreachable remote raises, fetches leave FETCH_HEAD alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinigate.errors import GitError
from clinigate.gitrepo import Git

DATE = "2026-01-05T09:00:00+00:00"


def _commit(repo: Git, name: str, parents: list[str]) -> str:
    tree = repo.write_tree(None, {f"{name}.txt": repo.write_blob(name.encode())})
    return repo.commit_tree(tree, parents, f"{name}\n", name="T", email="t@test.invalid", date=DATE)


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Git, Git]:
    origin = Git(tmp_path / "origin.git")
    origin.root.mkdir()
    origin.run(["init", "-q", "--bare"])
    local = Git.init(tmp_path / "local")
    local.run(["remote", "add", "origin", str(origin.root)])
    return origin, local


def test_a_push_by_commit_id_lands_or_says_why_not(pair: tuple[Git, Git], tmp_path: Path) -> None:
    origin, local = pair
    first = _commit(local, "one", [])
    assert local.push_ref("origin", first, "refs/heads/x") is None
    assert origin.rev_parse("refs/heads/x") == first == local.remote_ref("origin", "refs/heads/x")
    assert local.push_ref("origin", first, "refs/heads/x") is None  # up to date
    sideways = _commit(local, "two", [])
    assert local.push_ref("origin", sideways, "refs/heads/x") == "[rejected] (non-fast-forward)"
    assert origin.rev_parse("refs/heads/x") == first
    with pytest.raises(GitError, match="does not appear to be a git repository"):
        local.push_ref(str(tmp_path / "nowhere.git"), first, "refs/heads/x")


def test_fetches_and_remote_refs(pair: tuple[Git, Git], tmp_path: Path) -> None:
    origin, local = pair
    first = _commit(local, "one", [])
    local.push_ref("origin", first, "refs/heads/x")
    other = Git(tmp_path / "other")
    other.root.mkdir()
    other.run(["init", "-q"])
    other.fetch_ref(str(origin.root), "refs/heads/x", "refs/remotes/o/x")
    assert other.rev_parse("refs/remotes/o/x") == first
    assert not (other.root / ".git" / "FETCH_HEAD").exists()
    assert other.remote_ref(str(origin.root), "refs/heads/nope") is None
    assert local.remote_url("origin") == str(origin.root)
    with pytest.raises(GitError, match="No such remote"):
        local.remote_url("nope")
    assert local.refs("refs/heads") == {} and origin.refs("refs/heads/x") == {"refs/heads/x": first}
