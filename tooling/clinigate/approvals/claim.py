"""What a ledger entry says about itself when its signature did not verify.

    >>> claim_of(entry.text)   # doctest: +SKIP
    Claim(signer_id='jlindqvist', printed_name='Johanna Lindqvist, MD', role='clinical_reviewer', ...)

An auditor looking at a refused entry needs to know what it pretended to be (21 CFR 11.10(a):
discern invalid or altered records), not ``?``. Nothing here is verified and nothing decides
with it: renderers show it labelled as unverified, next to the rule that refused the entry.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import asdict, dataclass
from typing import Any

_MAX = 200  # an unverified value is shown, never trusted: keep a hostile one short


@dataclass(frozen=True)
class Claim:
    signer_id: str | None = None
    printed_name: str | None = None
    role: str | None = None
    decision: str | None = None
    meaning: str | None = None
    signed_at: str | None = None
    document: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)


def claim_of(bundle_text: str) -> Claim | None:
    """The predicate's fields as the DSSE payload states them, or None when nothing is readable."""
    predicate = _predicate(bundle_text)
    if predicate is None:
        return None
    signer = predicate.get("signer")
    signer = signer if isinstance(signer, dict) else {}
    claim = Claim(signer_id=_text(signer.get("id")), printed_name=_text(signer.get("name")),
                  role=_text(predicate.get("role")), decision=_text(predicate.get("decision")),
                  meaning=_text(predicate.get("meaning")), signed_at=_text(predicate.get("signed_at")),
                  document=_text(predicate.get("document")))
    return claim if any(claim.as_dict().values()) else None


def _predicate(bundle_text: str) -> dict[str, Any] | None:
    try:
        bundle = json.loads(bundle_text)
        payload = base64.b64decode(bundle["dsseEnvelope"]["payload"], validate=True)
        statement = json.loads(payload)
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    predicate = statement.get("predicate") if isinstance(statement, dict) else None
    return predicate if isinstance(predicate, dict) else None


def _text(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    flat = " ".join(value.split())  # no line breaks: a claim must not forge extra report lines
    return flat if len(flat) <= _MAX else flat[:_MAX] + "…"
