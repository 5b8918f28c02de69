"""stats.baseline: Table 1, per-patient changes, the RTM null curve and the line band."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from mscreg.cohort import seed_table
from mscreg.domain.bands import DEFAULT_SEVERITY_GROUPS, Band
from mscreg.errors import InsufficientDataError
from mscreg.stats.baseline import baseline_table, line_band, patient_changes, rtm_null_curve
from mscreg.stats.paper import paper_analyses
from mscreg.stats.regression import durability
from mscreg.stats.rtm import expected_rtm_change


def test_table1_overall_equals_the_paper_descriptives():
    frame = seed_table().frame
    table = baseline_table(frame, groups=DEFAULT_SEVERITY_GROUPS)
    paper = paper_analyses(frame)
    for column in ("age", "dose_million", "hba1c_before", "hba1c_after", "months_observed"):
        cell, d = table.cell(column, "all"), paper.descriptives[column]
        assert (cell.n, cell.mean, cell.sd, cell.median, cell.q1, cell.q3) == (d.n, d.mean, d.sd, d.median, d.q1, d.q3)
    assert table.group_sizes == {"all": 58, "moderate": 46, "severe": 12}
    assert table.sex_counts["all"] == {"F": 16, "M": 42, "missing": 0}


def test_table1_by_group_by_hand():
    # Severe (> 8): ages 70 and (missing) -> mean 70, one missing; moderate: 50 and 40 -> 45, SD 7.0711.
    frame = pd.DataFrame({"sex": ["M", "F", "F", None], "age": [50.0, 40.0, 70.0, None],
                          "hba1c_before": [7.0, 7.5, 9.0, 8.5], "hba1c_after": [6.5, 7.0, 8.0, None]})
    table = baseline_table(frame, groups=DEFAULT_SEVERITY_GROUPS)
    assert table.cell("age", "severe").mean == 70.0 and table.cell("age", "severe").n_missing == 1
    assert table.cell("age", "moderate").sd == pytest.approx(7.0710678)
    assert table.cell("hba1c_after", "all").n_missing == 1
    assert table.sex_counts["severe"] == {"F": 1, "M": 0, "missing": 1}
    assert "dose_million" not in table.columns


def test_empty_group_gives_missing_values_not_an_error():
    frame = pd.DataFrame({"hba1c_before": [7.0, 7.5], "hba1c_after": [6.5, 7.0]})
    table = baseline_table(frame, groups=DEFAULT_SEVERITY_GROUPS)
    cell = table.cell("hba1c_before", "severe")
    assert cell.n == 0 and np.isnan(cell.mean)
    with pytest.raises(KeyError, match="no summary for column 'age'"):
        table.cell("age", "all")


def test_patient_changes_groups_and_relative_change():
    res = patient_changes(seed_table().frame, groups=DEFAULT_SEVERITY_GROUPS)
    assert len(res.change) == 58 and res.group.count("severe") == 12
    i = res.patient_id.index(res.patient_id[0])
    assert res.relative_change[i] == pytest.approx(100 * (res.after[i] - res.before[i]) / res.before[i])


def test_rtm_null_curve_is_the_limit_of_the_band_formula():
    # E[X2 - X1 | X1 = x] is the band expectation of mscreg.stats.rtm for a very narrow band around x.
    curve = rtm_null_curve([6.5, 9.0, 11.0], mu=7.5, rho=0.8)
    for x, value in zip(curve.baseline, curve.expected_change):
        narrow = expected_rtm_change(lower=x - 1e-4, upper=x + 1e-4, mu=7.5, sigma=1.5, rho=0.8).expected_change
        assert value == pytest.approx(narrow, abs=1e-6)


def test_rtm_null_curve_checks_rho():
    with pytest.raises(ValueError, match="rho"):
        rtm_null_curve([7.0], rho=1.5)


def test_line_band_equals_statsmodels_and_durability():
    frame = seed_table().frame
    months, change = frame["months_observed"].to_numpy(), frame["change"].to_numpy()
    at = np.array([0.0, 30.0, 68.0])
    band = line_band(months, change, at=at)
    fit = sm.OLS(change, sm.add_constant(months)).fit()
    frame_ci = fit.get_prediction(sm.add_constant(at)).summary_frame(alpha=0.05)
    np.testing.assert_allclose(band.fitted, frame_ci["mean"], rtol=1e-10)
    np.testing.assert_allclose(band.ci_low, frame_ci["mean_ci_lower"], rtol=1e-10)
    np.testing.assert_allclose(band.ci_high, frame_ci["mean_ci_upper"], rtol=1e-10)
    d = durability(change, months)
    assert band.slope == pytest.approx(d.estimate) and band.intercept == pytest.approx(d.intercept)


def test_line_band_needs_three_points():
    with pytest.raises(InsufficientDataError, match="at least 3"):
        line_band([1, 2], [1, 2], at=[1])


def test_band_names_follow_the_bands():
    bands = (Band(name="low", upper=7.0, inclusive="neither"), Band(name="high", lower=7.0, inclusive="both"))
    res = patient_changes(pd.DataFrame({"hba1c_before": [6.5, 7.0], "hba1c_after": [6.0, 6.9]}), groups=bands)
    assert res.group == ("low", "high") and res.patient_id == ("row1", "row2")
