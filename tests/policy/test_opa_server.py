"""The opa-server engine against a loopback stand-in for OPA's REST API.

The stand-in implements only what opa-python-client uses (PUT /v1/policies/<id>, PUT and POST
/v1/data/<path>) and decides nothing itself: it compiles what it received with the real regorus
engine and answers each POST with what regorus computes from the uploaded policies and data,
shaping regorus's errors like OPA's. Faults (a delay, a refusal) are switched on per test.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import pytest
import regorus  # type: ignore[import-untyped]

from clinigate.errors import UsageError
from clinigate.policy.bundle import PolicyBundle, PolicyModule
from clinigate.policy.engine import PolicyCompileError, PolicyEngineError, make_engine
from clinigate.policy.opa_server import OpaServerEngine

DECISION = PolicyModule("policies/decision.rego", """package clinigate.decision
import rego.v1

default allow := false

allow if input.auc_e4 >= data.clinigate.limits.min_auc_e4

deny contains "auc below floor" if not allow

result := {"allow": allow, "deny": deny}

only_when_flagged if input.flag
""")
BUNDLE = PolicyBundle([DECISION], [], {"clinigate": {"limits": {"min_auc_e4": 8000}}})
_LOCATION = re.compile(r"-->\s*(.+?):(\d+):(\d+)")
_MESSAGE = re.compile(r"^error:\s*(.*)$", re.MULTILINE)


class OpaStandIn:
    def __init__(self) -> None:
        self.policies: dict[str, str] = {}
        self.data: dict[str, Any] = {}
        self.requests: list[tuple[str, str]] = []
        self.post_delay = 0.0
        self.refuse_once: set[str] = set()  # policy ids answered once with an OPA type error
        self.released = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), StandInHandler)
        self.server.daemon_threads = True
        self.server.stand_in = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def regorus(self, policies: dict[str, str]) -> Any:
        engine = regorus.Engine()
        for policy_id, source in sorted(policies.items()):
            engine.add_policy(policy_id, source)
        engine.add_data_json(json.dumps(self.data))
        engine.eval_query("true")  # OPA compiles every module on each upload
        return engine

    def put_policy(self, policy_id: str, source: str) -> tuple[int, Any]:
        if policy_id in self.refuse_once:
            self.refuse_once.discard(policy_id)
            return 400, _opa_errors("rego_type_error", "undefined function data.lib.f", policy_id, 4, 6)
        try:
            self.regorus({**self.policies, policy_id: source})
        except RuntimeError as exc:
            text = str(exc).split("Stack backtrace:")[0]
            where, what = _LOCATION.search(text), _MESSAGE.search(text)
            assert where and what
            return 400, _opa_errors("rego_parse_error", what.group(1), where.group(1),
                                    int(where.group(2)), int(where.group(3)))
        self.policies[policy_id] = source
        return 200, {}

    def query(self, path: str, document: dict[str, Any]) -> tuple[int, Any]:
        self.released.wait(self.post_delay)
        engine = self.regorus(self.policies)
        engine.set_input_json(json.dumps(document.get("input")))
        try:
            answer = json.loads(engine.eval_query_as_json("data." + path.replace("/", ".")))
        except RuntimeError as exc:
            return 500, {"code": "internal_error", "message": str(exc).split("Stack backtrace:")[0].strip()}
        results = answer.get("result") or []
        return 200, ({"result": results[0]["expressions"][0]["value"]} if results else {})


class StandInHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    @property
    def stand_in(self) -> OpaStandIn:
        return self.server.stand_in  # type: ignore[attr-defined,no-any-return]

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def _reply(self, status: int, body: Any = None) -> None:
        raw = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_PUT(self) -> None:
        self.stand_in.requests.append(("PUT", self.path))
        body = self._body()
        if self.path.startswith("/v1/policies/"):
            self._reply(*self.stand_in.put_policy(unquote(self.path.removeprefix("/v1/policies/")), body.decode()))
        elif self.path.startswith("/v1/data/"):
            self.stand_in.data[self.path.removeprefix("/v1/data/")] = json.loads(body)
            self._reply(204)
        else:
            self._reply(404, {"code": "not_found", "message": self.path})

    def do_POST(self) -> None:
        self.stand_in.requests.append(("POST", self.path))
        document = json.loads(self._body())
        self._reply(*self.stand_in.query(self.path.removeprefix("/v1/data/").split("?")[0], document))


def _opa_errors(code: str, message: str, file: str, row: int, col: int) -> dict[str, Any]:
    return {"code": "invalid_parameter", "message": "error(s) occurred while compiling module(s)",
            "errors": [{"code": code, "message": message, "location": {"file": file, "row": row, "col": col}}]}


@pytest.fixture
def opa() -> Iterator[OpaStandIn]:
    stand_in = OpaStandIn()
    thread = threading.Thread(target=stand_in.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield stand_in
    finally:
        stand_in.released.set()
        stand_in.server.shutdown()
        stand_in.server.server_close()
        thread.join(5)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_load_uploads_data_and_modules_then_queries_the_server(opa: OpaStandIn) -> None:
    engine = make_engine("opa-server", opa_url=opa.url, timeout=5)
    engine.load(BUNDLE)
    assert engine.evaluate("clinigate.decision.result", {"auc_e4": 7000}) == \
        {"allow": False, "deny": ["auc below floor"]}
    assert engine.evaluate("clinigate.decision.allow", {"auc_e4": 9000}) is True
    assert engine.evaluate("clinigate.decision.only_when_flagged", {"flag": False}) is None
    assert engine.evaluate("clinigate.decision.no_such_rule", {}) is None
    engine.close()
    assert opa.requests[:2] == [("PUT", "/v1/data/clinigate"), ("PUT", "/v1/policies/policies/decision.rego")]
    assert opa.requests[2] == ("POST", "/v1/data/clinigate/decision/result")
    assert opa.policies == {"policies/decision.rego": DECISION.source}  # uploaded verbatim


def test_a_compile_error_response_becomes_a_located_compile_error(opa: OpaStandIn) -> None:
    broken = PolicyModule("policies/gates.rego", "package clinigate.gates\nimport rego.v1\n\nx if {\n    y := \n}\n")
    with pytest.raises(PolicyCompileError) as caught:
        OpaServerEngine(opa.url, timeout=5).load(PolicyBundle([DECISION, broken], [], BUNDLE.data))
    error = caught.value
    assert (error.file, error.row, error.col, error.engine) == ("policies/gates.rego", 5, 7, "opa-server")
    assert str(error).startswith("policies/gates.rego:5:7: ") and error.exit_code == 3


def test_v0_policies_are_never_rewritten_and_retried(opa: OpaStandIn) -> None:
    old = PolicyModule("policies/old.rego", 'package old\n\ndeny[msg] {\n  msg := "x"\n}\n')
    with pytest.raises(PolicyCompileError, match=r"policies/old.rego:3:11: `if` keyword is required"):
        OpaServerEngine(opa.url, timeout=5).load(PolicyBundle([old], [], {"clinigate": {}}))
    assert opa.requests.count(("PUT", "/v1/policies/policies/old.rego")) == 1  # rego_compat=False


def test_a_module_refused_for_a_dependency_not_yet_uploaded_is_retried(opa: OpaStandIn) -> None:
    # OPA compiles all modules on each upload: a caller uploaded before its callee is refused once.
    lib = PolicyModule("policies/lib.rego", "package lib\nimport rego.v1\n\nf(x) := x + 1\n")
    caller = PolicyModule("policies/caller.rego", "package caller\nimport rego.v1\n\ny := data.lib.f(input.x)\n")
    opa.refuse_once.add("policies/caller.rego")
    engine = OpaServerEngine(opa.url, timeout=5)
    engine.load(PolicyBundle([caller, lib], [], {"clinigate": {}}))
    assert engine.evaluate("caller.y", {"x": 1}) == 2
    assert opa.requests.count(("PUT", "/v1/policies/policies/caller.rego")) == 2


def test_an_evaluation_error_names_the_server(opa: OpaStandIn) -> None:
    ratio = PolicyModule("policies/ratio.rego", "package ratio\nimport rego.v1\n\nr := input.a / input.b\n")
    engine = OpaServerEngine(opa.url, timeout=5)
    engine.load(PolicyBundle([ratio], [], {"clinigate": {}}))
    with pytest.raises(PolicyEngineError) as caught:
        engine.evaluate("ratio.r", {"a": 1, "b": 0})
    assert opa.url in str(caught.value) and "HTTP 500" in str(caught.value)
    assert "divide by zero" in str(caught.value) and caught.value.url == opa.url


def test_a_server_that_is_down_is_an_exit_3_error_naming_the_url() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    engine = make_engine("opa-server", opa_url=url, timeout=1)
    with pytest.raises(PolicyEngineError) as caught:
        engine.load(BUNDLE)
    error = caught.value
    assert error.exit_code == 3 and error.url == url
    assert str(error) == f"cannot connect to the OPA server at {url} (uploading data.clinigate)"
    assert "Traceback" not in str(error) and error.hint


def test_a_server_slower_than_the_timeout_is_an_exit_3_error(opa: OpaStandIn) -> None:
    engine = OpaServerEngine(opa.url, timeout=0.3)
    engine.load(BUNDLE)
    opa.post_delay = 5.0
    started = time.monotonic()
    with pytest.raises(PolicyEngineError) as caught:
        engine.evaluate("clinigate.decision.result", {"auc_e4": 9000})
    assert time.monotonic() - started < 3  # POST is not retried: one timeout, not three
    assert str(caught.value) == (f"the OPA server at {opa.url} did not answer within 0.3 s "
                                 "(evaluating data.clinigate.decision.result)")
    assert caught.value.exit_code == 3


def test_evaluate_before_load_is_refused(opa: OpaStandIn) -> None:
    with pytest.raises(PolicyEngineError, match="call load"):
        OpaServerEngine(opa.url, timeout=1).evaluate("clinigate.decision.result", {})
    assert opa.requests == []


@pytest.mark.parametrize(("url", "expected"), [
    ("http://127.0.0.1:8181", ("http", "127.0.0.1", 8181, "http://127.0.0.1:8181")),
    ("https://opa.internal", ("https", "opa.internal", 443, "https://opa.internal:443")),
    ("http://[::1]:9000/", ("http", "::1", 9000, "http://[::1]:9000")),
])
def test_urls_are_parsed_for_the_client(url: str, expected: tuple[object, ...]) -> None:
    engine = OpaServerEngine(url, timeout=1)
    assert (engine.scheme, engine.host, engine.port, engine.url) == expected


@pytest.mark.parametrize("url", [
    "127.0.0.1:8181", "ftp://127.0.0.1", "http://", "http://127.0.0.1:99999",
    "http://127.0.0.1:8181/v1", "http://user:secret@127.0.0.1:8181",
])
def test_bad_urls_are_usage_errors(url: str) -> None:
    with pytest.raises(UsageError) as caught:
        OpaServerEngine(url, timeout=1)
    assert "secret" not in str(caught.value)


def test_check_through_the_server_engine_matches_the_embedded_engine(opa: OpaStandIn, registry: Any) -> None:
    """The real policies uploaded to the stand-in give the same check decision as in-process."""
    import subprocess

    from clinigate.gate.check import run_check

    text = (registry / "models/sepsis-ews/versions/1.3.0.yaml").read_text()
    text = text.replace("version: 1.3.0\nparent: 1.2.1", "version: 1.4.0\nparent: 1.3.0", 1)
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t.invalid", "PATH": "/usr/bin:/bin", "HOME": str(registry)}
    subprocess.run(["git", "switch", "-q", "-c", "change"], cwd=registry, check=True, env=env)
    (registry / "models/sepsis-ews/versions/1.4.0.yaml").write_text(text)
    subprocess.run(["git", "add", "-A"], cwd=registry, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", "1.4.0"], cwd=registry, check=True, env=env)
    served = run_check(registry, base="main", engine_name="opa-server", opa_url=opa.url)
    local = run_check(registry, base="main")
    assert [m.to_dict() for m in served.manifests] == [m.to_dict() for m in local.manifests]
    assert served.decision == local.decision
    assert any(method == "POST" for method, _ in opa.requests)


# ---------------------------------------------------------------------------------------------
# The stand-in against real OPA (the opa engine, in-process): the same inputs, the same answers
# ---------------------------------------------------------------------------------------------

STAND_IN_RULES = ("clinigate.decision.result", "clinigate.decision.allow", "clinigate.decision.deny",
                  "clinigate.decision.only_when_flagged", "clinigate.decision.no_such_rule")
STAND_IN_INPUTS = ({"auc_e4": 7000}, {"auc_e4": 8000}, {"auc_e4": 9000}, {"flag": True}, {"flag": False}, {})


def _real_opa(bundle: PolicyBundle) -> Any:
    pytest.importorskip("opa_bindings")
    engine = make_engine("opa")
    engine.load(bundle)
    return engine


def test_the_stand_in_answers_as_real_opa_does(opa: OpaStandIn) -> None:
    from clinigate.policy.crosscheck import normalise

    real = _real_opa(BUNDLE)
    served = OpaServerEngine(opa.url, timeout=5)
    served.load(BUNDLE)
    for rule in STAND_IN_RULES:
        for item in STAND_IN_INPUTS:
            assert normalise(served.evaluate(rule, item)) == normalise(real.evaluate(rule, item)), (rule, item)
    real.close()
    served.close()


def test_the_stand_in_decides_the_real_policies_as_real_opa_does(opa: OpaStandIn) -> None:
    from testing.fixtures import REPO_ROOT

    from clinigate.policy import crosscheck
    from clinigate.policy.bundle import load_bundle
    from clinigate.policy.decision import DECISION_RULE

    bundle = load_bundle(REPO_ROOT)
    corpus = [(label, item) for label, item in
              crosscheck.registry_corpus(REPO_ROOT, bundle.data["clinigate"]["defaults"])
              if " · " not in label or label.endswith(("no authorised in the input", "without regulatory_action"))]
    real = _real_opa(bundle)
    served = OpaServerEngine(opa.url, timeout=10)
    served.load(bundle)
    for label, item in corpus:
        assert crosscheck.normalise(served.evaluate(DECISION_RULE, item)) == \
            crosscheck.normalise(real.evaluate(DECISION_RULE, item)), label
    real.close()


def test_the_stand_in_is_regorus_where_regorus_and_opa_part(opa: OpaStandIn) -> None:
    """`not f(<undefined>)`: the stand-in answers as regorus does, not as OPA would.

    So the stand-in is evidence for the client side of the opa-server engine, not for OPA's
    semantics: those come from the opa engine, and `policy lint` refuses this shape.
    """
    seeded = PolicyModule("policies/seeded.rego", "package clinigate.seeded\nimport rego.v1\n\n"
                          'deny contains "no baseline" if not is_object(input.authorised)\n')
    bundle = PolicyBundle([seeded], [], {"clinigate": {}})
    real = _real_opa(bundle)
    served = OpaServerEngine(opa.url, timeout=5)
    served.load(bundle)
    assert served.evaluate("clinigate.seeded.deny", {}) == ["no baseline"]
    assert real.evaluate("clinigate.seeded.deny", {}) == []
    assert served.evaluate("clinigate.seeded.deny", {"authorised": None}) == \
        real.evaluate("clinigate.seeded.deny", {"authorised": None}) == ["no baseline"]
    real.close()


@pytest.mark.parametrize(("source", "reason"), [
    ("x if {\n    y := \n}\n", None),
    ('deny[msg] {\n  msg := "x"\n}\n', "`if` keyword is required"),
    ("x if {\n    typo == 1\n}\n", "typo"),
])
def test_the_stand_in_refuses_what_real_opa_refuses(opa: OpaStandIn, source: str, reason: str | None) -> None:
    pytest.importorskip("opa_bindings")
    broken = PolicyModule("policies/gates.rego", "package clinigate.gates\nimport rego.v1\n\n" + source)
    bundle = PolicyBundle([broken], [], {"clinigate": {}})
    with pytest.raises(PolicyCompileError) as served:
        OpaServerEngine(opa.url, timeout=5).load(bundle)
    with pytest.raises(PolicyCompileError) as real:
        make_engine("opa").load(bundle)
    assert served.value.file == real.value.file == "policies/gates.rego"
    # the stand-in locates with regorus's parser: the row may differ from OPA's by the line OPA
    # reads on to before it gives up, never by more
    assert served.value.row is not None and real.value.row is not None
    assert abs(served.value.row - real.value.row) <= 1
    if reason is not None:
        assert reason in served.value.reason and reason in real.value.reason
