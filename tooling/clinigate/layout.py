"""Where each document lives in a registry: the one place its paths are spelled (DESIGN §2).

    >>> version_path("sepsis-ews", "1.3.0")
    'models/sepsis-ews/versions/1.3.0.yaml'
    >>> locate("models/sepsis-ews/deployment.yaml")
    DocumentPlace(kind='Deployment', model='sepsis-ews', version=None)
    >>> model_of("models/sepsis-ews/notes/README.md"), model_of("policies/gates.rego")
    ('sepsis-ews', None)

Paths are repository-relative POSIX strings, as Git spells them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

MODELS_DIR = "models"
VERSIONS_DIR = "versions"
MONITORING_DIR = "monitoring"  # models/<m>/monitoring/<id>.yaml: MonitoringReport documents
EVIDENCE_DIR = "evidence"  # models/<m>/evidence/<version>/: predictions and evidence records
EVIDENCE_RECORD = "evidence.json"  # clinigate evaluate's record, beside the predictions
MODEL_FILE = "model.yaml"
PCCP_FILE = "pccp.yaml"
DEPLOYMENT_FILE = "deployment.yaml"
MODEL_FILES = (MODEL_FILE, PCCP_FILE, DEPLOYMENT_FILE)  # every model folder holds these three
POLICIES_DIR = "policies"
POLICY_DATA_DIR = f"{POLICIES_DIR}/data"
ROLES_PATH = f"{POLICY_DATA_DIR}/roles.yaml"
CHANGE_CONTROL_PATH = f"{POLICY_DATA_DIR}/change_control.yaml"
TRUST_DIR = f"{POLICIES_DIR}/trust"
TRUST_PATH = f"{TRUST_DIR}/trust.yaml"
MODEL_KEYS_DIR = f"{TRUST_DIR}/model-keys"  # public keys that sign model artifacts
SCHEMAS_DIR = "schemas"

# The refs clinigate keeps beside the branches (approvals/ledger.py and audit/checkpoint.py own
# what is in them): the approval ledger, the heads this clone saw or wrote of it, the published
# head tags, and the signed checkpoints.
LEDGER_REF = "refs/heads/clinigate/ledger"
LEDGER_SEEN_PREFIX = "refs/clinigate/ledger-seen/"
LEDGER_WRITTEN_REF = "refs/clinigate/ledger-written"
LEDGER_HEAD_TAGS = "refs/tags/clinigate/ledger/"
CHECKPOINTS_REF = "refs/heads/clinigate/checkpoints"

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
    return f"{model_dir(model)}/{VERSIONS_DIR}"


def version_path(model: str, version: str) -> str:
    return f"{versions_dir(model)}/{version}.yaml"


def evidence_dir(model: str, version: str) -> str:
    """Where a version's predictions and evidence record live (not documents: no kind)."""
    return f"{model_dir(model)}/{EVIDENCE_DIR}/{version}"


def monitoring_dir(model: str) -> str:
    return f"{model_dir(model)}/{MONITORING_DIR}"


def monitoring_report_path(model: str, report_id: str) -> str:
    return f"{monitoring_dir(model)}/{report_id}.yaml"


def model_file_path(model: str, name: str) -> str:
    """``name`` (one of :data:`MODEL_FILES`) in the model's folder."""
    return f"{model_dir(model)}/{name}"


def model_path(model: str) -> str:
    return model_file_path(model, MODEL_FILE)


def pccp_path(model: str) -> str:
    return model_file_path(model, PCCP_FILE)


def deployment_path(model: str) -> str:
    return model_file_path(model, DEPLOYMENT_FILE)


def model_of(path: str | PurePosixPath) -> str | None:
    """The model folder a path lies in (``models/<m>/…``), or None outside every model folder."""
    parts = PurePosixPath(path).parts
    return parts[1] if len(parts) > 2 and parts[0] == MODELS_DIR else None


def is_under_models(path: str) -> bool:
    """Whether a repository-relative path starts with ``models/`` (as spelled, not normalised)."""
    return path.startswith(f"{MODELS_DIR}/")


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
    if (len(parts) == 4 and parts[0] == MODELS_DIR and parts[2] == MONITORING_DIR
            and parts[3].endswith(".yaml") and len(parts[3]) > len(".yaml")):
        return DocumentPlace("MonitoringReport", parts[1])
    return None
