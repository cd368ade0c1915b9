"""Checks that span documents: names match their folders, lineage and people exist, a version's
validation covers every group its PCCP requires, no two versions are one under semver precedence.

They need only the documents being validated plus their model's version listing, its PCCP and
roles.yaml, so a pull request touching one model is checked without reading the rest of the
registry. trust.yaml's certificate and Sigstore files are judged by the ``trust_files`` check the
caller passes (``approvals.trust_files.worktree_findings``: certificates and Sigstore roots are
the approvals layer's, which sits above this one).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from .. import layout
from ..findings import Finding
from .deployment import Deployment
from .loader import LoadedFile
from .messages import field_path
from .model import Model
from .monitoring_report import CITATION_PREFIX
from .pccp import PCCP
from .risk import RiskRegister
from .roles import Roles
from .semver import SEMVER_RE, SemverKey
from .trust import Trust
from .values import REQUIRED_DEMOGRAPHICS, Role, SubgroupAttribute
from .version import ModelVersion
from .waiver import Waiver

VersionExists = Callable[[str, str], bool]
Locate = Callable[[tuple[str | int, ...]], tuple[int | None, int | None]]  # field path -> line, column
TrustFilesCheck = Callable[[Trust, Locate | None], Sequence[Finding]]  # trust.yaml -> its files' findings


@dataclass(frozen=True)
class Neighbours:
    """What a version's checks read of its model besides the version: as the caller's revision has it."""

    versions: Callable[[str], Iterable[str]]  # model -> the version of every versions/<v>.yaml
    pccp: Callable[[str], PCCP | None]  # model -> its pccp.yaml, None when missing or invalid
    # model -> the id of every monitoring/<id>.yaml (what change.problem_reports may cite)
    monitoring: Callable[[str], Iterable[str]] = lambda model: ()


def check(files: Iterable[LoadedFile], roles: Roles | None, version_exists: VersionExists,
          trust_files: TrustFilesCheck | None = None, *, neighbours: Neighbours) -> None:
    """Append cross-document findings to each loaded file; ``trust_files`` judges policies/trust/."""
    for loaded in files:
        doc = loaded.document
        if doc is None:
            continue
        folder = PurePosixPath(loaded.path).parts[1] if layout.is_under_models(loaded.path) else None
        if isinstance(doc, ModelVersion):
            _check_version(loaded, doc, folder, roles, version_exists)
            _check_precedence(loaded, doc, neighbours.versions(doc.model))
            _check_subgroups(loaded, doc, neighbours.pccp(doc.model))
            _check_problem_reports(loaded, doc, neighbours.monitoring(doc.model))
        elif isinstance(doc, Deployment | PCCP | Model | RiskRegister):
            _check_model_document(loaded, doc, folder, version_exists)
        elif isinstance(doc, Waiver):
            _check_waiver(loaded, doc, folder, roles)
        elif isinstance(doc, Trust) and trust_files is not None:
            loaded.findings.extend(trust_files(doc, loaded.locate))


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


def _check_model_document(loaded: LoadedFile, doc: Deployment | PCCP | Model | RiskRegister,
                          folder: str | None, version_exists: VersionExists) -> None:
    if isinstance(doc, Model):
        _check_folder(loaded, doc.name, folder, "name")
        return
    _check_folder(loaded, doc.model, folder, "model")
    if isinstance(doc, Deployment):
        _check_deployment(loaded, doc, version_exists)
    elif isinstance(doc, PCCP) and not version_exists(doc.model, doc.authorised_baseline):
        _unknown_version(loaded, ("authorised_baseline",), doc.model, doc.authorised_baseline)


def _check_waiver(loaded: LoadedFile, doc: Waiver, folder: str | None, roles: Roles | None) -> None:
    _check_folder(loaded, doc.model, folder, "model")
    stem = PurePosixPath(loaded.path).stem
    if stem != doc.id:
        _add(loaded, "xref.filename", ("id",), f"id is {doc.id} but the file is named {stem}.yaml; "
             f"name it {doc.id}.yaml")
    if roles is not None and roles.person(doc.submitted_by) is None:
        _add(loaded, "xref.unknown-person", ("submitted_by",),
             f"submitted_by '{doc.submitted_by}' is not a person in {layout.ROLES_PATH}")


def _check_problem_reports(loaded: LoadedFile, doc: ModelVersion, reports: Iterable[str]) -> None:
    """A problem report cited as ``monitoring/<id>`` must be a report of this model."""
    known = set(reports)
    for index, entry in enumerate(doc.change.problem_reports):
        if not entry.startswith(CITATION_PREFIX):
            continue  # free text: an external ticket or complaint number
        report_id = entry.removeprefix(CITATION_PREFIX).removesuffix(".yaml")
        if report_id not in known:
            _add(loaded, "xref.problem_report", ("change", "problem_reports", index),
                 f"{entry} is not a monitoring report of {doc.model}: no "
                 f"{layout.monitoring_report_path(doc.model, report_id)}"
                 + (f" (its reports: {', '.join(sorted(known))})" if known else ""))


def _check_precedence(loaded: LoadedFile, doc: ModelVersion, versions: Iterable[str]) -> None:
    """``1.3.0`` and ``1.3.0+build.1`` are one version to every ordering (semver.org §10): which is
    "newer", which one a parent or a deployment means, would depend on the reader."""
    stem = PurePosixPath(loaded.path).stem
    # Semver forbids leading zeros, so equal precedence is equal text once build metadata is cut.
    core = doc.version.partition("+")[0]
    for other in sorted(v for v in versions if v.partition("+")[0] == core and v not in (stem, doc.version)):
        if SEMVER_RE.match(other) and SemverKey(other) == SemverKey(doc.version):
            _add(loaded, "xref.duplicate-version", ("version",),
                 f"{loaded.path} and {layout.version_path(doc.model, other)} are the same version under "
                 f"semver precedence ({doc.version} = {other}: build metadata after '+' is ignored); "
                 "a model holds each version once: remove one")


def _required_attributes(pccp: PCCP | None) -> list[SubgroupAttribute]:
    """The union over every change class of the PCCP (the demographics alone without one).

    Not the declared class's list: declared_class is the submitter's claim and the policies compute
    the real class from the diff only later, so validation must already meet the strictest plan.
    """
    wanted = set(REQUIRED_DEMOGRAPHICS)
    if pccp is not None:
        wanted.update(a for plan in pccp.change_classes.values()
                      for a in plan.acceptance.required_subgroup_attributes)
    return [a for a in SubgroupAttribute if a in wanted]


def _expected_groups(doc: ModelVersion, attribute: SubgroupAttribute) -> tuple[list[str], str]:
    """The groups validation must report for ``attribute``, and where they are listed."""
    if attribute is not SubgroupAttribute.SITE:
        return list(doc.training.demographics.get(attribute, {})), f"training.demographics.{attribute.value}"
    # A site the locked validation set does not hold cannot be validated on it (a site that joined
    # after the plan's authorisation); validation.dataset.sites says which sites it holds.
    covered = set(doc.validation.dataset.sites)
    sites = [s.name for s in doc.training.dataset.sites if not covered or s.name in covered]
    return sites, "training.dataset.sites" + (" (and validation.dataset.sites)" if covered else "")


def _check_subgroups(loaded: LoadedFile, doc: ModelVersion, pccp: PCCP | None) -> None:
    """Every group the model was trained on, for every attribute the PCCP requires, is validated."""
    subgroups = doc.validation.subgroups
    for attribute in _required_attributes(pccp):
        present = [s.group for s in subgroups if s.attribute is attribute]
        expected, source = _expected_groups(doc, attribute)
        unmatched = [g for g in present if g not in expected]
        for group in (g for g in expected if g not in present):
            message = (f"no {attribute.value} subgroup '{group}' in validation.subgroups, though {source} "
                       f"lists it: {attribute.value} is a required subgroup attribute, so every group "
                       "trained on must be validated")
            near = difflib.get_close_matches(group, unmatched, n=1, cutoff=0.6)
            if near:
                unmatched.remove(near[0])
                index = next(i for i, s in enumerate(subgroups)
                             if s.attribute is attribute and s.group == near[0])
                message += f"; validation.subgroups[{index}] is named '{near[0]}': did you mean '{group}'?"
            _add(loaded, "xref.subgroup-missing", ("validation", "subgroups"), message)


def _check_deployment(loaded: LoadedFile, doc: Deployment, version_exists: VersionExists) -> None:
    for env, target in doc.environments.items():
        if not version_exists(doc.model, target.version):
            _unknown_version(loaded, ("environments", env.value, "version"), doc.model, target.version)
    if doc.rollback_target is not None and not version_exists(doc.model, doc.rollback_target):
        _unknown_version(loaded, ("rollback_target",), doc.model, doc.rollback_target)


def _unknown_version(loaded: LoadedFile, loc: tuple[str, ...], model: str, version: str) -> None:
    _add(loaded, "xref.unknown-version", loc,
         f"version {version} does not exist: no {layout.version_path(model, version)}")


def _add(loaded: LoadedFile, rule: str, loc: tuple[str | int, ...], message: str) -> None:
    line, column = loaded.locate(loc) if loaded.locate else (None, None)
    loaded.add(rule, message, line=line, column=column, field=field_path(loc))
