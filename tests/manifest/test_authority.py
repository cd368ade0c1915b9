"""The review order, the disciplines and the risk class of manifest/authority.py (regulatory.md §7 B-17,
D-30, D-31), against the example registry and the policies that read the same tables."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from pydantic import ValidationError
from testing.fixtures import REPO_ROOT

from clinigate.manifest.authority import DISCIPLINE_ROLES, MAX_STAGES, risk_class, risk_class_fact
from clinigate.manifest.model import Model
from clinigate.manifest.pccp import PCCP
from clinigate.policy.bundle import load_bundle


def _doc(path: str) -> dict[str, Any]:
    loaded = yaml.safe_load((REPO_ROOT / path).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _pccp(**plan_edits: Any) -> dict[str, Any]:
    doc = _doc("models/sepsis-ews/pccp.yaml")
    doc["change_classes"]["data_update"].update(plan_edits)
    return doc


def _refusal(doc: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as raised:
        PCCP.model_validate(doc)
    return str(raised.value)


def test_the_example_plans_span_the_disciplines() -> None:
    for model in ("sepsis-ews", "readmission-30d"):
        plan = PCCP.model_validate(_doc(f"models/{model}/pccp.yaml"))
        exempt = plan.change_classes["metadata_only"].discipline_exemption  # type: ignore[index]
        assert exempt is not None and exempt.reason


def test_a_class_without_clinical_review_is_refused() -> None:
    problem = _refusal(_pccp(required_roles=["ml_reviewer", "quality"]))
    assert "required_roles must include a role of the clinical discipline (clinical_reviewer)" in problem


def test_a_peer_data_scientist_is_an_ml_role() -> None:
    PCCP.model_validate(_pccp(required_roles=["data_scientist", "clinical_reviewer", "regulatory"]))


def test_an_exemption_without_a_reason_is_refused_once() -> None:
    problem = _refusal(_pccp(required_roles=["clinical_reviewer", "quality"],
                             discipline_exemption={"disciplines": ["ml"]}))
    assert "discipline_exemption.reason" in problem and "required_roles must include" not in problem


def test_an_exemption_of_every_discipline_is_refused() -> None:
    problem = _refusal(_pccp(discipline_exemption={"disciplines": ["clinical", "ml", "quality_regulatory"],
                                                   "reason": "nobody needs to look"}))
    assert "discipline_exemption.disciplines" in problem


def test_a_review_order_of_more_stages_than_the_policies_unroll_is_refused() -> None:
    stages = [{"stage": f"s{i}", "roles": [role]} for i, role in enumerate(
        ["ml_reviewer", "security_reviewer", "data_scientist", "clinical_reviewer", "quality", "regulatory"])]
    assert len(stages) == MAX_STAGES + 1
    doc = _doc("models/sepsis-ews/pccp.yaml")
    doc["review_order"] = stages
    assert "review_order" in _refusal(doc)


def test_a_stage_named_twice_is_refused() -> None:
    doc = _doc("models/sepsis-ews/pccp.yaml")
    doc["review_order"] = [{"stage": "review", "roles": ["ml_reviewer"]}, {"stage": "review", "roles": ["quality"]}]
    assert "the name review is already used" in _refusal(doc)


def test_the_risk_class_is_the_stricter_of_base_and_head() -> None:
    sepsis = Model.model_validate(_doc("models/sepsis-ews/model.yaml"))
    readmission = Model.model_validate(_doc("models/readmission-30d/model.yaml"))
    lowered = sepsis.model_copy(update={"regulatory": sepsis.regulatory.model_copy(update={"risk_class": "I"})})
    assert (risk_class(sepsis), risk_class(readmission)) == ("II", "non_device")
    assert risk_class_fact(lowered, sepsis) == "II" and risk_class_fact(sepsis, lowered) == "II"
    assert risk_class_fact(lowered, None) == "I"  # a model new in the change: its own class
    assert risk_class_fact(None, sepsis) is None  # head's model.yaml does not load: unknown, every column binds
    undeclared = sepsis.model_copy(update={"regulatory": sepsis.regulatory.model_copy(update={"risk_class": None})})
    assert risk_class(undeclared) is None  # a 510(k) device without a class is not taken for non-device


def test_the_policies_read_the_same_discipline_table() -> None:
    from clinigate.policy.engine import make_engine

    engine = make_engine("embedded")
    try:
        engine.load(load_bundle(REPO_ROOT))
        table = engine.evaluate("clinigate.authority.disciplines", {})
    finally:
        engine.close()
    assert {k: set(v) for k, v in table.items()} == {d.value: {r.value for r in roles}
                                                       for d, roles in DISCIPLINE_ROLES.items()}


def test_the_policy_data_matrix_names_known_roles_meanings_and_classes() -> None:
    from clinigate.approvals.attestation import Meaning
    from clinigate.manifest.authority import RISK_CLASSES
    from clinigate.manifest.values import Role

    data = load_bundle(REPO_ROOT).data["clinigate"]["approval_authority"]
    for role, meanings in data["signature_meanings"].items():
        assert role in {r.value for r in Role}
        for meaning, classes in meanings.items():
            assert meaning in {m.value for m in Meaning} and meaning != "authorship"
            assert set(classes) <= set(RISK_CLASSES)
    assert [s["stage"] for s in data["review_order"]] == ["technical", "clinical", "quality_regulatory"]
