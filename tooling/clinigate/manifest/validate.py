"""Validate a registry, or part of one: discover files, load each strictly, cross-check."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath

from ..errors import UsageError
from ..findings import Finding, Report, Severity
from . import crossref
from .documents import ROLES_PATH, expected_kind
from .loader import LoadedFile, load_file
from .roles import Roles
from .strict_yaml import Limits

_YAML_SUFFIXES = (".yaml", ".yml")


def discover(repo_root: Path) -> list[str]:
    """Every YAML file under models/ plus roles.yaml, as sorted repository-relative paths."""
    found = [str(ROLES_PATH)] if (repo_root / ROLES_PATH).exists() else []
    models = repo_root / "models"
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


def validate_registry(repo_root: Path, paths: Sequence[str | Path] | None = None,
                      *, limits: Limits = Limits()) -> Report:
    """Load and check ``paths`` (default: the whole registry) and return every finding."""
    repo_root = Path(repo_root)
    files = expand(repo_root, paths) if paths else discover(repo_root)
    report = Report(files=list(files))
    roles_file = _load_roles(repo_root, limits)
    roles = roles_file.document if roles_file and isinstance(roles_file.document, Roles) else None
    emails = frozenset(p.email.lower() for p in roles.people) if roles else frozenset()
    loaded: list[LoadedFile] = []
    for relpath in files:
        if relpath == str(ROLES_PATH) and roles_file is not None:
            loaded.append(roles_file)
            continue
        location = _location_finding(relpath)
        if location is not None:
            report.findings.append(location)
            if location.severity is Severity.ERROR:
                continue
        loaded.append(load_file(repo_root, relpath, limits=limits, known_emails=emails))
    if roles_file is None:
        report.findings.append(Finding(str(ROLES_PATH), None, None, "xref.missing-roles",
                                       "policies/data/roles.yaml is missing: people cannot be checked"))
    report.findings.extend(_missing_documents(repo_root, files))
    crossref.check(loaded, roles, _version_exists(repo_root))
    for item in loaded:
        report.findings.extend(item.findings)
    report.sort()
    return report


def _load_roles(repo_root: Path, limits: Limits) -> LoadedFile | None:
    if not (repo_root / ROLES_PATH).exists():
        return None
    return load_file(repo_root, str(ROLES_PATH), limits=limits)


def _location_finding(relpath: str) -> Finding | None:
    pure = PurePosixPath(relpath)
    if expected_kind(pure) is not None:
        return None
    if pure.suffix == ".yml" and expected_kind(pure.with_suffix(".yaml")) is not None:
        return Finding(relpath, None, None, "path.extension",
                       f"clinigate documents use the .yaml extension: rename to {pure.with_suffix('.yaml').name}")
    return Finding(relpath, None, None, "path.unexpected",
                   "not a clinigate document location (models/<model>/{model,pccp,deployment}.yaml, "
                   "models/<model>/versions/<version>.yaml); ignored", severity=Severity.WARNING)


def _missing_documents(repo_root: Path, files: Iterable[str]) -> list[Finding]:
    """Each model folder touched must hold its model, PCCP and deployment documents."""
    folders = {PurePosixPath(f).parts[1] for f in files if f.startswith("models/") and f.count("/") >= 2}
    return [
        Finding(f"models/{m}/{name}", None, None, "xref.missing-document",
                f"models/{m}/ has no {name}: every model needs model.yaml, pccp.yaml and deployment.yaml")
        for m in sorted(folders)
        for name in ("model.yaml", "pccp.yaml", "deployment.yaml")
        if not (repo_root / "models" / m / name).is_file()
    ]


def _version_exists(repo_root: Path) -> crossref.VersionExists:
    def exists(model: str, version: str) -> bool:
        return (repo_root / "models" / model / "versions" / f"{version}.yaml").is_file()
    return exists
