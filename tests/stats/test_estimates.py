"""The honest-estimates bundle: the right rows reach each estimate, seeds are recorded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from mscreg.cohort import seed_table, table_from_frame
from mscreg.stats.estimates import honest_estimates
from mscreg.stats.rtm import expected_rtm_change


@pytest.fixture(scope="module")
def seed_frame() -> pd.DataFrame:
    return seed_table().frame


@pytest.fixture(scope="module")
def estimates(seed_frame):
    return honest_estimates(seed_frame, n_resamples=999, seed=7)


def test_groups_cover_the_right_patients(estimates, seed_frame):
    sizes = {g.name: g.n for g in estimates.groups}
    before = seed_frame["hba1c_before"]
    assert sizes["all"] == 58
    assert sizes["moderate"] == int(((before >= 6.2) & (before <= 8)).sum())
    assert sizes["severe"] == int((before > 8).sum())
    assert sizes["dose < 1000"] + sizes["dose ≥ 1000"] == 58
    cohort = estimates.group("all")
    assert cohort.paired.estimate == pytest.approx((seed_frame["hba1c_after"] - before).mean())


def test_holm_matches_statsmodels_on_the_subgroup_p_values(estimates):
    subgroups = [g for g in estimates.groups if g.family != "cohort"]
    raw = [g.paired.p_value for g in subgroups]
    expected = multipletests(raw, method="holm")[1]
    assert [row.p_adjusted for row in estimates.holm.rows] == pytest.approx(expected)
    assert [row.label for row in estimates.holm.rows] == [g.name for g in subgroups]


def test_rtm_uses_each_groups_selection(estimates):
    severe = estimates.group("severe").rtm
    assert (severe.lower, severe.inclusive) == (8.0, "neither")
    assert severe.upper == np.inf
    point = severe.points[0]
    expected = expected_rtm_change(lower=8.0, inclusive="neither", mu=point.mu, sigma=1.5, rho=point.rho).expected_change
    assert point.expected_change == pytest.approx(expected)
    assert point.adjusted_change == pytest.approx(severe.observed_change - expected)
    cohort = estimates.group("all").rtm
    assert cohort.lower == 6.2


def test_seed_is_recorded_and_changes_resampling(seed_frame, estimates):
    again = honest_estimates(seed_frame, n_resamples=999, seed=7)
    other = honest_estimates(seed_frame, n_resamples=999, seed=8)
    assert estimates.settings["seed"] == 7
    assert estimates.group("all").bootstrap.seed == 7 and estimates.group("all").permutation.seed == 7
    assert again.group("all").bootstrap.ci_low == estimates.group("all").bootstrap.ci_low
    assert other.group("all").bootstrap.ci_low != estimates.group("all").bootstrap.ci_low


def test_caveats_say_what_the_design_cannot_show(estimates):
    text = " ".join(estimates.caveats)
    assert "Single-arm" in text and "one follow-up value" in text
    assert "cross-sectional" in estimates.durability.caveat or "between-patient" in estimates.durability.caveat


def test_minimal_table_without_dose_or_months():
    frame = table_from_frame(pd.DataFrame({"hba1c_before": [7.1, 8.4, 9.0, 7.7, 6.9, 10.1],
                                           "hba1c_after": [6.8, 7.9, 7.5, 7.6, 6.9, 8.8]})).frame
    est = honest_estimates(frame, n_resamples=199)
    assert est.dose_response is None and est.durability is None
    assert [g.family for g in est.groups] == ["cohort", "severity", "severity"]
    assert est.group("severe").n == 3
    assert len(est.caveats) == 1


def test_tiny_group_gets_a_note_not_a_crash():
    frame = table_from_frame(pd.DataFrame({"hba1c_before": [7.1, 7.4, 7.9, 9.0],
                                           "hba1c_after": [6.8, 7.2, 7.6, 8.0]})).frame
    est = honest_estimates(frame, n_resamples=199)
    assert est.group("severe").paired is None and "fewer than 3" in est.group("severe").note
    assert est.holm is None


def test_simulated_cohort_recovers_its_true_change(rng):
    # 400 patients, true mean change -0.6: the t CI and the BCa CI both cover it.
    before = rng.normal(8.0, 1.0, 400).clip(6.3, 14)
    after = before - 0.6 + rng.normal(0, 0.7, 400)
    frame = table_from_frame(pd.DataFrame({"hba1c_before": np.round(before, 3), "hba1c_after": np.round(after, 3)})).frame
    cohort = honest_estimates(frame, n_resamples=999).group("all")
    assert cohort.paired.ci_low < -0.6 < cohort.paired.ci_high
    assert cohort.bootstrap.ci_low < -0.6 < cohort.bootstrap.ci_high
