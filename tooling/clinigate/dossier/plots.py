"""Charts for model cards and audit reports: subgroup AUROC forest plot, training vs validation mix.

    >>> version = load_file(repo, "models/sepsis-ews/versions/1.2.1.yaml").document  # doctest: +SKIP
    >>> svg = forest_plot_svg(subgroup_points(version), overall_point(version),
    ...                       max_gap=0.1, min_n=100, title="Sepsis-EWS 1.2.1")   # doctest: +SKIP
    >>> svg = distribution_svg(training_distribution(version), validation_distribution(version),
    ...                        title="Who the data describe")                    # doctest: +SKIP

Both return inline SVG (see :mod:`clinigate.dossier.svg`). The charts take plain values, so a
report does not depend on the manifest's shape; the ``*_point``/``*_distribution`` helpers
read a :class:`ModelVersion`. Elements a reader or a test must find carry ids
``<chart id>-auc-<row>``, ``-ci-<row>``, ``-overall``, ``-band``, ``-train-<row>``, ``-valid-<row>``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from ..manifest.version import ModelVersion
from ..pccp.facts import e4
from .svg import render_svg, stable_id

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_POINT = "#1f4e79"
_FLAGGED = "#b2182b"
_BAND = "#f4a582"
_TRAINING = "#4d4d4d"
_VALIDATION = "#4393c3"
_ATTRIBUTE_GAP = 0.6  # extra space between attributes, in rows
SMALL_N_MARK = "†"
NO_CI_MARK = "‡"


@dataclass(frozen=True)
class SubgroupPoint:
    """One subgroup's AUROC; ``ci_low``/``ci_high`` are both None when no CI was recorded."""

    attribute: str
    group: str
    n: int
    auc: float
    ci_low: float | None = None
    ci_high: float | None = None

    def __post_init__(self) -> None:
        if (self.ci_low is None) != (self.ci_high is None):
            raise ValueError(f"{self.attribute}: {self.group}: give both CI bounds or neither")

    @property
    def label(self) -> str:
        return f"{self.attribute}: {self.group} (n={self.n})"

    @property
    def has_ci(self) -> bool:
        return self.ci_low is not None


@dataclass(frozen=True)
class OverallPoint:
    auc: float
    ci_low: float | None = None
    ci_high: float | None = None


def subgroup_points(version: ModelVersion) -> list[SubgroupPoint]:
    return [SubgroupPoint(sub.attribute.value, sub.group, sub.n, sub.auc_roc, sub.ci95[0], sub.ci95[1])
            for sub in version.validation.subgroups]


def overall_point(version: ModelVersion) -> OverallPoint:
    overall = version.validation.overall
    return OverallPoint(overall.auc_roc, overall.auc_ci95[0], overall.auc_ci95[1])


def validation_distribution(version: ModelVersion) -> dict[str, dict[str, float]]:
    """Share of validation records per group: subgroup n over the attribute's total n."""
    counts: dict[str, dict[str, int]] = {}
    for sub in version.validation.subgroups:
        counts.setdefault(sub.attribute.value, {})[sub.group] = sub.n
    return {attribute: {group: n / sum(groups.values()) for group, n in groups.items()}
            for attribute, groups in counts.items()}


def training_distribution(version: ModelVersion) -> dict[str, dict[str, float]]:
    """The recorded training demographics, plus each site's share from the dataset's site n."""
    data = version.training.dataset
    shares = {attribute.value: dict(groups) for attribute, groups in version.training.demographics.items()}
    shares.setdefault("site", {site.name: site.n / data.size for site in data.sites})
    return shares


def below_band(subgroups: Sequence[SubgroupPoint], overall: OverallPoint,
               max_gap: float | None) -> list[SubgroupPoint]:
    """Groups more than ``max_gap`` below overall, in the gate's arithmetic (1/10,000, exact)."""
    if max_gap is None:
        return []
    return [p for p in subgroups if e4(overall.auc) - e4(p.auc) > e4(max_gap)]


def below_min_n(subgroups: Sequence[SubgroupPoint], min_n: int | None) -> list[SubgroupPoint]:
    return [p for p in subgroups if min_n is not None and p.n < min_n]


def _minus(a: float, b: float) -> str:
    return str(Decimal(repr(a)) - Decimal(repr(b)))


def _ci(low: float | None, high: float | None) -> str:
    return f" (95% CI {low} to {high})" if low is not None else " (no 95% CI recorded)"


def _rows(attributes: Sequence[str]) -> list[float]:
    """Top-down row positions, with a gap wherever the attribute changes."""
    positions: list[float] = []
    y = 0.0
    for index, attribute in enumerate(attributes):
        if index and attribute != attributes[index - 1]:
            y += _ATTRIBUTE_GAP
        positions.append(y)
        y += 1.0
    return positions


def _grouped(subgroups: Sequence[SubgroupPoint]) -> list[SubgroupPoint]:
    """Rows grouped by attribute, attributes and groups in the order first given."""
    order = list(dict.fromkeys(p.attribute for p in subgroups))
    return sorted(subgroups, key=lambda p: order.index(p.attribute))


# Forest plot.

def forest_plot_svg(subgroups: Sequence[SubgroupPoint], overall: OverallPoint, *, max_gap: float | None,
                    min_n: int | None, title: str) -> str:
    """AUROC and 95% CI per subgroup, the overall AUROC, and the PCCP's allowed gap below it.

    ``max_gap`` shades the band a subgroup may fall below overall (``max_subgroup_gap``);
    groups left of it are drawn as red diamonds. Groups with ``n < min_n`` get a hollow marker
    and a † after their label. A group without a CI is a point with no line, marked ‡.
    """
    rows = _grouped(subgroups)
    cid = stable_id("forest", (rows, overall, max_gap, min_n, title))

    def draw(figure: Figure) -> None:
        _draw_forest(figure.add_subplot(), cid, rows, overall, max_gap=max_gap, min_n=min_n, title=title)

    return render_svg(draw, chart_id=cid, width=7.5, height=2.4 + 0.26 * len(rows), title=title,
                      description=forest_description(rows, overall, max_gap=max_gap, min_n=min_n))


def _draw_forest(ax: Axes, cid: str, rows: Sequence[SubgroupPoint], overall: OverallPoint, *,
                 max_gap: float | None, min_n: int | None, title: str) -> None:
    flagged = set(below_band(rows, overall, max_gap))  # equal points get the same verdict
    small = set(below_min_n(rows, min_n))
    ys = _rows([p.attribute for p in rows])
    if max_gap is not None:
        ax.axvspan(overall.auc - max_gap, overall.auc, color=_BAND, alpha=0.35, linewidth=0, zorder=0,
                   gid=f"{cid}-band")
    ax.axvline(overall.auc, color="#333333", linestyle="--", linewidth=1.0, zorder=1, gid=f"{cid}-overall")
    for row, (point, y) in enumerate(zip(rows, ys, strict=True)):
        colour = _FLAGGED if point in flagged else _POINT
        if point.ci_low is not None and point.ci_high is not None:
            ax.plot([point.ci_low, point.ci_high], [y, y], color=colour, linewidth=1.5,
                    solid_capstyle="butt", zorder=2, gid=f"{cid}-ci-{row}")
        ax.plot([point.auc], [y], linestyle="none", marker="D" if point in flagged else "o",
                markersize=6, markeredgecolor=colour, markeredgewidth=1.3,
                markerfacecolor="white" if point in small else colour, zorder=3, gid=f"{cid}-auc-{row}")
    ax.set_yticks(ys, [_forest_label(p, min_n) for p in rows])
    ax.set_ylim(ys[-1] + 0.8 if ys else 1.0, -0.8)
    ax.set_xlim(*_forest_limits(rows, overall, max_gap))
    ax.set_xlabel("AUROC (point) and 95% confidence interval (line)")
    ax.set_title(title)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6, zorder=0)
    ax.tick_params(axis="y", length=0)
    _forest_legend(ax, rows, overall, max_gap=max_gap, min_n=min_n, any_flagged=bool(flagged),
                   any_small=bool(small))


def _forest_label(point: SubgroupPoint, min_n: int | None) -> str:
    marks = (SMALL_N_MARK if min_n is not None and point.n < min_n else "") + \
        ("" if point.has_ci else NO_CI_MARK)
    return point.label + (f" {marks}" if marks else "")


def _forest_limits(rows: Sequence[SubgroupPoint], overall: OverallPoint,
                   max_gap: float | None) -> tuple[float, float]:
    values = [overall.auc] + [v for p in rows for v in (p.auc, p.ci_low, p.ci_high) if v is not None]
    if overall.ci_low is not None and overall.ci_high is not None:
        values += [overall.ci_low, overall.ci_high]
    if max_gap is not None:
        values.append(overall.auc - max_gap)
    return max(0.0, min(values) - 0.02), min(1.0, max(values) + 0.02)


def _forest_legend(ax: Axes, rows: Sequence[SubgroupPoint], overall: OverallPoint, *, max_gap: float | None,
                   min_n: int | None, any_flagged: bool, any_small: bool) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Line2D | Patch] = [
        Line2D([], [], color=_POINT, marker="o", linewidth=1.5, label="Subgroup AUROC and 95% CI"),
        Line2D([], [], color="#333333", linestyle="--", linewidth=1.0,
               label=f"Overall AUROC {overall.auc}{_ci(overall.ci_low, overall.ci_high)}"),
    ]
    if max_gap is not None:
        handles.append(Patch(color=_BAND, alpha=0.35, linewidth=0,
                             label=f"Allowed gap: up to {max_gap} below overall"))
    if any_flagged:
        handles.append(Line2D([], [], color=_FLAGGED, marker="D", linestyle="none",
                              label="Below the allowed gap (the gate flags it)"))
    if any_small:
        handles.append(Line2D([], [], color=_POINT, marker="o", markerfacecolor="white", linestyle="none",
                              label=f"{SMALL_N_MARK} n below {min_n} (hollow marker)"))
    if any(not p.has_ci for p in rows):
        handles.append(Line2D([], [], color=_POINT, marker="o", linestyle="none",
                              label=f"{NO_CI_MARK} no 95% CI recorded (no line drawn)"))
    ax.figure.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)


def _named(points: Sequence[SubgroupPoint], what: Callable[[SubgroupPoint], str]) -> str:
    return "; ".join(f"{p.attribute}: {p.group} ({what(p)})" for p in points)


def forest_description(rows: Sequence[SubgroupPoint], overall: OverallPoint, *, max_gap: float | None,
                       min_n: int | None) -> str:
    """The chart in words (its SVG <desc>): what it shows and which groups stand out."""
    attributes = ", ".join(dict.fromkeys(p.attribute for p in rows))
    parts = [f"Forest plot of AUROC for {len(rows)} subgroups of {attributes}: each group's AUROC is a "
             "point and its 95% confidence interval a horizontal line.",
             f"Overall AUROC {overall.auc}{_ci(overall.ci_low, overall.ci_high)}, a dashed vertical line."]
    if max_gap is not None:
        flagged = _named(below_band(rows, overall, max_gap), lambda p: f"AUROC {p.auc}")
        parts.append(f"The shaded band spans the allowed gap of {max_gap} below overall, down to "
                     f"{_minus(overall.auc, max_gap)}.")
        parts.append(f"Below the band: {flagged}." if flagged else "No group is below the band.")
    if min_n is not None:
        small = _named(below_min_n(rows, min_n), lambda p: f"n={p.n}")
        parts.append(f"Below the minimum n of {min_n}: {small}." if small
                     else f"No group has n below {min_n}.")
    missing = _named([p for p in rows if not p.has_ci], lambda p: f"AUROC {p.auc}")
    if missing:
        parts.append(f"No 95% CI recorded, so no line drawn: {missing}.")
    return " ".join(parts)


# Training vs validation distribution.

def distribution_svg(training: dict[str, dict[str, float]], validation: dict[str, dict[str, float]],
                     title: str) -> str:
    """Paired horizontal bars: each group's share of training and of validation records.

    A group recorded on one side only gets one bar and a "not recorded" note on the other,
    never a zero bar (zero would claim the group was absent).
    """
    rows = _distribution_rows(training, validation)
    cid = stable_id("distribution", (rows, title))

    def draw(figure: Figure) -> None:
        _draw_distribution(figure.add_subplot(), cid, rows, title)

    return render_svg(draw, chart_id=cid, width=7.5, height=1.8 + 0.36 * len(rows), title=title,
                      description=distribution_description(rows))


@dataclass(frozen=True)
class _Share:
    attribute: str
    group: str
    training: float | None
    validation: float | None


def _distribution_rows(training: dict[str, dict[str, float]],
                       validation: dict[str, dict[str, float]]) -> list[_Share]:
    rows: list[_Share] = []
    for attribute in dict.fromkeys([*training, *validation]):
        train, valid = training.get(attribute, {}), validation.get(attribute, {})
        rows += [_Share(attribute, group, train.get(group), valid.get(group))
                 for group in dict.fromkeys([*train, *valid])]
    return rows


def _draw_distribution(ax: Axes, cid: str, rows: Sequence[_Share], title: str) -> None:
    from matplotlib.patches import Patch
    from matplotlib.ticker import PercentFormatter

    ys = _rows([r.attribute for r in rows])
    height = 0.38
    for row, (share, y) in enumerate(zip(rows, ys, strict=True)):
        for value, offset, colour, key in ((share.training, -height / 2, _TRAINING, "train"),
                                           (share.validation, height / 2, _VALIDATION, "valid")):
            if value is None:
                ax.text(0.002, y + offset, "not recorded", va="center", fontsize=7, color="#666666",
                        fontstyle="italic")
                continue
            ax.barh(y + offset, value, height=height, color=colour, gid=f"{cid}-{key}-{row}")
            ax.text(value, y + offset, f" {value:.1%}", va="center", fontsize=7, color="#333333")
    ax.set_yticks(ys, [f"{r.attribute}: {r.group}" for r in rows])
    ax.set_ylim(ys[-1] + 0.8 if ys else 1.0, -0.8)
    top = max([v for r in rows for v in (r.training, r.validation) if v is not None], default=1.0)
    ax.set_xlim(0.0, min(1.0, top * 1.18) if top > 0 else 1.0)
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    ax.set_xlabel("Share of records within the attribute")
    ax.set_title(title)
    ax.tick_params(axis="y", length=0)
    ax.figure.legend(handles=[Patch(color=_TRAINING, label="Training"),
                              Patch(color=_VALIDATION, label="Validation")],
                     loc="outside lower center", ncols=2, frameon=False)


def distribution_description(rows: Sequence[_Share]) -> str:
    attributes = ", ".join(dict.fromkeys(r.attribute for r in rows))
    parts = [f"Paired horizontal bars of the share of records in each of {len(rows)} groups of "
             f"{attributes}, training (grey, upper bar) against validation (blue, lower bar)."]
    both = [r for r in rows if r.training is not None and r.validation is not None]
    if both:
        r = max(both, key=lambda r: abs((r.training or 0.0) - (r.validation or 0.0)))
        parts.append(f"Largest difference: {r.attribute}: {r.group}, {r.training:.1%} of training "
                     f"and {r.validation:.1%} of validation records.")
    only_training = [f"{r.attribute}: {r.group}" for r in rows if r.validation is None]
    only_validation = [f"{r.attribute}: {r.group}" for r in rows if r.training is None]
    if only_training:
        parts.append(f"No validation share recorded for: {'; '.join(only_training)}.")
    if only_validation:
        parts.append(f"No training share recorded for: {'; '.join(only_validation)}.")
    return " ".join(parts)
