"""Failure records (regulatory.md §7 B-13), end to end with real signatures.

``check --record`` signs the gate's evaluation of each changed version and keeps it on
refs/heads/clinigate/evaluations, so a failure stays on record after the pull request changes or
closes. A later version that tries the same PCCP modification again must cite a root-cause record
(``change.root_cause``): gates.retry_without_root_cause. Only records the gate's own identity signed
count (trust.yaml ``pki.evaluation_recorders`` here; the pinned CI workflow on GitHub).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from testing.approvals import SignedRegistry
from testing.evaluations import RECORDER, record_failure, recorder_signer, trust_the_recorder
from testing.fixtures import git

from clinigate.approvals.review import ApprovalBook
from clinigate.demo.manifests import data_update_modification
from clinigate.gate.check import run_check
from clinigate.gate.evaluation import EVALUATIONS_REF, recorded_failures

MODEL = "sepsis-ews"


@pytest.fixture
def reg(untimed_registry: SignedRegistry) -> SignedRegistry:
    """The signed registry whose main trusts the gate's recorder certificate."""
    reg = untimed_registry
    git(reg.repo, "switch", "-q", "main")
    trust_the_recorder(reg.repo)
    reg.commit("trust the gate's evaluation recorder")
    git(reg.repo, "switch", "-q", reg.branch)
    return reg


def _set(reg: SignedRegistry, path: str, dotted: str, value: object) -> None:
    file = reg.repo / path
    text = file.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    *parents, last = dotted.split(".")
    node = data
    for key in parents:
        node = node[key]
    node[last] = value
    file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _failures(reg: SignedRegistry) -> list[dict]:
    with ApprovalBook.open(reg.git, base="main") as book:
        return recorded_failures(reg.git, book, MODEL)


def _record_check(reg: SignedRegistry, run_cli, head: str, *, email: str = RECORDER):
    issued = reg.pki.issued[email.split("@")[0]] if email.split("@")[0] in reg.pki.issued else None
    if issued is None:
        recorder_signer(reg.pki, email)
        issued = reg.pki.issued[email.split("@")[0]]
    return run_cli("check", "--base", "main", "--head", head, "--record", "--pull-request", "7",
                   "--key", str(issued.key_path), "--cert", str(issued.cert_path), "--allow-unencrypted-key",
                   cwd=reg.repo)


def _retry_branch(reg: SignedRegistry, root_cause: dict | None = None) -> str:
    """Branch ``retry`` from main: the same modification as version 1.4.1 (the 1.4.0 pull request closed)."""
    text = reg.git.read_blobs(reg.branch, [reg.version_path])[reg.version_path].decode()
    git(reg.repo, "switch", "-q", "-c", "retry", "main")
    path = reg.version_path.replace("1.4.0", "1.4.1")
    (reg.repo / path).write_text(text.replace("version: 1.4.0", "version: 1.4.1"), encoding="utf-8")
    if root_cause is not None:
        _set(reg, path, "change.root_cause", root_cause)
    reg.commit("retry the data update")
    return path


def test_a_failed_evaluation_stays_on_record_and_a_retry_must_cite_its_root_cause(reg: SignedRegistry,
                                                                                  run_cli) -> None:
    _set(reg, reg.version_path, "validation.overall.auc_roc", 0.79)
    _set(reg, reg.version_path, "validation.overall.auc_ci95", [0.778, 0.801])
    reg.commit("a weaker model")
    failed = _record_check(reg, run_cli, reg.branch)
    assert failed.code == 1 and "gates.auc_floor" in failed.stdout, failed.stdout
    assert f"recorded: {reg.version_path} fail as evaluation" in failed.stderr, failed.stderr
    record = failed.stderr.split("as evaluation ")[1].split()[0]

    # The pull request is pushed again until it passes: the failure stays on the evaluations branch.
    git(reg.repo, "checkout", "-q", "HEAD~1", "--", reg.version_path)
    reg.commit("back to the validated numbers")
    assert _record_check(reg, run_cli, reg.branch).code == 1  # pending approvals, no longer failing
    (on_record,) = _failures(reg)
    assert on_record["record"] == record and on_record["version"] == "1.4.0"
    assert on_record["modification_id"] == data_update_modification(reg.repo, MODEL)
    assert "gates.auc_floor" in on_record["rules"]
    assert len(reg.git.tree_files(EVALUATIONS_REF)) == 2  # the failure, then the pending evaluation

    # A later version trying the same modification again, without a root cause: denied.
    retry = _retry_branch(reg)
    report = run_check(reg.repo, base="main", head="retry")
    (manifest,) = [m for m in report.manifests if m.path == retry]
    rules = {f.rule: f.message for f in manifest.findings}
    assert "gates.retry_without_root_cause" in rules, rules
    assert record in rules["gates.retry_without_root_cause"] and "1.4.0" in rules["gates.retry_without_root_cause"]

    # The same retry citing the recorded failure's root-cause analysis passes that rule.
    git(reg.repo, "switch", "-q", "main")
    git(reg.repo, "branch", "-q", "-D", "retry")
    cited = _retry_branch(reg, {"failed_evaluation": record, "summary": "a site feed dropped lactate; fixed",
                                "conclusion": "unrelated_to_pccp"})
    shown = json.loads(run_cli("check", "--base", "main", "--head", "retry", "--format", "json", cwd=reg.repo).stdout)
    (manifest,) = [m for m in shown["manifests"] if m["path"] == cited]
    assert not {"gates.retry_without_root_cause", "gates.root_cause_unknown"} & {f["rule"] for f in manifest["findings"]}
    assert shown["decision"] == "pending"  # only the approvals remain


def test_a_record_not_signed_by_the_gate_counts_for_nothing(reg: SignedRegistry, run_cli) -> None:
    modification = data_update_modification(reg.repo, MODEL)
    # A reviewer's own certificate (a person, not the gate) signs a "failure" of 1.4.0.
    record_failure(reg.git, reg.pki.signer(reg.person("kosei")), model=MODEL, version="1.4.0",
                   modification_id=modification)
    assert _failures(reg) == []
    retry = _retry_branch(reg)
    report = run_check(reg.repo, base="main", head="retry")
    (manifest,) = [m for m in report.manifests if m.path == retry]
    assert "gates.retry_without_root_cause" not in {f.rule for f in manifest.findings}


def test_a_root_cause_citing_no_recorded_failure_is_denied(reg: SignedRegistry) -> None:
    record = record_failure(reg.git, recorder_signer(reg.pki), model=MODEL, version="1.4.0",
                            modification_id=data_update_modification(reg.repo, MODEL))
    retry = _retry_branch(reg, {"failed_evaluation": "0" * 64, "summary": "guessed", "conclusion": "unrelated_to_pccp"})
    report = run_check(reg.repo, base="main", head="retry")
    (manifest,) = [m for m in report.manifests if m.path == retry]
    (finding,) = [f for f in manifest.findings if f.rule == "gates.root_cause_unknown"]
    assert "0" * 64 in finding.message and record.record in finding.message


def test_a_pull_request_cannot_trust_its_own_recorder(untimed_registry: SignedRegistry) -> None:
    """trust.yaml is read at the base: a head that lists its own key as the recorder gains nothing."""
    reg = untimed_registry
    trust_the_recorder(reg.repo, "mallory@example.org")
    reg.commit("trust my own recorder")
    record_failure(reg.git, recorder_signer(reg.pki, "mallory@example.org"), model=MODEL, version="1.3.9",
                   modification_id=data_update_modification(reg.repo, MODEL))
    with ApprovalBook.open(reg.git, base="main") as book:
        assert recorded_failures(reg.git, book, MODEL) == []
    with ApprovalBook.open(reg.git, base=reg.branch) as book:  # what the head's trust would have said
        assert [f["version"] for f in recorded_failures(reg.git, book, MODEL)] == ["1.3.9"]


def test_check_record_needs_a_signing_method(reg: SignedRegistry, run_cli) -> None:
    shown = run_cli("check", "--base", "main", "--record", cwd=reg.repo)
    assert shown.code == 2 and "--record signs the evaluation" in shown.stderr
    assert reg.git.rev_parse(EVALUATIONS_REF) is None


def test_records_are_kept_in_the_repository(reg: SignedRegistry) -> None:
    record_failure(reg.git, recorder_signer(reg.pki), model=MODEL, version="1.4.0", modification_id=None)
    (item,) = reg.git.tree_files(EVALUATIONS_REF)
    assert item.path.startswith(f"{MODEL}/1.4.0/") and item.path.endswith(".sigstore.json")
    assert Path(item.path).name.count("-") == 1


def test_records_travel_with_the_ledger_and_two_clones_recording_at_once_lose_none(reg: SignedRegistry,
                                                                                   tmp_path: Path) -> None:
    """`ledger push` publishes the records (a fast-forward, replayed when another clone pushed first);
    `ledger fetch` brings them to a fresh clone, whose gate then counts them."""
    from clinigate.approvals.ledger import Ledger
    from clinigate.gitrepo import Git

    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    git(reg.repo, "remote", "add", "origin", str(origin))
    git(reg.repo, "push", "-q", "origin", "main")
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", "-b", "main", str(origin), str(other))
    modification = data_update_modification(reg.repo, MODEL)
    first = record_failure(reg.git, recorder_signer(reg.pki), model=MODEL, version="1.3.8",
                           modification_id=modification)
    second = record_failure(Git(other), recorder_signer(reg.pki), model=MODEL, version="1.3.9",
                            modification_id=modification)
    Ledger(reg.git).push("origin")
    Ledger(Git(other)).push("origin")  # origin moved since this clone looked: its record is replayed on top
    fresh = tmp_path / "fresh"
    git(tmp_path, "clone", "-q", "-b", "main", str(origin), str(fresh))
    Ledger(Git(fresh)).fetch("origin")
    with ApprovalBook.open(Git(fresh), base="origin/main") as book:
        found = recorded_failures(Git(fresh), book, MODEL)
    assert sorted(f["record"] for f in found) == sorted([first.record, second.record])
