"""What ``clinigate audit checkpoint`` does, in one call: sign where the branch and the ledger
stand, append it to the checkpoints branch, and (with ``push_remote``) publish it.

    outcome = record_checkpoint(root=root, signing=method, branch="main", push_remote="origin")
    outcome.record.path       # the checkpoint file on refs/heads/clinigate/checkpoints
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..approvals.command import SignerSource
    from ..gitrepo import Git
    from ..gitrepo.auth import RemoteAuth
    from .checkpoint import CheckpointRecord


@dataclass(frozen=True)
class CheckpointOutcome:
    """The checkpoint written, and what became of the push (``push_failed``: the error it raised;
    the checkpoint is on the local branch all the same, and is said first)."""

    record: CheckpointRecord
    branch: str
    push_remote: str | None = None
    push_failed: Exception | None = None


def record_checkpoint(*, root: Path, signing: SignerSource, branch: str = "main", note: str | None = None,
                      push_remote: str | None = None, auth: RemoteAuth | None = None) -> CheckpointOutcome:
    """Sign a checkpoint of ``branch``'s tip and the ledger's head, by the TSA and time rule of the
    trust.yaml that will judge it; with ``push_remote``, on top of that remote's checkpoints."""
    from ..approvals.review import load_trust
    from ..gitrepo import Git
    from ..registry.branch import branch_tip
    from .checkpoint import fetch_checkpoints, write_checkpoint

    git = Git(root)
    pki = load_trust(git, branch_tip(git, branch)).pki  # the TSA and time rule that will judge it
    signer, _ = signing.signer(git, default_tsa=pki.tsa_url, require_timestamp=pki.require_timestamp)
    if push_remote:
        fetch_checkpoints(git, push_remote, auth)
    record = write_checkpoint(git, signer, branch=branch, main=branch_tip(git, branch), note=note)
    failed = _push(git, push_remote, auth) if push_remote else None
    return CheckpointOutcome(record, branch, push_remote, failed)


def _push(git: Git, remote: str, auth: RemoteAuth | None) -> Exception | None:
    from .checkpoint import push_checkpoints

    try:
        push_checkpoints(git, remote, auth)
    except Exception as exc:  # whatever it is, it is raised again once the checkpoint is shown
        return exc
    return None
