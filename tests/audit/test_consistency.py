"""Data-free consistency checks: sums, statcheck-style t/p, GRIM, repeated statements."""

from __future__ import annotations

import pytest
from scipy import stats

from mscreg.audit.claims import parse_claims
from mscreg.audit.consistency import CONSISTENCY_VERDICTS, grim, p_from_t, run_consistency_checks
from mscreg.audit.reported import parse_reported


def c(id_, reported, **kw):
    return {"id": id_, "claim": id_, "where": "x", "reported": reported, "statistic": kw.pop("statistic", "count")} | kw


def results(data):
    return {r.id: r for r in run_consistency_checks(parse_claims(data))}


def test_p_from_t_matches_the_t_distribution():
    # R: 2 * pt(-2.0, 10) = 0.07338803; pt(-2.0, 10) = 0.03669402.
    assert p_from_t(2.0, 10) == pytest.approx(0.07338803, abs=5e-9)
    assert p_from_t(-2.0, 10, alternative="less") == pytest.approx(0.03669402, abs=5e-9)
    assert p_from_t(2.0, 10, alternative="greater") == pytest.approx(0.03669402, abs=5e-9)


def test_grim_known_cases():
    # Brown & Heathers' logic: 28 integers -> means are multiples of 1/28 = 0.0357.
    # 5.19 * 28 = 145.32; 145/28 = 5.1786, 146/28 = 5.2143 -> impossible; 5.18 -> 145/28 rounds to 5.18.
    assert grim(parse_reported("5.19"), 28, 1)[0] == "inconsistent"
    assert grim(parse_reported("5.18"), 28, 1)[0] == "consistent"
    assert grim(parse_reported("3.45"), 200, 1)[0] == "not_informative"


def test_sum_checks():
    out = results({"claims": [c("m", "42"), c("f", "16"), c("n", "61"), c("n2", "58")],
                   "checks": [{"id": "bad", "kind": "sum", "parts": ["m", "f"], "total": "n"},
                              {"id": "good", "kind": "sum", "parts": ["m", "f"], "total": "n2"}]})
    assert out["bad"].verdict == "inconsistent" and "42 + 16 = 58" in out["bad"].explanation
    assert out["good"].verdict == "consistent"


def test_percent_sum_allows_rounding():
    out = results({"claims": [c("a", "33.3"), c("b", "33.3"), c("d", "33.3"), c("t", "100")],
                   "checks": [{"id": "s", "kind": "sum", "parts": ["a", "b", "d"], "total": "t"}]})
    assert out["s"].verdict == "consistent"  # 99.9 is within the rounding of three one-decimal parts


def test_t_p_checks():
    p = stats.t.sf(2.53, 20) * 2  # 0.01996...
    # Three p-values of three different groups (so the automatic "repeated" check keeps out of it).
    claims = [c("t", "2.53", statistic="ttest_t", quantity="reduction"),
              c("p_ok", f"p = {p:.3f}", statistic="ttest_p", quantity="reduction"),
              c("p_bad", "p = 0.20", statistic="ttest_p", quantity="reduction", subset="men"),
              c("p_bound", "p < 0.05", statistic="ttest_p", quantity="reduction", subset="women")]
    subsets = {"men": {"column": "sex", "equals": "M"}, "women": {"column": "sex", "equals": "F"}}
    out = results({"claims": claims, "subsets": subsets, "checks": [
        {"id": "ok", "kind": "t_p", "t": "t", "df": "20", "p": "p_ok"},
        {"id": "bad", "kind": "t_p", "t": "t", "df": "20", "p": "p_bad"},
        {"id": "bound", "kind": "t_p", "t": "2.53", "df": "20", "p": "p_bound"},
        {"id": "onesided", "kind": "t_p", "t": "2.53", "df": "20", "p": "p_bad", "alternative": "greater"}]})
    assert out["ok"].verdict == "consistent"
    assert out["bad"].verdict == "inconsistent" and "t(20) = 2.53" in out["bad"].explanation
    assert out["bound"].verdict == "consistent"
    assert out["onesided"].verdict == "inconsistent"


def test_grim_check_from_the_file():
    out = results({"claims": [c("m", "5.19", statistic="mean", quantity="age", n="28")],
                   "checks": [{"id": "g", "kind": "grim", "mean": "m", "granularity": "1"}]})
    assert out["g"].verdict == "inconsistent"


def test_repeated_statements_must_agree():
    out = results({"claims": [c("a", "35", statistic="median", quantity="months_observed"),
                              c("b", "35.5", statistic="median", quantity="months_observed"),
                              c("c", "> 36", statistic="median", quantity="months_observed")]})
    repeated = out["repeated:a"]
    assert repeated.verdict == "inconsistent"
    assert "b says 35.5 but c says > 36" in repeated.explanation
    assert "a says 35 but b" not in repeated.explanation  # 35 (34.5–35.5) and 35.5 (35.45–35.55) can agree


def test_within_range():
    out = results({"claims": [c("r", "4–9", statistic="range", quantity="hba1c_after"),
                              c("m", "9.5", statistic="mean", quantity="hba1c_after")]})
    assert out["within_range:m"].verdict == "inconsistent"


def test_grim_and_repeated_allow_truncation():
    # 28 whole numbers: 145/28 = 5.1786 rounds to 5.18 but truncates to 5.17; 144/28 = 5.1429.
    # So "5.17" is impossible under rounding and possible under truncation: not a GRIM failure.
    verdict, explanation = grim(parse_reported("5.17"), 28, 1)
    assert verdict == "consistent" and "truncate" in explanation
    # "35" and "35.9": incompatible if both were rounded (34.5–35.5 vs 35.85–35.95), compatible if truncated.
    out = results({"claims": [c("a", "35", statistic="median", quantity="months_observed"),
                              c("b", "35.9", statistic="median", quantity="months_observed")]})
    assert out["repeated:a"].verdict == "consistent"
    assert {r.verdict for r in out.values()} <= set(CONSISTENCY_VERDICTS)
