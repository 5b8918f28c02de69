"""Rounding rules used to compare recomputed and reported numbers."""

from __future__ import annotations

import pytest

from mscreg.errors import ConventionError
from mscreg.stats.rounding import decimals_of, round_value


@pytest.mark.parametrize(
    ("value", "decimals", "rule", "expected"),
    [
        (35.5, 0, "half-up", 36.0),
        (35.5, 0, "half-even", 36.0),
        (34.5, 0, "half-even", 34.0),
        (35.5, 0, "truncate", 35.0),
        (-1.55, 1, "half-up", -1.6),   # ties away from zero, as Excel ROUND(-1.55, 1)
        (-1.55, 1, "truncate", -1.5),
        (2.675, 2, "half-up", 2.68),   # the float is 2.67499999...; Excel shows and rounds 2.675
        (0.5934782608695652, 2, "half-up", 0.59),
        (1234.5, -1, "half-up", 1230.0),
    ],
)
def test_round_value(value, decimals, rule, expected):
    assert round_value(value, decimals, rule=rule) == expected


def test_decimals_of():
    assert [decimals_of(t) for t in ("7.49", "8", "0.0000002", "6.70", "2e-07", "-1.5")] == [2, 0, 7, 2, 7, 1]


def test_unknown_rule():
    with pytest.raises(ConventionError, match="rounding rule 'banker' is not one of"):
        round_value(1.5, 0, rule="banker")
