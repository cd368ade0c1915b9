"""``MonitoringReport``: what production looked like against a version's validated baseline.

Written by ``clinigate monitor`` to ``models/<model>/monitoring/<id>.yaml`` (DESIGN §14): input
drift (PSI per feature and for the score), discrimination and calibration now against the
manifest's values, each judged by the version's ``monitoring`` plan, and the triggers breached,
each naming the PCCP change class (modification) it starts. A later version cites the report
in ``change.problem_reports`` as ``monitoring/<id>``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, Strict

from .values import (
    ChangeClass,
    Count,
    Day,
    Flag,
    Interval,
    ModelName,
    Number,
    Probability,
    Semver,
    Sha256,
    ShortText,
    StrictModel,
    SubgroupAttribute,
    Text,
)

ReportId = Annotated[str, Strict(), Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$",
                                          description="the file name without .yaml, e.g. 2026-12-03-1.3.0")]
CITATION_PREFIX = "monitoring/"  # how change.problem_reports cites a report: monitoring/<id>


class InputFile(StrictModel):
    file: ShortText
    sha256: Sha256
    rows: Count
    used: Count


class Drift(StrictModel):
    feature: ShortText = Field(description="an input feature, or 'score' for the model's output")
    psi: Annotated[Number, Field(ge=0.0)]
    threshold: Annotated[Number, Field(gt=0.0)]
    breached: Flag


class Performance(StrictModel):
    attribute: SubgroupAttribute | None = Field(default=None, description="None: the whole population")
    group: ShortText | None = None
    n: Count
    auc_roc: Probability | None = Field(default=None,
                                        description="None when the period holds one outcome only")
    ci95: Interval | None = None
    validated_auc_roc: Probability | None = Field(default=None,
                                                  description="the manifest's value for this group")
    drop: Number | None = None
    max_drop: Probability
    breached: Flag


class Calibration(StrictModel):
    validated: Number
    current: Number | None = None


class Trigger(StrictModel):
    on: Literal["drift", "performance", "subgroup_performance"]
    what: Text
    starts: ChangeClass = Field(description="the PCCP change class (modification) this opens")
    modification: Text | None = Field(default=None, description="that class's description in the PCCP")


class MonitoringReport(StrictModel):
    api_version: Literal["clinigate/v1"] = Field(alias="apiVersion")
    kind: Literal["MonitoringReport"]
    id: ReportId
    model: ModelName
    version: Semver
    created: Day
    reference: InputFile
    current: InputFile
    drift: list[Drift]
    performance: Annotated[list[Performance], Field(min_length=1)]
    calibration_slope: Calibration | None = None
    triggers: list[Trigger] = Field(default_factory=list)
