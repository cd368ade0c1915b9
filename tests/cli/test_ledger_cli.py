"""``clinigate ledger``: exit codes as users see them (DESIGN §9)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from testing.fixtures import CliResult, git
from testing.ledger_origin import DIGEST_A, V130, bundle, clone, force_rewrite, open_ledger

Run = Callable[..., CliResult]


def test_help_says_what_the_ledger_is_and_where_it_lives(run_cli: Run) -> None:
    result = run_cli("ledger", "--help")
    assert result.code == 0
    assert "refs/heads/clinigate/ledger" in result.stdout and "sigstore.json" in result.stdout


@pytest.mark.slow
def test_push_fetch_and_list(origin: Path, run_cli: Run, tmp_path: Path) -> None:
    a, b = clone(origin, "a"), clone(origin, "b")
    open_ledger(a).append([(V130, DIGEST_A, bundle(1))], "approve")
    pushed = run_cli("ledger", "push", "--repo", str(a))
    assert pushed.code == 0 and "pushed the ledger to origin" in pushed.stdout
    assert run_cli("ledger", "push", "--repo", str(a)).stdout.startswith("origin is up to date")
    fetched = run_cli("ledger", "fetch", cwd=b)
    assert fetched.code == 0 and fetched.stdout.startswith("fetched origin")
    listed = run_cli("ledger", "list", "--format", "json", "--repo", str(b))
    assert listed.code == 0
    assert [(e["document"], e["bundle"]) for e in json.loads(listed.stdout)] == [(V130, bundle(1))]
    assert run_cli("ledger", "list", cwd=b).stdout.endswith("1 entries\n")


def test_rewritten_remote_exits_one(origin: Path, run_cli: Run) -> None:
    a = clone(origin, "a")
    open_ledger(a).append([(V130, DIGEST_A, bundle(1))], "approve")
    assert run_cli("ledger", "push", "--repo", str(a)).code == 0
    old, new = force_rewrite(origin)
    result = run_cli("ledger", "fetch", "--repo", str(a))
    assert result.code == 1, result.stderr
    assert "rewritten" in result.stderr and old in result.stderr and new in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_remote_exits_three_and_names_it(origin: Path, run_cli: Run) -> None:
    a = clone(origin, "a")
    git(a, "remote", "add", "backup", str(origin.parent / "gone.git"))
    result = run_cli("ledger", "push", "--remote", "backup", "--repo", str(a))
    assert result.code == 3
    assert "'backup'" in result.stderr and "Traceback" not in result.stderr


def test_bad_remote_name_is_a_usage_error(origin: Path, run_cli: Run) -> None:
    assert run_cli("ledger", "fetch", "--remote", "/tmp/x", "--repo", str(clone(origin, "a"))).code == 2
