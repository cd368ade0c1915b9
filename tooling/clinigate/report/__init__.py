"""Renderers: one result type in, one output format out (text, json, github, sarif, junit)."""

from __future__ import annotations

from collections.abc import Callable

from ..findings import Report
from . import github, json_format, junit, sarif, text

RENDERERS: dict[str, Callable[[Report], str]] = {
    "text": text.render,
    "json": json_format.render,
    "github": github.render,
    "sarif": sarif.render,
    "junit": junit.render,
}
