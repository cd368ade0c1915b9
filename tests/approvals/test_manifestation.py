"""21 CFR 11.50 manifestation in every rendering: printed name, meaning, and which time is which.

Issue 10 item 7. The claimed time is the statement's ``signed_at``, the trusted time the log's
or TSA's, each labelled; an entry that fails shows what is known of it (ledger entry, what it
claims, rule and message), never ``?`` or "None by None".
"""

from __future__ import annotations

import json

from testing.approvals import SignedRegistry, tamper_payload
from testing.ledger import add_entry, payload_of
from testing.local_tsa import local_tsa  # noqa: F401

from clinigate.approvals.approve import ActRequest, build_act

BACKDATED = "2026-01-05T09:00:00Z"
DEPLOYMENT = "models/sepsis-ews/deployment.yaml"


def sign_backdated(reg: SignedRegistry, person_id: str, role: str, signed_at: str = BACKDATED) -> None:
    """An act whose statement claims ``signed_at`` (as a signer's own clock could), without a TSA."""
    person = reg.person(person_id)
    statement, digest, _ = build_act(reg.git, ActRequest(reg.version_path, role, "approved", "reviewed",
                                                         signer_id=person_id))
    data = json.loads(statement)
    data["predicate"]["signed_at"] = signed_at
    bundle = reg.pki.signer(person).sign(json.dumps(data, sort_keys=True, separators=(",", ":")).encode())
    reg.append_raw(reg.version_path, digest, bundle)


def no_placeholders(text: str) -> None:
    assert " ? " not in text and "(?)" not in text and "None by None" not in text and "None" not in text, text


def test_without_a_tsa_the_claimed_time_is_signed_at_not_the_verifiers_clock(untimed_registry: SignedRegistry,
                                                                             run_cli) -> None:
    reg = untimed_registry
    sign_backdated(reg, "jlindqvist", "clinical_reviewer")
    shown = run_cli("verify", reg.version_path, cwd=reg.repo)
    assert shown.code == 0, shown.stdout + shown.stderr
    assert (f"trusted time: none (no Sigstore log or RFC 3161 timestamp vouches for it) · claimed time "
            f"{BACKDATED} (claimed by the signer)") in shown.stdout
    (row,) = json.loads(run_cli("verify", reg.version_path, "--format", "json", cwd=reg.repo).stdout)[
        "documents"][0]["approvals"]
    assert (row["time"], row["claimed_time"], row["trusted_time"]) == (BACKDATED, BACKDATED, None)
    assert (row["time_source"], row["time_trusted"]) == ("claimed", False)


def test_with_a_tsa_both_times_are_shown_and_labelled(signed_registry: SignedRegistry, local_tsa,  # noqa: F811
                                                      run_cli) -> None:
    reg = signed_registry  # trusts local_tsa
    issued = reg.pki.certificate(reg.person("jlindqvist"))
    signed = run_cli("approve", reg.version_path, "--role", "clinical_reviewer", "--decision", "approved",
                     "--reason", "ok", "--key", str(issued.key_path), "--allow-unencrypted-key", "--cert", str(issued.cert_path),
                     "--tsa", local_tsa.url, cwd=reg.repo)
    assert signed.code == 0, signed.stderr
    (row,) = json.loads(run_cli("verify", reg.version_path, "--format", "json", cwd=reg.repo).stdout)[
        "documents"][0]["approvals"]
    assert row["trusted_time"] and row["claimed_time"] and row["time"] == row["trusted_time"]
    shown = run_cli("verify", reg.version_path, cwd=reg.repo).stdout
    assert (f"trusted time {row['trusted_time']} (trusted: rfc3161) · claimed time {row['claimed_time']} "
            "(claimed by the signer)") in shown


def test_an_entry_that_fails_shows_what_is_known_of_it(signed_registry: SignedRegistry, run_cli) -> None:
    reg = signed_registry
    reg.approve_in_order(("ml_reviewer", "clinical_reviewer"))  # the quality approval below then counts
    act = reg.sign("kosei", "quality")
    forged = tamper_payload(act.bundle)
    reg.append_raw(reg.version_path, act.document_sha256, forged)
    # Not a bundle at all: one ledger finding on that file, never a verdict (approvals/ledger.py).
    add_entry(reg.repo, f"sepsis-ews/1.4.0/{act.document_sha256}/{'0' * 64}.sigstore.json",
              data=b'{"mediaType": "not a bundle"}')
    reg.sign("kosei", "clinical_reviewer", check_rules=False)  # verifies, but kosei holds no such role
    shown = run_cli("verify", reg.version_path, cwd=reg.repo)
    assert shown.code == 1
    no_placeholders(shown.stdout)
    assert "it claims (unverified): approved as quality by Kwame Osei (kosei)" in shown.stdout
    assert "why invalid: [approval.signature]" in shown.stdout and "INVALID ledger entry sepsis-ews/1.4.0/" in shown.stdout
    assert "[ledger.entry_bundle]" in shown.stdout
    assert "INVALID approved clinical_reviewer Kwame Osei (kosei)" in shown.stdout
    assert "why invalid: [approval.role_not_held]" in shown.stdout

    rows = json.loads(run_cli("verify", reg.version_path, "--format", "json", cwd=reg.repo).stdout)[
        "documents"][0]["approvals"]
    claims = [r["claimed"] for r in rows if r["rule"] == "approval.signature"]
    stated = json.loads(payload_of(forged))["predicate"]["signed_at"]  # what the tampered statement says
    assert stated and stated == json.loads(payload_of(act.bundle))["predicate"]["signed_at"]
    assert claims == [{"signer_id": "kosei", "printed_name": "Kwame Osei", "role": "quality",
                       "decision": "approved", "meaning": "approval", "signed_at": stated,
                       "document": reg.version_path}]

    gate = run_cli("check", "--base", "main", "--head", reg.branch, cwd=reg.repo)
    assert "None by None" not in gate.stdout
    assert "not counted: clinical_reviewer by Kwame Osei (kosei): [approval.role_not_held]" in gate.stdout
    assert ("; it claims (unverified): approved as quality by Kwame Osei (kosei): [approval.signature]"
            in gate.stdout)
    summary = run_cli("check", "--base", "main", "--head", reg.branch, "--format", "markdown", cwd=reg.repo)
    assert "Signatures:" in summary.stdout and "None" not in summary.stdout
    assert "- ✅ quality by Kwame Osei (kosei): approved" in summary.stdout
    # An unverified claim is anyone's words: in a job summary it is inert inline code.
    assert "it claims (unverified): `approved as quality by Kwame Osei (kosei)`" in summary.stdout
    assert "**approval.role_not_held**" in summary.stdout


def test_ledger_list_judges_each_act_at_the_default_branch_or_rev(signed_registry: SignedRegistry,
                                                                  run_cli) -> None:
    reg = signed_registry
    reg.sign("jlindqvist", "clinical_reviewer")
    reg.sign("kosei", "quality", DEPLOYMENT)  # a document that is on main too

    listed = run_cli("ledger", "list", cwd=reg.repo)
    assert listed.code == 0, listed.stderr
    assert "validity judged with the trust and roles of main" in listed.stdout
    no_placeholders(listed.stdout)
    blocks = listed.stdout.split("\n\n")
    (deployment,) = [b for b in blocks if b.startswith(DEPLOYMENT)]
    assert "approved as quality by Kwame Osei (kosei)\n    VALID\n" in deployment
    assert "(trusted: rfc3161)" in deployment and "(claimed by the signer)" in deployment
    assert "(a Git date: claimed)" in deployment
    (version,) = [b for b in blocks if b.startswith(reg.version_path)]
    assert "NOT JUDGED: models/sepsis-ews/versions/1.4.0.yaml is not at main" in version
    assert "it claims (unverified): approved as clinical_reviewer by Johanna Lindqvist, MD" in version
    assert listed.stdout.endswith("1 valid, 0 invalid, 1 not judged at main; 0 trust problems\n2 entries\n")

    on_branch = json.loads(run_cli("ledger", "list", "--rev", reg.branch, "--format", "json",
                                   cwd=reg.repo).stdout)
    by_document = {row["document"]: row for row in on_branch}
    row = by_document[reg.version_path]
    assert (row["valid"], row["role"], row["decision"], row["printed_name"]) == (
        True, "clinical_reviewer", "approved", "Johanna Lindqvist, MD")
    assert row["claimed_time"] and row["trusted_time"] and row["judged_at"] == reg.git.resolve(reg.branch)
    assert {"path", "document", "bundle", "committed_at", "act_id"} <= set(row)  # the shape stays
