"""A revoked approval stays revoked: a revocation names the act, not a file (DESIGN §13).

The attacks of issue 10: copy the revoked bundle under another name, or re-serialise it (same
signature, other bytes), or sign its statement again (ECDSA signatures are malleable), and the
approval must still not count, in `check`, `verify` and the sync gate alike. Only the signer, or
someone holding quality or regulatory at the base revision, may revoke an act.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from testing.approvals import SignedRegistry
from testing.fixtures import CliResult, git
from testing.ledger import (
    act_of,
    add_entry,
    ledger_files,
    payload_of,
    reserialise,
    sign_statement,
)

from clinigate.approvals.approve import SignedAct
from clinigate.approvals.ledger import Ledger
from clinigate.approvals.review import ApprovalBook
from clinigate.approvals.verdict import ApprovalVerdict
from clinigate.gate.check import run_check
from clinigate.manifest.revision import Snapshot
from clinigate.registry.approval import ApprovalGate

Run = Callable[..., CliResult]
OTHER_DIGEST = "f" * 64  # another document-digest folder of the same version


def verdicts(reg: SignedRegistry) -> list[ApprovalVerdict]:
    with ApprovalBook.open(reg.git, base="main", head=reg.branch) as book:
        return book.judge(reg.version_path, rev=reg.branch)


def gate_approves(reg: SignedRegistry) -> bool:
    gate = ApprovalGate.open(reg.git, reg.branch, Snapshot.with_roles(reg.git, reg.git.resolve(reg.branch)))
    assert gate is not None
    try:
        return gate.judge("sepsis-ews", "1.4.0", reg.version_path).approved
    finally:
        gate.close()


def approved_and_revoked(reg: SignedRegistry) -> tuple[SignedAct, SignedAct]:
    """Every required role signs; then the clinical reviewer revokes her approval."""
    reg.sign("smarquez", "ml_reviewer")
    act = reg.sign("jlindqvist", "clinical_reviewer")
    reg.sign("kosei", "quality")
    revocation = reg.sign("jlindqvist", "clinical_reviewer", decision="revoked", revokes=act.act_id,
                          reason="signed before the subgroup table was corrected")
    return act, revocation


def _another_name(reg: SignedRegistry, act: SignedAct) -> str | None:
    """The same bytes under a name that is not the act's (the old naming: the sha256 of the bytes)."""
    add_entry(reg.repo, f"sepsis-ews/1.4.0/{act.document_sha256}/{act.bundle_sha256}.sigstore.json",
              data=act.bundle.encode())
    return "ledger.entry_name"


def _another_folder(reg: SignedRegistry, act: SignedAct) -> str | None:
    reg.append_raw(reg.version_path, OTHER_DIGEST, act.bundle)
    return None


def _reserialised(reg: SignedRegistry, act: SignedAct) -> str | None:
    copy = reserialise(act.bundle)
    # Under its own name it is the act already recorded: appending it changes nothing.
    before = ledger_files(reg.repo)
    assert Ledger(reg.git).append([(reg.version_path, act.document_sha256, copy)], "again") is None
    assert ledger_files(reg.repo) == before
    reg.append_raw(reg.version_path, OTHER_DIGEST, copy)
    return None


def _resigned(reg: SignedRegistry, act: SignedAct) -> str | None:
    # The same statement signed again: a new ECDSA signature, so new bundle bytes, but the same act.
    copy = sign_statement(reg, "jlindqvist", payload_of(act.bundle))
    assert copy != act.bundle and act_of(copy) == act.act_id
    reg.append_raw(reg.version_path, OTHER_DIGEST, copy)
    return None


COPIES = {"another-name": _another_name, "another-folder": _another_folder,
          "re-serialised": _reserialised, "re-signed": _resigned}


@pytest.mark.parametrize("copy", list(COPIES))
def test_a_copy_added_after_the_revocation_stays_revoked(copy: str, signed_registry: SignedRegistry,
                                                         run_cli: Run) -> None:
    reg = signed_registry
    act, _ = approved_and_revoked(reg)
    copy_rule = COPIES[copy](reg, act)

    checked = run_cli("check", "--base", "main", "--head", reg.branch, "--format", "json", cwd=reg.repo)
    assert checked.code == 1, checked.stdout + checked.stderr
    (manifest,) = [m for m in json.loads(checked.stdout)["manifests"] if m["path"] == reg.version_path]
    assert json.loads(checked.stdout)["decision"] == "pending"
    # Quality signed after the clinical approval now revoked: its stage is open no longer either.
    assert manifest["missing_roles"] == ["clinical_reviewer", "quality"]

    verified = run_cli("verify", "--format", "json", cwd=reg.repo)
    assert verified.code == 1, verified.stdout + verified.stderr
    report = json.loads(verified.stdout)
    rows = [a for d in report["documents"] for a in d["approvals"]]
    of_act = [a for a in rows if a["act_id"] == act.act_id]
    assert [a["rule"] for a in of_act] == ["approval.revoked"]  # the act counts once, revoked
    assert "revoked by Johanna Lindqvist, MD" in of_act[0]["problem"]
    assert [p["rule"] for p in report["ledger_problems"]] == ([copy_rule] if copy_rule else [])
    assert not any(a["valid"] and a["role"] == "clinical_reviewer" and a["decision"] == "approved" for a in rows)
    assert "Traceback" not in verified.stderr + checked.stderr

    assert not gate_approves(reg)


def test_a_copy_added_before_the_revocation_is_cancelled_too(signed_registry: SignedRegistry) -> None:
    reg = signed_registry
    reg.sign("smarquez", "ml_reviewer")
    act = reg.sign("jlindqvist", "clinical_reviewer")
    reg.sign("kosei", "quality")
    reg.append_raw(reg.version_path, OTHER_DIGEST, reserialise(act.bundle))
    assert gate_approves(reg)
    reg.sign("jlindqvist", "clinical_reviewer", decision="revoked", revokes=act.act_id, reason="withdrawn")
    assert [v.rule for v in verdicts(reg) if v.act_id == act.act_id] == ["approval.revoked"]
    assert not gate_approves(reg)


@pytest.mark.parametrize(("revoker", "role", "cancels"), [
    ("jlindqvist", "clinical_reviewer", True),  # the signer themself
    ("kosei", "quality", True),
    ("dwhitfield", "regulatory", True),
    ("rbaptiste", "clinical_reviewer", False),  # a peer in the same role
    ("tchen", "security_reviewer", False),
])
def test_who_may_revoke(revoker: str, role: str, cancels: bool, signed_registry: SignedRegistry) -> None:
    reg = signed_registry
    reg.sign("smarquez", "ml_reviewer")
    act = reg.sign("jlindqvist", "clinical_reviewer")
    reg.sign("kosei", "quality")
    revocation = reg.sign(revoker, role, decision="revoked", revokes=act.act_id, reason="I object")
    by_act = {v.act_id: v for v in verdicts(reg)}
    if cancels:
        assert by_act[act.act_id].rule == "approval.revoked" and by_act[revocation.act_id].valid
    else:
        assert by_act[act.act_id].valid
        assert by_act[revocation.act_id].rule == "approval.revocation_not_allowed"
        assert "only its signer" in (by_act[revocation.act_id].problem or "")
    assert gate_approves(reg) is not cancels
    assert run_check(reg.repo, base="main", head=reg.branch).decision == ("pending" if cancels else "pass")


def test_a_revocation_not_allowed_is_reported_by_the_cli(signed_registry: SignedRegistry, run_cli: Run) -> None:
    reg = signed_registry
    reg.sign("smarquez", "ml_reviewer")
    act = reg.sign("jlindqvist", "clinical_reviewer")
    reg.sign("kosei", "quality")
    reg.sign("rbaptiste", "clinical_reviewer", decision="revoked", revokes=act.act_id, reason="I object")
    verified = run_cli("verify", cwd=reg.repo)
    assert verified.code == 1 and "[approval.revocation_not_allowed]" in verified.stdout
    checked = run_cli("check", "--base", "main", "--head", reg.branch, "--format", "json", cwd=reg.repo)
    assert checked.code == 0 and json.loads(checked.stdout)["decision"] == "pass", checked.stdout


def test_a_revocation_is_final(signed_registry: SignedRegistry) -> None:
    reg = signed_registry
    act, revocation = approved_and_revoked(reg)
    undo = reg.sign("kosei", "quality", decision="revoked", revokes=revocation.act_id, reason="undo",
                    check_rules=False)
    by_act = {v.act_id: v for v in verdicts(reg)}
    assert by_act[undo.act_id].rule == "approval.revokes_revocation"
    assert by_act[act.act_id].rule == "approval.revoked"


def test_reverting_the_document_does_not_revive_a_revoked_approval(signed_registry: SignedRegistry) -> None:
    reg = signed_registry
    reg.sign("smarquez", "ml_reviewer")
    act = reg.sign("jlindqvist", "clinical_reviewer")
    reg.sign("kosei", "quality")
    path = reg.repo / reg.version_path
    original = path.read_bytes()
    path.write_bytes(original.replace(b"Quarterly", b"Quarterly (draft)", 1))
    reg.commit("an edit")
    reg.sign("jlindqvist", "clinical_reviewer", decision="revoked", revokes=act.act_id, reason="withdrawn")
    path.write_bytes(original)
    reg.commit("revert the edit: the approved bytes are back")
    assert [v.rule for v in verdicts(reg) if v.act_id == act.act_id] == ["approval.revoked"]
    assert not gate_approves(reg)


def test_approve_revokes_takes_the_act_id(signed_registry: SignedRegistry, run_cli: Run) -> None:
    reg = signed_registry
    act = reg.sign("jlindqvist", "clinical_reviewer")
    issued = reg.pki.certificate(reg.person("jlindqvist"))
    base = ("approve", reg.version_path, "--role", "clinical_reviewer", "--decision", "revoked",
            "--reason", "withdrawn", "--key", str(issued.key_path), "--allow-unencrypted-key", "--cert", str(issued.cert_path))

    wrong = run_cli(*base, "--revokes", act.bundle_sha256, cwd=reg.repo)
    assert wrong.code == 2, wrong.stdout + wrong.stderr
    assert f"its act id is {act.act_id}" in wrong.stderr and "Traceback" not in wrong.stderr

    right = run_cli(*base, "--revokes", act.act_id, cwd=reg.repo)
    assert right.code == 0, right.stdout + right.stderr
    assert [v.rule for v in verdicts(reg) if v.act_id == act.act_id] == ["approval.revoked"]
    listed = run_cli("ledger", "list", cwd=reg.repo)
    assert f"act {act.act_id}" in listed.stdout

    assert "ACT_ID" in run_cli("approve", "--help").stdout
    assert git(reg.repo, "status", "--porcelain") == ""
