"""Tests of mscreg.stats.rtm: formulas by hand and against Monte Carlo of the bivariate-normal model."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from scipy import stats

from mscreg.errors import ConventionError, InsufficientDataError
from mscreg.stats.rtm import (
    DEFAULT_MU_GRID,
    DEFAULT_RHO,
    DEFAULT_RHO_GRID,
    expected_rtm_change,
    oldham,
    retest_correlation_from_cv,
    rtm_adjusted_grid,
)


def simulate_pairs(rng: np.random.Generator, n: int, mu: float, sigma: float, rho: float):
    """Bivariate normal (X1, X2) with equal means and SDs and correlation rho; no effect."""
    z1, z2 = rng.standard_normal(n), rng.standard_normal(n)
    x1 = mu + sigma * z1
    x2 = mu + sigma * (rho * z1 + math.sqrt(1 - rho**2) * z2)
    return x1, x2


def test_default_rho_by_hand():
    # within-subject SD = 8.3 % of 7.5 = 0.6225; 0.6225² = 0.38750625; / 1.5² = 0.172225
    assert DEFAULT_RHO == pytest.approx(1 - 0.172225, abs=1e-12)
    assert retest_correlation_from_cv(within_subject_cv_percent=10, mu=8, sigma=2) == pytest.approx(1 - 0.64 / 4)
    assert DEFAULT_RHO in DEFAULT_RHO_GRID and 7.5 in DEFAULT_MU_GRID


def test_cutoff_formula_by_hand():
    # Barnett et al. 2005: z = (8 - 7.5)/1.5 = 1/3; φ(1/3) = exp(-1/18)/√(2π) = 0.377383;
    # 1 - Φ(1/3) = 0.369441; R = 1.5 × 0.2 × 0.377383 / 0.369441 = 0.306449
    phi = math.exp(-1 / 18) / math.sqrt(2 * math.pi)
    upper_tail = 0.5 * math.erfc((1 / 3) / math.sqrt(2))
    res = expected_rtm_change(lower=8.0, mu=7.5, sigma=1.5, rho=0.8)
    assert res.expected_change == pytest.approx(-1.5 * 0.2 * phi / upper_tail, rel=1e-10)
    assert res.expected_change == pytest.approx(-0.306449, abs=1e-6)
    assert res.selected_fraction == pytest.approx(upper_tail, rel=1e-10)


def test_band_formula_by_hand():
    # band 6.2 < X1 <= 8: α = (6.2 - 7.5)/1.5 = -0.866667, β = 0.333333
    a, b = -1.3 / 1.5, 0.5 / 1.5
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: 0.5 * math.erfc(-x / math.sqrt(2))  # noqa: E731
    expected_r = 1.5 * (1 - 0.83) * (pdf(a) - pdf(b)) / (cdf(b) - cdf(a))
    res = expected_rtm_change(lower=6.2, upper=8.0, inclusive="right", mu=7.5, sigma=1.5, rho=0.83)
    assert res.expected_change == pytest.approx(-expected_r, rel=1e-10)
    assert res.expected_change > 0  # the band's mean lies below μ, so it is expected to rise


@pytest.mark.parametrize(
    "lower, upper, rho",
    [(8.0, None, 0.8), (6.2, None, DEFAULT_RHO), (6.2, 8.0, 0.7), (8.0, 10.0, 0.6), (9.5, None, 0.9)],
)
def test_expected_change_matches_monte_carlo(rng, lower, upper, rho):
    mu, sigma, n = 7.5, 1.5, 400_000
    x1, x2 = simulate_pairs(rng, n, mu, sigma, rho)
    selected = x1 > lower if upper is None else (x1 > lower) & (x1 <= upper)
    change = (x2 - x1)[selected]
    res = expected_rtm_change(lower=lower, upper=upper, mu=mu, sigma=sigma, rho=rho)
    # tolerance: 4 Monte Carlo standard errors of the simulated conditional mean
    # (with >= 10 000 selected pairs the SE is at most ~0.01 % points)
    se_change = change.std(ddof=1) / math.sqrt(change.size)
    assert change.size > 10_000
    assert res.expected_change == pytest.approx(change.mean(), abs=4 * se_change)
    se_baseline = x1[selected].std(ddof=1) / math.sqrt(change.size)
    assert res.expected_baseline == pytest.approx(x1[selected].mean(), abs=4 * se_baseline)
    p = res.selected_fraction
    assert p == pytest.approx(selected.mean(), abs=4 * math.sqrt(p * (1 - p) / n))


def test_inclusive_is_carried_but_does_not_change_a_continuous_model():
    values = {
        inclusive: expected_rtm_change(lower=6.2, upper=8.0, inclusive=inclusive).expected_change
        for inclusive in ("both", "neither", "left", "right")
    }
    assert len(set(values.values())) == 1
    res = expected_rtm_change(lower=6.2, upper=8.0, inclusive="right")
    assert res.inclusive == "right"
    assert "(6.2, 8]" in res.summary()
    assert "[6.2, inf)" in expected_rtm_change(lower=6.2, inclusive="left").summary()


def test_no_rtm_when_rho_is_one():
    assert expected_rtm_change(lower=8.0, rho=1.0).expected_change == 0


# --------------------------------------------------------------------------- grid
def test_grid_points_are_observed_minus_expected():
    grid = rtm_adjusted_grid(-0.9, lower=8.0, rho_values=[0.6, 0.9], mu_values=[7.0, 8.0], observed_ci=(-1.2, -0.6))
    assert len(grid.points) == 4
    for point in grid.points:
        expected = expected_rtm_change(lower=8.0, mu=point.mu, rho=point.rho).expected_change
        assert point.expected_change == pytest.approx(expected, rel=1e-12)
        assert point.adjusted_change == pytest.approx(-0.9 - expected, rel=1e-12)
        assert point.adjusted_ci_high == pytest.approx(-0.6 - expected, rel=1e-12)
    assert grid.min_adjusted_change == min(p.adjusted_change for p in grid.points)
    assert grid.max_adjusted_change == max(p.adjusted_change for p in grid.points)


def test_grid_default_size_and_survival_statement():
    grid = rtm_adjusted_grid(-1.2, lower=6.2, inclusive="left")
    assert len(grid.points) == len(DEFAULT_RHO_GRID) * len(DEFAULT_MU_GRID)
    # worst case ρ = 0.6, μ = 6.5: z = -0.2/1.5, R = 1.5·0.4·φ(z)/(1-Φ(z)) < 0.6, so -1.2 + R < 0
    assert grid.all_adjusted_negative
    assert grid.conclusions[0].startswith("Adjusted change < 0 at every grid point")


def test_grid_sign_change_is_reported():
    # cutoff 8, ρ from 0.6 to 0.95, μ = 7.5: R runs from 0.61 to 0.08, so an observed -0.3
    # is more than RTM at high ρ and less at low ρ
    grid = rtm_adjusted_grid(-0.3, lower=8.0, rho_values=[0.6, 0.95], mu_values=[7.5])
    assert not grid.all_adjusted_negative
    assert grid.conclusions[0].startswith("Sign changes within the grid")
    assert grid.conclusions[1] == "Adjusted fall < 0.5 % points (clinically relevant) at every grid point."


def test_grid_all_positive_and_ci_statements():
    grid = rtm_adjusted_grid(0.1, lower=8.0, rho_values=[0.8], mu_values=[7.5], observed_ci=(-0.1, 0.3))
    assert grid.conclusions[0].startswith("Adjusted change > 0 at every grid point")
    assert grid.conclusions[2] == "Adjusted CI lies above 0 at some grid points."
    grid = rtm_adjusted_grid(-0.5, lower=8.0, rho_values=[0.8], mu_values=[7.5], observed_ci=(-1.0, 0.1))
    assert grid.conclusions[2] == "Adjusted CI includes 0 at some grid points."
    assert math.isnan(rtm_adjusted_grid(-0.5, lower=8.0).points[0].adjusted_ci_low)


# --------------------------------------------------------------------------- Oldham
def test_oldham_equals_pitman_morgan_form_by_hand():
    before = [7.1, 8.4, 9.6, 6.8, 10.3, 7.7, 8.9]
    after = [6.9, 7.2, 8.1, 6.9, 8.0, 7.0, 7.6]
    s1, s2 = statistics.variance(before), statistics.variance(after)
    c = statistics.covariance(before, after)
    # cov(d, m) = (s2 - s1)/2, var(d)·var(m) = ((s1 + s2)² - 4c²)/4
    r = (s2 - s1) / math.sqrt((s1 + s2) ** 2 - 4 * c**2)
    t = r * math.sqrt(5) / math.sqrt(1 - r**2)
    res = oldham(before, after)
    assert res.oldham_r == pytest.approx(r, rel=1e-10)
    assert res.oldham_p == pytest.approx(2 * stats.t.sf(abs(t), 5), rel=1e-8)
    change = [a - b for a, b in zip(after, before)]
    assert res.naive_r == pytest.approx(statistics.correlation(before, change), rel=1e-10)
    # Fisher-z interval: tanh(atanh(r) ± 1.959964/√(n - 3))
    half = stats.norm.ppf(0.975) / math.sqrt(4)
    assert res.oldham_ci_low == pytest.approx(math.tanh(math.atanh(r) - half), rel=1e-8)
    assert res.oldham_ci_high == pytest.approx(math.tanh(math.atanh(r) + half), rel=1e-8)


def test_oldham_is_zero_and_naive_is_biased_under_no_effect(rng):
    n, rho = 5_000, 0.8
    before, after = simulate_pairs(rng, n, 8.0, 1.5, rho)
    res = oldham(before, after)
    # SE of r near 0 is 1/√n = 0.014; of the naive r, (1 - r²)/√n
    assert abs(res.oldham_r) <= 4 / math.sqrt(n)
    naive_truth = -math.sqrt((1 - rho) / 2)  # -0.316 with no effect at all
    assert res.naive_r == pytest.approx(naive_truth, abs=4 * (1 - naive_truth**2) / math.sqrt(n))
    assert res.naive_p < 1e-10


def test_oldham_size_and_detection_of_shrinking_spread(rng):
    n_sim = 400
    p_null = [oldham(*simulate_pairs(rng, 40, 8.0, 1.5, 0.8)).oldham_p for _ in range(n_sim)]
    assert abs(np.mean(np.array(p_null) < 0.05) - 0.05) <= 3 * math.sqrt(0.05 * 0.95 / n_sim)
    # an effect proportional to baseline shrinks the spread: Oldham's r turns negative
    before, after = simulate_pairs(rng, 2_000, 8.0, 1.5, 0.8)
    shrunk = 8.0 + 0.6 * (after - 8.0)
    res = oldham(before, shrunk)
    assert res.oldham_r < 0 and res.oldham_p < 1e-6


# --------------------------------------------------------------------------- bad input
def test_bad_inclusive():
    with pytest.raises(ConventionError, match=r"inclusive='closed' is not one of 'both', 'neither', 'left', 'right'"):
        expected_rtm_change(lower=6.2, inclusive="closed")
    with pytest.raises(ConventionError, match="inclusive='all' is not one of"):
        rtm_adjusted_grid(-1.0, lower=6.2, inclusive="all")


def test_bad_bounds_and_parameters():
    with pytest.raises(ValueError, match="upper must be greater than lower; got lower=8.0, upper=6.2"):
        expected_rtm_change(lower=8.0, upper=6.2)
    with pytest.raises(ValueError, match="lower must be a finite number; got nan"):
        expected_rtm_change(lower=float("nan"))
    with pytest.raises(ValueError, match=r"rho must lie in \[0, 1\] \(test-retest correlation\); got 1.2"):
        expected_rtm_change(lower=8.0, rho=1.2)
    with pytest.raises(ValueError, match="sigma must be > 0; got 0"):
        expected_rtm_change(lower=8.0, sigma=0)
    with pytest.raises(ValueError, match="mu must be a finite number; got 'x'"):
        expected_rtm_change(lower=8.0, mu="x")


def test_bad_cv():
    with pytest.raises(ValueError, match=r"within-subject SD 1.5 \(CV 20 % of mu 7.5\) must be smaller than the total SD sigma=1.5"):
        retest_correlation_from_cv(within_subject_cv_percent=20)
    with pytest.raises(ValueError, match="within_subject_cv_percent must be > 0; got -1"):
        retest_correlation_from_cv(within_subject_cv_percent=-1)


def test_bad_grid_inputs():
    with pytest.raises(ValueError, match=r"rho_values must hold at least one value; got \[\]"):
        rtm_adjusted_grid(-1.0, lower=8.0, rho_values=[])
    with pytest.raises(ValueError, match=r"rho must lie in \[0, 1\] \(test-retest correlation\); got -0.5"):
        rtm_adjusted_grid(-1.0, lower=8.0, rho_values=[0.8, -0.5])
    with pytest.raises(ValueError, match=r"mu_values\[0\] is inf; expected finite numbers"):
        rtm_adjusted_grid(-1.0, lower=8.0, mu_values=[float("inf")])
    with pytest.raises(ValueError, match=r"observed_ci must contain observed_change=-1.0; got \(-0.8, -0.2\)"):
        rtm_adjusted_grid(-1.0, lower=8.0, observed_ci=(-0.8, -0.2))
    with pytest.raises(ValueError, match=r"observed_ci must be a \(low, high\) pair; got \(-1.5,\)"):
        rtm_adjusted_grid(-1.0, lower=8.0, observed_ci=(-1.5,))
    with pytest.raises(ValueError, match="observed_change must be a finite number; got nan"):
        rtm_adjusted_grid(float("nan"), lower=8.0)
    with pytest.raises(ValueError, match="clinical_threshold must be > 0; got 0"):
        rtm_adjusted_grid(-1.0, lower=8.0, clinical_threshold=0)


def test_oldham_bad_input():
    with pytest.raises(InsufficientDataError, match=r"before has 3 value\(s\); oldham needs at least 4"):
        oldham([7.0, 8.0, 9.0], [6.0, 7.0, 8.5])
    with pytest.raises(InsufficientDataError, match=r"oldham needs after - before to vary; all 4 values equal -1.0"):
        oldham([7.0, 8.0, 9.0, 10.0], [6.0, 7.0, 8.0, 9.0])
    with pytest.raises(ValueError, match="before has 4 values but after has 3; they must pair up"):
        oldham([7.0, 8.0, 9.0, 10.0], [6.0, 7.0, 8.0])


def test_truncated_mean_formula_matches_scipy_truncnorm():
    # The hand-written E[Z | a < Z <= b] must equal scipy.stats.truncnorm.mean, including far tails.
    from scipy import stats as sps

    from mscreg.stats.rtm import _truncated_standard_mean

    for a, b in [(-1.0, np.inf), (0.5, 2.0), (-3.0, -0.2), (4.0, np.inf), (-np.inf, -1.3), (6.0, 9.0)]:
        assert float(_truncated_standard_mean(a, b)) == pytest.approx(float(sps.truncnorm.mean(a, b)), rel=1e-9)
