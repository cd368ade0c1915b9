"""Which document kind lives where, and the kind → model table."""

from __future__ import annotations

from pathlib import PurePosixPath

from pydantic import BaseModel

from .. import layout
from .deployment import Deployment
from .model import Model
from .monitoring_report import MonitoringReport
from .pccp import PCCP
from .risk import RiskRegister
from .roles import Roles
from .trust import Trust
from .version import ModelVersion
from .waiver import Waiver

DOCUMENT_TYPES: dict[str, type[BaseModel]] = {
    "ModelVersion": ModelVersion,
    "Model": Model,
    "PCCP": PCCP,
    "Deployment": Deployment,
    "Roles": Roles,
    "Trust": Trust,
    "MonitoringReport": MonitoringReport,
    "RiskRegister": RiskRegister,
    "Waiver": Waiver,
}

ROLES_PATH = PurePosixPath(layout.ROLES_PATH)
TRUST_PATH = layout.TRUST_PATH


def expected_kind(relpath: PurePosixPath) -> str | None:
    """The kind a repository-relative path must hold, or None if it is not a clinigate document."""
    place = layout.parse(relpath)
    return place.kind if place else None


__all__ = ["DOCUMENT_TYPES", "Deployment", "Model", "ModelVersion", "PCCP", "ROLES_PATH", "RiskRegister",
           "Roles", "TRUST_PATH", "Trust", "Waiver"]
