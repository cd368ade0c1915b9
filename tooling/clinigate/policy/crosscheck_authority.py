"""Crosscheck variations for the review order, the authority matrix and the disciplines.

Each registry version is judged with approvals in order, tied, out of order, without a time,
with each meaning at each risk class, under a class's and a plan's own order and one too long,
and as a changed PCCP whose classes lack a discipline, so that every branch of
``policies/authority.rego`` fires; the engines must agree on each (``crosscheck.registry_corpus``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from .. import layout

Variation = tuple[str, dict[str, Any]]

# The reviewing roles in the default review order's stages (policies/data/approval_authority.yaml).
_ROLES = ("ml_reviewer", "security_reviewer", "clinical_reviewer", "quality", "regulatory")
_MEANINGS = ("review", "approval", "responsibility", "authorship")


def _approval(role: str, order: int | None, meaning: str = "approval", valid: bool = True) -> dict[str, Any]:
    return {"role": role, "signer": role, "printed_name": f"A {role}", "valid": valid, "decision": "approved",
            "meaning": meaning, "order": order, "digest": None, "rule": None, "problem": None,
            "entry": f"ledger/{role}/{order}/{meaning}", "claimed": None}


def _with(base: dict[str, Any], approvals: list[dict[str, Any]], **facts: Any) -> dict[str, Any]:
    item = copy.deepcopy(base)
    item["approvals"] = approvals
    item["facts"].update(facts)
    return item


def _orders() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    yield "approvals in order", [_approval(r, i) for i, r in enumerate(_ROLES, start=1)]
    yield "approvals at one time", [_approval(r, 1) for r in _ROLES]
    yield "approvals in reverse order", [_approval(r, i) for i, r in enumerate(reversed(_ROLES), start=1)]
    yield "clinical first, then again", [_approval("clinical_reviewer", 1), *[
        _approval(r, i) for i, r in enumerate(_ROLES, start=2)]]
    yield "quality before a late clinical", [_approval("ml_reviewer", 1), _approval("quality", 2),
                                             _approval("clinical_reviewer", 3), _approval("regulatory", 4)]
    yield "an approval without a time", [_approval("ml_reviewer", 1), _approval("clinical_reviewer", None),
                                         _approval("quality", 3)]
    yield "a revoked technical approval", [_approval("ml_reviewer", None, valid=False),
                                           *[_approval(r, i) for i, r in enumerate(_ROLES[1:], start=1)]]


def _stages(*groups: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{"stage": f"stage_{i}", "roles": list(g)} for i, g in enumerate(groups)]


def _ordered_by(base: dict[str, Any], where: str, stages: list[dict[str, Any]]) -> dict[str, Any]:
    item = _with(base, [_approval(r, i) for i, r in enumerate(_ROLES, start=1)])
    pccp = item.get("pccp")
    if isinstance(pccp, dict):
        targets = pccp["change_classes"].values() if where == "class" else [pccp]
        for target in targets:
            target["review_order"] = stages
    return item


def authority_variations(base: dict[str, Any]) -> Iterator[Variation]:
    """Orders, meanings at each risk class, own orders, and a PCCP change without a discipline."""
    for name, approvals in _orders():
        yield name, _with(base, approvals)
    for risk in ("non_device", "I", "II", "III", None, "IV"):
        for meaning in _MEANINGS:
            approvals = [_approval(r, i, meaning) for i, r in enumerate(_ROLES, start=1)]
            yield f"every approval meaning {meaning} at risk class {risk}", _with(base, approvals,
                                                                                     risk_class=risk)
    reversed_order = _stages(("quality", "regulatory"), ("clinical_reviewer",), ("ml_reviewer",))
    yield "a class's own reversed order", _ordered_by(base, "class", reversed_order)
    yield "the plan's own reversed order", _ordered_by(base, "plan", reversed_order)
    six = _stages(*[(r,) for r in (*_ROLES, "data_scientist")])
    yield "an order of six stages", _ordered_by(base, "plan", six)
    yield from _pccp_changes(base)


def _pccp_changes(base: dict[str, Any]) -> Iterator[Variation]:
    pccp = base.get("pccp")
    if not isinstance(pccp, dict):
        return
    plans = ((["clinical_reviewer"], None), (["ml_reviewer", "clinical_reviewer", "quality"], None),
             (["clinical_reviewer"], {"disciplines": ["ml", "quality_regulatory"], "reason": "x"}),
             (["clinical_reviewer", "quality"], {"disciplines": ["ml"], "reason": " "}))
    for roles, exemption in plans:
        item = copy.deepcopy(base)
        item["subject"] = {**item["subject"], "kind": "PCCP", "path": layout.pccp_path(pccp["model"]),
                           "version": None, "change": "modified", "merged_at_base": True}
        item["manifest"] = copy.deepcopy(pccp)
        for plan in item["manifest"]["change_classes"].values():
            plan["required_roles"], plan["discipline_exemption"] = roles, exemption
        item["facts"]["pccp_changed"] = True
        yield f"a PCCP change: every class needs {'+'.join(roles)}, exemption {exemption}", item
