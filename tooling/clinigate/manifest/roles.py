"""Roles (``policies/data/roles.yaml``): who may submit and who may approve, and their printed names.

The printed name is what every signature manifestation shows (21 CFR 11.50).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from .values import Email, GitHubId, GitHubLogin, PersonId, Role, ShortText, StrictModel


class Person(StrictModel):
    id: PersonId
    name: ShortText = Field(description="printed name shown on every signature")
    github: GitHubLogin
    # The numeric id GitHub never reassigns: a login can be renamed and then registered by
    # someone else, so the approval workflow maps a review to a person by both (github/record.py).
    github_id: GitHubId | None = Field(None, description="numeric GitHub user id "
                                       "(gh api users/LOGIN --jq .id)")
    email: Email
    roles: Annotated[list[Role], Field(min_length=1)]
    title: ShortText | None = None


class Roles(StrictModel):
    api_version: Literal["clinigate/v1"] = Field(alias="apiVersion")
    kind: Literal["Roles"]
    people: Annotated[list[Person], Field(min_length=1)]

    @field_validator("people")
    @classmethod
    def _unique(cls, people: list[Person]) -> list[Person]:
        for attr in ("id", "github", "email", "github_id"):
            seen: set[str] = set()
            for person in people:
                if getattr(person, attr) is None:
                    continue
                value = str(getattr(person, attr)).lower()
                if value in seen:
                    raise ValueError(f"two people share the {attr} {value!r}")
                seen.add(value)
        return people

    def person(self, person_id: str) -> Person | None:
        return next((p for p in self.people if p.id == person_id), None)

    def by_github(self, login: str) -> Person | None:
        """The person with this GitHub login (GitHub logins are case-insensitive)."""
        return next((p for p in self.people if p.github.lower() == login.lower()), None)
