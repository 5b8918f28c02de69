"""Parsing reported values and matching recomputed ones."""

from __future__ import annotations

import pytest

from mscreg.audit.reported import Bound, Point, Range, Significance, parse_reported
from mscreg.errors import ClaimsFileError


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("7.49", Point, 7.49),
        ("p = 0.0122", Point, 0.0122),
        ("r = 0.041", Point, 0.041),
        ("r(56) = −0.20", Point, -0.20),
        ("59%", Point, 59.0),
        ("p < 0.0000002", Bound, 2e-7),
        ("p<.05", Bound, 0.05),
        ("≥ 6.2", Bound, 6.2),
        ("> 36", Bound, 36.0),
        ("p ≤ 0.001", Bound, 0.001),
    ],
)
def test_forms(text, kind, value):
    parsed = parse_reported(text)
    assert isinstance(parsed, kind)
    assert parsed.value == pytest.approx(value)


def test_ranges_and_words():
    r = parse_reported("15.25–45.75")
    assert isinstance(r, Range) and (r.low.value, r.high.value, r.high.decimals) == (15.25, 45.75, 2)
    assert parse_reported("6 to 68").high.value == 68
    assert parse_reported("-1.2 - 0.4").low.value == -1.2
    assert parse_reported("no significant correlation") == Significance(False, "no significant correlation")
    assert parse_reported("not statistically significant").significant is False
    assert parse_reported("significant").significant is True


def test_point_matching_respects_precision_and_rule():
    p = parse_reported("1.55")
    assert p.matches(1.5462, rounding="half-up")
    assert not p.matches(1.5583, rounding="half-up")
    assert p.matches(1.5583, rounding="truncate")
    assert parse_reported("6.70").decimals == 2
    assert parse_reported("6.70").matches(6.7049, rounding="half-up") is not False


def test_bound_matching_uses_the_unrounded_value():
    assert parse_reported("p < 0.0001").matches(1.06e-6)
    assert not parse_reported("p < 0.0001").matches(0.0001)
    assert parse_reported("<= 60").matches(60.0)
    assert not parse_reported("> 36").matches(35.5)


def test_significance_matching():
    assert parse_reported("not significant").matches(0.757, alpha=0.05)
    assert not parse_reported("not significant").matches(0.01, alpha=0.05)
    assert parse_reported("significant").matches(0.02, alpha=0.05)


def test_unreadable():
    with pytest.raises(ClaimsFileError, match="cannot read 'about seven'"):
        parse_reported("about seven")
    with pytest.raises(ClaimsFileError, match="claim 'x': reported"):
        parse_reported("14 of 15", where="claim 'x': reported")
