"""Tests of mscreg.stats.multiplicity: Holm by hand and family-wise error by simulation."""

from __future__ import annotations

import gc
import math

import numpy as np
import pytest

from mscreg.errors import ConventionError, InsufficientDataError
from mscreg.stats.multiplicity import holm


def test_holm_by_hand():
    # m = 4, sorted p: 0.005 (A), 0.011 (C), 0.02 (B), 0.3 (D)
    # step 1: 4 × 0.005 = 0.020; step 2: 3 × 0.011 = 0.033; step 3: 2 × 0.02 = 0.04;
    # step 4: 1 × 0.3 = 0.3 (each then made monotone by the running maximum: no change here)
    res = holm([0.005, 0.02, 0.011, 0.3], labels=["A", "B", "C", "D"])
    adjusted = {row.label: row.p_adjusted for row in res.rows}
    assert adjusted == pytest.approx({"A": 0.02, "B": 0.04, "C": 0.033, "D": 0.3})
    assert [row.label for row in res.rows] == ["A", "B", "C", "D"]  # input order kept
    assert [row.p_value for row in res.rows] == [0.005, 0.02, 0.011, 0.3]
    assert [row.reject for row in res.rows] == [True, True, True, False]


def test_holm_running_maximum_and_cap_by_hand():
    # sorted 0.01, 0.012, 0.4: 3 × 0.01 = 0.03; 2 × 0.012 = 0.024 -> max(0.03, 0.024) = 0.03; 0.4
    res = holm([0.4, 0.012, 0.01])
    assert [row.p_adjusted for row in res.rows] == pytest.approx([0.4, 0.03, 0.03])
    assert [row.label for row in res.rows] == ["H1", "H2", "H3"]
    assert holm([0.6, 0.7]).rows[0].p_adjusted == 1.0  # 2 × 0.6 capped at 1


def test_holm_controls_family_wise_error(rng, monkeypatch):
    # 5 true null hypotheses with independent uniform p-values; FWER for Holm equals
    # Bonferroni's here, 1 - P(all p > 0.01) ≤ 0.049, while unadjusted it is 1 - 0.95^5 = 0.226
    # statsmodels' multipletests runs gc.collect() on every call (20-100 ms in a test
    # process); switched off here so that enough families fit in a fast test
    monkeypatch.setattr(gc, "collect", lambda *args: 0)
    n_sim = 2000
    any_reject = np.mean([any(r.reject for r in holm(rng.random(5)).rows) for _ in range(n_sim)])
    expected = 1 - 0.99**5
    assert abs(any_reject - expected) <= 3 * math.sqrt(expected * (1 - expected) / n_sim)


def test_mapping_input_and_summary():
    res = holm({"overall": 0.001, "severe": 0.2})
    assert [row.label for row in res.rows] == ["overall", "severe"]
    assert "overall" in res.summary() and "reject at 0.05" in res.summary()


def test_bad_inputs():
    with pytest.raises(ValueError, match="p_values must lie in \\[0, 1\\]; position 1 holds 1.2"):
        holm([0.01, 1.2])
    with pytest.raises(ValueError, match="p_values\\[0\\] is nan; expected finite numbers"):
        holm([float("nan")])
    with pytest.raises(InsufficientDataError, match=r"p_values has 0 value\(s\); holm needs at least 1"):
        holm([])
    with pytest.raises(ValueError, match="labels must give one label per p-value; got 1 labels for 2 p-values"):
        holm([0.01, 0.02], labels=["A"])
    with pytest.raises(ValueError, match=r"labels must be unique; repeated: \['A'\]"):
        holm([0.01, 0.02], labels=["A", "A"])
    with pytest.raises(ValueError, match=r"labels come from the mapping's keys; do not also pass labels=\['x'\]"):
        holm({"a": 0.1}, labels=["x"])
    with pytest.raises(ConventionError, match="alpha=5 must be strictly between 0 and 1"):
        holm([0.01], alpha=5)
    with pytest.raises(ValueError, match="p_values must be numbers; got"):
        holm(["low"])
