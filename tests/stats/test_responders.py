"""Tests of mscreg.stats.responders: RCV and Wilson intervals by hand, and simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mscreg.errors import ConventionError, InsufficientDataError
from mscreg.stats.responders import reference_change_value, responder_analysis


def wilson_by_hand(count: int, n: int, z: float) -> tuple[float, float]:
    """Wilson (1927): (p̂ + z²/2n ± z·sqrt(p̂(1-p̂)/n + z²/4n²)) / (1 + z²/n)."""
    p = count / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


def test_rcv_by_hand():
    # √(2.0² + 8.3²) = √(4 + 68.89) = √72.89 = 8.537564; × √2 = 12.073939; × 1.959964 = 23.664
    assert reference_change_value() == pytest.approx(math.sqrt(2) * 1.959964 * math.sqrt(72.89), rel=1e-6)
    assert reference_change_value() == pytest.approx(23.664, abs=5e-4)
    # one-sided (fall): z = 1.644854 -> 12.073939 × 1.644854 = 19.860
    assert reference_change_value(alternative="less") == pytest.approx(19.860, abs=5e-4)
    # 90 % two-sided uses z = 1.644854 as well
    assert reference_change_value(rcv_level=0.90) == pytest.approx(19.860, abs=5e-4)


def test_responder_counts_and_wilson_intervals_by_hand():
    before = [10.0, 8.0, 8.0, 9.0, 7.2, 6.8, 11.0, 8.4]
    after = [7.0, 7.2, 6.0, 8.9, 6.9, 6.3, 8.0, 6.2]
    # relative falls %: 30, 10, 25, 1.1, 4.2, 7.4, 27.3, 26.2 -> > 23.66: 4 patients
    res = responder_analysis(before, after)
    z = 1.959964
    assert res.rcv_responders.count == 4 and res.rcv_responders.n == 8
    low, high = wilson_by_hand(4, 8, z)
    assert res.rcv_responders.ci_low == pytest.approx(low, abs=1e-6)
    assert res.rcv_responders.ci_high == pytest.approx(high, abs=1e-6)
    # after < 7: 6.0, 6.9, 6.3, 6.2 -> 4; after < 6.5: 6.0, 6.3, 6.2 -> 3; before < 7: 6.8 -> 1
    assert [s.count for s in res.targets_after] == [4, 3]
    assert [s.count for s in res.targets_before] == [1, 0]
    assert [s.threshold for s in res.targets_after] == [7.0, 6.5]
    low, high = wilson_by_hand(3, 8, z)
    assert (res.targets_after[1].ci_low, res.targets_after[1].ci_high) == pytest.approx((low, high), abs=1e-6)
    assert res.targets_before[1].ci_low == 0.0


def test_target_threshold_is_strict():
    res = responder_analysis([8.0, 8.0], [7.0, 6.99], targets=[7.0])
    assert res.targets_after[0].count == 1


def test_rcv_false_positive_rate_without_change(rng):
    # No true change: X = T(1 + CVI·e_bio + CVA·e_an) at two visits. A fall beyond the
    # two-sided 95 % RCV should then occur in 2.5 % of patients. The RCV formula treats the
    # relative change as normal; dividing by the first (noisy) value shrinks large falls
    # (about 2.1 % instead of 2.5 % at a total CV of 2.2 %), an effect proportional to the CV,
    # so the formula is checked where it is exact to first order: CVA 0.1 %, CVI 0.2 %.
    n, cva, cvi = 200_000, 0.001, 0.002
    true = rng.uniform(6.5, 10, n)
    before = true * (1 + cvi * rng.standard_normal(n) + cva * rng.standard_normal(n))
    after = true * (1 + cvi * rng.standard_normal(n) + cva * rng.standard_normal(n))
    res = responder_analysis(before, after, cva_percent=0.1, cvi_percent=0.2)
    # Monte Carlo SE sqrt(.025·.975/200000) = 0.00035 -> 4 SE = 0.0014
    assert res.rcv_responders.estimate == pytest.approx(0.025, abs=0.0014)


def test_wilson_coverage(rng):
    n_sim, n, p = 2000, 40, 0.3
    hits = 0
    for _ in range(n_sim):
        after = np.where(rng.random(n) < p, 6.0, 8.0)
        share = responder_analysis(np.full(n, 8.5), after).targets_after[0]
        hits += share.ci_low <= p <= share.ci_high
    # Wilson coverage oscillates around nominal with n (Brown, Cai & DasGupta 2001, fig. 4):
    # within about ±2 points at n = 40, plus 3 Monte Carlo SEs (0.015)
    assert abs(hits / n_sim - 0.95) <= 0.035


def test_bad_inputs():
    with pytest.raises(ConventionError, match=r"alternative='greater' is not one of 'two-sided', 'less' \(responders are defined by a fall\)"):
        reference_change_value(alternative="greater")
    with pytest.raises(ValueError, match=r"cvi_percent must lie in \[0, 100\) \(coefficient of variation, %\); got -8.3"):
        reference_change_value(cvi_percent=-8.3)
    with pytest.raises(ConventionError, match="rcv_level=95 must be strictly between 0 and 1"):
        reference_change_value(rcv_level=95)
    with pytest.raises(ValueError, match=r"before must be > 0 \(to compute a relative change\); position 1 holds 0.0"):
        responder_analysis([8.0, 0.0], [7.0, 6.0])
    with pytest.raises(InsufficientDataError, match=r"before has 0 value\(s\); responder_analysis needs at least 1"):
        responder_analysis([], [])
    with pytest.raises(ValueError, match=r"targets\[0\] is nan; expected finite numbers"):
        responder_analysis([8.0], [7.0], targets=[float("nan")])
    with pytest.raises(ConventionError, match="ci_level=1.5 must be strictly between 0 and 1"):
        responder_analysis([8.0], [7.0], ci_level=1.5)


def test_summary_mentions_rcv_and_shares():
    text = responder_analysis([10.0, 8.0, 8.0], [7.0, 7.2, 6.0]).summary()
    assert "RCV 23.7 %" in text and "HbA1c < 7 % after: 1/3" in text
