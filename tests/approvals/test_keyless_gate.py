"""Keyless approvals through the whole flow: approve → ledger → verify → check.

The registry's trust.yaml (on main) trusts a private Sigstore instance started on loopback;
the unmodified sigstore Signer and Verifier run end to end.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from testing.approvals import SignedRegistry
from testing.keyless import keyless_repo
from testing.local_sigstore import EMAIL_ISSUER, LocalSigstore, local_sigstore  # noqa: F401

from clinigate.approvals.approve import ActRequest, SignedAct, sign_act
from clinigate.approvals.attestation import GitHubReview
from clinigate.approvals.keyless import SigstoreSigner
from clinigate.approvals.review import ApprovalBook
from clinigate.gate.check import run_check


@pytest.fixture
def keyless_registry(tmp_path: Path, local_sigstore: LocalSigstore) -> Iterator[SignedRegistry]:  # noqa: F811
    with keyless_repo(tmp_path, local_sigstore) as (reg, _):
        yield reg


def sign_keyless(reg: SignedRegistry, instance: LocalSigstore, token: str, signer_id: str,
                 role: str) -> SignedAct:
    signer = SigstoreSigner(instance.client_trust_config_json(), token)
    # A CI-signed act names the review it records (approval.ci_without_review otherwise).
    review = (GitHubReview(reviewer_login=reg.person_by_github(signer_id[7:]).github,
                           reviewer_id=reg.person_by_github(signer_id[7:]).github_id or 1, review_id=77)
              if signer_id.startswith("github:") else None)
    return sign_act(reg.git, ActRequest(reg.version_path, role, "approved", "reviewed", signer_id=signer_id,
                                        review=review), signer)


def test_personal_keyless_approvals_pass_the_gate(keyless_registry: SignedRegistry,
                                                  local_sigstore: LocalSigstore) -> None:  # noqa: F811
    reg, sigstore = keyless_registry, local_sigstore
    for person_id, role in (("smarquez", "ml_reviewer"), ("jlindqvist", "clinical_reviewer"), ("dwhitfield", "quality")):
        token = sigstore.mint_email_token(reg.person(person_id).email)
        sign_keyless(reg, sigstore, token, person_id, role)
    report = run_check(reg.repo, base="main", head=reg.branch)
    assert report.decision == "pass", [m.to_dict() for m in report.manifests]
    with ApprovalBook.open(reg.git, base="main") as book:
        rows = [v.as_dict() for v in book.judge(reg.version_path, rev=reg.branch)]
    assert {r["time_source"] for r in rows} == {"rekor"} and all(r["time_trusted"] for r in rows)
    assert {r["identity"] for r in rows} == {reg.person(p).email for p in ("smarquez", "jlindqvist", "dwhitfield")}


def test_a_keyless_identity_that_is_not_the_named_signer_is_refused(
        keyless_registry: SignedRegistry, local_sigstore: LocalSigstore) -> None:  # noqa: F811
    reg, sigstore = keyless_registry, local_sigstore
    token = sigstore.mint_email_token(reg.person("rbaptiste").email)  # Baptiste signs as Lindqvist
    sign_keyless(reg, sigstore, token, "jlindqvist", "clinical_reviewer")
    with ApprovalBook.open(reg.git, base="main") as book:
        (verdict,) = book.judge(reg.version_path, rev=reg.branch)
    assert verdict.rule == "approval.identity_mismatch"


@pytest.mark.parametrize(("claims", "rule"), [
    ({}, None),
    ({"ref": "refs/heads/feature"}, "approval.ci_ref"),
    ({"event_name": "pull_request_target"}, "approval.ci_trigger"),
    ({"workflow": ".github/workflows/other.yml"}, "approval.ci_workflow"),
])
def test_ci_workflow_approvals_are_pinned_to_the_recording_workflow(
        keyless_registry: SignedRegistry, local_sigstore: LocalSigstore,  # noqa: F811
        claims: dict[str, str], rule: str | None) -> None:
    reg, sigstore = keyless_registry, local_sigstore
    token = sigstore.mint_github_token(**claims)
    sign_keyless(reg, sigstore, token, "github:jlindqvist-md", "clinical_reviewer")
    with ApprovalBook.open(reg.git, base="main") as book:
        (verdict,) = book.judge(reg.version_path, rev=reg.branch)
    assert verdict.rule == rule, verdict.problem
    if rule is None:
        assert verdict.signature is not None and verdict.signature.details.get("run_url")


def test_cli_approve_with_sigstore(keyless_registry: SignedRegistry, local_sigstore: LocalSigstore,  # noqa: F811
                                   run_cli, tmp_path: Path) -> None:
    reg, sigstore = keyless_registry, local_sigstore
    config = tmp_path / "trust-config.json"
    config.write_text(sigstore.client_trust_config_json())
    token = sigstore.mint_email_token(reg.person("jlindqvist").email)
    result = run_cli("approve", reg.version_path, "--role", "clinical_reviewer", "--decision", "approved",
                     "--reason", "ok", "--sigstore", "--trust-config", str(config), "--identity-token", token,
                     "--as", "jlindqvist", cwd=reg.repo)
    assert result.code == 0, result.stderr
    shown = json.loads(run_cli("verify", reg.version_path, "--rev", reg.branch, "--format", "json",
                               cwd=reg.repo).stdout)
    (row,) = shown["documents"][0]["approvals"]
    assert row["valid"] and row["backend"] == "sigstore" and row["time_source"] == "rekor"
