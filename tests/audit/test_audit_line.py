"""What makes a long history cheap must not change an answer: the folded line reads like Git, the
commit-graph is written once (or never, when opted out), one judge per distinct rules and trust."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from testing.deployments import DEPLOYMENT, deployment_yaml
from testing.fixtures import commit_all, copy_example_registry, git

from clinigate.audit.events import read_events
from clinigate.audit.line import LineFiles, LineReader
from clinigate.audit.query import Auditor
from clinigate.errors import GitError
from clinigate.gitrepo import Git
from clinigate.gitrepo.git import NO_COMMIT_GRAPH_ENV

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TRUST = "policies/trust/trust.yaml"


@pytest.fixture(scope="module")
def line(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Adds, edits, deletions, a symbolic link, a merged branch and unrelated commits on main."""
    repo = tmp_path_factory.mktemp("line") / "registry"
    repo.mkdir()
    copy_example_registry(repo)
    git(repo, "init", "-q", "-b", "main")
    commits = {"root": commit_all(repo, "registry", T0)}
    (repo / "docs").mkdir()
    (repo / "docs/notes.md").write_text("unrelated\n")
    commits["notes"] = commit_all(repo, "notes (#1)", T0 + timedelta(hours=1))
    (repo / DEPLOYMENT).write_text(deployment_yaml("1.1.0", None, "Roll back to 1.1.0."))
    commits["deploy"] = commit_all(repo, "roll back (#2)", T0 + timedelta(hours=2))
    (repo / "models/readmission-30d/pccp.yaml").unlink()
    os.symlink("model.yaml", repo / "models/readmission-30d/card.yaml")
    (repo / "policies/data/extra.yaml").write_text("note: added\n")
    commits["symlink"] = commit_all(repo, "link and data (#3)", T0 + timedelta(hours=3))
    git(repo, "switch", "-q", "-c", "change")
    (repo / "policies/data/extra.yaml").unlink()
    (repo / DEPLOYMENT).write_text(deployment_yaml("1.2.0", None, "Promote 1.2.0."))
    commits["branch"] = commit_all(repo, "promote", T0 + timedelta(hours=4))
    git(repo, "switch", "-q", "main")
    (repo / "docs/notes.md").write_text("more\n")
    commits["notes2"] = commit_all(repo, "notes (#4)", T0 + timedelta(hours=5))
    git(repo, "-c", "commit.gpgsign=false", "merge", "-q", "--no-ff", "-m", "Merge pull request #5 from x/y",
        "change", date=(T0 + timedelta(hours=6)).isoformat())
    commits["merge"] = git(repo, "rev-parse", "HEAD").strip()
    (repo / "docs/notes.md").write_text("last\n")
    commits["tip"] = commit_all(repo, "notes (#6)", T0 + timedelta(hours=7))
    return repo, commits


def test_the_folded_line_answers_every_read_as_git_does(line: tuple[Path, dict[str, str]]) -> None:
    repo, commits = line
    plain = Git(repo)
    folders = ["models", "policies"]
    first = plain.mainline(commits["tip"], folders)
    files = LineFiles.fold(first, folders, commits["tip"])
    first.clear()  # the log kept for the next caller is not the list handed out
    assert plain.mainline(commits["tip"], folders) == Git(repo).mainline(commits["tip"], folders) != []
    reader = LineReader(repo, files=files)
    everything = {p for c in commits.values() for p in plain.list_files(c, "models") + plain.list_files(c, "policies")}
    asked = sorted(everything | {"models/sepsis-ews", "models/nope.yaml", "policies", "schemas/model.schema.json",
                                 "models/x\nmodels/y", "models/../schemas/model.schema.json"})
    known = 0
    for name, commit in commits.items():
        known += files.state(commit) is not None
        assert reader.read_blobs(commit, asked) == plain.read_blobs(commit, asked), name
        for folder in ("models", "models/sepsis-ews/versions", "models/readmission-30d", "policies/data",
                       "policies/trust", "models/none"):
            assert reader.list_files(commit, folder) == plain.list_files(commit, folder), (name, folder)
        assert reader.resolve(commit) == plain.resolve(commit)
    # the line's commits that touched the folders, their first parents and the tip; not the branch
    assert known == len(commits) - 1 and files.state(commits["branch"]) is None
    link = "models/readmission-30d/card.yaml"
    assert files.entry(files.state(commits["symlink"]) or 0, link) == (
        "120000", git(repo, "rev-parse", f"{commits['symlink']}:{link}").strip())


def test_the_commit_graph_is_written_once_before_the_history_is_read(
        line: tuple[Path, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--no-local", str(line[0]), str(repo))
    graph = repo / ".git/objects/info/commit-graph"
    monkeypatch.setenv(NO_COMMIT_GRAPH_ENV, "1")
    read_events(Git(repo), "origin/main")
    assert not Git(repo).has_commit_graph() and not graph.exists()  # opted out: nothing written

    monkeypatch.delenv(NO_COMMIT_GRAPH_ENV)
    read_events(Git(repo), "origin/main")
    assert graph.is_file()
    written = graph.stat()
    log = read_events(Git(repo), "origin/main")
    assert (graph.stat().st_ino, graph.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
    assert not Git(repo).ensure_commit_graph()  # there is one: never rewritten
    assert [e.kind for e in log.events] == [e.kind for e in read_events(Git(line[0]), "main").events]


def test_a_commit_graph_that_cannot_be_written_stops_nothing(line: tuple[Path, dict[str, str]], tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--no-local", str(line[0]), str(repo))
    real_run = Git.run

    def refuse(self: Git, args: list[str], **kwargs: object) -> str:
        if args[:1] == ["commit-graph"]:  # e.g. another process holds commit-graph.lock
            raise GitError("git commit-graph write failed (exit 128): Unable to create lock")
        return real_run(self, args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Git, "run", refuse)
    assert Git(repo).ensure_commit_graph() is False
    assert len(read_events(Git(repo), "origin/main").events) == len(read_events(Git(line[0]), "main").events)


def test_ancestry_answers_match_merge_base_once_read_from_memory(line: tuple[Path, dict[str, str]]) -> None:
    repo, commits = line
    fresh, plain = Git(repo), Git(repo)
    pairs = [(a, b) for a in commits.values() for b in commits.values()] * 2
    for ancestor, descendant in pairs:  # the same descendant many times: its ancestry is read once
        assert fresh.is_ancestor(ancestor, descendant) == _merge_base_says(plain, ancestor, descendant)
    with pytest.raises(GitError):
        fresh.is_ancestor("f" * 40, commits["tip"])  # still git's answer for what it does not hold


def _merge_base_says(git_: Git, ancestor: str, descendant: str) -> bool:
    done = subprocess.run(["git", "merge-base", "--is-ancestor", ancestor, descendant], cwd=git_.root,
                          capture_output=True, check=False)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode == 0


def test_one_judge_per_distinct_rules_and_one_book_per_trust(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from clinigate.approvals.review import ApprovalBook
    from clinigate.gate.decider import Decider

    repo = tmp_path / "registry"
    repo.mkdir()
    copy_example_registry(repo)
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "registry", T0)
    for n, version in enumerate(("1.1.0", "1.2.0", "1.1.0"), start=1):
        (repo / DEPLOYMENT).write_text(deployment_yaml(version, None, f"Change {n}."))
        commit_all(repo, f"change {n}", T0 + timedelta(days=n))
    trust = repo / TRUST
    trust.write_text(trust.read_text().replace("require_signed_approvals: true", "require_signed_approvals: false"))
    commit_all(repo, "merged is approved from now on", T0 + timedelta(days=10))
    (repo / DEPLOYMENT).write_text(deployment_yaml("1.2.0", None, "Change 4."))
    commit_all(repo, "change 4", T0 + timedelta(days=11))

    opened = {"deciders": 0, "books": 0}
    real_decider, real_book = Decider.open.__func__, ApprovalBook.open.__func__  # type: ignore[attr-defined]

    def decider(cls, *args, **kwargs):  # type: ignore[no-untyped-def]
        opened["deciders"] += 1
        return real_decider(cls, *args, **kwargs)

    def book(cls, *args, **kwargs):  # type: ignore[no-untyped-def]
        opened["books"] += 1
        return real_book(cls, *args, **kwargs)

    monkeypatch.setattr(Decider, "open", classmethod(decider))
    monkeypatch.setattr(ApprovalBook, "open", classmethod(book))
    with Auditor.open(Git(repo), "main") as auditor:
        rows = auditor.timeline("sepsis-ews", "production")
    signed = [r.evidence.signed_approvals_required for r in rows if r.evidence]
    # each change judged by its own base's trust.yaml: the last one's base no longer asks for signatures
    assert signed == [True, True, True, True, False]
    # five bases, two distinct policies/ trees (trust.yaml lives in it) and two trust folders
    assert opened == {"deciders": 2, "books": 2}
