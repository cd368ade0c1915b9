"""The policy set of a repository: Rego modules, their unit tests, and policy data.

    >>> bundle = load_bundle(repo_root)                             # doctest: +SKIP
    >>> [m.path for m in bundle.modules]                            # doctest: +SKIP
    ['policies/approval.rego', 'policies/gates.rego']
    >>> bundle.data["clinigate"]["defaults"]["acceptance"]["min_auc"]   # doctest: +SKIP
    0.75

Tests (``*_test.rego``) are kept apart so that no engine that decides a gate ever loads them.
``policies/data/roles.yaml`` is not policy data: Python resolves identities to roles and hands
the policies facts, so a role table in Rego can never disagree with the one Python checked.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import layout
from ..gitrepo import Git
from .engine import PolicyBundleError

POLICY_DIR = layout.POLICIES_DIR
DATA_DIR = layout.POLICY_DATA_DIR
DATA_NAMESPACE = "clinigate"
TEST_SUFFIX = "_test.rego"
_DATA_SUFFIXES = (".yaml", ".yml", ".json")
# The role table (either spelling) sits among the data files but is no policy data (see above).
_NOT_POLICY_DATA = frozenset({layout.ROLES_PATH, layout.ROLES_PATH.removesuffix(".yaml") + ".yml"})
MAX_FILE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class PolicyModule:
    """One Rego file; ``path`` is repository-relative with forward slashes."""

    path: str
    source: str

    @property
    def is_test(self) -> bool:
        return self.path.endswith(TEST_SUFFIX)


@dataclass(frozen=True)
class PolicyBundle:
    modules: list[PolicyModule] = field(default_factory=list)
    tests: list[PolicyModule] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        """sha256 over modules, tests and data: names exactly what a decision was made with."""
        h = hashlib.sha256()
        for module in [*self.modules, *self.tests]:
            for part in (module.path, module.source):
                encoded = part.encode()
                h.update(len(encoded).to_bytes(8, "big") + encoded)
        h.update(json.dumps(self.data, sort_keys=True, separators=(",", ":")).encode())
        return h.hexdigest()


def load_bundle(repo_root: Path) -> PolicyBundle:
    """Every ``policies/**/*.rego`` and ``policies/data/*.{yaml,json}`` of the work tree, sorted.

    For authoring tools (``policy test``, ``lint``) on the files being edited. A gate decision
    never reads the work tree: it uses :func:`bundle_at`, the policies of a Git revision.
    """
    root = Path(os.path.realpath(repo_root))
    top = root / POLICY_DIR
    if not top.is_dir():
        raise PolicyBundleError(f"{POLICY_DIR}/ is missing in {repo_root}",
                                hint="run from the registry repository or pass --repo")
    _check_inside(root, POLICY_DIR)
    files = {path: _read_text(root, path) for path in _rego_files(root)}
    files.update({path: _read_text(root, path) for path in _data_files(root)})
    return bundle_from_files(files)


def bundle_at(git: Git, rev: str) -> PolicyBundle:
    """The policy set as committed at ``rev``, read from Git objects (DESIGN §13).

    What the pull request under review has on disk never decides its own gate: the caller passes
    the base revision. Only regular files count; a symbolic link or submodule under
    ``policies/`` is refused, as it would be in the work tree when it points outside.
    """
    listing = git.tree_files(rev, [POLICY_DIR + "/"])
    if not listing:
        raise PolicyBundleError(f"{POLICY_DIR}/ is missing at {rev[:12]}",
                                hint="the revision whose rules judge must hold the policies")
    wanted = []
    for entry in listing:
        if not _is_policy_file(entry.path):
            continue
        if entry.kind != "blob" or entry.mode not in ("100644", "100755"):
            raise PolicyBundleError(f"{entry.path} at {rev[:12]} is not a regular file (mode {entry.mode})",
                                    hint="policies must be plain files in the repository they govern")
        wanted.append(entry)
    blobs = git.read_objects([e.blob for e in wanted])
    files = {e.path: _decode(e.path, blobs.get(e.blob) or b"") for e in wanted}
    return bundle_from_files(files)


def bundle_from_files(files: dict[str, str]) -> PolicyBundle:
    """A bundle from repository-relative paths and their text (the one place a bundle is assembled)."""
    modules: list[PolicyModule] = []
    tests: list[PolicyModule] = []
    data: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for path in sorted(files):
        if path.endswith(".rego"):
            module = PolicyModule(path, files[path])
            (tests if module.is_test else modules).append(module)
            continue
        stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if stem in origin:
            raise PolicyBundleError(f"{path}: {origin[stem]} already defines data.{DATA_NAMESPACE}.{stem}",
                                    hint="keep one data file per name")
        origin[stem] = path
        data[stem] = _parse_data(path, files[path])
    return PolicyBundle(modules, tests, {DATA_NAMESPACE: data})


def _is_policy_file(path: str) -> bool:
    if path.endswith(".rego"):
        return True
    folder, _, name = path.rpartition("/")
    return folder == DATA_DIR and name.endswith(_DATA_SUFFIXES) and path not in _NOT_POLICY_DATA


def _rego_files(root: Path) -> list[str]:
    found: list[str] = []
    seen: set[str] = set()
    # Symlinked folders are followed only while they stay inside the repository; `seen`
    # stops a link loop from walking forever.
    for folder, dirs, names in os.walk(root / POLICY_DIR, followlinks=True):
        rel = Path(folder).relative_to(root).as_posix()
        real = os.path.realpath(folder)
        if real in seen:
            dirs.clear()
            continue
        seen.add(real)
        _check_inside(root, rel)
        found.extend(f"{rel}/{name}" for name in names if name.endswith(".rego"))
    return sorted(found)


def _data_files(root: Path) -> list[str]:
    folder = root / DATA_DIR
    if not folder.is_dir():
        return []
    return [f"{DATA_DIR}/{name}" for name in sorted(os.listdir(folder))
            if _is_policy_file(f"{DATA_DIR}/{name}") and (folder / name).is_file()]


def _parse_data(path: str, text: str) -> Any:
    if path.endswith(".json"):
        value = _parse_json(path, text)
    else:
        from ..manifest.strict_yaml import YamlProblem, parse

        try:
            value = parse(text)
        except YamlProblem as exc:
            where = ":".join(str(p) for p in (path, exc.line, exc.column) if p is not None)
            raise PolicyBundleError(f"{where}: {exc.message} [{exc.rule}]") from None
    try:  # what cannot round-trip through JSON would reach each engine differently
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise PolicyBundleError(f"{path}: policy data must be plain JSON values ({exc})") from None
    return value


def _parse_json(path: str, text: str) -> Any:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) < len(pairs):
            twice = next(k for i, (k, _) in enumerate(pairs) if k in dict(pairs[:i]))
            raise PolicyBundleError(f"{path}: key {twice!r} appears twice in one object")
        return result

    def no_constant(name: str) -> Any:
        raise PolicyBundleError(f"{path}: {name} is not a JSON number")

    try:
        return json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constant)
    except json.JSONDecodeError as exc:
        raise PolicyBundleError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None


def _check_inside(root: Path, rel: str) -> None:
    real = os.path.realpath(root / rel)
    if real != str(root) and not real.startswith(str(root) + os.sep):
        raise PolicyBundleError(f"{rel}: a symbolic link points outside the repository",
                                hint="policies must live in the repository they govern")


def _read_text(root: Path, rel: str) -> str:
    _check_inside(root, rel)
    try:
        with open(root / rel, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise PolicyBundleError(f"{rel}: cannot read: {exc.strerror}") from None
    return _decode(rel, raw)


def _decode(rel: str, raw: bytes) -> str:
    if len(raw) > MAX_FILE_BYTES:
        raise PolicyBundleError(f"{rel}: larger than {MAX_FILE_BYTES} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyBundleError(f"{rel}: not UTF-8 (byte {exc.start})") from None
