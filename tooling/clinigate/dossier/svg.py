"""A matplotlib figure as deterministic, accessible SVG text to inline in an HTML report.

    >>> svg = render_svg(draw, chart_id="forest-1a2b", width=7.5, height=6.0,
    ...                  title="AUROC by subgroup", description="…")    # doctest: +SKIP

Byte-identical output for the same input is what lets a dossier be diffed, hashed and signed:
matplotlib's defaults would stamp the date, salt element ids with uuid4 and turn text into
glyph paths (unsearchable, unreadable by a screen reader). Matplotlib is imported here, on
first use, because it costs far more import time than the rest of clinigate together.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Applied over matplotlib's built-in defaults, never over a user's matplotlibrc, so that the
# same input renders the same bytes on every machine.
_RC: dict[str, Any] = {
    "svg.fonttype": "none",  # text stays <text>: searchable, selectable, read aloud
    "font.family": "DejaVu Sans",  # ships with matplotlib, so text metrics never depend on the host
    "font.size": 9.0,
    "text.parse_math": False,  # a group named "$5k-$10k" is text, not mathtext
    "axes.titlesize": 11.0,
    "axes.titlelocation": "left",
}

# No <metadata> block: its Date would change every run, and Creator names the matplotlib version.
_NO_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}


def stable_id(kind: str, content: object) -> str:
    """A stable id for one chart: the same content gives the same id, two charts differ."""
    return f"{kind}-{hashlib.sha256(repr(content).encode()).hexdigest()[:10]}"


def render_svg(draw: Callable[[Figure], None], *, chart_id: str, width: float, height: float,
               title: str, description: str) -> str:
    """Call ``draw`` on a fresh figure of ``width`` x ``height`` inches; return ``<svg …>…</svg>``."""
    import matplotlib.style
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    # The id salts matplotlib's clip-path and marker ids, so two charts inlined in one page
    # never share an id, while one chart's ids stay the same on every render.
    settings = {**_RC, "svg.hashsalt": chart_id, "svg.id": chart_id}
    with matplotlib.style.context(["default", settings]):
        # A bare Figure on the SVG canvas, never pyplot: no global figure registry and no
        # backend switch (a GUI backend in a server, or Agg forced on a user's notebook).
        figure = Figure(figsize=(width, height), layout="constrained")
        FigureCanvasSVG(figure)
        draw(figure)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata=_NO_METADATA)
    return _accessible(buffer.getvalue(), chart_id, title, description)


def _accessible(document: str, chart_id: str, title: str, description: str) -> str:
    """Drop the XML prolog and name the image: role, <title> and <desc> (WAI-ARIA graphics)."""
    svg = document[document.index("<svg"):]
    start_end = svg.index(">") + 1
    labels = f"{chart_id}-title {chart_id}-desc"
    opening = svg[:start_end].replace("<svg ", f'<svg role="img" aria-labelledby="{labels}" ', 1)
    names = (f'\n <title id="{chart_id}-title">{escape(title)}</title>'
             f'\n <desc id="{chart_id}-desc">{escape(description)}</desc>')
    return opening + names + svg[start_end:]
