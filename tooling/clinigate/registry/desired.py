"""Desired state: what the documents merged on a Git revision say MLflow should hold.

For each model folder under ``models/`` and each environment its ``deployment.yaml`` names,
the version to point the environment's alias at, with what sync writes as tags. An
environment whose version cannot be synced (manifest absent, invalid or not approved) becomes
a :class:`Refusal` carrying the reason; it is reported, never silently skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from .. import layout
from ..gitrepo import Git
from ..manifest.deployment import Deployment
from ..manifest.loader import LoadedFile
from ..manifest.revision import Snapshot
from ..manifest.version import ModelVersion
from .approval import ApprovalGate, is_approved

if TYPE_CHECKING:
    from ..approvals.ledger import Ledger


@dataclass(frozen=True)
class Target:
    """One environment of one model, as Git wants it in MLflow."""

    model: str  # the folder under models/
    environment: str  # also the MLflow alias name
    version: str  # the semver of the manifest
    registered_model: str
    mlflow_version: str
    artifact_sha256: str
    manifest_path: str
    manifest_sha256: str  # sha256 of the manifest file's bytes at the revision
    manifest_commit: str  # the last commit on the revision that changed the manifest
    change_class: str
    approved_by: str = ""  # "role:person-id,..." of the valid signed approvals


@dataclass(frozen=True)
class Refusal:
    model: str
    environment: str  # "*" when the whole deployment is unreadable
    reason: str


@dataclass
class DesiredModel:
    model: str
    targets: list[Target] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    merged_versions: set[str] = field(default_factory=set)
    # The registered models this model's merged manifests name: the scope of pruning.
    registered_models: set[str] = field(default_factory=set)
    # False when deployment.yaml is missing or invalid: nothing of this model may be pruned.
    deployment_known: bool = False


@dataclass
class DesiredState:
    rev: str
    commit: str
    models: list[DesiredModel]
    # The ledger the approvals were judged from (None: merged is approved). Sync records its tip in
    # MLflow and refuses to act when the ledger lacks a tip recorded there before (a rewind).
    ledger: Ledger | None = None
    ledger_commit: str | None = None

    @property
    def targets(self) -> list[Target]:
        return [t for m in self.models for t in m.targets]

    @property
    def refusals(self) -> list[Refusal]:
        return [r for m in self.models for r in m.refusals]

    @property
    def empty(self) -> bool:
        """No environment can be synced anywhere (Argo CD's ``allowEmpty`` guard looks at this)."""
        return not self.targets


def _model_folders(files: Iterable[str]) -> dict[str, list[str]]:
    folders: dict[str, list[str]] = {}
    for path in files:
        model = layout.model_of(path)
        if model is not None:
            folders.setdefault(model, []).append(path)
    return folders


def _version_paths(files: list[str], model: str) -> dict[str, str]:
    prefix = f"{layout.versions_dir(model)}/"
    return {PurePosixPath(p).stem: p for p in files
            if p.startswith(prefix) and p.endswith(".yaml") and p.count("/") == 3}


def _last_commits(git: Git, commit: str, paths: list[str]) -> dict[str, str]:
    """For each path, the newest commit reachable from ``commit`` that changed it (one git call)."""
    if not paths:
        return {}
    out = git.run(["log", "--format=%x00%H", "--name-only", commit, "--", *paths])
    found: dict[str, str] = {}
    current = ""
    for line in out.splitlines():
        if line.startswith("\0"):
            current = line[1:]
        elif line and line not in found:
            found[line] = current
    return found


def _problems(loaded: LoadedFile | None) -> str:
    if loaded is None:
        return "it is absent"
    return "; ".join(f.message for f in loaded.findings[:3]) or "it does not load"


def read_desired(git: Git, *, rev: str = "main", model: str | None = None) -> DesiredState:
    """The desired state at ``rev``; ``model`` limits it to one model folder (or registered model)."""
    commit = git.resolve(rev)
    folders = _model_folders(git.list_files(commit, layout.MODELS_DIR))
    paths = [p for files in folders.values() for p in files if p.endswith(".yaml")]
    docs = Snapshot.with_roles(git, commit)
    docs.prefetch(paths)
    if model is not None:
        folders = {n: f for n, f in folders.items() if n == model or _names_model(f, docs, model)}
    gate = ApprovalGate.open(git, commit, docs)
    ledger = gate.book.ledger if gate is not None else None
    if gate is not None:
        gate.book.prefetch(commit, _deployed_paths(folders, docs))
    try:
        models = [_desired_model(name, files, docs, gate) for name, files in sorted(folders.items())]
    finally:
        if gate is not None:
            gate.close()
    manifests = [t.manifest_path for m in models for t in m.targets]
    commits = _last_commits(git, commit, manifests)
    for m in models:
        m.targets = [_with_commit(t, commits.get(t.manifest_path, commit)) for t in m.targets]
    return DesiredState(rev, commit, models, ledger, ledger.tip() if ledger else None)


def _names_model(files: list[str], docs: Snapshot, registered: str) -> bool:
    """Whether a model folder's manifests name the registered model ``registered``."""
    return any(isinstance(d := docs.doc(p), ModelVersion) and d.artifact.mlflow.registered_model == registered
               for p in files if f"/{layout.VERSIONS_DIR}/" in p)


def _with_commit(target: Target, commit: str) -> Target:
    return Target(**{**target.__dict__, "manifest_commit": commit})


def _desired_model(name: str, files: list[str], docs: Snapshot, gate: ApprovalGate | None) -> DesiredModel:
    versions = _version_paths(files, name)
    result = DesiredModel(name, merged_versions=set(versions))
    for path in versions.values():
        loaded = docs.get(path)
        if loaded is not None and isinstance(loaded.document, ModelVersion):
            result.registered_models.add(loaded.document.artifact.mlflow.registered_model)
    deployment_path = layout.deployment_path(name)
    loaded = docs.get(deployment_path)
    deployment = loaded.document if loaded else None
    if not isinstance(deployment, Deployment):
        if loaded is not None:
            reason = f"{deployment_path} does not load: {_problems(loaded)}"
            result.refusals.append(Refusal(name, "*", reason))
        return result
    result.deployment_known = True
    for env, target in sorted(deployment.environments.items(), key=lambda kv: kv[0].value):
        item = _target(name, env.value, target.version, versions, docs, result.merged_versions, gate)
        if isinstance(item, Target):
            result.targets.append(item)
        else:
            result.refusals.append(item)
    return result


def _target(model: str, env: str, version: str, versions: dict[str, str], docs: Snapshot,
            merged: set[str], gate: ApprovalGate | None) -> Target | Refusal:
    path = versions.get(version, layout.version_path(model, version))
    if version not in versions:
        return Refusal(model, env, f"deployment.yaml names {version}, but {path} is not merged")
    if not is_approved(model, version, merged_versions=merged):
        return Refusal(model, env, f"{model} {version} is not approved")
    loaded = docs.get(path)
    doc = loaded.document if loaded else None
    if not isinstance(doc, ModelVersion) or loaded is None or loaded.sha256 is None:
        return Refusal(model, env, f"{path} does not load: {_problems(loaded)}")
    declared = doc.change.declared_class
    change_class, approved_by = declared.value if declared is not None else "unknown", ""
    if gate is not None:
        approval = gate.judge(model, version, path)
        if not approval.approved:
            return Refusal(model, env, approval.reason)
        change_class = approval.change_class or change_class
        approved_by = ",".join(approval.approved_by)
    return Target(
        model=model, environment=env, version=version,
        registered_model=doc.artifact.mlflow.registered_model,
        mlflow_version=str(doc.artifact.mlflow.version), artifact_sha256=doc.artifact.sha256,
        manifest_path=path, manifest_sha256=loaded.sha256, manifest_commit="",
        # With signed approvals the policy computes the class; without, the submitter's claim stands in.
        change_class=change_class, approved_by=approved_by,
    )


def deployed_versions(git: Git, rev: str) -> list[str]:
    """The manifest paths of every version some ``deployment.yaml`` at ``rev`` names, sorted."""
    commit = git.resolve(rev)
    return _deployed_paths(_model_folders(git.list_files(commit, layout.MODELS_DIR)), Snapshot(git, commit))


def _deployed_paths(folders: dict[str, list[str]], docs: Snapshot) -> list[str]:
    found: set[str] = set()
    for name in sorted(folders):
        deployment = docs.doc(layout.deployment_path(name))
        if isinstance(deployment, Deployment):
            found.update(layout.version_path(name, t.version) for t in deployment.environments.values())
    return sorted(found)
