"""PCCP (``models/<m>/pccp.yaml``): the model's Predetermined Change Control Plan.

FDA PCCP guidance §IV.C: a Description of Modifications (the authorised change classes),
a Modification Protocol (their acceptance criteria) and an Impact Assessment. The planned
modifications themselves, each with its protocol and impact assessment, are in ``modifications``
(modification.py); the plan-level ``impact_assessment`` is the cumulative one.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from .authority import DisciplineExemption, ReviewOrder, ReviewStage, check_disciplines, check_review_order
from .modification import CumulativeImpactAssessment, Modification, check_modifications
from .significance import SignificanceRule, check_rules
from .values import (
    REQUIRED_DEMOGRAPHICS,
    ChangeClass,
    Count,
    Flag,
    Integer,
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
    require_external_validation: Flag = Field(default=False, description="no validation site may have "
                                              "contributed training or tuning data (gates.site_independence)")
    require_patient_overlap_check: Flag = Field(
        default=False,
        description="the version must declare validation.independence.patient_overlap "
                    "(gates.patient_overlap)",
    )

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
    # Before required_roles, whose validator reads it (manifest/authority.py, GMLP principle 1).
    discipline_exemption: DisciplineExemption | None = Field(
        None, description="disciplines (clinical, ml, quality_regulatory) this class's reviewers may "
        "lack, and why")
    required_roles: Annotated[list[Role], Field(min_length=1)]
    regulatory_action: RegulatoryAction
    review_order: ReviewOrder | None = Field(None, description="this class's review stages, instead of "
                                             "the plan's review_order")

    @field_validator("required_roles")
    @classmethod
    def _disciplines(cls, roles: list[Role], info: ValidationInfo) -> list[Role]:
        if "discipline_exemption" in info.data:  # absent when the exemption is itself invalid
            check_disciplines(roles, info.data["discipline_exemption"])
        return roles

    @field_validator("review_order")
    @classmethod
    def _order(cls, stages: list[ReviewStage] | None) -> list[ReviewStage] | None:
        check_review_order(stages)
        return stages


class LockedDataset(StrictModel):
    name: ShortText
    version: ShortText
    sha256: Sha256


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
    impact_assessment: CumulativeImpactAssessment | None = Field(
        default=None, description="the cumulative impact assessment of the plan's modifications "
        "(guidance §VIII); required once more than cumulative_assessment_after have shipped")
    cumulative_assessment_after: Annotated[Integer, Field(ge=0)] | None = Field(
        default=None, description="N: once more than N modifications have shipped, each further one "
        "needs impact_assessment covering the last one shipped (gates.cumulative_assessment)")
    change_classes: dict[ChangeClass, ChangeClassPlan]
    outside_pccp_significance: list[SignificanceRule] = Field(
        default_factory=list, description="the plan's significance assessment of classes it does not "
        "authorise: a non-significant one is routed to letter_to_file (policies/routing.rego)"
    )
    modifications: list[Modification] = Field(
        default_factory=list, description="the Description of Modifications: what versions cite in "
        "change.modification_id")
    review_order: ReviewOrder | None = Field(
        None, description="the order of reviews for every class without its own; null: the order in "
        "policies/data/approval_authority.yaml")

    @field_validator("change_classes")
    @classmethod
    def _classes(cls, value: dict[ChangeClass, ChangeClassPlan]) -> dict[ChangeClass, ChangeClassPlan]:
        missing = [c.value for c in ChangeClass if c not in value]
        if missing:
            raise ValueError(f"change_classes must list every class; missing: {', '.join(missing)}")
        if value[ChangeClass.NEW_INDICATION].authorised:
            raise ValueError("new_indication can never be authorised: it is outside any PCCP")
        return value

    @field_validator("outside_pccp_significance")
    @classmethod
    def _significance(cls, value: list[SignificanceRule], info: ValidationInfo) -> list[SignificanceRule]:
        check_rules(value, info.data.get("change_classes", {}))  # absent when change_classes is invalid
        return value
    @model_validator(mode="after")
    def _modifications(self) -> PCCP:
        check_modifications(self.modifications, {c for c, p in self.change_classes.items() if p.authorised})
        if self.impact_assessment is None and not self.modifications:
            raise ValueError("the plan needs an impact assessment: impact_assessment, or one per "
                             "modification in modifications")
        return self

    @field_validator("review_order")
    @classmethod
    def _order(cls, stages: list[ReviewStage] | None) -> list[ReviewStage] | None:
        check_review_order(stages)
        return stages
