"""PSI by hand on a small example, and its behaviour on equal and shifted distributions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from clinigate.evidence.drift import psi


def test_psi_equals_the_formula_on_a_hand_computed_example() -> None:
    reference = np.arange(10, dtype=float)  # deciles cut between each value: ten bins of 10%
    current = np.array([0, 0, 0, 0, 0, 9, 9, 9, 9, 9], dtype=float)  # half in the first, half in the last
    r, floor = 0.1, 1e-4
    expected = 2 * (0.5 - r) * math.log(0.5 / r) + 8 * (floor - r) * math.log(floor / r)
    assert psi(reference, current) == pytest.approx(expected, rel=1e-12)


def test_psi_is_near_zero_for_the_same_distribution_and_large_for_a_shift() -> None:
    rng = np.random.default_rng(5)
    reference = rng.normal(size=50_000)
    assert psi(reference, rng.normal(size=50_000)) < 0.01
    assert psi(reference, rng.normal(loc=0.5, size=50_000)) > 0.2


def test_psi_refuses_an_empty_side() -> None:
    with pytest.raises(ValueError):
        psi(np.array([1.0]), np.array([]))


def test_every_numeric_feature_column_of_a_csv_is_read_and_text_ones_are_skipped(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from clinigate.evidence.predictions import read_columns

    path = tmp_path / "features.csv"
    path.write_text("label,score,age,lactate,heart_rate,unit\n1,0.9,71,4.1,,ICU\n0,0.2,45,1.2,88,ward\n")
    columns = read_columns(path, ["age", "lactate", "heart_rate", "unit", "absent"])
    assert set(columns) == {"age", "lactate", "heart_rate"}
    assert columns["heart_rate"].tolist() == [88.0]  # an empty cell is left out, not read as 0
