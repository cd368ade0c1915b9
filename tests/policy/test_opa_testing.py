"""`policy test --engine opa`: the Rego unit tests on real OPA, with the embedded runner's semantics."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from testing.files import write_tree
from testing.fixtures import REPO_ROOT
from testing.rego import GATES, GATES_TEST

from clinigate.errors import UsageError
from clinigate.policy.bundle import load_bundle
from clinigate.policy.opa_testing import rule_lines
from clinigate.policy.testing import Outcome, RegoTestRun, run_tests

pytest.importorskip("opa_bindings")


def _outcomes(run: RegoTestRun) -> dict[tuple[str, str], tuple[Outcome, str, int | None]]:
    return {(r.package, r.name): (r.outcome, r.file, r.line) for r in run.results}


def test_the_repository_policies_pass_on_opa_as_on_embedded() -> None:
    bundle = load_bundle(REPO_ROOT)
    on_opa = run_tests(bundle, engine="opa")
    assert on_opa.passed, [(r.location, r.name, r.message) for r in on_opa.problems]
    assert on_opa.summary() == f"{on_opa.count(Outcome.PASSED)} passed, 0 failed"
    assert on_opa.count(Outcome.PASSED) >= 191
    # the same tests, found at the same lines, with the same outcomes
    assert _outcomes(on_opa) == _outcomes(run_tests(bundle))
    assert all(r.duration_ms is None for r in on_opa.results)  # each package passed in one query


def test_outcomes_messages_and_prints_match_the_embedded_runner(tmp_path: Path) -> None:
    write_tree(tmp_path, {"policies/gates.rego": GATES, "policies/gates_test.rego": GATES_TEST,
                          "policies/data/limits.yaml": "min_auc_e4: 8000\n"})
    bundle = load_bundle(tmp_path)
    on_opa, embedded = run_tests(bundle, engine="opa"), run_tests(bundle)
    assert on_opa.summary() == embedded.summary() == "2 passed, 2 failed, 1 error, 1 skipped"
    assert _outcomes(on_opa) == _outcomes(embedded)
    by_name = {r.name: r for r in on_opa.results}
    wrong = by_name["test_wrong_expectation"]
    assert wrong.message == "data.clinigate.gates_test.test_wrong_expectation is undefined, not true"
    assert wrong.prints == ("policies/gates_test.rego:16: deny was set()",)  # OPA's own rendering
    assert wrong.duration_ms is not None and wrong.duration_ms > 0  # evaluated alone
    error = by_name["test_division_by_zero"]
    assert (error.file, error.line) == ("policies/gates_test.rego", 22)  # where the test is
    assert error.message == "policies/gates.rego:8: div: divide by zero"  # where it broke
    # one test errors, so the package query fails and each test runs alone, timed
    assert by_name["test_low_auc_is_denied"].duration_ms is not None
    assert by_name["todo_test_subgroups"].outcome is Outcome.SKIPPED


def test_a_broken_test_file_is_an_error_and_the_other_files_still_run(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "policies/gates.rego": GATES,
        "policies/data/limits.yaml": "min_auc_e4: 8000\n",
        "policies/a_test.rego": "package a_test\nimport rego.v1\n\ntest_ok if true\n",
        "policies/b_test.rego": "package b_test\nimport rego.v1\n\ntest_broken if {\n    x := [1,\n",
        "policies/c_test.rego": "package c_test\nimport rego.v1\n\ntest_typo if {\n    undefined_var == 1\n}\n",
        "policies/d_test.rego": "package d_test\nimport rego.v1\n\ntest_ok_too if true\n",
    })
    run = run_tests(load_bundle(tmp_path), engine="opa")
    assert run.summary() == "2 passed, 0 failed, 2 errors"
    errors = {r.file: (r.line, r.message) for r in run.results if r.outcome is Outcome.ERROR}
    assert errors == {"policies/b_test.rego": (6, "unexpected eof token"),
                      "policies/c_test.rego": (5, "var undefined_var is unsafe")}


def test_a_production_module_that_does_not_compile_is_one_located_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"policies/gates.rego": "package clinigate.gates\nimport rego.v1\n\nx if {\n\ty := ]\n}\n",
                          "policies/gates_test.rego": "package t\nimport rego.v1\n\ntest_a if true\n"})
    run = run_tests(load_bundle(tmp_path), engine="opa")
    assert run.summary() == "0 passed, 0 failed, 1 error"
    (error,) = run.results
    assert (error.file, error.line, error.column) == ("policies/gates.rego", 5, 7) and not run.passed


def test_coverage_reports_production_lines_only(tmp_path: Path) -> None:
    write_tree(tmp_path, {"policies/gates.rego": GATES, "policies/gates_test.rego": GATES_TEST,
                          "policies/data/limits.yaml": "min_auc_e4: 8000\n"})
    run = run_tests(load_bundle(tmp_path), coverage=True, engine="opa")
    assert run.coverage is not None
    assert [c.path for c in run.coverage] == ["policies/gates.rego"]
    assert 5 in run.coverage[0].covered and 0 < run.coverage[0].percent <= 100


def test_functions_partial_sets_and_ref_heads_are_not_tests(tmp_path: Path) -> None:
    write_tree(tmp_path, {"policies/t_test.rego": """
        package t
        import rego.v1

        test_function(x) if x
        test_set contains 1 if true
        test_ref.a := true
        # test_commented if false
        helper := "test_quoted if false"
        test_real if true
        default test_defaulted := true
    """})
    run = run_tests(load_bundle(tmp_path), engine="opa")
    assert [(r.name, r.line) for r in run.results] == [("test_real", 9), ("test_defaulted", 10)]


def test_rule_lines_come_from_top_level_tokens_only() -> None:
    source = 'package p\nimport rego.v1\n\nx if {\n\ty := 1\n}\n\ndefault z := 1\nraw := `a\nb`\nw if true\n'
    assert rule_lines(source) == {"package": 1, "import": 2, "x": 4, "z": 8, "raw": 9, "w": 11}
    assert rule_lines('x := "never closed\n') == {"x": 1}


def test_an_unknown_engine_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="embedded or opa"):
        run_tests(load_bundle(REPO_ROOT), engine="regopy")


def _cli(*args: str, prelude: str = "") -> subprocess.CompletedProcess[str]:
    code = f"{prelude}\nfrom clinigate.cli.main import main\nmain({list(args)!r})"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def test_cli_summary_line_on_the_bundled_policies() -> None:
    result = _cli("policy", "test", "--engine", "opa", "--repo", str(REPO_ROOT))
    assert result.returncode == 0, result.stdout + result.stderr
    last = result.stdout.splitlines()[-1]
    assert last.endswith(" passed, 0 failed") and int(last.split()[0]) >= 191
    assert result.stderr == ""


def test_cli_without_the_wheel_is_exit_3_with_the_install_hint(tmp_path: Path) -> None:
    write_tree(tmp_path, {"policies/gates.rego": GATES, "policies/gates_test.rego": GATES_TEST})
    result = _cli("policy", "test", "--engine", "opa", "--repo", str(tmp_path),
                  prelude="import sys; sys.modules['opa_bindings'] = None  # as if not installed")
    assert result.returncode == 3, result.stderr
    assert "the OPA engine is not installed" in result.stderr
    assert "pip install --ignore-requires-python 'opa-golib-python-bindings==0.4.4'" in result.stderr
    assert "Traceback" not in result.stderr
