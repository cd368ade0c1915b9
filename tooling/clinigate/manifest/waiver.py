"""``Waiver`` (``models/<m>/waivers/<id>.yaml``): a signed, expiring exception to one gate rule.

DESIGN §5 follows conftest: ``deny`` blocks, ``warn`` is reported, ``exception`` is a waiver. A
waiver names the rule it lifts, the versions (and optionally the field) it covers, why, until
when, and the roles that must sign it. It counts only while every one of those roles has a valid
approval over the waiver's exact bytes and before it expires; which rules may be waived at all,
and the fewest roles each needs, come from the base revision's ``policies/data/waiver_rules.yaml``
(policies/waivers.rego). A waived finding is still reported, as waived.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field, Strict, StringConstraints

from .values import ModelName, PersonId, Role, Semver, ShortText, StrictModel, Text, unique

WAIVER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$"
WaiverId = Annotated[str, StringConstraints(pattern=WAIVER_ID_PATTERN), Strict(),
                     Field(description="the file name without .yaml, e.g. W-2026-07")]
RuleId = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$", max_length=100), Strict(),
    Field(description="the id of the gate rule waived, e.g. gates.subgroup_attribute_missing"),
]
Expiry = Annotated[
    AwareDatetime, Strict(False),
    Field(description="RFC 3339 time with an offset (e.g. 2027-01-31T00:00:00Z) after which the waiver "
                      "no longer counts and fails the gate"),
]


def _unique_versions(versions: list[str]) -> list[str]:
    return unique(versions, "scope.versions")


def _unique_roles(roles: list[Role]) -> list[Role]:
    unique([r.value for r in roles], "required_roles")
    return roles


class WaiverScope(StrictModel):
    versions: Annotated[list[Semver], Field(min_length=1, description="the model versions the waiver covers"),
                        AfterValidator(_unique_versions)]
    field: ShortText | None = Field(default=None, description="only findings on this manifest field path "
                                    "(e.g. validation.subgroups); null: any finding of the rule")


class Waiver(StrictModel):
    api_version: Literal["clinigate/v1"] = Field(alias="apiVersion")
    kind: Literal["Waiver"]
    id: WaiverId
    model: ModelName
    rule: RuleId
    scope: WaiverScope
    reason: Text = Field(description="why the finding is accepted (21 CFR 11 reason), and what mitigates it")
    expires: Expiry
    required_roles: Annotated[list[Role], Field(min_length=1, description="the roles that must sign the "
                              "waiver; the policy data may add more"), AfterValidator(_unique_roles)]
    submitted_by: PersonId

    def expires_epoch(self) -> int:
        """Seconds since 1970 UTC, which the policies compare with the gate's clock (Rego parses no time)."""
        return int(self.expires.timestamp())


def now_epoch() -> int:
    """The gate's own clock: a pull request never supplies the time a waiver is judged at."""
    return int(datetime.now(UTC).timestamp())
