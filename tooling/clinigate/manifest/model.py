"""Model (``models/<m>/model.yaml``): intended use and regulatory identity of one clinical model.

The intended-use block is what decides whether a change is inside any PCCP at all
(PCCP guidance §VI.C, App. B) and carries HTI-1 source attributes 5–10.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from .claims import Terms
from .values import Email, Integer, ModelName, ShortText, StrictModel, Text


class AgeRange(StrictModel):
    min_years: Annotated[Integer, Field(ge=0, le=130)]
    max_years: Annotated[Integer, Field(ge=0, le=130)] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> AgeRange:
        if self.max_years is not None and self.max_years < self.min_years:
            raise ValueError(f"max_years {self.max_years} is below min_years {self.min_years}")
        return self


class Population(StrictModel):
    description: Text
    age: AgeRange
    inclusion: Annotated[list[ShortText], Field(min_length=1)]
    exclusions: Annotated[list[ShortText], Field(min_length=1)]


class Output(StrictModel):
    type: Literal["probability", "score", "classification", "alert"]
    description: Text


class IntendedUse(StrictModel):
    purpose: Text
    indication: Text
    population: Population
    setting: Text
    users: Annotated[list[ShortText], Field(min_length=1)]
    out_of_scope: Annotated[list[ShortText], Field(min_length=1)]
    decision_role: Literal["informs", "augments", "replaces"] = Field(
        description="HTI-1 attribute 8: does the output inform, augment or replace a decision"
    )
    output: Output
    # The structured counterparts of setting, population and indication: what model-card claims are
    # compared with (claims.py). Free text above stays the description people read.
    care_settings: Terms = Field(default_factory=list, description="care settings the intended use "
                                 "covers, e.g. inpatient_ward, icu")
    populations: Terms = Field(default_factory=list, description="populations it covers, e.g. adult")
    indications: Terms = Field(default_factory=list, description="indications it covers, as terms")


class Regulatory(StrictModel):
    pathway: Literal["510k", "de_novo", "pma", "non_device_cds", "enforcement_discretion"]
    clearance: ShortText | None = Field(description="clearance or submission number; null if none")
    risk_class: Literal["I", "II", "III"] | None = Field(
        description="FDA device class; null for software that is not a device (non_device_cds)"
    )


class Developer(StrictModel):
    organisation: ShortText
    contact: Email
    funding: ShortText


class Model(StrictModel):
    api_version: Literal["clinigate/v1"] = Field(alias="apiVersion")
    kind: Literal["Model"]
    name: ModelName
    display_name: ShortText
    description: Text
    developer: Developer
    intended_use: IntendedUse
    regulatory: Regulatory
    owners: Annotated[
        list[Annotated[str, Field(pattern=r"^@[A-Za-z0-9-]+(/[A-Za-z0-9._-]+)?$")]],
        Field(min_length=1, description="GitHub users or teams (@org/team) that own this model"),
    ]
