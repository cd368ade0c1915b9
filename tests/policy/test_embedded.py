"""The embedded engine (regorus) on small policy trees: values, undefined, errors with locations."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import pytest
from testing.files import write_tree

from clinigate.policy.bundle import PolicyBundle, PolicyModule, load_bundle
from clinigate.policy.embedded import EmbeddedEngine
from clinigate.policy.engine import PolicyCompileError, PolicyEngineError, make_engine

DECISION = """
package clinigate.decision
import rego.v1

default allow := false

allow if input.auc_e4 >= data.clinigate.limits.min_auc_e4

deny contains "auc below floor" if not allow

deny contains "too few patients" if input.n < 100

result := {"allow": allow, "deny": deny}

only_when_flagged if input.flag

flagged := input.flag
"""

POLICY_TREE = {
    "policies/decision.rego": DECISION,
    "policies/decision_test.rego": """
        package clinigate.decision_test
        import rego.v1
        test_allow if data.clinigate.decision.allow with input as {"auc_e4": 9000, "n": 500}
        """,
    "policies/data/limits.yaml": "min_auc_e4: 8000\n",
}


@pytest.fixture
def bundle(tmp_path: Path) -> PolicyBundle:
    return load_bundle(write_tree(tmp_path, POLICY_TREE))


@pytest.fixture
def engine(bundle: PolicyBundle) -> EmbeddedEngine:
    engine = EmbeddedEngine()
    engine.load(bundle)
    return engine


def test_defined_values_come_back_as_json(engine: EmbeddedEngine) -> None:
    assert engine.evaluate("clinigate.decision.result", {"auc_e4": 9000, "n": 500}) == \
        {"allow": True, "deny": []}
    assert engine.evaluate("clinigate.decision.result", {"auc_e4": 7000, "n": 50}) == \
        {"allow": False, "deny": ["auc below floor", "too few patients"]}  # a set, as a sorted list
    assert engine.evaluate("data.clinigate.decision.allow", {"auc_e4": 7000, "n": 500}) is False
    assert engine.evaluate("clinigate.limits.min_auc_e4", {}) == 8000  # data documents too


def test_undefined_is_none_and_distinct_from_false_and_null(engine: EmbeddedEngine) -> None:
    assert engine.evaluate("clinigate.decision.only_when_flagged", {"flag": False}) is None
    assert engine.evaluate("clinigate.decision.flagged", {"flag": False}) is False
    assert engine.evaluate("clinigate.decision.flagged", {"flag": None}) is None  # JSON null
    assert engine.evaluate("clinigate.decision.no_such_rule", {}) is None
    assert engine.evaluate("clinigate.no_such_package.rule", {}) is None


def test_one_engine_serves_many_evaluations(engine: EmbeddedEngine) -> None:
    answers = [engine.evaluate("clinigate.decision.allow", {"auc_e4": auc, "n": 500})
               for auc in (7999, 8000, 8001, 0)]
    assert answers == [False, True, True, False]


def test_tests_are_never_loaded_into_the_decision_engine(engine: EmbeddedEngine) -> None:
    assert engine.evaluate("clinigate.decision_test.test_allow", {}) is None


def test_a_syntax_error_is_a_compile_error_with_file_row_col(tmp_path: Path) -> None:
    write_tree(tmp_path, {"policies/gates.rego": """
        package clinigate.gates
        import rego.v1

        deny contains msg if {
            msg :=
        }
        """})
    with pytest.raises(PolicyCompileError) as caught:
        EmbeddedEngine().load(load_bundle(tmp_path))
    error = caught.value
    assert (error.file, error.row, error.col) == ("policies/gates.rego", 5, 9)  # the dangling :=
    assert str(error).startswith("policies/gates.rego:5:9: ")
    assert "Stack backtrace" not in str(error) and "<unknown>" not in str(error)
    assert error.exit_code == 3 and error.engine == "embedded"


def test_an_unsafe_variable_fails_at_load_not_at_the_first_gate(tmp_path: Path) -> None:
    # regorus compiles lazily; load() forces it so a typo can never make a deny silently undefined
    write_tree(tmp_path, {"policies/gates.rego": """
        package clinigate.gates
        import rego.v1

        deny contains "low" if {
            input.auc_e4 < minimum_auc
        }
        """})
    with pytest.raises(PolicyCompileError) as caught:
        EmbeddedEngine().load(load_bundle(tmp_path))
    assert (caught.value.row, caught.value.col) == (5, 20)
    assert "minimum_auc" in caught.value.reason and "unsafe" in caught.value.reason


def test_v0_rule_bodies_are_refused(tmp_path: Path) -> None:
    write_tree(tmp_path, {"policies/old.rego": "package old\n\ndeny[msg] {\n  msg := \"x\"\n}\n"})
    with pytest.raises(PolicyCompileError, match=r"policies/old.rego:3:11: `if` keyword is required"):
        EmbeddedEngine().load(load_bundle(tmp_path))


def test_evaluation_errors_carry_the_location_and_no_backtrace() -> None:
    module = PolicyModule("policies/ratio.rego",
                          "package ratio\nimport rego.v1\n\nr := input.a / input.b\n")
    engine = EmbeddedEngine()
    engine.load(PolicyBundle([module], [], {"clinigate": {}}))
    assert engine.evaluate("ratio.r", {"a": 6, "b": 3}) == 2
    with pytest.raises(PolicyEngineError) as caught:
        engine.evaluate("ratio.r", {"a": 1, "b": 0})
    assert str(caught.value) == "evaluating data.ratio.r failed: policies/ratio.rego:4:14: divide by zero"


def test_policies_never_print(capfd: pytest.CaptureFixture[str]) -> None:
    module = PolicyModule("policies/p.rego", 'package p\nimport rego.v1\n\nx if {\n  print("secret", input.mrn)\n}\n')
    with closing(make_engine("embedded")) as engine:
        engine.load(PolicyBundle([module], [], {"clinigate": {}}))
        assert engine.evaluate("p.x", {"mrn": "123"}) is True
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_misuse_is_reported_not_crashed(engine: EmbeddedEngine) -> None:
    with pytest.raises(PolicyEngineError, match="not plain JSON"):
        engine.evaluate("clinigate.decision.result", {"n": {1, 2}})
    engine.close()
    with pytest.raises(PolicyEngineError, match="call load"):
        engine.evaluate("clinigate.decision.result", {})
