"""Rewinds detected everywhere: a ledger that lost a head clinigate relied on counts no approval.

The attack: an approval is revoked, then someone with push rights resets the ledger ref to the
commit before the revocation (or deletes the revocation file in a new commit). The revoked
approval would count again. ``ledger push`` tags every tip it publishes
(``refs/tags/clinigate/ledger/<tip>``, protected by a tag ruleset) and ``ledger fetch`` brings the
tags back, so even a fresh CI clone sees the rewind; sync's own record lives in MLflow
(tests/registry/test_sync_approvals.py).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from testing.approvals import SignedRegistry
from testing.fixtures import CliResult, git

from clinigate.approvals.ledger import HEAD_TAGS, LEDGER_REF, Ledger


@dataclass
class Published:
    reg: SignedRegistry
    origin: Path
    before: str  # the ledger tip with the approvals only
    after: str  # the tip with the revocations too
    revocations: list[str]  # act ids


@pytest.fixture
def published(signed_registry: SignedRegistry, tmp_path: Path, run_cli) -> Published:  # type: ignore[no-untyped-def]
    """Approvals, then revocations of both clinical ones, each pushed to a bare origin."""
    reg = signed_registry
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(reg.repo), str(origin))
    git(reg.repo, "remote", "add", "origin", str(origin))
    first = reg.sign("jlindqvist", "clinical_reviewer")
    reg.sign("kosei", "quality")
    second = reg.sign("rbaptiste", "clinical_reviewer")
    assert run_cli("ledger", "push", "--repo", str(reg.repo)).code == 0
    before = Ledger(reg.git).tip()
    revocations = [reg.sign(who, "clinical_reviewer", decision="revoked", revokes=act.act_id,
                            reason="signed the wrong version").act_id
                   for who, act in (("jlindqvist", first), ("rbaptiste", second))]
    assert run_cli("ledger", "push", "--repo", str(reg.repo)).code == 0
    after = Ledger(reg.git).tip()
    assert before and after and before != after
    return Published(reg, origin, before, after, revocations)


def _fresh_clone(origin: Path, into: Path, run_cli) -> Path:  # type: ignore[no-untyped-def]
    git(into.parent, "clone", "-q", str(origin), str(into))
    fetched: CliResult = run_cli("ledger", "fetch", "--repo", str(into))
    assert fetched.code == 0, fetched.stdout + fetched.stderr
    return into


def _check(clone: Path, run_cli) -> CliResult:  # type: ignore[no-untyped-def]
    return run_cli("check", "--base", "origin/main", "--head", "origin/review", "--repo", str(clone),
                   "--format", "json")


def test_the_gate_counts_the_revocations_on_an_intact_ledger(published: Published, tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    origin = published.origin
    clone = _fresh_clone(origin, tmp_path / "ci", run_cli)
    assert git(clone, "for-each-ref", "--format=%(refname)", HEAD_TAGS.rstrip("/")).split() \
        == [HEAD_TAGS + c for c in sorted(git(origin, "for-each-ref", "--format=%(objectname)",
                                                HEAD_TAGS.rstrip("/")).split())]
    cli = _check(clone, run_cli)
    assert cli.code == 1 and '"decision": "pending"' in cli.stdout  # both clinical approvals revoked


def test_a_ledger_reset_to_before_a_revocation_is_refused_in_a_fresh_clone(
        published: Published, tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    origin, before, after = published.origin, published.before, published.after
    git(origin, "update-ref", LEDGER_REF, before)  # the rewind: the revocations are gone
    clone = _fresh_clone(origin, tmp_path / "ci", run_cli)
    cli = _check(clone, run_cli)
    assert cli.code == 1, cli.stdout + cli.stderr
    assert "[ledger.rewound]" in cli.stderr and after in cli.stderr
    assert "no approval on it is counted" in cli.stderr
    assert "Traceback" not in cli.stderr and "internal error" not in cli.stderr
    verify = run_cli("verify", "--repo", str(clone), "--format", "json")
    assert verify.code == 1 and "ledger.rewound" in verify.stdout and after in verify.stdout


def test_a_commit_deleting_a_revocation_is_refused(published: Published, tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    """A fast-forward that deletes a file is no append: the ledger is refused as a whole."""
    origin = published.origin
    revocation = next(e.path for e in Ledger(published.reg.git).entries() if e.act_id in published.revocations)
    work = tmp_path / "attacker"
    git(tmp_path, "clone", "-q", "--branch", "clinigate/ledger", str(origin), str(work))
    git(work, "rm", "-q", revocation)
    git(work, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "tidy")
    git(work, "push", "-q", "origin", "HEAD:clinigate/ledger")
    clone = _fresh_clone(origin, tmp_path / "ci", run_cli)
    cli = _check(clone, run_cli)
    assert cli.code == 1, cli.stdout + cli.stderr
    assert "[ledger.rewritten_entry]" in cli.stderr and "deletes" in cli.stderr


def test_a_clone_that_saw_the_ledger_refuses_a_rewind_even_without_tags(published: Published, run_cli) -> None:  # type: ignore[no-untyped-def]
    reg, origin, before, after = published.reg, published.origin, published.before, published.after
    for tag in git(origin, "for-each-ref", "--format=%(refname)", HEAD_TAGS.rstrip("/")).split():
        git(origin, "update-ref", "-d", tag)
    git(origin, "update-ref", LEDGER_REF, before)
    # The reviewer's own clone recorded what it wrote and saw: its check refuses at once ...
    git(reg.repo, "update-ref", LEDGER_REF, before)
    cli = run_cli("check", "--base", "main", "--head", "review", "--repo", str(reg.repo))
    assert cli.code == 1 and "[ledger.rewound]" in cli.stderr, cli.stdout + cli.stderr
    # ... and its fetch refuses to take the rewritten remote ledger.
    git(reg.repo, "update-ref", LEDGER_REF, after)
    fetched = run_cli("ledger", "fetch", "--repo", str(reg.repo))
    assert fetched.code == 1 and "rewritten" in fetched.stderr


def test_published_head_tags_are_what_push_left(published: Published) -> None:
    origin, before, after = published.origin, published.before, published.after
    tags = subprocess.run(["git", "for-each-ref", "--format=%(refname) %(objectname)", HEAD_TAGS.rstrip("/")],
                          cwd=origin, capture_output=True, text=True, check=True).stdout.split("\n")
    assert f"{HEAD_TAGS}{after} {after}" in tags and f"{HEAD_TAGS}{before} {before}" in tags
