"""Data independence records of a ModelVersion (regulatory.md §7 B-11; GMLP principle 4).

A version's validation must be independent of its development data: by digest (never the same
set), by site (when the PCCP asks for external validation) and by patient (an overlap check whose
method and result the manifest declares). The policies judge them (``policies/independence.rego``);
these models only say what a manifest may record.

    validation:
      independence:
        patient_overlap:
          method: salted SHA-256 of the enterprise MRN compared across the extracts
          result: none_found
          checked_at: 2025-10-18
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .values import Day, Sha256, ShortText, StrictModel, UniqueTextList


class TuningDataset(StrictModel):
    """A data set used to select hyperparameters or stop training, held apart from the training set.

    Leave it out when tuning is done by cross-validation within the training set.
    """

    name: ShortText
    version: ShortText
    sha256: Sha256
    sites: UniqueTextList = Field(default_factory=list, description="the sites whose data it holds")


class PatientOverlapCheck(StrictModel):
    method: ShortText = Field(description="how patients were matched across the training (and tuning) "
                              "data and the validation set, e.g. a salted hash of the enterprise MRN")
    result: Literal["none_found", "found"] = Field(
        description="found: some validation patients are also in the development data (a deny)"
    )
    checked_at: Day | None = Field(default=None, description="the day the check was run")


class Independence(StrictModel):
    patient_overlap: PatientOverlapCheck | None = Field(
        default=None, description="the patient-level overlap check between development and validation "
        "data; required where the PCCP's acceptance criteria set require_patient_overlap_check"
    )
