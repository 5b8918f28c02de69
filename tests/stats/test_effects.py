"""Tests of mscreg.stats.effects: references from R / hand calculation, and simulations."""

from __future__ import annotations

import itertools
import math
import re
import statistics

import numpy as np
import pytest
from scipy import integrate, stats

from mscreg.errors import ConventionError, InsufficientDataError
from mscreg.stats.effects import (
    bootstrap_mean_change,
    paired_effect,
    sign_flip_permutation,
    signed_rank,
)

# Hollander & Wolfe depression data, from R's ?wilcox.test example.
DEPRESSION_X = np.array([1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30])
DEPRESSION_Y = np.array([0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29])


def coverage_bounds(n_sim: int, level: float = 0.95) -> tuple[float, float]:
    """Nominal coverage ± 3 Monte Carlo SEs (binomial SE of a proportion over n_sim sets)."""
    se = math.sqrt(level * (1 - level) / n_sim)
    return level - 3 * se, level + 3 * se


# --------------------------------------------------------------------------- paired_effect
def test_paired_effect_matches_r_t_test_on_sleep(sleep):
    # R: t.test(extra ~ group, data = sleep, paired = TRUE)
    #    t = -4.0621, df = 9, p-value = 0.002833
    #    95 percent confidence interval: -2.4598858 -0.7001142
    #    mean difference -1.58          (group 1 - group 2)
    group1, group2 = sleep
    res = paired_effect(group2, group1)  # change = after - before = group1 - group2
    assert res.estimate == pytest.approx(-1.58, abs=1e-12)
    assert res.t_statistic == pytest.approx(-4.0621, abs=5e-5)
    assert res.df == 9
    assert res.p_value == pytest.approx(0.002833, abs=5e-7)
    assert res.ci_low == pytest.approx(-2.4598858, abs=5e-8)
    assert res.ci_high == pytest.approx(-0.7001142, abs=5e-8)
    assert res.n == 10


def test_paired_effect_effect_sizes_by_hand(sleep):
    group1, group2 = sleep
    res = paired_effect(group2, group1)
    # differences group1 - group2: -1.2 -2.4 -1.3 -1.3 0 -1.0 -1.8 -0.8 -4.6 -1.4; sum -15.8, mean -1.58
    # deviations from the mean: .38 -.82 .28 .28 1.58 .58 -.22 .78 -3.02 .18
    # squares: .1444 .6724 .0784 .0784 2.4964 .3364 .0484 .6084 9.1204 .0324 -> sum 13.616
    # variance 13.616 / 9 = 1.5128889, SD 1.2299955; d_z = -1.58 / 1.2299955 = -1.284558
    assert res.sd_change == pytest.approx(math.sqrt(13.616 / 9), rel=1e-12)
    assert res.cohen_dz == pytest.approx(-1.58 / math.sqrt(13.616 / 9), rel=1e-12)
    # g_av: J(9) = Γ(4.5) / (√4.5 Γ(4)); Γ(4.5) = 3.5·2.5·1.5·0.5·√π = 11.631728, Γ(4) = 6,
    # √4.5 = 2.1213203, so J = 11.631728 / 12.727922 = 0.913875 (1 - 3/35 = 0.914286 approx.)
    j9 = 3.5 * 2.5 * 1.5 * 0.5 * math.sqrt(math.pi) / (math.sqrt(4.5) * 6)
    assert j9 == pytest.approx(0.913875, abs=1e-6)
    sd_av = (statistics.stdev(group1) + statistics.stdev(group2)) / 2
    assert res.hedges_g_av == pytest.approx(j9 * -1.58 / sd_av, rel=1e-10)
    assert res.r_before_after == pytest.approx(statistics.correlation(group1, group2), rel=1e-12)


def _nct_cdf_by_integration(t: float, df: int, ncp: float) -> float:
    """P(T <= t) for noncentral t by its definition T = (Z + ncp) / sqrt(V/df),
    V ~ chi2(df): P = E_V[Φ(t·sqrt(V/df) − ncp)], integrated numerically (independent of
    scipy.stats.nct)."""

    def integrand(v: float) -> float:
        return stats.norm.cdf(t * math.sqrt(v / df) - ncp) * stats.chi2.pdf(v, df)

    value, _ = integrate.quad(integrand, 0, np.inf, limit=200)
    return value


def test_cohen_dz_interval_inverts_the_noncentral_t(sleep):
    # The d_z limits must be the noncentrality values at which the observed t sits at the
    # 97.5 % and 2.5 % points of the noncentral t -- checked by direct integration.
    group1, group2 = sleep
    res = paired_effect(group2, group1)
    t, df, root_n = res.t_statistic, res.df, math.sqrt(res.n)
    assert _nct_cdf_by_integration(t, df, res.cohen_dz_ci_low * root_n) == pytest.approx(0.975, abs=1e-6)
    assert _nct_cdf_by_integration(t, df, res.cohen_dz_ci_high * root_n) == pytest.approx(0.025, abs=1e-6)


def test_paired_effect_recovers_truth_with_nominal_coverage(rng, bivariate_normal):
    n_sim, n, sigma, rho, shift = 300, 15, 1.2, 0.6, -0.5
    true_dz = shift / (sigma * math.sqrt(2 * (1 - rho)))
    true_dav = shift / sigma
    hits = {"mean": 0, "dz": 0, "gav": 0}
    estimates = []
    for _ in range(n_sim):
        before, after = bivariate_normal(rng, n, mu=8.0, sigma=sigma, rho=rho, shift=shift)
        res = paired_effect(before, after)
        estimates.append(res.estimate)
        hits["mean"] += res.ci_low <= shift <= res.ci_high
        hits["dz"] += res.cohen_dz_ci_low <= true_dz <= res.cohen_dz_ci_high
        hits["gav"] += res.hedges_g_av_ci_low <= true_dav <= res.hedges_g_av_ci_high
    low, high = coverage_bounds(n_sim)
    for name, count in hits.items():
        assert low <= count / n_sim <= high, (name, count / n_sim)
    # mean of the estimates: SD of change = 1.2·√0.8 = 1.073, SE over 300×15 values = 0.016
    assert np.mean(estimates) == pytest.approx(shift, abs=4 * 1.073 / math.sqrt(n_sim * n))


def test_paired_effect_p_value_is_uniform_under_null(rng, bivariate_normal):
    p_values = [paired_effect(*bivariate_normal(rng, 12, mu=8, sigma=1, rho=0.5)).p_value for _ in range(400)]
    rejection = np.mean(np.array(p_values) < 0.05)
    assert abs(rejection - 0.05) <= 3 * math.sqrt(0.05 * 0.95 / 400)


# --------------------------------------------------------------------------- signed_rank
def test_signed_rank_matches_r_wilcox_example():
    # R: x <- c(1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30)
    #    y <- c(0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29)
    #    wilcox.test(x, y, paired = TRUE, alternative = "greater")  -> V = 40, p-value = 0.01953
    res = signed_rank(DEPRESSION_Y, DEPRESSION_X, alternative="greater")
    assert res.statistic == 40
    assert res.p_value == pytest.approx(0.01953, abs=5e-6)
    assert res.ci_method == "exact"
    assert res.ci_high == math.inf
    two_sided = signed_rank(DEPRESSION_Y, DEPRESSION_X)
    assert two_sided.p_value == pytest.approx(2 * 0.01953125, abs=1e-12)  # 10/512 doubled


def test_hodges_lehmann_by_hand():
    # changes -1.0, -0.4, 0.2, -2.0; Walsh averages (i <= j):
    # -1.0, -0.7, -0.4, -1.5, -0.4, -0.1, -1.2, 0.2, -0.9, -2.0
    # sorted: -2.0 -1.5 -1.2 -1.0 -0.9 -0.7 -0.4 -0.4 -0.1 0.2 -> median (-0.9 - 0.7) / 2 = -0.8
    res = signed_rank([5.0, 5.0, 5.0, 5.0], [4.0, 4.6, 5.2, 3.0])
    assert res.estimate == pytest.approx(-0.8, abs=1e-12)
    # n = 4: P(V <= 0) = 1/16 > 0.025, so k = 1 and the interval is [min, max] Walsh average,
    # with achieved level 1 - 2·P(V <= 0) = 1 - 2/16 = 0.875 (below the nominal 0.95).
    assert (res.ci_low, res.ci_high) == pytest.approx((-2.0, 0.2), abs=1e-12)
    assert res.achieved_ci_level == pytest.approx(0.875, abs=1e-12)


def test_signed_rank_exact_interval_by_enumeration_and_test_inversion():
    change = DEPRESSION_X - DEPRESSION_Y
    n = change.size
    res = signed_rank(DEPRESSION_Y, DEPRESSION_X, ci_level=0.95)
    # the null distribution of V by enumerating all 2^9 sign patterns
    v_values = np.array([sum(rank for rank, s in zip(range(1, n + 1), signs) if s)
                         for signs in itertools.product([0, 1], repeat=n)])
    k = 1 + max(v for v in range(v_values.max() + 1) if np.mean(v_values <= v) <= 0.025)
    walsh = sorted((change[i] + change[j]) / 2 for i in range(n) for j in range(i, n))
    assert res.ci_low == pytest.approx(walsh[k - 1], abs=1e-12)
    assert res.ci_high == pytest.approx(walsh[len(walsh) - k], abs=1e-12)
    assert res.achieved_ci_level == pytest.approx(1 - 2 * np.mean(v_values <= k - 1), abs=1e-12)
    assert res.estimate == pytest.approx(np.median(walsh), abs=1e-12)
    # The interval is the set of shifts the exact two-sided test does not reject at
    # 1 - achieved level (scipy's exact Wilcoxon p-values, an independent implementation).
    alpha = 1 - res.achieved_ci_level
    eps = 1e-6
    for inside in (res.ci_low + eps, res.ci_high - eps):
        assert stats.wilcoxon(change - inside, method="exact").pvalue > alpha
    for outside in (res.ci_low - eps, res.ci_high + eps):
        assert stats.wilcoxon(change - outside, method="exact").pvalue <= alpha + 1e-12


def test_signed_rank_uses_normal_approximation_with_ties_and_zeros():
    before = np.full(60, 8.0)
    after = before + np.repeat(np.arange(-0.5, 0.7, 0.2), 10)[:60].round(1)  # ties and zeros
    res = signed_rank(before, after)
    assert res.ci_method == "normal" and res.p_method.startswith("normal")
    assert math.isnan(res.achieved_ci_level)
    change = np.sort(after - before)
    n, m = 60, 60 * 61 // 2
    # k = floor(1830/2 - 1.959964·sqrt(60·61·121/24)) = floor(915 - 1.959964·135.83) = floor(648.77) = 648
    k = math.floor(m / 2 - stats.norm.ppf(0.975) * math.sqrt(n * (n + 1) * (2 * n + 1) / 24))
    assert k == 648
    walsh = np.sort([(change[i] + change[j]) / 2 for i in range(n) for j in range(i, n)])
    assert (res.ci_low, res.ci_high) == pytest.approx((walsh[k - 1], walsh[m - k]), abs=1e-12)
    assert res.n_zero == int(np.sum(after - before == 0))


@pytest.mark.parametrize("n, rounding", [(20, None), (80, 1)])
def test_hodges_lehmann_interval_covers_the_centre(rng, n, rounding):
    # symmetric heavy-tailed changes (t with 4 df) centred at -0.6; rounding to 0.1 makes ties
    n_sim, centre = 300, -0.6
    hits = 0
    for _ in range(n_sim):
        change = centre + 0.8 * rng.standard_t(4, size=n)
        if rounding is not None:
            change = np.round(change, rounding)
        res = signed_rank(np.zeros(n), change)
        hits += res.ci_low <= centre <= res.ci_high
    low, high = coverage_bounds(n_sim)
    # exact intervals are conservative by construction (achieved level >= nominal)
    assert low <= hits / n_sim <= min(high + 0.02, 1.0)


# --------------------------------------------------------------------------- bootstrap
def _bca_by_hand(change: np.ndarray, resampled_means: np.ndarray, level: float) -> tuple[float, float]:
    """Efron & Tibshirani (1993) eqs. 14.9-14.15 for the mean of one sample of changes."""
    theta = change.mean()
    z0 = stats.norm.ppf(np.mean(resampled_means < theta))
    jack = np.array([np.delete(change, i).mean() for i in range(change.size)])
    dev = jack.mean() - jack
    a = np.sum(dev**3) / (6 * np.sum(dev**2) ** 1.5)
    z = stats.norm.ppf([(1 - level) / 2, (1 + level) / 2])
    adjusted = stats.norm.cdf(z0 + (z0 + z) / (1 - a * (z0 + z)))
    return tuple(np.quantile(resampled_means, adjusted))


def test_bootstrap_bca_agrees_with_hand_coded_bca(rng):
    before = rng.normal(8.5, 1.2, size=30)
    after = before - 0.8 + rng.gamma(2.0, 0.4, size=30)  # skewed changes
    res = bootstrap_mean_change(before, after, n_resamples=20_000, seed=7)
    change = after - before
    idx = np.random.default_rng(99).integers(0, change.size, size=(20_000, change.size))
    low, high = _bca_by_hand(change, change[idx].mean(axis=1), 0.95)
    # two independent sets of 20 000 resamples: the limits differ by Monte Carlo error only,
    # roughly 0.02 bootstrap SEs each; allow 0.1 SE
    assert res.ci_low == pytest.approx(low, abs=0.1 * res.standard_error)
    assert res.ci_high == pytest.approx(high, abs=0.1 * res.standard_error)
    assert res.estimate == pytest.approx(change.mean(), rel=1e-12)
    assert res.method == "BCa" and res.seed == 7 and res.n_resamples == 20_000


def test_bootstrap_seed_reproduces_and_changes(rng):
    before, after = rng.normal(8, 1, 20), rng.normal(7.5, 1, 20)
    first = bootstrap_mean_change(before, after, n_resamples=999, seed=3)
    again = bootstrap_mean_change(before, after, n_resamples=999, seed=3)
    other = bootstrap_mean_change(before, after, n_resamples=999, seed=4)
    assert (first.ci_low, first.ci_high) == (again.ci_low, again.ci_high)
    assert (first.ci_low, first.ci_high) != (other.ci_low, other.ci_high)
    fresh = bootstrap_mean_change(before, after, n_resamples=999)
    replay = bootstrap_mean_change(before, after, n_resamples=999, seed=fresh.seed)
    assert (fresh.ci_low, fresh.ci_high) == (replay.ci_low, replay.ci_high)


def test_bootstrap_interval_covers_true_mean_change(rng, bivariate_normal):
    n_sim, shift = 200, -0.7
    hits = sum(
        (lambda r: r.ci_low <= shift <= r.ci_high)(
            bootstrap_mean_change(*bivariate_normal(rng, 30, mu=8, sigma=1.3, rho=0.7, shift=shift),
                                  n_resamples=999, seed=i)
        )
        for i in range(n_sim)
    )
    low, high = coverage_bounds(n_sim)
    # BCa runs slightly narrow at n = 30 (about 0.935 for normal data): allow 0.02 below
    assert low - 0.02 <= hits / n_sim <= high


# --------------------------------------------------------------------------- permutation
def test_sign_flip_exact_p_value_by_enumeration(sleep):
    group1, group2 = sleep
    change = group1 - group2
    observed = change.mean()
    flips = np.array(list(itertools.product([-1, 1], repeat=change.size)))
    null = (flips * change).mean(axis=1)
    tol = 1e-12
    expected_two = np.mean(np.abs(null) >= abs(observed) - tol)
    expected_less = np.mean(null <= observed + tol)
    res = sign_flip_permutation(group2, group1, n_resamples=2000, seed=1)
    assert res.exact
    assert res.p_value == pytest.approx(expected_two, abs=1e-12)
    less = sign_flip_permutation(group2, group1, n_resamples=2000, seed=1, alternative="less")
    assert less.p_value == pytest.approx(expected_less, abs=1e-12)
    assert res.estimate == pytest.approx(-1.58, abs=1e-12)


def test_sign_flip_size_and_power(rng, bivariate_normal):
    n_sim = 300
    null_p = np.array([
        sign_flip_permutation(*bivariate_normal(rng, 25, mu=8, sigma=1, rho=0.6), n_resamples=499, seed=i).p_value
        for i in range(n_sim)
    ])
    assert abs(np.mean(null_p < 0.05) - 0.05) <= 3 * math.sqrt(0.05 * 0.95 / n_sim)
    # true change -0.7, SD of change 1·√(2·0.4) = 0.894, n = 25: effect 0.783, ncp 3.91;
    # the paired t-test's power from the noncentral t is the benchmark
    n_alt, ncp, crit = 150, 0.7 / math.sqrt(0.8) * 5, stats.t.ppf(0.975, 24)
    t_power = stats.nct.sf(crit, 24, ncp) + stats.nct.cdf(-crit, 24, ncp)
    alt_p = np.array([
        sign_flip_permutation(*bivariate_normal(rng, 25, mu=8, sigma=1, rho=0.6, shift=-0.7),
                              n_resamples=499, seed=i).p_value
        for i in range(n_alt)
    ])
    assert np.mean(alt_p < 0.05) >= t_power - 3 * math.sqrt(t_power * (1 - t_power) / n_alt)


def test_sign_flip_seed_recorded_and_reproducible(rng):
    before, after = rng.normal(8, 1, 30), rng.normal(7.8, 1, 30)
    first = sign_flip_permutation(before, after, n_resamples=999, seed=11)
    assert first.seed == 11 and not first.exact
    assert sign_flip_permutation(before, after, n_resamples=999, seed=11).p_value == first.p_value
    fresh = sign_flip_permutation(before, after, n_resamples=999)
    assert sign_flip_permutation(before, after, n_resamples=999, seed=fresh.seed).p_value == fresh.p_value


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("function", [paired_effect, signed_rank, bootstrap_mean_change, sign_flip_permutation])
def test_unequal_lengths_rejected(function):
    with pytest.raises(ValueError, match="before has 3 values but after has 2; they must pair up"):
        function([8.0, 9.0, 7.5], [7.0, 8.0])


@pytest.mark.parametrize("function", [paired_effect, signed_rank, bootstrap_mean_change, sign_flip_permutation])
def test_non_finite_rejected(function):
    with pytest.raises(ValueError, match=r"after\[1\] is nan; expected finite numbers"):
        function([8.0, 9.0, 7.5, 8.2], [7.0, float("nan"), 7.0, 7.1])


def test_non_numeric_and_two_dimensional_rejected():
    with pytest.raises(ValueError, match=r"before must be numbers; got \['a', 'b', 'c'\]"):
        paired_effect(["a", "b", "c"], [1, 2, 3])
    with pytest.raises(ValueError, match=r"before must be one-dimensional; got an array of shape \(2, 2\)"):
        paired_effect([[1, 2], [3, 4]], [1, 2])


@pytest.mark.parametrize(
    "function, minimum", [(paired_effect, 3), (signed_rank, 2), (bootstrap_mean_change, 3), (sign_flip_permutation, 2)]
)
def test_too_few_patients(function, minimum):
    with pytest.raises(InsufficientDataError, match=rf"before has 1 value\(s\); {function.__name__} needs at least {minimum}"):
        function([8.0], [7.0])


@pytest.mark.parametrize("function", [paired_effect, bootstrap_mean_change])
def test_constant_change_rejected(function):
    with pytest.raises(InsufficientDataError, match="needs after - before to vary; all 4 values equal -1.0"):
        function([8.0, 9.0, 10.0, 7.0], [7.0, 8.0, 9.0, 6.0])


def test_all_zero_changes_rejected_by_signed_rank():
    with pytest.raises(InsufficientDataError, match="at least one non-zero change; all 3 are 0"):
        signed_rank([8.0, 9.0, 7.0], [8.0, 9.0, 7.0])


@pytest.mark.parametrize("level", [0, 1, 95, -0.1, "0.95", True])
def test_bad_ci_level(level):
    with pytest.raises(ConventionError, match=re.escape(f"ci_level={level!r} must be strictly between 0 and 1 (a number")):
        paired_effect([8.0, 9.0, 7.0], [7.0, 8.5, 6.0], ci_level=level)


@pytest.mark.parametrize("function", [signed_rank, sign_flip_permutation])
def test_bad_alternative(function):
    with pytest.raises(ConventionError, match=r"alternative='two_sided' is not one of 'two-sided', 'less', 'greater'"):
        function([8.0, 9.0, 7.0], [7.0, 8.5, 6.0], alternative="two_sided")


@pytest.mark.parametrize("function", [bootstrap_mean_change, sign_flip_permutation])
@pytest.mark.parametrize("seed", [-1, 1.5, "7", True])
def test_bad_seed(function, seed):
    with pytest.raises(ValueError, match=f"seed must be a non-negative whole number or None; got {seed!r}"):
        function([8.0, 9.0, 7.0], [7.0, 8.5, 6.0], seed=seed)


@pytest.mark.parametrize("function", [bootstrap_mean_change, sign_flip_permutation])
def test_bad_n_resamples(function):
    with pytest.raises(ValueError, match="n_resamples must be a whole number >= 99; got 10"):
        function([8.0, 9.0, 7.0], [7.0, 8.5, 6.0], n_resamples=10)


def test_summary_and_to_dict(sleep):
    group1, group2 = sleep
    res = paired_effect(group2, group1)
    assert "Mean change -1.580 (95% CI -2.460 to -0.700)" in res.summary()
    assert res.to_dict()["df"] == 9
    sr = signed_rank(DEPRESSION_Y, DEPRESSION_X, alternative="greater")
    assert sr.to_dict()["ci_high"] is None  # infinite limit becomes None in JSON form


def test_dz_interval_for_large_samples_where_the_nct_cdf_fails():
    # scipy's noncentral-t cdf returns NaN for some large df/ncp pairs (seen at n = 5000);
    # there the normal approximation t ± z·sqrt(1 + t²/(2 df)) (Hedges & Olkin 1985) is used.
    rng = np.random.default_rng(1)
    for n in (500, 2000, 5000):
        before = rng.normal(8, 1, n)
        after = before - 0.3 + rng.normal(0, 1, n)
        res = paired_effect(before, after)
        t, df = res.t_statistic, n - 1
        half = 1.959964 * np.sqrt(1 + t * t / (2 * df)) / np.sqrt(n)
        assert np.isfinite(res.cohen_dz_ci_low) and np.isfinite(res.cohen_dz_ci_high)
        assert res.cohen_dz_ci_low == pytest.approx(res.cohen_dz - half, abs=2e-3)
        assert res.cohen_dz_ci_high == pytest.approx(res.cohen_dz + half, abs=2e-3)
