"""The Git layer's object reads against real repositories built with the git CLI: every object
type, gitlinks, names with spaces and newlines, empty blobs, missing and ambiguous names. Each
answer is compared with what git itself says of the same name."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from clinigate.gitrepo import Git

DATE = "2026-01-05T09:00:00+00:00"
SPACE, NEWLINE, COLON = "with space.txt", "new\nline.txt", ":leading colon"


def git(repo: Path, *args: str | bytes, data: bytes | None = None) -> bytes:
    env = {"PATH": os.environ["PATH"], "HOME": str(repo), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@test.invalid", "GIT_AUTHOR_DATE": DATE,
           "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@test.invalid", "GIT_COMMITTER_DATE": DATE}
    return subprocess.run(["git", *args], cwd=repo, env=env, input=data, capture_output=True, check=True).stdout


def text(repo: Path, *args: str) -> str:
    return git(repo, *args).decode().strip()


@dataclass
class Sample:
    repo: Path
    commit: str
    tag: str  # an annotated tag object on the commit
    sub: str  # the commit the gitlink "sub" points at (present in this clone)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    repo = tmp_path_factory.mktemp("objects") / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "dir" / "deeper").mkdir(parents=True)
    files = {"a.txt": b"A\n", SPACE: b"spaced\n", NEWLINE: b"two\nlines\n", COLON: b"colon\n",
             "empty": b"", "dir/inner.txt": b"inner\n", "dir/deeper/x": b"x\n", "dir2/y": b"y\n"}
    for path, data in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_bytes(data)
    os.symlink("a.txt", repo / "link")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "first\n\nwith a body\n")
    sub = text(repo, "rev-parse", "HEAD")
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{sub},sub")  # a gitlink to a commit it has
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{'e' * 40},gone")  # and to one it has not
    blob = text(repo, "hash-object", "-w", "--stdin")
    git(repo, "update-index", "--add", "--cacheinfo", f"100644,{blob},".encode() + b"\xff-not-utf8")
    git(repo, "commit", "-q", "-m", "second")
    git(repo, "tag", "-a", "-m", "a tag", "v1")
    return Sample(repo, text(repo, "rev-parse", "HEAD"), text(repo, "rev-parse", "v1"), sub)


def test_blobs_by_path_every_kind_of_entry(sample: Sample) -> None:
    got = Git(sample.repo).read_blobs(sample.commit, ["a.txt", SPACE, COLON, "empty", "dir/inner.txt", "link",
                                                      "dir", "sub", "gone", "nope", "dir/nope", "a.txt/x",
                                                      NEWLINE, "a.txt"])
    assert got == {"a.txt": b"A\n", SPACE: b"spaced\n", COLON: b"colon\n", "empty": b"",
                   "dir/inner.txt": b"inner\n", "link": b"a.txt",  # a symlink's blob: its target
                   "dir": None, "sub": None, "gone": None,  # a folder, gitlinks (present or not)
                   "nope": None, "dir/nope": None, "a.txt/x": None,
                   NEWLINE: None}  # cat-file's line protocol cannot ask for it: absent, never a shift


def test_objects_by_id_answers_never_shift(sample: Sample) -> None:
    repo = Git(sample.repo)
    ids = {p: text(sample.repo, "rev-parse", f"{sample.commit}:{p}") for p in ("a.txt", "empty", "dir", "sub")}
    asked = [ids["a.txt"], sample.commit, ids["dir"], ids["empty"], sample.tag, ids["sub"], "1" * 40,
             ids["empty"], "", "not an id", ids["a.txt"]]
    assert repo.read_objects(asked) == {ids["a.txt"]: b"A\n", sample.commit: None, ids["dir"]: None,
                                        ids["empty"]: b"", sample.tag: None, ids["sub"]: None, "1" * 40: None,
                                        "": None, "not an id": None}


def test_object_info_matches_cat_file(sample: Sample) -> None:
    names = [sample.commit, sample.tag, f"{sample.commit}^{{tree}}", f"{sample.commit}:a.txt",
             f"{sample.commit}:empty", f"{sample.commit}:{SPACE}", f"{sample.commit}:dir", f"{sample.commit}:sub"]
    info = Git(sample.repo).object_info([*names, "1" * 40, f"{sample.commit}:gone", f"{sample.commit}:nope"])
    for name in names:
        assert info[name] is not None
        kind, size = (text(sample.repo, "cat-file", flag, name) for flag in ("-t", "-s"))
        assert (info[name].kind, info[name].size, info[name].oid) == (kind, int(size),
                                                                       text(sample.repo, "rev-parse", name))
    assert [info[n] for n in ("1" * 40, f"{sample.commit}:gone", f"{sample.commit}:nope")] == [None, None, None]


def test_an_ambiguous_short_id_is_none(tmp_path: Path) -> None:
    repo = Git.init(tmp_path / "repo")
    ids = repo.write_blobs([b"%d\n" % n for n in range(600)])
    seen: dict[str, str] = {}
    prefix = next(oid[:4] for oid in ids if seen.setdefault(oid[:4], oid) != oid)  # two blobs share it
    assert repo.object_info([prefix]) == {prefix: None}
    assert repo.read_objects([prefix]) == {prefix: None}
    assert repo.rev_parse(prefix) is None
    unique = next(oid for oid in ids if sum(o.startswith(oid[:7]) for o in ids) == 1)
    assert repo.read_objects([unique[:7]]) == {unique[:7]: b"%d\n" % ids.index(unique)}


def test_written_blobs_read_back(tmp_path: Path) -> None:
    repo = Git.init(tmp_path / "repo")
    contents = [b"", b"one\n", b"\x00binary\xff", b"one\n"]
    ids = repo.write_blobs(contents)
    assert ids == [git(repo.root, "hash-object", "--stdin", data=c).decode().strip() for c in contents]
    assert repo.write_blob(b"one\n") == ids[1]
    assert repo.read_objects(ids) == dict(zip(ids, contents, strict=True))


@pytest.mark.parametrize("trees", [False, True])
@pytest.mark.parametrize("pathspecs", [[], ["dir"], ["dir/"], ["dir/deeper/x"], ["dir/deeper/x/"], ["dir/nope"],
                                       ["sub"], ["sub/"], ["sub/inner"], ["a.txt/"], ["di"], ["./dir//deeper"],
                                       [SPACE, NEWLINE], ["dir/inner.txt", "dir2", "link"], ["*"], ["."]])
def test_tree_listing_matches_ls_tree(sample: Sample, pathspecs: list[str], trees: bool) -> None:
    args = ["ls-tree", "-r", *(["-t"] if trees else []), "-z", "--full-tree", sample.commit, "--", *pathspecs]
    expected = []
    for record in filter(None, git(sample.repo, *args).split(b"\0")):
        meta, path = record.split(b"\t", 1)
        mode, kind, oid = meta.decode().split(" ")
        expected.append((path.decode(errors="replace"), oid, mode, kind))
    got = Git(sample.repo).tree_files(sample.commit, pathspecs, trees=trees)
    assert [(f.path, f.blob, f.mode, f.kind) for f in got] == expected


def test_listing_names_gitlinks_and_undecodable_names(sample: Sample) -> None:
    from clinigate.errors import GitError

    with pytest.raises(GitError, match="pathspec magic"):  # ":x" is magic to git, not a path
        Git(sample.repo).tree_files(sample.commit, [COLON])
    files = {f.path: f for f in Git(sample.repo).tree_files(sample.commit)}
    assert (files["sub"].kind, files["sub"].mode, files["sub"].blob) == ("commit", "160000", sample.sub)
    assert (files["link"].kind, files["link"].mode) == ("blob", "120000")
    assert "\ufffd-not-utf8" in files
    assert Git(sample.repo).list_files(sample.commit, "dir") == ["dir/deeper/x", "dir/inner.txt"]
    assert Git(sample.repo).list_files(sample.commit, "absent") == []


def test_names_resolve_as_rev_parse_verify_says(sample: Sample) -> None:
    repo = Git(sample.repo)
    for name in ["HEAD", "main", "v1", "v1^{}", "HEAD~1", sample.commit, sample.commit[:10], sample.tag,
                 f"{sample.commit}^{{tree}}", "HEAD:a.txt", "nope", "", "-h", "--all", "a b", "HEAD\nHEAD",
                 "main..HEAD", "@{-1}"]:
        done = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}"], cwd=sample.repo,
                              capture_output=True, text=True, check=False)
        # (a range prints both ends and fails: rev-parse's stdout was once taken for a commit id)
        assert repo.rev_parse(name) == (done.stdout.strip() if done.returncode == 0 else None), name
    assert repo.resolve("v1") == sample.commit


def test_commits_read_as_git_shows_them(sample: Sample) -> None:
    repo = Git(sample.repo)
    first = text(sample.repo, "rev-parse", "HEAD~1")
    assert repo.commit_message(first) == "first\n\nwith a body\n"
    assert repo.commit_message("v1") == "second\n"
    assert repo.read_commit(first) == git(sample.repo, "cat-file", "commit", first)


def test_outside_a_repository(tmp_path: Path) -> None:
    from clinigate.errors import GitError

    repo = Git(tmp_path)
    assert repo.rev_parse("HEAD") is None
    assert repo.git_dir() is None
    with pytest.raises(GitError, match="not inside a Git repository"):
        repo.read_blobs("HEAD", ["a.txt"])


def test_an_empty_repository_names_nothing(tmp_path: Path) -> None:
    repo = Git.init(tmp_path / "repo")
    assert repo.rev_parse("HEAD") is None
    assert repo.read_blobs("HEAD", ["a"]) == {"a": None}
