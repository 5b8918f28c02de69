"""Paired effect estimates of HbA1c change: mean change, effect sizes, robust checks.

Every function takes ``before`` and ``after`` (HbA1c, NGSP %) of the same patients in
the same order and works on ``change = after - before`` (negative = HbA1c fell).

- :func:`paired_effect` -- mean change with t interval, Cohen's d_z and Hedges' g_av
  with confidence intervals, paired t-test.
- :func:`signed_rank` -- Wilcoxon signed-rank test with the Hodges-Lehmann estimate and
  its distribution-free interval.
- :func:`bootstrap_mean_change` -- BCa bootstrap interval of the mean change.
- :func:`sign_flip_permutation` -- permutation test of the mean change by sign flips.

Input checks come from :mod:`mscreg.stats._checks`, shared by every module of
:mod:`mscreg.stats`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

from mscreg.errors import InsufficientDataError
from mscreg.stats._checks import as_pair, check_alternative, check_ci_level, check_int, check_seed, check_varies
from mscreg.stats._result import Result

__all__ = [
    "BootstrapResult",
    "PairedEffect",
    "PermutationResult",
    "SignedRankResult",
    "bootstrap_mean_change",
    "paired_effect",
    "sign_flip_permutation",
    "signed_rank",
]

#: Fewest resamples accepted by the bootstrap and the permutation test.
N_RESAMPLES_MIN = 99


# --------------------------------------------------------------------------- paired effect
@dataclass(frozen=True, kw_only=True, slots=False)
class PairedEffect(Result):
    """Mean change (after - before) with its t interval, effect sizes and paired t-test.

    ``estimate``/``ci_low``/``ci_high`` are the mean change and its t interval (HbA1c
    percentage points). ``cohen_dz`` and ``hedges_g_av`` carry the same sign as the
    change (negative = fall); their intervals are for the population effect size.
    """

    estimate: float
    ci_low: float
    ci_high: float
    ci_level: float
    n: int
    sd_change: float
    se: float
    t_statistic: float
    df: int
    p_value: float
    cohen_dz: float
    cohen_dz_ci_low: float
    cohen_dz_ci_high: float
    hedges_g_av: float
    hedges_g_av_ci_low: float
    hedges_g_av_ci_high: float
    mean_before: float
    mean_after: float
    sd_before: float
    sd_after: float
    r_before_after: float

    def summary(self) -> str:
        pct = f"{self.ci_level:.0%}"
        return (
            f"Mean change {self.estimate:+.3f} ({pct} CI {self.ci_low:+.3f} to {self.ci_high:+.3f}), "
            f"n={self.n}, t({self.df})={self.t_statistic:.3f}, p={self.p_value:.3g}; "
            f"Cohen's d_z {self.cohen_dz:+.2f} ({self.cohen_dz_ci_low:+.2f} to {self.cohen_dz_ci_high:+.2f}); "
            f"Hedges' g_av {self.hedges_g_av:+.2f} ({self.hedges_g_av_ci_low:+.2f} to {self.hedges_g_av_ci_high:+.2f})"
        )


def _noncentrality_interval(t: float, df: int, ci_level: float) -> tuple[float, float]:
    """Confidence limits for the noncentrality parameter of a noncentral t.

    Solves ``nct.cdf(t, df, ncp) = 1 - a/2`` (lower) and ``= a/2`` (upper) by Brent's
    method; the cdf falls monotonically in ``ncp``, so each root is unique. The search
    starts from the normal approximation ``t ± z·√(1 + t²/(2·df))`` (Hedges & Olkin 1985);
    where scipy's noncentral-t cdf cannot be evaluated (it returns NaN for some large
    ``df``/``ncp`` pairs, where the approximation is accurate to many digits) the
    approximation is returned.
    """
    tail = (1 - ci_level) / 2
    z = float(stats.norm.ppf(1 - tail))
    spread = float(np.sqrt(1 + t * t / (2 * df)))

    def gap(ncp: float, target: float) -> float:
        return float(stats.nct.cdf(t, df, ncp)) - target

    def root(target: float, approx: float) -> float:
        width = 2 * spread + 1
        low, high = approx - width, approx + width
        for _ in range(60):
            g_low, g_high = gap(low, target), gap(high, target)
            if not (np.isfinite(g_low) and np.isfinite(g_high)):
                return approx
            if g_low >= 0 >= g_high:
                return float(optimize.brentq(gap, low, high, args=(target,), xtol=1e-10))
            width *= 2
            low, high = approx - width, approx + width
        return approx

    return root(1 - tail, t - z * spread), root(tail, t + z * spread)


def _hedges_j(df: int) -> float:
    """Exact small-sample bias correction J(df) = Γ(df/2) / (√(df/2) Γ((df-1)/2))."""
    return math.exp(special.gammaln(df / 2) - 0.5 * math.log(df / 2) - special.gammaln((df - 1) / 2))


def paired_effect(before: object, after: object, *, ci_level: float = 0.95) -> PairedEffect:
    r"""Mean change, Cohen's d_z, Hedges' g_av and the paired t-test.

    Parameters
    ----------
    before, after : array-like of float
        HbA1c of the same patients before and after treatment (same order, finite,
        at least 3 patients).
    ci_level : float, keyword-only
        Confidence level of every interval (default 0.95).

    Returns
    -------
    PairedEffect
        Fields ``estimate``, ``ci_low``, ``ci_high``, ``ci_level``, ``n``, ``sd_change``,
        ``se``, ``t_statistic``, ``df``, ``p_value``, ``cohen_dz`` (+ ``_ci_low``/``_ci_high``),
        ``hedges_g_av`` (+ ``_ci_low``/``_ci_high``), ``mean_before``, ``mean_after``,
        ``sd_before``, ``sd_after``, ``r_before_after``.

    Notes
    -----
    With :math:`d_i = \text{after}_i - \text{before}_i`, :math:`\bar d`, :math:`s_d`
    (ddof = 1) and :math:`df = n - 1`:

    * mean change :math:`\bar d \pm t_{1-a/2,df}\, s_d/\sqrt n`; t-test p-value from
      :func:`scipy.stats.ttest_rel` (two-sided).
    * Cohen's :math:`d_z = \bar d / s_d`. Its interval inverts the noncentral t
      distribution of :math:`t = d_z\sqrt n` (exact under normality; Steiger & Fouladi
      1997, Cumming 2012 ch. 11): find ncp limits with
      ``scipy.stats.nct.cdf(t, df, ncp) = 1 - a/2`` and ``a/2`` and divide them by √n.
      The root finding is written here because SciPy has no ready function for it.
    * Hedges' :math:`g_{av} = J(df)\,\bar d / s_{av}` with :math:`s_{av} = (s_1 + s_2)/2`
      the average of the before and after SDs (Lakens 2013, eq. 10) and the exact
      correction :math:`J(df) = \Gamma(df/2)/(\sqrt{df/2}\,\Gamma((df-1)/2))`
      (≈ 1 - 3/(4 df - 1); Hedges 1981), df = n - 1 as in Cumming (2012).
      Its interval is the approximate method of Algina & Keselman (2003) used by
      Cumming (2012): the d_z noncentrality limits rescaled by :math:`s_d/s_{av}`,
      treating that ratio as known. It is an interval for the population
      :math:`\delta_{av}`, so it is not multiplied by J.

    Assumptions: patients independent; changes roughly normal (the t interval is
    robust for moderate n, the effect-size intervals less so).

    References
    ----------
    Algina J, Keselman HJ. Approximate confidence intervals for effect sizes.
    Educ Psychol Meas 2003;63:537-553.
    Cumming G. Understanding the New Statistics. Routledge 2012, ch. 11.
    Hedges LV. Distribution theory for Glass's estimator of effect size. J Educ Stat 1981;6:107-128.
    Lakens D. Calculating and reporting effect sizes. Front Psychol 2013;4:863.

    Examples
    --------
    R's ``sleep`` data (group 2 as "after"); R gives mean difference 1.58,
    t = 4.0621, df = 9, p = 0.002833, 95 % CI 0.7001142 to 2.4598858:

    >>> g1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
    >>> g2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]
    >>> res = paired_effect(g1, g2)
    >>> round(res.estimate, 2), round(res.t_statistic, 4), res.df
    (1.58, 4.0621, 9)
    >>> round(res.ci_low, 7), round(res.ci_high, 7), round(res.p_value, 6)
    (0.7001142, 2.4598858, 0.002833)
    >>> round(res.cohen_dz, 4)
    1.2845
    """
    ci_level = check_ci_level(ci_level)
    before_arr, after_arr = as_pair(before, after, names=("before", "after"), min_n=3, what="paired_effect")
    change = after_arr - before_arr
    check_varies(change, name="after - before", what="paired_effect")

    n = change.size
    df = n - 1
    mean_change = float(change.mean())
    sd_change = float(change.std(ddof=1))
    se = sd_change / math.sqrt(n)
    test = stats.ttest_rel(after_arr, before_arr)
    interval = test.confidence_interval(confidence_level=ci_level)

    t_stat = float(test.statistic)
    ncp_low, ncp_high = _noncentrality_interval(t_stat, df, ci_level)
    sd_before = float(before_arr.std(ddof=1))
    sd_after = float(after_arr.std(ddof=1))
    sd_av = (sd_before + sd_after) / 2
    to_av_scale = sd_change / (math.sqrt(n) * sd_av) if sd_av > 0 else math.nan
    r_before_after = (
        float(np.corrcoef(before_arr, after_arr)[0, 1]) if sd_before > 0 and sd_after > 0 else math.nan
    )

    return PairedEffect(
        estimate=mean_change,
        ci_low=float(interval.low),
        ci_high=float(interval.high),
        ci_level=ci_level,
        n=n,
        sd_change=sd_change,
        se=se,
        t_statistic=t_stat,
        df=df,
        p_value=float(test.pvalue),
        cohen_dz=mean_change / sd_change,
        cohen_dz_ci_low=ncp_low / math.sqrt(n),
        cohen_dz_ci_high=ncp_high / math.sqrt(n),
        hedges_g_av=_hedges_j(df) * mean_change / sd_av if sd_av > 0 else math.nan,
        hedges_g_av_ci_low=ncp_low * to_av_scale,
        hedges_g_av_ci_high=ncp_high * to_av_scale,
        mean_before=float(before_arr.mean()),
        mean_after=float(after_arr.mean()),
        sd_before=sd_before,
        sd_after=sd_after,
        r_before_after=r_before_after,
    )


# --------------------------------------------------------------------------- signed rank
@dataclass(frozen=True, kw_only=True, slots=False)
class SignedRankResult(Result):
    """Wilcoxon signed-rank test of the change with the Hodges-Lehmann estimate.

    ``estimate`` is the Hodges-Lehmann pseudo-median of the change; ``statistic`` is
    V = W+, the sum of the ranks of the positive changes (R's ``V``), whatever the
    alternative. One-sided alternatives give one-sided intervals (an infinite limit).
    ``ci_method`` is ``"exact"`` or ``"normal"``; ``achieved_ci_level`` is the exact
    coverage of the order-statistic interval (NaN for the normal approximation).
    """

    estimate: float
    ci_low: float
    ci_high: float
    ci_level: float
    achieved_ci_level: float
    ci_method: str
    statistic: float
    p_value: float
    p_method: str
    alternative: str
    n: int
    n_zero: int

    def summary(self) -> str:
        pct = f"{self.ci_level:.0%}"
        return (
            f"Hodges-Lehmann change {self.estimate:+.3f} ({pct} CI {self.ci_low:+.3f} to {self.ci_high:+.3f}, "
            f"{self.ci_method}), Wilcoxon V={self.statistic:g}, p={self.p_value:.3g} "
            f"({self.alternative}, {self.p_method}), n={self.n} ({self.n_zero} zero changes)"
        )


def _signed_rank_cdf(n: int) -> np.ndarray:
    """P(V <= v) for v = 0 .. n(n+1)/2 under H0 with no ties and no zeros.

    V is the sum of a random subset of the ranks 1..n, so the counts follow from the
    generating function prod_k (1 + x^k); written here because SciPy keeps its signed-rank
    distribution private.
    """
    counts = np.zeros(n * (n + 1) // 2 + 1)
    counts[0] = 1.0
    for k in range(1, n + 1):
        counts[k:] = counts[k:] + counts[:-k].copy()
    return np.cumsum(counts) / 2.0**n


def _exact_order_index(cdf: np.ndarray, tail: float) -> int:
    """R's ``qsignrank(tail, n)``, floored at 1: the smallest v with P(V <= v) >= tail."""
    return max(1, int(np.searchsorted(cdf, tail - 1e-12)))


def signed_rank(
    before: object, after: object, *, ci_level: float = 0.95, alternative: str = "two-sided"
) -> SignedRankResult:
    r"""Wilcoxon signed-rank test with the Hodges-Lehmann estimate and its interval.

    Parameters
    ----------
    before, after : array-like of float
        HbA1c of the same patients before and after treatment (at least 2 patients,
        at least one non-zero change).
    ci_level : float, keyword-only
        Confidence level of the interval (default 0.95).
    alternative : {"two-sided", "less", "greater"}, keyword-only
        Alternative for the location of ``change = after - before``; ``"less"`` is a
        fall. One-sided alternatives give a one-sided interval, as R does.

    Returns
    -------
    SignedRankResult
        ``estimate``, ``ci_low``, ``ci_high``, ``ci_level``, ``achieved_ci_level``,
        ``ci_method``, ``statistic`` (V = W+), ``p_value``, ``p_method``,
        ``alternative``, ``n``, ``n_zero``.

    Notes
    -----
    *Test.* :func:`scipy.stats.wilcoxon` with ``zero_method="wilcox"`` (zero changes
    are dropped, as in R's ``wilcox.test``). The exact null distribution is used when
    there are at most 50 non-zero changes, no ties among their absolute values and no
    zeros; otherwise the normal approximation with tie-corrected variance and
    continuity correction (R's default ``correct = TRUE``).

    *Estimate.* Hodges-Lehmann: the median of the :math:`M = n(n+1)/2` Walsh averages
    :math:`(d_i + d_j)/2,\ i \le j`, of all n changes (zeros included).

    *Interval.* Order statistics of the sorted Walsh averages :math:`W_{(1)} \le \dots
    \le W_{(M)}` (Hollander, Wolfe & Chicken 2014, sec. 3.3): two-sided
    :math:`[W_{(k)}, W_{(M+1-k)}]`. Exact case (same condition as the test): k is
    R's ``qsignrank(a/2, n)`` -- the smallest v with :math:`P(V \le v) \ge a/2` -- floored
    at 1, and the achieved level :math:`1 - 2P(V \le k - 1)` is reported (R's
    ``wilcox.test(conf.int = TRUE)`` gives the same limits). The signed-rank
    distribution is computed here (SciPy keeps its own private). Otherwise the normal
    approximation :math:`k = \lfloor M/2 - z_{1-a/2}\sqrt{n(n+1)(2n+1)/24} \rfloor`
    (at least 1) with no tie correction; R instead inverts the corrected statistic
    numerically, so with ties or zeros its limits can differ slightly. One-sided
    intervals use a in place of a/2 and keep one end.

    Assumptions: independent patients; changes symmetric about their centre.

    References
    ----------
    Hollander M, Wolfe DA, Chicken E. Nonparametric Statistical Methods, 3rd ed. Wiley 2014.
    Bauer DF. Constructing confidence sets using rank statistics. JASA 1972;67:687-690.

    Examples
    --------
    R's ``wilcox.test(x, y, paired = TRUE, alternative = "greater")`` example (Hollander
    & Wolfe depression data) gives V = 40, p-value = 0.01953:

    >>> x = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
    >>> y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]
    >>> res = signed_rank(y, x, alternative="greater")   # change = x - y
    >>> res.statistic, round(res.p_value, 5), res.ci_method
    (40.0, 0.01953, 'exact')
    """
    ci_level = check_ci_level(ci_level)
    alternative = check_alternative(alternative)
    before_arr, after_arr = as_pair(before, after, names=("before", "after"), min_n=2, what="signed_rank")
    change = after_arr - before_arr
    nonzero = change[change != 0]
    if nonzero.size == 0:
        raise InsufficientDataError(f"signed_rank needs at least one non-zero change; all {change.size} are 0")

    ranks = stats.rankdata(np.abs(nonzero))
    has_ties = np.unique(np.abs(nonzero)).size < nonzero.size
    exact = nonzero.size <= 50 and not has_ties and nonzero.size == change.size
    test = stats.wilcoxon(
        nonzero,
        zero_method="wilcox",
        correction=not exact,
        alternative=alternative,
        method="exact" if exact else "approx",
    )

    n = change.size
    walsh = np.sort((change[:, None] + change[None, :])[np.triu_indices(n)] / 2)
    total = walsh.size
    tail = (1 - ci_level) / 2 if alternative == "two-sided" else 1 - ci_level
    if exact:
        cdf = _signed_rank_cdf(n)
        k = _exact_order_index(cdf, tail)
        miss = cdf[k - 1]
        achieved = 1 - 2 * miss if alternative == "two-sided" else 1 - miss
    else:
        z = stats.norm.ppf(1 - tail)
        k = max(1, math.floor(total / 2 - z * math.sqrt(n * (n + 1) * (2 * n + 1) / 24)))
        achieved = math.nan
    low, high = float(walsh[k - 1]), float(walsh[total - k])
    if alternative == "less":
        low = -math.inf
    elif alternative == "greater":
        high = math.inf

    return SignedRankResult(
        estimate=float(np.median(walsh)),
        ci_low=low,
        ci_high=high,
        ci_level=ci_level,
        achieved_ci_level=float(achieved),
        ci_method="exact" if exact else "normal",
        statistic=float(ranks[nonzero > 0].sum()),
        p_value=float(test.pvalue),
        p_method="exact" if exact else "normal, continuity-corrected",
        alternative=alternative,
        n=n,
        n_zero=int(n - nonzero.size),
    )


# --------------------------------------------------------------------------- bootstrap
@dataclass(frozen=True, kw_only=True, slots=False)
class BootstrapResult(Result):
    """Mean change with a bootstrap interval; ``seed`` reproduces the resamples."""

    estimate: float
    ci_low: float
    ci_high: float
    ci_level: float
    standard_error: float
    n: int
    n_resamples: int
    seed: int
    method: str

    def summary(self) -> str:
        return (
            f"Mean change {self.estimate:+.3f} ({self.ci_level:.0%} {self.method} bootstrap CI "
            f"{self.ci_low:+.3f} to {self.ci_high:+.3f}), n={self.n}, "
            f"{self.n_resamples} resamples, seed={self.seed}"
        )


def _mean_change(before: np.ndarray, after: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(after - before, axis=axis)


def bootstrap_mean_change(
    before: object,
    after: object,
    *,
    ci_level: float = 0.95,
    n_resamples: int = 10_000,
    seed: int | None = None,
) -> BootstrapResult:
    r"""BCa bootstrap interval of the mean change, resampling patients (pairs).

    Parameters
    ----------
    before, after : array-like of float
        HbA1c of the same patients before and after (at least 3 patients).
    ci_level : float, keyword-only
        Confidence level (default 0.95).
    n_resamples : int, keyword-only
        Bootstrap resamples (default 10 000, at least 99).
    seed : int or None, keyword-only
        Seed of the :class:`numpy.random.Generator`; None draws fresh entropy. The seed
        used is recorded in the result, so any run can be repeated exactly.

    Returns
    -------
    BootstrapResult
        ``estimate``, ``ci_low``, ``ci_high``, ``ci_level``, ``standard_error``, ``n``,
        ``n_resamples``, ``seed``, ``method`` (``"BCa"``).

    Notes
    -----
    :func:`scipy.stats.bootstrap` with ``paired=True`` (whole patients are resampled,
    keeping each before/after pair together) and ``method="BCa"``: the
    bias-corrected and accelerated percentile interval of Efron (1987), acceleration
    from the jackknife. Statistic: :math:`\bar d = \overline{\text{after} - \text{before}}`.
    Assumes independent patients; no normality assumption, but BCa intervals run a
    little narrow for n below about 20.

    References
    ----------
    Efron B. Better bootstrap confidence intervals. JASA 1987;82:171-185.
    Efron B, Tibshirani RJ. An Introduction to the Bootstrap. Chapman & Hall 1993, ch. 14.

    Examples
    --------
    >>> res = bootstrap_mean_change([8.1, 9.0, 7.6, 8.4, 10.2, 7.9],
    ...                             [7.2, 8.1, 7.5, 7.9, 8.8, 7.7], n_resamples=2000, seed=1)
    >>> round(res.estimate, 3), res.seed, res.ci_low < res.estimate < res.ci_high
    (-0.667, 1, True)
    """
    ci_level = check_ci_level(ci_level)
    n_resamples = check_int(n_resamples, name="n_resamples", minimum=N_RESAMPLES_MIN)
    seed = check_seed(seed)
    before_arr, after_arr = as_pair(before, after, names=("before", "after"), min_n=3, what="bootstrap_mean_change")
    check_varies(after_arr - before_arr, name="after - before", what="bootstrap_mean_change")

    boot = stats.bootstrap(
        (before_arr, after_arr),
        _mean_change,
        paired=True,
        vectorized=True,
        n_resamples=n_resamples,
        confidence_level=ci_level,
        method="BCa",
        rng=np.random.default_rng(seed),
    )
    return BootstrapResult(
        estimate=float(np.mean(after_arr - before_arr)),
        ci_low=float(boot.confidence_interval.low),
        ci_high=float(boot.confidence_interval.high),
        ci_level=ci_level,
        standard_error=float(boot.standard_error),
        n=before_arr.size,
        n_resamples=n_resamples,
        seed=seed,
        method="BCa",
    )


# --------------------------------------------------------------------------- permutation
@dataclass(frozen=True, kw_only=True, slots=False)
class PermutationResult(Result):
    """Sign-flip permutation test of the mean change; ``exact`` when every flip was used."""

    estimate: float
    p_value: float
    alternative: str
    n: int
    n_resamples: int
    exact: bool
    seed: int

    def summary(self) -> str:
        how = "all sign patterns" if self.exact else f"{self.n_resamples} random sign flips, seed={self.seed}"
        return (
            f"Mean change {self.estimate:+.3f}, sign-flip permutation p={self.p_value:.3g} "
            f"({self.alternative}, {how}), n={self.n}"
        )


def _mean(values: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(values, axis=axis)


def sign_flip_permutation(
    before: object,
    after: object,
    *,
    n_resamples: int = 10_000,
    seed: int | None = None,
    alternative: str = "two-sided",
) -> PermutationResult:
    r"""Permutation test of "mean change = 0" by flipping the signs of the changes.

    Parameters
    ----------
    before, after : array-like of float
        HbA1c of the same patients before and after (at least 2 patients).
    n_resamples : int, keyword-only
        Random sign patterns (default 10 000). When ``2**n <= n_resamples`` every
        pattern is enumerated and the test is exact (``exact=True``).
    seed : int or None, keyword-only
        Seed of the generator (recorded; None draws fresh entropy).
    alternative : {"two-sided", "less", "greater"}, keyword-only
        ``"less"``: the mean change is below 0 (a fall).

    Returns
    -------
    PermutationResult
        ``estimate`` (mean change), ``p_value``, ``alternative``, ``n``,
        ``n_resamples``, ``exact``, ``seed``.

    Notes
    -----
    :func:`scipy.stats.permutation_test` with ``permutation_type="samples"`` on the one
    sample of changes :math:`d_i`: under H0 (each change symmetric about 0 -- e.g.
    before and after exchangeable within a patient) every sign pattern
    :math:`\pm d_i` is equally likely. Statistic :math:`\bar d`. Random-resampling
    p-values count the observed statistic among the resamples (SciPy's convention),
    so they are never 0.

    References
    ----------
    Good P. Permutation, Parametric and Bootstrap Tests of Hypotheses, 3rd ed. Springer 2005, ch. 3.

    Examples
    --------
    All 2**6 = 64 sign patterns; only the observed one and its mirror image are as
    extreme, so p = 2/64:

    >>> res = sign_flip_permutation([8.1, 9.0, 7.6, 8.4, 10.2, 7.9],
    ...                             [7.2, 8.1, 7.5, 7.9, 8.8, 7.7], seed=0)
    >>> res.exact, res.p_value
    (True, 0.03125)
    """
    n_resamples = check_int(n_resamples, name="n_resamples", minimum=N_RESAMPLES_MIN)
    seed = check_seed(seed)
    alternative = check_alternative(alternative)
    before_arr, after_arr = as_pair(before, after, names=("before", "after"), min_n=2, what="sign_flip_permutation")
    change = after_arr - before_arr

    test = stats.permutation_test(
        (change,),
        _mean,
        permutation_type="samples",
        vectorized=True,
        n_resamples=n_resamples,
        alternative=alternative,
        rng=np.random.default_rng(seed),
    )
    return PermutationResult(
        estimate=float(change.mean()),
        p_value=float(test.pvalue),
        alternative=alternative,
        n=change.size,
        n_resamples=n_resamples,
        exact=2.0**change.size <= n_resamples,
        seed=seed,
    )
