"""The approval attestation: an in-toto Statement v1 whose predicate is one signature act.

One file per act (approve, reject, revoke). The statement binds the act to the exact bytes of
one document (its path and sha256) and, for a model version, to the model artifact digest, so
an approval cannot be copied onto another version, another model or newer bytes. The
predicate carries the 21 CFR 11.50 manifestation: printed name, time and meaning.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, StringConstraints, ValidationError

from ..errors import ClinigateError
from ..manifest.values import GitCommit, ModelName, PersonId, Role, Semver, Sha256, ShortText, StrictModel

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://clinigate.dev/approval/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
ARTIFACT_SUBJECT_PREFIX = "artifact:"
# The documents an approval can be about (the gate asks for signatures on each of them).
APPROVABLE_KINDS = frozenset({"ModelVersion", "Deployment", "PCCP", "Model"})


class Decision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    REVOKED = "revoked"


class Meaning(StrEnum):
    """What the signature means (21 CFR 11.50(a)(3))."""

    REVIEW = "review"
    APPROVAL = "approval"
    RESPONSIBILITY = "responsibility"
    AUTHORSHIP = "authorship"


class SignerName(StrictModel):
    id: PersonId
    name: ShortText = Field(description="printed name, as in roles.yaml")


class ApprovalPredicate(StrictModel):
    model: ModelName
    version: Semver | None = Field(None, description="null for model-level documents")
    document: Annotated[str, StringConstraints(pattern=r"^models/[a-z0-9-]+/[A-Za-z0-9._/-]+\.yaml$",
                                               max_length=300)]
    change_class: ShortText | None = None
    role: Role
    decision: Decision
    meaning: Meaning
    signer: SignerName
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    pull_request: Annotated[int, Field(gt=0)] | None = None
    head_commit: GitCommit | None = None
    signed_at: datetime = Field(description="claimed time; trusted time comes from Rekor or a TSA")
    supersedes: Sha256 | None = Field(None, description="sha256 of the bundle this act revokes")


class AttestationInvalid(ClinigateError):
    """The payload is not a clinigate approval statement."""

    exit_code = 1


@dataclass(frozen=True)
class Statement:
    subjects: dict[str, str]  # subject name -> sha256
    predicate: ApprovalPredicate

    @property
    def document_digest(self) -> str | None:
        return self.subjects.get(self.predicate.document)

    @property
    def artifact_digest(self) -> str | None:
        return next((d for n, d in self.subjects.items() if n.startswith(ARTIFACT_SUBJECT_PREFIX)), None)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def build_statement(predicate: ApprovalPredicate, *, document_sha256: str,
                    artifact_sha256: str | None = None) -> bytes:
    """The canonical statement bytes that get signed (sorted keys, no whitespace)."""
    subjects: list[dict[str, Any]] = [{"name": predicate.document, "digest": {"sha256": document_sha256}}]
    if artifact_sha256 is not None:
        subjects.append({"name": f"{ARTIFACT_SUBJECT_PREFIX}{predicate.model}@{predicate.version}",
                         "digest": {"sha256": artifact_sha256}})
    statement = {"_type": STATEMENT_TYPE, "subject": subjects, "predicateType": PREDICATE_TYPE,
                 "predicate": predicate.model_dump(mode="json")}
    return json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()


def parse_statement(payload: bytes) -> Statement:
    """Parse and validate signed statement bytes; every refusal says what is wrong."""
    try:
        raw = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AttestationInvalid(f"the signed payload is not JSON ({exc})") from None
    if not isinstance(raw, dict) or raw.get("_type") != STATEMENT_TYPE:
        raise AttestationInvalid(f"the signed payload is not an in-toto Statement v1 ({STATEMENT_TYPE})")
    if raw.get("predicateType") != PREDICATE_TYPE:
        raise AttestationInvalid(f"predicateType is {raw.get('predicateType')!r}, not {PREDICATE_TYPE}")
    subjects: dict[str, str] = {}
    for item in raw.get("subject") or []:
        digest = (item or {}).get("digest") or {}
        if not isinstance(item.get("name"), str) or not isinstance(digest.get("sha256"), str):
            raise AttestationInvalid("a statement subject lacks a name or a sha256 digest")
        subjects[item["name"]] = digest["sha256"]
    try:
        predicate = ApprovalPredicate.model_validate(raw.get("predicate"))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise AttestationInvalid(f"approval predicate field {where or '(root)'}: {first['msg']}") from None
    if predicate.document not in subjects:
        raise AttestationInvalid(
            f"the statement has no subject for the approved document {predicate.document}")
    return Statement(subjects=subjects, predicate=predicate)
