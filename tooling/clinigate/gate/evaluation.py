"""Evaluation records: the gate's own verdict on a pull request's head, signed and kept for good.

    >>> records = record_evaluations(git, signer, decision)                # doctest: +SKIP
    >>> [f["version"] for f in recorded_failures(git, book, "sepsis-ews")]  # doctest: +SKIP
    ['1.3.0']

FDA's PCCP guidance (§VII.B(3)): a failure against the acceptance criteria is recorded and the
modification is not implemented; a re-test needs a root-cause analysis showing the failure is
unrelated to the plan. A pull request can be pushed again until it passes, and GitHub keeps no
lasting record of the failed runs, so ``check --record`` signs one in-toto statement per judged
version (predicate type :data:`PREDICATE_TYPE`: inputs digest, decision, findings, modification)
and appends it to :data:`EVALUATIONS_REF`, an append-only branch beside the approval ledger
(protected like it, ``.github/rulesets/evaluations.json``). Approvals are read by document digest
from the ledger proper; evaluation records are a separate kind of act, so they have their own
branch and never pass for an approval.

Only the gate may vouch for an evaluation: a record counts when its signature verifies under the
base revision's trust.yaml and its signer is the pinned CI workflow (keyless) or a certificate
listed in ``pki.evaluation_recorders`` (air-gapped sites, tests). A record anyone else signed is
ignored, so nobody can invent a failure of someone else's version, nor a pass.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, ValidationError

from .. import layout
from ..approvals.attestation import PAYLOAD_TYPE, STATEMENT_TYPE, now_utc
from ..approvals.backend import SignatureInvalid
from ..approvals.ledger_replication import evaluations_tracking_ref
from ..errors import UsageError
from ..manifest.values import GitCommit, ModelName, Semver, Sha256, ShortText, StrictModel

if TYPE_CHECKING:
    from ..approvals.backend import Signer, VerifiedSignature
    from ..approvals.review import ApprovalBook
    from ..gitrepo import Git
    from ..policy.decision import DocumentDecision, GateDecision

PREDICATE_TYPE = "https://clinigate.dev/evaluation/v1"
EVALUATIONS_REF = layout.EVALUATIONS_REF
SUFFIX = ".sigstore.json"
MAX_FINDINGS = 200  # a record stays a few kilobytes; the count says how many were cut

__all__ = ["EVALUATIONS_REF", "PAYLOAD_TYPE", "PREDICATE_TYPE", "EvaluationPredicate", "RecordedEvaluation",
           "record_evaluations", "recorded_failures", "sign_and_append"]


class RecordedFinding(StrictModel):
    rule: ShortText
    severity: Literal["error", "warning"]
    field: Annotated[str, Field(max_length=300)] | None = None


class EvaluationPredicate(StrictModel):
    model: ModelName
    version: Semver
    document: Annotated[str, Field(max_length=300)]
    document_sha256: Sha256
    modification_id: ShortText | None = None
    change_class: ShortText | None = None
    pccp_status: ShortText | None = None
    decision: Literal["pass", "fail", "pending"]
    findings: list[RecordedFinding] = Field(default_factory=list, max_length=MAX_FINDINGS)
    findings_total: int = Field(ge=0)
    inputs_sha256: Sha256 | None = Field(description="sha256 of the canonical JSON policy input judged; "
                                         "null when the document did not load (its validation failed)")
    base: GitCommit = Field(description="the rules revision (merge base) that judged it")
    head: GitCommit
    pull_request: int | None = Field(default=None, ge=1)
    evaluated_at: datetime = Field(description="claimed; the signature's log or TSA time is the trusted one")


@dataclass(frozen=True)
class RecordedEvaluation:
    path: str  # the file on the evaluations branch
    record: str  # sha256 of the signed statement: what a root-cause record cites
    predicate: EvaluationPredicate


def _statement(predicate: EvaluationPredicate) -> bytes:
    body = {"_type": STATEMENT_TYPE, "predicateType": PREDICATE_TYPE,
            "subject": [{"name": predicate.document, "digest": {"sha256": predicate.document_sha256}}],
            "predicate": predicate.model_dump(mode="json")}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def predicate_for(git: Git, decision: GateDecision, document: DocumentDecision,
                  pull_request: int | None = None) -> EvaluationPredicate:
    """What the gate said of one changed version at ``decision.head``."""
    from ..manifest.revision import Snapshot
    from ..manifest.version import ModelVersion

    assert document.model and document.version  # only versions are recorded
    raw = git.read_blobs(decision.head, [document.path]).get(document.path) or b""
    manifest = Snapshot(git, decision.head).doc(document.path)
    findings = [RecordedFinding(rule=f.rule[:120], severity=f.severity.value,
                                field=f.field[:300] if f.field else None) for f in document.findings]
    return EvaluationPredicate(
        model=document.model, version=document.version, document=document.path,
        document_sha256=hashlib.sha256(raw).hexdigest(),
        modification_id=manifest.change.modification_id if isinstance(manifest, ModelVersion) else None,
        change_class=document.change_class, pccp_status=document.pccp_status,
        decision=document.decision, findings=findings[:MAX_FINDINGS], findings_total=len(findings),
        inputs_sha256=document.inputs_sha256, base=decision.merge_base, head=decision.head,
        pull_request=pull_request, evaluated_at=now_utc())


def record_evaluations(git: Git, signer: Signer, decision: GateDecision,
                       pull_request: int | None = None) -> list[RecordedEvaluation]:
    """Sign one record per judged model version of ``decision``; append them in one commit."""
    documents = [d for d in decision.manifests if d.kind == "ModelVersion" and d.model and d.version]
    return sign_and_append(git, signer, [predicate_for(git, decision, d, pull_request) for d in documents],
                           f"evaluation: {decision.head[:12]}")


def sign_and_append(git: Git, signer: Signer, predicates: list[EvaluationPredicate],
                    message: str) -> list[RecordedEvaluation]:
    """Sign each predicate and append the bundles to :data:`EVALUATIONS_REF` in one commit."""
    records, blobs = [], {}
    for predicate in predicates:
        statement = _statement(predicate)
        blob = git.write_blob(signer.sign(statement).encode())
        digest = hashlib.sha256(statement).hexdigest()
        stamp = predicate.evaluated_at.strftime("%Y%m%dT%H%M%SZ")
        path = f"{predicate.model}/{predicate.version}/{stamp}-{digest[:16]}{SUFFIX}"
        blobs[path] = blob
        records.append(RecordedEvaluation(path, digest, predicate))
    if blobs:
        _append(git, blobs, f"{message} ({len(records)} version(s))")
    return records


def _append(git: Git, blobs: dict[str, str], message: str) -> None:
    parent = git.rev_parse(EVALUATIONS_REF)
    tree = git.write_tree(parent, blobs)
    commit = git.commit_tree(tree, [parent] if parent else [], message, name="clinigate",
                             email="clinigate@localhost", date=now_utc().isoformat())
    if not git.update_ref(EVALUATIONS_REF, commit, parent):
        raise UsageError(f"{EVALUATIONS_REF} moved while the evaluation was recorded; run it again")


def recorded_failures(git: Git, book: ApprovalBook, model: str) -> list[dict[str, Any]]:
    """The model's failed evaluations that the gate itself signed, as ``facts.failures`` entries:
    from the local branch and origin's (``ledger fetch``), the union of both."""
    refs = (evaluations_tracking_ref("origin"), EVALUATIONS_REF)
    tips = {t for t in (git.rev_parse(r) for r in refs) if t}
    by_path = {f.path: f for tip in sorted(tips) for f in git.tree_files(tip, [model])
               if f.path.endswith(SUFFIX)}
    files = [by_path[p] for p in sorted(by_path)]
    recorders = {e.lower() for e in book.trust.pki.evaluation_recorders}
    failures = []
    blobs = git.read_objects([f.blob for f in files])
    for item in files:
        verified = _verified(blobs.get(item.blob), book, recorders)
        if verified is None or verified.predicate.decision != "fail" or verified.predicate.model != model:
            continue
        failures.append(_failure_fact(verified))
    return sorted(failures, key=lambda f: (f["version"], f["record"]))


def _failure_fact(verified: RecordedEvaluation) -> dict[str, Any]:
    p = verified.predicate
    return {"record": verified.record, "version": p.version, "modification_id": p.modification_id,
            "head": p.head, "rules": sorted({f.rule for f in p.findings if f.severity == "error"})}


def _verified(raw: bytes | None, book: ApprovalBook, recorders: set[str]) -> RecordedEvaluation | None:
    try:
        bundle = json.loads(raw or b"")
        verifier = next((v for v in book.verifiers if isinstance(bundle, dict) and v.handles(bundle)), None)
        if verifier is None:
            return None
        signature = verifier.verify(raw.decode() if raw else "")
        body = json.loads(signature.payload)
        if body.get("predicateType") != PREDICATE_TYPE or body.get("_type") != STATEMENT_TYPE:
            return None
        predicate = EvaluationPredicate.model_validate(body.get("predicate"))
    except (ValueError, ValidationError, AttributeError, SignatureInvalid):
        return None  # not a record the gate can stand behind: it counts for nothing
    if not _is_gate(signature, recorders):
        return None
    return RecordedEvaluation("", hashlib.sha256(signature.payload).hexdigest(), predicate)


def _is_gate(signature: VerifiedSignature, recorders: set[str]) -> bool:
    """The pinned CI workflow, or a PKI certificate trust.yaml names as an evaluation recorder."""
    if signature.ci_workflow:
        return True
    return signature.backend == "pki" and signature.identity.lower() in recorders
