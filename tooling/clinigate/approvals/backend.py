"""One ``Signer`` and one ``Verifier`` protocol; sigstore keyless and offline PKI implement both.

Both backends write the same thing: a Sigstore bundle v0.3 JSON holding a DSSE envelope
(payload type ``application/vnd.in-toto+json``) over the statement bytes of
:mod:`.attestation`. A verifier checks the cryptography and the signer's identity against the
trust configuration and returns who signed and when; judging whether that signer may approve
this document for this role is :mod:`.verdict`'s job, not the backend's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Literal, Protocol

from pydantic import TypeAdapter, ValidationError

from ..errors import ClinigateError

Backend = Literal["sigstore", "pki"]


class IdentityKind(StrEnum):
    """Who a verified signature is from: decides how the judge maps it to a person (DESIGN §13)."""

    PERSON = "person"  # an e-mail address that must be the signer's own in roles.yaml
    CI_WORKFLOW = "ci_workflow"  # the workflow pinned in trust.yaml; it asserts the reviewer
    # One of trust.yaml's sigstore.ci.checkpoint_workflows: vouches for a checkpoint, never for an
    # approval. Only a verifier built for checkpoints ever returns it.
    CHECKPOINT_WORKFLOW = "checkpoint_workflow"


def is_pki_bundle(bundle: dict[str, object]) -> bool:
    """A certificate (either form) and no transparency-log entry: the PKI backend's bundle."""
    material = bundle.get("verificationMaterial")
    return (isinstance(material, dict) and ("certificate" in material or "x509CertificateChain" in material)
            and not material.get("tlogEntries"))


class SignatureInvalid(ClinigateError):
    """A bundle failed verification. ``rule`` names the check (``approval.<what>``)."""

    exit_code = 1

    def __init__(self, rule: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.rule = rule


@dataclass(frozen=True)
class VerifiedSignature:
    """What a verifier vouches for once the cryptography and identity checks passed."""

    payload: bytes  # the DSSE payload (statement bytes), exactly as signed
    backend: Backend
    identity: str  # e-mail (person) or URI (CI workflow) from the certificate SAN, for display
    issuer: str  # OIDC issuer (sigstore) or the subject of the trusted root CA (pki)
    time: datetime  # UTC
    time_source: Literal["rekor", "rfc3161", "claimed"]
    certificate_sha256: str  # fingerprint of the leaf certificate (hex)
    details: dict[str, str] = field(default_factory=dict)  # e.g. run URL, source commit (CI)
    # Person unless the keyless verifier matched every pin of trust.yaml's sigstore.ci against the
    # certificate's Fulcio extensions: the judge never infers it from how the identity is spelled.
    identity_kind: IdentityKind = IdentityKind.PERSON

    def __post_init__(self) -> None:
        # A PKI certificate is always a person; only Fulcio's GitHub extensions can prove a workflow.
        if self.identity_kind is not IdentityKind.PERSON and self.backend != "sigstore":
            raise ValueError(f"a {self.backend} signature cannot be the CI workflow identity "
                             "(nor a checkpoint workflow's)")

    @property
    def time_trusted(self) -> bool:
        return self.time_source != "claimed"

    @property
    def ci_workflow(self) -> bool:
        return self.identity_kind is IdentityKind.CI_WORKFLOW

    @property
    def workflow(self) -> bool:
        """Any pinned workflow of this repository: the approval workflow or a checkpoint workflow."""
        return self.identity_kind is not IdentityKind.PERSON


@cache
def _email_adapter() -> TypeAdapter[str]:
    from ..manifest.values import Email

    return TypeAdapter(Email)


def person_email(identity: str, where: str) -> str:
    """``identity`` when it is shaped like a roles.yaml e-mail; else the refusal to report.

    A person is found by the e-mail in roles.yaml, so any other spelling (``https://x@y``) can
    only be a mistake or an attempt to look like something else.
    """
    try:
        return _email_adapter().validate_python(identity)
    except ValidationError:
        raise SignatureInvalid(
            "approval.identity_not_email", f"{where} names {identity!r}, which is not an e-mail address "
            "(a person signs with the e-mail listed for them in roles.yaml)",
            hint="ask the CA for a certificate whose SAN is the reviewer's own e-mail address") from None


class Signer(Protocol):
    backend: Backend

    def sign(self, statement: bytes) -> str:
        """Sign the statement bytes; return the Sigstore bundle v0.3 JSON text."""
        ...


class Verifier(Protocol):
    backend: Backend

    def handles(self, bundle: dict[str, object]) -> bool:
        """Whether this verifier is the one for this parsed bundle (by its verification material)."""
        ...

    def verify(self, bundle_json: str) -> VerifiedSignature:
        """Verify the bundle or raise :class:`SignatureInvalid` with its own rule and message."""
        ...
