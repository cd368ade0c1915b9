"""An unchanged registry is answered from the cache; any change anywhere is judged again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from testing.fixtures import git

from clinigate.manifest import validate_cache

VERSION = "models/sepsis-ews/versions/1.2.0.yaml"


@pytest.fixture
def repo(registry: Path) -> Path:
    """testing.fixtures' registry (a committed copy of the bundled one), by this module's name."""
    return registry


def cached_files(repo: Path) -> list[Path]:
    return sorted((repo / ".git" / "clinigate" / "validate").glob("*.json"))


def answer(run_cli, repo: Path, *args: str) -> tuple[int, list[tuple[str, str]]]:  # type: ignore[no-untyped-def]
    result = run_cli("validate", "--format", "json", *args, cwd=repo)
    report = json.loads(result.stdout)
    return result.code, sorted((m["path"], f["rule"]) for m in report["manifests"] for f in m["findings"])


def test_the_warm_answer_is_the_cold_answer_and_comes_from_the_cache(repo: Path, run_cli) -> None:
    (repo / VERSION).write_text((repo / VERSION).read_text().replace("auc_roc: 0.876", "auc_roc: 1.876", 1))
    cold = answer(run_cli, repo)
    assert cold[0] == 1 and (VERSION, "schema.range") in cold[1]
    (kept,) = cached_files(repo)
    assert answer(run_cli, repo) == cold
    # The second answer was read from the kept file: what it says is what validate prints.
    data = json.loads(kept.read_text())
    data["findings"][0]["rule"] = "schema.from-the-cache"
    kept.write_text(json.dumps(data))
    assert ("schema.from-the-cache" in [rule for _, rule in answer(run_cli, repo)[1]])
    assert "schema.from-the-cache" not in [rule for _, rule in answer(run_cli, repo, "--no-cache")[1]]


@pytest.mark.parametrize("change", ["edit", "untracked", "delete", "trust", "commit"])
def test_any_change_is_judged_again(repo: Path, run_cli, change: str) -> None:
    assert answer(run_cli, repo) == (0, [])
    if change == "edit":
        (repo / VERSION).write_text((repo / VERSION).read_text().replace("auc_roc: 0.876", "auc_roc: 1.876", 1))
    elif change == "untracked":
        (repo / "models/sepsis-ews/versions/9.9.9.yaml").write_text("not: [a, manifest\n")
    elif change == "delete":
        (repo / "models/sepsis-ews/versions/1.0.0.yaml").unlink()
    elif change == "trust":
        trust = repo / "policies/trust/trust.yaml"
        trust.write_text(trust.read_text().replace("  roots: []", "  roots: [missing.pem]", 1))
    else:
        (repo / VERSION).write_text((repo / VERSION).read_text().replace("auc_roc: 0.876", "auc_roc: 1.876", 1))
        git(repo, "commit", "-qam", "an edit, committed")
    code, findings = answer(run_cli, repo)
    assert code == 1 and findings, change
    assert len(cached_files(repo)) == 2


def test_a_torn_cache_is_ignored_and_rewritten(repo: Path, run_cli) -> None:
    answer(run_cli, repo)
    (kept,) = cached_files(repo)
    kept.write_text('{"files": [')
    assert answer(run_cli, repo) == (0, [])
    assert json.loads(kept.read_text())["findings"] == []


def test_no_cache_writes_nothing(repo: Path, run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    run_cli("validate", "--no-cache", cwd=repo)
    monkeypatch.setenv(validate_cache.DISABLE_ENV, "1")
    run_cli("validate", cwd=repo)
    assert cached_files(repo) == []


def test_the_key_changes_with_the_limits_and_the_files(repo: Path) -> None:
    first = validate_cache.state_key(repo, "max_bytes=262144")
    assert first and first == validate_cache.state_key(repo, "max_bytes=262144")
    assert first != validate_cache.state_key(repo, "max_bytes=1024")
    (repo / "models/sepsis-ews/notes.txt").write_text("a file validate does not read is still part of the key")
    assert first != validate_cache.state_key(repo, "max_bytes=262144")
