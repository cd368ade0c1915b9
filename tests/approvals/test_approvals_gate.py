"""Approvals end to end on real Git repositories: approve → ledger → verify → check.

Every signature is real (a test CA trusted by the registry's trust.yaml on main); every
refusal is asserted by its own rule and message.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from testing.approvals import SignedRegistry, tamper_payload
from testing.fixtures import git
from testing.local_tsa import local_tsa  # noqa: F401

from clinigate import layout
from clinigate.approvals.local_ca import LocalCA
from clinigate.approvals.review import ApprovalBook
from clinigate.approvals.verdict import ApprovalVerdict
from clinigate.gate.check import run_check

REASON = "Subgroup AUCs and calibration reviewed"


def verdicts(reg: SignedRegistry, document: str | None = None) -> list[ApprovalVerdict]:
    with ApprovalBook.open(reg.git, base="main", head=reg.branch) as book:
        return book.judge(document or reg.version_path, rev=reg.branch)


def only(reg: SignedRegistry, document: str | None = None) -> ApprovalVerdict:
    (verdict,) = verdicts(reg, document)
    return verdict


def check_version(reg: SignedRegistry) -> tuple[str, dict]:
    report = run_check(reg.repo, base="main", head=reg.branch)
    (manifest,) = [m for m in report.manifests if m.path == reg.version_path]
    return report.decision, manifest.to_dict()


def test_check_is_pending_until_every_required_role_signed_then_passes(signed_registry: SignedRegistry) -> None:
    reg = signed_registry
    decision, manifest = check_version(reg)
    assert decision == "pending"
    assert set(manifest["missing_roles"]) == {"ml_reviewer", "clinical_reviewer", "quality"}

    reg.sign("smarquez", "ml_reviewer")
    reg.sign("jlindqvist", "clinical_reviewer")
    decision, manifest = check_version(reg)
    assert decision == "pending" and manifest["missing_roles"] == ["quality"]

    reg.sign("kosei", "quality")
    decision, manifest = check_version(reg)
    assert decision == "pass", manifest
    signers = {(a["role"], a["signer"], a["valid"]) for a in manifest["approvals"]}
    assert signers == {("ml_reviewer", "smarquez", True), ("clinical_reviewer", "jlindqvist", True),
                       ("quality", "kosei", True)}


def test_cli_approve_verify_check_round_trip(signed_registry: SignedRegistry, run_cli) -> None:
    reg = signed_registry
    for person, role in (("smarquez", "ml_reviewer"), ("jlindqvist", "clinical_reviewer"), ("kosei", "quality")):
        issued = reg.pki.certificate(reg.person(person))
        result = run_cli("approve", reg.version_path, "--role", role, "--decision", "approved",
                         "--reason", REASON, "--key", str(issued.key_path), "--allow-unencrypted-key", "--cert", str(issued.cert_path),
                         cwd=reg.repo)
        assert result.code == 0, result.stderr
        assert f"as {role} by" in result.stdout and "meaning: approval" in result.stdout

    text = run_cli("verify", reg.version_path, "--rev", reg.branch, cwd=reg.repo)
    assert text.code == 0, text.stdout + text.stderr
    assert "Johanna Lindqvist, MD (jlindqvist)" in text.stdout and "Kwame Osei (kosei)" in text.stdout
    assert "meaning: approval" in text.stdout and "(claimed by the signer" in text.stdout
    assert f"reason: {REASON}" in text.stdout

    as_json = json.loads(run_cli("verify", reg.version_path, "--rev", reg.branch, "--format", "json",
                                 cwd=reg.repo).stdout)
    rows = as_json["documents"][0]["approvals"]
    assert {r["printed_name"] for r in rows} == {"Sofia Marquez, PhD", "Johanna Lindqvist, MD", "Kwame Osei"}
    assert all(r["time"].endswith("Z") and r["meaning"] == "approval" and r["valid"] for r in rows)

    gate = run_cli("check", "--base", "main", "--head", reg.branch, "--format", "json", cwd=reg.repo)
    assert gate.code == 0, gate.stdout
    assert json.loads(gate.stdout)["decision"] == "pass"


def test_one_byte_changed_after_approval_is_a_digest_mismatch(signed_registry: SignedRegistry, run_cli) -> None:
    reg = signed_registry
    reg.sign("jlindqvist", "clinical_reviewer")
    path = reg.repo / reg.version_path
    path.write_bytes(path.read_bytes().replace(b"Quarterly", b"quarterly", 1))
    result = run_cli("verify", reg.version_path, "--rev", reg.branch, cwd=reg.repo)
    assert result.code == 1
    assert "[approval.digest_mismatch]" in result.stdout and "changed after it was approved" in result.stdout


def test_a_new_commit_makes_the_approval_stale(signed_registry: SignedRegistry) -> None:
    reg = signed_registry
    reg.sign("jlindqvist", "clinical_reviewer")
    path = reg.repo / reg.version_path
    path.write_bytes(path.read_bytes().replace(b"Quarterly", b"Quarterly scheduled", 1))
    reg.commit("reword the summary")
    verdict = only(reg)
    assert verdict.rule == "approval.stale" and "a later commit changed it" in (verdict.problem or "")
    decision, manifest = check_version(reg)
    assert decision == "pending" and "clinical_reviewer" in manifest["missing_roles"]


def test_replay_onto_another_version_and_another_model(signed_registry: SignedRegistry) -> None:
    reg = signed_registry
    act = reg.sign("jlindqvist", "clinical_reviewer")
    other_version = "models/sepsis-ews/versions/1.3.0.yaml"
    other_model = "models/readmission-30d/versions/2.0.0.yaml"
    for document in (other_version, other_model):
        reg.append_raw(document, act.document_sha256, act.bundle)
    assert only(reg, other_version).rule == "approval.replayed_version"
    verdict = only(reg, other_model)
    assert verdict.rule == "approval.replayed_model" and "another model" in (verdict.problem or "")


def test_self_approval_is_refused_at_signing_and_at_verification(signed_registry: SignedRegistry) -> None:
    reg = signed_registry
    path = reg.repo / reg.version_path
    path.write_text(path.read_text().replace("submitted_by: pnair", "submitted_by: awu"))
    reg.commit("awu submits")
    with pytest.raises(Exception, match="separation of duties"):
        reg.sign("awu", "security_reviewer")
    reg.sign("awu", "security_reviewer", check_rules=False)
    verdict = only(reg)
    assert verdict.rule == "approval.self_approval" and "separation of duties" in (verdict.problem or "")


def test_a_role_granted_in_the_same_change_does_not_count(signed_registry: SignedRegistry) -> None:
    reg = signed_registry
    roles = reg.repo / "policies/data/roles.yaml"
    text = roles.read_text()
    roles.write_text(text.replace("    roles:\n      - quality\n", "    roles:\n      - quality\n"
                                  "      - clinical_reviewer\n", 1))
    reg.commit("grant kosei clinical_reviewer")
    reg.sign("kosei", "clinical_reviewer")  # allowed by the branch's roles.yaml ...
    verdict = only(reg)  # ... but judged with main's
    assert verdict.rule == "approval.role_granted_in_change"
    assert "cannot grant its own reviewers a role" in (verdict.problem or "")


def test_a_revoked_approval_no_longer_counts(signed_registry: SignedRegistry) -> None:
    reg = signed_registry
    act = reg.sign("jlindqvist", "clinical_reviewer")
    reg.sign("jlindqvist", "clinical_reviewer", decision="revoked", revokes=act.act_id,
             reason="signed the wrong version")
    by_decision = {v.decision: v for v in verdicts(reg)}
    assert by_decision["revoked"].valid
    revoked = by_decision["approved"]
    assert revoked.rule == "approval.revoked"
    assert "revoked by Johanna Lindqvist, MD" in (revoked.problem or "") and "wrong version" in (revoked.problem or "")


def test_a_revoked_key_invalidates_its_signatures(signed_registry: SignedRegistry) -> None:
    reg = signed_registry
    reg.sign("jlindqvist", "clinical_reviewer")
    fingerprint = reg.pki.certificate(reg.person("jlindqvist")).sha256
    git(reg.repo, "switch", "-q", "main")
    trust = reg.repo / "policies/trust/trust.yaml"
    trust.write_text(trust.read_text().replace(
        "pki:\n", f"pki:\n  revoked:\n    - certificate_sha256: {fingerprint}\n"
        "      revoked_on: 2026-11-01\n      reason: laptop stolen\n", 1))
    reg.commit("revoke a stolen key")
    git(reg.repo, "switch", "-q", reg.branch)
    verdict = only(reg)
    assert verdict.rule == "approval.revoked_key" and "laptop stolen" in (verdict.problem or "")


def test_a_certificate_from_an_untrusted_ca_is_refused(signed_registry: SignedRegistry, tmp_path: Path) -> None:
    reg = signed_registry
    rogue = LocalCA.create(tmp_path / "rogue", "Rogue CA")
    person = reg.person("jlindqvist")
    reg.pki.issued[person.id] = rogue.issue_person(person.id, person.email, person.name)
    reg.sign("jlindqvist", "clinical_reviewer")
    assert only(reg).rule == "approval.untrusted_root"


def test_a_tampered_dsse_payload_is_refused(signed_registry: SignedRegistry) -> None:
    reg = signed_registry
    act = reg.sign("jlindqvist", "clinical_reviewer")
    reg.append_raw(reg.version_path, act.document_sha256, tamper_payload(act.bundle))
    rules = sorted(str(v.rule) for v in verdicts(reg))
    assert rules == ["None", "approval.signature"]


def test_an_expired_certificate_without_a_trusted_timestamp_is_refused(signed_registry: SignedRegistry) -> None:
    from datetime import UTC, datetime, timedelta

    reg = signed_registry
    person = reg.person("jlindqvist")
    past = datetime.now(UTC) - timedelta(days=30)
    reg.pki.issued[person.id] = reg.pki.ca.issue_person(person.id, person.email, person.name,
                                                        not_before=past - timedelta(days=1),
                                                        not_after=past)
    reg.sign("jlindqvist", "clinical_reviewer")
    verdict = only(reg)
    assert verdict.rule == "approval.expired"


def test_verify_detects_a_rewritten_ledger(signed_registry: SignedRegistry, run_cli, tmp_path: Path) -> None:
    import os
    import subprocess

    reg = signed_registry
    reg.sign("jlindqvist", "clinical_reviewer")
    ref = "refs/heads/clinigate/ledger"
    tip = git(reg.repo, "rev-parse", ref).strip()
    (path,) = git(reg.repo, "ls-tree", "-r", "--name-only", tip).split()
    env = {**os.environ, "GIT_INDEX_FILE": str(tmp_path / "index"), "GIT_AUTHOR_NAME": "Mallory",
           "GIT_AUTHOR_EMAIL": "m@x.invalid", "GIT_COMMITTER_NAME": "Mallory", "GIT_COMMITTER_EMAIL": "m@x.invalid"}

    def plumb(*args: str, stdin: str | None = None) -> str:
        return subprocess.run(["git", *args], cwd=reg.repo, env=env, input=stdin, text=True,
                              capture_output=True, check=True).stdout.strip()

    # Someone with push rights edits the recorded bundle in a new commit: the reason now differs.
    blob = plumb("hash-object", "-w", "--stdin", stdin=tamper_payload(plumb("cat-file", "blob", f"{tip}:{path}")))
    plumb("read-tree", tip)
    plumb("update-index", "--cacheinfo", f"100644,{blob},{path}")
    tree = plumb("write-tree")
    commit = plumb("commit-tree", tree, "-p", tip, "-m", "fix a typo", stdin="")
    plumb("update-ref", ref, commit)

    result = run_cli("verify", "--rev", reg.branch, cwd=reg.repo)
    assert result.code == 1
    assert "[ledger.rewritten_entry]" in result.stdout


def test_approve_asks_the_tsa_trust_yaml_names_and_the_time_is_trusted(signed_registry: SignedRegistry,
                                                                         run_cli) -> None:
    reg = signed_registry  # its trust.yaml names the test TSA under tsa_roots and as pki.tsa_url
    issued = reg.pki.certificate(reg.person("jlindqvist"))
    result = run_cli("approve", reg.version_path, "--role", "clinical_reviewer", "--decision", "approved",
                     "--reason", REASON, "--key", str(issued.key_path), "--allow-unencrypted-key", "--cert", str(issued.cert_path),
                     cwd=reg.repo)  # --tsa defaults to trust.yaml's pki.tsa_url
    assert result.code == 0, result.stderr
    shown = run_cli("verify", reg.version_path, "--rev", reg.branch, cwd=reg.repo)
    assert shown.code == 0, shown.stdout
    assert "(trusted: rfc3161)" in shown.stdout


def test_without_a_tsa_approve_signs_nothing_where_trust_yaml_requires_a_trusted_time(
        signed_registry: SignedRegistry, run_cli) -> None:
    reg = signed_registry
    trust = reg.repo / "policies/trust/trust.yaml"
    trust.write_text(re.sub(r"\n  tsa_url: .*", "", trust.read_text(), count=1))
    reg.commit("forget the TSA's address")
    before = reg.git.rev_parse(layout.LEDGER_REF)
    issued = reg.pki.certificate(reg.person("jlindqvist"))
    result = run_cli("approve", reg.version_path, "--role", "clinical_reviewer", "--decision", "approved",
                     "--reason", REASON, "--key", str(issued.key_path), "--allow-unencrypted-key", "--cert", str(issued.cert_path),
                     cwd=reg.repo)
    assert result.code == 2 and "requires a trusted signing time" in result.stderr, result.stderr
    assert "--tsa URL or set pki.tsa_url" in result.stderr and "Traceback" not in result.stderr
    after = reg.git.rev_parse(layout.LEDGER_REF)
    assert before == after  # nothing was signed or recorded


def test_a_key_stock_verifiers_cannot_check_signs_nothing(signed_registry: SignedRegistry, run_cli) -> None:
    reg = signed_registry
    person = reg.person("jlindqvist")
    rsa = reg.pki.ca.issue_person("rsa-" + person.id, person.email, person.name, "rsa")
    result = run_cli("approve", reg.version_path, "--role", "clinical_reviewer", "--decision", "approved",
                     "--reason", REASON, "--key", str(rsa.key_path), "--allow-unencrypted-key", "--cert", str(rsa.cert_path), cwd=reg.repo)
    assert result.code == 2, result.stdout + result.stderr
    assert "RSA-3072 key" in result.stderr and "ECDSA P-256" in result.stderr and "Traceback" not in result.stderr


def test_check_shows_each_signatures_name_meaning_and_times(signed_registry: SignedRegistry) -> None:
    """21 CFR 11.50 in check's own renderings, as in verify: printed name, meaning, the trusted
    (TSA) time and the signer's claimed time, each labelled."""
    from clinigate.report.check import CHECK_RENDERERS

    reg = signed_registry
    reg.sign("jlindqvist", "clinical_reviewer")
    report = run_check(reg.repo, base="main", head=reg.branch)
    (manifest,) = [m for m in report.manifests if m.path == reg.version_path]
    (approval,) = manifest.approvals
    assert approval.meaning == "approval" and approval.time_source == "rfc3161"
    assert approval.trusted_time and approval.claimed_time
    text = CHECK_RENDERERS["text"](report)
    assert (f"    meaning: approval · trusted time {approval.trusted_time} (trusted: rfc3161) · claimed time "
            f"{approval.claimed_time} (claimed by the signer)") in text
    markdown = CHECK_RENDERERS["markdown"](report)
    assert "meaning: approval · trusted time" in markdown and "(claimed by the signer)" in markdown
