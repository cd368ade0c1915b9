"""``clinigate rulesets``: branch and ledger protection as code, in GitHub's rulesets API shape."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from testing.fixtures import REPO_ROOT, copy_example_registry

from clinigate.github.rulesets import Ruleset

RULESETS = sorted((REPO_ROOT / ".github" / "rulesets").glob("*.json"))


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    repo = copy_example_registry(tmp_path / "registry")
    (repo / ".git").mkdir()
    shutil.copytree(REPO_ROOT / ".github", repo / ".github")
    return repo


def _rules(name: str) -> dict[str, dict[str, object]]:
    body = json.loads((REPO_ROOT / ".github" / "rulesets" / name).read_text())
    return {rule["type"]: rule.get("parameters", {}) for rule in body["rules"]}


def test_the_committed_rulesets_are_up_to_date(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("rulesets", "--check", "--repo", str(REPO_ROOT))
    assert result.code == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", RULESETS, ids=lambda p: p.name)
def test_each_file_is_a_ruleset_request_body(path: Path) -> None:
    """No key the API does not know (GitHub would ignore a misspelt rule, not refuse it)."""
    Ruleset.model_validate_json(path.read_text())


def test_main_requires_a_code_owner_review_and_the_gate_from_the_default_branch() -> None:
    rules = _rules("main.json")
    assert {"deletion", "non_fast_forward", "required_linear_history"} <= set(rules)
    review = rules["pull_request"]
    assert review["require_code_owner_review"] and review["dismiss_stale_reviews_on_push"]
    assert review["require_last_push_approval"]
    # The gate status counts only from the clinigate App: a PR's own workflow token posts as Actions.
    trust = (REPO_ROOT / "policies/trust/trust.yaml").read_text()
    app = int(trust.split('status_app_id: "')[1].split('"')[0])
    assert rules["required_status_checks"]["required_status_checks"] == [
        {"context": "clinigate/gate", "integration_id": app}]
    [workflow] = rules["workflows"]["workflows"]  # type: ignore[index]
    assert workflow == {"path": ".github/workflows/pr-gate.yml", "ref": "refs/heads/main",
                        "repository_id": int(trust.split('repository_id: "')[1].split('"')[0])}


def test_the_ledger_and_its_published_heads_cannot_be_deleted_or_rewritten() -> None:
    for name, ref in (("ledger.json", "refs/heads/clinigate/ledger"), ("ledger-tags.json", "refs/tags/clinigate/ledger/*"),
                      ("checkpoints.json", "refs/heads/clinigate/checkpoints"),
                      ("evaluations.json", "refs/heads/clinigate/evaluations")):
        body = json.loads((REPO_ROOT / ".github" / "rulesets" / name).read_text())
        assert body["conditions"]["ref_name"]["include"] == [ref]
        assert {"creation", "deletion", "non_fast_forward", "update"} <= set(_rules(name))
        # Only the deploy key (the approval, audit and sync workflows') creates and updates them.
        assert body["bypass_actors"] == [{"actor_id": None, "actor_type": "DeployKey", "bypass_mode": "always"}]


def test_check_fails_on_a_stale_or_edited_file(registry: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    trust = registry / "policies" / "trust" / "trust.yaml"
    trust.write_text(trust.read_text().replace('repository_id: "812345670"', 'repository_id: "812345671"'))
    result = run_cli("rulesets", "--check", "--repo", str(registry))
    assert result.code == 1 and ".github/rulesets/main.json: [rulesets.stale]" in result.stdout, result.stdout
    assert run_cli("rulesets", "--repo", str(registry)).code == 0
    edited = registry / ".github" / "rulesets" / "ledger.json"
    edited.write_text(edited.read_text().replace('"deletion"', '"required_signatures"'))
    result = run_cli("rulesets", "--check", "--repo", str(registry))
    assert result.code == 1 and "ledger.json: [rulesets.stale]" in result.stdout


def test_without_a_pinned_repository_the_rulesets_cannot_be_written(registry: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    trust = registry / "policies" / "trust" / "trust.yaml"
    text = trust.read_text()
    trust.write_text(text[:text.index("  # The CI workflow that records")])
    result = run_cli("rulesets", "--repo", str(registry))
    assert result.code == 1 and "pins no CI identity" in result.stderr and "Traceback" not in result.stderr


def test_without_a_status_app_the_rulesets_cannot_be_written(registry: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    trust = registry / "policies" / "trust" / "trust.yaml"
    trust.write_text("\n".join(line for line in trust.read_text().splitlines() if "status_app_id" not in line))
    result = run_cli("rulesets", "--repo", str(registry))
    assert result.code == 1 and "status_app_id" in result.stderr and "Traceback" not in result.stderr
