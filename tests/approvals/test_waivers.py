"""Waivers (regulatory.md §7 B-12, DESIGN §5 `exception`) end to end with real signatures.

The plan on main requires language subgroups that sepsis-ews 1.4.0 does not report
(``gates.subgroup_attribute_missing``). A waiver in ``models/sepsis-ews/waivers/`` lifts that
finding only once the roles it and ``policies/data/waiver_rules.yaml`` (regulatory, quality) name
have signed its exact bytes (PKI certificates from the test CA, RFC 3161 times from the test TSA),
and only until it expires; the waived finding is still reported, as waived.
"""

from __future__ import annotations

import json

from testing.approvals import SignedRegistry
from testing.files import replace_in
from testing.fixtures import CliResult, git
from testing.local_tsa import local_tsa  # noqa: F401

from clinigate.gate.check import run_check

WAIVER = "models/sepsis-ews/waivers/W-7.yaml"
_DATA_UPDATE_END = "      - quality\n    regulatory_action: none\n  hyperparameter_tuning:"
_SITE = "        - site\n      min_subgroup_n: 100\n      require_locked_validation_set: true\n" \
        "      require_patient_overlap_check: true\n    required_roles:\n      - ml_reviewer\n" \
        "      - clinical_reviewer\n" + _DATA_UPDATE_END


def _plan_requires_language(reg: SignedRegistry) -> None:
    """main's data_update plan asks for language subgroups; the review branch is rebased onto it."""
    git(reg.repo, "switch", "-q", "main")
    replace_in(reg.repo, "models/sepsis-ews/pccp.yaml", _SITE, _SITE.replace("- site\n", "- site\n        - language\n"))
    reg.commit("the data_update plan requires language subgroups")
    git(reg.repo, "switch", "-q", "review")
    git(reg.repo, "rebase", "-q", "main")


def _write_waiver(reg: SignedRegistry, *, expires: str = "2099-06-30T00:00:00Z",
                  submitted_by: str = "pnair") -> None:
    path = reg.repo / WAIVER
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"""\
# yaml-language-server: $schema=../../../schemas/waiver.schema.json
apiVersion: clinigate/v1
kind: Waiver
id: W-7
model: sepsis-ews
rule: gates.subgroup_attribute_missing
scope:
  versions: [1.4.0]
  field: validation.subgroups
reason: Preferred language is not recorded in the refreshed extract yet (CAPA-2026-014).
expires: {expires}
required_roles: [regulatory, quality]
submitted_by: {submitted_by}
""", encoding="utf-8")
    reg.commit("a waiver for the missing language subgroups")


def _version_approved(reg: SignedRegistry) -> None:
    reg.approve_in_order(("ml_reviewer", "clinical_reviewer", "quality", "regulatory"))


def _check_json(reg: SignedRegistry, run_cli) -> tuple[CliResult, dict, dict]:  # noqa: ANN001
    result = run_cli("check", "--base", "main", "--format", "json", cwd=reg.repo)
    report = json.loads(result.stdout)
    by_path = {m["path"]: m for m in report["manifests"]}
    return result, by_path[reg.version_path], by_path[WAIVER]


def test_a_waiver_signed_by_its_roles_lifts_the_finding_and_reports_it_waived(
        signed_registry: SignedRegistry, run_cli) -> None:  # noqa: ANN001
    reg = signed_registry
    _plan_requires_language(reg)
    _write_waiver(reg)
    _version_approved(reg)
    reg.sign("dwhitfield", "regulatory", WAIVER)
    reg.sign("kosei", "quality", WAIVER)
    result, version, waiver = _check_json(reg, run_cli)
    assert result.code == 0, result.stdout + result.stderr
    assert [f["rule"] for f in version["findings"] if f["severity"] == "error"] == []
    [waived] = version["waived"]
    assert (waived["rule"], waived["waiver"], waived["expires"]) == (
        "gates.subgroup_attribute_missing", "W-7", "2099-06-30T00:00:00Z")
    assert "language" in waived["message"] and version["pccp_status"] == "deviation"
    assert waiver["required_roles"] == ["quality", "regulatory"] and waiver["missing_roles"] == []
    text = run_cli("check", "--base", "main", cwd=reg.repo)
    assert text.code == 0 and "waived by W-7 until 2099-06-30T00:00:00Z" in text.stdout, text.stdout
    verified = run_cli("verify", WAIVER, "--format", "json", cwd=reg.repo)
    assert verified.code == 0, verified.stdout + verified.stderr
    assert "Diane Whitfield" in verified.stdout and "quality" in verified.stdout


def test_a_waiver_signed_by_someone_without_the_role_waives_nothing(
        signed_registry: SignedRegistry) -> None:
    reg = signed_registry
    _plan_requires_language(reg)
    _write_waiver(reg)
    _version_approved(reg)
    reg.sign("dwhitfield", "regulatory", WAIVER)
    reg.sign("smarquez", "quality", WAIVER, check_rules=False)  # a real signature; smarquez is no quality
    report = run_check(reg.repo, base="main", head=reg.branch)
    version = next(m for m in report.manifests if m.path == reg.version_path)
    assert report.decision == "fail" and version.waived == []
    assert {f.rule for f in version.findings if f.severity == "error"} == {"gates.subgroup_attribute_missing"}
    [unapproved] = [f for f in version.findings if f.rule == "waiver.unapproved"]
    assert "lacks a valid approval by quality" in unapproved.message
    waiver = next(m for m in report.manifests if m.path == WAIVER)
    assert waiver.missing_roles == ["quality"]


def test_the_waivers_submitter_cannot_sign_it(signed_registry: SignedRegistry) -> None:
    reg = signed_registry
    _plan_requires_language(reg)
    _write_waiver(reg, submitted_by="dwhitfield")
    _version_approved(reg)
    reg.sign("dwhitfield", "regulatory", WAIVER, check_rules=False)
    reg.sign("kosei", "quality", WAIVER)
    report = run_check(reg.repo, base="main", head=reg.branch)
    waiver = next(m for m in report.manifests if m.path == WAIVER)
    assert [a.rule for a in waiver.approvals if a.role == "regulatory"] == ["approval.self_approval"]
    assert report.decision == "fail"


def test_an_expired_waiver_fails_the_gate(signed_registry: SignedRegistry, run_cli) -> None:  # noqa: ANN001
    reg = signed_registry
    _plan_requires_language(reg)
    _write_waiver(reg, expires="2026-01-31T00:00:00+01:00")
    _version_approved(reg)
    reg.sign("dwhitfield", "regulatory", WAIVER)
    reg.sign("kosei", "quality", WAIVER)
    result, version, waiver = _check_json(reg, run_cli)
    assert result.code == 1 and version["waived"] == []
    rules = {f["rule"] for f in version["findings"] if f["severity"] == "error"}
    assert rules == {"gates.subgroup_attribute_missing", "waiver.expired"}
    assert "expired at 2026-01-30T23:00:00Z" in next(
        f["message"] for f in version["findings"] if f["rule"] == "waiver.expired")
    assert [f["rule"] for f in waiver["findings"]] == ["waiver.expired"]


def test_a_pull_request_cannot_lower_the_roles_its_waiver_needs(signed_registry: SignedRegistry) -> None:
    """policies/data/waiver_rules.yaml is read from the base (DESIGN §13): the head's copy, asking
    regulatory only, does not let a waiver without quality's signature count."""
    reg = signed_registry
    _plan_requires_language(reg)
    replace_in(reg.repo, "policies/data/waiver_rules.yaml", "min_roles: [regulatory, quality]",
               "min_roles: [regulatory]")
    _write_waiver(reg)
    replace_in(reg.repo, WAIVER, "required_roles: [regulatory, quality]", "required_roles: [regulatory]")
    reg.commit("a waiver that asks regulatory only, and the rules lowered to match")
    _version_approved(reg)
    reg.sign("dwhitfield", "regulatory", WAIVER)
    report = run_check(reg.repo, base="main", head=reg.branch)
    version = next(m for m in report.manifests if m.path == reg.version_path)
    assert version.waived == [] and report.decision == "fail"
    assert "gates.subgroup_attribute_missing" in {f.rule for f in version.findings if f.severity == "error"}
    [unapproved] = [f for f in version.findings if f.rule == "waiver.unapproved"]
    assert "lacks a valid approval by quality" in unapproved.message
    waiver = next(m for m in report.manifests if m.path == WAIVER)
    assert waiver.required_roles == ["quality", "regulatory"] and waiver.missing_roles == ["quality"]


def test_a_waivers_acts_have_their_own_ledger_folder() -> None:
    from clinigate.approvals.ledger_layout import document_path, folder_in_layout, ledger_key

    assert ledger_key(WAIVER) == ("sepsis-ews", "_waiver.W-7")
    assert document_path("sepsis-ews", "_waiver.W-7") == WAIVER
    assert folder_in_layout(["sepsis-ews", "_waiver.W-7", "a" * 64])
    assert not folder_in_layout(["sepsis-ews", "_waiver.", "a" * 64])
    assert not folder_in_layout(["sepsis-ews", "_waiver.../x", "a" * 64])
