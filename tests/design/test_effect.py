"""The effect to design for: cohort change net of regression to the mean and placebo."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from mscreg.design.effect import effect_from_cohort, effect_from_user
from mscreg.design.power import power_curve
from mscreg.errors import InputError


def test_hand_calculation_range():
    # observed -1.2; RTM grid -0.1, -0.3, -0.5; placebo -0.63 (Zang 2022 placebo arm)
    # effect = -(observed - R - P) = 1.2 + R + P = 1.2 - 0.63 + R = 0.57 + R
    #   -> 0.47, 0.27, 0.07 ; min 0.07, median 0.27, max 0.47
    res = effect_from_cohort(observed_change=-1.2, rtm_change=[-0.1, -0.3, -0.5], placebo_change=-0.63)
    assert res.effects() == pytest.approx((0.07, 0.27, 0.47))
    assert res.scenarios == pytest.approx((0.07, 0.27, 0.47))
    assert res.fraction_explained == 0.0
    assert (res.rtm_change_min, res.rtm_change_max) == (-0.5, -0.1)
    assert res.placebo_change_low == res.placebo_change_high == -0.63
    assert res.source == "cohort"
    assert "0.07 to 0.47 % (median 0.27 %) over 3 scenarios" in res.statement
    assert "Size the trial for the low end" in res.statement


def test_placebo_range_uses_low_mid_high():
    res = effect_from_cohort(observed_change=-1.0, rtm_change=-0.2, placebo_change=(-0.2, -0.5))
    # 0.8 + P for P in -0.5, -0.35, -0.2
    assert res.scenarios == pytest.approx((0.3, 0.45, 0.6))
    assert (res.placebo_change_low, res.placebo_change_high) == (-0.5, -0.2)


def test_rtm_grid_from_barnett_formula():
    # RTM grid from Barnett et al. 2005 over rho in {0.5, 0.6, 0.7, 0.8}, mu 7.5, sd 1.5,
    # entry HbA1c >= 6.2: R = sd (1 - rho) phi(z) / (1 - Phi(z)), change = -R
    z = (6.2 - 7.5) / 1.5
    ratio = stats.norm.pdf(z) / stats.norm.sf(z)
    grid = np.array([-1.5 * (1 - r) * ratio for r in (0.5, 0.6, 0.7, 0.8)])
    res = effect_from_cohort(observed_change=-1.0, rtm_change=grid, placebo_change=(-0.5, -0.2))
    assert res.effect_low == pytest.approx(1.0 + grid.min() - 0.5)
    assert res.effect_high == pytest.approx(1.0 + grid.max() - 0.2)
    assert len(res.scenarios) == 12
    assert res.effect_low < res.effect_median < res.effect_high
    curve = power_curve(res.effects(), sd=1.0, rho=0.6)
    assert curve.n_per_arm["ancova"][0] > curve.n_per_arm["ancova"][2]


def test_some_scenarios_leave_nothing():
    res = effect_from_cohort(observed_change=-0.6, rtm_change=[-0.1, -0.3], placebo_change=(-0.5, -0.2))
    assert res.effect_low < 0 < res.effect_high
    assert 0 < res.fraction_explained < 1
    assert "nothing is left to detect" in res.statement


def test_everything_explained():
    res = effect_from_cohort(observed_change=-0.3, rtm_change=[-0.2], placebo_change=-0.3)
    assert res.effect_high <= 0
    assert res.fraction_explained == 1.0
    assert "no effect to design a trial for" in res.statement


def test_user_effect():
    res = effect_from_user(0.5)
    assert res.effects() == (0.5, 0.5, 0.5)
    assert res.source == "user"
    assert math.isnan(res.observed_change)
    d = res.to_dict()
    assert d["observed_change"] is None and d["scenarios"] == [0.5]
    assert res.summary() == res.statement


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"observed_change": float("inf")}, r"observed_change must be a finite number; got inf"),
        ({"observed_change": "a lot"}, r"observed_change must be a finite number; got 'a lot'"),
        ({"rtm_change": []}, r"rtm_change must hold at least one value; got an empty grid"),
        ({"rtm_change": ["x"]}, r"rtm_change must be a number or an array of numbers; got \['x'\]"),
        ({"rtm_change": [-0.2, 0.3]}, r"rtm_change must be <= 0 \(changes are after - before.*\); got 0\.3"),
        ({"placebo_change": 0.4}, r"placebo_change must be <= 0 \(.*positive number\?\); got 0\.4"),
        ({"placebo_change": (-0.5, 0.1)}, r"placebo_change must be <= 0 \(.*\); got 0\.1"),
        ({"placebo_change": (-0.5, -0.2, -0.1)}, r"placebo_change must be one number or a \(low, high\) pair"),
    ],
)
def test_bad_inputs(kwargs, message):
    base = {"observed_change": -1.0, "rtm_change": [-0.2], "placebo_change": -0.3}
    with pytest.raises(InputError, match=message):
        effect_from_cohort(**{**base, **kwargs})


def test_user_effect_errors():
    with pytest.raises(InputError, match="effect must not be 0"):
        effect_from_user(0.0)
    with pytest.raises(InputError, match=r"effect must be a finite number; got nan"):
        effect_from_user(float("nan"))
