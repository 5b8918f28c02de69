r"""Regression to the mean (RTM): how much HbA1c falls with no treatment at all.

Patients enter a single-arm study because their HbA1c was high. Under the classical
bivariate-normal model of two measurements (Barnett, van der Pols & Dobson 2005), a
group selected on a high first value has a lower second value on average even if
nothing was done. This module gives

- :func:`retest_correlation_from_cv` -- ρ from a within-subject CV (the default ρ),
- :func:`expected_rtm_change` -- the expected change with no effect for a selection rule,
- :func:`rtm_adjusted_grid` -- observed change minus that expectation over a grid of ρ
  and μ, with the conclusions that survive the whole grid,
- :func:`oldham` -- Oldham's baseline-change correlation beside the naive, biased one.

Model and defaults
------------------
X₁, X₂ (before, after) bivariate normal with common mean μ, common SD σ and
correlation ρ; no treatment effect. For a selection :math:`a < X_1 \le b`, with
α = (a − μ)/σ, β = (b − μ)/σ (b = +∞ for "above a cutoff")::

    R = σ (1 − ρ) [φ(α) − φ(β)] / [Φ(β) − Φ(α)],     expected change E[X₂ − X₁ | sel] = −R

(Barnett et al. 2005, eqs. 1-2). The bracket is the mean of a standard normal
truncated to (α, β], written out by hand (:func:`_truncated_standard_mean`; checked against
:func:`scipy.stats.truncnorm` in the tests). Defaults:
μ = 7.5 % and σ = 1.5 % (T2DM population HbA1c, Diabetes Care 2013;36:3535);
ρ derived from the long-term within-subject CV of HbA1c in T2DM, median 8.3 %
(IQR 6-10 %; Gough et al., PLoS One 2023;18:e0289085) -- see
:func:`retest_correlation_from_cv`: ρ = 1 − (0.083 × 7.5)² / 1.5² ≈ 0.828.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from mscreg.stats._checks import as_pair, as_vector, check_ci_level, check_number, check_option, check_varies
from mscreg.stats._result import Result

__all__ = [
    "DEFAULT_MU_GRID",
    "DEFAULT_RHO",
    "DEFAULT_RHO_GRID",
    "INCLUSIVE",
    "POPULATION_MEAN",
    "POPULATION_SD",
    "WITHIN_SUBJECT_CV_PERCENT",
    "OldhamResult",
    "RtmExpectation",
    "RtmGrid",
    "RtmGridPoint",
    "expected_rtm_change",
    "oldham",
    "rtm_adjusted_grid",
    "retest_correlation_from_cv",
]

#: T2DM population mean HbA1c, NGSP % (Diabetes Care 2013;36:3535).
POPULATION_MEAN = 7.5
#: T2DM population SD of HbA1c, NGSP % (Diabetes Care 2013;36:3535).
POPULATION_SD = 1.5
#: Long-term within-subject CV of HbA1c in T2DM, % (median; Gough et al. PLoS One 2023).
WITHIN_SUBJECT_CV_PERCENT = 8.3

#: pandas' boundary words, as in :meth:`pandas.Series.between`.
INCLUSIVE = ("both", "neither", "left", "right")

#: Minimal clinically relevant HbA1c change, % points (NICE NG28 as cited in DESIGN.md).
CLINICAL_THRESHOLD = 0.5


def _check_positive(value: object, name: str) -> float:
    return check_number(value, name=name, low=0, inclusive="neither")


def _check_rho(rho: object) -> float:
    return check_number(rho, name="rho", low=0, high=1, inclusive="both", what="test-retest correlation")


def _check_selection(lower: object, upper: object | None, inclusive: str) -> tuple[float, float]:
    check_option(inclusive, name="inclusive", choices=INCLUSIVE)
    low = check_number(lower, name="lower")
    high = math.inf if upper is None else check_number(upper, name="upper")
    if not low < high:
        raise ValueError(f"upper must be greater than lower; got lower={lower!r}, upper={upper!r}")
    return low, high


def retest_correlation_from_cv(
    *,
    within_subject_cv_percent: float = WITHIN_SUBJECT_CV_PERCENT,
    mu: float = POPULATION_MEAN,
    sigma: float = POPULATION_SD,
) -> float:
    r"""Test-retest correlation ρ implied by a within-subject CV.

    In the model X = T + e (true level T, within-subject error e), the total variance is
    :math:`\sigma^2 = \sigma_T^2 + \sigma_w^2` and :math:`\rho = \sigma_T^2/\sigma^2
    = 1 - \sigma_w^2/\sigma^2`, with the within-subject SD :math:`\sigma_w = CV \times \mu`.

    Parameters
    ----------
    within_subject_cv_percent : float, keyword-only
        Within-subject CV in percent (default 8.3, the long-term T2DM median of
        Gough et al., PLoS One 2023;18:e0289085; IQR 6-10 %).
    mu, sigma : float, keyword-only
        Population mean and total SD of HbA1c (defaults 7.5 and 1.5 %).

    Examples
    --------
    1 - (0.083 * 7.5)**2 / 1.5**2 = 1 - 0.38751 / 2.25 = 0.82777:

    >>> round(retest_correlation_from_cv(), 4)
    0.8278
    >>> round(retest_correlation_from_cv(within_subject_cv_percent=6), 2), round(retest_correlation_from_cv(within_subject_cv_percent=10), 2)
    (0.91, 0.75)
    """
    _check_positive(sigma, "sigma")
    _check_positive(mu, "mu")
    _check_positive(within_subject_cv_percent, "within_subject_cv_percent")
    within_sd = within_subject_cv_percent / 100 * mu
    if within_sd >= sigma:
        raise ValueError(
            f"within-subject SD {within_sd!r} (CV {within_subject_cv_percent!r} % of mu {mu!r}) must be "
            f"smaller than the total SD sigma={sigma!r}; otherwise rho would not be positive"
        )
    return 1 - within_sd**2 / sigma**2


#: Default ρ: 0.828, from the Gough et al. 2023 median CV 8.3 %, μ = 7.5, σ = 1.5.
DEFAULT_RHO = retest_correlation_from_cv()

#: Default ρ grid: 0.91 and 0.75 are the values implied by the Gough et al. IQR of the CV
#: (6 % and 10 %), 0.828 the median; 0.6-0.7 add a pessimistic margin (more RTM) for
#: longer gaps or more heterogeneous clinics, 0.95 an optimistic one.
DEFAULT_RHO_GRID = (0.6, 0.7, 0.75, 0.8, DEFAULT_RHO, 0.85, 0.91, 0.95)

#: Default μ grid (%): the T2DM population mean 7.5 ± 1 % in half-point steps.
DEFAULT_MU_GRID = (6.5, 7.0, 7.5, 8.0, 8.5)


@dataclass(frozen=True, kw_only=True, slots=False)
class RtmExpectation(Result):
    """Expected change with no treatment effect for one selection rule and (μ, σ, ρ).

    ``expected_change`` = −R is in HbA1c % points (negative = expected fall);
    ``upper`` is ``inf`` for selection above a cutoff.
    """

    expected_change: float
    expected_baseline: float
    selected_fraction: float
    lower: float
    upper: float
    inclusive: str
    mu: float
    sigma: float
    rho: float

    def summary(self) -> str:
        return (
            f"Expected change with no effect {self.expected_change:+.3f} for baseline in "
            f"{_describe_selection(self.lower, self.upper, self.inclusive)} "
            f"(mu={self.mu:g}, sigma={self.sigma:g}, rho={self.rho:.3g}; "
            f"{self.selected_fraction:.1%} of the population selected)"
        )


def _describe_selection(lower: float, upper: float, inclusive: str) -> str:
    left = "[" if inclusive in ("both", "left") else "("
    right = "]" if inclusive in ("both", "right") and math.isfinite(upper) else ")"
    return f"{left}{lower:g}, {upper:g}{right}"


def _truncated_standard_mean(alpha: object, beta: object) -> np.ndarray:
    """E[Z | α < Z ≤ β] for a standard normal Z, vectorised: [φ(α) − φ(β)] / [Φ(β) − Φ(α)].

    Written by hand (the RTM formula of Barnett et al. 2005) because
    :func:`scipy.stats.truncnorm` costs about a millisecond per call, which a grid of
    hundreds of points feels; the tests check it against ``truncnorm.mean``. Above the mean
    the denominator is taken from survival functions, which keeps precision in the tail.
    """
    a, b = np.broadcast_arrays(np.asarray(alpha, dtype=float), np.asarray(beta, dtype=float))
    upper_tail = a > 0
    mass = np.where(upper_tail, stats.norm.sf(a) - stats.norm.sf(b), stats.norm.cdf(b) - stats.norm.cdf(a))
    return (stats.norm.pdf(a) - stats.norm.pdf(b)) / mass


def expected_rtm_change(
    *,
    lower: float,
    upper: float | None = None,
    inclusive: str = "both",
    mu: float = POPULATION_MEAN,
    sigma: float = POPULATION_SD,
    rho: float = DEFAULT_RHO,
) -> RtmExpectation:
    r"""Expected change (after − before) from regression to the mean alone.

    Parameters
    ----------
    lower : float, keyword-only
        Lower selection bound of the baseline (e.g. the inclusion cutoff 6.2 %).
    upper : float or None, keyword-only
        Upper bound; None selects everyone above ``lower`` (a cutoff).
    inclusive : {"both", "neither", "left", "right"}, keyword-only
        Which bounds belong to the selection, in pandas' words. For the continuous
        model the result is the same either way; it is carried so the rule is stated.
    mu, sigma, rho : float, keyword-only
        Population mean, total SD and test-retest correlation (defaults 7.5, 1.5 and
        0.828; see the module notes).

    Returns
    -------
    RtmExpectation
        ``expected_change`` (= −R), ``expected_baseline`` (E[X₁ | selected]),
        ``selected_fraction``, and the inputs.

    Notes
    -----
    :math:`R = \sigma(1-\rho)\,[\varphi(\alpha)-\varphi(\beta)]/[\Phi(\beta)-\Phi(\alpha)]`,
    α = (lower − μ)/σ, β = (upper − μ)/σ (Barnett, van der Pols & Dobson, Int J
    Epidemiol 2005;34:215-220). The ratio is the mean of the standard normal truncated
    to (α, β] (hand-written, see :func:`_truncated_standard_mean`). A band below μ gives R < 0: an expected
    rise. Assumes the bivariate-normal model with equal variances and no effect.

    Examples
    --------
    Cutoff c = μ: z = 0, φ(0)/(1 − Φ(0)) = 0.39894 / 0.5 = 0.79788, so
    R = 1.5 × (1 − 0.8) × 0.79788 = 0.23937:

    >>> round(expected_rtm_change(lower=7.5, mu=7.5, sigma=1.5, rho=0.8).expected_change, 5)
    -0.23937
    """
    low, high = _check_selection(lower, upper, inclusive)
    mu = check_number(mu, name="mu")
    sigma = _check_positive(sigma, "sigma")
    rho = _check_rho(rho)
    alpha, beta = (low - mu) / sigma, (high - mu) / sigma
    truncated_mean = float(_truncated_standard_mean(alpha, beta))
    return RtmExpectation(
        expected_change=-sigma * (1 - rho) * truncated_mean,
        expected_baseline=mu + sigma * truncated_mean,
        selected_fraction=float(stats.norm.cdf(beta) - stats.norm.cdf(alpha)),
        lower=low,
        upper=high,
        inclusive=inclusive,
        mu=mu,
        sigma=sigma,
        rho=rho,
    )


@dataclass(frozen=True, kw_only=True, slots=False)
class RtmGridPoint(Result):
    """One (ρ, μ) point: expected RTM change and the adjusted change (observed − expected)."""

    rho: float
    mu: float
    expected_change: float
    adjusted_change: float
    adjusted_ci_low: float
    adjusted_ci_high: float


@dataclass(frozen=True, kw_only=True, slots=False)
class RtmGrid(Result):
    """RTM-adjusted change over a grid of ρ and μ, with the conclusions that survive it.

    ``conclusions`` are plain sentences; ``all_adjusted_negative`` is True when the
    adjusted change is below 0 (a fall beyond RTM) at every grid point. Adjusted CI
    fields are NaN when no observed interval was given.
    """

    observed_change: float
    observed_ci_low: float
    observed_ci_high: float
    lower: float
    upper: float
    inclusive: str
    sigma: float
    clinical_threshold: float
    points: tuple[RtmGridPoint, ...]
    min_expected_change: float
    max_expected_change: float
    min_adjusted_change: float
    max_adjusted_change: float
    all_adjusted_negative: bool
    conclusions: tuple[str, ...]

    def summary(self) -> str:
        return (
            f"Observed change {self.observed_change:+.3f}; RTM-adjusted change from "
            f"{self.min_adjusted_change:+.3f} to {self.max_adjusted_change:+.3f} over "
            f"{len(self.points)} (rho, mu) points. " + " ".join(self.conclusions)
        )


def _grid_values(values: object, name: str) -> tuple[float, ...]:
    array = as_vector(values, name=name, min_n=0)
    if array.size == 0:
        raise ValueError(f"{name} must hold at least one value; got {values!r}")
    return tuple(float(v) for v in array)


def _conclusions(points: tuple[RtmGridPoint, ...], threshold: float, with_ci: bool) -> tuple[str, ...]:
    adjusted = np.array([p.adjusted_change for p in points])
    lines = []
    if np.all(adjusted < 0):
        lines.append("Adjusted change < 0 at every grid point: a fall beyond regression to the mean survives the grid.")
    elif np.all(adjusted > 0):
        lines.append("Adjusted change > 0 at every grid point: no fall beyond regression to the mean anywhere in the grid.")
    else:
        lines.append("Sign changes within the grid: whether any fall exceeds regression to the mean depends on rho and mu.")
    if np.all(adjusted <= -threshold):
        lines.append(f"Adjusted fall >= {threshold:g} % points (clinically relevant) at every grid point.")
    elif np.any(adjusted <= -threshold):
        lines.append(f"Adjusted fall >= {threshold:g} % points at some grid points only.")
    else:
        lines.append(f"Adjusted fall < {threshold:g} % points (clinically relevant) at every grid point.")
    if with_ci:
        highs = np.array([p.adjusted_ci_high for p in points])
        lows = np.array([p.adjusted_ci_low for p in points])
        if np.all(highs < 0):
            lines.append("Adjusted CI lies below 0 at every grid point.")
        elif np.any(lows > 0):
            lines.append("Adjusted CI lies above 0 at some grid points.")
        else:
            lines.append("Adjusted CI includes 0 at some grid points.")
    return tuple(lines)


def rtm_adjusted_grid(
    observed_change: float,
    *,
    lower: float,
    upper: float | None = None,
    inclusive: str = "both",
    observed_ci: tuple[float, float] | None = None,
    sigma: float = POPULATION_SD,
    rho_values: object = DEFAULT_RHO_GRID,
    mu_values: object = DEFAULT_MU_GRID,
    clinical_threshold: float = CLINICAL_THRESHOLD,
) -> RtmGrid:
    r"""Observed mean change minus the RTM expectation, over a grid of ρ and μ.

    Parameters
    ----------
    observed_change : float
        Observed mean change (after − before) of the (sub)group.
    lower, upper, inclusive : keyword-only
        The group's selection rule on the baseline, as in :func:`expected_rtm_change`
        (e.g. inclusion HbA1c ≥ 6.2: ``lower=6.2, inclusive="left"``; severe > 8:
        ``lower=8``; moderate 6.2-8: ``lower=6.2, upper=8``).
    observed_ci : (float, float) or None, keyword-only
        Optional interval of the observed change; it is shifted by the same amount,
        treating the RTM expectation as known (no uncertainty in μ, ρ, σ).
    sigma : float, keyword-only
        Population SD (default 1.5 %).
    rho_values, mu_values : sequence of float, keyword-only
        Grid (defaults :data:`DEFAULT_RHO_GRID` = 0.6-0.95 incl. the 0.75-0.91 range
        implied by the Gough et al. 2023 CV IQR, and :data:`DEFAULT_MU_GRID` = 6.5-8.5 %).
    clinical_threshold : float, keyword-only
        Fall (% points) called clinically relevant in the conclusions (default 0.5,
        NICE NG28 as cited).

    Returns
    -------
    RtmGrid
        ``points`` (each ``rho``, ``mu``, ``expected_change``, ``adjusted_change``,
        ``adjusted_ci_low``, ``adjusted_ci_high``), ``min_adjusted_change``,
        ``max_adjusted_change``, ``all_adjusted_negative``, ``conclusions``, and the inputs.

    Notes
    -----
    adjusted change = observed change − (−R) = observed change + R at each (ρ, μ)
    (Barnett et al. 2005 recommend reporting the adjustment, not a single point).

    Examples
    --------
    >>> grid = rtm_adjusted_grid(-1.0, lower=8.0, rho_values=[0.8], mu_values=[7.5])
    >>> p = grid.points[0]
    >>> round(p.expected_change, 4), round(p.adjusted_change, 4)
    (-0.3064, -0.6936)
    >>> grid.conclusions[0]
    'Adjusted change < 0 at every grid point: a fall beyond regression to the mean survives the grid.'
    """
    observed = check_number(observed_change, name="observed_change")
    low, high = _check_selection(lower, upper, inclusive)
    sigma = _check_positive(sigma, "sigma")
    threshold = _check_positive(clinical_threshold, "clinical_threshold")
    rhos = tuple(_check_rho(r) for r in _grid_values(rho_values, "rho_values"))
    mus = _grid_values(mu_values, "mu_values")
    if observed_ci is None:
        ci_low = ci_high = math.nan
    else:
        if len(observed_ci) != 2:
            raise ValueError(f"observed_ci must be a (low, high) pair; got {observed_ci!r}")
        ci_low, ci_high = (check_number(v, name="observed_ci") for v in observed_ci)
        if not ci_low <= observed <= ci_high:
            raise ValueError(
                f"observed_ci must contain observed_change={observed!r}; got {observed_ci!r}"
            )

    rho_grid, mu_grid = np.meshgrid(np.asarray(rhos, dtype=float), np.asarray(mus, dtype=float), indexing="ij")
    falls = sigma * (1 - rho_grid) * _truncated_standard_mean((low - mu_grid) / sigma, (high - mu_grid) / sigma)
    points = []
    points = [
        RtmGridPoint(
            rho=rho,
            mu=mu,
            expected_change=float(-falls[i, j]),
            adjusted_change=observed + float(falls[i, j]),
            adjusted_ci_low=ci_low + float(falls[i, j]),
            adjusted_ci_high=ci_high + float(falls[i, j]),
        )
        for (i, rho), (j, mu) in itertools.product(enumerate(rhos), enumerate(mus))
    ]
    points_t = tuple(points)
    adjusted = [p.adjusted_change for p in points_t]
    return RtmGrid(
        observed_change=observed,
        observed_ci_low=ci_low,
        observed_ci_high=ci_high,
        lower=low,
        upper=high,
        inclusive=inclusive,
        sigma=sigma,
        clinical_threshold=threshold,
        points=points_t,
        min_expected_change=min(p.expected_change for p in points_t),
        max_expected_change=max(p.expected_change for p in points_t),
        min_adjusted_change=min(adjusted),
        max_adjusted_change=max(adjusted),
        all_adjusted_negative=all(a < 0 for a in adjusted),
        conclusions=_conclusions(points_t, threshold, observed_ci is not None),
    )


@dataclass(frozen=True, kw_only=True, slots=False)
class OldhamResult(Result):
    """Oldham's correlation of change with the mean, beside the naive baseline-change one.

    ``oldham_r`` = corr(after − before, (before + after)/2), with its CI and p-value;
    ``naive_r`` = corr(before, after − before), which is negative even with no effect.
    """

    oldham_r: float
    oldham_ci_low: float
    oldham_ci_high: float
    oldham_p: float
    naive_r: float
    naive_p: float
    ci_level: float
    n: int
    sd_before: float
    sd_after: float

    def summary(self) -> str:
        return (
            f"Oldham r(change, mean) = {self.oldham_r:+.3f} ({self.ci_level:.0%} CI {self.oldham_ci_low:+.3f} "
            f"to {self.oldham_ci_high:+.3f}, p={self.oldham_p:.3g}); naive r(baseline, change) = "
            f"{self.naive_r:+.3f} (p={self.naive_p:.3g}, biased towards negative by RTM), n={self.n}"
        )


def oldham(before: object, after: object, *, ci_level: float = 0.95) -> OldhamResult:
    r"""Oldham's method for "do patients with higher baseline fall more?".

    Parameters
    ----------
    before, after : array-like of float
        HbA1c of the same patients before and after (at least 4 patients).
    ci_level : float, keyword-only
        Level of the Fisher-z interval of Oldham's r (default 0.95).

    Returns
    -------
    OldhamResult
        ``oldham_r``, ``oldham_ci_low``, ``oldham_ci_high``, ``oldham_p``, ``naive_r``,
        ``naive_p``, ``ci_level``, ``n``, ``sd_before``, ``sd_after``.

    Notes
    -----
    The naive correlation of baseline X₁ with change X₂ − X₁ is biased even with no
    effect: with equal SDs it equals :math:`-\sqrt{(1-\rho)/2}` (e.g. −0.32 at ρ = 0.8),
    because X₁'s measurement error appears in both with opposite signs (regression to
    the mean). Oldham (1962) correlates the change with the mean
    :math:`(X_1 + X_2)/2` instead; :math:`\operatorname{cov}(X_2 - X_1, X_1 + X_2) =
    \sigma_2^2 - \sigma_1^2`, so Oldham's r is 0 exactly when the two SDs are equal and
    its test is the Pitman-Morgan test of equal variances. A negative Oldham r means the
    spread shrank (high baselines fell more); positive, it widened. Caveat (Tu &
    Gilthorpe 2007): Oldham's r is also non-zero when treatment changes the spread for
    other reasons, or when the follow-up is bounded (e.g. floor effects) -- read it as
    "did the SD change", not as proof of a baseline-dependent effect. The Blomqvist
    correction (which needs the measurement-error variance) is not applied.

    Both correlations and their p-values come from :func:`scipy.stats.pearsonr`
    (t-test of r = 0, two-sided); the interval is its Fisher-z interval.

    References
    ----------
    Oldham PD. A note on the analysis of repeated measurements of the same subjects.
    J Chron Dis 1962;15:969-977.
    Tu YK, Gilthorpe MS. Revisiting the relation between change and initial value: a
    review and evaluation. Stat Med 2007;26:443-457.

    Examples
    --------
    Every patient falls by a fixed 10 % of baseline, so the SD shrinks by 10 % and
    Oldham's r is exactly −1 (as is the naive r):

    >>> res = oldham([7.0, 8.0, 9.0, 10.0], [6.3, 7.2, 8.1, 9.0])
    >>> round(res.oldham_r, 6), round(res.naive_r, 6)
    (-1.0, -1.0)
    """
    ci_level = check_ci_level(ci_level)
    before_arr, after_arr = as_pair(before, after, names=("before", "after"), min_n=4, what="oldham")
    change = after_arr - before_arr
    mean = (before_arr + after_arr) / 2
    for values, name in ((change, "after - before"), (mean, "(before + after)/2"), (before_arr, "before")):
        check_varies(values, name=name, what="oldham")
    oldham_test = stats.pearsonr(change, mean)
    naive_test = stats.pearsonr(before_arr, change)
    interval = oldham_test.confidence_interval(confidence_level=ci_level)
    return OldhamResult(
        oldham_r=float(oldham_test.statistic),
        oldham_ci_low=float(interval.low),
        oldham_ci_high=float(interval.high),
        oldham_p=float(oldham_test.pvalue),
        naive_r=float(naive_test.statistic),
        naive_p=float(naive_test.pvalue),
        ci_level=ci_level,
        n=before_arr.size,
        sd_before=float(before_arr.std(ddof=1)),
        sd_after=float(after_arr.std(ddof=1)),
    )
