"""Tests of the external context data (mscreg.datasets.external) and mscreg.stats.context."""

from __future__ import annotations

import math

import pytest

from mscreg.datasets.external import ExternalRecord, load_external_context
from mscreg.errors import InputFileError, InsufficientDataError
from mscreg.stats.context import EXTERNAL_LABEL, external_comparison

# Every number below is copied from DESIGN.md, "Domain facts" (the only allowed source).
DESIGN_NUMBERS = {
    ("Zang", "placebo"): {"baseline": 8.89, "follow_up": 8.19, "change": -0.63},
    ("Zang", "UC-MSC"): {"change": -1.31, "p_value": 0.0081},
    ("Skyler", "MSC minus placebo"): {"change_low": -0.4, "change_high": 0.0},
    ("Meta-analysis", "MSC minus control"): {"change": -0.72, "change_low": -1.11, "change_high": -0.33, "n": 507},
    ("PMID 17804681", "trial entry"): {"change_low": -0.5, "change_high": -0.2},
    ("Drug", "metformin"): {"change": -1.1},
    ("Drug", "SGLT2"): {"change": -0.66},
    ("Drug", "GLP-1"): {"change_low": -1.2, "change_high": -0.55},
}
ALLOWED = {value for numbers in DESIGN_NUMBERS.values() for value in numbers.values()}


def find(records, source_part, arm_part):
    matches = [r for r in records if source_part in r.source and arm_part in r.arm]
    assert len(matches) == 1, (source_part, arm_part)
    return matches[0]


def test_records_hold_the_design_numbers():
    records = load_external_context()
    assert len(records) == len(DESIGN_NUMBERS)
    for (source_part, arm_part), numbers in DESIGN_NUMBERS.items():
        record = find(records, source_part, arm_part)
        for field, value in numbers.items():
            assert getattr(record, field) == value, (source_part, field)


def test_no_number_outside_the_design_notes():
    for record in load_external_context():
        for field in ("n", "baseline", "follow_up", "change", "change_low", "change_high", "p_value"):
            value = getattr(record, field)
            assert value is None or value in ALLOWED, (record.source, field, value)


def test_timepoints_and_kinds():
    records = load_external_context()
    assert find(records, "Zang", "placebo").timepoint == "48 weeks"
    assert find(records, "Skyler", "MSC").timepoint == "12 weeks"
    assert find(records, "Meta-analysis", "MSC").timepoint == "12 months"
    assert find(records, "Zang", "placebo").quantity == "within-arm change"
    assert find(records, "Meta-analysis", "MSC").quantity == "difference vs control"


def test_external_comparison_rows_by_hand():
    res = external_comparison(-1.05)
    placebo = res.rows[0]
    # cohort -1.05 minus placebo-arm change -0.63 = -0.42
    assert placebo.difference == pytest.approx(-0.42, abs=1e-12)
    assert placebo.cohort_change == -1.05 and placebo.external_change == -0.63
    meta = next(r for r in res.rows if r.source.startswith("Meta-analysis"))
    assert math.isnan(meta.difference)  # a between-arm effect is not the same quantity
    assert (meta.external_low, meta.external_high) == (-1.11, -0.33)
    skyler = next(r for r in res.rows if r.source.startswith("Skyler"))
    assert math.isnan(skyler.external_change) and "not reported" not in skyler.timepoint
    assert all(row.label == EXTERNAL_LABEL for row in res.rows)
    assert "uncontrolled" in res.label and "not a control group" in res.label
    assert res.to_dict()["rows"][2]["external_change"] is None
    assert "Cohort change -1.05" in res.summary()


def test_external_comparison_with_own_records():
    record = ExternalRecord(source="S", design="D", arm="A", quantity="within-arm change", n=None, baseline=None,
                            follow_up=None, change=-0.5, change_low=None, change_high=None, timepoint=None,
                            p_value=None, note="N")
    res = external_comparison(-0.8, records=[record])
    assert len(res.rows) == 1 and res.rows[0].difference == pytest.approx(-0.3)
    assert res.rows[0].timepoint == "not reported"


def test_external_comparison_bad_input():
    with pytest.raises(ValueError, match="observed_change must be a finite number \\(% points\\); got 'x'"):
        external_comparison("x")
    with pytest.raises(ValueError, match="observed_change must be a finite number"):
        external_comparison(float("inf"))
    with pytest.raises(InsufficientDataError, match="needs at least one external record; got none"):
        external_comparison(-1.0, records=[])
    with pytest.raises(ValueError, match="records must be ExternalRecord objects; got 3"):
        external_comparison(-1.0, records=[3])


GOOD = """records:
  - source: S
    design: D
    arm: A
    quantity: within-arm change
    n: null
    baseline: null
    follow_up: null
    change: -0.5
    change_low: null
    change_high: null
    timepoint: null
    p_value: null
    note: N
"""


@pytest.mark.parametrize(
    "text, message",
    [
        ("records: [", "not valid YAML"),
        ("other: 1", "expected a mapping with a non-empty list under 'records'"),
        ("records:\n  - 5", "record 1: expected a mapping of fields; got 5"),
        (GOOD.replace("    note: N\n", ""), r"record 1: fields do not match; missing \['note'\], unexpected \[\]"),
        (GOOD.replace("arm: A", "arm: ''"), "record 1: field 'arm' must be non-empty text; got ''"),
        (GOOD.replace("change: -0.5", "change: lots"), "record 1: field 'change' must be a finite number or null; got 'lots'"),
        (GOOD.replace("n: null", "n: 0"), "record 1: field 'n' must be a positive integer or null; got 0"),
        (GOOD.replace("quantity: within-arm change", "quantity: effect"), "record 1: field 'quantity' must be one of"),
        (GOOD.replace("change: -0.5", "change: null"), "record 1: give 'change' or both 'change_low' and 'change_high'"),
        (GOOD.replace("change_low: null", "change_low: 1").replace("change_high: null", "change_high: 0"),
         "record 1: change_low 1 must not exceed change_high 0"),
        (GOOD.replace("timepoint: null", "timepoint: 12"), "record 1: field 'timepoint' must be text or null; got 12"),
    ],
)
def test_loader_rejects_bad_files(tmp_path, text, message):
    path = tmp_path / "context.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError, match=message):
        load_external_context(path)


def test_loader_reads_a_good_file_and_reports_a_missing_one(tmp_path):
    path = tmp_path / "context.yaml"
    path.write_text(GOOD, encoding="utf-8")
    (record,) = load_external_context(path)
    assert record.change == -0.5 and record.timepoint is None
    with pytest.raises(InputFileError, match="cannot read the external context file"):
        load_external_context(tmp_path / "missing.yaml")
