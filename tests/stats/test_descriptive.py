"""Descriptives: reference values from spreadsheet documentation and hand calculations."""

from __future__ import annotations

import numpy as np
import pytest

from mscreg.errors import ConventionError, InsufficientDataError
from mscreg.stats.descriptive import QUARTILE_METHODS, describe, quantile

# Microsoft's STDEV.S / STDEV.P help pages use these ten breaking strengths:
# =STDEV.S(A2:A11) = 27.46391572, =STDEV.P(A2:A11) = 26.05455814.
STRENGTHS = [1345, 1301, 1368, 1322, 1310, 1370, 1318, 1350, 1303, 1299]


def test_sd_sample_and_population_match_excel():
    assert describe(STRENGTHS).sd == pytest.approx(27.46391572, abs=1e-8)
    assert describe(STRENGTHS, ddof=0).sd == pytest.approx(26.05455814, abs=1e-8)


def test_quartile_inc_and_exc_match_excel_help_examples():
    # QUARTILE.INC help: {1,2,4,7,8,9,10,12}, quart 1 -> 3.5.
    assert quantile([1, 2, 4, 7, 8, 9, 10, 12], 0.25, method="excel_inc") == pytest.approx(3.5)
    # QUARTILE.EXC help: {6,7,15,36,39,40,41,42,43,47,49}: Q1 = 15, Q3 = 43.
    data = [6, 7, 15, 36, 39, 40, 41, 42, 43, 47, 49]
    assert quantile(data, 0.25, method="excel_exc") == pytest.approx(15)
    assert quantile(data, 0.75, method="excel_exc") == pytest.approx(43)
    # Same data, QUARTILE.INC: position 1 + 0.25 * 10 = 3.5 -> 15 + 0.5 * (36 - 15) = 25.5.
    assert quantile(data, 0.25, method="linear") == pytest.approx(25.5)


def test_describe_hand_calculation():
    # 2, 4, 4, 4, 5, 5, 7, 9: mean 5, population SD 2 (the classic textbook example),
    # sample SD sqrt(32 / 7) = 2.13809.
    d = describe([2, 4, 4, 4, 5, 5, 7, 9])
    assert (d.n, d.mean, d.minimum, d.maximum, d.median) == (8, 5.0, 2.0, 9.0, 4.5)
    assert d.sd == pytest.approx(np.sqrt(32 / 7))
    assert describe([2, 4, 4, 4, 5, 5, 7, 9], ddof=0).sd == pytest.approx(2.0)
    # Q1 (linear): position 1 + 0.25 * 7 = 2.75 -> 4 + 0.75 * 0 = 4; Q3: 6.25 -> 5 + 0.25 * 2 = 5.5.
    assert (d.q1, d.q3) == (4.0, 5.5)


def test_seed_follow_up_quartiles_follow_excel_inc():
    from mscreg.cohort import seed_table

    d = describe(seed_table().frame["months_observed"].to_numpy())
    assert (d.median, d.q1, d.q3) == (35.5, 15.25, 45.75)


def test_every_quartile_method_is_known_to_numpy():
    for name, (_method, _) in QUARTILE_METHODS.items():
        assert np.isfinite(quantile([1.0, 2.0, 3.0, 4.0], 0.25, method=name)), name


def test_sample_mean_and_sd_recover_known_truth(rng):
    values = rng.normal(7.5, 1.5, size=200_000)
    d = describe(values)
    assert d.mean == pytest.approx(7.5, abs=4 * 1.5 / np.sqrt(values.size))
    assert d.sd == pytest.approx(1.5, rel=0.01)


def test_bad_input_messages():
    with pytest.raises(ConventionError, match="quartile method 'R7' is not one of"):
        quantile([1, 2], 0.5, method="R7")
    with pytest.raises(ValueError, match="q=1.5 must lie between 0 and 1"):
        quantile([1, 2], 1.5)
    with pytest.raises(ConventionError, match="ddof=2 must be 1"):
        describe([1, 2], ddof=2)
    with pytest.raises(InsufficientDataError, match="has 0 value"):
        describe([])
    with pytest.raises(ValueError, match=r"values\[1\] is nan"):
        describe([1.0, float("nan")])
    with pytest.raises(ValueError, match="one-dimensional"):
        describe([[1.0, 2.0]])
    assert np.isnan(describe([3.0]).sd)
