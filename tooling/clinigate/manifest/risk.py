"""RiskRegister (``models/<m>/risk.yaml``): the model's hazards and the risk controls that address them.

ISO 14971:2019 §4.5 asks that each hazard be traced to its analysis, evaluation, control and
verification; IEC 62304 §7.4 asks that each change be analysed for its effect on existing risk
controls. A version cites the controls its change affects in ``change.risk_controls_affected``
and the hazards it introduces in ``change.new_hazards``; the gates compare those with this
register (policies/risk.rego). The register is a summary that points into the risk management
file, not the file itself.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, Strict, StringConstraints, model_validator

from .values import ModelName, ShortText, StrictModel, unique

RISK_ID_PATTERN = r"^[A-Za-z][A-Za-z0-9]*([-_.][A-Za-z0-9]+)*$"
RiskId = Annotated[
    str, StringConstraints(pattern=RISK_ID_PATTERN, max_length=40), Strict(),
    Field(description="a hazard or risk-control id, e.g. H-7 or RC-04"),
]


class Hazard(StrictModel):
    id: RiskId
    description: ShortText = Field(description="the hazard and the harm it can lead to")


class RiskControl(StrictModel):
    id: RiskId
    description: ShortText
    hazards: Annotated[list[RiskId], Field(min_length=1, description="the hazards this control addresses")]
    iso14971_reference: ShortText = Field(
        description="where the control is analysed: an ISO 14971 clause (e.g. '§7.1') or the id of "
                    "the hazard analysis document")
    verification: ShortText | None = Field(
        default=None, description="how the control's effectiveness is verified (ISO 14971 §7.2)")


class RiskRegister(StrictModel):
    api_version: Literal["clinigate/v1"] = Field(alias="apiVersion")
    kind: Literal["RiskRegister"]
    model: ModelName
    risk_management_file: ShortText = Field(description="controlled document id of the ISO 14971 "
                                            "risk management file this register summarises")
    hazards: Annotated[list[Hazard], Field(min_length=1)]
    controls: Annotated[list[RiskControl], Field(min_length=1)]

    @model_validator(mode="after")
    def _references(self) -> RiskRegister:
        unique([h.id for h in self.hazards], "hazard ids")
        unique([c.id for c in self.controls], "control ids")
        known = {h.id for h in self.hazards}
        for control in self.controls:
            missing = [h for h in control.hazards if h not in known]
            if missing:
                raise ValueError(f"control {control.id} addresses {', '.join(missing)}, which hazards "
                                 f"does not list (hazards: {', '.join(sorted(known))})")
        return self

    def control_ids(self) -> list[str]:
        return sorted(c.id for c in self.controls)

    def hazard_ids(self) -> list[str]:
        return sorted(h.id for h in self.hazards)
