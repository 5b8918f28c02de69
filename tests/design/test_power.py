"""Analytic sample size and power: reference values, round trips, every input error.

Reference values
----------------
R package ``pwr`` (Champely), outputs recorded with their R commands; the last five are
the R outputs stored in statsmodels' own test suite
(``statsmodels/stats/tests/test_power.py``), recomputed here through mscreg's API.
Dunnett critical values: Dunnett CW, JASA 1955;50:1096 (one-sided table, as reprinted)
and the two-sided values for infinite df (Dunnett, Biometrics 1964;20:482).
"""

from __future__ import annotations

import math

import pytest
from scipy import stats

from mscreg.design.power import (
    METHODS,
    analysis_sd,
    dunnett_critical_value,
    power_curve,
    solve_design,
)
from mscreg.errors import ConventionError, InputError, MscregError

WORKED = {"effect": 0.5, "sd": 1.0, "rho": 0.6, "alpha": 0.05}


# ----------------------------------------------------------------------- reference values
def test_worked_example_n_per_arm_for_three_analyses():
    # effect 0.5 %, SD 1.0 %, rho 0.6, alpha 0.05 two-sided, power 0.8 (TTestIndPower):
    # follow-up 63.7656 -> 64, change score 51.2110 -> 52, ANCOVA 41.1689 -> 42.
    res = solve_design(**WORKED, power=0.8)
    exact = {m.method: m.n_evaluable for m in res.methods}
    assert exact["follow_up"] == pytest.approx(63.76561, abs=5e-5)
    assert exact["change_score"] == pytest.approx(51.21100, abs=5e-5)
    assert exact["ancova"] == pytest.approx(41.16892, abs=5e-5)
    assert [m.n_per_arm for m in res.methods] == [64, 52, 42]
    assert [m.n_control for m in res.methods] == [64, 52, 42]
    assert [m.n_total for m in res.methods] == [128, 104, 84]
    assert all(m.power >= 0.8 for m in res.methods)
    assert res.solved_for == "n"


def test_r_pwr_sample_size():
    # R> pwr.t.test(d = 0.5, power = 0.8, sig.level = 0.05, type = "two.sample")
    #    n = 63.76561
    res = solve_design(effect=0.5, sd=1.0, rho=0.0, power=0.8)
    assert res.method("follow_up").n_evaluable == pytest.approx(63.76561, abs=1e-5)


def test_hand_calculation_normal_approximation_plus_guenther():
    # Step by step, normal approximation n = 2 (z_{0.975} + z_{0.80})^2 / d^2:
    #   z_{0.975} = 1.959964, z_{0.80} = 0.841621, (sum)^2 = 7.848879
    #   follow-up d = 0.5/1            -> 2 * 7.848879 / 0.25     = 62.791
    #   change    d = 0.5/sqrt(0.8)    -> 2 * 7.848879 / 0.3125   = 50.233
    #   ANCOVA    d = 0.5/sqrt(0.64)   -> 2 * 7.848879 / 0.390625 = 40.186
    # Guenther (1981) t correction adds z_{0.975}^2 / 4 = 0.960 per arm:
    #   63.751, 51.193, 41.146  -- the exact t solutions lie within 0.03 of these.
    z = (1.959964 + 0.841621) ** 2
    expected = {
        "follow_up": 2 * z / 0.25 + 1.959964**2 / 4,
        "change_score": 2 * z / 0.3125 + 1.959964**2 / 4,
        "ancova": 2 * z / 0.390625 + 1.959964**2 / 4,
    }
    res = solve_design(**WORKED, power=0.8)
    for m in res.methods:
        assert m.n_evaluable == pytest.approx(expected[m.method], abs=0.03)


@pytest.mark.parametrize(
    ("kwargs", "method", "power"),
    [
        # R> pwr.t.test(d=1, n=30, sig.level=0.05, type="two.sample", alternative="two.sided")
        ({"effect": 1.0, "n": 30}, "follow_up", 0.967708258242517),
        # R> pwr.t.test(d=1, n=30, sig.level=0.05, type="two.sample", alternative="greater")
        ({"effect": 1.0, "n": 30, "alternative": "less"}, "follow_up", 0.985459690251624),
        # R> pwr.t.test(d=0.1, n=20, sig.level=0.05, type="two.sample", alternative="two.sided")
        ({"effect": 0.1, "n": 20}, "follow_up", 0.06095912465411235),
        # R> pwr.t2n.test(d=0.1, n1=20, n2=30, sig.level=0.05, alternative="two.sided")
        ({"effect": 0.1, "n": 20, "allocation": 1.5}, "follow_up", 0.0633081832564667),
        # R> pwr.t2n.test(d=0.1, n1=20, n2=30, sig.level=0.05, alternative="greater")
        ({"effect": 0.1, "n": 20, "allocation": 1.5, "alternative": "less"}, "follow_up", 0.09623589080917805),
    ],
)
def test_r_pwr_power(kwargs, method, power):
    # effect = control - active, so pwr's d > 0 with "greater" is mscreg's "less"
    res = solve_design(sd=1.0, rho=0.3, **kwargs)
    assert res.solved_for == "power"
    assert res.method(method).power == pytest.approx(power, rel=1e-7)


def test_greater_mirrors_less():
    less = solve_design(effect=1.0, sd=1.0, rho=0.3, n=30, alternative="less")
    greater = solve_design(effect=-1.0, sd=1.0, rho=0.3, n=30, alternative="greater")
    for a, b in zip(less.methods, greater.methods, strict=True):
        assert a.power == pytest.approx(b.power, rel=1e-12)


def test_analysis_sd_formulas():
    assert analysis_sd("follow_up", sd=1.2, rho=0.5) == pytest.approx(1.2)
    assert analysis_sd("change_score", sd=1.2, rho=0.5) == pytest.approx(1.2)  # sqrt(2 * 0.5) = 1
    assert analysis_sd("ancova", sd=1.2, rho=0.5) == pytest.approx(1.2 * math.sqrt(0.75))
    with pytest.raises(ConventionError, match=r"method='anova' is not one of 'follow_up', 'change_score', 'ancova'"):
        analysis_sd("anova", sd=1.0, rho=0.5)


# ---------------------------------------------------------------------------- Dunnett
@pytest.mark.parametrize(("arms", "value"), [(2, 2.21), (3, 2.35), (4, 2.44)])
def test_dunnett_two_sided_infinite_df(arms, value):
    # Dunnett (1964) two-sided table, alpha 0.05, df = infinity
    assert round(dunnett_critical_value(arms=arms), 2) == value


@pytest.mark.parametrize(
    ("df", "values"),
    [
        (5, (2.44, 2.68, 2.85)),
        (10, (2.15, 2.34, 2.47)),
        (20, (2.03, 2.19, 2.30)),
        (60, (1.95, 2.10, 2.21)),
        (None, (1.92, 2.06, 2.16)),
    ],
)
def test_dunnett_one_sided_table(df, values):
    # Dunnett (1955) one-sided table, alpha 0.05, k = 2, 3, 4 treatments vs one control
    got = tuple(round(dunnett_critical_value(arms=k, alternative="less", df=df), 2) for k in (2, 3, 4))
    assert got == values


def test_dunnett_one_arm_is_t_quantile():
    assert dunnett_critical_value(arms=1, df=30) == pytest.approx(stats.t.isf(0.025, 30))
    assert dunnett_critical_value(arms=1) == pytest.approx(1.959964, abs=1e-6)


def test_dunnett_between_unadjusted_and_bonferroni_and_falls_with_allocation():
    bonf = solve_design(**WORKED, power=0.8, arms=3, correction="bonferroni")
    dun = solve_design(**WORKED, power=0.8, arms=3, correction="dunnett")
    single = solve_design(**WORKED, power=0.8)
    for m_single, m_dun, m_bonf in zip(single.methods, dun.methods, bonf.methods, strict=True):
        assert m_single.n_per_arm < m_dun.n_per_arm <= m_bonf.n_per_arm
        assert m_dun.n_total == 3 * m_dun.n_per_arm + m_dun.n_control
    assert bonf.methods[0].alpha_per_comparison == pytest.approx(0.05 / 3)
    # a larger control arm lowers the correlation 1/(1+allocation) -> larger critical value
    assert dunnett_critical_value(arms=3, allocation=3.0) > dunnett_critical_value(arms=3, allocation=1.0)


def test_dunnett_design_is_deterministic():
    a = solve_design(**WORKED, power=0.8, arms=2, correction="dunnett")
    b = solve_design(**WORKED, power=0.8, arms=2, correction="dunnett")
    assert a.to_dict() == b.to_dict()


# ---------------------------------------------------------------------- round trips etc.
def test_solve_effect_round_trip():
    res = solve_design(effect=None, sd=1.0, rho=0.6, power=0.8, n=64)
    assert res.solved_for == "effect"
    for m in res.methods:
        back = solve_design(effect=m.effect, sd=1.0, rho=0.6, n=64).method(m.method)
        assert back.power == pytest.approx(0.8, abs=1e-6)
    assert res.method("follow_up").effect == pytest.approx(0.4991, abs=1e-4)


def test_dropout_inflates_and_rounds_up():
    # 41.1689 / 0.9 = 45.74 -> 46 enrolled per arm; 63.7656 / 0.8 = 79.71 -> 80
    assert solve_design(**WORKED, power=0.8, dropout=0.1).method("ancova").n_per_arm == 46
    assert solve_design(**WORKED, power=0.8, dropout=0.2).method("follow_up").n_per_arm == 80
    # the given n is enrolled: 80 enrolled, 20 % dropout = 64 evaluable, as without dropout
    p_drop = solve_design(effect=0.5, sd=1.0, rho=0.6, n=80, dropout=0.2).method("follow_up")
    p_full = solve_design(effect=0.5, sd=1.0, rho=0.6, n=64).method("follow_up")
    assert p_drop.n_evaluable == pytest.approx(64.0)
    assert p_drop.power == pytest.approx(p_full.power)


def test_allocation_two_to_one():
    res = solve_design(**WORKED, power=0.8, allocation=2.0)
    m = res.method("follow_up")
    # statsmodels TTestIndPower(ratio=2): nobs1 = 47.742 -> 48 active, 95.48 -> 96 control
    assert m.n_evaluable == pytest.approx(47.7419, abs=1e-3)
    assert (m.n_per_arm, m.n_control, m.n_total) == (48, 96, 144)


def test_one_sided_needs_fewer():
    two = solve_design(**WORKED, power=0.8).method("follow_up").n_per_arm
    one = solve_design(**{**WORKED}, power=0.8, alternative="less").method("follow_up").n_per_arm
    assert one < two


def test_power_curve_matches_solve_design():
    curve = power_curve([0.3, 0.5, 0.8], sd=1.0, rho=0.6)
    assert curve.n_per_arm["follow_up"] == (176, 64, 26)
    assert curve.n_per_arm["change_score"] == (141, 52, 21)
    assert curve.n_per_arm["ancova"] == (113, 42, 17)
    assert curve.n_total["ancova"] == (226, 84, 34)
    assert set(curve.to_dict()["n_per_arm"]) == set(METHODS)


def test_result_to_dict_and_summary():
    res = solve_design(**WORKED, power=0.8)
    d = res.to_dict()
    assert d["solved_for"] == "n" and d["n"] is None
    assert [m["method"] for m in d["methods"]] == list(METHODS)
    assert set(d["methods"][0]) == {
        "method", "sd_analysis", "effect", "effect_size", "power", "n_evaluable", "n_per_arm",
        "n_control", "n_total", "alpha_per_comparison", "critical_value",
    }
    assert "follow_up: n per arm 64" in res.summary()
    with pytest.raises(ConventionError, match="method='nope' is not one of"):
        res.method("nope")


# ---------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"sd": -1.0}, InputError, r"sd must be > 0 .*got -1\.0"),
        ({"sd": 0}, InputError, r"sd must be > 0 .*got 0"),
        ({"sd": "x"}, InputError, r"sd must be a finite number \(the SD of HbA1c at one visit, in %\); got 'x'"),
        ({"sd": float("nan")}, InputError, r"sd must be a finite number \(.*\); got nan"),
        ({"rho": 1.0}, InputError, r"rho must lie strictly between -1 and 1 .*got 1\.0"),
        ({"rho": -1.5}, InputError, r"rho must lie strictly between -1 and 1 .*got -1\.5"),
        ({"alpha": 0.0}, InputError, r"alpha must lie strictly between 0 and 1 .*got 0\.0"),
        ({"alpha": 1.2}, InputError, r"alpha must lie strictly between 0 and 1 .*got 1\.2"),
        ({"power": 1.0}, InputError, r"power must lie strictly between 0 and 1 .*got 1\.0"),
        ({"power": 0.03}, InputError, r"power must exceed the significance level 0\.05; got 0\.03"),
        ({"dropout": 1.0}, InputError, r"dropout must lie in \[0, 1\) .*got 1\.0"),
        ({"dropout": -0.1}, InputError, r"dropout must lie in \[0, 1\) .*got -0\.1"),
        ({"allocation": 0.0}, InputError, r"allocation must be > 0 .*got 0\.0"),
        ({"arms": 0}, InputError, r"arms must be a whole number >= 1 .*got 0"),
        ({"arms": 2.5}, InputError, r"arms must be a whole number >= 1 .*got 2\.5"),
        ({"alternative": "larger"}, ConventionError, r"alternative='larger' is not one of 'two-sided', 'less', 'greater'"),
        ({"correction": "holm"}, ConventionError, r"correction='holm' is not one of 'bonferroni', 'dunnett'"),
        ({"effect": 0.0}, InputError, r"effect must not be 0"),
        ({"effect": -0.5, "alternative": "less"}, InputError, r"effect must be > 0 with alternative 'less'.*got -0\.5"),
        ({"effect": 0.5, "alternative": "greater"}, InputError, r"effect must be < 0 with alternative 'greater'.*got 0\.5"),
        ({"n": 64}, InputError, r"exactly one of effect, power and n must be left out \(None\).*left out: none"),
        ({"power": None, "effect": None}, InputError, r"exactly one of .*left out: effect, power"),
        ({"power": None, "n": 1}, InputError, r"n must leave at least 2 evaluable patients .*got 1"),
        ({"power": None, "n": 10.5}, InputError, r"n must be a whole number >= 1 \(patients enrolled per active arm\); got 10\.5"),
    ],
)
def test_bad_inputs(kwargs, error, message):
    base = {"effect": 0.5, "sd": 1.0, "rho": 0.6, "alpha": 0.05, "power": 0.8}
    with pytest.raises(error, match=message) as info:
        solve_design(**{**base, **kwargs})
    assert isinstance(info.value, MscregError)


def test_dunnett_bad_df_and_empty_curve():
    with pytest.raises(InputError, match=r"df must be > 0; got -3"):
        dunnett_critical_value(arms=2, df=-3)
    with pytest.raises(InputError, match="effects must hold at least one effect"):
        power_curve([], sd=1.0, rho=0.6)
