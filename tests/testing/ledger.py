"""The ledger as an attacker with push rights and plain git can write it: any path, mode or object.

Every helper works on real repositories with git plumbing (a throwaway index, ``commit-tree``,
``update-ref``), never through clinigate, so the entries are exactly as hostile as a
hand-made commit can make them.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import tempfile
from pathlib import Path

from clinigate.approvals.act import act_id
from clinigate.approvals.approve import ActRequest, build_act
from clinigate.approvals.ledger import LEDGER_REF
from testing.approvals import SignedRegistry
from testing.fixtures import git

GITLINK, SYMLINK, REGULAR = "160000", "120000", "100644"


def plumb(repo: Path, *args: str, data: bytes | None = None, env: dict[str, str] | None = None) -> str:
    """git with bytes in and a fixed identity (the ``git`` fixture helper takes no stdin)."""
    full = {**os.environ, "GIT_AUTHOR_NAME": "Mallory", "GIT_AUTHOR_EMAIL": "mallory@test.invalid",
            "GIT_COMMITTER_NAME": "Mallory", "GIT_COMMITTER_EMAIL": "mallory@test.invalid",
            "GIT_AUTHOR_DATE": "2026-01-06T09:00:00+00:00", "GIT_COMMITTER_DATE": "2026-01-06T09:00:00+00:00",
            **(env or {})}
    proc = subprocess.run(["git", *args], cwd=repo, env=full, input=data or b"", capture_output=True, check=True)
    return proc.stdout.decode().strip()


def write_blob(repo: Path, data: bytes) -> str:
    return plumb(repo, "hash-object", "-w", "--stdin", data=data)


def add_entry(repo: Path, path: str, *, data: bytes | None = None, oid: str | None = None,
              mode: str = REGULAR, message: str = "a hand-made ledger entry") -> str:
    """Commit one tree entry onto the ledger ref: ``data`` as a blob, or any object id with any mode."""
    oid = oid or write_blob(repo, data or b"")
    with tempfile.TemporaryDirectory(prefix="forge-index-") as folder:
        env = {"GIT_INDEX_FILE": str(Path(folder) / "index")}
        tip = plumb(repo, "rev-parse", "--verify", "--quiet", LEDGER_REF)
        plumb(repo, "read-tree", tip, env=env)
        plumb(repo, "update-index", "--add", "-z", "--index-info", data=f"{mode} {oid}\t{path}\0".encode(), env=env)
        tree = plumb(repo, "write-tree", env=env)
    commit = plumb(repo, "commit-tree", tree, "-p", tip, data=message.encode())
    plumb(repo, "update-ref", LEDGER_REF, commit, tip)
    return commit


def ledger_tip(repo: Path) -> str:
    return plumb(repo, "rev-parse", LEDGER_REF)


def ledger_files(repo: Path) -> list[str]:
    return git(repo, "ls-tree", "-r", "--name-only", LEDGER_REF).split()


def bare_origin(repo: Path) -> Path:
    """A bare ``origin`` for ``repo`` holding its branches and its ledger so far."""
    origin = repo.parent / "origin.git"
    git(repo.parent, "clone", "-q", "--bare", str(repo), str(origin))
    git(repo, "remote", "add", "origin", str(origin))
    return origin


def push_plain(repo: Path) -> None:
    """Publish the local ledger with plain git, as a clone that bypasses `clinigate ledger push`."""
    git(repo, "push", "-q", "origin", f"{LEDGER_REF}:{LEDGER_REF}")


# --- bundles --------------------------------------------------------------------------------------

def payload_of(bundle: str) -> bytes:
    return base64.b64decode(json.loads(bundle)["dsseEnvelope"]["payload"])


def act_of(bundle: str) -> str:
    return act_id(payload_of(bundle))


def reserialise(bundle: str) -> str:
    """Other bytes, same signature over the same payload: indented, keys reversed, base64 wrapped."""
    def reorder(value: object) -> object:
        if isinstance(value, dict):
            return {k: reorder(value[k]) for k in reversed(list(value))}
        return [reorder(v) for v in value] if isinstance(value, list) else value

    data = json.loads(bundle)
    encoded = data["dsseEnvelope"]["payload"]
    data["dsseEnvelope"]["payload"] = "\n".join(encoded[i:i + 60] for i in range(0, len(encoded), 60))
    text = json.dumps(reorder(data), indent=3)
    assert text != bundle and payload_of(text) == payload_of(bundle)
    return text


def statement(reg: SignedRegistry, person_id: str, role: str, *, decision: str = "approved",
              revokes: str | None = None, document: str | None = None) -> bytes:
    """The statement bytes `approve` would sign for ``person_id`` on the branch's version."""
    person = reg.person(person_id)
    request = ActRequest(document or reg.version_path, role, decision, "reviewed", signer_id=person.id,
                         signer_email=person.email, revokes=revokes)
    return build_act(reg.git, request, check_rules=False)[0]


def sign_statement(reg: SignedRegistry, person_id: str, statement_bytes: bytes) -> str:
    """A real bundle over any statement bytes, signed with ``person_id``'s test-CA certificate."""
    return reg.pki.signer(reg.person(person_id)).sign(statement_bytes)
