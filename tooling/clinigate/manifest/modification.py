"""The PCCP's modifications: its Description of Modifications, one entry per planned change.

FDA PCCP guidance §VI (a limited set of specific modifications), §VII (each with its modification
protocol) and §VIII (each with its impact assessment, plus a cumulative one for the plan;
regulatory.md §7 A-6, C-22). A ModelVersion names the modification it implements in
``change.modification_id``; the gates check that the plan declares it for the version's class.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, Strict, StringConstraints, field_validator

from .release import ReleaseModes
from .values import ChangeClass, Semver, ShortText, StrictModel, Text, unique

ModificationId = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9._-]{0,31}$"), Strict(),
    Field(description="the modification's id, as versions cite it in change.modification_id (e.g. M1)"),
]


class ImpactAssessment(StrictModel):
    summary: Text
    document: ShortText = Field(description="controlled document id of the full assessment")


class CumulativeImpactAssessment(ImpactAssessment):
    covers_through: Semver | None = Field(
        default=None,
        description="the newest version whose modification this assessment accounts for; absent: the "
                    "authorised baseline (the assessment as authorised with the plan)")


class ModificationProtocol(StrictModel):
    """How the modification is developed, validated and implemented (guidance §VII)."""

    document: ShortText = Field(description="controlled document id of the full protocol")
    development: Text = Field(description="data management and retraining: what may change and how")
    validation: Text = Field(description="performance evaluation: study design, metrics, acceptance")
    implementation: Text = Field(description="update procedures: rollout and user communication")


class Modification(StrictModel):
    id: ModificationId
    description: Text
    change_classes: Annotated[list[ChangeClass], Field(min_length=1)] = Field(
        description="the change classes a version implementing this modification may have")
    protocol: ModificationProtocol
    impact_assessment: ImpactAssessment = Field(description="this modification's own assessment")
    release: ReleaseModes | None = Field(
        default=None, description="the release modes the protocol allows; absent: any")

    @field_validator("change_classes")
    @classmethod
    def _classes(cls, value: list[ChangeClass]) -> list[ChangeClass]:
        unique([c.value for c in value], "change_classes")
        if ChangeClass.NEW_INDICATION in value:
            raise ValueError("a modification can never be a new_indication: it is outside any PCCP")
        return value


def check_modifications(modifications: list[Modification], authorised: set[ChangeClass]) -> None:
    """Ids are unique and every modification belongs to classes the plan authorises."""
    unique([m.id for m in modifications], "modification ids")
    for m in modifications:
        refused = [c.value for c in m.change_classes if c not in authorised]
        if refused:
            raise ValueError(f"modification {m.id} lists {', '.join(refused)}, which the plan does not "
                             "authorise (change_classes.<class>.authorised)")
