"""Repeated invalid signature attempts on one document are a misuse event in ``verify``
(21 CFR 11.300(d), issue 17 item 9): forged bundles, identities without the role, and the like,
counted per document against trust.yaml's ``misuse_threshold`` (default 3). A document edited
after its approvals is ordinary life, not an attempt.
"""

from __future__ import annotations

import json
from typing import Any

from testing.approvals import SignedRegistry, tamper_payload
from testing.files import replace_in


def _forge(reg: SignedRegistry, person_id: str, role: str, reason: str = "reviewed") -> None:
    act = reg.sign(person_id, role, reason=reason)
    reg.append_raw(reg.version_path, act.document_sha256, tamper_payload(act.bundle))


def _verify(reg: SignedRegistry, run_cli) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    result = run_cli("verify", reg.version_path, "--format", "json", cwd=reg.repo)
    assert result.code in (0, 1) and "Traceback" not in result.stderr, result.stderr
    return dict(json.loads(result.stdout))


def test_three_invalid_attempts_are_a_misuse_event_two_are_not(signed_registry: SignedRegistry, run_cli) -> None:
    reg = signed_registry
    _forge(reg, "kosei", "quality")
    _forge(reg, "jlindqvist", "clinical_reviewer")
    assert _verify(reg, run_cli)["misuse"] == []

    reg.sign("kosei", "clinical_reviewer", check_rules=False)  # a real signature, but kosei holds no such role
    (event,) = _verify(reg, run_cli)["misuse"]
    assert (event["path"], event["rule"], event["severity"]) == (reg.version_path, "approval.misuse", "warning")
    assert event["message"].startswith("3 invalid signature attempts on this document "
                                       "(approval.role_not_held, approval.signature), claimed by jlindqvist, kosei")
    shown = run_cli("verify", reg.version_path, cwd=reg.repo)
    assert f"misuse: {reg.version_path}: warning [approval.misuse] 3 invalid signature attempts" in shown.stdout
    assert shown.stdout.rstrip().endswith("1 misuse events")


def test_approvals_made_stale_by_an_edit_are_not_attempts(signed_registry: SignedRegistry, run_cli) -> None:
    reg = signed_registry
    for person_id, role in (("kosei", "quality"), ("jlindqvist", "clinical_reviewer"),
                            ("kosei", "regulatory")):
        reg.sign(person_id, role, check_rules=False)
    replace_in(reg.repo, reg.version_path, "summary: ", "summary: edited after approval, ")
    report = _verify(reg, run_cli)
    rules = {a["rule"] for a in report["documents"][0]["approvals"]}
    assert report["valid"] is False and rules and None not in rules, rules
    assert report["misuse"] == [], report["misuse"]


def test_the_threshold_is_trust_yamls(signed_registry: SignedRegistry, run_cli) -> None:
    reg = signed_registry
    trust = reg.repo / "policies/trust/trust.yaml"
    trust.write_text(trust.read_text() + "misuse_threshold: 1\n")
    reg.commit("report every invalid attempt")
    _forge(reg, "kosei", "quality")
    (event,) = _verify(reg, run_cli)["misuse"]
    assert event["message"].startswith("1 invalid signature attempt on this document") and "misuse_threshold of 1" in event["message"]
