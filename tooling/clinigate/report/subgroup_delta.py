"""A changed version against production, per subgroup, as a Markdown table for the PR page."""

from __future__ import annotations

from ..policy.subgroup_delta import AucDelta, AucEstimate, DeltaFlag, ProductionComparison
from .markdown import markdown_text

_HEADER = ["| attribute | group | n | AUC (95% CI) | production AUC (95% CI) | Δ AUC | flag |",
           "|---|---|---|---|---|---|---|"]
_MISSING = "—"


def markdown_lines(comparison: ProductionComparison, model: str) -> list[str]:
    """The table, or the one line that says why there is none."""
    name = markdown_text(model)
    if comparison.production_version is None:
        return [f"No version of {name} is in production at the base revision (a first release): "
                "nothing to compare with."]
    version = markdown_text(comparison.production_version)
    if not comparison.production_loaded or comparison.overall is None:
        return [f"Production runs {name} {version}, whose manifest does not load at the base revision: "
                "no comparison."]
    rows = [comparison.overall, *comparison.subgroups]
    return [f"AUC against production ({name} {version}, deployment.yaml at the base revision):", "",
            *_HEADER, *(_row(r, comparison.max_regression) for r in rows)]


def _row(row: AucDelta, tolerance: float | None) -> str:
    n = str(row.head.n) if row.head else _MISSING
    cells = [markdown_text(row.attribute), markdown_text(row.group), n, _estimate(row.head),
             _estimate(row.production), _delta(row.delta), _flag(row.flag, tolerance)]
    return "| " + " | ".join(cells) + " |"


def _estimate(estimate: AucEstimate | None) -> str:
    if estimate is None:
        return _MISSING
    low, high = estimate.ci95
    return f"{estimate.auc:.3f} ({low:.3f}–{high:.3f})"


def _delta(delta: float | None) -> str:
    if delta is None:
        return _MISSING
    return "±0.000" if delta == 0 else f"{delta:+.3f}"


def _flag(flag: DeltaFlag | None, tolerance: float | None) -> str:
    if flag is None:
        return ""
    if flag is DeltaFlag.BEYOND_TOLERANCE and tolerance is not None:
        return f"⚠️ {flag.value} ({tolerance:.3f})"
    return f"⚠️ {flag.value}"
