"""The history facts of the modification gates, read from a real Git repository: what shipped at the
base, and whether the plan's cumulative assessment covers the last of it (pccp/modifications.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from testing.files import replace_in
from testing.fixtures import commit_all, git

from clinigate.demo.manifests import write_data_update
from clinigate.gate.check import run_check
from clinigate.gitrepo import Git
from clinigate.policy.bundle import load_bundle
from clinigate.policy.inputs import build_inputs


def _facts(repo: Path, path: str) -> dict[str, Any]:
    defaults = load_bundle(repo).data["clinigate"]["defaults"]
    inputs = build_inputs(Git(repo), "main", "HEAD", defaults)
    item = next(i for i in inputs if i.subject.path == path)
    assert item.document is not None
    return dict(item.document["facts"])


def _branch_with_data_update(repo: Path) -> str:
    git(repo, "switch", "-q", "-c", "review")
    path = write_data_update(repo)
    commit_all(repo, "a data update")
    return path


def test_three_shipped_modifications_and_an_assessment_through_the_last(registry: Path) -> None:
    path = _branch_with_data_update(registry)
    facts = _facts(registry, path)
    assert facts["modifications"] == {"shipped": 3, "last_shipped": "1.3.0",
                                      "cumulative_covers_through": "1.3.0",
                                      "cumulative_assessment_current": True}


def test_a_modification_merged_since_the_assessment_makes_it_stale(registry: Path) -> None:
    first = write_data_update(registry)  # 1.4.0 (M1) merged on main: the fourth modification
    commit_all(registry, "1.4.0 merged")
    path = _branch_with_data_update(registry)  # 1.5.0
    facts = _facts(registry, path)["modifications"]
    assert (facts["shipped"], facts["last_shipped"], facts["cumulative_assessment_current"]) == (4, "1.4.0", False)
    report = run_check(registry, base="main")
    found = [f for m in report.manifests if m.path == path for f in m.findings]
    assert any(f.rule == "gates.cumulative_assessment" and "through 1.3.0 only" in f.message
               and "(1.4.0)" in f.message for f in found), found
    assert first.endswith("1.4.0.yaml")


def test_a_covers_through_version_that_does_not_exist_at_the_base_does_not_count(registry: Path) -> None:
    replace_in(registry, "models/sepsis-ews/pccp.yaml", "covers_through: 1.3.0", "covers_through: 9.0.0")
    commit_all(registry, "an assessment that claims a future version")
    path = _branch_with_data_update(registry)
    assert _facts(registry, path)["modifications"]["cumulative_assessment_current"] is False


def test_a_plan_without_n_reads_no_history(registry: Path) -> None:
    replace_in(registry, "models/sepsis-ews/pccp.yaml", "cumulative_assessment_after: 3\n", "")
    commit_all(registry, "no cumulative limit")
    path = _branch_with_data_update(registry)
    assert "modifications" not in _facts(registry, path)


def test_a_local_release_names_the_environment_sites_it_does_not_list(registry: Path) -> None:
    git(registry, "switch", "-q", "-c", "review")
    path = write_data_update(registry)
    replace_in(registry, path, "scope: global", "scope: local\n    sites:\n    - Mercy General North")
    replace_in(registry, "models/sepsis-ews/deployment.yaml", "    version: 1.3.0\n    strategy: shadow\n",
               "    version: 1.4.0\n    strategy: shadow\n    sites: [Mercy General North, St. Brendan Community Hospital]\n")
    commit_all(registry, "a local release in shadow")
    shadow = _facts(registry, "models/sepsis-ews/deployment.yaml")["deployment"]["environments"]["shadow"]
    assert shadow["sites"] == ["Mercy General North", "St. Brendan Community Hospital"]
    assert shadow["release"] == {"implementation": "manual", "scope": "local", "sites": ["Mercy General North"],
                                 "outside": ["St. Brendan Community Hospital"]}
