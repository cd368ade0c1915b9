"""Load one document from a repository: path safety, bytes, strict YAML, schema, PHI scan.

Every problem becomes a :class:`~clinigate.findings.Finding`; nothing here raises for bad
input, so one bad file never stops a run.
"""

from __future__ import annotations

import functools
import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel, ValidationError

from ..findings import Finding, Severity
from . import phi, plain_data, strict_yaml
from .documents import DOCUMENT_TYPES, expected_kind
from .messages import describe, field_path, misspelt
from .strict_yaml import DEFAULT_LIMITS, Limits, YamlProblem


@dataclass
class LoadedFile:
    """What loading one file produced: the document when it is valid, and the findings."""

    path: str
    kind: str | None
    sha256: str | None = None
    data: Any = None
    document: BaseModel | None = None
    findings: list[Finding] = field(default_factory=list)
    text: str | None = None
    locate: strict_yaml.Locator | None = None

    def add(self, rule: str, message: str, *, line: int | None = None, column: int | None = None,
            field: str | None = None, severity: Severity = Severity.ERROR,
            at: tuple[int | None, int | None] | None = None) -> None:
        if at is not None:
            line, column = at
        self.findings.append(Finding(self.path, line, column, rule, message, field, severity))


@functools.lru_cache(maxsize=4096)
def _real_folder(folder: str) -> str:
    return os.path.realpath(folder)


def resolve_inside(repo_root: Path, relpath: str) -> Path | str:
    """The real file for a repository-relative path, or a reason why it is refused."""
    pure = PurePosixPath(relpath)
    if pure.is_absolute() or ".." in pure.parts:
        return "the path leaves the repository ('..' or absolute)"
    candidate = os.path.join(repo_root, relpath)
    # Folders are resolved once per run (cached); only a symlinked file needs its own realpath.
    real = os.path.realpath(candidate) if os.path.islink(candidate) else os.path.join(
        _real_folder(os.path.dirname(candidate)), os.path.basename(candidate))
    root = _real_folder(str(repo_root))
    if not (real == root or real.startswith(root.rstrip(os.sep) + os.sep)):
        return "a symbolic link points outside the repository"
    return Path(candidate)


def load_file(repo_root: Path, relpath: str, *, limits: Limits = DEFAULT_LIMITS,
              known_emails: frozenset[str] = frozenset(), kind: str | None = None) -> LoadedFile:
    """Load a file from the work tree."""
    result = LoadedFile(relpath, kind or expected_kind(PurePosixPath(relpath)))
    raw = _read_bytes(repo_root, result, limits)
    if raw is None:
        return result
    return _load(result, raw, limits, known_emails)


def load_bytes(relpath: str, raw: bytes, *, limits: Limits = DEFAULT_LIMITS,
               known_emails: frozenset[str] = frozenset(), kind: str | None = None) -> LoadedFile:
    """Load a document's bytes as stored at ``relpath`` (e.g. a blob from a Git revision)."""
    result = LoadedFile(relpath, kind or expected_kind(PurePosixPath(relpath)))
    if len(raw) > limits.max_bytes:
        result.add("yaml.too-large", f"file is {len(raw):,} bytes; the limit is {limits.max_bytes:,} bytes")
        return result
    if not raw:
        result.add("yaml.empty", "the file is empty")
        return result
    return _load(result, raw, limits, known_emails)


def _load(result: LoadedFile, raw: bytes, limits: Limits, known_emails: frozenset[str]) -> LoadedFile:
    result.sha256 = hashlib.sha256(raw).hexdigest()
    text = _decode(raw, result)
    if text is None:
        return result
    result.text = text
    result.locate = strict_yaml.Locator(text)
    try:
        result.data = strict_yaml.parse(text, limits)
    except YamlProblem as problem:
        result.add(problem.rule, problem.message, line=problem.line, column=problem.column)
        return result
    refused = _refuse_values(result)
    hidden = _scan_phi(result, known_emails)  # an identifier is reported whatever else is wrong
    if not refused:
        _validate(result, skip=_scan_drafts(result), hidden=hidden)
    return result


def _refuse_values(result: LoadedFile) -> bool:
    """Report NaN, unsafe integers and deceptive text (plain_data.py); True when any was found."""
    found = plain_data.problems(result.data, result.text)
    for problem in found:
        result.add(problem.rule, problem.message, field=problem.field, at=_at(result, problem.loc))
    return bool(found)


def _read_bytes(repo_root: Path, result: LoadedFile, limits: Limits) -> bytes | None:
    target = resolve_inside(repo_root, result.path)
    if isinstance(target, str):
        result.add("path.escape", f"refused: {target}")
        return None
    try:
        info = target.stat()
    except OSError as exc:
        result.add("path.unreadable", f"cannot read the file: {exc.strerror}")
        return None
    if not stat.S_ISREG(info.st_mode):
        result.add("path.not-a-file", "not a regular file")
        return None
    if info.st_size > limits.max_bytes:
        result.add("yaml.too-large",
                   f"file is {info.st_size:,} bytes; the limit is {limits.max_bytes:,} bytes")
        return None
    if info.st_size == 0:
        result.add("yaml.empty", "the file is empty")
        return None
    with open(target, "rb") as handle:
        return handle.read(limits.max_bytes + 1)


def _decode(raw: bytes, result: LoadedFile) -> str | None:
    nul = raw.find(b"\x00")
    if nul >= 0:
        line, column = _line_col(raw, nul)
        result.add("yaml.nul-byte", "the file contains a NUL byte (binary data?)", line=line, column=column)
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _line_col(raw, exc.start)
        result.add("yaml.encoding", f"not UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded; "
                   "save the file as UTF-8", line=line, column=column)
        return None
    return text.removeprefix("\ufeff")


def _line_col(raw: bytes, offset: int) -> tuple[int, int]:
    line_start = raw.rfind(b"\n", 0, offset) + 1
    return raw.count(b"\n", 0, offset) + 1, offset - line_start + 1


# Trust configuration holds numeric GitHub ids and issuer URLs, never free text about patients.
_NO_PHI_KINDS = frozenset({"Trust"})


def _scan_phi(result: LoadedFile, known_emails: frozenset[str]) -> frozenset[tuple[Any, ...]]:
    """Report suspected identifiers; return the fields and keys that must not be named again."""
    if result.kind in _NO_PHI_KINDS:
        return frozenset()
    suspects = phi.scan_document(result.text or "", result.data, known_emails)
    for suspect in suspects:
        rule, where, hidden = _PHI_PLACES[suspect.place]
        # A key is named by the mapping that holds it: its own name is what must not be shown.
        shown = suspect.path[:-1] if suspect.place is phi.Place.KEY else suspect.path
        in_comment = suspect.place is phi.Place.COMMENT
        result.add(rule, f"{where}looks like it contains {phi.describe(suspect.kinds)}; patient "
                   f"identifiers must never be stored in a manifest{hidden}", field=field_path(shown) or None,
                   at=(suspect.line, suspect.column) if in_comment else _at(result, suspect.path))
    # As text: a key YAML read as a number (123456789: x) is a number in pydantic's location.
    return frozenset(tuple(map(str, s.path)) for s in suspects if s.place is not phi.Place.COMMENT)


# Rule, how the message starts, how it ends: the value itself is never shown.
_PHI_PLACES = {
    phi.Place.VALUE: ("phi.suspected", "", " (value not shown)"),
    phi.Place.KEY: ("phi.in-key", "a key of this mapping ", " (key not shown)"),
    phi.Place.COMMENT: ("phi.in-comment", "a comment ", ", comments included (comment not shown)"),
}


# `clinigate propose` writes this marker wherever a person must state or confirm a value.
DRAFT_MARKER = "TODO(clinigate propose)"


def _scan_drafts(result: LoadedFile) -> frozenset[tuple[Any, ...]]:
    """Report each draft marker still in the document (rule draft.todo); return their locations."""
    if DRAFT_MARKER not in (result.text or ""):
        return frozenset()
    found = dict(_markers(result.data, ()))
    for loc, marker in found.items():
        what = marker.removeprefix(DRAFT_MARKER).lstrip(": ")[:200]
        result.add("draft.todo", f"still a draft from clinigate propose; fill in: {what}",
                   field=field_path(loc) or None, at=_at(result, loc))
    return frozenset(found)


def _markers(data: Any, loc: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(data, str):
        if data.startswith(DRAFT_MARKER):
            yield loc, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _markers(value, (*loc, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _markers(value, (*loc, index))


def _validate(result: LoadedFile, skip: frozenset[tuple[Any, ...]] = frozenset(),
              hidden: frozenset[tuple[Any, ...]] = frozenset()) -> None:
    data = result.data
    if not isinstance(data, dict):
        what = "empty" if data is None else f"a {type(data).__name__}, not a mapping"
        result.add("yaml.not-a-mapping", f"the document is {what}; expected a mapping of fields")
        return
    found = data.get("kind")
    if result.kind is None:
        result.kind = found if isinstance(found, str) and found in DOCUMENT_TYPES else None
        if result.kind is None:
            result.add("document.kind", f"unknown kind; expected one of {', '.join(DOCUMENT_TYPES)}",
                       field="kind", at=_at(result, ("kind",)))
            return
    elif found != result.kind:
        shown = f"'{found}'" if isinstance(found, str) and found in DOCUMENT_TYPES else "something else"
        result.add("document.kind", f"this location holds kind {result.kind}, but the file says {shown}",
                   field="kind", at=_at(result, ("kind",)))
        return
    model = DOCUMENT_TYPES[result.kind]
    try:
        result.document = model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        typos = misspelt(errors)
        for index, error in enumerate(errors):
            loc = tuple(error["loc"])
            if loc in skip:  # already reported as draft.todo
                continue
            if hidden and _under(tuple(map(str, loc)), hidden):  # its name or value could echo PHI
                continue
            if error["type"] == "missing" and index in typos:
                continue  # said once, at the misspelt key
            rule, message = describe(error, result.kind, model, typos.get(index))
            result.add(rule, message, field=field_path(loc) or None, at=_at(result, loc))


def _under(loc: tuple[str, ...], paths: frozenset[tuple[str, ...]]) -> bool:
    return any(loc[:len(path)] == path for path in paths)


def _at(result: LoadedFile, loc: tuple[Any, ...]) -> tuple[int | None, int | None]:
    return result.locate(loc) if result.locate else (None, None)
