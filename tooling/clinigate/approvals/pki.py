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

Size exception: 458 lines, key loading, signing and chain verification in one module until it is
split (issue 16, pending).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)
from pydantic import ValidationError
from rfc3161_client import decode_timestamp_response
from sigstore_models.bundle.v1 import Bundle, TimestampVerificationData, VerificationMaterial
from sigstore_models.common.v1 import RFC3161SignedTimestamp, X509Certificate
from sigstore_models.intoto import Envelope, Signature

from .. import layout
from .._internal.validation import first_problem
from ..errors import ClinigateError
from ..manifest.trust import RevokedCertificate, Trust
from .attestation import PAYLOAD_TYPE
from .backend import Backend, SignatureInvalid, VerifiedSignature, is_pki_bundle, person_email
from .timestamp import Timestamper, request_timestamp, timestamp_failure

if TYPE_CHECKING:
    from .trust_files import TrustFiles

BUNDLE_MEDIA_TYPE: Literal["application/vnd.dev.sigstore.bundle.v0.3+json"] = (
    "application/vnd.dev.sigstore.bundle.v0.3+json")
MAX_TIMESTAMPS = 4  # more is never needed and each costs a PKCS#7 verification
PORTABLE_KEYS = "ECDSA P-256 (signed with SHA-256) or Ed25519"

PkiKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
PkiPublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey


class SigningKeyInvalid(ClinigateError):
    """The key or certificate given to the signer cannot make a valid approval signature."""

    exit_code = 2


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding: what is actually signed, so the type cannot be swapped."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


def _hash_for(key: PkiKey | PkiPublicKey) -> hashes.HashAlgorithm:
    # The digest matches the curve strength (FIPS 186-5); RSA uses SHA-256.
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return {384: hashes.SHA384(), 521: hashes.SHA512()}.get(key.curve.key_size, hashes.SHA256())
    return hashes.SHA256()


def _pss(digest: hashes.HashAlgorithm) -> padding.PSS:
    return padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)


def _sign_raw(key: PkiKey, data: bytes) -> bytes:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    digest = _hash_for(key)
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, _pss(digest), digest)
    return key.sign(data, ec.ECDSA(digest))


def _verify_raw(key: PkiPublicKey, signature: bytes, data: bytes) -> None:
    """Raises InvalidSignature."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        key.verify(signature, data)
        return
    digest = _hash_for(key)
    if isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, data, _pss(digest), digest)
    else:
        key.verify(signature, data, ec.ECDSA(digest))


def _public_key_of(certificate: x509.Certificate) -> PkiPublicKey | None:
    key = certificate.public_key()
    return key if isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey) \
        else None


def _der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def _b64(data: bytes) -> bytes:
    # sigstore_models validates bytes fields from their base64 text, as they appear in JSON.
    return base64.b64encode(data)


def fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


# --- signing ---------------------------------------------------------------------------------


def _portable(key: PkiKey) -> bool:
    """Whether stock Sigstore verifiers check this key's signatures in a PKI bundle. Measured with
    @sigstore/verify 3.1.1: ECDSA P-256/SHA-256 and Ed25519 verify; P-384/SHA-384 and RSA-PSS fail
    though valid (it lets Node pick the digest: SHA-256, and PKCS#1 v1.5 for RSA)."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return True
    return isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1)


def _load_key(private_key_pem: bytes, password: bytes | None) -> PkiKey:
    try:
        key = serialization.load_pem_private_key(private_key_pem, password=password)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise SigningKeyInvalid(f"the private key cannot be read: {exc}",
                                hint="give a PEM private key and, if it is encrypted, its password") from None
    if not isinstance(key, PkiKey):
        raise SigningKeyInvalid(f"{type(key).__name__} keys cannot sign approvals",
                                hint="use an ECDSA P-256 or Ed25519 key")
    return key


def _key_name(key: PkiKey) -> str:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return f"ECDSA {key.curve.name}"
    return "Ed25519" if isinstance(key, ed25519.Ed25519PrivateKey) else f"RSA-{key.key_size}"


def _load_certificates(pem: bytes, what: str) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise SigningKeyInvalid(f"the {what} is not PEM X.509: {exc}") from None


class PkiSigner:
    """Signs with a reviewer's own key and certificate (see the module docstring)."""

    backend: Backend = "pki"

    def __init__(self, private_key_pem: bytes, certificate_pem: bytes, tsa_url: str | None = None,
                 password: bytes | None = None, *, timestamper: Timestamper | None = None,
                 portable_only: bool = True) -> None:
        """``tsa_url`` or ``timestamper``: where the RFC 3161 token comes from (neither: no token,
        which only a trust.yaml with ``pki.require_timestamp: false`` accepts). ``portable_only``:
        refuse keys that stock Sigstore verifiers cannot check (False only to write the older
        bundles that clinigate alone verifies, as the compatibility tests do)."""
        key = _load_key(private_key_pem, password)
        leaf = _load_certificates(certificate_pem, "certificate")[0]
        if leaf.public_key() != key.public_key():
            raise SigningKeyInvalid(
                f"the private key does not match the certificate {leaf.subject.rfc4514_string()} "
                f"(sha256 {fingerprint(leaf)})", hint="pass the key that the certificate was issued for")
        if portable_only and not _portable(key):
            raise SigningKeyInvalid(
                f"the certificate {leaf.subject.rfc4514_string()} holds a {_key_name(key)} key; approvals "
                f"are signed with {PORTABLE_KEYS} keys only, the one kind stock Sigstore verifiers "
                "(sigstore-js) check in a PKI bundle, so an auditor without clinigate can verify them",
                hint="ask the CA for a certificate over an ECDSA P-256 or Ed25519 key")
        self.key = key
        self.certificate = leaf
        self.timestamper: str | Timestamper | None = timestamper or tsa_url

    @property
    def timestamped(self) -> bool:
        return self.timestamper is not None

    def sign(self, statement: bytes) -> str:
        signature = _sign_raw(self.key, pae(PAYLOAD_TYPE, statement))
        timestamps = None
        if self.timestamper is not None:
            token = request_timestamp(self.timestamper, signature)
            timestamps = TimestampVerificationData(
                rfc3161_timestamps=[RFC3161SignedTimestamp(signed_timestamp=_b64(token))])
        material = VerificationMaterial(certificate=X509Certificate(raw_bytes=_b64(_der(self.certificate))),
                                        tlog_entries=[], timestamp_verification_data=timestamps)
        envelope = Envelope(payload=_b64(statement), payload_type=PAYLOAD_TYPE,
                            signatures=[Signature(sig=_b64(signature), keyid="")])
        return Bundle(media_type=BUNDLE_MEDIA_TYPE, verification_material=material,
                      dsse_envelope=envelope).to_json()


# --- verification ----------------------------------------------------------------------------


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
    key = _public_key_of(parsed.leaf)
    if key is None:
        raise SignatureInvalid("approval.signature", "the certificate's key type cannot sign approvals")
    try:
        _verify_raw(key, parsed.signature, pae(PAYLOAD_TYPE, parsed.payload))
    except InvalidSignature:
        raise SignatureInvalid(
            "approval.signature", "the DSSE signature does not verify: the payload or signature was altered",
            hint="the approval bundle was modified after signing; sign again") from None


def _subject(certificate: x509.Certificate) -> str:
    return certificate.subject.rfc4514_string()


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _check_leaf_validity(leaf: x509.Certificate, at: datetime, source: str) -> None:
    start, end = leaf.not_valid_before_utc, leaf.not_valid_after_utc
    if start <= at <= end:
        return
    who = f"certificate {_subject(leaf)}"
    if source == "rfc3161":
        message = (f"the TSA time {_utc(at)} is outside the validity of {who} "
                   f"({_utc(start)} to {_utc(end)})")
    elif at > end:
        message = f"{who} expired on {_utc(end)} and there is no trusted timestamp of an earlier signature"
    else:
        message = f"{who} is not valid before {_utc(start)} and there is no trusted timestamp"
    raise SignatureInvalid(
        "approval.expired", message,
        hint="sign again with a valid certificate; a TSA (pki.tsa_url) proves the signing time")


def _require_code_signing(leaf: x509.Certificate) -> None:
    try:
        usages = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        usages = x509.ExtendedKeyUsage([])
    if ExtendedKeyUsageOID.CODE_SIGNING not in usages:
        raise SignatureInvalid(
            "approval.eku", f"certificate {_subject(leaf)} lacks the extended key usage codeSigning "
            f"({ExtendedKeyUsageOID.CODE_SIGNING.dotted_string}) that approval signatures require",
            hint="ask the CA for a code-signing certificate")


def _identity(leaf: x509.Certificate) -> str:
    """The reviewer's e-mail: a PKI certificate is always a person, never the CI workflow (DESIGN §13)."""
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        san = x509.SubjectAlternativeName([])
    uris = san.get_values_for_type(x509.UniformResourceIdentifier)
    if uris:
        # Only a Sigstore certificate whose GitHub extensions match trust.yaml's pin signs as a
        # workflow; a URI in a CA-issued certificate is somebody dressing up as one.
        raise SignatureInvalid(
            "approval.pki_uri_san", f"certificate {_subject(leaf)} names the URI {uris[0]!r} in its subject "
            "alternative name; a PKI certificate identifies a person by e-mail only, and only the pinned "
            "Sigstore CI workflow (trust.yaml sigstore.ci) signs as a workflow",
            hint="ask the CA for a certificate with the reviewer's e-mail as its only SAN")
    emails = san.get_values_for_type(x509.RFC822Name)
    if len(emails) != 1:
        raise SignatureInvalid(
            "approval.identity", f"certificate {_subject(leaf)} names {len(emails)} e-mail addresses in its "
            "subject alternative name; exactly one identifies the reviewer")
    return person_email(emails[0], f"certificate {_subject(leaf)}")


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
        time, source = self._trusted_time(parsed)
        root = self._validate_chain(parsed, time, source)
        _require_code_signing(parsed.leaf)
        identity = _identity(parsed.leaf)
        leaf_sha256 = fingerprint(parsed.leaf)
        self._check_revoked(parsed.leaf, leaf_sha256)
        return VerifiedSignature(payload=parsed.payload, backend="pki", identity=identity,
                                 issuer=_subject(root), time=time.astimezone(UTC), time_source=source,
                                 certificate_sha256=leaf_sha256)

    def _trusted_time(self, parsed: _Parsed) -> tuple[datetime, Literal["rfc3161", "claimed"]]:
        if not parsed.timestamps and self.require_timestamp:
            raise SignatureInvalid(
                "approval.no_timestamp", f"the approval signed by {_subject(parsed.leaf)} carries no "
                "RFC 3161 timestamp, and trust.yaml requires a trusted signing time (pki.require_timestamp)",
                hint="sign again with a TSA (pki.tsa_url or --tsa); a registry without one says "
                     "pki.require_timestamp: false, and its approval times are then only claimed")
        if not parsed.timestamps:
            return self.now().astimezone(UTC), "claimed"
        if len(parsed.timestamps) > MAX_TIMESTAMPS:
            raise SignatureInvalid("approval.timestamp",
                                   f"the bundle carries more than {MAX_TIMESTAMPS} timestamps")
        if not self.tsa_roots:
            raise SignatureInvalid(
                "approval.timestamp", "the bundle carries an RFC 3161 timestamp but trust.yaml names no "
                "TSA roots (pki.tsa_roots) to check it against",
                hint="add the hospital TSA's root certificate to pki.tsa_roots")
        # Every token must verify: a bundle carrying one forged token is not trustworthy anywhere.
        return min(self._verify_timestamp(token, parsed.signature) for token in parsed.timestamps), "rfc3161"

    def _verify_timestamp(self, token: bytes, signature: bytes) -> datetime:
        try:
            response = decode_timestamp_response(token)
        except ValueError as exc:
            raise SignatureInvalid("approval.timestamp",
                                   f"the RFC 3161 timestamp cannot be read: {exc}") from None
        failures = [why for root in self.tsa_roots if (why := timestamp_failure(response, root, signature))]
        if len(failures) == len(self.tsa_roots):
            raise SignatureInvalid("approval.timestamp", "the RFC 3161 timestamp does not verify against "
                                   f"the trusted TSA roots (pki.tsa_roots): {failures[0]}")
        return response.tst_info.gen_time.astimezone(UTC)

    def _validate_chain(self, parsed: _Parsed, at: datetime, source: str) -> x509.Certificate:
        if not self.roots:
            raise SignatureInvalid(
                "trust.no_pki_root", f"certificate {_subject(parsed.leaf)} cannot be checked: trust.yaml "
                "lists no usable PKI root (pki.roots is empty, or none of its files is a CA certificate)",
                hint=f"list the issuing CA's PEM certificate under pki.roots in {layout.TRUST_PATH}")
        _check_leaf_validity(parsed.leaf, at, source)
        # Client verifiers insist on EKU clientAuth; approvals need codeSigning instead, which
        # _require_code_signing checks, so the EKU is only allowed here (as sigstore does).
        ca_policy = ExtensionPolicy.webpki_defaults_ca().may_be_present(
            x509.ExtendedKeyUsage, Criticality.AGNOSTIC, None)
        ee_policy = ExtensionPolicy.webpki_defaults_ee().may_be_present(
            x509.ExtendedKeyUsage, Criticality.AGNOSTIC, None)
        verifier = (PolicyBuilder().store(Store(list(self.roots))).time(at)
                    .extension_policies(ca_policy=ca_policy, ee_policy=ee_policy).build_client_verifier())
        try:
            return verifier.verify(parsed.leaf, [*self.intermediates, *parsed.chain]).chain[-1]
        except VerificationError as exc:
            # The leaf's window was checked above; this catches an expired intermediate or root.
            expired = "not valid at validation time" in str(exc)
            rule = "approval.expired" if expired else "approval.untrusted_root"
            raise SignatureInvalid(
                rule, f"certificate {_subject(parsed.leaf)} does not chain to a trusted root CA "
                f"(pki.roots) at {_utc(at)}: {exc}",
                hint=f"the signer's CA must be listed under pki.roots in {layout.TRUST_PATH}") from None

    def _check_revoked(self, leaf: x509.Certificate, leaf_sha256: str) -> None:
        revoked = self.revoked.get(leaf_sha256)
        if revoked is not None:
            raise SignatureInvalid(
                "approval.revoked_key", f"certificate {_subject(leaf)} (sha256 {leaf_sha256}) was revoked on "
                f"{revoked.revoked_on.isoformat()}: {revoked.reason}")
