"""Validate a registry, or part of one: discover files, load each strictly, cross-check."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Protocol

from .. import layout
from ..errors import UsageError
from ..findings import Finding, Report, Severity
from . import crossref
from .documents import expected_kind
from .loader import LoadedFile, load_file
from .pccp import PCCP
from .roles import Roles
from .strict_yaml import DEFAULT_LIMITS, Limits
from .trust import Trust
from .version import ModelVersion


class WorktreeTrustCheck(Protocol):
    """How the files trust.yaml names are judged in a work tree: ``approvals.trust_files.worktree_findings``
    (a module-level function, so it reaches each worker process by name)."""

    def __call__(self, repo_root: Path, trust: Trust, locate: crossref.Locate | None, /) -> list[Finding]: ...

_YAML_SUFFIXES = (".yaml", ".yml")


def discover(repo_root: Path) -> list[str]:
    """Every YAML file under models/ plus roles.yaml and trust.yaml, as sorted relative paths."""
    found = [p for p in (layout.ROLES_PATH, layout.TRUST_PATH) if (repo_root / p).exists()]
    models = repo_root / layout.MODELS_DIR
    if models.is_dir():
        found.extend(_walk(repo_root, models))
    return sorted(found)


def _walk(repo_root: Path, top: Path) -> Iterable[str]:
    # os.walk does not follow symlinked folders; symlinked files are judged by the loader.
    for folder, dirs, names in os.walk(top):
        dirs.sort()
        rel = Path(folder).relative_to(repo_root).as_posix()
        yield from (f"{rel}/{n}" for n in names if n.endswith(_YAML_SUFFIXES))


def expand(repo_root: Path, paths: Sequence[str | Path]) -> list[str]:
    """Turn command-line paths (files or folders, absolute or relative to cwd) into repo paths."""
    root = Path(os.path.abspath(repo_root))
    out: set[str] = set()
    for given in paths:
        absolute = Path(os.path.abspath(given))
        if not absolute.is_relative_to(root):
            raise UsageError(f"{given} is outside the repository {root}")
        if absolute.is_dir():
            out.update(_walk(root, absolute))
        elif absolute.exists() or absolute.is_symlink():
            out.add(absolute.relative_to(root).as_posix())
        else:
            raise UsageError(f"{given}: no such file or folder")
    return sorted(out)


# Below this many files a process pool costs more than it saves.
PARALLEL_THRESHOLD = 400


@dataclass(frozen=True)
class _Context:
    """What checking one file needs besides the file: shipped once to each worker."""

    repo_root: Path
    roles: Roles | None
    limits: Limits
    known_emails: frozenset[str]
    trust_files: WorktreeTrustCheck | None = None


def validate_registry(repo_root: Path, paths: Sequence[str | Path] | None = None,
                      *, limits: Limits = DEFAULT_LIMITS, jobs: int | None = None,
                      trust_files: WorktreeTrustCheck | None = None) -> Report:
    """Load and check ``paths`` (default: the whole registry) and return every finding.

    ``trust_files`` judges the certificate and Sigstore files trust.yaml names, as the gate will
    load them (``validate`` passes ``approvals.trust_files.worktree_findings``); without it
    trust.yaml is checked as a document only.

    Each file is checked on its own (cross-references need only roles.yaml and the file
    system), so large runs are spread over ``jobs`` processes (default: one per CPU).
    """
    repo_root = Path(repo_root)
    files = expand(repo_root, paths) if paths else discover(repo_root)
    report = Report(files=list(files))
    roles_file = _load_roles(repo_root, limits)
    if roles_file is None:
        report.findings.append(Finding(layout.ROLES_PATH, None, None, "xref.missing-roles",
                                       f"{layout.ROLES_PATH} is missing: people cannot be checked"))
    elif layout.ROLES_PATH in files:
        report.findings.extend(roles_file.findings)
    roles = roles_file.document if roles_file and isinstance(roles_file.document, Roles) else None
    emails = frozenset(p.email.lower() for p in roles.people) if roles else frozenset()
    context = _Context(repo_root, roles, limits, emails, trust_files)
    todo = [f for f in files if f != layout.ROLES_PATH]
    report.findings.extend(_missing_documents(repo_root, todo))
    names: list[tuple[str, str]] = []  # (registered model, version path)
    for findings, registered in _map(context, todo, jobs):
        report.findings.extend(findings)
        if registered is not None:
            names.append(registered)
    report.findings.extend(shared_registered_models(names))
    report.sort()
    return report


def shared_registered_models(names: Iterable[tuple[str, str]]) -> list[Finding]:
    """One MLflow registered model belongs to one model folder.

    Two folders naming the same registered model would each claim its ``production`` alias, and
    every sync would flip it between their versions. One finding per folder, naming the other's file.
    """
    by_name: dict[str, dict[str, str]] = {}  # registered model -> folder -> first version path
    for registered, path in sorted(names):
        by_name.setdefault(registered, {}).setdefault(PurePosixPath(path).parts[1], path)
    findings = []
    for registered, folders in sorted(by_name.items()):
        if len(folders) < 2:
            continue
        for folder, path in sorted(folders.items()):
            others = ", ".join(p for f, p in sorted(folders.items()) if f != folder)
            findings.append(Finding(
                path, None, None, "xref.registered-model-shared",
                f"artifact.mlflow.registered_model '{registered}' is also named by {others}: one MLflow "
                "registered model belongs to one model folder (sync would flip its aliases between them)",
                "artifact.mlflow.registered_model"))
    return findings


_FileResult = tuple[list[Finding], tuple[str, str] | None]  # findings, (registered model, path)


def _map(context: _Context, files: list[str], jobs: int | None) -> Iterable[_FileResult]:
    workers = min(jobs or os.cpu_count() or 1, 8)
    if workers < 2 or len(files) < PARALLEL_THRESHOLD:
        tree = _WorkTree(context)
        return [_check_file(context, tree, f) for f in files]
    chunk = max(16, len(files) // (workers * 8))
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(context,))
    with pool:
        return list(pool.map(_check_in_worker, files, chunksize=chunk))


_WORKER_CONTEXT: tuple[_Context, _WorkTree] | None = None


def _init_worker(context: _Context) -> None:
    global _WORKER_CONTEXT
    _WORKER_CONTEXT = context, _WorkTree(context)


def _check_in_worker(relpath: str) -> _FileResult:
    assert _WORKER_CONTEXT is not None
    return _check_file(*_WORKER_CONTEXT, relpath)


def _check_file(context: _Context, tree: _WorkTree, relpath: str) -> _FileResult:
    location = _location_finding(relpath)
    if location is not None and location.severity is Severity.ERROR:
        return [location], None
    loaded = load_file(context.repo_root, relpath, limits=context.limits,
                       known_emails=context.known_emails)
    tree.remember(loaded)
    trust_files = partial(context.trust_files, context.repo_root) if context.trust_files else None
    crossref.check([loaded], context.roles, _version_exists(context.repo_root), trust_files,
                   neighbours=tree.neighbours)
    doc = loaded.document
    registered = (doc.artifact.mlflow.registered_model, relpath) \
        if isinstance(doc, ModelVersion) and layout.is_under_models(relpath) else None
    return ([location] if location else []) + loaded.findings, registered


def _load_roles(repo_root: Path, limits: Limits) -> LoadedFile | None:
    if not (repo_root / layout.ROLES_PATH).exists():
        return None
    return load_file(repo_root, layout.ROLES_PATH, limits=limits)


def _location_finding(relpath: str) -> Finding | None:
    pure = PurePosixPath(relpath)
    if expected_kind(pure) is not None:
        return None
    if pure.suffix == ".yml" and expected_kind(pure.with_suffix(".yaml")) is not None:
        return Finding(relpath, None, None, "path.extension",
                       "clinigate documents use the .yaml extension: "
                       f"rename to {pure.with_suffix('.yaml').name}")
    return Finding(relpath, None, None, "path.unexpected",
                   "not a clinigate document location "
                   f"({layout.model_file_path('<model>', '{model,pccp,deployment,risk}.yaml')}, "
                   f"{layout.version_path('<model>', '<version>')}); ignored", severity=Severity.WARNING)


def _missing_documents(repo_root: Path, files: Iterable[str]) -> list[Finding]:
    """Each model folder touched must hold its model, PCCP, deployment and risk documents."""
    folders = {m for f in files if (m := layout.model_of(f)) is not None}
    return [
        Finding(layout.model_file_path(m, name), None, None, "xref.missing-document",
                f"{layout.model_dir(m)}/ has no {name}: every model needs "
                f"{', '.join(layout.MODEL_FILES[:-1])} and {layout.MODEL_FILES[-1]}")
        for m in sorted(folders)
        for name in layout.MODEL_FILES
        if not (repo_root / layout.model_file_path(m, name)).is_file()
    ]


class _WorkTree:
    """Each model's version listing and PCCP from the work tree, read once per run (or worker)."""

    def __init__(self, context: _Context) -> None:
        self._context = context
        self._listings: dict[str, list[str]] = {}
        self._pccps: dict[str, PCCP | None] = {}
        self.neighbours = crossref.Neighbours(versions=self.versions, pccp=self.pccp, monitoring=self.reports)

    def versions(self, model: str) -> list[str]:
        if model not in self._listings:
            folder = self._context.repo_root / layout.versions_dir(model)
            names = sorted(os.listdir(folder)) if folder.is_dir() else []
            self._listings[model] = [n.removesuffix(".yaml") for n in names if n.endswith(".yaml")]
        return self._listings[model]

    def reports(self, model: str) -> list[str]:
        folder = self._context.repo_root / layout.monitoring_dir(model)
        return [n.removesuffix(".yaml") for n in os.listdir(folder) if n.endswith(".yaml")] \
            if folder.is_dir() else []

    def pccp(self, model: str) -> PCCP | None:
        if model not in self._pccps:
            self.remember(load_file(self._context.repo_root, layout.pccp_path(model),
                                    limits=self._context.limits))
        return self._pccps[model]

    def remember(self, loaded: LoadedFile) -> None:
        """Keep a PCCP this run loaded anyway (sorted paths put pccp.yaml before versions/)."""
        model = layout.model_of(loaded.path)
        if model is not None and loaded.path == layout.pccp_path(model):
            self._pccps[model] = loaded.document if isinstance(loaded.document, PCCP) else None


def _version_exists(repo_root: Path) -> crossref.VersionExists:
    def exists(model: str, version: str) -> bool:
        return (repo_root / layout.version_path(model, version)).is_file()
    return exists
