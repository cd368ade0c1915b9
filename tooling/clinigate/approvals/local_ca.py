"""A small local certificate authority for the offline PKI path: demos, tests, air-gapped pilots.

It writes plain PEM files so that the same files can be named in ``policies/trust/trust.yaml``
and handed to :class:`.pki.PkiSigner`::

    ca = LocalCA.create(folder, "Demo Hospital Root CA")
    alice = ca.issue_person("alice", "alice@hospital.example", "Alice Martin", "ecdsa")
    PkiSigner(alice.key_path.read_bytes(), alice.cert_path.read_bytes(), tsa_url=hospital_tsa)

A hospital's production PKI replaces it; nothing here is needed to verify.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes,
    CertificatePublicKeyTypes,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KeyType = Literal["ecdsa", "ecdsa-p384", "rsa", "ed25519"]
# No Ed25519 CAs: the WebPKI profile that PkiVerifier validates chains with forbids Ed25519 issuers.
CaKeyType = Literal["ecdsa", "ecdsa-p384", "rsa"]
Extension = tuple[x509.ExtensionType, bool]  # (value, critical)

PERSON_LIFETIME = timedelta(days=365)
CA_LIFETIME = timedelta(days=3650)


def generate_key(key_type: KeyType) -> CertificateIssuerPrivateKeyTypes:
    if key_type == "ecdsa":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "ecdsa-p384":
        return ec.generate_private_key(ec.SECP384R1())
    if key_type == "rsa":
        # 3072 bits: the size NIST SP 800-57 asks for keys used beyond 2030.
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    return ed25519.Ed25519PrivateKey.generate()


def _signature_hash(key: CertificateIssuerPrivateKeyTypes) -> hashes.SHA256 | hashes.SHA384 | None:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return None  # Ed25519 hashes internally
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size >= 384:
        return hashes.SHA384()
    return hashes.SHA256()


def _key_usage(*, digital_signature: bool = False, content_commitment: bool = False,
               cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=digital_signature, content_commitment=content_commitment,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=cert_sign, crl_sign=cert_sign, encipher_only=False,
                         decipher_only=False)


def _write_private(path: Path, key: CertificateIssuerPrivateKeyTypes, password: bytes | None) -> None:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    # Created 0600 from the start: a private key must never be world-readable, even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # the mode above applies only when the file is new
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def _write_certificate(path: Path, certificate: x509.Certificate) -> None:
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def _window(not_before: datetime | None, not_after: datetime | None,
            lifetime: timedelta = PERSON_LIFETIME) -> tuple[datetime, datetime]:
    # A minute of slack: a verifier whose clock is slightly behind must still accept a fresh cert.
    start = not_before or datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    return start, not_after or start + lifetime


@dataclass(frozen=True)
class IssuedCertificate:
    key_path: Path
    cert_path: Path
    certificate: x509.Certificate

    @property
    def sha256(self) -> str:
        return self.certificate.fingerprint(hashes.SHA256()).hex()


@dataclass(frozen=True)
class LocalCA:
    """A CA key and certificate on disk; ``parents`` are the CAs above it, nearest first."""

    directory: Path
    key: CertificateIssuerPrivateKeyTypes
    certificate: x509.Certificate
    cert_path: Path
    parents: tuple[x509.Certificate, ...] = field(default=())

    @classmethod
    def create(cls, directory: Path, name: str, *, stem: str = "root-ca", key_type: CaKeyType = "ecdsa",
               not_before: datetime | None = None, not_after: datetime | None = None) -> LocalCA:
        """A self-signed root CA: writes ``<stem>.key.pem`` and ``<stem>.cert.pem``."""
        directory.mkdir(parents=True, exist_ok=True)
        key = generate_key(key_type)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        start, end = _window(not_before, not_after, CA_LIFETIME)
        builder = _builder(subject, subject, key.public_key(), start, end)
        certificate = _with(builder, _ca_extensions(key, path_length=None)).sign(key, _signature_hash(key))
        return cls._save(directory, stem, key, certificate, ())

    @classmethod
    def _save(cls, directory: Path, stem: str, key: CertificateIssuerPrivateKeyTypes,
              certificate: x509.Certificate, parents: tuple[x509.Certificate, ...]) -> LocalCA:
        _write_private(directory / f"{stem}.key.pem", key, None)
        cert_path = directory / f"{stem}.cert.pem"
        _write_certificate(cert_path, certificate)
        return cls(directory=directory, key=key, certificate=certificate, cert_path=cert_path,
                   parents=parents)

    @property
    def chain_pem(self) -> bytes:
        """The certificates a signer ships after its leaf: this CA and those above it, without the root."""
        chain = (self.certificate, *self.parents)[:-1]
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)

    def issue_intermediate(self, name: str, *, stem: str = "intermediate-ca",
                           key_type: CaKeyType = "ecdsa") -> LocalCA:
        key = generate_key(key_type)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        start, end = _window(None, None, CA_LIFETIME)
        builder = _builder(subject, self.certificate.subject, key.public_key(), start, end)
        extensions = [*_ca_extensions(key, path_length=0), self._authority_key_id()]
        certificate = _with(builder, extensions).sign(self.key, _signature_hash(self.key))
        return self._save(self.directory, stem, key, certificate, (self.certificate, *self.parents))

    def issue_person(self, person_id: str, email: str, printed_name: str, key_type: KeyType = "ecdsa", *,
                     not_before: datetime | None = None, not_after: datetime | None = None,
                     eku_code_signing: bool = True, password: bytes | None = None) -> IssuedCertificate:
        """A reviewer's signing certificate: SAN e-mail, KeyUsage digitalSignature, EKU codeSigning."""
        extensions: list[Extension] = [
            (x509.SubjectAlternativeName([x509.RFC822Name(email)]), False),
            (_key_usage(digital_signature=True, content_commitment=True), True),
        ]
        if eku_code_signing:
            extensions.append((x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), False))
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, printed_name)])
        return self.issue(person_id, subject, key_type, extensions, not_before=not_before,
                          not_after=not_after, password=password)

    def issue(self, stem: str, subject: x509.Name, key_type: KeyType, extensions: list[Extension], *,
              not_before: datetime | None = None, not_after: datetime | None = None,
              password: bytes | None = None) -> IssuedCertificate:
        """Any end-entity certificate (a TSA, a test oddity); writes ``<stem>.key.pem``/``.cert.pem``."""
        key = generate_key(key_type)
        start, end = _window(not_before, not_after)
        builder = _builder(subject, self.certificate.subject, key.public_key(), start, end)
        base: list[Extension] = [(x509.BasicConstraints(ca=False, path_length=None), True),
                                 (x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False),
                                 self._authority_key_id()]
        certificate = _with(builder, [*base, *extensions]).sign(self.key, _signature_hash(self.key))
        key_path, cert_path = self.directory / f"{stem}.key.pem", self.directory / f"{stem}.cert.pem"
        _write_private(key_path, key, password)
        _write_certificate(cert_path, certificate)
        return IssuedCertificate(key_path=key_path, cert_path=cert_path, certificate=certificate)

    def _authority_key_id(self) -> Extension:
        return (x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), False)


def _builder(subject: x509.Name, issuer: x509.Name, public_key: CertificatePublicKeyTypes, start: datetime,
             end: datetime) -> x509.CertificateBuilder:
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end))


def _ca_extensions(key: CertificateIssuerPrivateKeyTypes, *, path_length: int | None) -> list[Extension]:
    return [(x509.BasicConstraints(ca=True, path_length=path_length), True),
            (_key_usage(cert_sign=True), True),
            (x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)]


def _with(builder: x509.CertificateBuilder, extensions: list[Extension]) -> x509.CertificateBuilder:
    for value, critical in extensions:
        builder = builder.add_extension(value, critical=critical)
    return builder
