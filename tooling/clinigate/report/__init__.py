"""Renderers: one result type in, one output format out (text, json, github, sarif, junit).

Each result type has one table of them, a :class:`~clinigate.report.protocol.Renderers`; this
is the one for a plain :class:`~clinigate.findings.Report` (``validate``, ``policy lint``).
"""

from __future__ import annotations

from ..findings import Report
from . import github, json_format, junit, sarif, text
from .protocol import Renderers
from .tables import findings_table

RENDERERS: Renderers[Report] = Renderers("the validation report", {
    "text": text.render,
    "json": json_format.render,
    "github": github.render,
    "sarif": sarif.render,
    "junit": junit.render,
}, interactive=findings_table)
