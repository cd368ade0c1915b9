"""The engine seam: the factory, rule paths, inputs and error messages shared by every engine."""

from __future__ import annotations

import pytest

from clinigate.errors import EnvironmentProblem, UsageError
from clinigate.policy.embedded import EmbeddedEngine
from clinigate.policy.engine import (
    ENGINE_NAMES,
    PolicyCompileError,
    PolicyEngine,
    PolicyEngineError,
    input_json,
    make_engine,
    rule_path,
    strip_backtrace,
)
from clinigate.policy.opa_cli import OpaCliEngine
from clinigate.policy.opa_native import OpaNativeEngine
from clinigate.policy.opa_server import OpaServerEngine
from clinigate.policy.regopy_engine import RegopyEngine

# mypy checks that every engine satisfies the protocol
ENGINES: list[PolicyEngine] = [EmbeddedEngine(), RegopyEngine(), OpaNativeEngine(),
                               OpaServerEngine("http://127.0.0.1:1", timeout=1),
                               OpaCliEngine("/nonexistent/opa", timeout=1)]


def test_every_engine_has_a_distinct_name() -> None:
    assert [e.name for e in ENGINES] == ["embedded", "regopy", "opa", "opa-server", "opa-cli"]
    assert tuple(e.name for e in ENGINES) == ENGINE_NAMES


def test_factory_builds_each_engine_without_contacting_anything() -> None:
    assert isinstance(make_engine("embedded"), EmbeddedEngine)
    assert isinstance(make_engine("regopy"), RegopyEngine)
    assert isinstance(make_engine("opa"), OpaNativeEngine)  # the wheel is imported only by load()
    server = make_engine("opa-server", opa_url="http://127.0.0.1:8181", timeout=2)
    assert isinstance(server, OpaServerEngine) and server.timeout == 2
    assert {make_engine(n).name for n in ("embedded", "regopy")} == {"embedded", "regopy"}


@pytest.mark.parametrize(("name", "kwargs", "message"), [
    ("opa-wasm", {}, "unknown policy engine 'opa-wasm'"),
    ("opa-server", {}, "needs --opa-url"),
    ("embedded", {"opa_url": "http://127.0.0.1:8181"}, "only applies to --engine opa-server"),
    ("embedded", {"timeout": 0}, "timeout must be positive"),
])
def test_factory_usage_errors_exit_two(name: str, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message) as caught:
        make_engine(name, **kwargs)  # type: ignore[arg-type]
    assert caught.value.exit_code == 2


def test_opa_cli_without_a_binary_is_an_environment_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(EnvironmentProblem, match="no opa binary on PATH") as caught:
        make_engine("opa-cli")
    assert caught.value.exit_code == 3 and caught.value.hint


def test_rule_paths_are_identifiers_only() -> None:
    assert rule_path("clinigate.decision.result") == ["clinigate", "decision", "result"]
    assert rule_path("data.clinigate.decision") == ["clinigate", "decision"]
    for bad in ("", "clinigate.decision[0]", "clinigate.decision; true", "a..b", "1x", "a.b "):
        with pytest.raises(UsageError):
            rule_path(bad)


def test_inputs_must_be_plain_json() -> None:
    assert input_json({"a": [1, 2.5, None, True]}) == '{"a":[1,2.5,null,true]}'
    for bad in ({"a": {1, 2}}, {"a": float("nan")}, {"a": object()}):
        with pytest.raises(PolicyEngineError, match="not plain JSON"):
            input_json(bad)


def test_compile_error_reads_file_row_col_message() -> None:
    error = PolicyCompileError("unexpected token", file="policies/gates.rego", row=12, col=5)
    assert str(error) == "policies/gates.rego:12:5: unexpected token"
    assert (error.file, error.row, error.col, error.reason) == ("policies/gates.rego", 12, 5, "unexpected token")
    assert str(PolicyCompileError("broken", file="policies/a.rego")) == "policies/a.rego: broken"
    assert str(PolicyCompileError("broken")) == "broken"
    assert error.exit_code == 3 and PolicyEngineError("x", url="http://h:1").url == "http://h:1"


def test_rust_backtraces_are_stripped() -> None:
    text = "\n--> a.rego:1:1\nerror: boom\n\nStack backtrace:\n   0: <unknown>\n   1: _start\n"
    assert strip_backtrace(text) == "--> a.rego:1:1\nerror: boom"
