"""``approve`` refuses what the approval predicate would refuse: exit 2, the option and the rule.

Issue 10 item 8. Each of these used to end in "internal error: ValidationError" (or, for a
blank reason, in a signed act with no reason). Limits are read from ApprovalPredicate, the one
place they are written down, and nothing reaches the ledger when an argument is refused.
"""

from __future__ import annotations

import pytest
from testing import approvals as approval_fixtures
from testing.approvals import SignedRegistry

from clinigate.approvals.approve import ActRequest, ArgumentInvalid, check_request
from clinigate.approvals.attestation import ApprovalPredicate, Decision, Meaning
from clinigate.approvals.ledger import Ledger
from clinigate.cli.approve import DECISIONS, MEANINGS, ROLES
from clinigate.manifest.values import Role

# Fixtures used here by name (tests/security has no conftest of its own: several authors share it).
signed_registry = approval_fixtures.signed_registry


def limit(field: str, keyword: str) -> int:
    """A constraint of ApprovalPredicate's field, from its JSON Schema (e.g. reason maxLength)."""
    schema = ApprovalPredicate.model_json_schema()["properties"][field]
    return next(part[keyword] for part in (schema, *schema.get("anyOf", [])) if keyword in part)


MAX_REASON = limit("reason", "maxLength")
MAX_CHANGE_CLASS = limit("change_class", "maxLength")

REVOKED = ("--decision", "revoked")
CASES = {
    "empty reason": (("--reason", ""), "--reason", "approve.reason", "empty or only whitespace"),
    "blank reason": (("--reason", " \t "), "--reason", "approve.reason", "empty or only whitespace"),
    "overlong reason": (("--reason", "x" * (MAX_REASON + 1)), "--reason", "approve.reason",
                        f"a reason of {MAX_REASON + 1:,} characters is refused: String should have at most "
                        f"{MAX_REASON} characters"),
    "pr 0": (("--pr", "0"), "--pr", "approve.pr", "0 is refused: Input should be greater than 0"),
    "negative pr": (("--pr", "-7"), "--pr", "approve.pr", "-7 is refused"),
    "revokes zz": ((*REVOKED, "--revokes", "zz"), "--revokes", "approve.revokes", "'zz' is refused"),
    "revokes upper-case": ((*REVOKED, "--revokes", "AB" * 32), "--revokes", "approve.revokes", "is refused"),
    "overlong change class": (("--change-class", "c" * (MAX_CHANGE_CLASS + 1)), "--change-class",
                              "approve.change_class", f"at most {MAX_CHANGE_CLASS} characters"),
}


def approve(reg: SignedRegistry, run_cli, *extra: str, path: str | None = None):  # type: ignore[no-untyped-def]
    issued = reg.pki.certificate(reg.person("kosei"))
    options = {"--decision": "approved", "--reason": "reviewed"}
    rest: list[str] = []
    it = iter(extra)
    for option in it:
        value = next(it)
        if option in options:
            options[option] = value
        else:
            rest += [option, value]
    args = [a for pair in options.items() for a in pair]
    return run_cli("approve", path or reg.version_path, "--role", "quality", *args, *rest, "--key",
                   str(issued.key_path), "--allow-unencrypted-key", "--cert", str(issued.cert_path), cwd=reg.repo)


@pytest.mark.parametrize("name", CASES)
def test_a_refused_argument_is_a_usage_error_naming_option_and_rule(signed_registry: SignedRegistry, run_cli,
                                                                   name: str) -> None:
    reg = signed_registry
    extra, option, rule, fragment = CASES[name]
    result = approve(reg, run_cli, *extra)
    assert result.code == 2, result.stdout + result.stderr
    assert result.stderr.startswith(f"clinigate: error: {option}: "), result.stderr
    assert f"(rule {rule})" in result.stderr and fragment in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert "x" * 100 not in result.stderr  # a long reason is measured, not echoed
    assert Ledger(reg.git).entries() == []  # nothing was signed


def test_the_boundaries_themselves_are_accepted(signed_registry: SignedRegistry, run_cli) -> None:
    reg = signed_registry
    result = approve(reg, run_cli, "--reason", "x" * MAX_REASON, "--pr", "1",
                     "--change-class", "c" * MAX_CHANGE_CLASS)
    assert result.code == 0, result.stderr
    (entry,) = Ledger(reg.git).entries()
    assert entry.document_path == reg.version_path


def test_a_document_path_the_predicate_cannot_hold_is_refused_as_path(signed_registry: SignedRegistry,
                                                                     run_cli) -> None:
    result = approve(signed_registry, run_cli, path="models/Sepsis-EWS/model.yaml")
    assert result.code == 2 and "clinigate: error: PATH: " in result.stderr
    assert "(rule approve.path)" in result.stderr and "Traceback" not in result.stderr


def test_a_missing_trust_config_file_is_a_usage_error(signed_registry: SignedRegistry, run_cli) -> None:
    reg = signed_registry
    result = run_cli("approve", reg.version_path, "--role", "quality", "--decision", "approved", "--reason",
                     "ok", "--sigstore", "--trust-config", str(reg.repo / "nowhere.json"), cwd=reg.repo)
    assert result.code == 2 and "--trust-config" in result.stderr and "does not exist" in result.stderr


def test_a_signing_config_trust_yaml_names_but_lacks_is_a_trust_finding(signed_registry: SignedRegistry,
                                                                        run_cli) -> None:
    reg = signed_registry
    trust = reg.repo / "policies/trust/trust.yaml"
    trust.write_text(trust.read_text().replace("  trusted_root: public-good\n",
                                               "  trusted_root: public-good\n  signing_config: signing.json\n"))
    reg.commit("sign through a private Sigstore")
    result = run_cli("approve", reg.version_path, "--role", "quality", "--decision", "approved", "--reason",
                     "ok", "--sigstore", "--identity-token", "x", cwd=reg.repo)
    assert result.code == 1, result.stderr
    assert "policies/trust/trust.yaml:22:3: [trust.signing_config] sigstore.signing_config:" in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


def test_check_request_is_the_same_refusal_for_library_callers() -> None:
    request = ActRequest("models/sepsis-ews/versions/1.4.0.yaml", "quality", "approved", "ok", pull_request=0)
    with pytest.raises(ArgumentInvalid) as refused:
        check_request(request)
    assert (refused.value.option, refused.value.rule, refused.value.exit_code) == ("--pr", "approve.pr", 2)


def test_the_cli_choices_are_the_predicates() -> None:
    assert (MAX_REASON, MAX_CHANGE_CLASS, limit("pull_request", "exclusiveMinimum")) == (2000, 200, 0)
    # The CLI's literal choices (kept literal so --help stays fast) are the predicate's enums.
    assert set(ROLES) == {r.value for r in Role}
    assert set(DECISIONS) == {d.value for d in Decision}
    assert set(MEANINGS) == {m.value for m in Meaning}
