"""Simulation-based power of the randomised MSC trial, vectorised across trials.

Why simulate when :mod:`mscreg.design.power` has formulas? Because the real trial
enrols on a screening HbA1c (e.g. ≥ 6.2 %). Selecting on a noisy measurement shrinks the
baseline variance and with it the baseline/follow-up correlation in the enrolled sample,
and it makes HbA1c fall in *both* arms by regression to the mean. The formulas with the
population ρ are then too optimistic for the change score and ANCOVA; the simulation
shows by how much.

Model (one simulated trial; every trial in a batch is drawn at once, no Python loop over
trials):

1. Screening HbA1c ``X0 ~ N(mu, sd²)`` restricted to the entry band
   ``entry_min ≤ X0 ≤ entry_max`` (drawn directly from the truncated normal, so each
   trial has exactly the planned number of patients).
2. Baseline ``X1`` and follow-up ``X2`` with population SD ``sd`` and correlation
   ``rho``, jointly normal with ``X0``:

   * ``separate_screening=False`` — the screening value *is* the baseline
     (``X1 = X0``), ``X2 | X1 ~ N(mu + rho (X1 − mu), sd² (1 − rho²))``;
   * ``separate_screening=True`` — a random-intercept model (stable individual level +
     independent visit noise): all three pairwise correlations equal ``rho``.

3. The first ``n_per_arm`` patients form the MSC arm, the next ``ceil(allocation ×
   n_per_arm)`` the control arm (patients are exchangeable, so this is a randomisation);
   the MSC arm's follow-up is lowered by ``effect``.
4. Each patient independently lacks follow-up with probability ``dropout`` (missing
   completely at random); analyses use completers.
5. Analyses per trial: pooled-variance (Student) t-test on follow-up, on the change
   ``X2 − X1``, and ANCOVA ``X2 ~ 1 + arm + X1`` by least squares. The ANCOVA normal
   equations are built from per-trial weighted sums and the whole batch of symmetric
   3 × 3 systems is solved at once by cofactors (adjugate / determinant, element-wise
   array arithmetic; about 20× faster than :func:`numpy.linalg.solve` on a
   ``(trials, 3, 3)`` stack); the p-value of the arm coefficient comes from the t
   distribution with ``n − 3`` df.

Power is the fraction of trials rejecting at ``alpha``; its Monte Carlo SE is
``√(p (1 − p) / n_sims)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from scipy import special, stats

from mscreg.design.power import (
    METHODS,
    _check_allocation,
    _check_dropout,
    _check_open_unit,
    _check_rho,
    _check_sd,
    _number,
)
from mscreg.errors import ConventionError, InputError
from mscreg.stats._checks import check_alternative, check_int, check_seed
from mscreg.stats._result import Result

__all__ = [
    "BatchFit",
    "SimulatedMethodPower",
    "SimulatedPower",
    "batch_ancova",
    "batch_t_test",
    "enrolled_correlation",
    "simulate_power",
]

# Cells (trials × patients) drawn per batch: bounds memory (~10 arrays of 8 MB) while
# keeping the work in large NumPy operations. Fixed, so a seed always gives one answer.
_CELLS_PER_BATCH = 1_000_000


@dataclass(frozen=True, kw_only=True)
class SimulatedMethodPower(Result):
    """Simulated power of one analysis method.

    Attributes
    ----------
    method : str
        ``"follow_up"``, ``"change_score"`` or ``"ancova"``.
    power : float
        Fraction of simulated trials with p < alpha (in the direction of ``alternative``).
    mc_se : float
        Monte Carlo standard error ``√(power (1 − power) / n_sims)``.
    rejections : int
        Number of rejecting trials.
    """

    method: str
    power: float
    mc_se: float
    rejections: int

    def summary(self) -> str:
        """``method: power ± MC SE``."""
        return f"{self.method}: simulated power {self.power:.3f} ± {self.mc_se:.3f} (MC SE)"


@dataclass(frozen=True, kw_only=True)
class SimulatedPower(Result):
    """Result of :func:`simulate_power`.

    Attributes
    ----------
    methods : tuple of SimulatedMethodPower
        One entry per analysed method.
    n_sims : int
        Number of simulated trials.
    seed : int or None
        Seed that reproduces the run (``None`` when a ``rng`` was passed in).
    effect, mu, sd, rho, alpha, allocation, dropout : float
        Inputs (``mu`` is ``nan`` when not given).
    n_per_arm, n_control : int
        Enrolled patients in the MSC and control arms.
    alternative : str
        Package vocabulary (active arm relative to control).
    entry_min, entry_max : float
        Entry band on the screening value (``-inf`` / ``inf`` = no limit).
    separate_screening : bool
        Whether screening is a separate measurement from baseline.
    rho_enrolled : float
        Baseline/follow-up correlation among enrolled completers (pooled within trial and
        arm) — lower than ``rho`` when entry is restricted.
    rho_enrolled_expected : float
        The same correlation from :func:`enrolled_correlation` (exact, no sampling error).
    sd_baseline_enrolled : float
        SD of baseline HbA1c among enrolled patients (pooled within trial and arm).
    mean_baseline_enrolled : float
        Mean baseline HbA1c among enrolled patients (``nan`` when ``mu`` is not given).
    mean_change_control : float
        Mean change (follow-up − baseline) in the control arm: regression to the mean
        under the entry rule (about 0 without a restriction).
    """

    methods: tuple[SimulatedMethodPower, ...]
    n_sims: int
    seed: int | None
    effect: float
    n_per_arm: int
    n_control: int
    mu: float
    sd: float
    rho: float
    alpha: float
    allocation: float
    dropout: float
    alternative: str
    entry_min: float
    entry_max: float
    separate_screening: bool
    rho_enrolled: float
    rho_enrolled_expected: float
    sd_baseline_enrolled: float
    mean_baseline_enrolled: float
    mean_change_control: float

    def method(self, name: str) -> SimulatedMethodPower:
        """The :class:`SimulatedMethodPower` of method ``name``."""
        for item in self.methods:
            if item.method == name:
                return item
        raise ConventionError(f"method {name!r} was not simulated; simulated: {[m.method for m in self.methods]}")

    def summary(self) -> str:
        """A few lines: setting, enrolled correlation, power per method."""
        head = (
            f"{self.n_sims} simulated trials, n {self.n_per_arm} MSC / {self.n_control} control, "
            f"effect {self.effect:g} %, "
            f"seed {self.seed}; rho {self.rho:g} in the population, {self.rho_enrolled:.3f} among the enrolled"
        )
        return "\n".join([head, *(m.summary() for m in self.methods)])


class BatchFit(NamedTuple):
    """Per-trial estimates of the MSC − control difference in follow-up HbA1c.

    Every field is an array with one value per trial; ``valid`` is ``False`` for trials
    with fewer than two observations in an arm (ANCOVA: or fewer than four in all), whose
    other fields are meaningless.
    """

    estimate: np.ndarray
    se: np.ndarray
    t: np.ndarray
    df: np.ndarray
    valid: np.ndarray


def _moments(base: np.ndarray, follow: np.ndarray, n_active: int, weights: np.ndarray | None) -> dict[str, np.ndarray]:
    """Per-trial, per-arm sums (weighted when ``weights`` is given); columns ``:n_active`` are MSC."""
    out: dict[str, np.ndarray] = {}
    for arm, cols in (("a", slice(0, n_active)), ("c", slice(n_active, None))):
        b, y = base[:, cols], follow[:, cols]
        if weights is None:
            out["n_" + arm] = np.full(b.shape[0], float(b.shape[1]))
            wb, wy = b, y
        else:
            w = weights[:, cols]
            out["n_" + arm] = w.sum(axis=1)
            wb, wy = w * b, w * y
        out["b_" + arm] = wb.sum(axis=1)
        out["y_" + arm] = wy.sum(axis=1)
        out["bb_" + arm] = np.einsum("ij,ij->i", wb, b)
        out["yy_" + arm] = np.einsum("ij,ij->i", wy, y)
        out["by_" + arm] = np.einsum("ij,ij->i", wb, y)
        # change score D = y - b
        out["d_" + arm] = out["y_" + arm] - out["b_" + arm]
        out["dd_" + arm] = out["yy_" + arm] - 2.0 * out["by_" + arm] + out["bb_" + arm]
    return out


def _t_from_moments(mom: dict[str, np.ndarray], first: str, second: str) -> BatchFit:
    """Pooled-variance two-sample t of MSC − control from per-arm sums and sums of squares."""
    na, nc = mom["n_a"], mom["n_c"]
    valid = (na >= 2) & (nc >= 2)
    na_s, nc_s = np.where(valid, na, 2.0), np.where(valid, nc, 2.0)
    ma, mc = mom[first + "_a"] / na_s, mom[first + "_c"] / nc_s
    ss = (mom[second + "_a"] - na_s * ma * ma) + (mom[second + "_c"] - nc_s * mc * mc)
    df = na_s + nc_s - 2.0
    se = np.sqrt(np.maximum(ss, 0.0) / df * (1.0 / na_s + 1.0 / nc_s))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (ma - mc) / se
    return BatchFit(estimate=ma - mc, se=se, t=t, df=df, valid=valid)


def _ancova_from_moments(mom: dict[str, np.ndarray]) -> BatchFit:
    """Least squares ``y ~ 1 + arm + b`` per trial: batched 3 × 3 normal equations."""
    na, nc = mom["n_a"], mom["n_c"]
    n = na + nc
    valid = (na >= 2) & (nc >= 2) & (n >= 4)
    # symmetric X'WX = [[a, b, c], [b, d, e], [c, e, f]] for columns (1, arm, baseline)
    a, b, d = n, na, na
    c, e, f = mom["b_a"] + mom["b_c"], mom["b_a"], mom["bb_a"] + mom["bb_c"]
    r0, r1, r2 = mom["y_a"] + mom["y_c"], mom["y_a"], mom["by_a"] + mom["by_c"]
    # adjugate (cofactors) of the symmetric 3 x 3 system, solved for the whole batch at once
    c00, c01, c02 = d * f - e * e, c * e - b * f, b * e - c * d
    c11, c12, c22 = a * f - c * c, b * c - a * e, a * d - b * b
    det = a * c00 + b * c01 + c * c02
    valid = valid & (det > 0)
    det = np.where(valid, det, 1.0)
    beta0 = (c00 * r0 + c01 * r1 + c02 * r2) / det
    beta1 = (c01 * r0 + c11 * r1 + c12 * r2) / det
    beta2 = (c02 * r0 + c12 * r1 + c22 * r2) / det
    inv11 = c11 / det
    rss = (mom["yy_a"] + mom["yy_c"]) - (beta0 * r0 + beta1 * r1 + beta2 * r2)
    df = np.where(valid, n - 3.0, 1.0)
    se = np.sqrt(np.maximum(rss, 0.0) / df * inv11)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = beta1 / se
    return BatchFit(estimate=beta1, se=se, t=t, df=df, valid=valid)


def _count_rejections(fit: BatchFit, alternative: str, alpha: float) -> int:
    p = _p_values(fit.t, fit.df, alternative)
    return int(np.count_nonzero(fit.valid & np.isfinite(p) & (p < alpha)))


def _check_batch(
    baseline: Any, follow_up: Any, n_active: Any, weights: Any
) -> tuple[np.ndarray, np.ndarray, int, np.ndarray | None]:
    base = np.asarray(baseline, dtype=float)
    follow = np.asarray(follow_up, dtype=float)
    if base.ndim != 2 or base.shape != follow.shape:
        raise InputError(
            f"baseline and follow_up must be 2-d arrays of the same shape (trials, patients); "
            f"got shapes {base.shape} and {follow.shape}"
        )
    n_active = check_int(n_active, name="n_active", minimum=1, maximum=base.shape[1] - 1, error=InputError)
    w = None
    if weights is not None:
        w = np.asarray(weights, dtype=float)
        if w.shape != base.shape:
            raise InputError(f"weights must have the shape of baseline {base.shape}; got {w.shape}")
    return base, follow, n_active, w


def batch_ancova(
    baseline: np.ndarray, follow_up: np.ndarray, *, n_active: int, weights: np.ndarray | None = None
) -> BatchFit:
    """ANCOVA of follow-up on arm and baseline, for many trials at once.

    Fits ``follow_up = b0 + b1·arm + b2·baseline + e`` by least squares separately in each
    row (trial), where columns ``0 … n_active − 1`` are the MSC arm and the rest control.
    The normal equations ``X'WX β = X'Wy`` are assembled from per-row sums and solved for
    all rows at once by cofactors; ``se(b1) = √(RSS/(n − 3) · [(X'WX)⁻¹]₁₁)``,
    ``df = n − 3``. Sums are formed from the values as given: for HbA1c-scale data
    (mean/SD below about 100) double precision leaves ~12 correct digits; centre the
    baseline first for data far from zero relative to its spread.

    Parameters
    ----------
    baseline, follow_up : array of shape (trials, patients)
        HbA1c values (any location; centring near the mean helps conditioning).
    n_active : int
        Number of leading columns that form the MSC arm.
    weights : array of shape (trials, patients), optional
        1 for analysed, 0 for missing (dropout) patients.

    Returns
    -------
    BatchFit
        ``estimate`` = b1 (MSC − control, adjusted for baseline), ``se``, ``t``, ``df``,
        ``valid``.

    Examples
    --------
    >>> base = np.array([[7.0, 8.0, 9.0, 7.5, 8.5, 9.5]])
    >>> follow = np.array([[6.5, 7.4, 8.6, 7.6, 8.3, 9.4]])
    >>> fit = batch_ancova(base, follow, n_active=3)
    >>> round(float(fit.estimate[0]), 4), round(float(fit.se[0]), 4), int(fit.df[0])
    (-0.4458, 0.1249, 3)

    (``statsmodels.api.OLS`` on the same data gives -0.44583, SE 0.12488.)
    """
    base, follow, n_a, w = _check_batch(baseline, follow_up, n_active, weights)
    return _ancova_from_moments(_moments(base, follow, n_a, w))


def batch_t_test(
    values: np.ndarray, *, n_active: int, weights: np.ndarray | None = None
) -> BatchFit:
    """Pooled-variance two-sample t-test (MSC − control) in every row of ``values``.

    Parameters
    ----------
    values : array of shape (trials, patients)
        Follow-up values, or changes from baseline for the change-score analysis.
    n_active : int
        Number of leading columns that form the MSC arm.
    weights : array of shape (trials, patients), optional
        1 for analysed, 0 for missing patients.

    Returns
    -------
    BatchFit
        ``estimate`` = mean difference, its pooled ``se``, ``t``, ``df = n₁ + n₂ − 2``.

    Examples
    --------
    >>> fit = batch_t_test(np.array([[1.0, 2.0, 3.0, 3.0, 4.0, 5.0]]), n_active=3)
    >>> float(fit.estimate[0]), round(float(fit.t[0]), 4)
    (-2.0, -2.4495)
    """
    vals, _, n_a, w = _check_batch(values, values, n_active, weights)
    return _t_from_moments(_moments(np.zeros_like(vals), vals, n_a, w), "y", "yy")



def _standard_band(
    mu: float | None, sd: float, entry_min: float | None, entry_max: float | None
) -> tuple[float, float]:
    if entry_min is None and entry_max is None:
        return -math.inf, math.inf
    if mu is None:
        raise InputError("mu (population mean HbA1c, %) is required when an entry criterion is given; got None")
    low = -math.inf if entry_min is None else (_number(entry_min, name="entry_min") - mu) / sd
    high = math.inf if entry_max is None else (_number(entry_max, name="entry_max") - mu) / sd
    if not low < high:
        raise InputError(f"entry_min must be below entry_max; got entry_min={entry_min!r}, entry_max={entry_max!r}")
    if stats.norm.cdf(high) - stats.norm.cdf(low) < 1e-6:
        raise InputError(
            f"the entry band [{entry_min!r}, {entry_max!r}] holds less than 1 in a million of the population "
            f"N({mu!r}, {sd!r}²); check mu, sd and the entry limits"
        )
    return low, high


def _check_common(sd: Any, rho: Any, mu: Any, separate_screening: bool) -> tuple[float, float, float | None]:
    sd_v = _check_sd(sd)
    rho_v = _check_rho(rho)
    if separate_screening and rho_v <= -0.5:
        raise InputError(f"rho must be > -0.5 with separate_screening (three equally correlated visits); got {rho!r}")
    mu_v = None if mu is None else _number(mu, name="mu")
    return sd_v, rho_v, mu_v


def enrolled_correlation(
    *,
    rho: float,
    sd: float,
    mu: float | None = None,
    entry_min: float | None = None,
    entry_max: float | None = None,
    separate_screening: bool = False,
) -> float:
    """Baseline/follow-up correlation among patients enrolled on a screening band.

    Formula
    -------
    Let ``v = Var(X0 | a ≤ X0 ≤ b) / σ²`` be the variance ratio of the truncated standard
    normal (:func:`scipy.stats.truncnorm`). If screening is the baseline
    (``separate_screening=False``)::

        ρ_enrolled = ρ √v / √(ρ² v + 1 − ρ²)

    and under the random-intercept model with a separate screening visit::

        ρ_enrolled = (ρ² v + ρ − ρ²) / (ρ² v + 1 − ρ²)

    Both equal ``ρ`` when ``v = 1`` (no restriction) and fall as the band narrows.

    Parameters
    ----------
    rho : float
        Population baseline/follow-up correlation.
    sd : float
        Population SD of HbA1c (%).
    mu : float, optional
        Population mean HbA1c (%); required with an entry limit.
    entry_min, entry_max : float, optional
        Entry band on the screening value.
    separate_screening : bool
        See :func:`simulate_power`.

    Returns
    -------
    float

    References
    ----------
    Pearson K (1903) / Lord FM: correlation attenuation under direct and indirect range
    restriction (e.g. Sackett & Yang, J Appl Psychol 2000;85:112).

    Examples
    --------
    T2DM population 7.5 ± 1.5 %, ρ = 0.6, entry HbA1c ≥ 6.2 % on the baseline itself:

    >>> round(enrolled_correlation(rho=0.6, sd=1.5, mu=7.5, entry_min=6.2), 3)
    0.499

    and for the moderate band 6.2-8.0 % only:

    >>> round(enrolled_correlation(rho=0.6, sd=1.5, mu=7.5, entry_min=6.2, entry_max=8.0), 3)
    0.245
    >>> enrolled_correlation(rho=0.6, sd=1.0)
    0.6
    """
    sd_v, rho_v, mu_v = _check_common(sd, rho, mu, separate_screening)
    low, high = _standard_band(mu_v, sd_v, entry_min, entry_max)
    v = 1.0 if math.isinf(low) and math.isinf(high) else float(stats.truncnorm.var(low, high))
    r2 = rho_v * rho_v
    if separate_screening:
        return (r2 * v + rho_v - r2) / (r2 * v + 1 - r2)
    return rho_v * math.sqrt(v) / math.sqrt(r2 * v + 1 - r2)


def _resolve_rng(seed: Any, rng: Any) -> tuple[np.random.Generator, int | None]:
    if seed is not None and rng is not None:
        raise InputError("give either seed or rng, not both")
    if rng is not None:
        if not isinstance(rng, np.random.Generator):
            raise InputError(f"rng must be a numpy.random.Generator; got {rng!r}")
        return rng, None
    seed = check_seed(seed, error=InputError)
    return np.random.default_rng(seed), seed


def _p_values(t: np.ndarray, df: np.ndarray, alternative: str) -> np.ndarray:
    # scipy.special.stdtr(df, x) is the t CDF (the ufunc behind scipy.stats.t)
    if alternative == "two-sided":
        return 2.0 * special.stdtr(df, -np.abs(t))
    if alternative == "less":
        return special.stdtr(df, t)
    return special.stdtr(df, -t)


def simulate_power(
    *,
    effect: float,
    n_per_arm: int,
    sd: float,
    rho: float,
    mu: float | None = None,
    alpha: float = 0.05,
    allocation: float = 1.0,
    dropout: float = 0.0,
    alternative: str = "two-sided",
    entry_min: float | None = None,
    entry_max: float | None = None,
    separate_screening: bool = False,
    methods: Sequence[str] = METHODS,
    n_sims: int = 2000,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
) -> SimulatedPower:
    """Power of follow-up, change-score and ANCOVA analyses by simulating whole trials.

    See the module docstring for the model. All ``n_sims`` trials are generated and
    analysed with array operations, in batches of about 10⁶ patient records.

    Parameters
    ----------
    effect : float
        True HbA1c reduction in the MSC arm, control − active (%); 0 gives the type I
        error rate.
    n_per_arm : int
        Patients enrolled in the MSC arm (≥ 2); the control arm enrols
        ``ceil(allocation × n_per_arm)``.
    sd : float
        Population SD of HbA1c (%) at each visit.
    rho : float
        Population correlation between visits.
    mu : float, optional
        Population mean HbA1c (%); required with ``entry_min``/``entry_max`` (otherwise
        irrelevant: every analysis is location invariant).
    alpha : float
        Significance level of the (single) comparison; pass the per-comparison level from
        :func:`mscreg.design.power.solve_design` for a multi-arm design.
    allocation : float
        Control patients per MSC patient.
    dropout : float
        Probability that a patient has no follow-up value, in [0, 1).
    alternative : {"two-sided", "less", "greater"}
        HbA1c of the MSC arm relative to control; ``"less"`` = MSCs lower HbA1c.
    entry_min, entry_max : float, optional
        Entry band on the screening HbA1c, ``entry_min ≤ X0 ≤ entry_max``.
    separate_screening : bool
        ``False``: the screening value is the baseline. ``True``: screening is a third
        visit with the same correlation ``rho`` to both others.
    methods : sequence of str
        Subset of ``("follow_up", "change_score", "ancova")``.
    n_sims : int
        Number of simulated trials (≥ 1).
    seed : int, optional
        Seed of :func:`numpy.random.default_rng`; drawn at random and recorded when
        neither ``seed`` nor ``rng`` is given.
    rng : numpy.random.Generator, optional
        Use this generator instead (the result's ``seed`` is then ``None``).

    Returns
    -------
    SimulatedPower

    Raises
    ------
    mscreg.errors.InputError
        Out-of-range values (the message names the parameter and the value).
    mscreg.errors.ConventionError
        Unknown ``alternative`` or method.

    Assumptions
    -----------
    Normal HbA1c, equal SD at every visit, additive constant treatment effect, dropout
    completely at random. Trials with fewer than two completers in an arm count as not
    rejecting.

    Examples
    --------
    >>> res = simulate_power(effect=0.5, n_per_arm=64, sd=1.0, rho=0.6, n_sims=2000, seed=1)
    >>> round(res.method("follow_up").power, 2), round(res.method("ancova").power, 2)
    (0.79, 0.93)
    >>> res.seed
    1

    With entry on baseline HbA1c ≥ 6.2 % in a 7.5 ± 1.5 % population, the enrolled ρ drops:

    >>> res = simulate_power(effect=0.5, n_per_arm=64, sd=1.5, rho=0.6, mu=7.5,
    ...                      entry_min=6.2, n_sims=500, seed=2)
    >>> round(res.rho_enrolled_expected, 3), round(res.rho_enrolled, 2)
    (0.499, 0.5)
    """
    effect_v = _number(effect, name="effect")
    sd_v, rho_v, mu_v = _check_common(sd, rho, mu, separate_screening)
    n_a = check_int(n_per_arm, name="n_per_arm", minimum=2, error=InputError)
    alpha_v = _check_open_unit("alpha", alpha, "significance level")
    allocation_v = _check_allocation(allocation)
    dropout_v = _check_dropout(dropout)
    alternative = check_alternative(alternative)
    chosen = tuple(methods)
    unknown = [m for m in chosen if m not in METHODS]
    if unknown or not chosen:
        raise ConventionError(f"methods must be a non-empty subset of {METHODS!r}; got {methods!r}")
    n_sims = check_int(n_sims, name="n_sims", minimum=1, error=InputError)
    low, high = _standard_band(mu_v, sd_v, entry_min, entry_max)
    truncated = not (math.isinf(low) and math.isinf(high))
    generator, seed_used = _resolve_rng(seed, rng)

    n_c = int(math.ceil(allocation_v * n_a - 1e-9))
    n_all = n_a + n_c
    batch = max(1, min(n_sims, _CELLS_PER_BATCH // n_all))
    # conditional correlation of the two visit noises under the random-intercept model
    c_noise = rho_v / (1.0 + rho_v)
    s_noise = math.sqrt(1.0 - rho_v * rho_v)

    rejections = {m: 0 for m in chosen}
    # pooled within-arm moments for the enrolled correlation and SD
    sxx_sum = syy_sum = sxy_sum = 0.0
    dof_sum = 0.0
    base_sum = base_n = 0.0
    change_c_sum = change_c_n = 0.0

    done = 0
    while done < n_sims:
        s = min(batch, n_sims - done)
        done += s
        if truncated:
            z0 = stats.truncnorm.rvs(low, high, size=(s, n_all), random_state=generator)
        else:
            z0 = generator.standard_normal((s, n_all))
        e1 = generator.standard_normal((s, n_all))
        if separate_screening:
            e2 = generator.standard_normal((s, n_all))
            z1 = rho_v * z0 + s_noise * e1
            z2 = rho_v * z0 + s_noise * (c_noise * e1 + math.sqrt(1.0 - c_noise * c_noise) * e2)
        else:
            z1 = z0
            z2 = rho_v * z0 + s_noise * e1
        base = sd_v * z1  # baseline centred at mu
        follow = sd_v * z2
        follow[:, :n_a] -= effect_v
        weights = (generator.random((s, n_all)) >= dropout_v).astype(float) if dropout_v > 0 else None
        mom = _moments(base, follow, n_a, weights)

        if "follow_up" in chosen:
            fit = _t_from_moments(mom, "y", "yy")
            rejections["follow_up"] += _count_rejections(fit, alternative, alpha_v)
        if "change_score" in chosen:
            fit = _t_from_moments(mom, "d", "dd")
            rejections["change_score"] += _count_rejections(fit, alternative, alpha_v)
        if "ancova" in chosen:
            fit = _ancova_from_moments(mom)
            rejections["ancova"] += _count_rejections(fit, alternative, alpha_v)

        for arm in ("a", "c"):
            n_arm = mom["n_" + arm]
            good = n_arm >= 2
            safe = np.maximum(n_arm, 1.0)
            b, y = mom["b_" + arm], mom["y_" + arm]
            sxx_sum += float(np.sum((mom["bb_" + arm] - b * b / safe)[good]))
            syy_sum += float(np.sum((mom["yy_" + arm] - y * y / safe)[good]))
            sxy_sum += float(np.sum((mom["by_" + arm] - b * y / safe)[good]))
            dof_sum += float(np.sum((n_arm - 1)[good]))
        base_sum += float(base.sum())
        base_n += base.size
        change_c_sum += float((mom["y_c"] - mom["b_c"]).sum())
        change_c_n += float(mom["n_c"].sum())

    results = []
    for m in chosen:
        p_hat = rejections[m] / n_sims
        results.append(
            SimulatedMethodPower(
                method=m, power=p_hat, mc_se=math.sqrt(p_hat * (1 - p_hat) / n_sims), rejections=rejections[m]
            )
        )
    mu_out = math.nan if mu_v is None else mu_v
    return SimulatedPower(
        methods=tuple(results),
        n_sims=n_sims,
        seed=seed_used,
        effect=effect_v,
        n_per_arm=n_a,
        n_control=n_c,
        mu=mu_out,
        sd=sd_v,
        rho=rho_v,
        alpha=alpha_v,
        allocation=allocation_v,
        dropout=dropout_v,
        alternative=alternative,
        entry_min=-math.inf if entry_min is None else float(entry_min),
        entry_max=math.inf if entry_max is None else float(entry_max),
        separate_screening=bool(separate_screening),
        rho_enrolled=sxy_sum / math.sqrt(sxx_sum * syy_sum) if sxx_sum > 0 and syy_sum > 0 else math.nan,
        rho_enrolled_expected=enrolled_correlation(
            rho=rho_v,
            sd=sd_v,
            mu=mu_v,
            entry_min=entry_min,
            entry_max=entry_max,
            separate_screening=separate_screening,
        ),
        sd_baseline_enrolled=math.sqrt(sxx_sum / dof_sum) if dof_sum > 0 else math.nan,
        mean_baseline_enrolled=math.nan if mu_v is None else mu_v + base_sum / base_n,
        mean_change_control=change_c_sum / change_c_n if change_c_n > 0 else math.nan,
    )
