"""Structured claims: the care settings, populations and indications a model card claims.

The free text of a model card, its intended use and release notes cannot be checked by a
machine; this list can. Each claim is compared with the model's intended use
(``model.yaml`` ``intended_use.care_settings`` / ``populations`` / ``indications``) and with what
the approved production deployment serves (``deployment.yaml``), by policies/claims.rego
(FDA PCCP guidance §VII.B(4): labeling must not describe what is not implemented).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, Strict, StringConstraints, model_validator

from .values import StrictModel, unique

# A term of the registry's own vocabulary: lower-case snake_case, so that a claim and an intended
# use compare as words, not as prose (emergency_department, inpatient_ward, icu, adult, pediatric).
Term = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$", max_length=60), Strict(),
    Field(description="a lower-case snake_case term, e.g. emergency_department, adult, sepsis_onset_6h"),
]
Terms = Annotated[list[Term], AfterValidator(lambda v: unique(v, "terms"))]


class Claim(StrictModel):
    """One use the model card claims: where (care setting), for whom (population), for what."""

    care_setting: Term | None = Field(default=None, description="the environment of care, e.g. icu")
    population: Term | None = Field(default=None, description="e.g. adult, pediatric, neonatal")
    indication: Term | None = Field(default=None, description="one of the intended use's indications")

    @model_validator(mode="after")
    def _names_something(self) -> Claim:
        if self.care_setting is None and self.population is None and self.indication is None:
            raise ValueError("a claim names a care_setting, a population or an indication (or several)")
        return self
