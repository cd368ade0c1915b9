"""Offline PKI approvals: a reviewer's own X.509 key signs, a hospital TSA proves when.

For air-gapped sites (signing.md §7): the same Sigstore bundle v0.3 and DSSE envelope as the
keyless path, but with the reviewer's certificate instead of a Fulcio certificate, no
transparency log, and an RFC 3161 token over the signature bytes::

    signer = PkiSigner(key_pem, cert_pem, tsa_url="http://tsa.hospital.example/")
    bundle_json = signer.sign(statement_bytes)
    verified = PkiVerifier.from_trust(trust, repo_root).verify(bundle_json)

The bundle is the form stock verifiers read (sigstore-js, given the hospital CA and TSA in a
trusted root; ``audit export --bundle``): the leaf alone in ``verificationMaterial.certificate``
(intermediates are trust material, listed under ``pki.intermediates`` in trust.yaml), an ECDSA
P-256/SHA-256 or Ed25519 signature, and a timestamp. Bundles written before carried the whole chain in
``x509CertificateChain`` and may use RSA-PSS, P-384 or Ed25519: they still verify here.

A timestamp is required unless trust.yaml says ``pki.require_timestamp: false``. Without one the
only time is the verifier's clock (labelled claimed), so a certificate that has since expired no
longer verifies: that is deliberate, as the claimed signing time proves nothing.

This module reads the bundle and runs the checks in order; its parts live beside it, and their
public names are importable from here too: :mod:`.pki_sign` (the key, raw signatures and
:class:`PkiSigner`), :mod:`.pki_timestamp` (the trusted signing time) and :mod:`.pki_chain`
(the certificate: chain, validity, code-signing usage, the reviewer's e-mail, revocation).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from pydantic import ValidationError
from sigstore_models.bundle.v1 import Bundle, VerificationMaterial
from sigstore_models.common.v1 import X509Certificate

from .._internal.validation import first_problem
from ..manifest.trust import RevokedCertificate, Trust
from .attestation import PAYLOAD_TYPE
from .backend import Backend, SignatureInvalid, VerifiedSignature, is_pki_bundle
from .pki_chain import check_revoked, require_code_signing, reviewer_identity, subject, validate_chain
from .pki_sign import (
    BUNDLE_MEDIA_TYPE,
    PORTABLE_KEYS,
    PkiKey,
    PkiPublicKey,
    PkiSigner,
    SigningKeyInvalid,
    fingerprint,
    pae,
    public_key_of,
    verify_raw,
)
from .pki_timestamp import MAX_TIMESTAMPS, trusted_time

if TYPE_CHECKING:
    from .trust_files import TrustFiles

__all__ = ["BUNDLE_MEDIA_TYPE", "MAX_TIMESTAMPS", "PORTABLE_KEYS", "PkiKey", "PkiPublicKey", "PkiSigner",
           "PkiVerifier", "SigningKeyInvalid", "fingerprint", "pae"]


# --- reading the bundle ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Parsed:
    payload: bytes
    signature: bytes
    leaf: x509.Certificate
    chain: list[x509.Certificate]
    timestamps: list[bytes]


def _bundle_error(message: str) -> SignatureInvalid:
    return SignatureInvalid("approval.bundle", message,
                            hint="the file must be the Sigstore bundle written by `clinigate approve`")


def _parse_bundle(bundle_json: str) -> Bundle:
    try:
        bundle = Bundle.from_json(bundle_json)
    except ValidationError as exc:
        problem = first_problem(exc)
        if problem.not_json:
            raise _bundle_error(f"the approval bundle is not JSON: {problem.message}") from None
        raise _bundle_error(f"the approval bundle is malformed at {problem.where}: "
                            f"{problem.message}") from None
    return bundle


def _parse(bundle_json: str) -> _Parsed:
    bundle = _parse_bundle(bundle_json)
    material, envelope = bundle.verification_material, bundle.dsse_envelope
    if envelope is None or _certificates_of(material) is None or material.tlog_entries:
        raise _bundle_error("a PKI approval bundle needs a DSSE envelope, a certificate "
                            "and no tlog entries")
    if envelope.payload_type != PAYLOAD_TYPE or len(envelope.signatures) != 1:
        raise _bundle_error(f"the DSSE envelope must hold one signature over {PAYLOAD_TYPE}")
    try:
        certificates = [x509.load_der_x509_certificate(c.raw_bytes) for c in _certificates_of(material) or []]
    except ValueError as exc:
        raise _bundle_error(f"a certificate in the bundle is not DER X.509: {exc}") from None
    if not certificates:
        raise _bundle_error("the certificate chain in the bundle is empty")
    stamps = material.timestamp_verification_data
    return _Parsed(payload=envelope.payload, signature=envelope.signatures[0].sig, leaf=certificates[0],
                   chain=certificates[1:],
                   timestamps=[t.signed_timestamp for t in stamps.rfc3161_timestamps] if stamps else [])


def _certificates_of(material: VerificationMaterial) -> list[X509Certificate] | None:
    """The leaf (``certificate``, as written now) or the leaf and its chain (``x509CertificateChain``,
    as bundles were written before stock verifiers were asked to read them)."""
    if material.certificate is not None:
        return [material.certificate]
    chain = material.x509_certificate_chain
    return None if chain is None else list(chain.certificates)


def _check_signature(parsed: _Parsed) -> None:
    key = public_key_of(parsed.leaf)
    if key is None:
        raise SignatureInvalid("approval.signature", "the certificate's key type cannot sign approvals")
    try:
        verify_raw(key, parsed.signature, pae(PAYLOAD_TYPE, parsed.payload))
    except InvalidSignature:
        raise SignatureInvalid(
            "approval.signature", "the DSSE signature does not verify: the payload or signature was altered",
            hint="the approval bundle was modified after signing; sign again") from None


# --- verification ------------------------------------------------------------------------------


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class PkiVerifier:
    """Verifies PKI approval bundles against the roots, TSA roots and revocations of trust.yaml."""

    roots: Sequence[x509.Certificate]
    intermediates: Sequence[x509.Certificate]
    tsa_roots: Sequence[x509.Certificate]
    revoked: dict[str, RevokedCertificate]
    now: Callable[[], datetime] = _utc_now
    require_timestamp: bool = True  # trust.yaml pki.require_timestamp
    backend: Backend = "pki"

    @classmethod
    def from_trust(cls, trust: Trust, repo_root: Path) -> PkiVerifier:
        """The certificates trust.yaml names under ``repo_root/policies/trust/``.

        A file that does not load trusts nothing (trust_files reports why, with the line); with no
        usable root left, every certificate signature is refused rather than crashing the run.
        """
        from .trust_files import directory_reader, read_trust_files

        return cls.from_files(read_trust_files(trust, directory_reader(repo_root), sigstore=False), trust)

    @classmethod
    def from_files(cls, files: TrustFiles, trust: Trust) -> PkiVerifier:
        """The certificates of ``files`` (already loaded and judged), with trust.yaml's revocations."""
        return cls(roots=files.roots, intermediates=files.intermediates, tsa_roots=files.tsa_roots,
                   revoked=trust.revoked(), require_timestamp=trust.pki.require_timestamp)

    def handles(self, bundle: dict[str, object]) -> bool:
        return is_pki_bundle(bundle)

    def verify(self, bundle_json: str) -> VerifiedSignature:
        parsed = _parse(bundle_json)
        _check_signature(parsed)
        time, source = trusted_time(parsed.timestamps, parsed.signature, parsed.leaf,
                                    tsa_roots=self.tsa_roots, require_timestamp=self.require_timestamp,
                                    now=self.now)
        root = validate_chain(parsed.leaf, parsed.chain, roots=self.roots, intermediates=self.intermediates,
                              at=time, source=source)
        require_code_signing(parsed.leaf)
        identity = reviewer_identity(parsed.leaf)
        leaf_sha256 = fingerprint(parsed.leaf)
        check_revoked(self.revoked, parsed.leaf, leaf_sha256)
        return VerifiedSignature(payload=parsed.payload, backend="pki", identity=identity,
                                 issuer=subject(root), time=time.astimezone(UTC), time_source=source,
                                 certificate_sha256=leaf_sha256)
