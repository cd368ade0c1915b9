"""Nobody poses as the CI workflow: that identity is a fact only the keyless verifier states.

Issue 10 item 2. A certificate from the registry's own trusted CA whose e-mail SAN reads
``https://mallory@evil.example`` used to be taken for the pinned workflow (the judge looked at
how the identity was spelled) and could sign as any reviewer. Every attempt here uses real
certificates from the trusted CA, real signatures and the real CLI.
"""

from __future__ import annotations

import json

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from testing import approvals as approval_fixtures
from testing.approvals import SignedRegistry
from testing.local_sigstore import CI, EMAIL_ISSUER, LocalSigstore, local_sigstore, refused  # noqa: F401

from clinigate.approvals.approve import ActRequest, sign_act
from clinigate.approvals.backend import IdentityKind, VerifiedSignature
from clinigate.approvals.keyless import SigstoreSigner, SigstoreVerifier
from clinigate.approvals.local_ca import IssuedCertificate
from clinigate.approvals.review import ApprovalBook

# Fixtures used here by name (tests/security has no conftest of its own: several authors share it).
signed_registry = approval_fixtures.signed_registry

MALLORY = "https://mallory@evil.example"
# The workflow the example registry's trust.yaml pins (policies/trust/trust.yaml sigstore.ci).
PINNED_WORKFLOW = ("https://github.com/mercy-general/model-registry/.github/workflows/"
                   "record-approval.yml@refs/heads/main")
REQUIRED = (("smarquez", "ml_reviewer"), ("jlindqvist", "clinical_reviewer"), ("kosei", "quality"))


def issue(reg: SignedRegistry, stem: str, names: list[x509.GeneralName]) -> IssuedCertificate:
    """A code-signing certificate from the CA the registry trusts, with exactly these SAN entries."""
    usage = x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False)
    return reg.pki.ca.issue(stem, x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Mallory")]), "ecdsa", [
        (x509.SubjectAlternativeName(names), False), (usage, True),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), False)])


def sign_as_every_reviewer(reg: SignedRegistry, cert: IssuedCertificate) -> None:
    """Mallory's one certificate signs for each required role, naming the real reviewers."""
    signer = reg.pki.signer_of(cert)
    for person_id, role in REQUIRED:
        sign_act(reg.git, ActRequest(reg.version_path, role, "approved", "looks fine", signer_id=person_id),
                 signer)


def rules(reg: SignedRegistry) -> set[str | None]:
    with ApprovalBook.open(reg.git, base="main", head=reg.branch) as book:
        return {v.rule for v in book.judge(reg.version_path, rev=reg.branch)}


def assert_gate_refuses(reg: SignedRegistry, run_cli, rule: str) -> None:
    """check stays pending with every act not counted under ``rule``; verify names the same rule."""
    gate = run_cli("check", "--base", "main", "--head", reg.branch, "--format", "json", cwd=reg.repo)
    assert gate.code == 1, gate.stdout + gate.stderr
    report = json.loads(gate.stdout)
    assert report["decision"] == "pending"
    (manifest,) = [m for m in report["manifests"] if m["path"] == reg.version_path]
    assert set(manifest["missing_roles"]) == {role for _, role in REQUIRED}
    assert {(a["valid"], a["rule"]) for a in manifest["approvals"]} == {(False, rule)}
    shown = run_cli("verify", reg.version_path, "--rev", reg.branch, cwd=reg.repo)
    assert shown.code == 1, shown.stdout + shown.stderr
    assert shown.stdout.count(f"[{rule}]") == len(REQUIRED)
    for result in (gate, shown):
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr


def test_a_url_shaped_email_from_the_trusted_ca_is_never_the_ci_identity(signed_registry: SignedRegistry,
                                                                         run_cli) -> None:
    reg = signed_registry
    sign_as_every_reviewer(reg, issue(reg, "mallory", [x509.RFC822Name(MALLORY)]))
    assert rules(reg) == {"approval.identity_not_email"}
    assert_gate_refuses(reg, run_cli, "approval.identity_not_email")
    shown = run_cli("verify", reg.version_path, "--rev", reg.branch, cwd=reg.repo)
    assert MALLORY in shown.stdout and "not an e-mail address" in shown.stdout


def test_a_pki_certificate_naming_the_pinned_workflow_uri_is_refused(signed_registry: SignedRegistry,
                                                                     run_cli) -> None:
    reg = signed_registry
    sign_as_every_reviewer(reg, issue(reg, "workflow", [x509.UniformResourceIdentifier(PINNED_WORKFLOW)]))
    assert_gate_refuses(reg, run_cli, "approval.pki_uri_san")


def test_a_uri_beside_a_real_reviewer_email_is_refused_too(signed_registry: SignedRegistry) -> None:
    reg = signed_registry
    email = reg.person("jlindqvist").email
    cert = issue(reg, "both", [x509.RFC822Name(email), x509.UniformResourceIdentifier(PINNED_WORKFLOW)])
    signer = reg.pki.signer_of(cert)
    sign_act(reg.git, ActRequest(reg.version_path, "clinical_reviewer", "approved", "ok",
                                 signer_id="jlindqvist"), signer)
    assert rules(reg) == {"approval.pki_uri_san"}


def test_the_reviewer_own_certificate_still_counts(signed_registry: SignedRegistry) -> None:
    """The twin: a person's own e-mail certificate from the same CA is valid, and a person."""
    reg = signed_registry
    reg.sign("jlindqvist", "clinical_reviewer")
    with ApprovalBook.open(reg.git, base="main", head=reg.branch) as book:
        (verdict,) = book.judge(reg.version_path, rev=reg.branch)
    assert verdict.valid and verdict.signature is not None
    assert verdict.signature.identity_kind is IdentityKind.PERSON
    assert verdict.as_dict()["identity_kind"] == "person"


def test_only_a_sigstore_signature_can_carry_the_ci_fact() -> None:
    from datetime import UTC, datetime

    common = {"payload": b"{}", "identity": PINNED_WORKFLOW, "issuer": "CN=CA", "time": datetime.now(UTC),
              "time_source": "claimed", "certificate_sha256": "0" * 64}
    with pytest.raises(ValueError, match="cannot be the CI workflow identity"):
        VerifiedSignature(backend="pki", identity_kind=IdentityKind.CI_WORKFLOW, **common)  # type: ignore[arg-type]
    assert not VerifiedSignature(backend="pki", **common).ci_workflow  # type: ignore[arg-type]


# --- keyless: the same facts from the Fulcio extensions -----------------------------------------


def keyless_verifier(instance: LocalSigstore) -> SigstoreVerifier:
    return SigstoreVerifier(instance.trusted_root_json(), person_issuers=[EMAIL_ISSUER], ci=CI)


def test_keyless_pinned_workflow_is_the_ci_identity_and_a_person_is_not(local_sigstore: LocalSigstore,  # noqa: F811
                                                                        statement: bytes) -> None:
    verify = keyless_verifier(local_sigstore).verify
    config = local_sigstore.client_trust_config_json()
    ci = verify(SigstoreSigner(config, local_sigstore.mint_github_token()).sign(statement))
    assert ci.identity_kind is IdentityKind.CI_WORKFLOW and ci.ci_workflow
    person = verify(SigstoreSigner(config, local_sigstore.mint_email_token("ada@hospital.example"))
                    .sign(statement))
    assert person.identity_kind is IdentityKind.PERSON and not person.ci_workflow


def test_keyless_url_shaped_email_is_refused(local_sigstore: LocalSigstore, statement: bytes) -> None:  # noqa: F811
    token = local_sigstore.mint_email_token(MALLORY)
    bundle = SigstoreSigner(local_sigstore.client_trust_config_json(), token).sign(statement)
    error = refused(keyless_verifier(local_sigstore), bundle)
    assert error.rule == "approval.identity_not_email" and MALLORY in error.message
