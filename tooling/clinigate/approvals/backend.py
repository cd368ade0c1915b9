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
from typing import Literal, Protocol

from ..errors import ClinigateError

Backend = Literal["sigstore", "pki"]


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
    identity: str  # e-mail (person) or URI (CI workflow) from the certificate SAN
    issuer: str  # OIDC issuer (sigstore) or the subject of the trusted root CA (pki)
    time: datetime  # UTC
    time_source: Literal["rekor", "rfc3161", "claimed"]
    certificate_sha256: str  # fingerprint of the leaf certificate (hex)
    details: dict[str, str] = field(default_factory=dict)  # e.g. run URL, source commit (CI)

    @property
    def time_trusted(self) -> bool:
        return self.time_source != "claimed"


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
