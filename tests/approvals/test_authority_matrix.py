"""The authority matrix (regulatory.md §7 D-30, 21 CFR 11.10(g)), end to end with real signatures.

policies/data/approval_authority.yaml says, per role, which meanings of a signature (21 CFR
11.50(a)(3): review, approval, responsibility, authorship) count at which model risk class.
sepsis-ews is a class II device: its quality sign-off must mean approval or responsibility; a
quality "review" is no release. The class is the stricter of model.yaml's at the base and at the
head, so a pull request cannot lower it to loosen its own approvals.
"""

from __future__ import annotations

import json

from testing.approvals import SignedRegistry
from testing.files import replace_in
from testing.local_tsa import local_tsa  # noqa: F401

from clinigate.gate.check import run_check


def judged(reg: SignedRegistry) -> tuple[str, dict]:
    report = run_check(reg.repo, base="main", head=reg.branch)
    (manifest,) = [m for m in report.manifests if m.path == reg.version_path]
    return report.decision, manifest.to_dict()


def technical_and_clinical(reg: SignedRegistry, clinical_meaning: str | None = None) -> None:
    reg.sign("smarquez", "ml_reviewer")
    reg.sign("jlindqvist", "clinical_reviewer", meaning=clinical_meaning)


def test_a_quality_review_signature_does_not_release_a_class_ii_model(signed_registry: SignedRegistry) -> None:
    reg = signed_registry
    technical_and_clinical(reg)
    reg.sign("kosei", "quality", meaning="review")
    decision, manifest = judged(reg)
    assert decision == "pending" and manifest["missing_roles"] == ["quality"]
    (act,) = [a for a in manifest["approvals"] if a["role"] == "quality"]
    assert (act["valid"], act["meaning"], act["rule"]) == (False, "review", "approvals.wrong_meaning")
    assert ("Kwame Osei signed as quality with the meaning review, which the authority matrix "
            "(policies/data/approval_authority.yaml signature_meanings) does not accept from quality for a "
            "risk class II model (accepted: approval, responsibility)") in act["problem"]
    assert [f["rule"] for f in manifest["findings"]] == ["approvals.wrong_meaning"]


def test_the_same_reviewers_with_the_meanings_the_matrix_allows_pass(signed_registry: SignedRegistry) -> None:
    reg = signed_registry
    technical_and_clinical(reg, clinical_meaning="responsibility")
    reg.sign("kosei", "quality", meaning="approval")
    decision, manifest = judged(reg)
    assert decision == "pass", manifest
    assert {a["role"]: a["meaning"] for a in manifest["approvals"]} == {
        "ml_reviewer": "approval", "clinical_reviewer": "responsibility", "quality": "approval"}


def test_authorship_never_counts_as_a_review(signed_registry: SignedRegistry) -> None:
    reg = signed_registry
    technical_and_clinical(reg, clinical_meaning="authorship")
    reg.sign("kosei", "quality")
    decision, manifest = judged(reg)
    # The clinical signature does not count, so the quality approval after it is out of order too.
    assert decision == "pending" and manifest["missing_roles"] == ["clinical_reviewer", "quality"]
    rules = {a["role"]: a["rule"] for a in manifest["approvals"]}
    assert rules["clinical_reviewer"] == "approvals.wrong_meaning" and rules["quality"] == "approvals.out_of_order"


def test_a_pull_request_cannot_lower_its_models_risk_class(signed_registry: SignedRegistry) -> None:
    reg = signed_registry
    replace_in(reg.repo, "models/sepsis-ews/model.yaml", "  risk_class: II", "  risk_class: I")
    reg.commit("sepsis-ews is class I now")
    technical_and_clinical(reg, clinical_meaning="review")  # would count at class I
    reg.sign("kosei", "quality")
    decision, manifest = judged(reg)
    assert decision == "pending" and "clinical_reviewer" in manifest["missing_roles"]
    (act,) = [a for a in manifest["approvals"] if a["role"] == "clinical_reviewer"]
    assert "risk class II model" in act["problem"]  # the base's class binds


def test_check_shows_the_refused_meaning_through_the_cli(signed_registry: SignedRegistry, run_cli) -> None:
    reg = signed_registry
    technical_and_clinical(reg)
    issued = reg.pki.certificate(reg.person("kosei"))
    signed = run_cli("approve", reg.version_path, "--role", "quality", "--decision", "approved", "--meaning",
                     "review", "--reason", "looked at it", "--key", str(issued.key_path),
                     "--allow-unencrypted-key", "--cert", str(issued.cert_path), cwd=reg.repo)
    assert signed.code == 0, signed.stderr
    shown = run_cli("check", "--base", "main", "--head", reg.branch, cwd=reg.repo)
    assert shown.code == 1
    assert "not counted: quality by Kwame Osei (kosei): [approvals.wrong_meaning]" in shown.stdout, shown.stdout
    as_json = json.loads(run_cli("check", "--base", "main", "--head", reg.branch, "--format", "json",
                                 cwd=reg.repo).stdout)
    assert as_json["decision"] == "pending"
