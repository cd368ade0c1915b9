"""``validation.evidence``: where a version's numbers came from, so the gate can recompute them.

Written by ``clinigate evaluate --into`` (DESIGN §14). The predictions file is named by a path in
the repository (re-derived by ``check`` from the revision under review) or by an MLflow run
artifact (``runs:/<run id>/<path>``); each with its SHA-256, so a file swapped after the fact is
a mismatch, not a quiet change of evidence.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, Strict, model_validator

from .. import layout
from .values import Sha256, ShortText, StrictModel, SubgroupAttribute

# Repository-relative POSIX path: no leading slash, no "." or ".." segment (each segment holds a
# character that is not a dot), no backslash or space.
_SEGMENT = r"\.*[A-Za-z0-9_+-][A-Za-z0-9._+-]*"
RepoPath = Annotated[str, Strict(), Field(
    pattern=rf"^{_SEGMENT}(/{_SEGMENT})*$", max_length=300,
    description="a path in this repository, e.g. "
                f"{layout.evidence_dir('sepsis-ews', '1.4.0')}/predictions.csv")]
RunArtifact = Annotated[str, Strict(), Field(pattern=r"^runs:/[0-9a-f]{32}/\S{1,300}$",
                                             description="an MLflow run artifact: runs:/<run id>/<path>")]


class EvidenceFile(StrictModel):
    path: RepoPath | None = None
    uri: RunArtifact | None = None
    sha256: Sha256

    @model_validator(mode="after")
    def _one_place(self) -> EvidenceFile:
        if (self.path is None) == (self.uri is None):
            raise ValueError("name the file by exactly one of path (in this repository) or uri (runs:/…)")
        return self

    @property
    def where(self) -> str:
        return self.path or self.uri or ""


class Evidence(StrictModel):
    predictions: EvidenceFile
    record: EvidenceFile = Field(description="the evidence JSON clinigate evaluate wrote")
    label: ShortText = Field(description="the predictions file's outcome column")
    score: ShortText = Field(description="the predictions file's score column")
    subgroups: Annotated[list[SubgroupAttribute], Field(min_length=1)]
    ci_method: Literal["delong", "bootstrap"] = "delong"
    resamples: Annotated[int, Strict(), Field(ge=20, le=100_000)] | None = None
    seed: Annotated[int, Strict(), Field(ge=0, le=2**32 - 1)] | None = None
