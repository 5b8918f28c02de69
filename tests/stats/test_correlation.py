"""Correlations against Anscombe's quartet (R output) and hand calculations."""

from __future__ import annotations

import numpy as np
import pytest

from mscreg.errors import ConventionError, InsufficientDataError
from mscreg.stats.correlation import correlate

# R datasets::anscombe, x1 and y1.
X1 = [10, 8, 13, 9, 11, 14, 6, 4, 12, 7, 5]
Y1 = [8.04, 6.95, 7.58, 8.81, 8.33, 9.96, 7.24, 4.26, 10.84, 4.82, 5.68]


def test_pearson_matches_r_anscombe():
    # R: cor.test(anscombe$x1, anscombe$y1)
    #   t = 4.2415, df = 9, p-value = 0.00217; sample estimate cor 0.8164205
    r = correlate(X1, Y1)
    assert r.estimate == pytest.approx(0.8164205, abs=5e-8)
    assert r.p_value == pytest.approx(0.00217, abs=5e-6)
    # Fisher z interval by hand: atanh(r) +/- 1.959964 / sqrt(11 - 3), back-transformed with tanh.
    z, half = np.arctanh(0.8164205), 1.959964 / np.sqrt(8)
    assert (r.ci_low, r.ci_high) == pytest.approx((np.tanh(z - half), np.tanh(z + half)), abs=1e-6)


def test_spearman_by_hand():
    # Ranks of x: 1..5; y = 1, 3, 2, 5, 4 -> d = 0, -1, 1, -1, 1, sum d^2 = 4;
    # rho = 1 - 6 * 4 / (5 * (25 - 1)) = 1 - 24 / 120 = 0.8.
    r = correlate([1, 2, 3, 4, 5], [1, 3, 2, 5, 4], method="spearman")
    assert r.estimate == pytest.approx(0.8)
    assert np.isnan(r.ci_low) and np.isnan(r.ci_high)


def test_pearson_recovers_a_known_correlation(rng):
    cov = [[1.0, 0.6], [0.6, 1.0]]
    sample = rng.multivariate_normal([0, 0], cov, size=50_000)
    r = correlate(sample[:, 0], sample[:, 1])
    assert r.estimate == pytest.approx(0.6, abs=0.01)
    assert r.ci_low < 0.6 < r.ci_high


def test_bad_input_messages():
    with pytest.raises(ConventionError, match="correlation method 'kendall' is not one of"):
        correlate([1, 2, 3], [1, 2, 3], method="kendall")
    with pytest.raises(InsufficientDataError, match="needs at least 3"):
        correlate([1, 2], [1, 2])


def test_constant_input_gives_nan_without_a_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scipy's ConstantInputWarning would fail the test
        r = correlate([1.0, 2.0, 3.0, 4.0], [5.0, 5.0, 5.0, 5.0])
    assert np.isnan(r.estimate) and np.isnan(r.p_value) and np.isnan(r.ci_low) and r.n == 4
