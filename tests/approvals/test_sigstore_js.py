"""Approval bundles verified by stock sigstore-js, without clinigate: what an auditor runs.

PKI bundles in the form clinigate writes from now on (v0.3: the reviewer's leaf certificate alone,
no tlog entry, one RFC 3161 token over the DSSE signature) against the trusted root that
``clinigate.approvals.trusted_root.pki_trusted_root`` builds; keyless bundles of the private test
Sigstore against its own trusted root. Each positive case has a negative twin. The shape tests
record what sigstore-js requires of a trusted root (the module docstring of trusted_root.py).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sigstore_models.bundle.v1 import Bundle, TimestampVerificationData, VerificationMaterial
from sigstore_models.common.v1 import RFC3161SignedTimestamp, X509Certificate
from sigstore_models.intoto import Envelope, Signature
from testing.local_sigstore import (
    CI,
    EMAIL_ISSUER,
    GITHUB_ISSUER,
    LocalSigstore,
    local_sigstore,  # noqa: F401 - fixture
)
from testing.local_tsa import LocalTSA, local_tsa  # noqa: F401 - fixture
from testing.sigstore_js import SigstoreJs, script_path, sigstore_js  # noqa: F401 - fixture

from clinigate.approvals.attestation import PAYLOAD_TYPE
from clinigate.approvals.keyless import SigstoreSigner
from clinigate.approvals.local_ca import IssuedCertificate, KeyType, LocalCA
from clinigate.approvals.pki import BUNDLE_MEDIA_TYPE, pae
from clinigate.approvals.pki_sign import sign_raw as _sign_raw
from clinigate.approvals.timestamp import request_timestamp
from clinigate.approvals.trusted_root import pki_trusted_root

PKI_THRESHOLDS = ("--tlog-threshold", "0", "--ctlog-threshold", "0", "--tsa-threshold", "1")
ALICE = "alice.martin@hospital.example"
BOB = "bob.osei@hospital.example"


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data)


def _der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def pki_bundle(issued: IssuedCertificate, statement: bytes, tsa_url: str | None) -> str:
    """A v0.3 PKI approval bundle: leaf certificate only, no tlog entry, an RFC 3161 token if ``tsa_url``."""
    key = serialization.load_pem_private_key(issued.key_path.read_bytes(), password=None)
    signature = _sign_raw(key, pae(PAYLOAD_TYPE, statement))  # type: ignore[arg-type]
    stamps = None
    if tsa_url is not None:
        token = request_timestamp(tsa_url, signature)
        stamps = TimestampVerificationData(rfc3161_timestamps=[RFC3161SignedTimestamp(signed_timestamp=_b64(token))])
    material = VerificationMaterial(certificate=X509Certificate(raw_bytes=_b64(_der(issued.certificate))),
                                    tlog_entries=[], timestamp_verification_data=stamps)
    envelope = Envelope(payload=_b64(statement), payload_type=PAYLOAD_TYPE,
                        signatures=[Signature(sig=_b64(signature), keyid="")])
    return Bundle(media_type=BUNDLE_MEDIA_TYPE, verification_material=material, dsse_envelope=envelope).to_json()


def tampered(bundle_json: str) -> str:
    raw = json.loads(bundle_json)
    payload = base64.b64decode(raw["dsseEnvelope"]["payload"]).replace(b'"approved"', b'"rejected"')
    raw["dsseEnvelope"]["payload"] = base64.b64encode(payload).decode()
    return json.dumps(raw)


def tsa_certificate(tsa: LocalTSA) -> x509.Certificate:
    """The TSA's own signing certificate, which local_tsa.py writes beside its root."""
    return x509.load_pem_x509_certificate((tsa.root_path.parent / "tsa.cert.pem").read_bytes())


@dataclass(frozen=True)
class Hospital:
    root: LocalCA
    issuing: LocalCA  # an intermediate under root
    tsa: LocalTSA

    def trusted_root(self, *, intermediate: bool = True) -> dict[str, Any]:
        return pki_trusted_root(roots=[self.root.certificate],
                                intermediates=[self.issuing.certificate] if intermediate else [],
                                tsa_roots=[self.tsa.root], tsa_certificates=[tsa_certificate(self.tsa)])


@pytest.fixture(scope="module")
def hospital(tmp_path_factory: pytest.TempPathFactory, local_tsa: LocalTSA) -> Hospital:  # noqa: F811
    root = LocalCA.create(tmp_path_factory.mktemp("hospital-ca"), "Clinigate Test Hospital Root CA")
    return Hospital(root, root.issue_intermediate("Clinigate Test Hospital Issuing CA"), local_tsa)


@pytest.fixture(scope="module")
def alice(hospital: Hospital) -> IssuedCertificate:
    """A reviewer certificate straight from the root (LocalCA's default key: ECDSA P-256)."""
    return hospital.root.issue_person("alice", ALICE, "Alice Martin")


@pytest.fixture(scope="module")
def alice_bundle(alice: IssuedCertificate, statement: bytes, hospital: Hospital) -> str:
    return pki_bundle(alice, statement, hospital.tsa.url)


def ok(result: Any, bundle_path_dir: Path, san: str) -> None:
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"OK {bundle_path_dir / 'approval.sigstore.json'} {san}\n"


def refused(result: Any, fragment: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stdout == "" and fragment in result.stderr, result.stderr


# --- PKI bundles ------------------------------------------------------------------------------


def test_the_bundle_is_in_the_new_form(alice_bundle: str) -> None:
    material = json.loads(alice_bundle)["verificationMaterial"]
    assert set(material) == {"certificate", "tlogEntries", "timestampVerificationData"}
    assert material["tlogEntries"] == [] and len(material["timestampVerificationData"]["rfc3161Timestamps"]) == 1


def test_pki_bundle_verifies(sigstore_js: SigstoreJs, hospital: Hospital, alice_bundle: str,  # noqa: F811
                             tmp_path: Path) -> None:
    ok(sigstore_js.verify(tmp_path, hospital.trusted_root(), alice_bundle, ALICE, *PKI_THRESHOLDS), tmp_path, ALICE)


def test_tampered_payload_is_refused(sigstore_js: SigstoreJs, hospital: Hospital,  # noqa: F811
                                     alice_bundle: str, tmp_path: Path) -> None:
    result = sigstore_js.verify(tmp_path, hospital.trusted_root(), tampered(alice_bundle), ALICE, *PKI_THRESHOLDS)
    refused(result, "SIGNATURE_ERROR")


@pytest.mark.parametrize("san", [BOB, ALICE[:-1], "alice.martin@hospital.example.org", "^.*$"])
def test_another_san_is_refused(sigstore_js: SigstoreJs, hospital: Hospital, alice_bundle: str,  # noqa: F811
                                tmp_path: Path, san: str) -> None:
    # sigstore-js matches the SAN as an unanchored regular expression; the script makes it exact.
    refused(sigstore_js.verify(tmp_path, hospital.trusted_root(), alice_bundle, san, *PKI_THRESHOLDS),
            "UNTRUSTED_SIGNER_ERROR")


def test_bundle_without_timestamp_is_refused(sigstore_js: SigstoreJs, hospital: Hospital,  # noqa: F811
                                             alice: IssuedCertificate, statement: bytes, tmp_path: Path) -> None:
    bundle = pki_bundle(alice, statement, tsa_url=None)
    refused(sigstore_js.verify(tmp_path, hospital.trusted_root(), bundle, ALICE, *PKI_THRESHOLDS),
            "expected 1 timestamps, got 0")
    # Even with no threshold sigstore-js has no time to check the chain at (it never uses "now").
    result = sigstore_js.verify(tmp_path, hospital.trusted_root(), bundle, ALICE, "--tlog-threshold", "0",
                                "--ctlog-threshold", "0", "--tsa-threshold", "0")
    assert result.returncode == 1, result.stdout


def test_chain_through_an_intermediate(sigstore_js: SigstoreJs, hospital: Hospital,  # noqa: F811
                                       statement: bytes, tmp_path: Path) -> None:
    bob = hospital.issuing.issue_person("bob", BOB, "Bob Osei")
    bundle = pki_bundle(bob, statement, hospital.tsa.url)
    ok(sigstore_js.verify(tmp_path, hospital.trusted_root(), bundle, BOB, *PKI_THRESHOLDS), tmp_path, BOB)
    # The twin: the trusted root without the intermediate (the bundle carries only the leaf).
    refused(sigstore_js.verify(tmp_path, hospital.trusted_root(intermediate=False), bundle, BOB, *PKI_THRESHOLDS),
            "no valid certificate path found")


@pytest.mark.parametrize("key_type", ["ecdsa", "ed25519"])
def test_key_algorithms_sigstore_js_verifies(sigstore_js: SigstoreJs, hospital: Hospital,  # noqa: F811
                                             statement: bytes, tmp_path: Path, key_type: KeyType) -> None:
    # Measured with @sigstore/verify 3.1.1: ECDSA P-256/SHA-256 and Ed25519 verify. It verifies DSSE
    # signatures with Node's default digest and padding (SHA-256, RSA PKCS#1 v1.5), so clinigate's
    # P-384/SHA-384 and RSA-PSS signatures do not (not asserted here: that is sigstore-js's to change).
    email = f"{key_type}@hospital.example"
    signer = hospital.root.issue_person(f"alg-{key_type}", email, f"Reviewer {key_type}", key_type)
    result = sigstore_js.verify(tmp_path, hospital.trusted_root(), pki_bundle(signer, statement, hospital.tsa.url),
                                email, *PKI_THRESHOLDS)
    ok(result, tmp_path, email)


def _authority(chain: list[x509.Certificate]) -> dict[str, Any]:
    return {"subject": {"organization": "", "commonName": "hand-built"},
            "certChain": {"certificates": [{"rawBytes": base64.b64encode(_der(c)).decode()} for c in chain]},
            "validFor": {"start": "2020-01-01T00:00:00Z"}}


def _root(cas: list[list[x509.Certificate]], tsas: list[list[x509.Certificate]]) -> dict[str, Any]:
    return {"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1", "tlogs": [], "ctlogs": [],
            "certificateAuthorities": [_authority(c) for c in cas],
            "timestampAuthorities": [_authority(t) for t in tsas]}


@pytest.mark.parametrize(("shape", "verifies"), [
    ("ca [issuing, root]", True),
    ("ca [root, issuing]", True),        # the order inside an entry does not matter
    ("ca [issuing], [root]", False),     # one entry must hold the whole chain
    ("ca [issuing]", False),             # ... up to the self-signed root
    ("tsa [root]", False),               # the TSA's signing certificate must be listed
    ("tsa [root, tsa]", False),          # ... first
    ("tsa [tsa]", False),                # ... followed by its CA(s)
])
def test_trusted_root_shapes(sigstore_js: SigstoreJs, hospital: Hospital, statement: bytes,  # noqa: F811
                             tmp_path: Path, shape: str, verifies: bool) -> None:
    """What sigstore-js requires of a trusted root, recorded by hand-built roots (a leaf under the intermediate)."""
    issuing, root = hospital.issuing.certificate, hospital.root.certificate
    tsa, tsa_root = tsa_certificate(hospital.tsa), hospital.tsa.root
    cas = {"ca [issuing, root]": [[issuing, root]], "ca [root, issuing]": [[root, issuing]],
           "ca [issuing], [root]": [[issuing], [root]], "ca [issuing]": [[issuing]]}.get(shape, [[issuing, root]])
    tsas = {"tsa [root]": [[tsa_root]], "tsa [root, tsa]": [[tsa_root, tsa]], "tsa [tsa]": [[tsa]]}.get(
        shape, [[tsa, tsa_root]])
    signer = hospital.issuing.issue_person("shape", "shape@hospital.example", "Shape Reviewer")
    result = sigstore_js.verify(tmp_path, _root(cas, tsas), pki_bundle(signer, statement, hospital.tsa.url),
                                "shape@hospital.example", *PKI_THRESHOLDS)
    assert (result.returncode == 0) == verifies, result.stderr


# --- keyless bundles of the private test Sigstore ----------------------------------------------


def test_keyless_person_bundle_verifies(sigstore_js: SigstoreJs, local_sigstore: LocalSigstore,  # noqa: F811
                                        statement: bytes, tmp_path: Path) -> None:
    email = "ada.lee@hospital.example"
    bundle = SigstoreSigner(local_sigstore.client_trust_config_json(), local_sigstore.mint_email_token(email)).sign(statement)
    root = local_sigstore.trusted_root()
    ok(sigstore_js.verify(tmp_path, root, bundle, email, "--issuer", EMAIL_ISSUER), tmp_path, email)
    refused(sigstore_js.verify(tmp_path, root, tampered(bundle), email, "--issuer", EMAIL_ISSUER),
            "DSSE payload hash mismatch")
    refused(sigstore_js.verify(tmp_path, root, bundle, email, "--issuer", GITHUB_ISSUER), "UNTRUSTED_SIGNER_ERROR")


def test_keyless_ci_bundle_verifies(sigstore_js: SigstoreJs, local_sigstore: LocalSigstore,  # noqa: F811
                                    statement: bytes, tmp_path: Path) -> None:
    bundle = SigstoreSigner(local_sigstore.client_trust_config_json(), local_sigstore.mint_github_token()).sign(statement)
    root = local_sigstore.trusted_root()
    ok(sigstore_js.verify(tmp_path, root, bundle, CI.san, "--issuer", GITHUB_ISSUER), tmp_path, CI.san)
    refused(sigstore_js.verify(tmp_path, root, tampered(bundle), CI.san, "--issuer", GITHUB_ISSUER),
            "DSSE payload hash mismatch")


def test_keyless_bundle_with_a_merged_trusted_root(sigstore_js: SigstoreJs, local_sigstore: LocalSigstore,  # noqa: F811
                                                   hospital: Hospital, alice_bundle: str, statement: bytes,
                                                   tmp_path: Path) -> None:
    """One trusted root for both kinds: the private Sigstore's, with the hospital CA and TSA merged in."""
    email = "ada.lee@hospital.example"
    keyless = SigstoreSigner(local_sigstore.client_trust_config_json(), local_sigstore.mint_email_token(email)).sign(statement)
    merged = pki_trusted_root(roots=[hospital.root.certificate], intermediates=[hospital.issuing.certificate],
                              tsa_roots=[hospital.tsa.root], tsa_certificates=[tsa_certificate(hospital.tsa)],
                              base=local_sigstore.trusted_root())
    ok(sigstore_js.verify(tmp_path / "keyless", merged, keyless, email, "--issuer", EMAIL_ISSUER),
       tmp_path / "keyless", email)
    ok(sigstore_js.verify(tmp_path / "pki", merged, alice_bundle, ALICE, *PKI_THRESHOLDS), tmp_path / "pki", ALICE)


def test_the_checkpoint_names_the_tlog_base_url(local_sigstore: LocalSigstore, statement: bytes) -> None:  # noqa: F811
    """What sigstore-js matches: the note's signer name against the trusted root's tlog baseUrl."""
    bundle = json.loads(SigstoreSigner(local_sigstore.client_trust_config_json(), local_sigstore.mint_github_token()).sign(statement))
    note = bundle["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]["envelope"]
    signer_name = note.split("\n\n", 1)[1].split()[1]
    (tlog,) = local_sigstore.trusted_root()["tlogs"]
    assert tlog["baseUrl"] == f"http://{signer_name}" and note.startswith(f"{signer_name} - ")


def test_usage_errors_exit_2(sigstore_js: SigstoreJs, tmp_path: Path) -> None:  # noqa: F811
    assert sigstore_js(["--bundle", "x.json"]).returncode == 2
    assert sigstore_js(["--trusted-root", "r", "--bundle", "b", "--san", "s", "--surprise"]).returncode == 2
    assert sigstore_js(["--trusted-root", "r", "--bundle", "b", "--san", "s", "--tsa-threshold", "x"]).returncode == 2
    missing = sigstore_js(["--trusted-root", str(tmp_path / "none.json"), "--bundle", "b", "--san", "s"])
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def _run_copy(sigstore_js: SigstoreJs, script: Path, cwd: Path, *args: str) -> Any:  # noqa: F811
    env = {k: v for k, v in os.environ.items() if k != "NODE_PATH"}
    return subprocess.run([sigstore_js.node, str(script), *args], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=60, check=False)


def test_an_exported_copy_finds_sigstore_js_beside_it_or_in_the_cwd(
        sigstore_js: SigstoreJs, hospital: Hospital, alice_bundle: str, tmp_path: Path) -> None:  # noqa: F811
    """As an export ships it: the script alone in a folder, no NODE_PATH."""
    sigstore_js.verify(tmp_path / "files", hospital.trusted_root(), alice_bundle, ALICE)  # writes the files
    args = ("--trusted-root", str(tmp_path / "files/trusted_root.json"), "--bundle",
            str(tmp_path / "files/approval.sigstore.json"), "--san", ALICE, *PKI_THRESHOLDS)
    export = tmp_path / "export"
    export.mkdir()
    script = Path(shutil.copy(script_path(), export))
    lost = _run_copy(sigstore_js, script, tmp_path, *args)
    assert lost.returncode == 2 and "@sigstore/verify not found" in lost.stderr
    assert _run_copy(sigstore_js, script, sigstore_js.node_modules.parent, *args).returncode == 0  # the cwd's
    (export / "node_modules").symlink_to(sigstore_js.node_modules, target_is_directory=True)
    beside = _run_copy(sigstore_js, script, tmp_path, *args)
    assert beside.returncode == 0 and beside.stdout.startswith("OK "), beside.stderr
