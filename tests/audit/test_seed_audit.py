"""The audit of the seed preprint: what each of its discrepancies turns out to be.

The expected facts are established independently in the test (scipy on the raw table),
not copied from the audit's output.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mscreg.audit import VERDICTS, load_claims, run_audit
from mscreg.cohort import seed_table
from mscreg.datasets import seed_claims_path


@pytest.fixture(scope="module")
def report():
    return run_audit(seed_table(), load_claims(seed_claims_path()))


@pytest.fixture(scope="module")
def verdicts(report):
    return {v.id: v for v in report.claims}


@pytest.fixture(scope="module")
def frame():
    return seed_table().frame


def test_every_claim_has_one_of_the_four_verdicts(report):
    assert {v.verdict for v in report.claims} <= set(VERDICTS)
    assert sum(report.counts.values()) == len(report.claims)


def test_61_patients_is_not_in_the_table(verdicts, frame):
    assert frame.shape[0] == 58
    v = verdicts["n-enrolled"]
    assert v.verdict == "not_reproduced" and v.recomputed == 58


def test_severe_p_needs_the_boundary_in_the_severe_group(verdicts, frame):
    b, a = frame["hba1c_before"], frame["hba1c_after"]
    p_open = stats.ttest_rel(b[b > 8], a[b > 8]).pvalue
    p_closed = stats.ttest_rel(b[b >= 8], a[b >= 8]).pvalue
    assert round(p_open, 4) != 0.0122 and round(p_closed, 4) == 0.0122
    v = verdicts["severe-p"]
    assert v.verdict == "reproduced_with_convention"
    assert "≥ 8" in v.convention and v.convention_detail == {"inclusive:severe": "both"}
    assert v.recomputed == pytest.approx(p_open)


def test_severe_mean_prefers_the_reading_the_p_value_needs(verdicts, frame):
    b, a = frame["hba1c_before"], frame["hba1c_after"]
    assert round((b - a)[b >= 8].mean(), 2) == 1.55
    v = verdicts["severe-mean-reduction"]
    assert v.verdict == "reproduced_with_convention"
    assert v.convention_detail == {"inclusive:severe": "both"}
    assert any("truncation" in alt for alt in v.also_reproduced_by)
    assert "severe-p" in v.explanation


def test_moderate_mean_needs_8_excluded(verdicts, frame):
    b, a = frame["hba1c_before"], frame["hba1c_after"]
    assert round((b - a)[(b >= 6.2) & (b < 8)].mean(), 2) == 0.58
    assert round((b - a)[(b >= 6.2) & (b <= 8)].mean(), 2) == 0.59
    v = verdicts["moderate-mean-reduction"]
    assert v.verdict == "reproduced_with_convention" and "< 8" in v.convention


def test_median_follow_up_35_is_a_truncated_35_5(verdicts, frame):
    assert np.median(frame["months_observed"]) == 35.5
    assert verdicts["followup-median"].verdict == "reproduced_with_convention"
    assert "truncation" in verdicts["followup-median"].convention
    assert verdicts["followup-median-figure"].verdict == "reproduced"
    assert verdicts["followup-over-three-years"].verdict == "not_reproduced"


def test_excel_quartiles_and_correlation(verdicts, frame):
    assert np.quantile(frame["months_observed"], [0.25, 0.75], method="linear").tolist() == [15.25, 45.75]
    assert verdicts["followup-iqr"].verdict == "reproduced"
    r = stats.pearsonr(frame["months_observed"], frame["hba1c_before"] - frame["hba1c_after"])
    assert round(r.statistic, 3) == 0.041
    assert verdicts["duration-correlation"].verdict == "reproduced"
    assert verdicts["duration-correlation-p"].verdict == "reproduced"


def test_dose_subgroup_means_are_not_in_the_table(verdicts, frame):
    fall = frame["hba1c_before"] - frame["hba1c_after"]
    dose = frame["dose_million"]
    assert round(fall[dose >= 1500].mean(), 2) != 1.72 and round(fall[dose < 1000].mean(), 2) != 1.12
    assert verdicts["dose-1500-mean-reduction"].verdict == "not_reproduced"
    assert verdicts["dose-below-1000-mean-reduction"].verdict == "not_reproduced"


def test_follow_up_beyond_the_five_year_schedule(verdicts, frame):
    assert frame["months_observed"].max() == 68
    assert verdicts["followup-schedule"].verdict == "not_reproduced"


def test_safety_and_literature_claims_are_not_checkable(verdicts):
    assert verdicts["no-serious-adverse-events"].verdict == "not_checkable"
    assert "adverse events" in verdicts["no-serious-adverse-events"].explanation
    assert all(v.verdict == "not_checkable" for k, v in verdicts.items() if k.startswith("lit-"))


def test_consistency_findings(report):
    by_kind = {(c.kind, c.verdict) for c in report.consistency}
    assert ("sum", "inconsistent") in by_kind  # 42 + 16 = 58, not 61
    repeated = next(c for c in report.consistency if c.kind == "repeated")
    assert repeated.verdict == "inconsistent" and "> 36" in repeated.explanation
    assert all(c.verdict == "consistent" for c in report.consistency if c.kind == "within_range")
