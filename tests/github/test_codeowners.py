"""``clinigate codeowners``: CODEOWNERS generated from who may approve what, checked in CI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from testing.fixtures import REPO_ROOT, copy_example_registry

from clinigate.github import codeowners


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    repo = copy_example_registry(tmp_path / "registry")
    (repo / ".git").mkdir()  # enough for --repo discovery; codeowners reads the work tree
    shutil.copytree(REPO_ROOT / ".github", repo / ".github")
    return repo


def _patterns(text: str) -> list[str]:
    return [line.split()[0] for line in text.splitlines() if line and not line.startswith("#")]


def test_the_committed_file_is_up_to_date(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("codeowners", "--check", "--repo", str(REPO_ROOT))
    assert result.code == 0, result.stdout + result.stderr
    assert "up to date" in result.stdout


def test_specific_patterns_come_after_general_ones_because_the_last_match_wins(registry: Path) -> None:
    patterns = _patterns(codeowners.render(codeowners.build(registry)))
    assert patterns.index("/policies/") < patterns.index("/policies/trust/")
    assert patterns.index("/policies/") < patterns.index("/policies/data/roles.yaml")
    assert {"/.github/", "/tooling/", "/pyproject.toml", "/.ci/", "/schemas/"} <= set(patterns)


def test_a_model_folder_is_owned_by_its_owners_and_its_pccp_reviewers(registry: Path) -> None:
    rules = {r.pattern: r.owners for r in codeowners.build(registry)}
    sepsis = rules["/models/sepsis-ews/"]
    assert sepsis[:2] == ("@mercy-general/sepsis-ml", "@mercy-general/clinical-ai-governance")
    assert "@jlindqvist-md" in sepsis and "@kosei-qms" in sepsis  # clinical reviewer, quality
    assert "@pnair-mg" not in sepsis  # a data scientist approves nothing
    assert rules["/policies/trust/"] == ("@alanwu-mg", "@dwhitfield-ra", "@kosei-qms", "@tchen-infosec")


@pytest.mark.parametrize("change", ["roles", "hand-edit", "missing"])
def test_check_fails_on_a_stale_edited_or_missing_file(registry: Path, run_cli, change: str) -> None:  # type: ignore[no-untyped-def]
    target = registry / ".github" / "CODEOWNERS"
    if change == "roles":
        roles = registry / "policies" / "data" / "roles.yaml"
        roles.write_text(roles.read_text().replace("github: kosei-qms", "github: kosei-quality", 1))
    elif change == "hand-edit":
        target.write_text(target.read_text() + "/models/ @someone-else\n")
    else:
        target.unlink()
    result = run_cli("codeowners", "--check", "--repo", str(registry))
    assert result.code == 1, result.stdout + result.stderr
    assert "[codeowners.stale]" in result.stdout and "run `clinigate codeowners`" in result.stdout
    assert run_cli("codeowners", "--repo", str(registry)).code == 0
    assert run_cli("codeowners", "--check", "--repo", str(registry)).code == 0


def test_a_person_roles_yaml_does_not_know_is_refused(registry: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    model = registry / "models" / "sepsis-ews" / "model.yaml"
    model.write_text(model.read_text().replace("  - '@mercy-general/sepsis-ml'\n", "  - '@mallory'\n", 1))
    result = run_cli("codeowners", "--repo", str(registry))
    assert result.code == 1, result.stdout + result.stderr
    assert "@mallory (for /models/sepsis-ews/) is not the github handle of anyone" in result.stderr
    assert "Traceback" not in result.stderr
