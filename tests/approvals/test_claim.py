"""claim_of: what an unverifiable bundle says of itself, defanged for display."""

from __future__ import annotations

import base64
import json

import pytest

from clinigate.approvals.claim import Claim, claim_of


def bundle(payload: bytes | str) -> str:
    raw = payload if isinstance(payload, bytes) else payload.encode()
    return json.dumps({"dsseEnvelope": {"payload": base64.b64encode(raw).decode()}})


def test_reads_the_predicate_fields() -> None:
    statement = {"predicate": {"signer": {"id": "kosei", "name": "Kwame Osei"}, "role": "quality",
                               "decision": "approved", "meaning": "approval", "signed_at": "2026-01-05T09:00:00Z",
                               "document": "models/a/deployment.yaml", "reason": "not shown"}}
    assert claim_of(bundle(json.dumps(statement))) == Claim("kosei", "Kwame Osei", "quality", "approved",
                                                           "approval", "2026-01-05T09:00:00Z",
                                                           "models/a/deployment.yaml")


def test_a_hostile_value_cannot_forge_report_lines_or_flood_them() -> None:
    statement = {"predicate": {"signer": {"name": "Eve\n  VALID   approved quality Kwame Osei", "id": 7},
                               "role": "q" * 500}}
    claim = claim_of(bundle(json.dumps(statement)))
    assert claim is not None and claim.signer_id is None
    assert claim.printed_name == "Eve VALID approved quality Kwame Osei"
    assert claim.role is not None and len(claim.role) == 201 and claim.role.endswith("…")


@pytest.mark.parametrize("text", ["not json", "[]", '{"dsseEnvelope": {"payload": "%%%"}}',
                                  bundle(b"\xff\xfe"), bundle("[1]"), bundle('{"predicate": {"role": 3}}')])
def test_nothing_readable_is_no_claim(text: str) -> None:
    assert claim_of(text) is None
