"""``policy crosscheck``: regorus, regopy and OPA agree on the real corpus, and seeded divergences fail."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from testing.fixtures import REPO_ROOT, CliResult

from clinigate.errors import EnvironmentProblem
from clinigate.policy import crosscheck
from clinigate.policy.bundle import load_bundle
from clinigate.policy.engine import EngineNotInstalled

# max() over numbers: regopy orders numbers as strings (max([10, 9, 100]) = 9), regorus does not.
SEEDED = '''
package clinigate.seeded

import rego.v1

largest_n := max([s.n | some s in input.facts.metrics.subgroups])
'''
# `not f(<undefined>)`: the body fails on OPA, succeeds on regorus and regopy (policies/README.md).
SEEDED_NEGATION = '''
package clinigate.seeded

import rego.v1

deny contains "no authorised baseline" if not is_object(input.authorised)
'''


def _defaults() -> dict:  # type: ignore[type-arg]
    return load_bundle(REPO_ROOT).data["clinigate"]["defaults"]


def test_corpus_has_more_than_three_hundred_inputs_crossing_every_threshold() -> None:
    corpus = crosscheck.registry_corpus(REPO_ROOT, _defaults())
    labels = [label for label, _ in corpus]
    assert len(corpus) >= 300
    for fragment in ("overall AUC at floor-1", "overall AUC at floor+0", "overall AUC at floor+1",
                     "first subgroup n=99", "all gaps -10000", "regression vs production at max+1",
                     "no authorised in the input", "no facts in the input", "plans without regulatory_action"):
        assert any(fragment in label for label in labels), fragment


@pytest.mark.slow
def test_embedded_regopy_and_opa_agree_on_the_registry_corpus() -> None:
    pytest.importorskip("opa_bindings")
    bundle = load_bundle(REPO_ROOT)
    report = crosscheck.run(bundle, crosscheck.registry_corpus(REPO_ROOT, _defaults()))
    assert report.engines == ["embedded", "regopy", "opa"] and report.not_run == {}
    assert report.inputs >= 300
    assert report.passed, [(d.label, d.results) for d in report.differences[:3]]


def test_opa_agrees_with_embedded_on_the_inputs_that_lack_a_document() -> None:
    pytest.importorskip("opa_bindings")
    corpus = [(label, item) for label, item in crosscheck.registry_corpus(REPO_ROOT, _defaults())
              if " · " not in label or " in the input" in label or "without regulatory_action" in label]
    assert len(corpus) >= 40
    report = crosscheck.run(load_bundle(REPO_ROOT), corpus, ["embedded", "opa"])
    assert report.engines == ["embedded", "opa"]
    assert report.passed, [(d.label, d.results) for d in report.differences[:3]]


def test_a_negation_that_fails_open_on_opa_is_reported(tmp_path: Path) -> None:
    pytest.importorskip("opa_bindings")
    shutil.copytree(REPO_ROOT / "policies", tmp_path / "policies")
    (tmp_path / "policies" / "seeded.rego").write_text(SEEDED_NEGATION)
    corpus = [(label, item) for label, item in crosscheck.registry_corpus(REPO_ROOT, _defaults())
              if label.endswith("no authorised in the input")]
    report = crosscheck.run(load_bundle(tmp_path), corpus, ["embedded", "opa"], rule="clinigate.seeded.deny")
    assert len(report.differences) == len(corpus) > 0
    assert report.differences[0].results == {"embedded": ["no authorised baseline"], "opa": []}


def test_an_engine_that_is_not_installed_is_named_not_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opa_bindings", None)  # as if the wheel were not installed
    report = crosscheck.run(load_bundle(REPO_ROOT), crosscheck.registry_corpus(REPO_ROOT, _defaults())[:3])
    assert report.engines == ["embedded", "regopy"] and report.passed
    assert list(report.not_run) == ["opa"]
    assert "not installed" in report.not_run["opa"]
    assert "--ignore-requires-python 'opa-golib-python-bindings==0.4.4'" in report.not_run["opa"]
    with pytest.raises(EngineNotInstalled) as caught:  # a named engine must run
        crosscheck.run(load_bundle(REPO_ROOT), [], ["embedded", "opa"])
    assert caught.value.exit_code == 3 and caught.value.engine == "opa"


def test_fewer_than_two_installed_engines_is_an_environment_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opa_bindings", None)
    monkeypatch.setitem(sys.modules, "regopy", None)
    with pytest.raises(EnvironmentProblem, match="needs two engines, but only 1 is installed") as caught:
        crosscheck.run(load_bundle(REPO_ROOT), [])
    assert "regopy" in str(caught.value) and "opa" in str(caught.value) and caught.value.exit_code == 3


def test_a_seeded_divergence_is_reported(tmp_path: Path) -> None:
    shutil.copytree(REPO_ROOT / "policies", tmp_path / "policies")
    (tmp_path / "policies" / "seeded.rego").write_text(SEEDED)
    bundle = load_bundle(tmp_path)
    corpus = crosscheck.registry_corpus(REPO_ROOT, _defaults())[:60]
    report = crosscheck.run(bundle, corpus, rule="clinigate.seeded.largest_n")
    assert not report.passed
    first = report.differences[0]
    assert first.results["embedded"] != first.results["regopy"]
    assert "opa" not in first.results or first.results["opa"] == first.results["embedded"]
    # and the real decision on the same bundle still agrees: the difference is the seed's
    assert crosscheck.run(bundle, corpus[:5]).passed


@pytest.mark.slow
def test_cli_exit_codes(tmp_path: Path, run_cli: Callable[..., CliResult], registry: Path) -> None:
    pytest.importorskip("opa_bindings")
    ok = run_cli("policy", "crosscheck", cwd=registry, timeout=300)
    assert ok.code == 0, ok.stdout + ok.stderr
    assert ok.stdout.splitlines()[-1].startswith("embedded, regopy and opa: agree on ")
    assert ok.stdout.splitlines()[-1].endswith(", differ on 0") and "not run" not in ok.stdout
    only_two = run_cli("policy", "crosscheck", "--engine", "embedded", "--engine", "opa", cwd=registry,
                       timeout=300)
    assert only_two.code == 0 and "embedded and opa: agree on " in only_two.stdout
