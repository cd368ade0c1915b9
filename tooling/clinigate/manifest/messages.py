"""Pydantic errors turned into sentences a data scientist understands, with a rule id each."""

from __future__ import annotations

import difflib
import typing
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

_FORMAT_HINTS = {
    "version": "a semantic version like 1.2.0",
    "parent": "a semantic version like 1.1.0, or null for the first version",
    "authorised_baseline": "a semantic version like 1.0.0",
    "rollback_target": "a semantic version like 1.1.0, or null",
    "sha256": "64 lower-case hex characters (a SHA-256 digest)",
    "environment_sha256": "64 lower-case hex characters (a SHA-256 digest)",
    "run_id": "a 32-character lower-case hex MLflow run id",
    "code_commit": "a full 40-character git commit id",
    "model": "a lower-case kebab-case model name like sepsis-ews",
    "name": "a lower-case kebab-case model name like sepsis-ews",
    "submitted_by": "a person id from policies/data/roles.yaml, like adoe",
    "id": "a lower-case person id like adoe",
    "modifications.id": "a modification id like M1 (a letter, then letters, digits, '.', '_' or '-')",
    "email": "an e-mail address",
    "contact": "an e-mail address",
    "github": "a GitHub user name",
    "uri": "an MLflow model URI such as models:/sepsis-ews/3",
}


def _format_hint(loc: tuple[int | str, ...], pattern: object) -> str:
    """What a pattern-checked field must hold; a hint for ``<parent>.<leaf>`` wins over ``<leaf>``'s
    (a modification's ``id`` is not a person's)."""
    names = [step for step in loc if isinstance(step, str)]
    return (_FORMAT_HINTS.get(".".join(names[-2:])) or _FORMAT_HINTS.get(names[-1] if names else "")
            or f"text matching {pattern}")


def field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for step in loc:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


@cache
def field_names(model: type[BaseModel]) -> frozenset[str]:
    """Every field name (by alias) anywhere in a document model, for "did you mean" hints."""
    names: set[str] = set()
    pending: list[Any] = [model]
    seen: set[Any] = set()
    while pending:
        item = pending.pop()
        if item in seen:
            continue
        seen.add(item)
        if isinstance(item, type) and issubclass(item, BaseModel):
            for name, info in item.model_fields.items():
                names.add(info.alias or name)
                pending.append(info.annotation)
        else:
            pending.extend(typing.get_args(item))
    return frozenset(names)


def misspelt(errors: list[ErrorDetails]) -> dict[int, str]:
    """Which unknown fields are a misspelling of a required field missing beside them.

    Maps the index of each such ``extra_forbidden`` error to the field it stands for, and the
    index of that ``missing`` error to the same name: a typo is one mistake, reported once.
    """
    missing: dict[tuple[Any, ...], dict[str, int]] = {}
    for index, error in enumerate(errors):
        if error["type"] == "missing" and error["loc"] and isinstance(error["loc"][-1], str):
            missing.setdefault(tuple(error["loc"][:-1]), {})[error["loc"][-1]] = index
    pairs: dict[int, str] = {}
    for index, error in enumerate(errors):
        loc = tuple(error["loc"])
        if error["type"] != "extra_forbidden" or not loc or not isinstance(loc[-1], str):
            continue
        beside = {name: i for name, i in missing.get(loc[:-1], {}).items() if i not in pairs}
        close = difflib.get_close_matches(loc[-1], beside, n=1)
        if close:
            pairs[index] = pairs[beside[close[0]]] = close[0]
    return pairs


def describe(error: ErrorDetails, doc_kind: str, model: type[BaseModel] | None = None,
             meant: str | None = None) -> tuple[str, str]:
    """(rule, message) for one pydantic error; never echoes a string value.

    ``meant``: for an unknown field, the missing required field it misspells (``misspelt``).
    """
    kind, ctx = error["type"], error.get("ctx", {})
    leaf = next((s for s in reversed(error["loc"]) if isinstance(s, str)), "")
    if kind == "missing":
        return "schema.missing", f"required field '{leaf}' is missing from this {doc_kind}"
    if kind == "extra_forbidden":
        return "schema.unknown-field", _unknown_text(leaf, doc_kind, model, meant)
    if kind == "string_pattern_mismatch":
        return "schema.format", f"must be {_format_hint(error['loc'], ctx.get('pattern'))}"
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        return "schema.range", f"{_range_text(kind, ctx)} (got {_number(error['input'])})"
    if kind in {"literal_error", "enum"}:
        return "schema.choice", f"must be one of {ctx.get('expected')}"
    if kind in {"too_short", "too_long", "string_too_short", "string_too_long"}:
        return "schema.length", _length_text(kind, ctx)
    if kind == "value_error":
        return "schema.consistency", str(ctx.get("error", error["msg"]))
    if kind == "string_type" and isinstance(error["input"], (int, float)):
        return "schema.type", "must be text, but YAML read a number: put it in quotes, e.g. '2024.10'"
    if kind.endswith("_type") or kind.endswith("_parsing") or kind == "is_instance_of":
        expected = error["msg"].replace("Input should be", "must be")
        return "schema.type", f"{expected} (found {_type_name(error['input'])})"
    return "schema.invalid", error["msg"]


def _unknown_text(leaf: str, doc_kind: str, model: type[BaseModel] | None, meant: str | None) -> str:
    if meant:
        return f"unknown field '{leaf}': did you mean '{meant}'? (the required field '{meant}' is missing)"
    close = difflib.get_close_matches(leaf, field_names(model), n=1) if model else []
    hint = f"did you mean '{close[0]}'?" if close else "a typo?"
    return f"unknown field '{leaf}' ({hint}): {doc_kind} does not allow it"


def _range_text(kind: str, ctx: dict[str, Any]) -> str:
    words = {"greater_than": ("gt", "greater than"), "greater_than_equal": ("ge", "at least"),
             "less_than": ("lt", "less than"), "less_than_equal": ("le", "at most")}
    key, text = words[kind]
    return f"must be {text} {ctx.get(key)}"


def _length_text(kind: str, ctx: dict[str, Any]) -> str:
    if "min_length" in ctx and kind in {"too_short", "string_too_short"}:
        if ctx["min_length"] == 1 and kind == "string_too_short":
            return "must not be empty"
        return f"needs at least {ctx['min_length']} entr{'y' if ctx['min_length'] == 1 else 'ies'}" \
            if kind == "too_short" else f"must be at least {ctx['min_length']} characters"
    return f"is too long (at most {ctx.get('max_length')})"


def _number(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    return "a value out of range"


def _type_name(value: Any) -> str:
    names = {bool: "true/false", int: "a whole number", float: "a number", str: "text",
             list: "a list", dict: "a mapping", type(None): "null"}
    return names.get(type(value), type(value).__name__)
