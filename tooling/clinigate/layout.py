"""Where each document lives in a registry: the one place its paths are spelled (DESIGN §2).

    >>> version_path("sepsis-ews", "1.3.0")
    'models/sepsis-ews/versions/1.3.0.yaml'
    >>> locate("models/sepsis-ews/deployment.yaml")
    DocumentPlace(kind='Deployment', model='sepsis-ews', version=None)

Paths are repository-relative POSIX strings, as Git spells them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

MODELS_DIR = "models"
VERSIONS_DIR = "versions"
MODEL_FILE = "model.yaml"
PCCP_FILE = "pccp.yaml"
DEPLOYMENT_FILE = "deployment.yaml"
POLICIES_DIR = "policies"
POLICY_DATA_DIR = "policies/data"
ROLES_PATH = "policies/data/roles.yaml"
TRUST_DIR = "policies/trust"
TRUST_PATH = "policies/trust/trust.yaml"
CHANGE_CONTROL_PATH = "policies/data/change_control.yaml"
SCHEMAS_DIR = "schemas"

_MODEL_FILES = {MODEL_FILE: "Model", PCCP_FILE: "PCCP", DEPLOYMENT_FILE: "Deployment"}


@dataclass(frozen=True)
class DocumentPlace:
    """What a path is: its document kind, and the model (and version) it belongs to."""

    kind: str
    model: str | None = None
    version: str | None = None


def model_dir(model: str) -> str:
    return f"{MODELS_DIR}/{model}"


def versions_dir(model: str) -> str:
    return f"{MODELS_DIR}/{model}/{VERSIONS_DIR}"


def version_path(model: str, version: str) -> str:
    return f"{MODELS_DIR}/{model}/{VERSIONS_DIR}/{version}.yaml"


def model_path(model: str) -> str:
    return f"{MODELS_DIR}/{model}/{MODEL_FILE}"


def pccp_path(model: str) -> str:
    return f"{MODELS_DIR}/{model}/{PCCP_FILE}"


def deployment_path(model: str) -> str:
    return f"{MODELS_DIR}/{model}/{DEPLOYMENT_FILE}"


def locate(path: str | PurePosixPath) -> DocumentPlace | None:
    """The document a repository-relative path must hold, or None if it is no clinigate document."""
    text = str(path)
    if text == ROLES_PATH:
        return DocumentPlace("Roles")
    if text == TRUST_PATH:
        return DocumentPlace("Trust")
    parts = PurePosixPath(text).parts
    if len(parts) == 3 and parts[0] == MODELS_DIR and parts[2] in _MODEL_FILES:
        return DocumentPlace(_MODEL_FILES[parts[2]], parts[1])
    if (len(parts) == 4 and parts[0] == MODELS_DIR and parts[2] == VERSIONS_DIR
            and parts[3].endswith(".yaml") and len(parts[3]) > len(".yaml")):
        return DocumentPlace("ModelVersion", parts[1], parts[3][: -len(".yaml")])
    return None
