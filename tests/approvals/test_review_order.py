"""The order of reviews (regulatory.md §7 B-17, 21 CFR 11.10(f)), end to end with real signatures.

sepsis-ews's PCCP reviews technical → clinical → quality/regulatory; its data update needs
ml_reviewer, clinical_reviewer and quality. An approval signed before every required role of an
earlier stage approved does not count, by the approvals' trusted times (the Sigstore log's, a
TSA's) or, where trust.yaml accepts untrusted times, the times their signers claim.
Times are set, not slept for: the claimed ``signed_at`` of an act, or the local Rekor's clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from testing.approvals import SignedRegistry
from testing.keyless import keyless_repo
from testing.local_sigstore import LocalSigstore, local_sigstore  # noqa: F401
from testing.local_tsa import local_tsa  # noqa: F401

from clinigate.approvals.approve import ActRequest, sign_act
from clinigate.approvals.keyless import SigstoreSigner
from clinigate.gate.check import run_check

PEOPLE = {"ml_reviewer": "smarquez", "clinical_reviewer": "jlindqvist", "quality": "kosei"}


def judged(reg: SignedRegistry) -> tuple[str, dict]:
    report = run_check(reg.repo, base="main", head=reg.branch)
    (manifest,) = [m for m in report.manifests if m.path == reg.version_path]
    return report.decision, manifest.to_dict()


def sign_all_at(reg: SignedRegistry, times: dict[str, str]) -> None:
    for role, signed_at in times.items():
        reg.sign_at(PEOPLE[role], role, signed_at)


def test_with_a_tsa_approvals_signed_in_order_pass(signed_registry: SignedRegistry) -> None:
    reg = signed_registry
    acts = reg.approve_in_order()
    decision, manifest = judged(reg)
    assert decision == "pass", manifest
    orders = {a["role"]: a["order"] for a in manifest["approvals"]}
    assert orders["ml_reviewer"] <= orders["clinical_reviewer"] <= orders["quality"]
    assert len(acts) == 3 and all(a["meaning"] == "approval" and a["valid"] for a in manifest["approvals"])


def test_with_a_tsa_a_backdated_claim_does_not_reorder(signed_registry: SignedRegistry) -> None:
    reg = signed_registry  # trust.yaml requires a TSA: the claimed signed_at is only shown
    reg.approve_in_order(("ml_reviewer", "clinical_reviewer"))
    reg.sign_at("kosei", "quality", "2020-01-01T00:00:00Z")  # claims to precede both; the TSA says it follows
    decision, manifest = judged(reg)
    assert decision == "pass", manifest


def test_approvals_at_one_time_share_a_rank_and_count(untimed_registry: SignedRegistry) -> None:
    reg = untimed_registry
    sign_all_at(reg, dict.fromkeys(PEOPLE, "2026-03-02T09:00:00Z"))
    decision, manifest = judged(reg)
    assert decision == "pass", manifest
    assert {a["order"] for a in manifest["approvals"]} == {1}


def test_an_approval_before_the_earlier_stage_does_not_count(untimed_registry: SignedRegistry) -> None:
    reg = untimed_registry  # trust.yaml accepts claimed times: these are the times ordered by
    sign_all_at(reg, {"quality": "2026-03-02T09:00:00Z", "ml_reviewer": "2026-03-02T10:00:00Z",
                      "clinical_reviewer": "2026-03-02T11:00:00Z"})
    decision, manifest = judged(reg)
    assert decision == "pending" and manifest["missing_roles"] == ["quality"]
    (early,) = [a for a in manifest["approvals"] if a["role"] == "quality"]
    assert (early["valid"], early["rule"]) == (False, "approvals.out_of_order")
    assert "Kwame Osei's quality approval was signed before the technical stage (ml_reviewer)" in early["problem"]
    (warning,) = [f for f in manifest["findings"] if f["rule"] == "approvals.out_of_order"]
    assert warning["severity"] == "warning" and "technical → clinical → quality_regulatory" in warning["message"]

    reg.sign_at("kosei", "quality", "2026-03-02T12:00:00Z")  # signed again, after both stages
    decision, manifest = judged(reg)
    assert decision == "pass", manifest
    assert not [f for f in manifest["findings"] if f["rule"] == "approvals.out_of_order"]


def test_the_same_approvals_in_order_pass(untimed_registry: SignedRegistry) -> None:
    reg = untimed_registry
    sign_all_at(reg, {"ml_reviewer": "2026-03-02T09:00:00Z", "clinical_reviewer": "2026-03-02T10:00:00Z",
                      "quality": "2026-03-02T11:00:00Z"})
    decision, manifest = judged(reg)
    assert decision == "pass", manifest
    assert [a["order"] for a in sorted(manifest["approvals"], key=lambda a: a["order"])] == [1, 2, 3]


def test_a_clinical_approval_signed_too_early_opens_no_quality_stage(untimed_registry: SignedRegistry) -> None:
    reg = untimed_registry
    sign_all_at(reg, {"clinical_reviewer": "2026-03-02T09:00:00Z", "ml_reviewer": "2026-03-02T10:00:00Z",
                      "quality": "2026-03-02T11:00:00Z"})
    reg.sign_at("jlindqvist", "clinical_reviewer", "2026-03-02T12:00:00Z")
    decision, manifest = judged(reg)
    # Quality signed before the clinical approval that counts: it must sign again.
    assert decision == "pending" and manifest["missing_roles"] == ["quality"]


def test_revoking_the_technical_approval_reopens_the_order(untimed_registry: SignedRegistry) -> None:
    reg = untimed_registry
    technical = reg.sign_at("smarquez", "ml_reviewer", "2026-03-02T09:00:00Z")
    sign_all_at(reg, {"clinical_reviewer": "2026-03-02T10:00:00Z", "quality": "2026-03-02T11:00:00Z"})
    assert judged(reg)[0] == "pass"
    reg.sign("smarquez", "ml_reviewer", decision="revoked", revokes=technical, reason="reviewed the wrong run")
    reg.sign_at("smarquez", "ml_reviewer", "2026-03-02T12:00:00Z")  # a new technical approval, after the others
    decision, manifest = judged(reg)
    assert decision == "pending" and manifest["missing_roles"] == ["clinical_reviewer", "quality"]
    rules = {(a["role"], a["rule"]) for a in manifest["approvals"] if not a["valid"]}
    assert {("clinical_reviewer", "approvals.out_of_order"), ("quality", "approvals.out_of_order"),
            ("ml_reviewer", "approval.revoked")} <= rules


def test_a_rejection_opens_no_stage(untimed_registry: SignedRegistry) -> None:
    reg = untimed_registry
    reg.sign("smarquez", "ml_reviewer", decision="rejected", reason="the calibration plot is missing")
    sign_all_at(reg, {"clinical_reviewer": "2026-12-31T10:00:00Z", "quality": "2026-12-31T11:00:00Z"})
    reg.sign_at("smarquez", "ml_reviewer", "2026-12-31T12:00:00Z")
    decision, manifest = judged(reg)
    assert decision == "pending" and manifest["missing_roles"] == ["clinical_reviewer", "quality"]


@pytest.fixture
def keyless_registry(tmp_path: Path, local_sigstore: LocalSigstore) -> Iterator[SignedRegistry]:  # noqa: F811
    with keyless_repo(tmp_path, local_sigstore) as (reg, _):
        yield reg


def test_the_sigstore_logs_time_orders_keyless_approvals(keyless_registry: SignedRegistry,
                                                          local_sigstore: LocalSigstore) -> None:  # noqa: F811
    reg, sigstore = keyless_registry, local_sigstore
    wall_clock = sigstore.rekor.clock
    start = wall_clock()

    def sign(role: str, seconds: int) -> None:
        sigstore.rekor.clock = lambda: start + seconds  # the log integrates this entry then
        person = reg.person(PEOPLE[role])
        signer = SigstoreSigner(sigstore.client_trust_config_json(), sigstore.mint_email_token(person.email))
        reason = f"reviewed (log time +{seconds} s)"  # two acts of one second must differ to be two acts
        sign_act(reg.git, ActRequest(reg.version_path, role, "approved", reason, signer_id=person.id), signer)

    try:
        sign("quality", 0)
        sign("ml_reviewer", 60)
        sign("clinical_reviewer", 120)
        decision, manifest = judged(reg)
        assert decision == "pending" and manifest["missing_roles"] == ["quality"]
        sign("quality", 180)
        decision, manifest = judged(reg)
        assert decision == "pass", manifest
    finally:
        sigstore.rekor.clock = wall_clock
