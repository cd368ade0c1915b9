"""Checkpoints: signed records of where main and the ledger stood, so a rewrite shows later.

    >>> record = write_checkpoint(git, signer, branch="main")            # doctest: +SKIP
    >>> [f.rule for f in check_checkpoints(git, main_tip)]               # doctest: +SKIP
    ['history.rewritten']

A force-push of main or a rewound ledger leaves no trace in the history that replaced it. A
checkpoint is an in-toto statement (predicate type :data:`PREDICATE_TYPE`) naming main's head
and the ledger's head and the time, signed like an approval (PKI or keyless) by a person in
roles.yaml, the pinned CI workflow or one of trust.yaml's ``sigstore.ci.checkpoint_workflows``
(audit.yml, sync.yml), and kept on its own append-only branch
:data:`CHECKPOINTS_REF` (protect it like the ledger). ``audit verify`` then requires today's main
and ledger to *contain* every checkpointed commit: in any clone, since a clone brings the
branch along.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, ValidationError

from .. import layout
from ..approvals.attestation import PAYLOAD_TYPE, STATEMENT_TYPE, now_utc
from ..approvals.backend import SignatureInvalid, Signer
from ..errors import EnvironmentProblem, GitError, UsageError
from ..findings import Finding, Severity
from ..gitrepo import Git
from ..manifest.values import GitCommit, ShortText, StrictModel

if TYPE_CHECKING:
    from ..gitrepo.auth import RemoteAuth

PREDICATE_TYPE = "https://clinigate.dev/checkpoint/v1"
CHECKPOINTS_REF = layout.CHECKPOINTS_REF
_REMOTE_REF = "refs/remotes/origin/clinigate/checkpoints"
SUFFIX = ".sigstore.json"


class CheckpointPredicate(StrictModel):
    branch: ShortText
    main: GitCommit
    ledger: GitCommit | None
    recorded_at: datetime = Field(description="claimed; the signature's log or TSA time is the trusted one")
    note: Annotated[str, Field(max_length=200)] | None = None


@dataclass(frozen=True)
class CheckpointRecord:
    path: str  # the file on the checkpoints branch
    predicate: CheckpointPredicate
    commit: str | None  # the checkpoints-branch commit that recorded it


def statement(git: Git, predicate: CheckpointPredicate) -> bytes:
    subjects = [_subject(git, f"refs/heads/{predicate.branch}", predicate.main)]
    if predicate.ledger:
        subjects.append(_subject(git, layout.LEDGER_REF, predicate.ledger))
    body = {"_type": STATEMENT_TYPE, "subject": subjects, "predicateType": PREDICATE_TYPE,
            "predicate": predicate.model_dump(mode="json")}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def _subject(git: Git, ref: str, commit: str) -> dict[str, Any]:
    """The ref's commit as an in-toto subject. sigstore signs only SHA-2 digests (it refuses in-toto's
    ``gitCommit``), so the digest is the sha256 of the commit object that the SHA-1 id names: the
    same bytes, a collision-resistant hash. The id itself is in the predicate (``main``, ``ledger``)."""
    body = git.read_commit(commit)
    return {"name": f"git:{ref}", "digest": {"sha256": hashlib.sha256(b"commit %d\0%s" % (len(body), body))
                                                                  .hexdigest()}}


def write_checkpoint(git: Git, signer: Signer, *, branch: str, main: str,
                     note: str | None = None) -> CheckpointRecord:
    """Sign a record of ``main`` (a commit of ``branch``) and the ledger's head; append it."""
    from ..approvals.ledger import Ledger

    predicate = CheckpointPredicate(branch=branch, main=git.resolve(main), ledger=Ledger(git).tip(),
                                    recorded_at=now_utc(), note=note)
    bundle = signer.sign(statement(git, predicate))
    blob = git.write_blob(bundle.encode())
    # The blob id in the name: two checkpoints of one head in the same second are two files, never
    # one replacing the other (the branch only ever gains entries).
    name = f"{predicate.recorded_at.strftime('%Y%m%dT%H%M%SZ')}-{predicate.main[:12]}-{blob[:12]}{SUFFIX}"
    parent = git.rev_parse(CHECKPOINTS_REF)
    tree = git.write_tree(parent, {name: blob})
    commit = git.commit_tree(tree, [parent] if parent else [],
                             f"checkpoint: {branch} at {predicate.main[:12]}", name="clinigate",
                             email="clinigate@localhost", date=predicate.recorded_at.isoformat())
    if not git.update_ref(CHECKPOINTS_REF, commit, parent):
        raise UsageError(f"{CHECKPOINTS_REF} moved while the checkpoint was written; run it again")
    return CheckpointRecord(name, predicate, commit)


@contextmanager
def _remote(git: Git, remote: str, auth: RemoteAuth | None) -> Iterator[tuple[Git, str]]:
    """The git (with the credential's environment) and the name or URL to contact ``remote`` by;
    a git failure inside the block is the remote's (exit 3, with what to check)."""
    try:
        if auth is None:
            yield git, remote
            return
        url = git.remote_url(remote)
        with auth.access(url) as access:
            # The name while the URL is unchanged, so the remote's own settings (a pushurl) still apply.
            yield git.with_remote_env(access.env), remote if access.url == url else access.url
    except GitError as exc:
        what = {None: "your access", "token": "the token", "SSH key": "the deploy key (write access, "
                "host in known_hosts)"}[auth.kind if auth else None]
        raise EnvironmentProblem(f"cannot reach the remote {remote!r}: {exc.message}",
                                 hint=f"check `git remote get-url {remote}` and {what}") from exc


def fetch_checkpoints(git: Git, remote: str, auth: RemoteAuth | None = None) -> str | None:
    """Bring ``remote``'s checkpoints branch in and fast-forward the local one to it.

    A CI clone has no local branch (only ``refs/remotes/…``): without this its checkpoint would
    start a new root and its push would be refused as a rewrite. Refuses (exit 3) when the two
    have diverged: someone rewrote the remote branch, or this clone wrote one it never pushed.
    """
    with _remote(git, remote, auth) as (link, target):
        tip = link.remote_ref(target, CHECKPOINTS_REF)
        if tip is None:
            return git.rev_parse(CHECKPOINTS_REF)
        tracking = f"refs/remotes/{remote}/clinigate/checkpoints"
        link.fetch_ref(target, CHECKPOINTS_REF, tracking)
    local = git.rev_parse(CHECKPOINTS_REF)
    remote_tip = git.resolve(tracking)
    if local is None or git.is_ancestor(local, remote_tip):
        if not git.update_ref(CHECKPOINTS_REF, remote_tip, local):
            raise EnvironmentProblem(f"{CHECKPOINTS_REF} moved while it was fetched; run it again")
        return remote_tip
    if git.is_ancestor(remote_tip, local):
        return local
    raise EnvironmentProblem(f"{CHECKPOINTS_REF} here and on {remote} have diverged (local {local[:12]}, "
                             f"{remote} {remote_tip[:12]})",
                             hint="checkpoints are append-only: find out which side was rewritten "
                                  "before writing more")


def push_checkpoints(git: Git, remote: str, auth: RemoteAuth | None = None) -> None:
    """Publish the local checkpoints branch to ``remote`` as a fast-forward (never a force push)."""
    commit = git.resolve(CHECKPOINTS_REF)
    with _remote(git, remote, auth) as (link, target):
        rejection = link.push_ref(target, commit, CHECKPOINTS_REF)
    if rejection:
        raise EnvironmentProblem(f"{remote} refused {CHECKPOINTS_REF}: {rejection}",
                                 hint="another checkpoint landed first: run it again (it fetches first); "
                                      "on GitHub, only the deploy key may update the branch (its ruleset)")


def check_checkpoints(git: Git, main_tip: str, *, verifiers: list[Any], people: Any) -> list[Finding]:
    """``history.rewritten`` for each checkpointed commit that main or the ledger no longer contains."""
    from ..approvals.ledger import LEDGER_REF, Ledger

    tip = git.rev_parse(_REMOTE_REF) or git.rev_parse(CHECKPOINTS_REF)
    if tip is None:
        return []
    ledger_tip = Ledger(git).tip()
    findings: list[Finding] = []
    files = [f for f in git.tree_files(tip) if f.path.endswith(SUFFIX)]
    for item, raw in zip(files, git.read_objects([f.blob for f in files]).values(), strict=False):
        place = f"{CHECKPOINTS_REF}:{item.path}"
        predicate, problem = _verified(raw, verifiers, people)
        if predicate is None:
            findings.append(Finding(place, None, None, "checkpoint.invalid", problem or "unreadable",
                                    severity=Severity.WARNING))
            continue
        when = predicate.recorded_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        if not _contains(git, main_tip, predicate.main):
            findings.append(Finding(place, None, None, "history.rewritten",
                                    f"{predicate.branch} was at {predicate.main[:12]} when checkpointed "
                                    f"at {when}, and its history today ({main_tip[:12]}) no longer "
                                    "contains that commit: main was rewritten (a force-push)"))
        if predicate.ledger and not (ledger_tip and _contains(git, ledger_tip, predicate.ledger)):
            findings.append(Finding(place, None, None, "history.rewritten",
                                    f"the ledger was at {predicate.ledger[:12]} when checkpointed at "
                                    f"{when}, and {LEDGER_REF} no longer contains it: the ledger was "
                                    "rewound or rewritten"))
    return findings


def _contains(git: Git, tip: str, commit: str) -> bool:
    try:
        return git.is_ancestor(commit, tip)
    except GitError:  # git cannot find the commit: one this clone no longer has is not contained
        return False


def _verified(raw: bytes | None, verifiers: list[Any],
              people: Any) -> tuple[CheckpointPredicate | None, str | None]:
    if raw is None:
        return None, "the file is missing"
    try:
        bundle = json.loads(raw)
    except ValueError:
        return None, "not a JSON bundle"
    verifier = next((v for v in verifiers if isinstance(bundle, dict) and v.handles(bundle)), None)
    if verifier is None:
        return None, "no trusted signing backend handles this bundle"
    try:
        signature = verifier.verify(raw.decode())
    except SignatureInvalid as exc:
        return None, f"[{exc.rule}] {exc.message}"
    try:
        body = json.loads(signature.payload)
        if body.get("predicateType") != PREDICATE_TYPE or body.get("_type") != STATEMENT_TYPE:
            return None, "the signed statement is not a checkpoint"
        predicate = CheckpointPredicate.model_validate(body.get("predicate"))
    except (ValueError, ValidationError, AttributeError):
        return None, "the signed checkpoint is malformed"
    # A pinned workflow (the approval workflow, or a checkpoint workflow: the verifier matched every
    # pin of trust.yaml) or a person in roles.yaml; no one else vouches for where main stood.
    if not signature.workflow and not any(p.email.lower() == signature.identity.lower() for p in people):
        return None, f"signed by {signature.identity}, who is not a person in roles.yaml"
    return predicate, None


__all__ = ["CHECKPOINTS_REF", "PAYLOAD_TYPE", "PREDICATE_TYPE", "CheckpointRecord", "check_checkpoints",
           "fetch_checkpoints", "push_checkpoints", "write_checkpoint"]
