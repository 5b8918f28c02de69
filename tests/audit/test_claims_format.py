"""The claims format: loading, and an error naming claim and key for each kind of mistake."""

from __future__ import annotations

import pytest

from mscreg.audit.claims import STATISTICS, load_claims, parse_claims
from mscreg.datasets import seed_claims_path
from mscreg.errors import ClaimsFileError, InputFileError
from tests.conftest import REPO


def claim(**fields):
    base = {"id": "c1", "claim": "something", "where": "Abstract", "statistic": "mean", "quantity": "age", "reported": "63.3"}
    return base | fields


def error_of(data) -> str:
    with pytest.raises(ClaimsFileError) as info:
        parse_claims(data, source="f.yaml")
    return str(info.value)


def test_seed_claims_load_and_cover_the_paper():
    claims = load_claims(seed_claims_path())
    ids = {c.id for c in claims.claims}
    assert {"n-enrolled", "n-male", "n-female", "baseline-mean", "after-mean", "overall-p", "moderate-mean-reduction",
            "moderate-p", "severe-mean-reduction", "severe-p", "followup-median", "followup-iqr",
            "duration-correlation", "dose-trend-p", "dose-1500-mean-reduction", "no-serious-adverse-events"} <= ids
    assert claims.conventions.quartile_method == "excel_inc"


def test_scalars_keep_their_printed_precision(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("claims:\n  - {id: a, claim: mean after, where: R, statistic: mean, quantity: hba1c_after, reported: 6.70}\n")
    assert load_claims(path).claims[0].parsed_reported().decimals == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"claims": [claim(statistic="average")]}, "claims[0] (id 'c1'): Value error, statistic 'average' is not one of"),
        ({"claims": [claim(reported=None)]}, "claims[0] (id 'c1').reported"),
        ({"claims": [{k: v for k, v in claim().items() if k != "where"}]}, "claims[0] (id 'c1').where"),
        ({"claims": [claim(quantity=None)]}, "statistic 'mean' needs `quantity`"),
        ({"claims": [claim(statistic="correlation")]}, "needs `with`"),
        ({"claims": [claim(statistic="mean_difference")]}, "needs `versus`"),
        ({"claims": [claim(subset="severe")]}, "claim 'c1': subset 'severe' is not a defined subset"),
        ({"claims": [claim(), claim()]}, "claim ids must be unique; repeated: c1"),
        ({"claims": [claim(reported="about 63")]}, "claim 'c1': reported: cannot read 'about 63'"),
        ({"claims": [claim(statistic="range")]}, "reported as a pair"),
        ({"claims": [claim(reported="1–2")]}, "fits only the statistics 'range' and 'iqr'"),
        ({"claims": [claim(reported="not significant")]}, "fits only p-value statistics"),
        ({"claims": [claim(colour="red")]}, "colour"),
        ({"claims": []}, "claims"),
        ({"claims": [claim()], "subsets": {"s": {"column": "age"}}}, "define a subset by exactly one of"),
        ({"claims": [claim()], "subsets": {"s": {"lower": 1}}}, "needs `column`"),
        ({"claims": [claim()], "subsets": {"s": {"all_of": ["t"]}}}, "all_of names unknown subset 't'"),
        ({"claims": [claim()], "subsets": {"all": {"column": "age", "lower": 1}}}, "'all' is reserved"),
        ({"claims": [claim()], "conventions": {"rounding": "bankers"}}, "conventions.rounding (value 'bankers')"),
        ({"claims": [claim()], "conventions": {"quartile_method": "R7"}}, "quartile_method 'R7' is not one of"),
        ({"claims": [claim()], "checks": [{"id": "k", "kind": "sum", "parts": ["c1"]}]}, "check kind 'sum' needs total"),
        ({"claims": [claim()], "checks": [{"id": "k", "kind": "sum", "parts": ["zz"], "total": "c1"}]}, "unknown claim 'zz'"),
        ({"claims": [claim()], "format": "other/2"}, "format"),
        (["not", "a", "mapping"], "expected a mapping"),
        ({"claims": [claim(statistic="ttest_p", quantity="hba1c_before")]}, "a t-test needs `versus`"),
        ({"claims": [claim(versus="s")], "subsets": {"s": {"column": "sex", "equals": "M"}}}, "`versus` has no meaning for statistic 'mean'"),
        ({"claims": [claim(statistic="ttest_p", quantity="reduction", subset="s", versus="s")],
          "subsets": {"s": {"column": "sex", "equals": "M"}}}, "same subset"),
        ({"claims": [claim(of="all")]}, "`of` has no meaning"),
        ({"claims": [claim(quantity="sex")]}, "needs a numeric quantity"),
        ({"claims": [claim()], "subsets": {"s": {"column": "sex", "lower": 1}}}, "a band (lower/upper) needs a numeric column"),
        ({"claims": [claim()], "subsets": {"s": {"column": "dose_million", "equals": "high"}}}, "`equals` must be a number"),
    ],
)
def test_format_errors_name_the_problem(data, message):
    text = error_of(data)
    assert message in text
    assert text.startswith("f.yaml")


def test_file_level_errors(tmp_path):
    with pytest.raises(InputFileError, match="no such claims file"):
        load_claims(tmp_path / "none.yaml")
    with pytest.raises(InputFileError, match="is a folder"):
        load_claims(tmp_path)
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(InputFileError, match="the claims file is empty"):
        load_claims(empty)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("claims: [caf\xe9]".encode("latin-1"))
    with pytest.raises(InputFileError, match="not UTF-8"):
        load_claims(latin)
    broken = tmp_path / "broken.yaml"
    broken.write_text("claims: [\n  - id: a\n")
    with pytest.raises(ClaimsFileError, match="not valid YAML"):
        load_claims(broken)


def test_documentation_lists_every_statistic():
    doc = (REPO / "docs" / "claims-format.md").read_text(encoding="utf-8")
    for name in STATISTICS:
        assert f"`{name}`" in doc, name
