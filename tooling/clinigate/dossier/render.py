"""Render a dossier's view as HTML or Markdown (jinja2), and HTML to PDF (headless Chromium).

HTML autoescapes every value; Markdown escapes through the ``md`` filter, so manifest text such
as ``<script>``, ``{{ 7*7 }}`` or ``**bold**`` prints literally (it is data, never a template).
Charts are inline SVG, CSS is inline: a report opens offline and fetches nothing.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import jinja2

    from .view import ReportView

Kind = Literal["report", "card", "release-notes"]
SECTIONS: dict[Kind, tuple[str, ...]] = {
    "report": ("identity", "card", "hti1", "training", "validation", "pccp", "approvals", "deployments",
               "monitoring", "limitations", "provenance"),
    "card": ("identity", "card", "hti1", "limitations", "provenance"),
    "release-notes": ("release", "provenance"),
}
TITLES: dict[Kind, str] = {"report": "Audit report", "card": "Model card", "release-notes": "Release notes"}
# Where a value starts a line, these open a block (a heading, a list, a quote); inside a line
# report/markdown.py's markdown_text makes the rest inert.
_MD_LEADING = re.compile(r"^(#|=|!|[-+] |\d+[.)] )")


def md_escape(value: object) -> str:
    """Markdown-literal text on one line (a table cell holds no newline); None prints as nothing."""
    from ..report.markdown import markdown_text

    text = markdown_text(" ".join(("" if value is None else str(value)).split()))
    return _MD_LEADING.sub(r"\\\1", text)


@cache
def _environment(markdown: bool) -> jinja2.Environment:
    from .._internal.extras import require

    require("jinja2", "rendering reports")
    import jinja2

    loader = jinja2.PackageLoader("clinigate.dossier", "templates")
    if markdown:
        # finalize escapes every printed value, so no template can forget to.
        return jinja2.Environment(loader=loader, autoescape=False, finalize=md_escape,
                                  undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)


def _context(view: ReportView, kind: Kind) -> dict[str, Any]:
    from .. import __version__

    return {"v": view, "sections": SECTIONS[kind], "clinigate_version": __version__,
            "title": f"{TITLES[kind]}: {view.display_name} {view.version}",
            "subtitle": f"{view.model} {view.version}",
            "css": resources.files("clinigate.dossier").joinpath("templates/style.css").read_text("utf-8")}


def render_html(view: ReportView, kind: Kind) -> str:
    return _environment(False).get_template("report.html.j2").render(_context(view, kind))


def render_markdown(view: ReportView, kind: Kind) -> str:
    return _environment(True).get_template("report.md.j2").render(_context(view, kind))
