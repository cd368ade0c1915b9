"""The approval attestation: an in-toto Statement v1 whose predicate is one signature act.

One file per act (approve, reject, revoke). The statement binds the act to the exact bytes of
one document (its path and sha256) and, for a model version, to the model artifact digest, so
an approval cannot be copied onto another version, another model or newer bytes. The
predicate carries the 21 CFR 11.50 manifestation: printed name, time and meaning.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from .. import layout
from .._internal.validation import first_problem
from ..errors import ClinigateError
from ..manifest.values import (
    GitCommit,
    GitHubId,
    GitHubLogin,
    ModelName,
    PersonId,
    Role,
    Semver,
    Sha256,
    ShortText,
    StrictModel,
)

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://clinigate.dev/approval/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
ARTIFACT_SUBJECT_PREFIX = "artifact:"
# The documents an approval can be about (the gate asks for signatures on each of them).
APPROVABLE_KINDS = frozenset({"ModelVersion", "Deployment", "PCCP", "Model", "RiskRegister", "Waiver"})
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


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


class GitHubReview(StrictModel):
    """The pull-request review a CI-signed act was recorded from (github/record.py).

    The CI workflow's certificate says *which workflow* signed; this says *whose review* it
    turned into a signature, by the numeric ids GitHub cannot reassign (a login can be renamed
    and then registered by someone else), so an auditor can find the review itself.
    """

    reviewer_login: GitHubLogin
    reviewer_id: GitHubId
    review_id: GitHubId


class ApprovalPredicate(StrictModel):
    model: ModelName | None = Field(description="the model folder; null for a governance file")
    version: Semver | None = Field(None, description="null for model-level documents")
    document: Annotated[str, StringConstraints(
        pattern=r"^(models/[a-z0-9-]+/[A-Za-z0-9._/-]+\.yaml|[A-Za-z0-9._@+-]+(/[A-Za-z0-9._@+-]+)*)$",
        max_length=300)] = Field(description="a registry document, or a governance file (DESIGN §13)")
    change_class: ShortText | None = None
    role: Role
    decision: Decision
    meaning: Meaning
    signer: SignerName
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    pull_request: Annotated[int, Field(gt=0)] | None = None
    head_commit: GitCommit | None = None
    signed_at: datetime = Field(description="claimed time; trusted time comes from Rekor or a TSA")
    supersedes: Sha256 | None = Field(None, description="id of the act this one revokes: the sha256 of "
                                      "its DSSE payload (approvals.act)")
    review: GitHubReview | None = Field(None, description="the GitHub review the approval workflow "
                                        "recorded this act from; null for a personal signature")


    @model_validator(mode="after")
    def _model_names_the_folder(self) -> ApprovalPredicate:
        parts = self.document.split("/")
        if ".." in parts:
            raise ValueError("document must not contain '..'")
        folder = parts[1] if parts[0] == layout.MODELS_DIR else None
        if self.model != folder:
            where = f"lives in {layout.model_dir(folder)}" if folder else "is a governance file (model null)"
            raise ValueError(f"model is {self.model!r}, but the document {self.document} {where}")
        return self


class AttestationInvalid(ClinigateError):
    """The payload is not a clinigate approval statement. ``rule`` says which part is wrong."""

    exit_code = 1

    def __init__(self, message: str, *, rule: str = "approval.statement") -> None:
        super().__init__(message)
        self.rule = rule


class _ResourceDescriptor(BaseModel):
    """An in-toto v1 subject; clinigate reads its name and sha256 digest, and tolerates the rest."""

    model_config = ConfigDict(strict=True, extra="allow")

    name: Annotated[str, StringConstraints(min_length=1)]
    digest: dict[str, str]


class _StatementShape(BaseModel):
    """The in-toto Statement v1 around the predicate: validated before any field is read, so a
    signed statement of the wrong shape is an invalid approval with its rule, never a crash."""

    model_config = ConfigDict(strict=True, extra="forbid")

    type_: str = Field(alias="_type")
    subject: Annotated[list[_ResourceDescriptor], Field(min_length=1)]
    predicate_type: str = Field(alias="predicateType")
    predicate: dict[str, Any]


# Which part of the statement a validation error is in decides the rule and the wording.
_SHAPE_RULES = {
    "subject": ("approval.statement_subject", "the statement's subject list is malformed"),
    "predicate": ("approval.statement_predicate", "the approval predicate is malformed"),
}


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
    """Parse and validate signed statement bytes; every refusal says what is wrong, with its rule."""
    try:
        shape = _StatementShape.model_validate_json(payload)
    except ValidationError as exc:
        problem = first_problem(exc)
        if problem.not_json:
            raise AttestationInvalid(f"the signed payload is not JSON ({problem.message})") from None
        rule, what = _SHAPE_RULES.get(problem.top, ("approval.statement", "the signed payload is not an "
                                                                          "in-toto Statement v1"))
        raise AttestationInvalid(f"{what} ({problem.where}: {problem.message})", rule=rule) from None
    if shape.type_ != STATEMENT_TYPE:
        raise AttestationInvalid(f"the signed payload is not an in-toto Statement v1 ({STATEMENT_TYPE})")
    if shape.predicate_type != PREDICATE_TYPE:
        raise AttestationInvalid(f"predicateType is {shape.predicate_type!r}, not {PREDICATE_TYPE}")
    subjects = _subjects(shape.subject)
    try:
        predicate = ApprovalPredicate.model_validate(shape.predicate)
    except ValidationError as exc:
        problem = first_problem(exc)
        raise AttestationInvalid(f"approval predicate field {problem.where}: {problem.message}",
                                 rule="approval.statement_predicate") from None
    if predicate.document not in subjects:
        raise AttestationInvalid(
            f"the statement has no subject for the approved document {predicate.document}",
            rule="approval.statement_subject")
    return Statement(subjects=subjects, predicate=predicate)


def _subjects(descriptors: list[_ResourceDescriptor]) -> dict[str, str]:
    subjects: dict[str, str] = {}
    for item in descriptors:
        digest = item.digest.get("sha256")
        if digest is None or not _SHA256_RE.match(digest):
            raise AttestationInvalid(f"the statement subject {item.name!r} has no lower-case hex sha256 "
                                     "digest", rule="approval.statement_subject")
        if item.name in subjects:
            # Two digests for one name: which bytes were approved would depend on the reader.
            raise AttestationInvalid(f"the statement names the subject {item.name!r} twice",
                                     rule="approval.statement_subject")
        subjects[item.name] = digest
    return subjects
