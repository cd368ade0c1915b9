"""``check`` on real Git repositories built from the example registry (issue 3 acceptance)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from testing.changes import SEPSIS, new_sepsis_version, only_manifest
from testing.fixtures import CliResult, commit_all, git

from clinigate.gate.check import GateDecision as CheckReport
from clinigate.gate.check import run_check


def _branch(repo: Path) -> None:
    git(repo, "switch", "-q", "-c", "change")


def _check(repo: Path) -> CheckReport:
    return run_check(repo, base="main", head="HEAD")


def test_clean_data_update_is_pending_with_the_pccp_roles(registry: Path) -> None:
    _branch(registry)
    path = new_sepsis_version(registry)
    commit_all(registry, "sepsis 1.4.0")
    report = _check(registry)
    m = only_manifest(report, path)
    assert (m.change_class, m.pccp_status, m.regulatory_action) == ("data_update", "conforming", "none"), \
        [(f.rule, f.message) for f in m.findings]
    assert [f for f in m.findings if f.severity.value == "error"] == []
    assert sorted(m.required_roles) == ["clinical_reviewer", "ml_reviewer", "quality"]
    assert report.decision == "pending"


def test_black_patient_subgroup_gap_fails_naming_attribute_group_and_gap(registry: Path) -> None:
    _branch(registry)

    def worse(text: str) -> str:
        start = text.index("group: Black or African American")
        block_end = text.index("ci95:", start)
        line_end = text.index("\n", block_end)
        block = re.sub(r"auc_roc: [0-9.]+", "auc_roc: 0.683", text[start:block_end])
        return text[:start] + block + "ci95: [0.66, 0.705]" + text[line_end:]

    path = new_sepsis_version(registry, worse)
    commit_all(registry, "sepsis 1.4.0 with a subgroup gap")
    report = _check(registry)
    m = only_manifest(report, path)
    denies = [f for f in m.findings if f.severity.value == "error"]
    assert report.decision == "fail"
    assert any("race" in f.message and "Black or African American" in f.message and "0.19" in f.message
               for f in denies), [f.message for f in denies]


def test_intended_use_change_is_outside_the_pccp(registry: Path) -> None:
    _branch(registry)
    model = registry / SEPSIS / "model.yaml"
    text = model.read_text()
    assert "  purpose: >-\n" in text
    model.write_text(text.replace("  purpose: >-\n", "  purpose: >-\n    Extended to paediatric wards.\n", 1))
    path = new_sepsis_version(registry)
    commit_all(registry, "widen the indication")
    report = _check(registry)
    m = only_manifest(report, path)
    assert (m.change_class, m.pccp_status, m.regulatory_action) == ("new_indication", "outside_pccp", "new_submission")
    assert report.decision == "fail"


def test_editing_a_merged_manifest_is_an_immutability_finding(registry: Path) -> None:
    _branch(registry)
    target = registry / SEPSIS / "versions/1.2.0.yaml"
    target.write_text(re.sub(r"(?m)^submitted_on: .*$", "submitted_on: 2025-03-01", target.read_text(), count=1))
    commit_all(registry, "edit a merged manifest")
    report = _check(registry)
    m = only_manifest(report, f"{SEPSIS}/versions/1.2.0.yaml")
    assert report.decision == "fail"
    assert any("immutab" in f.rule or "never change" in f.message for f in m.findings), [f.message for f in m.findings]


@pytest.mark.parametrize("version", ["9.9.9", "1.4.0"], ids=["unknown", "unapproved"])
def test_deployment_naming_an_unknown_or_unapproved_version_fails(registry: Path, version: str) -> None:
    _branch(registry)
    if version == "1.4.0":
        new_sepsis_version(registry)
    deployment = registry / SEPSIS / "deployment.yaml"
    text = re.sub(r"(?m)^(  production:\n    version: )\S+$", lambda m: m.group(1) + version,
                  deployment.read_text(), count=1)
    deployment.write_text(text)
    commit_all(registry, f"promote {version}")
    report = _check(registry)
    m = only_manifest(report, f"{SEPSIS}/deployment.yaml")
    assert report.decision == "fail"
    assert any(version in f.message for f in m.findings if f.severity.value == "error"), \
        [(f.rule, f.message) for f in m.findings]


def test_pccp_edit_is_a_plan_change_needing_a_submission(registry: Path) -> None:
    _branch(registry)
    pccp = registry / SEPSIS / "pccp.yaml"
    pccp.write_text(re.sub(r"(?m)^title: (.*)$", r"title: \1 (amended)", pccp.read_text(), count=1))
    commit_all(registry, "amend the plan")
    report = _check(registry)
    m = only_manifest(report, f"{SEPSIS}/pccp.yaml")
    assert report.decision == "fail"
    assert m.pccp_status == "outside_pccp" and m.regulatory_action == "new_submission"
    assert "regulatory" in m.required_roles


def test_cli_json_and_markdown(registry: Path, run_cli: Callable[..., CliResult]) -> None:
    _branch(registry)
    path = new_sepsis_version(registry)
    commit_all(registry, "sepsis 1.4.0")
    result = run_cli("check", "--base", "main", "--format", "json", cwd=registry)
    assert result.code == 1, result.stderr
    doc = json.loads(result.stdout)
    assert doc["decision"] == "pending"
    entry = next(m for m in doc["manifests"] if m["path"] == path)
    assert set(entry) >= {"path", "model", "version", "change_class", "pccp_status", "regulatory_action",
                          "findings", "required_roles", "approvals"}
    md = run_cli("check", "--base", "main", "--format", "markdown", cwd=registry)
    assert "| `models/sepsis-ews/versions/1.4.0.yaml` | data_update | conforming |" in md.stdout


def test_unknown_base_is_an_environment_error(registry: Path, run_cli: Callable[..., CliResult]) -> None:
    result = run_cli("check", "--base", "no-such-branch", cwd=registry)
    assert result.code == 3 and "no-such-branch" in result.stderr and "Traceback" not in result.stderr


def test_no_registry_change_passes(registry: Path, run_cli: Callable[..., CliResult]) -> None:
    _branch(registry)
    (registry / "NOTES.txt").write_text("unrelated")
    commit_all(registry, "unrelated")
    result = run_cli("check", "--base", "main", cwd=registry)
    assert result.code == 0 and "decision: pass" in result.stdout


def test_policy_and_workflow_edits_are_governance_changes_not_documents(registry: Path) -> None:
    _branch(registry)
    gates = registry / "policies" / "gates.rego"
    gates.write_text(gates.read_text() + "\n# tuned\n")
    workflow = registry / ".github" / "workflows" / "pr-gate.yml"
    workflow.parent.mkdir(parents=True, exist_ok=True)
    workflow.write_text("name: gate\non: pull_request\njobs: {}\n")
    commit_all(registry, "touch policies and a workflow")
    report = _check(registry)
    kinds = {m.path: m.kind for m in report.manifests}
    assert kinds == {"policies/gates.rego": "Governance", ".github/workflows/pr-gate.yml": "Governance"}
    for m in report.manifests:
        assert not [f for f in m.findings if f.rule.startswith(("yaml.", "schema.", "document."))]
        assert any(f.rule == "governance.code_owners" for f in m.findings), [f.rule for f in m.findings]
    # Judged by the base's change-control table: pending until those roles sign each file.
    roles = {m.path: m.required_roles for m in report.manifests}
    assert roles == {"policies/gates.rego": ["quality", "regulatory"],
                     ".github/workflows/pr-gate.yml": ["quality", "security_reviewer"]}
    assert report.decision == "pending"


def test_broken_roles_file_fails_the_check(registry: Path) -> None:
    _branch(registry)
    roles = registry / "policies" / "data" / "roles.yaml"
    roles.write_text(roles.read_text().replace("  - id: ", "  - idd: ", 1))
    commit_all(registry, "break roles")
    report = _check(registry)
    m = only_manifest(report, "policies/data/roles.yaml")
    assert report.decision == "fail"
    assert any(f.rule == "schema.unknown-field" for f in m.findings)


def test_uncommitted_registry_changes_get_a_note(registry: Path, run_cli: Callable[..., CliResult]) -> None:
    _branch(registry)
    path = new_sepsis_version(registry)  # written, not committed
    result = run_cli("check", "--base", "main", cwd=registry)
    assert result.code == 0 and "no registry documents changed" in result.stdout
    assert f"note: 1 uncommitted change(s) under models/ or policies/ (e.g. {path}) were not judged" \
        in result.stderr


def test_text_findings_name_file_line_and_column_and_junit_names_the_command(
        registry: Path, run_cli: Callable[..., CliResult]) -> None:
    _branch(registry)
    path = new_sepsis_version(registry, lambda t: t.replace("auc_roc: 0.881", "auc_roc: 0.781", 1))
    commit_all(registry, "sepsis 1.4.0 with a weak overall AUC")
    text = run_cli("check", "--base", "main", cwd=registry).stdout
    assert re.search(rf"  deny {re.escape(path)}:\d+:\d+: \[[a-z_]+\.[a-z_-]+\] ", text), text
    junit = run_cli("check", "--base", "main", "--format", "junit", cwd=registry).stdout
    assert 'testsuite name="clinigate.check"' in junit and "clinigate.validate" not in junit


def test_github_format_annotates_and_ends_with_the_decision(
        registry: Path, run_cli: Callable[..., CliResult]) -> None:
    _branch(registry)
    path = new_sepsis_version(registry)
    commit_all(registry, "sepsis 1.4.0")
    pending = run_cli("check", "--base", "main", "--format", "github", cwd=registry).stdout.splitlines()
    assert f"::notice file={path}::approvals missing: clinical_reviewer, ml_reviewer, quality" in pending
    assert re.fullmatch(r"clinigate check: decision: pending \(0 denied, \d+ warnings, 1 documents\)",
                        pending[-1]), pending
    weak = registry / path
    weak.write_text(weak.read_text().replace("auc_roc: 0.881", "auc_roc: 0.781", 1))
    commit_all(registry, "weaker")
    failed = run_cli("check", "--base", "main", "--format", "github", cwd=registry)
    lines = failed.stdout.splitlines()
    assert failed.code == 1
    assert any(line.startswith(f"::error file={path},line=") for line in lines), lines
    assert re.fullmatch(r"clinigate check: decision: fail \([1-9]\d* denied, \d+ warnings, 1 documents\)",
                        lines[-1]), lines
    assert not any("::notice" in line for line in lines)  # a blocked version is not 'awaiting approvals'


def test_nan_hyperparameter_fails_the_check_at_its_line_not_as_an_engine_error(
        registry: Path, run_cli: Callable[..., CliResult]) -> None:
    _branch(registry)
    path = new_sepsis_version(registry, lambda t: t.replace("      gamma: 0.5\n", "      gamma: .nan\n", 1))
    commit_all(registry, "sepsis 1.4.0 with a NaN")
    result = run_cli("check", "--base", "main", cwd=registry)
    assert result.code == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    line = (registry / path).read_text().split("gamma: .nan")[0].count("\n") + 1
    section = result.stdout.split(path, 1)[1]
    assert re.search(rf"deny {re.escape(path)}:{line}:\d+: \[yaml\.non-finite\] "
                     r"training\.algorithm\.hyperparameters\.gamma:", section), result.stdout
    assert "decision: fail" in result.stdout


def _without_80_plus(text: str) -> str:
    start = text.index("    - attribute: age_band\n      group: 80+\n")
    return text[:start] + text[text.index("    - attribute:", start + 1):]


def test_deleting_the_80_plus_group_fails_the_check(registry: Path, run_cli: Callable[..., CliResult]) -> None:
    # The policies alone would call this data_update · conforming: the gate must still refuse it.
    _branch(registry)
    path = new_sepsis_version(registry, _without_80_plus)
    commit_all(registry, "sepsis 1.4.0 without the 80+ band")
    result = run_cli("check", "--base", "main", cwd=registry)
    assert result.code == 1, result.stdout + result.stderr
    section = result.stdout.split(path, 1)[1]
    assert re.search(rf"deny {re.escape(path)}:\d+:\d+: \[xref\.subgroup-missing\] validation\.subgroups:",
                     section), result.stdout
    assert "no age_band subgroup '80+' in validation.subgroups" in section
    assert "decision: fail" in result.stdout
    m = only_manifest(_check(registry), path)
    assert m.decision == "fail" and [f.rule for f in m.findings if f.severity.value == "error"] == [
        "xref.subgroup-missing"]


def test_a_build_metadata_twin_of_a_merged_version_fails_the_check(registry: Path) -> None:
    _branch(registry)
    text = (registry / SEPSIS / "versions/1.3.0.yaml").read_text()
    twin = f"{SEPSIS}/versions/1.3.0+build.1.yaml"
    (registry / twin).write_text(text.replace("version: 1.3.0\n", "version: 1.3.0+build.1\n", 1))
    commit_all(registry, "1.3.0 again, with build metadata")
    m = only_manifest(_check(registry), twin)
    assert m.decision == "fail"
    assert any(f.rule == "xref.duplicate-version" and f"{SEPSIS}/versions/1.3.0.yaml" in f.message
               for f in m.findings), [(f.rule, f.message) for f in m.findings]
