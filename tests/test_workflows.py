"""Workflow hygiene (DESIGN §10): valid workflow syntax, actions pinned to SHAs, least permissions."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

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
    assert doc.get("permissions") in ({"contents": "read"}, {}), "least permissions at the top level"
    for ref in re.findall(r"uses:\s*(\S+)", text):
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), f"{ref} is not pinned to a commit SHA"
    for job in doc["jobs"].values():
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False


# What a run: step may do besides calling clinigate: put clinigate (from a trusted revision) on
# the runner, and the project's own CI script in tests.yml.
SETUP_LINES = [re.compile(p) for p in (
    r'python -m pip install -c \.ci/constraints\.txt \.',
    r'python -m venv "\$RUNNER_TEMP/judge"',
    r'"\$RUNNER_TEMP/judge/bin/pip" install (--ignore-requires-python )?-c "\$RUNNER_TEMP/base/\.ci/constraints\.txt" \S+',
    r'echo "\$RUNNER_TEMP/judge/bin" >> "\$GITHUB_PATH"',
    r'git worktree add --detach "\$RUNNER_TEMP/base" "\$BASE_SHA"',
    r'bash \.ci/run',
)]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_run_step_calls_one_clinigate_command(path: Path) -> None:
    """DESIGN §10: workflows are thin; the logic lives in the package, where it is tested."""
    for step in _steps(path.name):
        if "run" not in step:
            continue
        lines = [line.strip() for line in str(step["run"]).strip().splitlines()]
        if any(line.startswith("clinigate ") for line in lines):
            assert len(lines) == 1, (path.name, step.get("name"), "one clinigate command per step")
            assert ";" not in lines[0] and "&&" not in lines[0], (path.name, lines[0])
            continue
        for line in lines:
            assert any(p.fullmatch(line) for p in SETUP_LINES), (path.name, step.get("name"), line)


def _doc(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / name).read_text())
    return doc


def _triggers(doc: dict[str, Any]) -> dict[str, Any]:
    triggers: dict[str, Any] = doc[True] if True in doc else doc["on"]  # PyYAML reads `on` as True
    return triggers


def _steps(name: str) -> list[dict[str, object]]:
    return [step for job in _doc(name)["jobs"].values() for step in job.get("steps", [])]


def _runs(name: str) -> str:
    return "\n".join(str(step.get("run", "")) for step in _steps(name))


def test_the_evaluation_installs_clinigate_from_the_base_revision() -> None:
    """DESIGN §13: a pull request's own tooling/ never judges it."""
    doc = _doc("pr-gate.yml")
    runs = _runs("pr-gate.yml")
    assert 'git worktree add --detach "$RUNNER_TEMP/base" "$BASE_SHA"' in runs
    installs = [line for line in runs.splitlines() if "pip" in line and "install" in line]
    assert installs and all("$RUNNER_TEMP/base" in line for line in installs), installs
    assert not re.search(r"pip install\s+(-e\s+)?['\"]?\.(\[|['\"\s]|$)", runs), "installs the PR's own checkout"
    assert doc["jobs"]["evaluate"]["env"]["BASE_SHA"] == "${{ github.event.pull_request.base.sha }}"
    checks = [line for line in runs.splitlines() if line.strip().startswith("clinigate check")]
    assert checks and all('--base "$BASE_SHA" --head "$HEAD_SHA"' in line for line in checks)


def test_the_evaluation_is_not_the_gate() -> None:
    """The required check clinigate/gate is the status the approval workflow posts; a job of
    the PR's own workflow cannot be it (nor post it: it holds no statuses permission)."""
    doc = _doc("pr-gate.yml")
    assert doc["name"] == "clinigate/evaluate" and doc["jobs"]["evaluate"]["name"] == "clinigate/evaluate"
    assert set(_triggers(doc)) == {"pull_request"}
    for path in WORKFLOWS:
        for name, job in _doc(path.name)["jobs"].items():
            assert job.get("name") != "clinigate/gate", (path.name, name)


def test_the_approval_workflow_runs_from_main_and_signs_then_pushes_then_posts_the_gate() -> None:
    doc = _doc("record-approval.yml")
    triggers = _triggers(doc)
    assert set(triggers) == {"workflow_run", "workflow_dispatch"}
    assert set(triggers["workflow_run"]["workflows"]) == {_doc("review.yml")["name"], _doc("pr-gate.yml")["name"]}
    trust = yaml.safe_load((REPO_ROOT / "policies/trust/trust.yaml").read_text())["sigstore"]["ci"]
    assert trust["workflow"] == ".github/workflows/record-approval.yml"
    for job in doc["jobs"].values():
        assert job["if"] == "github.ref == 'refs/heads/main'"
        checkouts = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout@")]
        assert [c["with"]["ref"] for c in checkouts] == ["main"]
    record = doc["jobs"]["record"]
    assert record["environment"] == "approvals"
    assert record["permissions"] == {"contents": "read", "pull-requests": "read", "id-token": "write"}
    runs = [str(s["run"]) for s in record["steps"] if "run" in s and str(s["run"]).startswith("clinigate")]
    assert runs == ["clinigate ledger fetch --token-env GITHUB_TOKEN",
                    "clinigate github record-reviews --branch main",
                    "clinigate ledger push --ssh-key-env CLINIGATE_LEDGER_DEPLOY_KEY",
                    "clinigate github gate-status --branch main --app-key-env CLINIGATE_STATUS_APP_KEY --record",
                    # the gate's signed evaluation records (refs/heads/clinigate/evaluations, B-13)
                    "clinigate ledger push --ssh-key-env CLINIGATE_LEDGER_DEPLOY_KEY"]
    scanning = doc["jobs"]["code-scanning"]
    assert scanning["permissions"]["security-events"] == "write" and "id-token" not in scanning["permissions"]
    others = [(p.name, n) for p in WORKFLOWS for n, j in _doc(p.name)["jobs"].items()
              if "security-events" in (j.get("permissions") or {}) and (p.name, n) != ("record-approval.yml",
                                                                                      "code-scanning")]
    assert others == [], "security-events: write on the code-scanning job only"


def test_the_review_workflow_holds_no_permissions_and_runs_the_base() -> None:
    doc = _doc("review.yml")
    assert doc["permissions"] == {} and all("permissions" not in j for j in doc["jobs"].values())
    (checkout,) = [s for s in _steps("review.yml") if str(s.get("uses", "")).startswith("actions/checkout@")]
    assert checkout["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"


def test_sync_deploys_main_only_after_fetching_the_ledger() -> None:
    doc = _doc("sync.yml")
    assert doc["jobs"]["sync"]["if"] == "github.ref == 'refs/heads/main'"
    runs = [str(step.get("run", "")) for step in _steps("sync.yml")]
    fetch = next(i for i, run in enumerate(runs) if "clinigate ledger fetch" in run)
    syncs = [i for i, run in enumerate(runs) if run.startswith("clinigate sync")]
    assert syncs and all(i > fetch for i in syncs)
    assert all("--rev origin/main" in runs[i] and "--rev HEAD" not in runs[i] for i in syncs)


# Events whose checkout, without a ref, is the pull request's code.
PR_EVENTS = {"pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment",
             "merge_group"}


def test_no_job_that_checks_out_pr_code_can_write_or_sign() -> None:
    """A job that checks out a pull request's code holds no write permission and no OIDC token."""
    seen = 0
    for path in WORKFLOWS:
        doc = _doc(path.name)
        pr_event = bool(PR_EVENTS & set(_triggers(doc)))
        for name, job in doc["jobs"].items():
            refs = [str(step.get("with", {}).get("ref", "")) for step in job.get("steps", [])
                    if str(step.get("uses", "")).startswith("actions/checkout@")]
            pr_code = any(("head" in ref or "merge_group" in ref) for ref in refs) or (
                pr_event and any(ref == "" for ref in refs))
            if not pr_code:
                continue
            seen += 1
            granted = {**doc.get("permissions", {}), **job.get("permissions", {})}
            assert all(level in ("read", "none") for level in granted.values()), (path.name, name, granted)
    assert seen >= 2  # the evaluation and the tests check out PR code: the rule is exercised


def test_the_gate_decides_with_real_opa_in_process_from_the_base_lock() -> None:
    runs = _runs("pr-gate.yml")
    assert "docker" not in runs  # no unpinned image: the OPA release is the base's locked wheel
    deciding = [line for line in runs.splitlines() if line.startswith("clinigate check") and "|| true" not in line]
    assert deciding and all("--engine opa " in line for line in deciding)


CHECKPOINT = "clinigate audit checkpoint --sigstore --note {} --push origin --ssh-key-env CLINIGATE_LEDGER_DEPLOY_KEY"


@pytest.mark.parametrize(("name", "after"), [("audit.yml", "verify"), ("sync.yml", "sync")])
def test_the_checkpoint_workflows_sign_from_main_in_a_job_of_their_own(name: str, after: str) -> None:
    """Keyless, from main, with the deploy key of the approvals environment; nothing else in the job."""
    doc = _doc(name)
    job = doc["jobs"]["checkpoint"]
    assert job["needs"] == after and job["if"].startswith("github.ref == 'refs/heads/main'")
    assert job["environment"] == "approvals" and job["concurrency"]["group"] == "clinigate-checkpoints"
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    (checkout,) = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout@")]
    assert checkout["with"]["ref"] == "main"
    runs = [str(s["run"]) for s in job["steps"] if str(s.get("run", "")).startswith("clinigate")]
    assert runs == ["clinigate ledger fetch --token-env GITHUB_TOKEN", CHECKPOINT.format(name)]
    others = [n for n, j in doc["jobs"].items() if n != "checkpoint"]
    assert all("id-token" not in (doc["jobs"][n].get("permissions") or {}) for n in others)
    assert all("CLINIGATE_LEDGER_DEPLOY_KEY" not in str(doc["jobs"][n]) for n in others)


def test_the_workflows_that_write_checkpoints_are_the_ones_trust_yaml_lists() -> None:
    """A workflow that signs checkpoints and is not listed would write checkpoint.invalid ones; a listed
    one that writes none is a signer the registry does not need."""
    writers = {f".github/workflows/{p.name}" for p in WORKFLOWS if "clinigate audit checkpoint" in _runs(p.name)}
    ci = yaml.safe_load((REPO_ROOT / "policies/trust/trust.yaml").read_text())["sigstore"]["ci"]
    assert writers == set(ci["checkpoint_workflows"]) == {".github/workflows/audit.yml",
                                                          ".github/workflows/sync.yml"}
    assert ci["workflow"] not in ci["checkpoint_workflows"]


def test_audit_verifies_the_whole_history_before_the_checkpoint() -> None:
    runs = [str(s.get("run", "")) for s in _doc("audit.yml")["jobs"]["verify"]["steps"]]
    fetch = runs.index("clinigate ledger fetch --token-env GITHUB_TOKEN")
    assert runs.index("clinigate audit verify --rev origin/main") > fetch  # whole history: no --since
