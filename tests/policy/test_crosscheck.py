"""``policy crosscheck``: regorus and regopy agree on the real corpus, and a seeded divergence fails."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from testing.fixtures import REPO_ROOT, CliResult

from clinigate.policy import crosscheck
from clinigate.policy.bundle import load_bundle

# max() over numbers: regopy orders numbers as strings (max([10, 9, 100]) = 9), regorus does not.
SEEDED = '''
package clinigate.seeded

import rego.v1

largest_n := max([s.n | some s in input.facts.metrics.subgroups])
'''


def _defaults() -> dict:  # type: ignore[type-arg]
    return load_bundle(REPO_ROOT).data["clinigate"]["defaults"]


def test_corpus_has_more_than_three_hundred_inputs_crossing_every_threshold() -> None:
    corpus = crosscheck.registry_corpus(REPO_ROOT, _defaults())
    labels = [label for label, _ in corpus]
    assert len(corpus) >= 300
    for fragment in ("overall AUC at floor-1", "overall AUC at floor+0", "overall AUC at floor+1",
                     "first subgroup n=99", "all gaps -10000", "regression vs production at max+1"):
        assert any(fragment in label for label in labels), fragment


@pytest.mark.slow
def test_embedded_and_regopy_agree_on_the_registry_corpus() -> None:
    bundle = load_bundle(REPO_ROOT)
    report = crosscheck.run(bundle, crosscheck.registry_corpus(REPO_ROOT, _defaults()))
    assert report.inputs >= 300
    assert report.passed, [(d.label, d.results) for d in report.differences[:3]]


def test_a_seeded_divergence_is_reported(tmp_path: Path) -> None:
    shutil.copytree(REPO_ROOT / "policies", tmp_path / "policies")
    (tmp_path / "policies" / "seeded.rego").write_text(SEEDED)
    bundle = load_bundle(tmp_path)
    corpus = crosscheck.registry_corpus(REPO_ROOT, _defaults())[:60]
    report = crosscheck.run(bundle, corpus, rule="clinigate.seeded.largest_n")
    assert not report.passed
    first = report.differences[0]
    assert first.results["embedded"] != first.results["regopy"]
    # and the real decision on the same bundle still agrees: the difference is the seed's
    assert crosscheck.run(bundle, corpus[:5]).passed


@pytest.mark.slow
def test_cli_exit_codes(tmp_path: Path, run_cli: Callable[..., CliResult], registry: Path) -> None:
    ok = run_cli("policy", "crosscheck", cwd=registry, timeout=300)
    assert ok.code == 0, ok.stdout + ok.stderr
    assert "differ on 0" in ok.stdout
