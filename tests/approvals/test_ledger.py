"""The approval ledger on real repositories: a bare origin, clones, races and rewrites."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from testing.fixtures import INITIAL_DATE, commit_all, git
from testing.ledger_origin import (
    BRANCH,
    DIGEST_A,
    V130,
    bundle,
    clone,
    force_rewrite,
    open_ledger,
)

from clinigate.approvals.ledger import (
    LEDGER_REF,
    Ledger,
    LedgerIntegrityError,
    LedgerRewritten,
    NotALedgerDocument,
    document_path,
    ledger_key,
    parse_entry_path,
)
from clinigate.errors import EnvironmentProblem, UsageError

DEPLOY = "models/sepsis-ews/deployment.yaml"
DIGEST_B = "b" * 64


def sha(text: str) -> str:
    """The act id the ledger names a bundle by: the sha256 of its DSSE payload."""
    return hashlib.sha256(base64.b64decode(json.loads(text)["dsseEnvelope"]["payload"])).hexdigest()


def remote_files(origin: Path) -> list[str]:
    return git(origin, "ls-tree", "-r", "--name-only", LEDGER_REF).split()


# --- the layout ------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "expected"), [
    (V130, ("sepsis-ews", "1.3.0")),
    ("models/m/versions/2.0.0-rc.1.yaml", ("m", "2.0.0-rc.1")),
    (DEPLOY, ("sepsis-ews", "_deployment")),
    ("models/sepsis-ews/pccp.yaml", ("sepsis-ews", "_pccp")),
    ("models/sepsis-ews/model.yaml", ("sepsis-ews", "_model")),
    ("models/sepsis-ews/risk.yaml", ("sepsis-ews", "_risk")),
])
def test_document_paths_map_to_keys_and_back(path: str, expected: tuple[str, str]) -> None:
    assert ledger_key(path) == expected
    assert document_path(*expected) == path


@pytest.mark.parametrize("path", [
    "models/../x", "models/../versions/1.0.0.yaml", "models/m/versions/../1.0.0.yaml",
    "models/m/../m/model.yaml", "/models/m/model.yaml", "models/m/versions/1.0.yaml",
    "models/m/versions/1.0.0.yml", "models/m/versions/1.0.0", "models/M/model.yaml",
    "models/m/other.yaml", "models/m/versions/x/1.0.0.yaml", "models//model.yaml",
    "", "policies//x.rego", "./policies/x.rego", "policies/../models/m/model.yaml", "a\nb", "x" * 301,
])
def test_other_paths_are_refused(path: str) -> None:
    with pytest.raises(NotALedgerDocument, match="not a document"):
        ledger_key(path)


@pytest.mark.parametrize("path", ["policies/data/roles.yaml", "pccp.yaml", ".github/workflows/pr-gate.yml",
                                  "tooling/clinigate/a b[1]*.py"])
def test_governance_files_have_one_canonical_key(path: str) -> None:
    """Governance files (DESIGN §13) live under _repo/, their whole path encoded into one name."""
    model, key = ledger_key(path)
    assert model == "_repo" and "/" not in key and "*" not in key and "[" not in key
    assert document_path(model, key) == path
    assert parse_entry_path(f"_repo/{key}/{'a' * 64}/{'b' * 64}.sigstore.json") is not None
    if "%2F" in key:  # another spelling of the same path is no folder of the layout
        assert parse_entry_path(f"_repo/{key.replace('%2F', '%2f')}/{'a' * 64}/{'b' * 64}.sigstore.json") is None


# --- append and read ------------------------------------------------------------------------------

def test_append_then_read_back(origin: Path) -> None:
    ledger = open_ledger(clone(origin, "a"))
    commit = ledger.append([(V130, DIGEST_A, bundle(1)), (DEPLOY, DIGEST_B, bundle(2))], "approve")
    assert commit is not None and ledger.tip() == commit
    by_path = {e.path: e for e in ledger.entries()}
    assert set(by_path) == {f"sepsis-ews/1.3.0/{DIGEST_A}/{sha(bundle(1))}.sigstore.json",
                            f"sepsis-ews/_deployment/{DIGEST_B}/{sha(bundle(2))}.sigstore.json"}
    entry = by_path[f"sepsis-ews/1.3.0/{DIGEST_A}/{sha(bundle(1))}.sigstore.json"]
    assert (entry.model, entry.key, entry.document_path) == ("sepsis-ews", "1.3.0", V130)
    assert (entry.text, entry.act_id, entry.commit) == (bundle(1), sha(bundle(1)), commit)
    assert entry.committed_at == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_filters_and_stale_digests(origin: Path) -> None:
    ledger = open_ledger(clone(origin, "a"))
    ledger.append([(V130, DIGEST_A, bundle(1))], "first digest")
    ledger.append([(V130, DIGEST_B, bundle(2)), (DEPLOY, DIGEST_A, bundle(3))], "second digest")
    assert len(ledger.entries(document_path=V130)) == 2
    assert [e.text for e in ledger.entries(document_path=V130, document_sha256=DIGEST_B)] == [bundle(2)]
    assert [e.text for e in ledger.entries(document_sha256=DIGEST_A)] == [bundle(1), bundle(3)]
    assert len(ledger.entries(model="sepsis-ews")) == 3 and ledger.entries(model="other") == []
    assert {e.document_sha256 for e in ledger.entries_for_key("sepsis-ews", "1.3.0")} == {DIGEST_A, DIGEST_B}


def test_reappending_is_a_no_op(origin: Path) -> None:
    ledger = open_ledger(clone(origin, "a"))
    first = ledger.append([(V130, DIGEST_A, bundle(1))], "approve")
    assert ledger.append([(V130, DIGEST_A, bundle(1))], "approve again") is None
    assert ledger.tip() == first
    second = ledger.append([(V130, DIGEST_A, bundle(1)), (V130, DIGEST_A, bundle(2))], "one new")
    assert second is not None and len(ledger.entries()) == 2
    assert ledger.check_history() == []


def test_append_leaves_branch_index_and_work_tree_alone(origin: Path) -> None:
    repo = clone(origin, "a")
    (repo / "staged.txt").write_text("staged\n")
    git(repo, "add", "staged.txt")
    before = (git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain"), git(repo, "ls-files", "-s"))
    open_ledger(repo).append([(V130, DIGEST_A, bundle(1))], "approve")
    after = (git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain"), git(repo, "ls-files", "-s"))
    assert after == before and git(repo, "branch", "--show-current").strip() == "main"
    assert not (repo / "sepsis-ews").exists()


def test_refuses_what_is_not_a_bundle_or_a_digest(origin: Path) -> None:
    ledger = open_ledger(clone(origin, "a"))
    with pytest.raises(UsageError, match="Sigstore bundle"):
        ledger.append([(V130, DIGEST_A, "not json")], "approve")
    with pytest.raises(UsageError, match="SHA-256"):
        ledger.append([(V130, "ABC", bundle(1))], "approve")
    with pytest.raises(NotALedgerDocument):
        ledger.append([("models/../x", DIGEST_A, bundle(1))], "approve")
    assert ledger.tip() is None


def test_same_path_with_other_bytes_is_refused(origin: Path) -> None:
    ledger = open_ledger(clone(origin, "a"))
    ledger.append([(V130, DIGEST_A, bundle(1))], "approve")
    tree = _worktree(ledger.git.root)
    squatted = tree / f"sepsis-ews/1.3.0/{DIGEST_A}/{sha(bundle(2))}.sigstore.json"
    squatted.write_text("{}")
    commit_all(tree, "a file under the name the next act will take", INITIAL_DATE)
    with pytest.raises(LedgerIntegrityError, match="never changes a file"):
        ledger.append([(V130, DIGEST_A, bundle(2))], "approve")


# --- remotes --------------------------------------------------------------------------------------

def test_push_then_fetch_in_another_clone(origin: Path) -> None:
    a, b = open_ledger(clone(origin, "a")), open_ledger(clone(origin, "b"))
    assert b.fetch().remote_tip is None  # no ledger on origin yet: empty, not an error
    a.append([(V130, DIGEST_A, bundle(1))], "approve")
    result = a.push()
    assert result.pushed and result.tip == a.tip()
    assert b.fetch().local_tip == a.tip()
    assert [e.text for e in b.entries()] == [bundle(1)]
    assert not a.push().pushed  # nothing new


def test_diverged_clones_are_replayed_into_a_union(origin: Path) -> None:
    a, b = open_ledger(clone(origin, "a")), open_ledger(clone(origin, "b"))
    a.append([(V130, DIGEST_A, bundle(1))], "a approves")
    b.append([(V130, DIGEST_A, bundle(2))], "b approves")
    a.push()
    fetched = b.fetch()
    assert fetched.replayed == 1 and b.git.is_ancestor(a.tip() or "", b.tip() or "")
    assert git(b.git.root, "log", "-1", "--format=%s", LEDGER_REF).strip() == "b approves"
    b.push()
    assert len(remote_files(origin)) == 2
    assert b.check_history() == []


@pytest.mark.slow
def test_concurrent_pushes_from_two_clones_both_land(origin: Path) -> None:
    ledgers = [open_ledger(clone(origin, name)) for name in ("a", "b")]
    barrier = threading.Barrier(len(ledgers))
    errors: list[BaseException] = []

    def run(index: int, ledger: Ledger) -> None:
        try:
            for n in range(3):
                ledger.append([(V130, DIGEST_A, bundle(10 * index + n))], f"clone {index} act {n}")
                barrier.wait(timeout=30)
                ledger.push()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, ledger)) for i, ledger in enumerate(ledgers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    expected = {f"sepsis-ews/1.3.0/{DIGEST_A}/{sha(bundle(10 * i + n))}.sigstore.json"
                for i in range(2) for n in range(3)}
    assert set(remote_files(origin)) == expected
    assert git(origin, "rev-list", "--max-parents=1", "--min-parents=2", LEDGER_REF) == ""


def test_fetch_detects_a_force_pushed_ledger(origin: Path) -> None:
    a, b = open_ledger(clone(origin, "a")), open_ledger(clone(origin, "b"))
    a.append([(V130, DIGEST_A, bundle(1))], "approve")
    a.push()
    b.fetch()
    old, new = force_rewrite(origin)
    with pytest.raises(LedgerRewritten) as raised:
        b.fetch()
    assert old in raised.value.message and new in raised.value.message
    assert raised.value.exit_code == 1
    assert b.tip() == old  # the local copy keeps the evidence
    with pytest.raises(LedgerRewritten):
        b.push()


def test_fetch_detects_a_deleted_ledger(origin: Path) -> None:
    a = open_ledger(clone(origin, "a"))
    a.append([(V130, DIGEST_A, bundle(1))], "approve")
    a.push()
    git(origin, "update-ref", "-d", LEDGER_REF)
    with pytest.raises(LedgerRewritten, match="deleted"):
        a.fetch()


def test_unreachable_remote_is_an_environment_problem(origin: Path) -> None:
    repo = clone(origin, "a")
    git(repo, "remote", "add", "nowhere", str(origin.parent / "missing.git"))
    with pytest.raises(EnvironmentProblem, match="'nowhere'") as raised:
        open_ledger(repo).fetch("nowhere")
    assert raised.value.exit_code == 3
    with pytest.raises(UsageError):
        open_ledger(repo).fetch("../elsewhere")


# --- history checks -------------------------------------------------------------------------------

def _worktree(repo: Path) -> Path:
    git(repo, "worktree", "add", "-q", str(repo.parent / "wt"), BRANCH)
    return repo.parent / "wt"


@pytest.fixture
def recorded(origin: Path) -> Ledger:
    ledger = open_ledger(clone(origin, "a"))
    ledger.append([(V130, DIGEST_A, bundle(1))], "first")
    ledger.append([(V130, DIGEST_A, bundle(2))], "second")
    return ledger


def _rules(ledger: Ledger) -> set[str]:
    return {p.rule for p in ledger.check_history()}


def test_clean_history_has_no_problems(recorded: Ledger) -> None:
    assert recorded.check_history() == []


def test_an_edited_bundle_is_detected(recorded: Ledger) -> None:
    path = recorded.entries()[0].path
    tree = _worktree(recorded.git.root)
    (tree / path).write_text(bundle(99))
    commit_all(tree, "edit", INITIAL_DATE)
    problems = recorded.check_history()
    assert {p.rule for p in problems} == {"ledger.rewritten_entry", "ledger.entry_name"}
    edited = next(p for p in problems if p.rule == "ledger.rewritten_entry")
    assert edited.path == path and edited.commit == recorded.tip() and "modifies" in edited.message


def test_a_deleted_bundle_is_detected(recorded: Ledger) -> None:
    path = recorded.entries()[0].path
    tree = _worktree(recorded.git.root)
    (tree / path).unlink()
    commit_all(tree, "delete", INITIAL_DATE)
    problems = recorded.check_history()
    assert [(p.rule, p.path) for p in problems] == [("ledger.rewritten_entry", path)]
    assert "deletes" in problems[0].message


def test_an_amended_and_forced_ref_is_detected(recorded: Ledger) -> None:
    tree = _worktree(recorded.git.root)
    git(tree, "-c", "commit.gpgsign=false", "commit", "-q", "--amend", "-m", "reworded")
    assert _rules(recorded) == {"ledger.history_rewritten"}


def test_a_reset_ref_is_detected(recorded: Ledger) -> None:
    git(recorded.git.root, "update-ref", LEDGER_REF, f"{LEDGER_REF}~1")
    assert _rules(recorded) == {"ledger.history_rewritten"}


def test_stray_files_and_misnamed_bundles_are_detected(recorded: Ledger) -> None:
    tree = _worktree(recorded.git.root)
    (tree / "README.md").write_text("notes\n")
    (tree / f"sepsis-ews/1.3.0/{DIGEST_A}/{'0' * 64}.sigstore.json").write_text(bundle(7))
    commit_all(tree, "additions that do not fit", INITIAL_DATE)
    problems = recorded.check_history()
    assert sorted((p.rule, p.path) for p in problems) == [
        ("ledger.entry_name", f"sepsis-ews/1.3.0/{DIGEST_A}/{'0' * 64}.sigstore.json"),
        ("ledger.entry_path", "README.md"),
    ]


def test_push_refuses_a_broken_history(recorded: Ledger) -> None:
    tree = _worktree(recorded.git.root)
    (tree / recorded.entries()[0].path).unlink()
    commit_all(tree, "delete", INITIAL_DATE)
    with pytest.raises(LedgerIntegrityError, match="not append-only"):
        recorded.push()
