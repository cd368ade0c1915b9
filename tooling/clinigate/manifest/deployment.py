"""Deployment (``models/<m>/deployment.yaml``): the desired state that sync makes MLflow follow."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from .claims import Terms
from .values import Environment, Integer, ModelName, Semver, StrictModel, Text, UniqueTextList


class Target(StrictModel):
    version: Semver
    strategy: Literal["shadow", "canary", "full"]
    canary_percent: Annotated[Integer, Field(ge=1, le=99)] | None = None
    sites: UniqueTextList | None = Field(
        default=None, description="the sites this environment serves (names as in "
        "training.dataset.sites); a local release may run here only if it lists every one")
    # What this environment serves, compared with model-card claims (claims.py; production only).
    care_settings: Terms = Field(default_factory=list, description="care settings where it runs, e.g. icu")
    populations: Terms = Field(default_factory=list, description="populations it serves, e.g. adult")

    @model_validator(mode="after")
    def _canary(self) -> Target:
        if self.strategy == "canary" and self.canary_percent is None:
            raise ValueError("strategy canary needs canary_percent (1-99)")
        if self.strategy != "canary" and self.canary_percent is not None:
            raise ValueError(f"canary_percent only applies to strategy canary, not {self.strategy}")
        return self


class DeploymentChange(StrictModel):
    rationale: Text


class Deployment(StrictModel):
    api_version: Literal["clinigate/v1"] = Field(alias="apiVersion")
    kind: Literal["Deployment"]
    model: ModelName
    environments: dict[Environment, Target]
    rollback_target: Semver | None
    change: DeploymentChange

    @model_validator(mode="after")
    def _shadow(self) -> Deployment:
        for env, target in self.environments.items():
            if (env == Environment.SHADOW) != (target.strategy == "shadow"):
                raise ValueError(
                    f"environment {env.value} cannot use strategy {target.strategy}: "
                    "strategy shadow belongs to the shadow environment only"
                )
        return self
