"""Simulation-based power: agreement with the formulas, truncation, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mscreg.design.power import solve_design
from mscreg.design.simulate import enrolled_correlation, simulate_power
from mscreg.errors import ConventionError, InputError

N_SIMS = 20_000


@pytest.mark.parametrize(
    "setting",
    [
        {"n": 40},
        {"n": 40, "allocation": 2.0, "alternative": "less"},
        {"n": 25, "rho": 0.8, "alternative": "two-sided"},
        {"n": 40, "effect": -0.5, "alternative": "greater"},
    ],
)
def test_agrees_with_analytic_power_within_monte_carlo_error(setting):
    effect = setting.get("effect", 0.5)
    rho = setting.get("rho", 0.6)
    allocation = setting.get("allocation", 1.0)
    alternative = setting.get("alternative", "two-sided")
    analytic = solve_design(
        effect=effect, sd=1.0, rho=rho, n=setting["n"], allocation=allocation, alternative=alternative
    )
    sim = simulate_power(
        effect=effect,
        n_per_arm=setting["n"],
        sd=1.0,
        rho=rho,
        allocation=allocation,
        alternative=alternative,
        n_sims=N_SIMS,
        seed=20250315,
    )
    assert sim.n_control == analytic.methods[0].n_control
    for m in analytic.methods:
        s = sim.method(m.method)
        # 4 Monte Carlo SEs; the ANCOVA formula ignores one df and the slope's sampling
        # variance (bias < 0.005 at these n), well inside the band
        assert abs(s.power - m.power) < 4 * s.mc_se + 0.002, (m.method, s.power, m.power)


def test_dropout_agrees_with_expected_evaluable_size():
    analytic = solve_design(effect=0.5, sd=1.0, rho=0.6, n=50, dropout=0.2)
    sim = simulate_power(effect=0.5, n_per_arm=50, sd=1.0, rho=0.6, dropout=0.2, n_sims=N_SIMS, seed=7)
    for m in analytic.methods:
        s = sim.method(m.method)
        # binomial dropout vs the expected count: a second-order difference (< 0.01)
        assert abs(s.power - m.power) < 4 * s.mc_se + 0.01


def test_type_one_error_under_the_null():
    sim = simulate_power(effect=0.0, n_per_arm=30, sd=1.0, rho=0.6, n_sims=N_SIMS, seed=99)
    for s in sim.methods:
        assert abs(s.power - 0.05) < 4 * np.sqrt(0.05 * 0.95 / N_SIMS)


def test_truncation_lowers_the_enrolled_correlation_and_shows_rtm():
    # T2DM population 7.5 +/- 1.5 % (Diabetes Care 2013;36:3535), rho 0.6, entry >= 6.2 %
    sim = simulate_power(effect=0.5, n_per_arm=100, sd=1.5, rho=0.6, mu=7.5, entry_min=6.2, n_sims=3000, seed=3)
    expected = enrolled_correlation(rho=0.6, sd=1.5, mu=7.5, entry_min=6.2)
    assert expected == pytest.approx(0.4993, abs=1e-4)
    assert sim.rho_enrolled_expected == pytest.approx(expected)
    assert sim.rho_enrolled == pytest.approx(expected, abs=0.01)
    assert sim.rho_enrolled < 0.6 - 0.08
    # baseline SD in the enrolled sample: sd * sqrt(truncnorm var)
    z = (6.2 - 7.5) / 1.5
    assert sim.sd_baseline_enrolled == pytest.approx(1.5 * np.sqrt(stats.truncnorm.var(z, np.inf)), rel=0.01)
    # regression to the mean in the control arm, Barnett et al. 2005:
    # R = sd (1 - rho) phi(z) / (1 - Phi(z)) = 1.5 * 0.4 * 0.3398 = 0.204
    rtm = 1.5 * 0.4 * stats.norm.pdf(z) / stats.norm.sf(z)
    assert sim.mean_change_control == pytest.approx(-rtm, abs=0.01)
    assert sim.mean_baseline_enrolled == pytest.approx(7.5 + 1.5 * stats.norm.pdf(z) / stats.norm.sf(z), abs=0.01)


def test_band_and_separate_screening_correlations():
    band = simulate_power(effect=0.5, n_per_arm=60, sd=1.5, rho=0.6, mu=7.5, entry_min=6.2, entry_max=8.0,
                          n_sims=3000, seed=4, methods=("ancova",))
    assert band.rho_enrolled == pytest.approx(band.rho_enrolled_expected, abs=0.015)
    assert band.rho_enrolled_expected < 0.3
    sep = simulate_power(effect=0.5, n_per_arm=60, sd=1.5, rho=0.6, mu=7.5, entry_min=6.2,
                         separate_screening=True, n_sims=3000, seed=4, methods=("ancova",))
    assert sep.rho_enrolled == pytest.approx(sep.rho_enrolled_expected, abs=0.015)
    assert sep.rho_enrolled_expected == pytest.approx(0.5308, abs=1e-4)


def test_selection_on_baseline_leaves_ancova_power_unchanged():
    # X2 | X1 is the same before and after selecting on X1, so ANCOVA keeps its power
    analytic = solve_design(effect=0.5, sd=1.5, rho=0.6, n=64).method("ancova").power
    sim = simulate_power(effect=0.5, n_per_arm=64, sd=1.5, rho=0.6, mu=7.5, entry_min=6.2, n_sims=N_SIMS,
                         seed=8, methods=("ancova",))
    s = sim.method("ancova")
    assert abs(s.power - analytic) < 4 * s.mc_se + 0.005


def test_seed_reproducibility():
    kw = {"effect": 0.4, "n_per_arm": 30, "sd": 1.0, "rho": 0.6, "n_sims": 2000}
    a = simulate_power(**kw, seed=123)
    b = simulate_power(**kw, seed=123)
    c = simulate_power(**kw, seed=124)
    assert a.to_dict() == b.to_dict()
    assert a.seed == 123
    assert [m.rejections for m in a.methods] != [m.rejections for m in c.methods]
    # no seed: one is drawn, recorded, and reproduces the run
    d = simulate_power(**kw)
    assert isinstance(d.seed, int)
    assert simulate_power(**kw, seed=d.seed).to_dict() == d.to_dict()
    # an explicit generator
    e = simulate_power(**kw, rng=np.random.default_rng(123))
    assert e.seed is None
    assert [m.rejections for m in e.methods] == [m.rejections for m in a.methods]


def test_result_shape():
    res = simulate_power(effect=0.5, n_per_arm=20, sd=1.0, rho=0.6, n_sims=500, seed=1, methods=("ancova",))
    d = res.to_dict()
    assert [m["method"] for m in d["methods"]] == ["ancova"]
    assert set(d["methods"][0]) == {"method", "power", "mc_se", "rejections"}
    assert d["entry_min"] is None and d["mu"] is None  # -inf / nan become None
    assert "ancova: simulated power" in res.summary()
    with pytest.raises(ConventionError, match="method 'follow_up' was not simulated"):
        res.method("follow_up")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"sd": 0.0}, InputError, r"sd must be > 0 .*got 0\.0"),
        ({"rho": 1.0}, InputError, r"rho must lie strictly between -1 and 1 .*got 1\.0"),
        ({"rho": -0.6, "separate_screening": True}, InputError, r"rho must be > -0\.5 with separate_screening.*got -0\.6"),
        ({"n_per_arm": 1}, InputError, r"n_per_arm must be a whole number >= 2; got 1"),
        ({"alpha": 1.0}, InputError, r"alpha must lie strictly between 0 and 1 .*got 1\.0"),
        ({"allocation": -1.0}, InputError, r"allocation must be > 0 .*got -1\.0"),
        ({"dropout": 1.0}, InputError, r"dropout must lie in \[0, 1\) .*got 1\.0"),
        ({"alternative": "smaller"}, ConventionError, r"alternative='smaller' is not one of 'two-sided', 'less', 'greater'"),
        ({"methods": ("anova",)}, ConventionError, r"methods must be a non-empty subset of .*got \('anova',\)"),
        ({"methods": ()}, ConventionError, r"methods must be a non-empty subset"),
        ({"n_sims": 0}, InputError, r"n_sims must be a whole number >= 1; got 0"),
        ({"effect": "big"}, InputError, r"effect must be a finite number; got 'big'"),
        ({"entry_min": 6.2}, InputError, r"mu \(population mean HbA1c, %\) is required when an entry criterion is given"),
        ({"entry_min": 8.0, "entry_max": 6.0, "mu": 7.5}, InputError, r"entry_min must be below entry_max; got entry_min=8\.0, entry_max=6\.0"),
        ({"entry_min": 30.0, "mu": 7.5}, InputError, r"the entry band \[30\.0, None\] holds less than 1 in a million"),
        ({"seed": 1, "rng": np.random.default_rng(1)}, InputError, r"give either seed or rng, not both"),
        ({"seed": -5}, InputError, r"seed must be a non-negative whole number or None; got -5"),
        ({"rng": 42}, InputError, r"rng must be a numpy\.random\.Generator; got 42"),
    ],
)
def test_bad_inputs(kwargs, error, message):
    base = {"effect": 0.5, "n_per_arm": 20, "sd": 1.0, "rho": 0.6, "n_sims": 10}
    with pytest.raises(error, match=message):
        simulate_power(**{**base, **kwargs})


def test_batch_fits_equal_statsmodels_per_trial():
    import statsmodels.api as sm

    from mscreg.design.simulate import batch_ancova, batch_t_test

    rng = np.random.default_rng(31)
    base = 8 + rng.standard_normal((5, 23))
    follow = 8 + 0.6 * (base - 8) + 0.8 * rng.standard_normal((5, 23))
    weights = (rng.random((5, 23)) > 0.2).astype(float)
    arm = np.r_[np.ones(10), np.zeros(13)]
    fit = batch_ancova(base, follow, n_active=10, weights=weights)
    tt = batch_t_test(follow - base, n_active=10, weights=weights)
    for i in range(5):
        keep = weights[i] == 1
        ols = sm.OLS(follow[i][keep], np.column_stack([np.ones(keep.sum()), arm[keep], base[i][keep]])).fit()
        assert fit.estimate[i] == pytest.approx(ols.params[1], rel=1e-10)
        assert fit.se[i] == pytest.approx(ols.bse[1], rel=1e-8)
        assert fit.df[i] == ols.df_resid
        d = (follow[i] - base[i])[keep]
        ref = stats.ttest_ind(d[arm[keep] == 1], d[arm[keep] == 0])
        assert tt.t[i] == pytest.approx(ref.statistic, rel=1e-8)
    assert fit.valid.all()


def test_batch_input_errors():
    from mscreg.design.simulate import batch_ancova

    with pytest.raises(InputError, match=r"must be 2-d arrays of the same shape .*got shapes \(3,\) and \(3,\)"):
        batch_ancova(np.zeros(3), np.zeros(3), n_active=1)
    with pytest.raises(InputError, match=r"n_active must be a whole number between 1 and 3; got 4"):
        batch_ancova(np.zeros((2, 4)), np.zeros((2, 4)), n_active=4)
    with pytest.raises(InputError, match=r"weights must have the shape of baseline \(2, 4\); got \(4,\)"):
        batch_ancova(np.zeros((2, 4)), np.zeros((2, 4)), n_active=2, weights=np.ones(4))
