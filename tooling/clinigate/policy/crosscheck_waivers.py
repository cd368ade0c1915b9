"""Crosscheck variations for waivers (``policies/waivers.rego``).

Each registry version is judged with the plan requiring a subgroup attribute it lacks and a waiver
of that finding signed, short of a signature, signed with the wrong meaning, expired (at and
before the gate's clock), of another version or field, of a rule not waivable, and without the
gate's clock; and a Waiver document is judged as the changed document. The engines must agree on
each (``crosscheck.registry_corpus``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from .. import layout

Variation = tuple[str, dict[str, Any]]
_NOW = 1_800_000_000
_PATH = layout.waiver_path("crosscheck", "W-1")


def _signed(role: str, **changes: Any) -> dict[str, Any]:
    return {"role": role, "signer": role, "valid": True, "decision": "approved", "meaning": "approval",
            "order": None, **changes}


def _waiver(version: str, **changes: Any) -> dict[str, Any]:
    return {"id": "W-1", "path": _PATH, "rule": "gates.subgroup_attribute_missing",
            "field": "validation.subgroups", "versions": [version], "expires": "2027-01-15T08:00:00Z",
            "expires_epoch": _NOW + 3600, "required_roles": ["regulatory", "quality"],
            "approvals": [_signed("regulatory"), _signed("quality")], **changes}


def _lacking_language(base: dict[str, Any], waivers: list[dict[str, Any]],
                      now: int | None = _NOW) -> dict[str, Any]:
    item = copy.deepcopy(base)
    for criteria in item["facts"]["criteria_e4"].values():
        required = criteria.get("required_subgroup_attributes", [])
        criteria["required_subgroup_attributes"] = [*required, "language"]
    item["facts"]["waivers"] = waivers
    if now is not None:
        item["facts"]["now_epoch"] = now
    return item


def waiver_variations(base: dict[str, Any]) -> Iterator[Variation]:
    version = base["subject"]["version"]
    cases: list[tuple[str, Callable[[], list[dict[str, Any]]]]] = [
        ("no waiver", lambda: []),
        ("a signed waiver in date", lambda: [_waiver(version)]),
        ("a waiver expiring now", lambda: [_waiver(version, expires_epoch=_NOW)]),
        ("an expired waiver", lambda: [_waiver(version, expires_epoch=_NOW - 1)]),
        ("a waiver short of quality", lambda: [_waiver(version, approvals=[_signed("regulatory")])]),
        ("a waiver signed for review only", lambda: [_waiver(version, approvals=[
            _signed("regulatory"), _signed("quality", meaning="review")])]),
        ("a waiver with an invalid signature", lambda: [_waiver(version, approvals=[
            _signed("regulatory"), _signed("quality", valid=False)])]),
        ("a waiver asking fewer roles than the data", lambda: [_waiver(
            version, required_roles=["regulatory"], approvals=[_signed("regulatory")])]),
        ("a waiver of a rule not waivable", lambda: [_waiver(version, rule="gates.auc_floor")]),
        ("a waiver of a waiver rule", lambda: [_waiver(version, rule="waiver.expired")]),
        ("a waiver of another version", lambda: [_waiver("0.0.1")]),
        ("a waiver of another field", lambda: [_waiver(version, field="training.dataset")]),
        ("a waiver of a parent field", lambda: [_waiver(version, field="validation")]),
        ("a waiver of any field", lambda: [_waiver(version, field=None)]),
        ("two waivers, one expired", lambda: [_waiver(version), _waiver(version, id="W-2", expires_epoch=1)]),
    ]
    for name, waivers in cases:
        yield f"lacking language · {name}", _lacking_language(base, waivers())
    yield "lacking language · a signed waiver without the gate's clock", _lacking_language(
        base, [_waiver(version)], now=None)
    for name, doc, facts in _documents(base):
        yield f"waiver document · {name}", _document_input(base, doc, facts)


def _documents(base: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    model = base["subject"]["model"]
    doc = {"apiVersion": "clinigate/v1", "kind": "Waiver", "id": "W-1", "model": model,
           "rule": "gates.subgroup_attribute_missing", "scope": {"versions": [base["subject"]["version"]]},
           "reason": "crosscheck", "expires": "2027-01-15T08:00:00Z", "required_roles": ["clinical_reviewer"],
           "submitted_by": "pnair"}
    in_date = {"waiver": {"expires_epoch": _NOW + 1}, "now_epoch": _NOW}
    yield "in date", doc, in_date
    yield "expired", doc, {"waiver": {"expires_epoch": _NOW}, "now_epoch": _NOW}
    yield "not waivable", {**doc, "rule": "gates.auc_floor"}, in_date
    yield "without the clock", doc, {"waiver": {"expires_epoch": _NOW + 1}}


def _document_input(base: dict[str, Any], doc: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    model = base["subject"]["model"]
    return {
        "subject": {"path": layout.waiver_path(model, "W-1"), "kind": "Waiver", "model": model,
                    "version": None, "change": "added", "merged_at_base": False},
        "manifest": doc, "base_manifest": None, "pccp": copy.deepcopy(base.get("pccp")),
        "model_doc": copy.deepcopy(base.get("model_doc")),
        "deployment": copy.deepcopy(base.get("deployment")),
        "facts": {"pccp_changed": False, "intended_use_changed": False,
                  "risk_class": base["facts"].get("risk_class"), **facts},
        "approvals": [_signed("regulatory"), _signed("quality", order=2)],
    }
