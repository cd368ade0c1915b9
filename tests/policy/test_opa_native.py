"""The opa engine: real OPA (Go) in-process through the opa-golib-python-bindings wheel.

Every test but the one about a missing wheel needs it (CI installs it); nothing here is mocked.
"""

from __future__ import annotations

import copy
import sys
from typing import Any

import pytest
from testing.fixtures import REPO_ROOT

from clinigate.errors import EnvironmentProblem
from clinigate.policy import crosscheck
from clinigate.policy.bundle import PolicyBundle, PolicyModule, load_bundle
from clinigate.policy.decision import DECISION_RULE
from clinigate.policy.engine import PolicyCompileError, PolicyEngineError, make_engine
from clinigate.policy.opa_native import OpaNativeEngine, OpaProblem

GATES = PolicyModule("policies/gates.rego", """package clinigate.gates
import rego.v1

default allow := false

allow if input.auc_e4 >= data.clinigate.limits.min_auc_e4

deny contains "auc below floor" if not allow

only_when_flagged if input.flag

said if print("secret", input.auc_e4)

ratio := input.a / input.b
""")
BUNDLE = PolicyBundle([GATES], [], {"clinigate": {"limits": {"min_auc_e4": 8000}}})


@pytest.fixture
def opa() -> Any:
    pytest.importorskip("opa_bindings")
    engine = make_engine("opa")
    engine.load(BUNDLE)
    yield engine
    engine.close()


def test_values_false_and_undefined_are_kept_apart(opa: Any) -> None:
    assert opa.name == "opa" and isinstance(opa, OpaNativeEngine)
    assert opa.evaluate("clinigate.gates.deny", {"auc_e4": 7000}) == ["auc below floor"]
    assert opa.evaluate("data.clinigate.gates.allow", {"auc_e4": 9000}) is True
    assert opa.evaluate("clinigate.gates.allow", {"auc_e4": 7000}) is False
    assert opa.evaluate("clinigate.gates.only_when_flagged", {"flag": False}) is None
    assert opa.evaluate("clinigate.no_such_package.rule", {}) is None
    assert opa.evaluate("clinigate.limits.min_auc_e4", {}) == 8000  # data under the clinigate namespace


def test_prints_never_reach_the_terminal(opa: Any, capfd: pytest.CaptureFixture[str]) -> None:
    assert opa.evaluate("clinigate.gates.said", {"auc_e4": 1}) is True
    out, err = capfd.readouterr()
    assert "secret" not in out + err


def test_an_evaluation_error_is_located_and_exit_3(opa: Any) -> None:
    with pytest.raises(PolicyEngineError) as caught:
        opa.evaluate("clinigate.gates.ratio", {"a": 1, "b": 0})
    assert str(caught.value) == ("evaluating data.clinigate.gates.ratio failed: "
                                 "policies/gates.rego:14: div: divide by zero")
    assert caught.value.exit_code == 3


def test_inputs_that_are_not_plain_json_are_refused(opa: Any) -> None:
    with pytest.raises(PolicyEngineError, match="not plain JSON"):
        opa.evaluate("clinigate.gates.allow", {"auc_e4": float("nan")})


@pytest.mark.parametrize(("source", "where", "message"), [
    # a syntax error: OPA's caret gives the column
    ("x if {\n\ty := 1 +\n\tz := ]\n}\n", ("policies/gates.rego", 6, 4), "unexpected assign token"),
    # analysis errors, found only when OPA compiles: at load, never at the first gate
    ("x if {\n    typo == 1\n}\n", ("policies/gates.rego", 5, None), "var typo is unsafe"),
    ("x if count(1) == 1\n", ("policies/gates.rego", 4, None), "count: invalid argument(s) (have: (number"),
    ("x := data.lib.f(1)\n", ("policies/gates.rego", 4, None), "undefined function data.lib.f"),
    ('deny[msg] {\n  msg := "x"\n}\n', ("policies/gates.rego", 4, None), "`if` keyword is required"),
])
def test_compile_errors_are_located_at_load(source: str, where: tuple[Any, ...], message: str) -> None:
    pytest.importorskip("opa_bindings")
    module = PolicyModule("policies/gates.rego", "package clinigate.gates\nimport rego.v1\n\n" + source)
    engine = OpaNativeEngine()
    with pytest.raises(PolicyCompileError) as caught:
        engine.load(PolicyBundle([module], [], {"clinigate": {}}))
    error = caught.value
    assert (error.file, error.row, error.col) == where and error.engine == "opa"
    assert message in error.reason and error.exit_code == 3
    with pytest.raises(PolicyEngineError, match="call load"):  # nothing half-loaded answers
        engine.evaluate("clinigate.gates.x", {})


def test_several_errors_name_the_first_and_count_the_rest() -> None:
    problem = OpaProblem.parse("bundle activation failed: 2 errors occurred:\n"
                               "policies/a.rego:4: rego_unsafe_var_error: var a is unsafe\n"
                               "policies/a.rego:5: rego_unsafe_var_error: var b is unsafe")
    assert (problem.file, problem.row, problem.code) == ("policies/a.rego", 4, "rego_unsafe_var_error")
    assert problem.located == "policies/a.rego:4: var a is unsafe (and 1 more)"
    assert OpaProblem.parse("engine has been closed").located == "engine has been closed"


def test_a_reload_replaces_the_policies(opa: Any) -> None:
    other = PolicyModule("policies/other.rego", "package clinigate.other\nimport rego.v1\n\nx := 1\n")
    opa.load(PolicyBundle([other], [], {"clinigate": {}}))
    assert opa.evaluate("clinigate.other.x", {}) == 1
    assert opa.evaluate("clinigate.gates.allow", {"auc_e4": 9000}) is None


def test_evaluate_before_load_is_refused() -> None:
    with pytest.raises(PolicyEngineError, match="call load"):
        OpaNativeEngine().evaluate("clinigate.gates.allow", {})


def test_without_the_wheel_it_is_an_environment_problem_with_the_install_hint(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opa_bindings", None)  # what `import` sees when it is not installed
    engine = make_engine("opa")  # building the engine imports nothing: the CLI starts fast
    with pytest.raises(EnvironmentProblem) as caught:
        engine.load(BUNDLE)
    assert caught.value.exit_code == 3
    assert "not installed" in str(caught.value)
    assert "--ignore-requires-python 'opa-golib-python-bindings==0.4.4'" in (caught.value.hint or "")


# ---------------------------------------------------------------------------------------------
# The fail-closed denies on the real policies: the same finding on OPA as on regorus
# ---------------------------------------------------------------------------------------------

def _registry_input(label: str = "sepsis-ews 1.3.0") -> dict[str, Any]:
    defaults = load_bundle(REPO_ROOT).data["clinigate"]["defaults"]
    return copy.deepcopy(dict(crosscheck.registry_corpus(REPO_ROOT, defaults))[label])


def _no_authorised_key() -> dict[str, Any]:
    item = _registry_input()
    del item["authorised"]
    return item


def _plan_without_regulatory_action() -> dict[str, Any]:
    item = _registry_input()
    del item["pccp"]["change_classes"]["data_update"]["regulatory_action"]
    return item


@pytest.mark.parametrize(("make_input", "rule"), [
    (_no_authorised_key, "gates.authorised_baseline_missing"),
    (_plan_without_regulatory_action, "pccp.plan_incomplete"),
])
def test_fail_closed_denies_fire_on_opa_as_on_embedded(make_input: Any, rule: str) -> None:
    pytest.importorskip("opa_bindings")
    bundle = load_bundle(REPO_ROOT)
    item = make_input()
    results = {}
    for name in ("embedded", "opa"):
        engine = make_engine(name)
        engine.load(bundle)
        results[name] = crosscheck.normalise(engine.evaluate(DECISION_RULE, item))
        engine.close()
    assert rule in {d["rule"] for d in results["opa"]["deny"]}
    assert results["opa"] == results["embedded"]
    assert results["opa"]["regulatory_action"] == "new_submission" or rule != "pccp.plan_incomplete"


def test_a_missing_class_order_is_denied_on_opa() -> None:
    pytest.importorskip("opa_bindings")
    bundle = load_bundle(REPO_ROOT)
    del bundle.data["clinigate"]["defaults"]["class_order"]
    engine = make_engine("opa")
    engine.load(bundle)
    result = engine.evaluate(DECISION_RULE, _registry_input())
    engine.close()
    assert "classify.class_order" in {d["rule"] for d in result["deny"]}
