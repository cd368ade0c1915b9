"""Constrained value types and vocabularies shared by every document."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, StringConstraints

from .semver import SEMVER_RE

API_VERSION = "clinigate/v1"


class StrictModel(BaseModel):
    """Base for every document part: a typo must never pass a compliance gate."""

    # Strictness lives in the field types (``Strict()`` on text and numbers) rather than
    # ``strict=True`` here, because strict mode would refuse enum values given as strings.
    model_config = ConfigDict(extra="forbid", frozen=True)


# The patterns of the constrained strings below, compiled once for code that checks a name or a
# digest before a document exists (propose, monitor).
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
GIT_COMMIT_RE = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
MODEL_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
MODEL_NAME_MAX = 63

Text = Annotated[str, StringConstraints(min_length=1, max_length=4000), Strict()]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200), Strict()]
Semver = Annotated[str, StringConstraints(pattern=SEMVER_RE.pattern), Strict()]
Sha256 = Annotated[
    str, StringConstraints(pattern=SHA256_RE.pattern), Strict(),
    Field(description="lower-case hex SHA-256 digest (64 characters)"),
]
GitCommit = Annotated[str, StringConstraints(pattern=GIT_COMMIT_RE.pattern), Strict()]
ModelName = Annotated[
    str, StringConstraints(pattern=MODEL_NAME_RE.pattern, max_length=MODEL_NAME_MAX), Strict(),
    Field(description="lower-case kebab-case; also the folder name under models/"),
]
PersonId = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9._-]{1,63}$"), Strict(),
    Field(description="a person id from policies/data/roles.yaml"),
]
Email = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"), Strict()
]
# GitHub's login rule: letters, digits and single hyphens, 1-39 characters, no leading hyphen.
GitHubLogin = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$"), Strict()]
GitHubId = Annotated[int, Strict(), Field(gt=0)]
Probability = Annotated[float, Strict(), Field(ge=0.0, le=1.0)]
Interval = Annotated[list[Probability], Field(min_length=2, max_length=2)]  # a 95% CI: [low, high]
Count = Annotated[int, Strict(), Field(gt=0)]
Flag = Annotated[bool, Strict()]
Number = Annotated[float, Strict()]
Integer = Annotated[int, Strict()]
Day = Annotated[date, Strict(False)]


class ChangeClass(StrEnum):
    INITIAL = "initial"
    METADATA_ONLY = "metadata_only"
    DATA_UPDATE = "data_update"
    HYPERPARAMETER_TUNING = "hyperparameter_tuning"
    FEATURE_ENGINEERING = "feature_engineering"
    ARCHITECTURE_CHANGE = "architecture_change"
    NEW_INDICATION = "new_indication"


class Role(StrEnum):
    DATA_SCIENTIST = "data_scientist"
    CLINICAL_REVIEWER = "clinical_reviewer"
    # Reviews the model as machine learning (data, method, validation) without having built it:
    # the ML discipline of GMLP principle 1, apart from the submitting data scientist.
    ML_REVIEWER = "ml_reviewer"
    SECURITY_REVIEWER = "security_reviewer"
    REGULATORY = "regulatory"
    QUALITY = "quality"


class SubgroupAttribute(StrEnum):
    """FDA lifecycle draft §X.A: sex, age, race, ethnicity, disease variables, site, equipment."""

    AGE_BAND = "age_band"
    SEX = "sex"
    RACE = "race"
    ETHNICITY = "ethnicity"
    CLINICAL = "clinical"
    SITE = "site"
    LANGUAGE = "language"
    INSURANCE = "insurance"
    DEVICE = "device"


# Demographic attributes every training and validation record must segment by.
REQUIRED_DEMOGRAPHICS = (
    SubgroupAttribute.AGE_BAND,
    SubgroupAttribute.SEX,
    SubgroupAttribute.RACE,
    SubgroupAttribute.ETHNICITY,
)


class Environment(StrEnum):
    SHADOW = "shadow"
    STAGING = "staging"
    PRODUCTION = "production"


class RegulatoryAction(StrEnum):
    NONE = "none"
    LETTER_TO_FILE = "letter_to_file"
    NEW_SUBMISSION = "new_submission"




def unique(items: list[str], what: str) -> list[str]:
    seen: set[str] = set()
    dupes = sorted({i for i in items if i in seen or seen.add(i)})  # type: ignore[func-returns-value]
    if dupes:
        raise ValueError(f"{what} must be unique; repeated: {', '.join(dupes)}")
    return items


UniqueTextList = Annotated[list[ShortText], AfterValidator(lambda v: unique(v, "entries"))]
