"""`clinigate policy test|lint` as users run it: exit codes, the summary line, no tracebacks."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from testing.files import write_tree

from clinigate.cli.policy import policy
from clinigate.report.policy import line_ranges as _ranges

GATES = """
package clinigate.gates
import rego.v1

deny contains "low" if input.auc_e4 < data.clinigate.limits.min_auc_e4
"""
PASSING = """
package clinigate.gates_test
import rego.v1

test_low if count(data.clinigate.gates.deny) == 1 with input as {"auc_e4": 7000}

test_high if count(data.clinigate.gates.deny) == 0 with input as {"auc_e4": 9000}

todo_test_later if false
"""
FAILING = """
package clinigate.more_test
import rego.v1

test_wrong if count(data.clinigate.gates.deny) == 1 with input as {"auc_e4": 9000}
"""


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "clinigate", "policy", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_tree(tmp_path, {"policies/gates.rego": GATES, "policies/gates_test.rego": PASSING,
                                 "policies/data/limits.yaml": "min_auc_e4: 8000\n"})


def test_policy_test_passes_with_the_summary_line(repo: Path) -> None:
    result = _run("test", "--repo", str(repo))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "2 passed, 0 failed, 1 skipped"
    assert result.stderr == ""


def test_policy_test_fails_with_file_and_line(repo: Path) -> None:
    write_tree(repo, {"policies/more_test.rego": FAILING})
    result = _run("test", "--repo", str(repo), "--verbose")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "FAIL policies/more_test.rego:4: clinigate.more_test.test_wrong" in lines
    assert any(line.startswith("PASS policies/gates_test.rego:4: clinigate.gates_test.test_low") for line in lines)
    assert "SKIP policies/gates_test.rego:8: clinigate.gates_test.todo_test_later" in lines
    assert lines[-1] == "2 passed, 1 failed, 1 skipped"


def test_policy_test_json_and_coverage(repo: Path) -> None:
    result = _run("test", "--repo", str(repo), "--format", "json", "--coverage")
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report["summary"] == {"passed": 2, "failed": 0, "error": 0, "skipped": 1}
    assert report["coverage"][0]["path"] == "policies/gates.rego"


def test_policy_lint_clean_and_dirty(repo: Path) -> None:
    clean = _run("lint", "--repo", str(repo))
    assert (clean.returncode, clean.stdout) == (0, "ok: 2 modules clean\n")
    write_tree(repo, {"policies/bad.rego": "package bad\nimport rego.v1\n\nlow if input.auc < 0.9\n"})
    dirty = _run("lint", "--repo", str(repo))
    assert dirty.returncode == 1
    first, summary = dirty.stdout.splitlines()
    assert first.startswith("policies/bad.rego:4:20: [rego.float-compare] float literal 0.9")
    assert summary == "1 problem in 1 of 3 modules"
    sarif = _run("lint", "--repo", str(repo), "--format", "sarif")
    assert sarif.returncode == 1 and json.loads(sarif.stdout)["version"] == "2.1.0"


def test_bad_data_is_exit_three_without_a_traceback(repo: Path) -> None:
    write_tree(repo, {"policies/data/limits.yaml": "min_auc_e4: [\n"})
    result = _run("test", "--repo", str(repo))
    assert result.returncode == 3
    assert result.stderr.startswith("clinigate: error: policies/data/limits.yaml:")
    assert "Traceback" not in result.stderr


def test_bundled_registry_policies_pass_from_inside_the_repo(registry: Path) -> None:
    result = _run("test", cwd=registry)
    assert result.returncode == 0, result.stdout
    assert re.fullmatch(r"\d+ passed, 0 failed(, \d+ skipped)?", result.stdout.splitlines()[-1])
    assert _run("lint", cwd=registry).returncode == 0


def test_every_subcommand_and_option_has_help() -> None:
    assert isinstance(policy, click.Group) and policy.help and "lint" in policy.help
    for name, command in policy.commands.items():
        assert command.help and len(command.help) > 40, name
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"policy {name} {param.opts} has no help text"


def test_uncovered_lines_are_shown_as_ranges() -> None:
    assert _ranges([5, 1, 2, 3, 9, 10]) == "1-3, 5, 9-10"
    assert _ranges([]) == ""
