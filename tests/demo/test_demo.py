from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from testing.fixtures import CliResult

from clinigate.demo import run_tour


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


def test_tour_steps_catch_the_broken_manifest_and_leave_a_git_repo(tmp_path: Path) -> None:
    workdir = tmp_path / "tour"
    steps = list(run_tour(workdir))
    assert all(step.ok for step in steps), [s.title for s in steps if not s.ok]
    titles = [s.title for s in steps]
    assert titles[1] == "The versions in service carry signed approvals"
    validate, broken, fixed, monitored, evidence, gate, signed, verify = steps[2:10]
    assert validate.details["report"].passed
    rules = {f.rule for f in broken.details["report"].errors}
    assert {"schema.unknown-field", "schema.range", "schema.consistency"} <= rules
    assert all(f.line is not None for f in broken.details["report"].errors)
    assert fixed.details["report"].passed
    assert monitored.title == "Production drifts, and the plan says what to do"
    assert "PSI of score is" in monitored.output and "starts data_update" in monitored.output
    assert evidence.title == "The numbers are computed, not typed"
    assert "gates.evidence" not in gate.output  # the gate recomputed the numbers and they match
    gate_report = gate.details["report"]
    assert gate_report.decision == "pending"
    [version] = [m for m in gate_report.manifests if m.kind == "ModelVersion"]
    assert (version.change_class, version.pccp_status) == ("data_update", "conforming")
    assert sorted(version.missing_roles) == ["clinical_reviewer", "ml_reviewer", "quality"]
    assert signed.details["report"].decision == "pass"
    # Signed stage by stage (the PCCP's review order): technical, clinical, then quality.
    assert [line.split(" by ")[0] for line in signed.output.splitlines()[:3]] == [
        "signed: ml_reviewer", "signed: clinical_reviewer", "signed: quality"]
    rows = [v.as_dict() for d in verify.details["verify"].documents for v in d.verdicts]
    assert {(r["role"], r["printed_name"], r["meaning"], r["valid"]) for r in rows} == {
        ("ml_reviewer", "Sofia Marquez, PhD", "approval", True),
        ("clinical_reviewer", "Johanna Lindqvist, MD", "approval", True),
        ("quality", "Diane Whitfield, RAC", "approval", True)}

    staged, audited, reported, exported = steps[-4:]
    assert staged.title == "An hour later, staging moves"
    assert audited.title == "The history answers the auditor" and audited.details["findings"] == []
    assert "staging at " in audited.output and ": 1.2.1, in force since" in audited.output
    assert reported.title == "The report a reviewer reads"
    page = (workdir / "reports" / "sepsis-ews-1.3.0.html").read_text()
    assert str(workdir / "reports" / "sepsis-ews-1.3.0.html") in reported.output
    assert 'id="forest-plot"' in page and 'id="approvals-table"' in page and "Diane Whitfield, RAC" in page
    assert exported.title == "Approvals an auditor verifies without clinigate"
    assert str(workdir / "audit-export" / "VERIFY.md") in exported.output
    assert (workdir / "audit-export" / "VERIFY.md").read_text().count("node sigstore_js_verify.mjs") >= 10

    assert _git(workdir, "branch", "--show-current").strip() == "main"
    branch = fixed.details["branch"]
    log = _git(workdir, "log", "--format=%s", branch).splitlines()
    model, version = branch.split("/")[1].rsplit("-", 1)
    assert log[0] == f"Evaluate {model} {version} from its predictions"
    assert log.index(f"Fix {model} {version} manifest") < log.index(f"Add {model} {version} (with mistakes)")
    assert "Cite monitoring report 2026-q4" in log
    assert _git(workdir, "status", "--porcelain") == ""


def test_demo_command_prints_a_readable_tour(tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    workdir = tmp_path / "demo"
    result = run_cli("demo", "--workdir", str(workdir))
    assert result.code == 0, result.stdout + result.stderr
    for text in ("Step 1. A registry is a Git repository", "Step 2. The versions in service carry signed approvals",
                 "Step 3. Validate every document",
                 "$ clinigate validate", "[schema.unknown-field]", "'rationle'", "The fix passes",
                 "data_update · conforming · regulatory action: none", "decision: pending",
                 "Reviewers sign; the gate passes", "decision: pass", "meaning: approval"):
        assert text in result.stdout
    assert (workdir / ".git").is_dir() and (workdir / "models" / "sepsis-ews" / "pccp.yaml").is_file()
    assert " INFO " not in result.stdout + result.stderr  # MLflow's own log lines stay quiet


def test_demo_refuses_a_folder_that_is_not_empty(tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    (tmp_path / "keep.txt").write_text("precious")
    result = run_cli("demo", "--workdir", str(tmp_path))
    assert result.code == 2 and "not empty" in result.stderr
    assert (tmp_path / "keep.txt").read_text() == "precious"


@pytest.mark.slow
def test_demo_leaves_mlflow_following_git_and_drift_is_repaired(
        tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    workdir = tmp_path / "demo"
    assert run_cli("demo", "--workdir", str(workdir)).code == 0
    uri = f"sqlite:///{workdir / 'mlflow.db'}"
    assert run_cli("sync", "--tracking-uri", uri, "--dry-run", cwd=workdir).code == 0

    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    def aliases(name: str) -> dict[str, str]:
        return {k: str(v) for k, v in client.get_registered_model(name).aliases.items()}

    # staging moved to the shadow version an hour into the tour (the audit step's second deployment)
    assert aliases("sepsis-ews") == {"production": "11", "staging": "15", "shadow": "15"}
    assert aliases("readmission-30d") == {"production": "5", "staging": "9"}
    client.set_registered_model_alias("sepsis-ews", "production", "14")  # moved by hand

    drift = run_cli("sync", "--tracking-uri", uri, "--dry-run", cwd=workdir)
    assert drift.code == 1 and "moved by hand" in drift.stdout
    assert run_cli("sync", "--tracking-uri", uri, "--apply", cwd=workdir).code == 0
    assert aliases("sepsis-ews")["production"] == "11"
    assert run_cli("sync", "--tracking-uri", uri, "--dry-run", cwd=workdir).code == 0
    assert _git(workdir, "status", "--porcelain") == ""
    tags = client.get_model_version("sepsis-ews", "11").tags
    assert tags["clinigate.approved_by"] and tags["clinigate.change_class"]
    assert run_cli("verify", cwd=workdir).code == 0  # every signature the demo made verifies
