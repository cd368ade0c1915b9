"""The gate judges with the base revision: nothing a pull request brings decides its own outcome.

Each test is one attack from the trust-boundary issue (DESIGN §13), tried on a real Git
repository built from the example registry, and run the way CI runs it: ``check --base main
--head <branch>`` through the real console entry point where exit codes matter.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from testing.changes import NEW_VERSION, new_sepsis_version, only_manifest
from testing.files import replace_in
from testing.fixtures import CliResult, commit_all, git

from clinigate.gate.check import run_check
from clinigate.policy.decision import DocumentDecision, GateDecision


def _write(repo: Path, path: str, text: str) -> None:
    file = repo / path
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(text)


def _check(repo: Path, head: str = "change") -> GateDecision:
    return run_check(repo, base="main", head=head)


def _rules(document: DocumentDecision) -> set[str]:
    return {f.rule for f in document.findings}


EMPTY_ROLES = ('"required_roles": format.sorted(approvals.required_roles),', '"required_roles": [],')


@pytest.fixture
def change(registry: Path) -> Path:
    git(registry, "switch", "-q", "-c", "change")
    return registry


def test_a_pr_emptying_required_roles_in_decision_rego_is_judged_by_the_base(
        change: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    """The attack that used to pass: one line of decision.rego plus a version nobody approved."""
    replace_in(change, "policies/decision.rego", *EMPTY_ROLES)
    new_sepsis_version(change)
    commit_all(change, "a version, and no roles needed")
    report = _check(change)
    version = only_manifest(report, NEW_VERSION)
    assert version.required_roles == ["clinical_reviewer", "ml_reviewer", "quality"]  # the base's decision.rego
    policy = only_manifest(report, "policies/decision.rego")
    assert policy.kind == "Governance"
    assert "governance.mixed_change" in _rules(policy)
    assert report.decision == "fail"
    # The head's own policies are exercised and shown, labelled as not deciding.
    assert report.head_preview is not None and report.head_preview.decisions[NEW_VERSION] == "pass"
    cli: CliResult = run_cli("check", "--base", "main", "--head", "change", "--repo", str(change))
    assert cli.code == 1, cli.stdout + cli.stderr
    assert "[governance.mixed_change]" in cli.stdout
    assert "shown only; the base revision's rules decide" in cli.stdout
    assert "they would decide pass: models/sepsis-ews/versions/1.4.0.yaml" in cli.stdout
    assert cli.stdout.rstrip().endswith("decision: fail")


@pytest.mark.parametrize(("path", "old", "new"), [
    ("policies/decision.rego", *EMPTY_ROLES),
    ("policies/acceptance.rego", 'overall < crit("min_auc_e4")', 'overall < 0'),
    ("policies/data/defaults.yaml", "min_auc: 0.75", "min_auc: 0.10"),
], ids=["decision.rego", "acceptance.rego", "defaults.yaml"])
def test_a_pr_editing_the_policies_alone_is_governance_pending(
        change: Path, path: str, old: str, new: str) -> None:
    replace_in(change, path, old, new)
    commit_all(change, f"tune {path}")
    report = _check(change)
    policy = only_manifest(report, path)
    assert policy.kind == "Governance"
    assert policy.required_roles == ["quality", "regulatory"]
    assert policy.missing_roles == ["quality", "regulatory"]
    assert "governance.code_owners" in _rules(policy) and not policy.blocked
    assert report.decision == "pending"
    assert report.rules_rev == report.base  # main's rules decided, not the branch's


def test_the_base_thresholds_judge_a_version_even_when_the_head_relaxes_them(change: Path) -> None:
    """A version below the base's AUC floor fails with the base's gate, whatever the head's gates say."""
    replace_in(change, "policies/acceptance.rego", 'overall < crit("min_auc_e4")', "overall < 0")
    new_sepsis_version(change)
    replace_in(change, NEW_VERSION, "auc_roc: 0.873\n    auc_ci95: [0.861, 0.884]",
               "auc_roc: 0.790\n    auc_ci95: [0.778, 0.801]")
    commit_all(change, "a weak version and a softer floor")
    report = _check(change)
    assert "gates.auc_floor" in _rules(only_manifest(report, NEW_VERSION))
    assert report.decision == "fail"


@pytest.mark.parametrize("path", ["tooling/clinigate/gate/check.py", ".github/workflows/pr-gate.yml",
                                  "pyproject.toml", ".ci/run"])
def test_a_pr_editing_the_tool_or_ci_is_governance_pending(change: Path, path: str) -> None:
    _write(change, path, "# the gate, rewritten by the change it judges\n")
    commit_all(change, f"edit {path}")
    report = _check(change)
    document = only_manifest(report, path)
    assert document.kind == "Governance"
    assert document.required_roles == ["quality", "security_reviewer"]
    assert report.decision == "pending"


def test_a_pr_touching_trust_yaml_gets_a_governance_decision_never_a_clinigate_bug(
        change: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    trust = "policies/trust/trust.yaml"
    text = (change / trust).read_text()
    (change / trust).write_text(text + "# revoke the stolen laptop's certificate next\n")
    commit_all(change, "touch trust.yaml")
    report = _check(change)
    document = only_manifest(report, trust)
    assert document.kind == "Trust"
    assert "decision.unknown_subject" not in _rules(document)
    assert document.required_roles == ["quality", "security_reviewer"]
    assert report.decision == "pending"
    cli = run_cli("check", "--base", "main", "--head", "change", "--repo", str(change), "--format", "json")
    assert cli.code == 1 and json.loads(cli.stdout)["decision"] == "pending"
    assert "clinigate bug" not in cli.stdout


def test_a_governance_pr_that_also_adds_a_version_fails(change: Path) -> None:
    _write(change, "tooling/clinigate/extra.py", "ALWAYS_PASS = True\n")
    new_sepsis_version(change)
    commit_all(change, "tool change and a version")
    report = _check(change)
    tool = only_manifest(report, "tooling/clinigate/extra.py")
    finding = next(f for f in tool.findings if f.rule == "governance.mixed_change")
    assert NEW_VERSION in finding.message
    assert report.decision == "fail"


def test_the_head_policies_that_do_not_compile_are_shown_and_do_not_decide(change: Path) -> None:
    _write(change, "policies/broken.rego", "package clinigate.broken\n\nthis is not rego\n")
    commit_all(change, "broken policy")
    report = _check(change)
    assert report.head_preview is not None and report.head_preview.error
    assert report.decision == "pending"  # the base's rules still judged: a governance change


def test_a_pr_behind_main_reports_no_false_deletions(change: Path) -> None:
    """GitHub shows a pull request as merge-base...head; main's newer work is not the PR's."""
    new_sepsis_version(change)
    commit_all(change, "sepsis 1.4.0")
    git(change, "switch", "-q", "main")
    later = (change / "models/readmission-30d/versions/2.0.0.yaml").read_text()
    later = later.replace("version: 2.0.0\nparent: 1.1.0", "version: 2.1.0\nparent: 2.0.0", 1)
    (change / "models/readmission-30d/versions/2.1.0.yaml").write_text(later)
    commit_all(change, "readmission 2.1.0 lands on main first", date="2026-02-02T10:00:00+00:00")
    report = _check(change)
    assert [m.path for m in report.manifests] == [NEW_VERSION]
    assert report.merge_base != report.base
    assert report.decision == "pending"


def test_sync_refuses_a_revision_off_the_deployment_branch(change: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    """A branch carrying its own CA or policies never reaches production through sync --rev."""
    _write(change, "policies/trust/evil-ca.pem", "-----BEGIN CERTIFICATE-----\n")
    commit_all(change, "my own CA")
    store = change.parent / "mlflow.db"
    cli = run_cli("sync", "--tracking-uri", f"sqlite:///{store}", "--dry-run", "--rev", "change",
                  "--repo", str(change))
    assert cli.code == 2, cli.stdout + cli.stderr
    assert "sync.rev_not_on_deployment_branch" in cli.stderr
    assert "Traceback" not in cli.stderr
    assert not store.exists()  # refused before MLflow was touched


def test_sync_refuses_a_side_branch_commit_merged_into_main(change: Path) -> None:
    """Only the first-parent line passed the gate: a side branch's own commits did not."""
    from clinigate.errors import UsageError
    from clinigate.gitrepo import Git
    from clinigate.registry.branch import deployable

    _write(change, "notes.txt", "side work\n")
    commit_all(change, "side work")
    side = Git(change).resolve("change")
    git(change, "switch", "-q", "main")
    git(change, "-c", "commit.gpgsign=false", "merge", "-q", "--no-ff", "-m", "merge", "change")
    repo = Git(change)
    assert deployable(repo, "main") == repo.resolve("main")
    assert deployable(repo, None) == repo.resolve("main")
    with pytest.raises(UsageError, match="sync.rev_not_on_deployment_branch"):
        deployable(repo, side)


def test_two_model_folders_naming_one_registered_model_are_refused(registry: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    replace_in(registry, "models/readmission-30d/versions/2.0.0.yaml",
               "registered_model: readmission-30d", "registered_model: sepsis-ews")
    cli = run_cli("validate", "--repo", str(registry), "--format", "json")
    assert cli.code == 1, cli.stdout + cli.stderr
    found = [(m["path"], f) for m in json.loads(cli.stdout)["manifests"] for f in m["findings"]
             if f["rule"] == "xref.registered-model-shared"]
    assert {path for path, _ in found} == {"models/readmission-30d/versions/2.0.0.yaml",
                                           "models/sepsis-ews/versions/1.0.0.yaml"}
    found = [f for _, f in found]
    assert all("one MLflow registered model belongs to one model folder" in f["message"] for f in found)


def test_a_governance_pr_passes_once_its_roles_signed_each_changed_file(
        signed_registry, run_cli) -> None:  # type: ignore[no-untyped-def]
    """Approvals bind each governance file's path and the sha256 of its bytes at the head."""
    reg = signed_registry
    git(reg.repo, "switch", "-q", "-c", "governance", "main")
    replace_in(reg.repo, "policies/acceptance.rego", 'overall < crit("min_auc_e4")', 'overall < crit("min_auc_e4") + 0')
    _write(reg.repo, ".github/workflows/extra.yml", "name: extra\n")
    reg.commit("tighten nothing, add a workflow")
    assert _check(reg.repo, "governance").decision == "pending"
    reg.sign("dwhitfield", "regulatory", "policies/acceptance.rego")
    reg.sign("kosei", "quality", "policies/acceptance.rego")
    report = _check(reg.repo, "governance")
    assert only_manifest(report, "policies/acceptance.rego").missing_roles == []
    assert only_manifest(report, ".github/workflows/extra.yml").missing_roles == ["quality", "security_reviewer"]
    assert report.decision == "pending"
    reg.sign("tchen", "security_reviewer", ".github/workflows/extra.yml")
    reg.sign("kosei", "quality", ".github/workflows/extra.yml")
    cli = run_cli("check", "--base", "main", "--head", "governance", "--repo", str(reg.repo))
    assert cli.code == 0, cli.stdout + cli.stderr
    assert cli.stdout.rstrip().endswith("decision: pass")
    # One more byte in a signed file and its approvals no longer cover it.
    replace_in(reg.repo, "policies/acceptance.rego", "+ 0", "+ 0 + 0")
    reg.commit("edit after approval")
    document = only_manifest(_check(reg.repo, "governance"), "policies/acceptance.rego")
    assert document.missing_roles == ["quality", "regulatory"]
    assert {a.rule for a in document.approvals} == {"approval.stale"}


def test_a_governance_approval_cannot_be_replayed_onto_another_file(signed_registry) -> None:  # type: ignore[no-untyped-def]
    reg = signed_registry
    git(reg.repo, "switch", "-q", "-c", "governance", "main")
    _write(reg.repo, "tooling/a.py", "A = 1\n")
    _write(reg.repo, "tooling/b.py", "A = 1\n")  # the same bytes: only the path tells them apart
    reg.commit("two tool files")
    act = reg.sign("tchen", "security_reviewer", "tooling/a.py")
    reg.append_raw("tooling/b.py", act.document_sha256, act.bundle)
    b = only_manifest(_check(reg.repo, "governance"), "tooling/b.py")
    assert [a.rule for a in b.approvals] == ["approval.replayed_document"]
