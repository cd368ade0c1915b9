"""Where each document lives in a registry: the one place its paths are spelled (DESIGN §2).

    >>> version_path("sepsis-ews", "1.3.0")
    'models/sepsis-ews/versions/1.3.0.yaml'
    >>> parse("models/sepsis-ews/deployment.yaml")
    DocumentRef(kind='Deployment', model='sepsis-ews', version=None, report_id=None, waiver_id=None)
    >>> waiver_path("sepsis-ews", "W-1")
    'models/sepsis-ews/waivers/W-1.yaml'
    >>> path_of(DocumentRef("ModelVersion", "sepsis-ews", "1.3.0"))
    'models/sepsis-ews/versions/1.3.0.yaml'
    >>> schema_comment("models/sepsis-ews/deployment.yaml")
    '# yaml-language-server: $schema=../../schemas/deployment.schema.json\\n'
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
WAIVERS_DIR = "waivers"  # models/<m>/waivers/<id>.yaml: Waiver documents (signed, expiring exceptions)
EVIDENCE_DIR = "evidence"  # models/<m>/evidence/<version>/: predictions and evidence records
EVIDENCE_RECORD = "evidence.json"  # clinigate evaluate's record, beside the predictions
MODEL_FILE = "model.yaml"
PCCP_FILE = "pccp.yaml"
DEPLOYMENT_FILE = "deployment.yaml"
RISK_FILE = "risk.yaml"  # the model's risk register (ISO 14971 hazards and risk controls)
MODEL_FILES = (MODEL_FILE, PCCP_FILE, DEPLOYMENT_FILE, RISK_FILE)  # every model folder holds these four
POLICIES_DIR = "policies"
POLICY_DATA_DIR = f"{POLICIES_DIR}/data"
ROLES_PATH = f"{POLICY_DATA_DIR}/roles.yaml"
CHANGE_CONTROL_PATH = f"{POLICY_DATA_DIR}/change_control.yaml"
TRUST_DIR = f"{POLICIES_DIR}/trust"
TRUST_PATH = f"{TRUST_DIR}/trust.yaml"
MODEL_KEYS_DIR = f"{TRUST_DIR}/model-keys"  # public keys that sign model artifacts
SCHEMAS_DIR = "schemas"
SCHEMA_FILES = {  # document kind -> its JSON Schema under schemas/ (clinigate schema writes them)
    "ModelVersion": "model-version.schema.json",
    "Model": "model.schema.json",
    "PCCP": "pccp.schema.json",
    "Deployment": "deployment.schema.json",
    "Roles": "roles.schema.json",
    "Trust": "trust.schema.json",
    "MonitoringReport": "monitoring-report.schema.json",
    "RiskRegister": "risk-register.schema.json",
    "Waiver": "waiver.schema.json",
}

# The refs clinigate keeps beside the branches (approvals/ledger.py and audit/checkpoint.py own
# what is in them): the approval ledger, the heads this clone saw or wrote of it, the published
# head tags, and the signed checkpoints.
LEDGER_REF = "refs/heads/clinigate/ledger"
LEDGER_SEEN_PREFIX = "refs/clinigate/ledger-seen/"
LEDGER_WRITTEN_REF = "refs/clinigate/ledger-written"
LEDGER_HEAD_TAGS = "refs/tags/clinigate/ledger/"
CHECKPOINTS_REF = "refs/heads/clinigate/checkpoints"
# The gate's signed evaluation records (gate/evaluation.py): failures stay on record (B-13).
EVALUATIONS_REF = "refs/heads/clinigate/evaluations"

_MODEL_FILES = {MODEL_FILE: "Model", PCCP_FILE: "PCCP", DEPLOYMENT_FILE: "Deployment",
                RISK_FILE: "RiskRegister"}


@dataclass(frozen=True)
class DocumentRef:
    """Which document a path holds: its kind, and the model (and version, or report) it belongs to.

    :func:`parse` and :func:`path_of` are inverses: every module asks them instead of spelling
    ``models/<m>/versions/<v>.yaml`` itself.
    """

    kind: str
    model: str | None = None
    version: str | None = None
    report_id: str | None = None  # a MonitoringReport's id (models/<m>/monitoring/<id>.yaml)
    waiver_id: str | None = None  # a Waiver's id (models/<m>/waivers/<id>.yaml)


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


def waivers_dir(model: str) -> str:
    return f"{model_dir(model)}/{WAIVERS_DIR}"


def waiver_path(model: str, waiver_id: str) -> str:
    return f"{waivers_dir(model)}/{waiver_id}.yaml"


def model_file_path(model: str, name: str) -> str:
    """``name`` (one of :data:`MODEL_FILES`) in the model's folder."""
    return f"{model_dir(model)}/{name}"


def model_path(model: str) -> str:
    return model_file_path(model, MODEL_FILE)


def pccp_path(model: str) -> str:
    return model_file_path(model, PCCP_FILE)


def deployment_path(model: str) -> str:
    return model_file_path(model, DEPLOYMENT_FILE)


def risk_path(model: str) -> str:
    return model_file_path(model, RISK_FILE)


def model_of(path: str | PurePosixPath) -> str | None:
    """The model folder a path lies in (``models/<m>/…``), or None outside every model folder."""
    parts = PurePosixPath(path).parts
    return parts[1] if len(parts) > 2 and parts[0] == MODELS_DIR else None


def is_under_models(path: str) -> bool:
    """Whether a repository-relative path starts with ``models/`` (as spelled, not normalised)."""
    return path.startswith(f"{MODELS_DIR}/")


def parse(path: str | PurePosixPath) -> DocumentRef | None:
    """The document a repository-relative path must hold, or None if it is no clinigate document."""
    text = str(path)
    if text == ROLES_PATH:
        return DocumentRef("Roles")
    if text == TRUST_PATH:
        return DocumentRef("Trust")
    parts = PurePosixPath(text).parts
    if len(parts) == 3 and parts[0] == MODELS_DIR and parts[2] in _MODEL_FILES:
        return DocumentRef(_MODEL_FILES[parts[2]], parts[1])
    name = _yaml_stem(parts)
    if name is not None and parts[2] == VERSIONS_DIR:
        return DocumentRef("ModelVersion", parts[1], name)
    if name is not None and parts[2] == MONITORING_DIR:
        return DocumentRef("MonitoringReport", parts[1], report_id=name)
    if name is not None and parts[2] == WAIVERS_DIR:
        return DocumentRef("Waiver", parts[1], waiver_id=name)
    return None


def path_of(ref: DocumentRef) -> str:
    """Where the document ``ref`` names lives (the inverse of :func:`parse`)."""
    if ref.kind == "Roles":
        return ROLES_PATH
    if ref.kind == "Trust":
        return TRUST_PATH
    if ref.model is None:
        raise ValueError(f"a {ref.kind} belongs to a model")
    if ref.kind == "ModelVersion" and ref.version is not None:
        return version_path(ref.model, ref.version)
    if ref.kind == "MonitoringReport" and ref.report_id is not None:
        return monitoring_report_path(ref.model, ref.report_id)
    if ref.kind == "Waiver" and ref.waiver_id is not None:
        return waiver_path(ref.model, ref.waiver_id)
    names = {kind: name for name, kind in _MODEL_FILES.items()}
    if ref.kind in names:
        return model_file_path(ref.model, names[ref.kind])
    raise ValueError(f"{ref} names no document")


def schema_comment(path: str) -> str:
    """The first line of a document clinigate writes at ``path``: editors validate it against its
    kind's schema through this ``yaml-language-server`` comment, relative to the file's folder."""
    ref = parse(path)
    if ref is None:
        raise ValueError(f"{path} is not a clinigate document location")
    up = "../" * (len(PurePosixPath(path).parts) - 1)
    return f"# yaml-language-server: $schema={up}{SCHEMAS_DIR}/{SCHEMA_FILES[ref.kind]}\n"


def _yaml_stem(parts: tuple[str, ...]) -> str | None:
    """``<name>`` of ``models/<m>/<folder>/<name>.yaml``, or None for any other shape."""
    if (len(parts) == 4 and parts[0] == MODELS_DIR and parts[3].endswith(".yaml")
            and len(parts[3]) > len(".yaml")):
        return parts[3][: -len(".yaml")]
    return None
