"""The opa-cli engine. No real `opa` binary exists here, so the only thing tested beyond "not on
PATH" is the command line clinigate builds, with a fake `opa` that records its argv, stdin and
the --data folder it was given. Nothing here says how real OPA would answer."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from clinigate.errors import EnvironmentProblem
from clinigate.policy.bundle import PolicyBundle, PolicyModule
from clinigate.policy.engine import PolicyEngineError, make_engine
from clinigate.policy.opa_cli import OpaCliEngine

RECORDING_FAKE_OPA = """#!{python}
import json, os, sys
from pathlib import Path
record = Path(os.environ["FAKE_OPA_RECORD"])
folder = Path(sys.argv[sys.argv.index("--data") + 1])
calls = json.loads(record.read_text()) if record.exists() else []
calls.append({{
    "argv": sys.argv,
    "stdin": sys.stdin.read(),
    "files": sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()),
    "data": json.loads((folder / "data.json").read_text()),
}})
record.write_text(json.dumps(calls))
print(json.dumps({{"result": [{{"expressions": [{{"value": {{"canned": True}}, "text": sys.argv[-1]}}]}}]}}))
"""

BUNDLE = PolicyBundle(
    [PolicyModule("policies/decision.rego", "package clinigate.decision\nimport rego.v1\nresult := 1\n"),
     PolicyModule("policies/sub/lib.rego", "package clinigate.lib\nimport rego.v1\nx := 1\n")],
    [PolicyModule("policies/decision_test.rego", "package clinigate.decision_test\n")],
    {"clinigate": {"limits": {"min_auc_e4": 8000}}},
)


@pytest.fixture
def recording_fake_opa(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "opa"
    fake.write_text(RECORDING_FAKE_OPA.format(python=sys.executable))
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    record = tmp_path / "calls.json"
    monkeypatch.setenv("FAKE_OPA_RECORD", str(record))
    return record


def test_argv_built_for_opa_eval_with_a_recording_fake_binary(recording_fake_opa: Path) -> None:
    engine = make_engine("opa-cli", timeout=30)
    assert isinstance(engine, OpaCliEngine)
    engine.load(BUNDLE)
    value = engine.evaluate("clinigate.decision.result", {"auc_e4": 9000})
    workdir = engine.argv("x")[5]
    engine.close()
    assert not os.path.exists(workdir)  # close() removes the temporary policy folder

    load_call, eval_call = json.loads(recording_fake_opa.read_text())
    assert load_call["argv"][1:] == ["eval", "--format", "json", "--data", workdir, "--stdin-input", "true"]
    assert eval_call["argv"][0].endswith("/bin/opa")
    assert eval_call["argv"][1:] == ["eval", "--format", "json", "--data", workdir, "--stdin-input",
                                     "data.clinigate.decision.result"]
    assert json.loads(eval_call["stdin"]) == {"auc_e4": 9000}
    # production modules under their repository paths plus one data.json; never a test module
    assert eval_call["files"] == ["data.json", "policies/decision.rego", "policies/sub/lib.rego"]
    assert eval_call["data"] == BUNDLE.data
    assert value == {"canned": True}  # the fake's canned answer, passed through unchanged


def test_no_opa_on_path_is_an_environment_problem(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EnvironmentProblem, match="no opa binary on PATH"):
        make_engine("opa-cli")


def test_a_binary_that_fails_without_json_is_an_engine_error(tmp_path: Path) -> None:
    broken = tmp_path / "opa"
    broken.write_text("#!/bin/sh\necho 'opa: bad flag' >&2\nexit 2\n")
    broken.chmod(0o755)
    engine = OpaCliEngine(str(broken), timeout=10)
    with pytest.raises(PolicyEngineError, match="exited with 2: opa: bad flag"):
        engine.load(BUNDLE)
    with pytest.raises(PolicyEngineError, match="call load"):
        engine.evaluate("clinigate.decision.result", {})  # a failed load leaves no folder behind
