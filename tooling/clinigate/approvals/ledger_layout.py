"""Where acts live on the ledger branch, and the refs beside it (DESIGN §6).

    >>> ledger_key("models/sepsis-ews/versions/1.3.0.yaml")
    ('sepsis-ews', '1.3.0')
    >>> document_path("sepsis-ews", "_deployment")
    'models/sepsis-ews/deployment.yaml'
    >>> ledger_key("models/sepsis-ews/waivers/W-7.yaml"), document_path("sepsis-ews", "_waiver.W-7")
    (('sepsis-ews', '_waiver.W-7'), 'models/sepsis-ews/waivers/W-7.yaml')

Every act is at ``<model>/<key>/<document_sha256>/<act_id>.sigstore.json``: the key is a
version, or ``_deployment``, ``_pccp``, ``_model`` or ``_risk`` for a model's own documents,
``_waiver.<id>`` for a waiver (``models/<m>/waivers/<id>.yaml``); governance
files are under ``_repo/<the file's whole path, percent-encoded>``. Paths of the registry itself
come from :mod:`clinigate.layout`, and so do the ref names (re-exported here under the names the
ledger modules use); this module owns only the names inside the ledger.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import quote, unquote

from .. import layout
from ..errors import UsageError
from ..manifest.semver import SEMVER_RE

LEDGER_REF = layout.LEDGER_REF
# Tips this clone has seen on each remote, and the last tip it wrote itself: a later ledger that
# does not descend from them was rewritten, which ref protection should have made impossible.
SEEN_PREFIX = layout.LEDGER_SEEN_PREFIX
WRITTEN_REF = layout.LEDGER_WRITTEN_REF
# Every tip `ledger push` publishes is also tagged on the remote, and `ledger fetch` brings the tags
# back: a fresh clone can then tell that the ledger was reset to an older commit (which would drop
# a revocation), as long as the tags are protected from deletion (a tag ruleset).
HEAD_TAGS = layout.LEDGER_HEAD_TAGS

BUNDLE_SUFFIX = ".sigstore.json"
MODEL_DOCUMENTS = {layout.DEPLOYMENT_FILE: "_deployment", layout.PCCP_FILE: "_pccp",
                   layout.MODEL_FILE: "_model", layout.RISK_FILE: "_risk"}
# Governance files (policies, workflows, the tool's code: DESIGN §13) are approved like documents;
# their acts live under this folder, keyed by the file's whole path, percent-encoded into one name.
REPO_FILES = "_repo"
WAIVER_PREFIX = "_waiver."  # + the waiver's id: models/<m>/waivers/<id>.yaml
MAX_PATH = 300
LAYOUT = f"<model>/<key>/<document_sha256>/<act_id>{BUNDLE_SUFFIX}"  # as problems spell it

_MODEL_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")  # manifest.values.ModelName
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_WAIVER_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")  # manifest.waiver.WaiverId


class NotALedgerDocument(UsageError):
    """Only version manifests, a model's own documents and waivers are approved."""


def ledger_key(path: str) -> tuple[str, str]:
    """(model, key) for an approvable document path; refuses anything else.

    ``models/m/versions/1.3.0.yaml`` -> ``("m", "1.3.0")``; ``models/m/deployment.yaml`` ->
    ``("m", "_deployment")``; likewise ``_pccp``, ``_model`` and ``_risk``.
    """
    if is_repository_file(path):
        return REPO_FILES, quote(path, safe="")
    parts = path.split("/")
    model = parts[1] if len(parts) > 2 and parts[0] == layout.MODELS_DIR else ""
    if _MODEL_RE.match(model):
        if len(parts) == 3 and parts[2] in MODEL_DOCUMENTS:
            return model, MODEL_DOCUMENTS[parts[2]]
        waiver = parts[3].removesuffix(".yaml") if len(parts) == 4 and parts[2] == layout.WAIVERS_DIR else ""
        if parts[-1].endswith(".yaml") and _WAIVER_ID_RE.match(waiver):
            return model, WAIVER_PREFIX + waiver
        in_versions = len(parts) == 4 and parts[2] == layout.VERSIONS_DIR
        version = parts[3].removesuffix(".yaml") if in_versions else ""
        if parts[-1].endswith(".yaml") and SEMVER_RE.match(version):
            return model, version
    raise NotALedgerDocument(
        f"{path!r} is not a document clinigate records approvals for",
        hint=f"approve {layout.version_path('<model>', '<semver>')}, a model's {layout.DEPLOYMENT_FILE}, "
             f"{layout.PCCP_FILE}, {layout.MODEL_FILE} or {layout.RISK_FILE}, a waiver "
             f"({layout.waiver_path('<model>', '<id>')}), or a governance file such as "
             f"{layout.POLICIES_DIR}/gates.rego",
    )


def is_repository_file(path: str) -> bool:
    """A plain relative path outside models/ (a governance file): no empty, '.' or '..' parts,
    no control characters, at most :data:`MAX_PATH` characters."""
    parts = path.split("/")
    return (0 < len(path) <= MAX_PATH and parts[0] != layout.MODELS_DIR
            and all(part not in ("", ".", "..") for part in parts)
            and not any(ord(c) < 0x20 or c == "\x7f" for c in path))


def document_path(model: str, key: str) -> str:
    """The inverse of :func:`ledger_key`."""
    if model == REPO_FILES:
        return unquote(key)
    names = {k: name for name, k in MODEL_DOCUMENTS.items()}
    if key.startswith(WAIVER_PREFIX):
        return layout.waiver_path(model, key.removeprefix(WAIVER_PREFIX))
    return layout.model_file_path(model, names[key]) if key in names else layout.version_path(model, key)


def entry_path(document: str, document_sha256: str, act_id: str) -> str:
    model, key = ledger_key(document)
    if not _SHA256_RE.match(document_sha256):
        raise UsageError(f"{document_sha256!r} is not a lower-case hex SHA-256 digest")
    return f"{model}/{key}/{document_sha256}/{act_id}{BUNDLE_SUFFIX}"


def parse_entry_path(path: str) -> tuple[str, str, str, str] | None:
    """(model, key, document_sha256, act_id) for a path in the layout, else None."""
    parts = path.split("/")
    if len(parts) != 4 or not parts[3].endswith(BUNDLE_SUFFIX):
        return None
    model, key, document_sha, name = parts
    act_id = name.removesuffix(BUNDLE_SUFFIX)
    if folder_in_layout(parts[:3]) and _SHA256_RE.match(act_id):
        return model, key, document_sha, act_id
    return None


def folder_in_layout(parts: Sequence[str]) -> bool:
    """Whether ``parts`` are the first folders of the layout: <model>/<key>/<document_sha256>."""
    if len(parts) > 3:
        return False
    digest_ok = len(parts) < 3 or bool(_SHA256_RE.match(parts[2]))
    if parts[0] == REPO_FILES:
        return digest_ok and (len(parts) < 2 or _repository_key(parts[1]))
    key_ok = len(parts) < 2 or parts[1] in MODEL_DOCUMENTS.values() or bool(SEMVER_RE.match(parts[1])) or (
        parts[1].startswith(WAIVER_PREFIX)
        and bool(_WAIVER_ID_RE.match(parts[1].removeprefix(WAIVER_PREFIX))))
    return bool(_MODEL_RE.match(parts[0])) and key_ok and digest_ok


def _repository_key(key: str) -> bool:
    """One canonical encoding per path, so the same file never has two folders."""
    path = unquote(key)
    return is_repository_file(path) and quote(path, safe="") == key


def entries_folder(document: str | None, digest: str | None, model: str | None) -> str:
    """The ledger folder holding one document's acts (all digests, or one), one model's, or all."""
    if document is not None:
        doc_model, key = ledger_key(document)
        return f"{doc_model}/{key}/" + (f"{digest}/" if digest else "")
    return f"{model}/" if model else ""


def under_digest(path: str | None, digest: str) -> bool:
    """Whether a problem at ``path`` (None: the whole ledger) may concern acts over ``digest``."""
    parts = (path or "").split("/")
    return len(parts) < 3 or parts[2] == digest
