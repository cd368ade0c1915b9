"""Population stability index: how far a current distribution has moved from a reference one.

PSI = Σ (cᵢ − rᵢ) · ln(cᵢ / rᵢ) over bins cut at the reference's deciles (the outer bins open),
with each share floored at 1e-4 so an empty bin is a large term, not an infinite one. The usual
reading: below 0.1 stable, 0.1 to 0.25 a shift worth a look, above 0.25 a major shift; the
version's ``monitoring.drift.threshold`` decides.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

FLOOR = 1e-4


def psi(reference: NDArray[np.float64], current: NDArray[np.float64], bins: int = 10) -> float:
    import numpy as np

    if reference.size == 0 or current.size == 0:
        raise ValueError("PSI needs values on both sides")
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))
    ref_share = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=edges.size + 1)
    cur_share = np.bincount(np.searchsorted(edges, current, side="right"), minlength=edges.size + 1)
    r = np.maximum(ref_share / reference.size, FLOOR)
    c = np.maximum(cur_share / current.size, FLOOR)
    return float(np.sum((c - r) * np.log(c / r)))
