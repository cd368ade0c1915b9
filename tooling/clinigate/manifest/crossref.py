"""Checks that span documents: names match their folders, lineage and people exist.

They need only the documents being validated plus file existence and roles.yaml, so a
pull request touching one model is checked without reading the rest of the registry.
trust.yaml's certificate and Sigstore files are checked the way the gate will load them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from .. import layout
from ..approvals.trust import Trust
from .deployment import Deployment
from .loader import LoadedFile
from .model import Model
from .pccp import PCCP
from .roles import Roles
from .semver import SemverKey
from .values import Role
from .version import ModelVersion

if TYPE_CHECKING:
    from ..approvals.trust_files import Reader

VersionExists = Callable[[str, str], bool]


def check(files: Iterable[LoadedFile], roles: Roles | None, version_exists: VersionExists,
          trust_files: Reader | None = None) -> None:
    """Append cross-document findings to each loaded file; ``trust_files`` reads policies/trust/."""
    for loaded in files:
        doc = loaded.document
        if doc is None:
            continue
        folder = PurePosixPath(loaded.path).parts[1] if layout.is_under_models(loaded.path) else None
        if isinstance(doc, ModelVersion):
            _check_version(loaded, doc, folder, roles, version_exists)
        elif isinstance(doc, Deployment):
            _check_folder(loaded, doc.model, folder, "model")
            _check_deployment(loaded, doc, version_exists)
        elif isinstance(doc, PCCP):
            _check_folder(loaded, doc.model, folder, "model")
            if not version_exists(doc.model, doc.authorised_baseline):
                _unknown_version(loaded, ("authorised_baseline",), doc.model, doc.authorised_baseline)
        elif isinstance(doc, Model):
            _check_folder(loaded, doc.name, folder, "name")
        elif isinstance(doc, Trust) and trust_files is not None:
            _check_trust(loaded, doc, trust_files)


def _check_folder(loaded: LoadedFile, name: str, folder: str | None, field: str) -> None:
    if folder is not None and name != folder:
        _add(loaded, "xref.folder", (field,),
             f"{field} is '{name}' but the file lives in {layout.model_dir(folder)}/; they must match")


def _check_version(loaded: LoadedFile, doc: ModelVersion, folder: str | None,
                   roles: Roles | None, version_exists: VersionExists) -> None:
    _check_folder(loaded, doc.model, folder, "model")
    stem = PurePosixPath(loaded.path).stem
    if stem != doc.version:
        _add(loaded, "xref.filename", ("version",),
             f"version is {doc.version} but the file is named {stem}.yaml; name it {doc.version}.yaml")
    if doc.parent is not None:
        if not version_exists(doc.model, doc.parent):
            _add(loaded, "xref.parent-missing", ("parent",),
                 f"parent {doc.parent} does not exist: no {layout.version_path(doc.model, doc.parent)}")
        elif not SemverKey(doc.parent) < SemverKey(doc.version):
            _add(loaded, "xref.parent-not-older", ("parent",),
                 f"parent {doc.parent} must be an older version than {doc.version}")
    if roles is not None:
        person = roles.person(doc.submitted_by)
        if person is None:
            _add(loaded, "xref.unknown-person", ("submitted_by",),
                 f"submitted_by '{doc.submitted_by}' is not a person in {layout.ROLES_PATH}")
        elif Role.DATA_SCIENTIST not in person.roles:
            _add(loaded, "xref.submitter-role", ("submitted_by",),
                 f"submitted_by '{doc.submitted_by}' does not hold the data_scientist role")


def _check_trust(loaded: LoadedFile, doc: Trust, read: Reader) -> None:
    from ..approvals.trust_files import read_trust_files  # cryptography, only when trust.yaml is checked

    loaded.findings.extend(read_trust_files(doc, read, locate=loaded.locate).findings)


def _check_deployment(loaded: LoadedFile, doc: Deployment, version_exists: VersionExists) -> None:
    for env, target in doc.environments.items():
        if not version_exists(doc.model, target.version):
            _unknown_version(loaded, ("environments", env.value, "version"), doc.model, target.version)
    if doc.rollback_target is not None and not version_exists(doc.model, doc.rollback_target):
        _unknown_version(loaded, ("rollback_target",), doc.model, doc.rollback_target)


def _unknown_version(loaded: LoadedFile, loc: tuple[str, ...], model: str, version: str) -> None:
    _add(loaded, "xref.unknown-version", loc,
         f"version {version} does not exist: no {layout.version_path(model, version)}")


def _add(loaded: LoadedFile, rule: str, loc: tuple[str, ...], message: str) -> None:
    line, column = loaded.locate(loc) if loaded.locate else (None, None)
    loaded.add(rule, message, line=line, column=column, field=".".join(loc))
