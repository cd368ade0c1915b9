"""Keyless approvals end to end: the unmodified sigstore Signer/Verifier against a private instance.

Every positive case has a negative twin that must fail for its own reason (rule and message).
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from testing.local_sigstore import (  # noqa: F401 - fixtures
    CI,
    EMAIL_ISSUER,
    GITHUB_ISSUER,
    LocalSigstore,
    inclusion_path,
    local_sigstore,
    merkle_root,
    other_sigstore,
    refused,
)

from clinigate.approvals.keyless import KeylessSigningFailed, SigstoreSigner, SigstoreVerifier
from clinigate.manifest.trust import RevokedCertificate, Trust


def sign(instance: LocalSigstore, token: str, statement: bytes) -> str:
    return SigstoreSigner(instance.client_trust_config_json(), token).sign(statement)


def verifier(instance: LocalSigstore, **kwargs: object) -> SigstoreVerifier:
    options: dict[str, object] = {"person_issuers": [EMAIL_ISSUER], "ci": CI, **kwargs}
    return SigstoreVerifier(instance.trusted_root_json(), **options)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def ci_bundle(local_sigstore: LocalSigstore, statement: bytes) -> str:  # noqa: F811
    return sign(local_sigstore, local_sigstore.mint_github_token(), statement)


# --- positive paths ---------------------------------------------------------------------------


def test_ci_signature_round_trips_through_json(local_sigstore: LocalSigstore, statement: bytes,  # noqa: F811
                                               ci_bundle: str) -> None:
    before = datetime.now(UTC) - timedelta(minutes=1)
    verified = verifier(local_sigstore).verify(ci_bundle)
    assert verified.payload == statement
    assert verified.backend == "sigstore"
    assert verified.identity == CI.san
    assert verified.issuer == GITHUB_ISSUER
    assert verified.time_source == "rekor" and verified.time_trusted
    assert before <= verified.time <= datetime.now(UTC)
    assert verified.details["run_url"] == "https://github.com/acme/clinical-models/actions/runs/4242/attempts/1"
    assert verified.details["source_commit"] == "a" * 40
    assert verified.details["ref"] == "refs/heads/main"
    assert verified.details["trigger"] == "workflow_dispatch"


def test_person_signature_verifies_with_accepted_issuer(local_sigstore: LocalSigstore,  # noqa: F811
                                                        statement: bytes) -> None:
    bundle = sign(local_sigstore, local_sigstore.mint_email_token("ada.lee@hospital.example"), statement)
    verified = verifier(local_sigstore).verify(bundle)
    assert (verified.identity, verified.issuer) == ("ada.lee@hospital.example", EMAIL_ISSUER)
    assert verified.payload == statement and verified.details == {}


def test_handles_only_logged_bundles(local_sigstore: LocalSigstore, ci_bundle: str) -> None:  # noqa: F811
    raw = json.loads(ci_bundle)
    assert verifier(local_sigstore).handles(raw)
    raw["verificationMaterial"]["tlogEntries"] = []
    assert not verifier(local_sigstore).handles(raw)
    assert not verifier(local_sigstore).handles({"mediaType": "x"})


def test_from_trust_reads_the_vendored_root(tmp_path: Path, local_sigstore: LocalSigstore,  # noqa: F811
                                            ci_bundle: str) -> None:
    trust_dir = tmp_path / "policies" / "trust"
    trust_dir.mkdir(parents=True)
    (trust_dir / "trusted_root.json").write_text(local_sigstore.trusted_root_json())
    trust = Trust.model_validate({"apiVersion": "clinigate/v1", "kind": "Trust", "sigstore": {
        "trusted_root": "trusted_root.json", "ci": CI.model_dump()}})
    assert SigstoreVerifier.from_trust(trust, tmp_path).verify(ci_bundle).identity == CI.san


def test_seven_entry_log_gives_real_inclusion_proofs(local_sigstore: LocalSigstore,  # noqa: F811
                                                     statement: bytes) -> None:
    token = local_sigstore.mint_github_token()
    bundles = [sign(local_sigstore, token, statement) for _ in range(7)]
    check = verifier(local_sigstore)
    for bundle in bundles:
        assert check.verify(bundle).payload == statement
    proofs = [json.loads(b)["verificationMaterial"]["tlogEntries"][0]["inclusionProof"] for b in bundles]
    sizes = [int(p["treeSize"]) for p in proofs]
    assert sizes == sorted(sizes) and sizes[-1] >= 7
    assert max(len(p["hashes"]) for p in proofs) >= 2
    # A proof checked against a later tree head is refused: the path really depends on the tree.
    tampered = json.loads(bundles[0])
    tampered["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["hashes"].reverse()
    if len(tampered["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["hashes"]) > 1:
        error = refused(check, json.dumps(tampered))
        assert error.rule == "approval.untrusted_root" and "inclusion proof" in error.message


def test_no_rekor_time_and_no_tsa_token_is_not_a_bundle(local_sigstore: LocalSigstore,  # noqa: F811
                                                        ci_bundle: str) -> None:
    # The shared instance has no TSA; without the SET nothing times the signature.
    raw = json.loads(ci_bundle)
    assert not raw["verificationMaterial"].get("timestampVerificationData", {}).get("rfc3161Timestamps")
    entry = raw["verificationMaterial"]["tlogEntries"][0]
    del entry["inclusionPromise"], entry["integratedTime"]
    error = refused(verifier(local_sigstore), json.dumps(raw))
    assert error.rule == "approval.bundle" and "inclusion promise or signed timestamp" in error.message


def test_merkle_helpers_follow_rfc6962() -> None:
    leaves = [bytes([i]) * 32 for i in range(7)]
    assert len(inclusion_path(6, leaves)) == 2 and len(inclusion_path(0, leaves)) == 3
    assert merkle_root(leaves[:1]) == leaves[0]


# --- negative twins ---------------------------------------------------------------------------


def test_person_issuer_not_accepted(local_sigstore: LocalSigstore, statement: bytes) -> None:  # noqa: F811
    token = local_sigstore.mint_email_token("mallory@hospital.example", issuer="https://idp.elsewhere.example")
    error = refused(verifier(local_sigstore), sign(local_sigstore, token, statement))
    assert error.rule == "approval.identity"
    assert "https://idp.elsewhere.example" in error.message and "person_issuers" in error.message


@pytest.mark.parametrize(("claims", "rule", "fragment"), [
    ({"workflow": ".github/workflows/other.yml"}, "approval.ci_workflow", "other.yml"),
    ({"ref": "refs/heads/feature"}, "approval.ci_ref", "refs/heads/feature"),
    ({"event_name": "pull_request_target"}, "approval.ci_trigger", "pull_request_target"),
    ({"repository_id": "999"}, "approval.ci_repository", "source repository id is '999'"),
    ({"owner_id": "777"}, "approval.ci_repository", "repository owner id is '777'"),
    ({"runner_environment": "self-hosted"}, "approval.ci_runner", "self-hosted"),
])
def test_ci_pin_mismatch(local_sigstore: LocalSigstore, statement: bytes, claims: dict[str, str],  # noqa: F811
                         rule: str, fragment: str) -> None:
    bundle = sign(local_sigstore, local_sigstore.mint_github_token(**claims), statement)
    error = refused(verifier(local_sigstore), bundle)
    assert (error.rule, fragment in error.message) == (rule, True), error.message


def test_ci_signature_without_pinned_ci_is_refused(local_sigstore: LocalSigstore,  # noqa: F811
                                                   ci_bundle: str) -> None:
    error = refused(verifier(local_sigstore, ci=None), ci_bundle)
    assert error.rule == "approval.identity" and "pins no CI identity" in error.message


def test_tampered_payload(local_sigstore: LocalSigstore, ci_bundle: str) -> None:  # noqa: F811
    raw = json.loads(ci_bundle)
    envelope = raw["dsseEnvelope"]
    payload = base64.b64decode(envelope["payload"]).replace(b"approved", b"rejected")
    envelope["payload"] = base64.b64encode(payload).decode()
    error = refused(verifier(local_sigstore), json.dumps(raw))
    assert error.rule == "approval.signature" and "DSSE: invalid signature" in error.message


def test_bundle_from_foreign_instance(local_sigstore: LocalSigstore, other_sigstore: LocalSigstore,  # noqa: F811
                                      statement: bytes) -> None:
    foreign = sign(other_sigstore, other_sigstore.mint_github_token(), statement)
    assert verifier(other_sigstore).verify(foreign).identity == CI.san  # valid where it came from
    error = refused(verifier(local_sigstore), foreign)
    assert error.rule == "approval.untrusted_root" and "configured Sigstore root" in error.message


def test_public_good_root_refuses_local_bundle_offline(ci_bundle: str) -> None:
    # The shipped public-good root, read offline (isolated XDG cache, no network allowed).
    error = refused(SigstoreVerifier("public-good", ci=CI), ci_bundle)
    assert error.rule == "approval.untrusted_root"


def test_token_from_another_issuer_cannot_get_a_certificate(local_sigstore: LocalSigstore,  # noqa: F811
                                                             other_sigstore: LocalSigstore,  # noqa: F811
                                                             statement: bytes) -> None:
    with pytest.raises(KeylessSigningFailed, match="Sigstore keyless signing failed"):
        sign(local_sigstore, other_sigstore.mint_github_token(), statement)


def test_revoked_leaf(local_sigstore: LocalSigstore, ci_bundle: str) -> None:  # noqa: F811
    fingerprint = verifier(local_sigstore).verify(ci_bundle).certificate_sha256
    revoked = {fingerprint: RevokedCertificate(certificate_sha256=fingerprint, revoked_on=date(2026, 1, 6),
                                               reason="runner compromised")}
    error = refused(verifier(local_sigstore, revoked=revoked), ci_bundle)
    assert error.rule == "approval.revoked_key" and "runner compromised" in error.message


@pytest.mark.parametrize("text", ["not json", "{}", '{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}'])
def test_unparseable_bundle(local_sigstore: LocalSigstore, text: str) -> None:  # noqa: F811
    assert refused(verifier(local_sigstore), text).rule == "approval.bundle"


def test_import_does_not_load_sigstore() -> None:
    code = ("import sys, clinigate.approvals.keyless; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in {'sigstore', 'sigstore_models'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
