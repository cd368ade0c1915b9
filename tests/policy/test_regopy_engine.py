"""regopy, the independent second engine: agreement on safe policies, hardened error handling."""

from __future__ import annotations

import pytest

from clinigate.policy.bundle import PolicyBundle, PolicyModule
from clinigate.policy.embedded import EmbeddedEngine
from clinigate.policy.engine import PolicyCompileError, PolicyEngineError
from clinigate.policy.regopy_engine import RegopyEngine, RegopyProblem

DECISION = PolicyModule("policies/decision.rego", """package clinigate.decision
import rego.v1

default allow := false

allow if input.auc_e4 >= data.clinigate.limits.min_auc_e4

deny contains {"rule": "gates.auc", "msg": "AUC below the floor"} if not allow

deny contains {"rule": "gates.n", "msg": sprintf("%d patients", [input.n])} if input.n < 100

result := {"allow": allow, "deny": deny, "classes": data.clinigate.limits.classes}

only_when_flagged if input.flag

flagged := input.flag
""")
BUNDLE = PolicyBundle([DECISION], [], {"clinigate": {"limits": {"min_auc_e4": 8000, "classes": ["a", "b"]}}})


@pytest.fixture(scope="module")
def engines() -> tuple[RegopyEngine, EmbeddedEngine]:
    regopy, embedded = RegopyEngine(), EmbeddedEngine()
    regopy.load(BUNDLE)
    embedded.load(BUNDLE)
    return regopy, embedded


@pytest.mark.parametrize("input", [
    {"auc_e4": 9000, "n": 500},
    {"auc_e4": 7999, "n": 50},
    {"auc_e4": 8000, "n": 100, "flag": True},
    {},
])
@pytest.mark.parametrize("rule", [
    "clinigate.decision.result", "clinigate.decision.allow", "clinigate.decision.deny",
    "clinigate.decision.only_when_flagged", "clinigate.decision.flagged", "clinigate.decision.nope",
])
def test_regopy_agrees_with_the_embedded_engine(engines: tuple[RegopyEngine, EmbeddedEngine],
                                                 rule: str, input: dict[str, object]) -> None:
    regopy, embedded = engines
    assert regopy.evaluate(rule, input) == embedded.evaluate(rule, input)


def test_false_is_not_undefined(engines: tuple[RegopyEngine, EmbeddedEngine]) -> None:
    # A bare `data.x` query answers "undefined" for false in regopy; the captured binding does not.
    regopy, _ = engines
    assert regopy.evaluate("clinigate.decision.allow", {"auc_e4": 1}) is False
    assert regopy.evaluate("clinigate.decision.only_when_flagged", {"flag": False}) is None


def test_a_syntax_error_maps_byte_offsets_to_line_and_column(capfd: pytest.CaptureFixture[str]) -> None:
    source = "package s\nimport rego.v1\n\n# café, a multi-byte character before the error\nx if {\n  1 ==== 2\n}\n"
    with pytest.raises(PolicyCompileError) as caught:
        RegopyEngine().load(PolicyBundle([PolicyModule("policies/s.rego", source)], [], {"clinigate": {}}))
    error = caught.value
    assert (error.file, error.row, error.col) == ("policies/s.rego", 6, 5)
    assert str(error).startswith("policies/s.rego:6:5: Invalid ")
    assert "(error" not in str(error) and error.engine == "regopy"
    assert capfd.readouterr() == ("", "")  # LogLevel.NONE: rego-cpp prints errors to stdout otherwise


def test_the_problem_parser_reads_rego_cpp_error_sequences() -> None:
    text = ("(rego-errorseq\n  (error 15:policies/s.rego|37|2\n    (errormsg 24:Invalid boolean operator)\n"
            "    (errorast |37|2 (rego-equals |37|2)) (rego-errorcode))\n"
            "  (error 15:policies/s.rego|39|2\n    (errormsg 24:Invalid boolean operator)))\n")
    problem = RegopyProblem.parse(text)
    assert (problem.file, problem.offset, problem.more) == ("policies/s.rego", 37, 1)
    source = "package s\nimport rego.v1\n\nx if {\n  1 ==== 2\n}\n"
    assert problem.located({"policies/s.rego": source}) == \
        ("policies/s.rego", 5, 5, "Invalid boolean operator (and 1 more)")
    assert RegopyProblem.parse("").located({}) == (None, None, None, "no message from the engine")


def test_evaluation_failures_are_engine_errors_not_crashes() -> None:
    modules = [
        PolicyModule("policies/ratio.rego", "package ratio\nimport rego.v1\n\nr := input.a / input.b\n"),
        PolicyModule("policies/conflict.rego", "package conflict\nimport rego.v1\n\ny := 1 if input.a\ny := 2 if input.a\n"),
    ]
    engine = RegopyEngine()
    engine.load(PolicyBundle(modules, [], {"clinigate": {}}))
    assert engine.evaluate("ratio.r", {"a": 6, "b": 3}) == 2
    with pytest.raises(PolicyEngineError, match="regopy could not evaluate data.ratio.r"):
        engine.evaluate("ratio.r", {"a": 1, "b": 0})  # strict built-in errors: not silently undefined
    with pytest.raises(PolicyEngineError, match="regopy could not evaluate data.conflict.y"):
        engine.evaluate("conflict.y", {"a": True})
    assert engine.evaluate("ratio.r", {"a": 8, "b": 4}) == 2  # the interpreter is still usable


def test_each_load_starts_a_fresh_interpreter() -> None:
    engine = RegopyEngine()
    broken = PolicyModule("policies/b.rego", "package b\nimport rego.v1\nx if {\n")
    with pytest.raises(PolicyCompileError, match="policies/b.rego"):
        engine.load(PolicyBundle([broken], [], {"clinigate": {}}))
    with pytest.raises(PolicyEngineError, match="call load"):
        engine.evaluate("b.x", {})  # a failed load leaves nothing half-loaded behind
    engine.load(BUNDLE)
    assert engine.evaluate("clinigate.decision.allow", {"auc_e4": 8000}) is True
