"""A ledger on a bare origin and its clones, with bundles of the shape ``approve`` writes.

The bundles are not signed by anyone: these are tests of the ledger's Git mechanics, and
signatures are judged elsewhere.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clinigate.approvals.ledger import LEDGER_REF, Ledger
from clinigate.gitrepo import Git
from testing.fixtures import git, init_repo

V130 = "models/sepsis-ews/versions/1.3.0.yaml"
DIGEST_A = "a" * 64
BRANCH = LEDGER_REF.removeprefix("refs/heads/")


def payload(n: int) -> bytes:
    return json.dumps({"act": n}).encode()


def bundle(n: int) -> str:
    """A bundle of the shape `approve` writes (signatures are judged elsewhere, not by the ledger)."""
    return json.dumps({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"publicKey": {"hint": "test"}, "tlogEntries": []},
        "dsseEnvelope": {"payload": base64.b64encode(payload(n)).decode(), "payloadType": "application/vnd.in-toto+json",
                         "signatures": [{"sig": base64.b64encode(b"sig").decode()}]},
    })


def open_ledger(repo: Path) -> Ledger:
    return Ledger(Git(repo), clock=lambda: datetime(2026, 1, 5, 9, 0, tzinfo=UTC))


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "README.md").write_text("registry\n")
    init_repo(seed)
    git(tmp_path, "clone", "-q", "--bare", str(seed), "origin.git")
    return tmp_path / "origin.git"


def clone(origin: Path, name: str) -> Path:
    git(origin.parent, "clone", "-q", str(origin), name)
    return origin.parent / name


def force_rewrite(origin: Path) -> tuple[str, str]:
    """Amend origin's ledger tip and force it, as someone with push --force rights could."""
    mallory = clone(origin, "mallory")
    git(mallory, "fetch", "-q", "origin", f"{LEDGER_REF}:{LEDGER_REF}")
    old = git(mallory, "rev-parse", LEDGER_REF).strip()
    git(mallory, "switch", "-q", BRANCH)
    git(mallory, "rm", "-q", "-r", "sepsis-ews")
    git(mallory, "-c", "commit.gpgsign=false", "commit", "-q", "--amend", "--allow-empty", "-m", "oops")
    git(mallory, "push", "-q", "--force", "origin", f"{BRANCH}:{BRANCH}")
    return old, git(mallory, "rev-parse", "HEAD").strip()
