"""Tests of mscreg.stats.regression: R reference, normal equations by hand, simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from mscreg.errors import InsufficientDataError
from mscreg.stats.regression import dose_response, durability

# R's `cars` data (speed in mph, stopping distance in ft), 50 rows.
CARS_SPEED = np.array([4, 4, 7, 7, 8, 9, 10, 10, 10, 11, 11, 12, 12, 12, 12, 13, 13, 13, 13, 14, 14, 14, 14, 15, 15,
                       15, 16, 16, 17, 17, 17, 18, 18, 18, 18, 19, 19, 19, 20, 20, 20, 20, 20, 22, 23, 24, 24, 24,
                       24, 25], dtype=float)
CARS_DIST = np.array([2, 10, 4, 22, 16, 10, 18, 26, 34, 17, 28, 14, 20, 24, 28, 26, 34, 34, 46, 26, 36, 60, 80, 20,
                      26, 54, 32, 40, 32, 40, 50, 42, 56, 76, 84, 36, 46, 68, 32, 48, 52, 56, 64, 66, 54, 70, 92, 93,
                      120, 85], dtype=float)


def test_durability_matches_r_lm_on_cars():
    # R: fit <- lm(dist ~ speed, data = cars); summary(fit); confint(fit)
    #   (Intercept) -17.5791  Std. Error 6.7584  t -2.601  Pr 0.0123
    #   speed         3.9324  Std. Error 0.4155  t  9.464  Pr 1.49e-12
    #   Multiple R-squared: 0.6511
    #   confint: (Intercept) -31.167850 -3.990340 ; speed 3.096964 4.767853
    res = durability(CARS_DIST, CARS_SPEED)
    assert res.estimate == pytest.approx(3.9324, abs=5e-5)
    assert res.std_error == pytest.approx(0.4155, abs=5e-5)
    assert res.p_value == pytest.approx(1.49e-12, abs=5e-15)
    assert res.intercept == pytest.approx(-17.5791, abs=5e-5)
    assert res.ci_low == pytest.approx(3.096964, abs=5e-7)
    assert res.ci_high == pytest.approx(4.767853, abs=5e-7)
    assert res.r_squared == pytest.approx(0.6511, abs=5e-5)
    assert res.n == 50


def test_durability_slope_by_hand():
    months = np.array([6.0, 12.0, 24.0, 36.0, 60.0])
    change = np.array([-1.5, -1.1, -1.0, -0.6, -0.2])
    # x̄ = 27.6, ȳ = -0.88; x - x̄ = -21.6 -15.6 -3.6 8.4 32.4; y - ȳ = -0.62 -0.22 -0.12 0.28 0.68
    # Sxx = 466.56 + 243.36 + 12.96 + 70.56 + 1049.76 = 1843.2
    x_dev = months - 27.6
    y_dev = change + 0.88
    sxx = float(np.sum(x_dev**2))
    assert sxx == pytest.approx(1843.2)
    sxy = float(np.sum(x_dev * y_dev))  # 13.392 + 3.432 + 0.432 + 2.352 + 22.032 = 41.64
    assert sxy == pytest.approx(41.64)
    slope = sxy / sxx
    rss = float(np.sum((y_dev - slope * x_dev) ** 2))
    se = math.sqrt(rss / 3 / sxx)
    res = durability(change, months, ci_level=0.90)
    assert res.estimate == pytest.approx(slope, rel=1e-10)
    assert res.ci_low == pytest.approx(slope - stats.t.ppf(0.95, 3) * se, rel=1e-10)
    assert res.p_value == pytest.approx(2 * stats.t.sf(slope / se, 3), rel=1e-8)
    assert "single follow-up point" in res.caveat and "not a within-patient trajectory" in res.caveat


def test_dose_response_matches_normal_equations(rng):
    n = 40
    baseline = rng.normal(8.5, 1.3, n)
    dose = rng.choice([100.0, 300.0, 1000.0, 2000.0], n)
    months = rng.uniform(3, 60, n)
    change = 2.0 - 0.4 * baseline - 0.1 * np.log(dose) + 0.005 * months + rng.normal(0, 0.6, n)
    res = dose_response(change, baseline, dose, months, ci_level=0.9)
    # β = (XᵀX)⁻¹Xᵀy, s² = RSS/(n - p), SE = √(s² diag (XᵀX)⁻¹), t interval with n - p df
    x = np.column_stack([np.ones(n), baseline, np.log(dose), months])
    xtx_inv = np.linalg.inv(x.T @ x)
    beta = xtx_inv @ x.T @ change
    resid = change - x @ beta
    s2 = resid @ resid / (n - 4)
    se = np.sqrt(s2 * np.diag(xtx_inv))
    t_crit = stats.t.ppf(0.95, n - 4)
    assert [c.term for c in res.coefficients] == ["Intercept", "baseline", "log_dose", "months"]
    for coef, b, s in zip(res.coefficients, beta, se):
        assert coef.estimate == pytest.approx(b, rel=1e-8)
        assert coef.std_error == pytest.approx(s, rel=1e-8)
        assert coef.ci_low == pytest.approx(b - t_crit * s, rel=1e-8)
        assert coef.ci_high == pytest.approx(b + t_crit * s, rel=1e-8)
        assert coef.p_value == pytest.approx(2 * stats.t.sf(abs(b / s), n - 4), rel=1e-6)
    tss = np.sum((change - change.mean()) ** 2)
    assert res.r_squared == pytest.approx(1 - resid @ resid / tss, rel=1e-10)
    assert res.n == n and res.df_resid == n - 4
    assert res.formula == "change ~ baseline + log(dose) + months"
    assert res.coefficient("months").term == "months"


def test_dose_response_recovers_coefficients_with_nominal_coverage(rng):
    truth = {"Intercept": 2.0, "baseline": -0.4, "log_dose": -0.15}
    n_sim, n = 400, 30
    hits = dict.fromkeys(truth, 0)
    slopes = []
    for _ in range(n_sim):
        baseline = rng.normal(8.5, 1.3, n)
        dose = np.exp(rng.uniform(np.log(100), np.log(2000), n))
        change = truth["Intercept"] + truth["baseline"] * baseline + truth["log_dose"] * np.log(dose)
        change = change + rng.normal(0, 0.7, n)
        res = dose_response(change, baseline, dose)
        slopes.append(res.coefficient("log_dose").estimate)
        for coef in res.coefficients:
            hits[coef.term] += coef.ci_low <= truth[coef.term] <= coef.ci_high
    se_cov = math.sqrt(0.95 * 0.05 / n_sim)
    for term, count in hits.items():
        assert abs(count / n_sim - 0.95) <= 3 * se_cov, term
    # mean of unbiased estimates: Monte Carlo SE = SD(slopes)/√n_sim
    assert np.mean(slopes) == pytest.approx(truth["log_dose"], abs=4 * np.std(slopes) / math.sqrt(n_sim))


def test_durability_coverage(rng):
    n_sim, n, slope = 400, 25, 0.01
    hits = 0
    for _ in range(n_sim):
        months = rng.uniform(3, 60, n)
        change = -1.2 + slope * months + rng.normal(0, 0.8, n)
        res = durability(change, months)
        hits += res.ci_low <= slope <= res.ci_high
    assert abs(hits / n_sim - 0.95) <= 3 * math.sqrt(0.95 * 0.05 / n_sim)


# --------------------------------------------------------------------------- bad input
def test_dose_must_be_positive():
    with pytest.raises(ValueError, match=r"dose must be > 0 \(to take its logarithm\); position 2 holds 0.0"):
        dose_response([-1.0, -0.5, -0.8, -1.2, -0.3], [8, 9, 7.5, 10, 8.2], [100, 200, 0, 500, 300])


def test_months_must_not_be_negative():
    with pytest.raises(ValueError, match="months must be >= 0; position 1 holds -3.0"):
        durability([-1.0, -0.5, -0.8], [12, -3, 24])


def test_regression_lengths_and_sizes():
    with pytest.raises(ValueError, match="change has 3 values but dose has 2; they must pair up"):
        dose_response([-1.0, -0.5, -0.8], [8, 9, 7.5], [100, 200])
    with pytest.raises(InsufficientDataError, match="dose_response estimates 3 coefficients and needs at least 4 patients; got 3"):
        dose_response([-1.0, -0.5, -0.8], [8, 9, 7.5], [100, 200, 300])
    with pytest.raises(InsufficientDataError, match="durability estimates 2 coefficients and needs at least 3 patients; got 2"):
        durability([-1.0, -0.5], [12, 24])


def test_regression_needs_variation_and_separable_terms():
    with pytest.raises(InsufficientDataError, match="dose_response needs dose to vary; all 5 values equal 200.0"):
        dose_response([-1.0, -0.5, -0.8, -1.2, -0.3], [8, 9, 7.5, 10, 8.2], [200] * 5)
    baseline = np.array([8.0, 9.0, 7.5, 10.0, 8.2])
    with pytest.raises(InsufficientDataError, match=r"predictors \('baseline', 'log_dose'\) are collinear"):
        dose_response([-1.0, -0.5, -0.8, -1.2, -0.3], baseline, np.exp(baseline))


def test_unknown_coefficient_name():
    res = dose_response([-1.0, -0.5, -0.8, -1.2, -0.3], [8, 9, 7.5, 10, 8.2], [100, 200, 400, 500, 300])
    with pytest.raises(ValueError, match=r"no coefficient 'dose' in this fit; terms are \('Intercept', 'baseline', 'log_dose'\)"):
        res.coefficient("dose")
