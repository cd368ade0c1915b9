"""Hostile ledger entries: each is one finding with its own rule, and the other approvals still count.

The ledger is append-only, so whatever someone with push rights adds stays there for good. A
gitlink, a symlink, a folder, a truncated or oversized file, or a validly signed statement of
the wrong shape must never hide, shift or crash the reading of the other entries: `verify`
reports it once, `check` and the sync gate still pass on the good approvals, and
`ledger push` keeps publishing new acts (DESIGN §13).
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from testing.approvals import SignedRegistry
from testing.fixtures import CliResult, git
from testing.ledger import (
    GITLINK,
    SYMLINK,
    act_of,
    add_entry,
    bare_origin,
    ledger_tip,
    push_plain,
    sign_statement,
    statement,
)

from clinigate.approvals.act import MAX_BUNDLE_BYTES
from clinigate.approvals.ledger import Ledger
from clinigate.approvals.verify import verify_documents
from clinigate.gate.check import run_check
from clinigate.gitrepo import Git
from clinigate.manifest.revision import Snapshot
from clinigate.registry.approval import ApprovalGate

Run = Callable[..., CliResult]
FIRST = "0" * 64  # sorts before every real act id: where a shifted read used to swallow the next entry


def folder(reg: SignedRegistry) -> str:
    """The ledger folder of the branch's version at its current digest: where the gate looks."""
    digest = Ledger(reg.git).entries(document_path=reg.version_path)[0].document_sha256
    return f"sepsis-ews/1.4.0/{digest}"


def _malformed(change: Callable[[dict], None]) -> Callable[[SignedRegistry], str]:
    """A statement changed by ``change`` and then validly signed by a clinical reviewer of the test CA."""
    def add(reg: SignedRegistry) -> str:
        data = json.loads(statement(reg, "rbaptiste", "clinical_reviewer"))
        change(data)
        bundle = sign_statement(reg, "rbaptiste", json.dumps(data).encode())
        reg.append_raw(reg.version_path, folder(reg).rsplit("/", 1)[1], bundle)
        return f"{folder(reg)}/{act_of(bundle)}.sigstore.json"
    return add


def _file(data: Callable[[SignedRegistry], bytes], name: str = FIRST + ".sigstore.json") -> Callable[[SignedRegistry], str]:
    def add(reg: SignedRegistry) -> str:
        path = f"{folder(reg)}/{name}"
        add_entry(reg.repo, path, data=data(reg))
        return path
    return add


def _gitlink(reg: SignedRegistry) -> str:
    # It points at a commit this clone has, so `cat-file --batch` prints that commit's body.
    path = f"{folder(reg)}/{FIRST}.sigstore.json"
    add_entry(reg.repo, path, oid=git(reg.repo, "rev-parse", "main").strip(), mode=GITLINK)
    return path


def _symlink(reg: SignedRegistry) -> str:
    path = f"{folder(reg)}/{FIRST}.sigstore.json"
    add_entry(reg.repo, path, data=b"../../../../policies/trust/trust.yaml", mode=SYMLINK)
    return path


def _tree(reg: SignedRegistry) -> str:
    path = f"{folder(reg)}/{FIRST}.sigstore.json"
    add_entry(reg.repo, f"{path}/inner.sigstore.json", data=b"{}")
    return path


def _first_bundle(reg: SignedRegistry) -> str:
    return Ledger(reg.git).entries(document_path=reg.version_path)[0].text


HUGE = 50 * 1024 * 1024


@dataclass(frozen=True)
class BadEntry:
    rule: str
    add: Callable[[SignedRegistry], str]  # writes the entry on the local ledger, returns its path
    signed: bool = False  # a readable, validly signed act: judged as an invalid approval


CASES = {
    "gitlink": BadEntry("ledger.entry_gitlink", _gitlink),
    "symlink": BadEntry("ledger.entry_symlink", _symlink),
    "folder": BadEntry("ledger.entry_tree", _tree),
    "truncated-json": BadEntry("ledger.entry_json", _file(lambda reg: _first_bundle(reg)[:300].encode())),
    "not-utf8": BadEntry("ledger.entry_json", _file(lambda reg: b"\xff\xfe{}")),
    "50MB": BadEntry("ledger.entry_size", _file(lambda reg: b'{"mediaType": "' + b"A" * HUGE + b'"}')),
    "not-a-bundle": BadEntry("ledger.entry_bundle", _file(lambda reg: b'{"hello": "world"}')),
    "misnamed-copy": BadEntry("ledger.entry_name", _file(lambda reg: _first_bundle(reg).encode())),
    "outside-layout": BadEntry("ledger.entry_path", _file(lambda reg: b"notes\n", name="README.md")),
    "subject-items-not-objects": BadEntry("approval.statement_subject",
                                          _malformed(lambda s: s.update(subject=[7])), signed=True),
    "subject-not-a-list": BadEntry("approval.statement_subject",
                                   _malformed(lambda s: s.update(subject="models/x.yaml")), signed=True),
    "subject-without-digest": BadEntry("approval.statement_subject",
                                       _malformed(lambda s: s["subject"][0].pop("digest")), signed=True),
    "predicate-not-an-object": BadEntry("approval.statement_predicate",
                                        _malformed(lambda s: s.update(predicate=["approved"])), signed=True),
}
# The cases of issue 10, also run through the real CLI.
CLI_CASES = ["gitlink", "truncated-json", "50MB", "symlink", "subject-items-not-objects"]


@pytest.fixture
def hostile(request: pytest.FixtureRequest, signed_registry: SignedRegistry) -> tuple[SignedRegistry, str, str]:
    """Technical and clinical approvals, then the bad entry (published with plain git), then quality's."""
    reg = signed_registry
    case = CASES[request.param]
    reg.approve_in_order(("ml_reviewer", "clinical_reviewer"))
    bare_origin(reg.repo)
    path = case.add(reg)
    push_plain(reg.repo)
    reg.sign("kosei", "quality")
    return reg, request.param, path


def findings_on(report: dict, path: str) -> list[str]:
    """Every finding `verify --format json` gives on one ledger path (entry problems and verdicts)."""
    problems = [p["rule"] for p in report["ledger_problems"] if p.get("path") == path]
    verdicts = [a["rule"] for d in report["documents"] for a in d["approvals"] if a["entry"] == path]
    return problems + verdicts


def valid_roles(report: dict) -> set[str]:
    return {a["role"] for d in report["documents"] for a in d["approvals"] if a["valid"]}


def assert_clean(result: CliResult) -> None:
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr


@pytest.mark.parametrize("hostile", list(CASES), indirect=True)
def test_one_finding_and_the_good_approvals_still_count(hostile: tuple[SignedRegistry, str, str]) -> None:
    reg, name, path = hostile
    case = CASES[name]
    report = verify_documents(reg.git, [], rev=reg.branch)
    as_json = {"ledger_problems": report.ledger_problems,
               "documents": [{"approvals": [v.as_dict() for v in d.verdicts]} for d in report.documents]}
    assert findings_on(as_json, path) == [case.rule]
    # Nothing else is wrong with the ledger, and nothing good was hidden.
    others = [p for p in report.ledger_problems if p.get("path") != path]
    assert others == []
    assert valid_roles(as_json) == {"ml_reviewer", "clinical_reviewer", "quality"}
    assert not report.valid

    decision = run_check(reg.repo, base="main", head=reg.branch)
    assert decision.decision == "pass", [m.to_dict() for m in decision.manifests]

    gate = ApprovalGate.open(reg.git, reg.branch, Snapshot.with_roles(reg.git, reg.git.resolve(reg.branch)))
    assert gate is not None
    try:
        approval = gate.judge("sepsis-ews", "1.4.0", reg.version_path)
    finally:
        gate.close()
    assert approval.approved, approval.reason
    assert set(approval.approved_by) == {"ml_reviewer:smarquez", "clinical_reviewer:jlindqvist", "quality:kosei"}


@pytest.mark.parametrize("hostile", CLI_CASES, indirect=True)
def test_the_cli_survives_a_published_bad_entry(hostile: tuple[SignedRegistry, str, str], run_cli: Run) -> None:
    reg, name, path = hostile
    case = CASES[name]
    origin = reg.repo.parent / "origin.git"

    pushed = run_cli("ledger", "push", cwd=reg.repo)
    assert pushed.code == 0, pushed.stdout + pushed.stderr
    assert_clean(pushed)
    assert "pushed the ledger to origin" in pushed.stdout
    assert ledger_tip(origin) == ledger_tip(reg.repo)

    verified = run_cli("verify", "--format", "json", cwd=reg.repo)
    assert verified.code == 1, verified.stdout + verified.stderr
    assert_clean(verified)
    report = json.loads(verified.stdout)
    assert findings_on(report, path) == [case.rule]
    assert valid_roles(report) == {"ml_reviewer", "clinical_reviewer", "quality"}

    text = run_cli("verify", cwd=reg.repo)
    assert text.code == 1 and f"[{case.rule}]" in text.stdout
    assert_clean(text)

    checked = run_cli("check", "--base", "main", "--head", "review", "--format", "json", cwd=reg.repo)
    assert checked.code == 0, checked.stdout + checked.stderr
    assert_clean(checked)
    assert json.loads(checked.stdout)["decision"] == "pass"

    listed = run_cli("ledger", "list", cwd=reg.repo)
    assert listed.code == 0, listed.stderr
    assert_clean(listed)


FILE_CASES = [name for name, case in CASES.items() if not case.signed]


@pytest.mark.parametrize("name", FILE_CASES)
def test_ledger_push_refuses_to_publish_a_bad_entry(name: str, signed_registry: SignedRegistry,
                                                    run_cli: Run) -> None:
    reg = signed_registry
    reg.sign("jlindqvist", "clinical_reviewer")
    origin = bare_origin(reg.repo)
    before = ledger_tip(origin)
    CASES[name].add(reg)
    result = run_cli("ledger", "push", cwd=reg.repo)
    assert result.code == 1, result.stdout + result.stderr
    assert_clean(result)
    assert f"[{CASES[name].rule}]" in result.stderr
    assert ledger_tip(origin) == before


def test_an_oversized_blob_is_refused_without_being_read(signed_registry: SignedRegistry) -> None:
    reg = signed_registry
    reg.sign("jlindqvist", "clinical_reviewer")
    path = CASES["50MB"].add(reg)
    tracemalloc.start()
    try:
        problems = Ledger(reg.git).check_history()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [(p.rule, p.path) for p in problems] == [("ledger.entry_size", path)]
    assert str(MAX_BUNDLE_BYTES) in problems[0].message
    assert peak < HUGE // 10, f"reading the ledger held {peak} bytes"


def test_cat_file_answers_never_shift(tmp_path: Path) -> None:
    """A gitlink, a folder and a missing object among blobs: every blob still gets its own bytes."""
    repo = Git.init(tmp_path / "repo")
    (tmp_path / "repo" / "a.txt").write_text("A\n")
    commit = repo.commit_all("one file", author="T", email="t@test.invalid", date="2026-01-05T09:00:00+00:00")
    tree = repo.run(["rev-parse", f"{commit}^{{tree}}"]).strip()
    blob_a, blob_b = repo.write_blob(b"A\n"), repo.write_blob(b"B\n")
    missing = "1" * 40
    got = repo.read_objects([blob_a, commit, blob_b, tree, missing, blob_b])
    assert got == {blob_a: b"A\n", commit: None, blob_b: b"B\n", tree: None, missing: None}
    assert repo.read_blobs(commit, ["nope", "a.txt", "x\ny", "a.txt"]) == {"nope": None, "a.txt": b"A\n",
                                                                           "x\ny": None}
    info = repo.object_info([commit, blob_b, missing])
    assert (info[commit].kind, info[blob_b].kind, info[blob_b].size, info[missing]) == ("commit", "blob", 2, None)
