"""The seed paper's analyses on its own table: the numbers the paper's conventions give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mscreg.cohort import seed_table
from mscreg.domain.bands import Band
from mscreg.stats.paper import paper_analyses
from mscreg.stats.subgroups import subgroup_ttests


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return seed_table().frame


def test_whole_cohort(frame):
    res = paper_analyses(frame)
    # Independent recomputation with scipy on the raw columns.
    expected = stats.ttest_rel(frame["hba1c_after"], frame["hba1c_before"])
    assert res.overall.t == pytest.approx(expected.statistic)
    assert res.overall.p_value == pytest.approx(expected.pvalue)
    assert res.sex_counts == {"F": 16, "M": 42}
    assert round(res.descriptives["hba1c_before"].mean, 2) == 7.49
    assert round(res.descriptives["age"].mean, 1) == 63.3
    assert res.n_rows == res.n_paired == 58


def test_severe_group_with_boundary_included_gives_the_papers_p(frame):
    # The paper's p = 0.0122 for "severe > 8 %" comes out only when 8.0 is counted as severe.
    stated = subgroup_ttests(frame, [Band(name="severe", lower=8.0, inclusive="neither")], column="hba1c_before")[0]
    inclusive = subgroup_ttests(frame, [Band(name="severe", lower=8.0, inclusive="both")], column="hba1c_before")[0]
    assert stated.n == 12 and inclusive.n == 13
    assert round(inclusive.ttest.p_value, 4) == 0.0122
    assert round(stated.ttest.p_value, 4) != 0.0122
    mask = frame["hba1c_before"] >= 8.0
    assert inclusive.mean_reduction == pytest.approx((frame.loc[mask, "hba1c_before"] - frame.loc[mask, "hba1c_after"]).mean())


def test_subgroup_with_fewer_than_two_rows_has_no_test():
    f = pd.DataFrame({"hba1c_before": [7.0, 9.0], "hba1c_after": [6.5, 8.0]})
    res = subgroup_ttests(f, [Band(name="severe", lower=8.5)], column="hba1c_before")[0]
    assert res.n == 1 and res.ttest is None
    empty = subgroup_ttests(f, [Band(name="none", lower=15)], column="hba1c_before")[0]
    assert empty.n == 0 and np.isnan(empty.mean_before)


def test_optional_columns_may_be_absent():
    f = pd.DataFrame({"hba1c_before": [7.0, 8.0, 9.0], "hba1c_after": [6.5, 7.0, 8.5]})
    f["change"] = f["hba1c_after"] - f["hba1c_before"]
    f["reduction"] = -f["change"]
    res = paper_analyses(f)
    assert res.dose_groups == () and res.sex_counts == {}
    assert set(res.correlations) == {"hba1c_before"}


def test_conventions_are_recorded_and_change_results(frame):
    two = paper_analyses(frame)
    one = paper_analyses(frame, alternative="less", quartile_method="weibull", ddof=0)
    assert one.conventions["quartile_method"] == "weibull"
    assert one.overall.p_value == pytest.approx(two.overall.p_value / 2)
    assert one.descriptives["months_observed"].q1 != two.descriptives["months_observed"].q1
    assert one.descriptives["age"].sd < two.descriptives["age"].sd
    assert two.to_dict()["overall"]["p_value"] == pytest.approx(two.overall.p_value)
