"""Paired and two-sample t-tests against R's output for the sleep data, plus simulation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mscreg.errors import ConventionError, InsufficientDataError
from mscreg.stats.paired import paired_ttest
from mscreg.stats.twosample import two_sample_ttest

# R's datasets::sleep, extra hours of sleep per patient under drug 1 and drug 2.
GROUP1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
GROUP2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def test_paired_matches_r_sleep():
    # R 4.x: t.test(extra ~ group, data = sleep, paired = TRUE)  [group1 - group2]
    #   t = -4.0621, df = 9, p-value = 0.002833
    #   95 percent confidence interval: -2.4598858 -0.7001142; mean difference -1.58
    # mscreg's change is after - before; with before = group2, after = group1 it is group1 - group2.
    r = paired_ttest(GROUP2, GROUP1)
    assert r.t == pytest.approx(-4.0621, abs=5e-5)
    assert r.df == 9
    assert r.p_value == pytest.approx(0.002833, abs=5e-7)
    assert (r.ci_low, r.ci_high) == pytest.approx((-2.4598858, -0.7001142), abs=5e-8)
    assert r.estimate == pytest.approx(-1.58)
    assert r.alternative == "two-sided" and r.ci_level == 0.95


def test_one_sided_halves_the_two_sided_p_in_the_observed_direction():
    two = paired_ttest(GROUP2, GROUP1)
    less = paired_ttest(GROUP2, GROUP1, alternative="less")
    greater = paired_ttest(GROUP2, GROUP1, alternative="greater")
    assert less.p_value == pytest.approx(two.p_value / 2)
    assert greater.p_value == pytest.approx(1 - two.p_value / 2)
    assert np.isinf(less.ci_low) and less.ci_high < 0


def test_student_and_welch_match_r_sleep():
    # R: t.test(extra ~ group, data = sleep, var.equal = TRUE)
    #   t = -1.8608, df = 18, p-value = 0.07919; 95 percent CI -3.363874 0.203874
    student = two_sample_ttest(GROUP1, GROUP2)
    assert student.t == pytest.approx(-1.8608, abs=5e-5)
    assert student.df == 18
    assert student.p_value == pytest.approx(0.07919, abs=5e-6)
    assert (student.ci_low, student.ci_high) == pytest.approx((-3.363874, 0.203874), abs=5e-7)
    # R: t.test(extra ~ group, data = sleep)  (Welch)
    #   t = -1.8608, df = 17.776, p-value = 0.07939; 95 percent CI -3.3654832 0.2054832
    welch = two_sample_ttest(GROUP1, GROUP2, equal_var=False)
    assert welch.df == pytest.approx(17.776, abs=5e-4)
    assert welch.p_value == pytest.approx(0.07939, abs=5e-6)
    assert (welch.ci_low, welch.ci_high) == pytest.approx((-3.3654832, 0.2054832), abs=5e-7)


def test_paired_t_by_hand():
    # d = after - before = (-1, -2, -3): mean -2, sd 1, se 1/sqrt(3), t = -2 * sqrt(3) = -3.4641, df 2.
    r = paired_ttest([5, 6, 7], [4, 4, 4])
    assert r.t == pytest.approx(-2 * np.sqrt(3))
    assert r.p_value == pytest.approx(2 * stats.t.cdf(-2 * np.sqrt(3), 2))
    assert r.sd_change == pytest.approx(1.0)


def test_paired_ci_covers_the_true_change_at_the_nominal_rate(rng):
    # 2000 simulated cohorts of 30 with true mean change -0.5: coverage within 3 Monte Carlo SE of 95 %.
    hits = 0
    trials = 2000
    for _ in range(trials):
        before = rng.normal(8.0, 1.2, 30)
        after = before - 0.5 + rng.normal(0, 0.8, 30)
        r = paired_ttest(before, after)
        hits += r.ci_low <= -0.5 <= r.ci_high
    se = np.sqrt(0.95 * 0.05 / trials)
    assert abs(hits / trials - 0.95) < 3 * se


def test_type_one_error_is_nominal_without_effect(rng):
    trials = 2000
    rejections = sum(paired_ttest(b, b + rng.normal(0, 1, 25)).p_value < 0.05
                     for b in (rng.normal(7.5, 1, 25) for _ in range(trials)))
    assert abs(rejections / trials - 0.05) < 3 * np.sqrt(0.05 * 0.95 / trials)


def test_bad_input_messages():
    with pytest.raises(ConventionError, match="alternative='one-sided' is not one of"):
        paired_ttest([1, 2], [1, 2], alternative="one-sided")
    with pytest.raises(ConventionError, match="ci_level=95 must be strictly between 0 and 1"):
        paired_ttest([1, 2], [1, 2], ci_level=95)
    with pytest.raises(ValueError, match="before has 3 values but after has 2"):
        paired_ttest([1, 2, 3], [1, 2])
    with pytest.raises(InsufficientDataError, match="needs at least 2"):
        paired_ttest([1], [2])
    with pytest.raises(InsufficientDataError, match="y has 1 value"):
        two_sample_ttest([1, 2], [3])
    with pytest.raises(ValueError, match="must be numbers"):
        two_sample_ttest(["a", "b"], [1, 2])
