"""A broken trust configuration is a finding on policies/trust/trust.yaml, never a crash.

Issue 10 item 6. Each fault is committed on main (whose trust decides) and merged into the
review branch (whose work tree ``validate`` reads), with a real PKI approval on the ledger.
``verify``, ``check`` and ``sync`` must exit 1 naming trust.yaml, its line where there is one,
and the rule; never exit 3 with "internal error" or a traceback.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from testing import approvals as approval_fixtures
from testing.approvals import SignedRegistry
from testing.fixtures import git

from clinigate.approvals.local_ca import LocalCA
from clinigate.approvals.review import ApprovalBook, TrustInvalid

# Fixtures used here by name (tests/security has no conftest of its own: several authors share it).
signed_registry = approval_fixtures.signed_registry

TRUST = "policies/trust/trust.yaml"


def edit_trust(reg: SignedRegistry, old: str, new: str) -> None:
    path = reg.repo / TRUST
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def missing_root(reg: SignedRegistry) -> None:
    edit_trust(reg, "roots: [demo-ca.pem]", "roots: [demo-ca.pem, hospital-ca.pem]")


def root_not_pem(reg: SignedRegistry) -> None:
    (reg.repo / "policies/trust/hospital-ca.pem").write_text("ask IT for the real file\n", encoding="utf-8")
    missing_root(reg)


def root_expired(reg: SignedRegistry) -> None:
    past = datetime.now(UTC) - timedelta(days=400)
    old = LocalCA.create(reg.repo / ".demo-pki" / "old", "Retired Hospital CA", not_before=past,
                         not_after=past + timedelta(days=30))
    (reg.repo / "policies/trust/hospital-ca.pem").write_bytes(old.cert_path.read_bytes())
    missing_root(reg)


def root_not_ca(reg: SignedRegistry) -> None:
    # Someone pins a reviewer's own certificate instead of the CA that issued it.
    issued = reg.pki.certificate(reg.person("kosei"))
    (reg.repo / "policies/trust/hospital-ca.pem").write_bytes(issued.cert_path.read_bytes())
    missing_root(reg)


def no_pki_root(reg: SignedRegistry) -> None:
    edit_trust(reg, "roots: [demo-ca.pem]", "roots: []")


def no_trust_yaml(reg: SignedRegistry) -> None:
    (reg.repo / TRUST).unlink()


def sigstore_root_unparseable(reg: SignedRegistry) -> None:
    (reg.repo / "policies/trust/sigstore-root.json").write_text('{"mediaType": "oops"', encoding="utf-8")
    edit_trust(reg, "trusted_root: public-good", "trusted_root: sigstore-root.json")


def sigstore_root_missing(reg: SignedRegistry) -> None:
    edit_trust(reg, "trusted_root: public-good", "trusted_root: sigstore-root.json")


def trust_yaml_invalid(reg: SignedRegistry) -> None:
    edit_trust(reg, "pki:\n", "pki:\n  root: [demo-ca.pem]\n")


@dataclass(frozen=True)
class Fault:
    break_trust: Callable[[SignedRegistry], None]
    rule: str
    message: str  # a fragment of the finding's message
    line: int | None  # the trust.yaml line the finding points at
    validate: bool = True  # whether `validate` (the work tree, no ledger) can see it


FAULTS = {
    "missing root": Fault(missing_root, "trust.root_missing", "hospital-ca.pem is not a file in policies/trust/", 15),
    "root not PEM": Fault(root_not_pem, "trust.root_not_pem", "is not a PEM X.509 certificate", 15),
    "expired root": Fault(root_expired, "trust.root_expired", "Retired Hospital CA) expired on", 15),
    "root not a CA": Fault(root_not_ca, "trust.root_not_ca", "is not a CA certificate (basicConstraints", 15),
    "no PKI root": Fault(no_pki_root, "trust.no_pki_root",
                         "1 approval is signed with certificates, but no PKI root is configured", 15, False),
    "no trust.yaml": Fault(no_trust_yaml, "trust.missing", "but the ledger holds 1 approval", None, False),
    "Sigstore root unparseable": Fault(sigstore_root_unparseable, "trust.sigstore_root",
                                       "is not a usable trusted_root.json", 21),
    "Sigstore root missing": Fault(sigstore_root_missing, "trust.sigstore_root",
                                   "sigstore-root.json is not a file in policies/trust/", 21),
}


def break_main(reg: SignedRegistry, fault: Callable[[SignedRegistry], None]) -> None:
    """Commit the fault on main (the base) and merge it into the review branch (the work tree)."""
    git(reg.repo, "switch", "-q", "main")
    fault(reg)
    reg.commit("edit the trust configuration")
    git(reg.repo, "switch", "-q", reg.branch)
    git(reg.repo, "merge", "-q", "--no-edit", "main")


@pytest.fixture
def approved(signed_registry: SignedRegistry) -> SignedRegistry:
    """The review branch with one valid PKI approval on the ledger."""
    signed_registry.sign("jlindqvist", "clinical_reviewer")
    return signed_registry


def assert_clean_failure(result, fault: Fault) -> str:  # type: ignore[no-untyped-def]
    output = result.stdout + result.stderr
    assert result.code == 1, output
    assert "Traceback" not in output and "internal error" not in output
    where = f"{TRUST}:{fault.line}:" if fault.line else f"{TRUST}: "
    assert re.search(rf"{re.escape(where)}.*\[{re.escape(fault.rule)}\].*{re.escape(fault.message)}",
                     output), output
    assert "fix:" in output
    return output


@pytest.mark.parametrize("name", FAULTS)
def test_each_trust_fault_is_a_finding_from_verify_check_and_validate(approved: SignedRegistry, run_cli,
                                                                     name: str) -> None:
    reg, fault = approved, FAULTS[name]
    break_main(reg, fault.break_trust)
    assert_clean_failure(run_cli("verify", cwd=reg.repo), fault)
    assert_clean_failure(run_cli("check", "--base", "main", "--head", reg.branch, cwd=reg.repo), fault)
    checked = run_cli("validate", cwd=reg.repo)
    if fault.validate:
        assert_clean_failure(checked, fault)
    else:  # these depend on the ledger, which validate does not read
        assert checked.code == 0, checked.stdout + checked.stderr


def test_verify_still_judges_every_entry_beside_the_finding(approved: SignedRegistry, run_cli) -> None:
    """One faulty root hides nothing: the approval chained to the good root still shows as valid."""
    reg = approved
    break_main(reg, missing_root)
    result = run_cli("verify", "--format", "json", cwd=reg.repo)
    assert result.code == 1, result.stderr
    report = json.loads(result.stdout)
    (document,) = report["documents"]
    (row,) = document["approvals"]
    assert row["valid"] and row["printed_name"] == "Johanna Lindqvist, MD"
    (problem,) = report["trust_problems"]
    assert (problem["rule"], problem["path"], problem["line"], problem["field"]) == (
        "trust.root_missing", TRUST, FAULTS["missing root"].line, "pki.roots[1]")
    assert not report["valid"]


def test_without_usable_roots_each_certificate_signature_is_refused_with_its_own_rule(
        approved: SignedRegistry) -> None:
    reg = approved
    break_main(reg, no_pki_root)
    with pytest.raises(TrustInvalid) as refused:  # check and sync open the book strictly
        ApprovalBook.open(reg.git, base="main")
    assert [f.rule for f in refused.value.findings] == ["trust.no_pki_root"]
    with ApprovalBook.open(reg.git, base="main", strict_trust=False) as book:
        (verdict,) = book.judge(reg.version_path, rev=reg.branch)
    assert verdict.rule == "trust.no_pki_root" and "lists no usable PKI root" in (verdict.problem or "")


def test_an_invalid_trust_yaml_names_its_line(approved: SignedRegistry, run_cli) -> None:
    reg = approved
    break_main(reg, trust_yaml_invalid)
    for args in (("verify",), ("check", "--base", "main", "--head", reg.branch)):
        result = run_cli(*args, cwd=reg.repo)
        output = result.stdout + result.stderr
        assert result.code == 1 and "Traceback" not in output and "internal error" not in output
        assert f"{TRUST}:10:3: [schema.unknown-field] pki.root:" in output and "did you mean 'roots'" in output


def test_no_trust_yaml_and_an_empty_ledger_is_the_safe_default_not_an_error(signed_registry: SignedRegistry,
                                                                            run_cli) -> None:
    """Nothing is trusted: the gate waits for approvals that nothing could verify, without an error."""
    reg = signed_registry
    break_main(reg, no_trust_yaml)
    gate = run_cli("check", "--base", "main", "--head", reg.branch, "--format", "json", cwd=reg.repo)
    assert gate.code == 1 and json.loads(gate.stdout)["decision"] == "pending", gate.stderr
    assert run_cli("verify", cwd=reg.repo).code == 0


@pytest.mark.parametrize("name", ["missing root", "no trust.yaml"])
def test_sync_dry_run_stops_at_the_trust_finding(approved: SignedRegistry, run_cli, tmp_path: Path,
                                                 name: str) -> None:
    reg, fault = approved, FAULTS[name]
    break_main(reg, fault.break_trust)
    store = tmp_path / "mlflow.db"
    result = run_cli("sync", "--tracking-uri", f"sqlite:///{store}", "--dry-run", "--rev", "main",
                     cwd=reg.repo)
    assert_clean_failure(result, fault)
    assert not store.exists()  # refused before MLflow was touched: nothing to finish or undo
