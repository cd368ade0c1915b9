"""Offline PKI approvals: real keys, a real CA, a real TSA on loopback; every acceptance has a refusal twin."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from testing.local_tsa import LocalTSA, foreign_tsa, local_tsa  # noqa: F401

from clinigate.approvals.attestation import (
    PAYLOAD_TYPE,
    ApprovalPredicate,
    Decision,
    Meaning,
    SignerName,
    build_statement,
)
from clinigate.approvals.backend import SignatureInvalid
from clinigate.approvals.local_ca import IssuedCertificate, LocalCA
from clinigate.approvals.pki import PkiSigner, PkiVerifier, SigningKeyInvalid
from clinigate.approvals.timestamp import TimestampUnavailable
from clinigate.manifest.trust import RevokedCertificate, Trust
from clinigate.manifest.values import Role

NOW = datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Pki:
    root: LocalCA
    intermediate: LocalCA
    foreign: LocalCA

    def signer(self, issued: IssuedCertificate, tsa: LocalTSA | None = None, *,
               portable_only: bool = True) -> PkiSigner:
        return PkiSigner(issued.key_path.read_bytes(), issued.cert_path.read_bytes(),
                         tsa_url=tsa.url if tsa else None, portable_only=portable_only)

    def verifier(self, *, tsa: LocalTSA | None = None, now: datetime | None = None,
                 revoked: dict[str, RevokedCertificate] | None = None, require_timestamp: bool = False,
                 intermediates: bool = True) -> PkiVerifier:
        """Trusts the root, and the intermediate as trust material (trust.yaml pki.intermediates)."""
        clock = now or datetime.now(UTC)
        return PkiVerifier(roots=[self.root.certificate],
                           intermediates=[self.intermediate.certificate] if intermediates else [],
                           tsa_roots=[tsa.root] if tsa else [], revoked=revoked or {}, now=lambda: clock,
                           require_timestamp=require_timestamp)

    def legacy(self, bundle: str) -> str:
        """The bundle as clinigate wrote it before: leaf and intermediate in x509CertificateChain."""
        data = json.loads(bundle)
        material = data["verificationMaterial"]
        leaf = material.pop("certificate")
        chain = [leaf, {"rawBytes": base64.b64encode(self.intermediate.certificate.public_bytes(
            serialization.Encoding.DER)).decode()}]
        material["x509CertificateChain"] = {"certificates": chain}
        return json.dumps(data)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    root = LocalCA.create(tmp_path_factory.mktemp("ca"), "Test Hospital Root CA")
    foreign = LocalCA.create(tmp_path_factory.mktemp("foreign-ca"), "Some Other Root CA")
    return Pki(root=root, intermediate=root.issue_intermediate("Test Hospital Signing CA"), foreign=foreign)


@pytest.fixture(scope="session")
def alice(pki: Pki) -> IssuedCertificate:
    return pki.intermediate.issue_person("alice", "alice@hospital.example", "Alice Martin", "ecdsa")


@pytest.fixture(scope="session")
def statement() -> bytes:
    predicate = ApprovalPredicate(
        model="sepsis", version="1.2.0", document="models/sepsis/1.2.0.yaml", role=Role.CLINICAL_REVIEWER,
        decision=Decision.APPROVED, meaning=Meaning.APPROVAL, signer=SignerName(id="alice", name="Alice Martin"),
        reason="validated on the 2025 cohort", signed_at=datetime(2026, 1, 5, 9, tzinfo=UTC))
    return build_statement(predicate, document_sha256="a" * 64, artifact_sha256="b" * 64)


def refused(verifier: PkiVerifier, bundle: str, rule: str, fragment: str) -> SignatureInvalid:
    with pytest.raises(SignatureInvalid) as info:
        verifier.verify(bundle)
    assert info.value.rule == rule, info.value.message
    assert fragment in info.value.message
    return info.value


def edit(bundle: str, change: Callable[[dict], object]) -> str:
    data = json.loads(bundle)
    change(data)
    return json.dumps(data)


LEGACY = Path(__file__).parent / "data" / "legacy_pki"


@pytest.mark.parametrize("key_type", ["ecdsa", "ed25519"])
def test_round_trip(pki: Pki, statement: bytes, key_type: str) -> None:
    issued = pki.intermediate.issue_person(f"r-{key_type}", f"{key_type}@hospital.example", "Pat Doe", key_type)

    verified = pki.verifier().verify(pki.signer(issued).sign(statement))

    assert verified.payload == statement
    assert (verified.identity, verified.time_source) == (f"{key_type}@hospital.example", "claimed")
    assert verified.issuer == "CN=Test Hospital Root CA"


@pytest.mark.parametrize("key_type", ["ecdsa-p384", "rsa"])
def test_keys_stock_verifiers_cannot_check_do_not_sign(pki: Pki, key_type: str) -> None:
    issued = pki.intermediate.issue_person(f"n-{key_type}", f"{key_type}@hospital.example", "Pat Doe", key_type)

    with pytest.raises(SigningKeyInvalid, match="ECDSA P-256 .* or Ed25519") as info:
        pki.signer(issued)
    assert "stock Sigstore verifiers" in info.value.message


@pytest.mark.parametrize("key_type", ["ecdsa", "ecdsa-p384", "rsa", "ed25519"])
def test_older_bundles_of_each_key_type_still_verify(pki: Pki, statement: bytes, key_type: str) -> None:
    issued = pki.intermediate.issue_person(f"p-{key_type}", f"{key_type}@hospital.example", "Pat Doe", key_type)

    bundle = pki.legacy(pki.signer(issued, portable_only=False).sign(statement))
    verified = pki.verifier(intermediates=False).verify(bundle)  # the chain comes from the bundle

    assert verified.payload == statement
    assert (verified.backend, verified.identity, verified.time_source) == ("pki", f"{key_type}@hospital.example",
                                                                           "claimed")
    assert verified.issuer == "CN=Test Hospital Root CA"
    assert verified.certificate_sha256 == issued.sha256
    assert verified.time.tzinfo is not None and verified.time.utcoffset() == timedelta(0)


@pytest.mark.parametrize("key_type", ["ecdsa", "ecdsa-p384", "rsa", "ed25519"])
def test_bundles_written_by_the_previous_release_still_verify(key_type: str) -> None:
    """Bundles made by clinigate before this change (data/legacy_pki/README.md), timestamped."""
    root, tsa = (x509.load_pem_x509_certificate((LEGACY / name).read_bytes()) for name in ("root-ca.pem",
                                                                                          "tsa-root.pem"))
    verifier = PkiVerifier(roots=[root], intermediates=[], tsa_roots=[tsa], revoked={})

    verified = verifier.verify((LEGACY / f"{key_type}.sigstore.json").read_text())

    assert (verified.identity, verified.time_source) == (f"{key_type}@hospital.example", "rfc3161")
    assert verified.issuer == "CN=Legacy Hospital Root CA"


def test_without_a_timestamp_the_approval_counts_only_where_trust_says_so(
        pki: Pki, alice: IssuedCertificate, statement: bytes, local_tsa: LocalTSA) -> None:  # noqa: F811
    bare = pki.signer(alice).sign(statement)

    refused(pki.verifier(tsa=local_tsa, require_timestamp=True), bare, "approval.no_timestamp",
            "requires a trusted signing time")
    assert pki.verifier(tsa=local_tsa, require_timestamp=True).verify(
        pki.signer(alice, local_tsa).sign(statement)).time_source == "rfc3161"
    assert pki.verifier(require_timestamp=False).verify(bare).time_source == "claimed"


def test_bundle_has_the_form_stock_verifiers_read(pki: Pki, alice: IssuedCertificate, statement: bytes) -> None:
    data = json.loads(pki.signer(alice).sign(statement))

    assert data["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
    material = data["verificationMaterial"]
    assert material["tlogEntries"] == [] and "timestampVerificationData" not in material
    assert "x509CertificateChain" not in material  # the leaf alone; intermediates are trust material
    assert x509.load_der_x509_certificate(base64.b64decode(material["certificate"]["rawBytes"])) \
        == alice.certificate
    envelope = data["dsseEnvelope"]
    assert envelope["payloadType"] == PAYLOAD_TYPE and base64.b64decode(envelope["payload"]) == statement
    assert envelope["signatures"][0]["keyid"] == ""
    assert pki.verifier().handles(data)
    assert not pki.verifier().handles({**data, "verificationMaterial": {**material, "tlogEntries": [{}]}})


def test_a_changed_payload_byte_is_refused(pki: Pki, alice: IssuedCertificate, statement: bytes) -> None:
    def tamper(data: dict) -> None:
        payload = bytearray(base64.b64decode(data["dsseEnvelope"]["payload"]))
        payload[payload.index(b"approved")] = ord("A")
        data["dsseEnvelope"]["payload"] = base64.b64encode(bytes(payload)).decode()

    bundle = edit(pki.signer(alice).sign(statement), tamper)

    refused(pki.verifier(), bundle, "approval.signature", "the payload or signature was altered")


def test_a_certificate_from_another_ca_is_refused(pki: Pki, statement: bytes) -> None:
    mallory = pki.foreign.issue_person("mallory", "mallory@elsewhere.example", "Mallory", "ecdsa")

    bundle = pki.signer(mallory).sign(statement)

    refused(pki.verifier(), bundle, "approval.untrusted_root", "does not chain to a trusted root CA")


def test_an_expired_certificate_without_timestamp_is_refused(pki: Pki, statement: bytes) -> None:
    old = pki.intermediate.issue_person("old", "old@hospital.example", "Old Key", "ecdsa",
                                        not_before=NOW - timedelta(days=400), not_after=NOW - timedelta(days=35))

    bundle = pki.signer(old).sign(statement)

    refused(pki.verifier(), bundle, "approval.expired",
            f"expired on {(NOW - timedelta(days=35)):%Y-%m-%d}")


def test_a_timestamp_from_while_the_certificate_was_valid_keeps_it_valid(
        pki: Pki, statement: bytes, local_tsa: LocalTSA) -> None:  # noqa: F811
    short = pki.intermediate.issue_person("short", "short@hospital.example", "Short Lived", "ecdsa",
                                          not_after=NOW + timedelta(hours=1))
    bundle = pki.signer(short, local_tsa).sign(statement)
    later = NOW + timedelta(days=30)

    verified = pki.verifier(tsa=local_tsa, now=later).verify(bundle)

    assert verified.time_source == "rfc3161" and verified.time_trusted
    assert abs(verified.time - NOW) < timedelta(minutes=5)
    without_token = edit(bundle, lambda d: d["verificationMaterial"].pop("timestampVerificationData"))
    refused(pki.verifier(tsa=local_tsa, now=later), without_token, "approval.expired", "no trusted timestamp")


def test_a_timestamp_outside_the_validity_is_refused(pki: Pki, statement: bytes,
                                                     local_tsa: LocalTSA) -> None:  # noqa: F811
    old = pki.intermediate.issue_person("old-tsa", "old@hospital.example", "Old Key", "ecdsa",
                                        not_before=NOW - timedelta(days=400), not_after=NOW - timedelta(days=35))

    bundle = pki.signer(old, local_tsa).sign(statement)

    refused(pki.verifier(tsa=local_tsa), bundle, "approval.expired", "the TSA time")


def test_a_timestamp_from_an_untrusted_tsa_is_refused(pki: Pki, alice: IssuedCertificate, statement: bytes,
                                                      local_tsa: LocalTSA, foreign_tsa: LocalTSA) -> None:  # noqa: F811
    bundle = pki.signer(alice, foreign_tsa).sign(statement)

    refused(pki.verifier(tsa=local_tsa), bundle, "approval.timestamp", "does not verify against the trusted TSA")
    refused(pki.verifier(), bundle, "approval.timestamp", "names no TSA roots")


def test_a_timestamp_of_another_signature_is_refused(pki: Pki, alice: IssuedCertificate, statement: bytes,
                                                     local_tsa: LocalTSA) -> None:  # noqa: F811
    signer = pki.signer(alice, local_tsa)
    first, second = json.loads(signer.sign(statement)), json.loads(signer.sign(statement + b" "))

    def swap(data: dict) -> None:
        data["verificationMaterial"]["timestampVerificationData"] = \
            second["verificationMaterial"]["timestampVerificationData"]

    refused(pki.verifier(tsa=local_tsa), edit(json.dumps(first), swap), "approval.timestamp",
            "Mismatch between messages")


def test_a_certificate_without_code_signing_is_refused(pki: Pki, statement: bytes) -> None:
    plain = pki.intermediate.issue_person("plain", "plain@hospital.example", "No Eku", "ecdsa",
                                          eku_code_signing=False)

    bundle = pki.signer(plain).sign(statement)

    refused(pki.verifier(), bundle, "approval.eku", "codeSigning")


def test_a_certificate_without_exactly_one_email_is_refused(pki: Pki, statement: bytes) -> None:
    san = x509.SubjectAlternativeName([x509.RFC822Name("a@hospital.example"), x509.RFC822Name("b@hospital.example")])
    eku = x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CODE_SIGNING])
    two = pki.intermediate.issue("two", x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Two")]), "ecdsa",
                                 [(san, False), (eku, False)])

    refused(pki.verifier(), pki.signer(two).sign(statement), "approval.identity", "2 e-mail addresses")


def test_a_revoked_certificate_is_refused(pki: Pki, alice: IssuedCertificate, statement: bytes) -> None:
    revoked = RevokedCertificate(certificate_sha256=alice.sha256, revoked_on=NOW.date(), reason="laptop stolen")

    bundle = pki.signer(alice).sign(statement)

    refused(pki.verifier(revoked={alice.sha256: revoked}), bundle, "approval.revoked_key",
            f"was revoked on {NOW.date().isoformat()}: laptop stolen")


def test_a_key_not_matching_the_certificate_cannot_sign(pki: Pki, alice: IssuedCertificate) -> None:
    bob = pki.intermediate.issue_person("bob", "bob@hospital.example", "Bob", "ecdsa")

    with pytest.raises(SigningKeyInvalid, match="does not match the certificate"):
        PkiSigner(bob.key_path.read_bytes(), alice.cert_path.read_bytes())


def test_an_encrypted_key_signs_only_with_its_password(pki: Pki, statement: bytes) -> None:
    locked = pki.intermediate.issue_person("locked", "locked@hospital.example", "Locked", "ecdsa", password=b"s3cret")
    key, cert = locked.key_path.read_bytes(), locked.cert_path.read_bytes()

    bundle = PkiSigner(key, cert, password=b"s3cret").sign(statement)

    assert pki.verifier().verify(bundle).identity == "locked@hospital.example"
    with pytest.raises(SigningKeyInvalid, match="cannot be read"):
        PkiSigner(key, cert, password=b"wrong")


def test_an_unreachable_tsa_fails_the_signing(alice: IssuedCertificate, statement: bytes) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    signer = PkiSigner(alice.key_path.read_bytes(), alice.cert_path.read_bytes(), tsa_url=f"http://127.0.0.1:{port}/")

    with pytest.raises(TimestampUnavailable, match="gave no timestamp"):
        signer.sign(statement)


@pytest.mark.parametrize("text, fragment", [("{not json", "not JSON"), ('{"mediaType": "x"}', "malformed")])
def test_a_bundle_that_is_not_a_bundle_is_refused(pki: Pki, text: str, fragment: str) -> None:
    refused(pki.verifier(), text, "approval.bundle", fragment)


def test_from_trust_loads_the_files_trust_yaml_names(tmp_path: Path, pki: Pki, alice: IssuedCertificate,
                                                     statement: bytes, local_tsa: LocalTSA) -> None:  # noqa: F811
    trust_dir = tmp_path / "policies" / "trust"
    trust_dir.mkdir(parents=True)
    (trust_dir / "root.pem").write_bytes(pki.root.cert_path.read_bytes())
    (trust_dir / "tsa.pem").write_bytes(local_tsa.root_path.read_bytes())
    (trust_dir / "signing-ca.pem").write_bytes(pki.intermediate.cert_path.read_bytes())
    trust = Trust.model_validate({"apiVersion": "clinigate/v1", "kind": "Trust",
                                  "pki": {"roots": ["root.pem"], "intermediates": ["signing-ca.pem"],
                                          "tsa_roots": ["tsa.pem"]}})
    verifier = PkiVerifier.from_trust(trust, tmp_path)

    verified = verifier.verify(pki.signer(alice, local_tsa).sign(statement))

    assert (verified.identity, verified.time_source) == ("alice@hospital.example", "rfc3161")
    refused(verifier, pki.signer(alice).sign(statement), "approval.no_timestamp", "pki.require_timestamp")
