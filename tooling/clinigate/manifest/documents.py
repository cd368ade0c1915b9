"""Which document kind lives where, and the kind → model table."""

from __future__ import annotations

from pathlib import PurePosixPath

from pydantic import BaseModel

from ..approvals.trust import TRUST_PATH, Trust
from .deployment import Deployment
from .model import Model
from .pccp import PCCP
from .roles import Roles
from .version import ModelVersion

DOCUMENT_TYPES: dict[str, type[BaseModel]] = {
    "ModelVersion": ModelVersion,
    "Model": Model,
    "PCCP": PCCP,
    "Deployment": Deployment,
    "Roles": Roles,
    "Trust": Trust,
}

ROLES_PATH = PurePosixPath("policies/data/roles.yaml")
_FIXED_NAMES = {"model.yaml": "Model", "pccp.yaml": "PCCP", "deployment.yaml": "Deployment"}


def expected_kind(relpath: PurePosixPath) -> str | None:
    """The kind a repository-relative path must hold, or None if it is not a clinigate document."""
    if relpath == ROLES_PATH:
        return "Roles"
    if str(relpath) == TRUST_PATH:
        return "Trust"
    parts = relpath.parts
    if len(parts) == 3 and parts[0] == "models" and parts[2] in _FIXED_NAMES:
        return _FIXED_NAMES[parts[2]]
    if len(parts) == 4 and parts[0] == "models" and parts[2] == "versions" and relpath.suffix == ".yaml":
        return "ModelVersion"
    return None


__all__ = ["DOCUMENT_TYPES", "Deployment", "Model", "ModelVersion", "PCCP", "ROLES_PATH", "Roles",
           "TRUST_PATH", "Trust"]
