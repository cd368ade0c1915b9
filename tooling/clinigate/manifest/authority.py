"""Who signs a change, in which order and with what meaning (regulatory.md §7 B-17, D-30, D-31).

A PCCP states the order of reviews as stages, for the whole plan (``review_order``) or for one
change class (``change_classes.<class>.review_order``, which wins); a plan that states none is
reviewed in the order of ``policies/data/approval_authority.yaml``. An approval signed before every
required role of an earlier stage approved does not count (``policies/authority.rego``,
21 CFR 11.10(f))::

    review_order:
      - {stage: technical, roles: [ml_reviewer, security_reviewer]}
      - {stage: clinical, roles: [clinical_reviewer]}
      - {stage: quality_regulatory, roles: [quality, regulatory]}

Each class's ``required_roles`` must include a clinical, an ML and a quality or regulatory role
(GMLP principle 1: a multidisciplinary team), unless its ``discipline_exemption`` names the
discipline it does without and says why. The risk class an authority matrix column is chosen by
is the model's (``model.yaml`` ``regulatory.risk_class``), see :func:`risk_class_fact`.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated

from pydantic import Field, Strict, StringConstraints

from .model import Model
from .values import Role, StrictModel, Text

# policies/authority.rego unrolls the stages up to this many: keep the two in step.
MAX_STAGES = 5


class Discipline(StrEnum):
    CLINICAL = "clinical"
    ML = "ml"
    QUALITY_REGULATORY = "quality_regulatory"


# The same table is `disciplines` in policies/authority.rego (tests/manifest/test_authority.py).
DISCIPLINE_ROLES: dict[Discipline, frozenset[Role]] = {
    Discipline.CLINICAL: frozenset({Role.CLINICAL_REVIEWER}),
    Discipline.ML: frozenset({Role.ML_REVIEWER, Role.DATA_SCIENTIST}),
    Discipline.QUALITY_REGULATORY: frozenset({Role.QUALITY, Role.REGULATORY}),
}

# The authority matrix's columns, least to most stringent (policies/data/approval_authority.yaml).
RISK_CLASSES = ("non_device", "I", "II", "III")

StageName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$"), Strict()]


class ReviewStage(StrictModel):
    stage: StageName = Field(description="the stage's name, shown when an approval comes too early")
    roles: Annotated[list[Role], Field(min_length=1, description="roles that review at this stage")]


ReviewOrder = Annotated[list[ReviewStage], Field(
    min_length=1, max_length=MAX_STAGES,
    description="review stages, first to last: an approval counts only once every required role of "
                "the earlier stages has approved (policies/authority.rego)")]


def check_review_order(stages: Sequence[ReviewStage] | None) -> None:
    """Refuse an order in which a stage name or a role appears twice."""
    names: set[str] = set()
    stage_of: dict[Role, str] = {}
    for index, stage in enumerate(stages or ()):
        if stage.stage in names:
            raise ValueError(f"stage {index}: the name {stage.stage} is already used; name each stage once")
        names.add(stage.stage)
        for role in stage.roles:
            if role in stage_of:
                raise ValueError(f"stage {index} ({stage.stage}): {role.value} already reviews in the "
                                 f"{stage_of[role]} stage; a role reviews at one stage")
            stage_of[role] = stage.stage


class DisciplineExemption(StrictModel):
    """The plan's reason for a class whose reviewers lack a discipline (GMLP principle 1)."""

    disciplines: Annotated[list[Discipline], Field(min_length=1, max_length=len(Discipline) - 1,
                                                   description="the disciplines the class does without")]
    reason: Text = Field(description="why this class needs no review by them")


def check_disciplines(roles: Sequence[Role], exemption: DisciplineExemption | None) -> None:
    """Refuse required roles lacking a clinical, ML or quality/regulatory role the plan did not exempt."""
    held = set(roles)
    exempt = set(exemption.disciplines) if exemption else set()
    missing = [d for d in Discipline if d not in exempt and not DISCIPLINE_ROLES[d] & held]
    if missing:
        wanted = "; ".join(f"a role of the {d.value} discipline ({_roles_text(d)})" for d in missing)
        raise ValueError(f"required_roles must include {wanted} (GMLP principle 1: a multidisciplinary "
                         "review), or discipline_exemption must name the discipline with a reason")
    needless = [d.value for d in Discipline if d in exempt and DISCIPLINE_ROLES[d] & held]
    if needless:
        raise ValueError(f"discipline_exemption names {', '.join(needless)}, but required_roles include "
                         "a role of it: remove it from the exemption")


def _roles_text(discipline: Discipline) -> str:
    return " or ".join(sorted(r.value for r in DISCIPLINE_ROLES[discipline]))


def risk_class(model: object) -> str | None:
    """The model's column of the authority matrix; None when it cannot be told (then every column binds).

    A device's FDA class; ``non_device`` for non-device clinical decision support without one.
    """
    if not isinstance(model, Model):
        return None
    regulatory = model.regulatory
    if regulatory.risk_class is not None:
        return regulatory.risk_class
    return "non_device" if regulatory.pathway == "non_device_cds" else None


def risk_class_fact(head: object, base: object | None) -> str | None:
    """The stricter of the model's risk class at the base and at the head (``facts.risk_class``).

    A pull request that lowers its model's class is still judged by the class it had; ``base`` is
    None for a model that is new in the change.
    """
    classes = [risk_class(head)] if base is None else [risk_class(head), risk_class(base)]
    if any(c is None for c in classes):
        return None
    return max(classes, key=lambda c: RISK_CLASSES.index(c or ""))
