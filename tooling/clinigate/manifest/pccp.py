"""PCCP (``models/<m>/pccp.yaml``): the model's Predetermined Change Control Plan.

FDA PCCP guidance §IV.C: a Description of Modifications (the authorised change classes),
a Modification Protocol (their acceptance criteria) and an Impact Assessment.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from .values import (
    REQUIRED_DEMOGRAPHICS,
    ChangeClass,
    Count,
    Flag,
    ModelName,
    Probability,
    RegulatoryAction,
    Role,
    Semver,
    Sha256,
    ShortText,
    StrictModel,
    SubgroupAttribute,
    Text,
)


class AcceptanceCriteria(StrictModel):
    min_auc: Probability
    max_subgroup_gap: Probability
    max_regression: Probability = Field(description="largest AUC drop allowed vs production")
    required_subgroup_attributes: Annotated[list[SubgroupAttribute], Field(min_length=1)]
    min_subgroup_n: Count
    require_locked_validation_set: Flag
    require_evidence: Flag = Field(default=False, description="the metrics must be computed by clinigate "
                                   "evaluate (validation.evidence), which check recomputes")

    @model_validator(mode="after")
    def _demographics_required(self) -> AcceptanceCriteria:
        missing = [a.value for a in REQUIRED_DEMOGRAPHICS if a not in self.required_subgroup_attributes]
        if missing:
            raise ValueError(f"required_subgroup_attributes must include {', '.join(missing)}")
        return self


class ChangeClassPlan(StrictModel):
    authorised: Flag
    risk_affecting: Flag = Field(description="changes of this class can affect risk controls: a version "
                                 "must cite the controls (risk.yaml) it affects (IEC 62304 §7.4)")
    description: Text
    acceptance: AcceptanceCriteria
    required_roles: Annotated[list[Role], Field(min_length=1)]
    regulatory_action: RegulatoryAction


class LockedDataset(StrictModel):
    name: ShortText
    version: ShortText
    sha256: Sha256


class ImpactAssessment(StrictModel):
    summary: Text
    document: ShortText = Field(description="controlled document id of the full assessment")


class PCCP(StrictModel):
    api_version: Literal["clinigate/v1"] = Field(alias="apiVersion")
    kind: Literal["PCCP"]
    model: ModelName
    title: ShortText
    version: ShortText = Field(description="the PCCP's own version, as cited in the authorisation")
    submission: ShortText | None = Field(description="submission that authorised this plan")
    authorised_baseline: Semver = Field(description="the originally authorised model version")
    locked_validation_set: LockedDataset
    reference_standard: ShortText = Field(description="the pinned reference standard's name")
    impact_assessment: ImpactAssessment
    change_classes: dict[ChangeClass, ChangeClassPlan]

    @field_validator("change_classes")
    @classmethod
    def _classes(cls, value: dict[ChangeClass, ChangeClassPlan]) -> dict[ChangeClass, ChangeClassPlan]:
        missing = [c.value for c in ChangeClass if c not in value]
        if missing:
            raise ValueError(f"change_classes must list every class; missing: {', '.join(missing)}")
        if value[ChangeClass.NEW_INDICATION].authorised:
            raise ValueError("new_indication can never be authorised: it is outside any PCCP")
        return value
