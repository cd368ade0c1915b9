"""The Rego unit-test runner: outcomes, locations, isolation of broken files, the summary line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from testing.files import write_tree
from testing.rego import GATES, GATES_TEST

from clinigate.policy.bundle import PolicyBundle, load_bundle
from clinigate.policy.embedded import EmbeddedEngine
from clinigate.policy.testing import Outcome, RegoTestRun, run_tests


@pytest.fixture
def run(tmp_path: Path) -> RegoTestRun:
    write_tree(tmp_path, {
        "policies/gates.rego": GATES,
        "policies/gates_test.rego": GATES_TEST,
        "policies/data/limits.yaml": "min_auc_e4: 8000\n",
    })
    return run_tests(load_bundle(tmp_path))


def _by_name(run: RegoTestRun) -> dict[str, tuple[Outcome, int | None, str | None]]:
    return {r.name: (r.outcome, r.line, r.message) for r in run.results}


def test_outcomes_lines_and_messages(run: RegoTestRun) -> None:
    results = _by_name(run)
    assert set(results) == {"test_low_auc_is_denied", "test_limit_can_be_mocked", "test_wrong_expectation",
                            "test_undefined_is_a_failure", "test_division_by_zero", "todo_test_subgroups"}
    assert results["test_low_auc_is_denied"] == (Outcome.PASSED, 6, None)
    assert results["test_limit_can_be_mocked"][0] is Outcome.PASSED
    assert results["test_wrong_expectation"] == (
        Outcome.FAILED, 15, "data.clinigate.gates_test.test_wrong_expectation is undefined, not true")
    assert results["test_undefined_is_a_failure"][0] is Outcome.FAILED
    assert results["todo_test_subgroups"] == (Outcome.SKIPPED, 26, "todo")


def test_an_engine_error_is_an_error_with_its_location(run: RegoTestRun) -> None:
    error = next(r for r in run.results if r.name == "test_division_by_zero")
    assert error.outcome is Outcome.ERROR
    assert error.file == "policies/gates_test.rego" and error.line == 22  # where the test is
    assert error.message == "policies/gates.rego:8:18: divide by zero"  # where it broke
    assert "Stack backtrace" not in error.message


def test_failures_keep_what_the_policy_printed(run: RegoTestRun) -> None:
    failed = next(r for r in run.results if r.name == "test_wrong_expectation")
    assert failed.prints == ("policies/gates_test.rego:16: deny was {}",)
    assert all(not r.prints for r in run.results if r.outcome is Outcome.PASSED)


def test_summary_line_and_verdict(run: RegoTestRun) -> None:
    assert run.summary() == "2 passed, 2 failed, 1 error, 1 skipped"
    assert not run.passed and len(run.problems) == 3
    assert RegoTestRun().summary() == "0 passed, 0 failed" and RegoTestRun().passed


def test_json_form_lists_every_test(run: RegoTestRun) -> None:
    data = run.to_dict()
    assert data["summary"] == {"passed": 2, "failed": 2, "error": 1, "skipped": 1}
    assert data["passed"] is False and len(data["tests"]) == 6
    assert data["tests"][0]["outcome"] in {"passed", "failed", "error", "skipped"}


def test_tests_run_on_their_own_engine_never_the_decision_one(tmp_path: Path) -> None:
    write_tree(tmp_path, {"policies/gates.rego": GATES, "policies/gates_test.rego": GATES_TEST,
                          "policies/data/limits.yaml": "min_auc_e4: 8000\n"})
    bundle = load_bundle(tmp_path)
    assert run_tests(bundle).count(Outcome.PASSED) == 2
    decision = EmbeddedEngine()
    decision.load(bundle)
    assert decision.evaluate("clinigate.gates_test.test_low_auc_is_denied", {}) is None


def test_a_broken_test_file_is_an_error_and_the_other_files_still_run(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "policies/gates.rego": GATES,
        "policies/data/limits.yaml": "min_auc_e4: 8000\n",
        "policies/a_test.rego": "package a_test\nimport rego.v1\n\ntest_ok if true\n",
        "policies/b_test.rego": "package b_test\nimport rego.v1\n\ntest_broken if {\n",
        "policies/c_test.rego": "package c_test\nimport rego.v1\n\ntest_typo if {\n    undefined_var == 1\n}\n",
        "policies/d_test.rego": "package d_test\nimport rego.v1\n\ntest_ok_too if true\n",
    })
    run = run_tests(load_bundle(tmp_path))
    assert run.summary() == "2 passed, 0 failed, 2 errors"
    errors = {r.file: (r.line, r.column, r.message) for r in run.results if r.outcome is Outcome.ERROR}
    assert set(errors) == {"policies/b_test.rego", "policies/c_test.rego"}
    assert errors["policies/c_test.rego"][:2] == (5, 5)
    assert "undefined_var" in (errors["policies/c_test.rego"][2] or "")


def test_a_production_module_that_does_not_compile_is_one_located_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"policies/gates.rego": "package clinigate.gates\nimport rego.v1\n\nx if {\n",
                          "policies/gates_test.rego": "package t\nimport rego.v1\n\ntest_a if true\n"})
    run = run_tests(load_bundle(tmp_path))
    assert run.summary() == "0 passed, 0 failed, 1 error"
    (error,) = run.results
    assert error.file == "policies/gates.rego" and error.line == 5 and not run.passed


def test_coverage_reports_production_lines_only(tmp_path: Path) -> None:
    write_tree(tmp_path, {"policies/gates.rego": GATES, "policies/gates_test.rego": GATES_TEST,
                          "policies/data/limits.yaml": "min_auc_e4: 8000\n"})
    run = run_tests(load_bundle(tmp_path), coverage=True)
    assert run.coverage is not None
    assert [c.path for c in run.coverage] == ["policies/gates.rego"]
    assert 5 in run.coverage[0].covered and 0 < run.coverage[0].percent <= 100


def test_no_tests_is_an_empty_passing_run() -> None:
    run = run_tests(PolicyBundle([], [], {"clinigate": {}}))
    assert run.results == [] and run.passed and run.summary() == "0 passed, 0 failed"


def _defined_tests(root: Path) -> set[tuple[str, str]]:
    """(package, rule) of each ``test_*`` rule the repository's ``*_test.rego`` files define, read as text."""
    found = set()
    for path in (root / "policies").rglob("*_test.rego"):
        text = path.read_text(encoding="utf-8")
        package = re.search(r"(?m)^package\s+(\S+)", text)
        assert package, path
        # rules start at column 0; a name followed by "(" is a function, never a test
        found |= {(package.group(1), name) for name in re.findall(r"(?m)^((?:todo_)?test_\w+)\b(?!\()", text)}
    return found


def test_the_repository_policies_pass_their_own_tests() -> None:
    from testing.fixtures import REPO_ROOT

    run = run_tests(load_bundle(REPO_ROOT))
    assert run.passed, [(r.location, r.name, r.message) for r in run.problems]
    defined = _defined_tests(REPO_ROOT)
    assert {(r.package, r.name) for r in run.results} == defined  # every test found, nothing else run
    assert [r for r in run.results if r.outcome is not Outcome.PASSED] == []  # none failed, errored or skipped
    assert run.summary() == f"{len(defined)} passed, 0 failed"
