"""Offline PKI signing: a reviewer's own X.509 key signs the DSSE envelope (signing.md §7).

    signer = PkiSigner(key_pem, cert_pem, tsa_url="http://tsa.hospital.example/")
    bundle_json = signer.sign(statement_bytes)

The key is loaded and matched to the certificate here, and only keys stock Sigstore verifiers
check are accepted (:data:`PORTABLE_KEYS`). The raw signature of each key type lives here too,
with its check (:func:`verify_raw`): the digest and padding chosen for signing are the ones
verification must use. The bundle written is described in :mod:`.pki`, which verifies it.
"""

from __future__ import annotations

import base64
from typing import Literal

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from sigstore_models.bundle.v1 import Bundle, TimestampVerificationData, VerificationMaterial
from sigstore_models.common.v1 import RFC3161SignedTimestamp, X509Certificate
from sigstore_models.intoto import Envelope, Signature

from ..errors import ClinigateError
from .attestation import PAYLOAD_TYPE
from .backend import Backend
from .timestamp import Timestamper, request_timestamp

BUNDLE_MEDIA_TYPE: Literal["application/vnd.dev.sigstore.bundle.v0.3+json"] = (
    "application/vnd.dev.sigstore.bundle.v0.3+json")
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


def sign_raw(key: PkiKey, data: bytes) -> bytes:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    digest = _hash_for(key)
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, _pss(digest), digest)
    return key.sign(data, ec.ECDSA(digest))


def verify_raw(key: PkiPublicKey, signature: bytes, data: bytes) -> None:
    """Raises InvalidSignature."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        key.verify(signature, data)
        return
    digest = _hash_for(key)
    if isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, data, _pss(digest), digest)
    else:
        key.verify(signature, data, ec.ECDSA(digest))


def public_key_of(certificate: x509.Certificate) -> PkiPublicKey | None:
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


def is_encrypted(private_key_pem: bytes) -> bool:
    """The PEM private key needs a password to be read (PKCS#8 encrypted, or a legacy encrypted PEM)."""
    try:
        serialization.load_pem_private_key(private_key_pem, password=None)
    except TypeError:  # cryptography: "Password was not given but private key is encrypted"
        return True
    except (ValueError, UnsupportedAlgorithm):
        return False  # unreadable: the signer says why when it loads it
    return False


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
        signature = sign_raw(self.key, pae(PAYLOAD_TYPE, statement))
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
