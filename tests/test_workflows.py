"""Workflow hygiene (DESIGN §10): valid workflow syntax, actions pinned to SHAs, least permissions."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from testing.fixtures import REPO_ROOT

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))


def test_workflows_match_the_github_schema() -> None:
    proc = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                           "vendor.github-workflows", *map(str, WORKFLOWS)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_hygiene(path: Path) -> None:
    text = path.read_text()
    doc = yaml.safe_load(text)
    assert doc.get("permissions") == {"contents": "read"}, "least permissions at the top level"
    for ref in re.findall(r"uses:\s*(\S+)", text):
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), f"{ref} is not pinned to a commit SHA"
    for job in doc["jobs"].values():
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False


def _steps(name: str) -> list[dict[str, object]]:
    doc = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / name).read_text())
    return [step for job in doc["jobs"].values() for step in job.get("steps", [])]


def _runs(name: str) -> str:
    return "\n".join(str(step.get("run", "")) for step in _steps(name))


def test_the_gate_installs_clinigate_from_the_base_revision() -> None:
    """DESIGN §13: a pull request's own tooling/ never judges it."""
    doc = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "pr-gate.yml").read_text())
    runs = _runs("pr-gate.yml")
    assert 'git worktree add --detach "$RUNNER_TEMP/base" "$BASE_SHA"' in runs
    installs = [line for line in runs.splitlines() if "pip" in line and "install" in line]
    assert installs and all("$RUNNER_TEMP/base" in line for line in installs), installs
    assert not re.search(r"pip install\s+(-e\s+)?['\"]?\.(\[|['\"\s]|$)", runs), "installs the PR's own checkout"
    assert doc["jobs"]["gate"]["env"]["BASE_SHA"].startswith("${{ github.event.pull_request.base.sha")
    checks = [line for line in runs.splitlines() if line.strip().startswith("clinigate check")]
    assert checks and all('--base "$BASE_SHA" --head "$HEAD_SHA"' in line for line in checks)


def test_the_gate_check_is_named_clinigate_gate_and_runs_in_the_merge_queue() -> None:
    doc = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "pr-gate.yml").read_text())
    assert doc["jobs"]["gate"]["name"] == "clinigate/gate"
    triggers = doc[True] if True in doc else doc["on"]  # PyYAML reads the key `on` as True
    assert set(triggers) == {"pull_request", "merge_group"}


def test_sync_deploys_main_only_after_fetching_the_ledger() -> None:
    doc = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "sync.yml").read_text())
    assert doc["jobs"]["sync"]["if"] == "github.ref == 'refs/heads/main'"
    runs = [str(step.get("run", "")) for step in _steps("sync.yml")]
    fetch = next(i for i, run in enumerate(runs) if "clinigate ledger fetch" in run)
    syncs = [i for i, run in enumerate(runs) if run.startswith("clinigate sync")]
    assert syncs and all(i > fetch for i in syncs)
    assert all("--rev origin/main" in runs[i] and "--rev HEAD" not in runs[i] for i in syncs)


def test_no_job_that_checks_out_pr_code_can_write_or_sign() -> None:
    """A job that checks out a pull request's head holds no write permission and no OIDC token."""
    for path in WORKFLOWS:
        doc = yaml.safe_load(path.read_text())
        for name, job in doc["jobs"].items():
            refs = [str(step.get("with", {}).get("ref", "")) for step in job.get("steps", [])
                    if str(step.get("uses", "")).startswith("actions/checkout@")]
            if not any("pull_request" in ref or "merge_group" in ref for ref in refs):
                continue
            granted = {**doc.get("permissions", {}), **job.get("permissions", {})}
            assert all(level == "read" for level in granted.values()), (path.name, name, granted)


def test_the_gate_decides_with_real_opa_in_process_from_the_base_lock() -> None:
    runs = _runs("pr-gate.yml")
    assert "docker" not in runs  # no unpinned image: the OPA release is the base's locked wheel
    deciding = [line for line in runs.splitlines() if line.startswith("clinigate check") and "|| true" not in line]
    assert deciding and all("--engine opa " in line for line in deciding)
