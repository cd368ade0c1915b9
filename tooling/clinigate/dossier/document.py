"""One entry point for the documents: gather the dossier, draw the charts, render the format.

    with Auditor.open(git, "main") as auditor:
        pdf = render_document(auditor, model="sepsis-ews", version="1.2.1", kind="report", fmt="pdf")
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from ..audit.query import Auditor
from .facts import Dossier, gather
from .render import TITLES, Kind, render_html, render_markdown
from .view import ReportView, build_view

Format = Literal["html", "pdf", "md"]
FORMATS: tuple[Format, ...] = ("html", "pdf", "md")


def view_of(dossier: Dossier, kind: Kind, *, charts: bool = True) -> ReportView:
    """The view the templates print; ``charts=False`` skips drawing (Markdown shows none)."""
    from .._internal.extras import require
    from .hti1 import hti1_crosswalk
    from .plots import (
        distribution_svg,
        forest_plot_svg,
        overall_point,
        subgroup_points,
        training_distribution,
        validation_distribution,
    )

    hti1 = hti1_crosswalk(dossier.model, dossier.version, dossier.pccp)
    if kind != "report" or not charts:
        return build_view(dossier, hti1=hti1)
    require("matplotlib", "drawing the report's charts")
    version = dossier.version
    plan = dossier.acceptance
    gap, min_n = (plan.max_subgroup_gap, plan.min_subgroup_n) if plan else (None, None)
    forest = forest_plot_svg(subgroup_points(version), overall_point(version), max_gap=gap, min_n=min_n,
                             title=f"{dossier.model.name} {version.version}: AUC by subgroup (95% CI)")
    chart = distribution_svg(training_distribution(version), validation_distribution(version),
                             title=f"{dossier.model.name} {version.version}: share per group")
    return build_view(dossier, hti1=hti1, forest_svg=forest, distribution_svg=chart)


def render_document(auditor: Auditor, *, model: str, version: str, kind: Kind, fmt: Format) -> bytes:
    view = view_of(gather(auditor, model=model, version=version), kind, charts=fmt != "md")
    if fmt == "md":
        return render_markdown(view, kind).encode("utf-8")
    html = render_html(view, kind)
    if fmt == "html":
        return html.encode("utf-8")
    from .pdf import html_to_pdf

    return html_to_pdf(html)


__all__ = ["FORMATS", "TITLES", "Format", "render_document", "version_document", "view_of"]


def version_document(*, root: Path, model: str, version: str, kind: Kind, fmt: Format, branch: str = "main",
                     rev: str | None = None) -> bytes:
    """The report, card or release notes of ``model`` ``version`` as judged on the deployment branch
    (``rev``, default its tip, on its first-parent line), as html, pdf or md bytes."""
    from ..gitrepo import Git
    from ..registry.branch import deployable

    git = Git(root)
    with Auditor.open(git, deployable(git, rev, branch)) as auditor:
        return render_document(auditor, model=model, version=version, kind=kind, fmt=fmt)
