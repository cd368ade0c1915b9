"""``audit verify`` on signed histories: an invalid approval and a removed ledger entry, each by its rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from testing.approvals import tamper_payload

from clinigate.approvals.ledger import LEDGER_REF, Ledger
from clinigate.gitrepo import Git

PRODUCTION = "models/sepsis-ews/versions/1.2.0.yaml"


@pytest.fixture
def signed(demo_registry: Path) -> Path:
    """The example registry with every deployed version approved by each role its rules require."""
    return demo_registry


def _verify(run_cli, repo: Path) -> tuple[int, list[tuple[str, str, str]]]:  # type: ignore[no-untyped-def]
    result = run_cli("audit", "verify", "--format", "json", "--repo", str(repo))
    assert result.code in (0, 1), result.stdout + result.stderr
    return result.code, [(m["path"], f["rule"], f["message"]) for m in json.loads(result.stdout)["manifests"]
                         for f in m["findings"] if f["severity"] == "error"]


def _replace_entry(repo: Path, path: str, body: bytes | None, message: str) -> None:
    """A ledger commit that rewrites (or, with None, deletes) one entry: what ref protection forbids."""
    g = Git(repo)
    tip = g.resolve(LEDGER_REF)
    files = {f.path: f.blob for f in g.tree_files(tip)}
    if body is None:
        del files[path]
    else:
        files[path] = g.write_blob(body)
    commit = g.commit_tree(g.write_tree(None, files), [tip], message, name="x", email="x@example.org",
                           date="2026-06-01T00:00:00+00:00")
    g.set_ref(LEDGER_REF, commit)


def _entries(repo: Path, version: str) -> list[str]:
    return sorted(e.path for e in Ledger(Git(repo)).entries() if f"/{version}/" in e.path)


def test_a_fully_approved_history_verifies(signed: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    code, errors = _verify(run_cli, signed)
    assert (code, errors) == (0, [])


def test_a_production_version_whose_approval_does_not_verify_is_named(signed: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    entry = _entries(signed, "1.2.0")[0]
    bundle = Git(signed).read_blobs(LEDGER_REF, [entry])[entry]
    assert bundle is not None
    _replace_entry(signed, entry, tamper_payload(bundle.decode()).encode(), "tamper")
    code, errors = _verify(run_cli, signed)
    unapproved = [m for p, r, m in errors if r == "history.unapproved_production" and p.endswith("deployment.yaml")]
    assert code == 1 and len(unapproved) == 1 and "sepsis-ews 1.2.0" in unapproved[0], errors
    assert "without a valid signed approval from: " in unapproved[0]  # the role whose act broke
    assert any(r == "ledger.rewritten_entry" for _, r, _ in errors)  # and the ledger's own rule, apart


def test_a_removed_ledger_entry_is_caught(signed: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    entry = _entries(signed, "1.2.0")[0]
    _replace_entry(signed, entry, None, "remove an approval")
    code, errors = _verify(run_cli, signed)
    removed = [(p, m) for p, r, m in errors if r == "ledger.rewritten_entry"]
    assert code == 1 and removed and removed[0][0] == entry and "deletes" in removed[0][1], errors
    assert any(r == "history.unapproved_production" for _, r, _ in errors)  # 1.2.0 lost a required role


def test_long_work_is_offered_to_a_progress_bar_and_a_rerun_has_none_left(signed: Path) -> None:
    from clinigate.audit.cache import AuditCache
    from clinigate.audit.verify import verify_history

    seen: list[tuple[str, int]] = []

    def watch(items, label):  # type: ignore[no-untyped-def]
        seen.append((label, len(items)))
        return items

    g = Git(signed)
    first = verify_history(g, g.resolve("main"), cache=AuditCache.open(g), progress=watch)
    labels = dict(seen)
    assert labels["judging production changes"] == 2 and labels["loading committed documents"] > 10
    seen.clear()
    assert verify_history(g, g.resolve("main"), cache=AuditCache.open(g), progress=watch) == first
    assert dict(seen) == {"judging production changes": 2}  # documents known; evidence from the cache
