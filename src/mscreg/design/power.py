"""Analytic sample size, power and detectable effect for the randomised MSC trial.

The trial: ``arms`` active (MSC) arms, each compared with one placebo arm, on HbA1c
(NGSP %) at one follow-up time point. Three analyses are sized side by side, because
the baseline measurement is free information and the choice of analysis changes the
sample size more than most other inputs:

=================  ============================  ===================================
method             analysed quantity             SD of the analysed quantity
=================  ============================  ===================================
``follow_up``      follow-up HbA1c only          σ
``change_score``   follow-up − baseline          σ·√(2(1 − ρ))
``ancova``         follow-up adjusted for        σ·√(1 − ρ²)
                   baseline (ANCOVA)
=================  ============================  ===================================

σ is the SD of HbA1c at one visit (assumed equal at baseline and follow-up) and ρ the
baseline/follow-up correlation. Each analysis is then a two-sample t-test on a
standardised effect ``d = effect / SD``, computed with
:class:`statsmodels.stats.power.TTestIndPower` (noncentral t, df = n₁ + n₂ − 2).

Sign convention
---------------
``effect`` is the difference in mean HbA1c **control − active**, in absolute percentage
points: a positive effect means the MSC arm ends lower (a benefit). ``alternative``
describes the mean HbA1c of the active arm relative to the control arm, in the package
vocabulary: ``"less"`` is the one-sided hypothesis that MSCs lower HbA1c (statsmodels
``"larger"`` for ``d > 0``), ``"greater"`` the opposite one-sided hypothesis
(statsmodels ``"smaller"``), ``"two-sided"`` either direction.

Sample sizes
------------
``n`` and ``n_per_arm`` count patients **enrolled** per active arm; the control arm
enrols ``allocation × n`` (``allocation = n_control / n_active``, statsmodels'
``ratio = nobs2 / nobs1``). Dropout is missing-completely-at-random: the evaluable
number is ``n × (1 − dropout)``, so a solved evaluable size is inflated by
``1 / (1 − dropout)`` and rounded up.

References
----------
Frison L, Pocock SJ. Repeated measures in clinical trials: analysis using mean summary
statistics and its implications for design. Stat Med 1992;11:1685-1704.
Borm GF, Fransen J, Lemmens WA. A simple sample size formula for analysis of covariance
in randomized clinical trials. J Clin Epidemiol 2007;60:1234-1238.
Dunnett CW. A multiple comparison procedure for comparing several treatments with a
control. J Am Stat Assoc 1955;50:1096-1121.
Champely S. pwr: Basic Functions for Power Analysis (R package).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from scipy import optimize, stats
from statsmodels.stats.power import TTestIndPower

from mscreg.errors import InputError, InsufficientDataError

# ALTERNATIVES (the package vocabulary for the alternative hypothesis, here the active arm
# relative to control) is re-exported from the shared checks.
from mscreg.stats._checks import ALTERNATIVES, check_alternative, check_int, check_number, check_option
from mscreg.stats._result import Result

__all__ = [
    "ALTERNATIVES",
    "CORRECTIONS",
    "METHODS",
    "MethodDesign",
    "PowerCurve",
    "TrialDesign",
    "analysis_sd",
    "dunnett_critical_value",
    "power_curve",
    "solve_design",
]

#: Analyses sized by :func:`solve_design`, in the order they are reported.
METHODS: tuple[str, ...] = ("follow_up", "change_score", "ancova")
#: Multiplicity corrections for several active arms against one shared control.
CORRECTIONS: tuple[str, ...] = ("bonferroni", "dunnett")

# package vocabulary (active arm HbA1c vs control) -> statsmodels vocabulary for
# d = (control - active) / SD
_SM_ALTERNATIVE = {"two-sided": "two-sided", "less": "larger", "greater": "smaller"}
# Fixed seed of the quasi-Monte-Carlo integration behind the Dunnett critical value, so
# the same inputs always give the same design.
_DUNNETT_SEED = 20250301
_ROUND_TOL = 1e-9


# --------------------------------------------------------------------------- checks
# The design's parameters reach the command line directly, so a bad value raises
# InputError (CLI exit 65) rather than ValueError. simulate.py checks its shared
# parameters (sd, rho, alpha, allocation, dropout) with these same functions.
_number = partial(check_number, error=InputError)


def _check_sd(sd: Any) -> float:
    return _number(sd, name="sd", low=0, inclusive="neither", what="the SD of HbA1c at one visit, in %")


def _check_rho(rho: Any) -> float:
    return _number(rho, name="rho", low=-1, high=1, inclusive="neither", what="baseline/follow-up correlation")


def _check_open_unit(name: str, value: Any, what: str) -> float:
    return _number(value, name=name, low=0, high=1, inclusive="neither", what=what)


def _check_dropout(dropout: Any) -> float:
    return _number(
        dropout, name="dropout", low=0, high=1, inclusive="left", what="fraction of enrolled patients not analysed"
    )


def _check_allocation(allocation: Any) -> float:
    return _number(
        allocation, name="allocation", low=0, inclusive="neither", what="control patients per active-arm patient"
    )


def _check_arms(arms: Any) -> int:
    return check_int(arms, name="arms", minimum=1, what="active arms compared with placebo", error=InputError)


def _check_effect(effect: Any, alternative: str = "two-sided") -> float:
    value = _number(effect, name="effect")
    if value == 0:
        raise InputError("effect must not be 0: no sample size detects a zero difference; got 0")
    if alternative == "less" and value < 0:
        raise InputError(
            f"effect must be > 0 with alternative 'less' (effect = control - active; "
            f"a positive effect is a lower HbA1c in the MSC arm); got {effect!r}"
        )
    if alternative == "greater" and value > 0:
        raise InputError(
            f"effect must be < 0 with alternative 'greater' (effect = control - active; "
            f"a negative effect is a higher HbA1c in the MSC arm); got {effect!r}"
        )
    return value


def _ceil(x: float) -> int:
    return int(math.ceil(x - _ROUND_TOL))


# --------------------------------------------------------------------------- pieces
def analysis_sd(method: str, *, sd: float, rho: float) -> float:
    """SD of the quantity a method analyses, per patient.

    Parameters
    ----------
    method : {"follow_up", "change_score", "ancova"}
        The analysis.
    sd : float
        SD σ of HbA1c (%) at one visit, assumed equal at baseline and follow-up.
    rho : float
        Correlation ρ between baseline and follow-up HbA1c, in (−1, 1).

    Returns
    -------
    float
        ``σ`` for follow-up only, ``σ·√(2(1 − ρ))`` for the change score and
        ``σ·√(1 − ρ²)`` for ANCOVA on baseline (the residual SD of follow-up given
        baseline; the large-sample variance of the ANCOVA estimate, Frison & Pocock 1992).

    Notes
    -----
    The change score beats follow-up only when ρ > 0.5; ANCOVA is never worse than
    either (its SD is the minimum over all weights on baseline).

    Examples
    --------
    >>> analysis_sd("follow_up", sd=1.0, rho=0.6)
    1.0
    >>> round(analysis_sd("change_score", sd=1.0, rho=0.6), 4)   # sqrt(0.8)
    0.8944
    >>> round(analysis_sd("ancova", sd=1.0, rho=0.6), 4)         # sqrt(0.64)
    0.8
    """
    sd = _check_sd(sd)
    rho = _check_rho(rho)
    method = check_option(method, name="method", choices=METHODS)
    if method == "follow_up":
        return sd
    if method == "change_score":
        return sd * math.sqrt(2.0 * (1.0 - rho))
    return sd * math.sqrt(1.0 - rho * rho)


def dunnett_critical_value(
    *, arms: int, allocation: float = 1.0, alpha: float = 0.05, alternative: str = "two-sided", df: float | None = None
) -> float:
    """Critical value of Dunnett's many-to-one comparison (single step).

    The ``arms`` test statistics ``T_i`` (active arm *i* vs the shared control) are
    jointly multivariate t (``df`` given) or normal (``df=None``) with unit variances and
    correlation ``r = 1 / (1 + allocation)`` between any two of them, where
    ``allocation = n_control / n_active`` (equal active arms). The critical value ``c``
    solves ``P(max_i |T_i| ≤ c) = 1 − alpha`` (two-sided) or ``P(max_i T_i ≤ c) = 1 − alpha``
    (one-sided), integrated with :meth:`scipy.stats.multivariate_t.cdf` /
    :meth:`scipy.stats.multivariate_normal.cdf` (Genz's quasi-Monte-Carlo method, fixed seed
    so results are reproducible; accuracy about 1e-4 in probability) and solved with
    Brent's method.

    Parameters
    ----------
    arms : int
        Number of active arms k (comparisons); ``k = 1`` gives the ordinary t (z) quantile.
    allocation : float
        Control patients per active-arm patient.
    alpha : float
        Family-wise type I error rate.
    alternative : {"two-sided", "less", "greater"}
        One-sided alternatives share one critical value.
    df : float or None
        Degrees of freedom of the t statistics; ``None`` for the normal limit.

    Returns
    -------
    float
        The critical value ``c``.

    References
    ----------
    Dunnett CW. J Am Stat Assoc 1955;50:1096-1121 (tables, one- and two-sided);
    Dunnett CW. Biometrics 1964;20:482-491 (exact two-sided tables).

    Examples
    --------
    Dunnett's tables for α = 0.05, equal allocation, infinite df, give 2.21 (two-sided) and
    1.92 (one-sided) for two active arms:

    >>> round(dunnett_critical_value(arms=2), 2)
    2.21
    >>> round(dunnett_critical_value(arms=2, alternative="less"), 2)
    1.92
    """
    k = _check_arms(arms)
    allocation = _check_allocation(allocation)
    alpha = _check_open_unit("alpha", alpha, "family-wise type I error rate")
    alternative = check_alternative(alternative)
    if df is not None:
        df = _number(df, name="df", low=0, inclusive="neither")
    two_sided = alternative == "two-sided"
    tail = alpha / 2 if two_sided else alpha
    if k == 1:
        return float(stats.norm.isf(tail) if df is None else stats.t.isf(tail, df))
    r = 1.0 / (1.0 + allocation)
    corr = np.full((k, k), r)
    np.fill_diagonal(corr, 1.0)

    def coverage(c: float) -> float:
        upper = np.full(k, c)
        lower = -upper if two_sided else None
        if df is None:
            prob = stats.multivariate_normal.cdf(
                upper,
                mean=np.zeros(k),
                cov=corr,
                lower_limit=lower,
                abseps=1e-6,
                releps=1e-6,
                rng=np.random.default_rng(_DUNNETT_SEED),
            )
        else:
            prob = stats.multivariate_t.cdf(
                upper,
                loc=np.zeros(k),
                shape=corr,
                df=df,
                lower_limit=lower,
                random_state=np.random.default_rng(_DUNNETT_SEED),
            )
        return float(prob) - (1.0 - alpha)

    # Bonferroni bounds Dunnett from above, the unadjusted quantile from below.
    low = float(stats.norm.isf(tail) if df is None else stats.t.isf(tail, df)) - 1e-6
    high = float(stats.norm.isf(tail / k) if df is None else stats.t.isf(tail / k, df)) + 1e-3
    return float(optimize.brentq(coverage, low, high, xtol=1e-7))


def _per_comparison(
    *, alpha: float, arms: int, allocation: float, alternative: str, correction: str, df: float | None
) -> tuple[float, float]:
    """(alpha per comparison, critical value) for one active arm vs control."""
    two_sided = alternative == "two-sided"
    dist = stats.norm if df is None else stats.t(df)
    if correction == "bonferroni" or arms == 1:
        alpha_pc = alpha / arms
        crit = float(dist.isf(alpha_pc / 2 if two_sided else alpha_pc))
        return alpha_pc, crit
    crit = dunnett_critical_value(arms=arms, allocation=allocation, alpha=alpha, alternative=alternative, df=df)
    alpha_pc = float(dist.sf(crit)) * (2.0 if two_sided else 1.0)
    return alpha_pc, crit


# --------------------------------------------------------------------------- results
@dataclass(frozen=True, kw_only=True)
class MethodDesign(Result):
    """The design for one analysis method.

    Attributes
    ----------
    method : str
        ``"follow_up"``, ``"change_score"`` or ``"ancova"``.
    sd_analysis : float
        SD of the analysed quantity (see :func:`analysis_sd`).
    effect : float
        Difference control − active in mean HbA1c (%) designed for (solved when
        ``solved_for == "effect"``: the detectable difference).
    effect_size : float
        Standardised effect ``effect / sd_analysis`` (Cohen's d).
    power : float
        Power per comparison at the enrolled numbers below (after expected dropout);
        when ``solved_for == "n"`` the achieved power after rounding up, ≥ the target.
    n_evaluable : float
        Expected evaluable patients per active arm; when ``solved_for == "n"`` the exact
        (unrounded) solution.
    n_per_arm : int
        Patients to enrol in each active arm.
    n_control : int
        Patients to enrol in the control arm.
    n_total : int
        Patients to enrol in the trial, ``arms × n_per_arm + n_control``.
    alpha_per_comparison : float
        Significance level of each comparison after the multiplicity correction.
    critical_value : float
        Critical value of each comparison's t statistic (df = evaluable n₁ + n₂ − 2).
    """

    method: str
    sd_analysis: float
    effect: float
    effect_size: float
    power: float
    n_evaluable: float
    n_per_arm: int
    n_control: int
    n_total: int
    alpha_per_comparison: float
    critical_value: float

    def summary(self) -> str:
        """One line: method, n per arm, total, power."""
        return (
            f"{self.method}: n per arm {self.n_per_arm} (control {self.n_control}, total {self.n_total}), "
            f"effect {self.effect:.3g} % (d = {self.effect_size:.3g}), power {self.power:.3f}"
        )


@dataclass(frozen=True, kw_only=True)
class TrialDesign(Result):
    """Inputs and per-method designs from :func:`solve_design`.

    Attributes
    ----------
    solved_for : str
        ``"n"``, ``"power"`` or ``"effect"`` — the input that was ``None``.
    effect, sd, rho, alpha, power : float
        Inputs as given (``nan`` for the one solved for).
    n : int or None
        Enrolled per active arm as given (``None`` when solved for).
    allocation, dropout : float
        Control per active patient; expected dropout fraction.
    alternative, correction : str
        Package vocabulary; ``correction`` only matters when ``arms > 1``.
    arms : int
        Number of active arms, each compared with the one control arm.
    methods : tuple of MethodDesign
        One entry per method, in :data:`METHODS` order.
    """

    solved_for: str
    effect: float
    sd: float
    rho: float
    alpha: float
    power: float
    n: int | None
    allocation: float
    dropout: float
    alternative: str
    arms: int
    correction: str
    methods: tuple[MethodDesign, ...]

    def method(self, name: str) -> MethodDesign:
        """The :class:`MethodDesign` of method ``name``."""
        check_option(name, name="method", choices=METHODS)
        return next(item for item in self.methods if item.method == name)

    def summary(self) -> str:
        """A few lines: the question solved and one line per method."""
        head = (
            f"Solved for {self.solved_for}: {self.arms} active arm(s) vs control, alpha {self.alpha:g} "
            f"({self.alternative}), sd {self.sd:g} %, rho {self.rho:g}, allocation {self.allocation:g}, "
            f"dropout {self.dropout:g}"
        )
        return "\n".join([head, *(m.summary() for m in self.methods)])


@dataclass(frozen=True, kw_only=True)
class PowerCurve(Result):
    """Enrolled sample size over a grid of effects, per method (data for a figure).

    Attributes
    ----------
    effects : tuple of float
        Effects (control − active, HbA1c %) in the order given.
    n_per_arm : dict
        Method name -> tuple of enrolled patients per active arm, one per effect.
    n_total : dict
        Method name -> tuple of enrolled patients in the whole trial, one per effect.
    sd, rho, alpha, power, allocation, dropout : float
        Inputs.
    alternative, correction : str
        Inputs.
    arms : int
        Input.
    """

    effects: tuple[float, ...]
    n_per_arm: dict[str, tuple[int, ...]]
    n_total: dict[str, tuple[int, ...]]
    sd: float
    rho: float
    alpha: float
    power: float
    allocation: float
    dropout: float
    alternative: str
    correction: str
    arms: int

    def summary(self) -> str:
        """One line per method: the n range over the effect grid."""
        lines = [f"Power curve over {len(self.effects)} effects, power {self.power:g}, alpha {self.alpha:g}"]
        for method, ns in self.n_per_arm.items():
            lines.append(f"{method}: n per arm {min(ns)}-{max(ns)}")
        return "\n".join(lines)


# --------------------------------------------------------------------------- solver
_TT = TTestIndPower()


def _sm_power(d: float, n1: float, n2: float, alpha_pc: float, alternative: str) -> float:
    value = _TT.power(effect_size=d, nobs1=n1, alpha=alpha_pc, ratio=n2 / n1, alternative=_SM_ALTERNATIVE[alternative])
    return float(value)


def _solve_n_evaluable(
    d: float, *, power: float, alpha: float, arms: int, allocation: float, alternative: str, correction: str
) -> float:
    """Exact evaluable n per active arm; iterates df for Dunnett's critical value."""

    def solve(alpha_pc: float) -> float:
        n = _TT.solve_power(
            effect_size=d,
            nobs1=None,
            alpha=alpha_pc,
            power=power,
            ratio=allocation,
            alternative=_SM_ALTERNATIVE[alternative],
        )
        n = float(np.asarray(n).item())
        if not math.isfinite(n) or n <= 0:
            raise InsufficientDataError(
                f"no sample size reaches power {power!r} for effect size {d!r} at alpha {alpha_pc!r}; "
                "check that power exceeds alpha and the effect is not vanishingly small"
            )
        return n

    alpha_pc, _ = _per_comparison(
        alpha=alpha, arms=arms, allocation=allocation, alternative=alternative, correction=correction, df=None
    )
    n = solve(alpha_pc)
    if arms == 1 or correction == "bonferroni":
        return n  # the level does not depend on n
    for _ in range(30):  # Dunnett: the critical value depends on df, df on n
        df = max(n * (1.0 + allocation) - 2.0, 1.0)
        alpha_pc, _ = _per_comparison(
            alpha=alpha, arms=arms, allocation=allocation, alternative=alternative, correction=correction, df=df
        )
        n_new = solve(alpha_pc)
        if abs(n_new - n) < 1e-4:
            return n_new
        n = n_new
    return n


def solve_design(
    *,
    effect: float | None = None,
    sd: float,
    rho: float,
    alpha: float = 0.05,
    power: float | None = None,
    n: int | None = None,
    allocation: float = 1.0,
    dropout: float = 0.0,
    alternative: str = "two-sided",
    arms: int = 1,
    correction: str = "bonferroni",
) -> TrialDesign:
    """Sample size, power or detectable effect of a parallel MSC-vs-placebo trial on HbA1c.

    Exactly one of ``effect``, ``power`` and ``n`` must be ``None``; it is solved for,
    as in :meth:`statsmodels.stats.power.TTestIndPower.solve_power`, separately for the
    three analyses (follow-up only, change score, ANCOVA on baseline).

    Formula
    -------
    With SD of the analysed quantity ``s_m`` (:func:`analysis_sd`), standardised effect
    ``d = effect / s_m``, evaluable sizes ``n₁`` (active) and ``n₂ = allocation·n₁``
    (control), power is that of the two-sample t-test with noncentrality
    ``d / √(1/n₁ + 1/n₂)`` and ``n₁ + n₂ − 2`` df (statsmodels ``TTestIndPower``).
    Approximately (normal version) ``n₁ = (1 + 1/allocation)(z₁₋α/₂ + z₁₋β)² / d²``.
    Enrolled per active arm = ``⌈n₁ / (1 − dropout)⌉``, control =
    ``⌈allocation · n₁ / (1 − dropout)⌉``.

    With ``arms = k > 1`` each active arm is compared with the shared control and the
    power reported is the power of *one* comparison (per-comparison power) at the
    corrected level: ``"bonferroni"`` uses ``alpha / k``; ``"dunnett"`` uses the level
    whose t critical value equals Dunnett's (:func:`dunnett_critical_value`, correlation
    ``1 / (1 + allocation)``, df = n₁ + n₂ − 2 of the single comparison, iterated with n).

    Parameters
    ----------
    effect : float or None
        Difference in mean HbA1c, control − active, in absolute percentage points
        (0.5 means the MSC arm ends 0.5 % lower). ``None`` to solve for the detectable
        effect.
    sd : float
        SD of HbA1c (%) at one visit (> 0).
    rho : float
        Baseline/follow-up correlation of HbA1c, in (−1, 1).
    alpha : float
        Family-wise type I error rate, in (0, 1).
    power : float or None
        Power per comparison, in (alpha, 1); ``None`` to solve for it.
    n : int or None
        Patients enrolled per active arm; ``None`` to solve for it.
    allocation : float
        Control patients per active-arm patient (statsmodels' ``ratio = nobs2/nobs1``).
    dropout : float
        Expected fraction of enrolled patients without a follow-up value, in [0, 1).
    alternative : {"two-sided", "less", "greater"}
        Mean HbA1c of the active arm relative to control; ``"less"`` = MSCs lower HbA1c.
    arms : int
        Number of active (dose) arms, each compared with the one control arm.
    correction : {"bonferroni", "dunnett"}
        Multiplicity correction when ``arms > 1``.

    Returns
    -------
    TrialDesign
        Inputs and one :class:`MethodDesign` per method.

    Raises
    ------
    mscreg.errors.InputError
        A value out of range (message names the parameter and the value), or not exactly
        one of ``effect``, ``power``, ``n`` is ``None``.
    mscreg.errors.ConventionError
        Unknown ``alternative`` or ``correction``.

    Assumptions
    -----------
    Normal HbA1c with equal SD at baseline and follow-up and in both arms; dropout
    completely at random; the ANCOVA SD ``σ√(1 − ρ²)`` ignores the one degree of freedom
    and the small variance inflation from estimating the baseline slope (about a factor
    ``1 + 1/(N − 4)`` on the variance; Borm et al. 2007), so at very small n the ANCOVA
    size is slightly optimistic.

    References
    ----------
    Frison & Pocock, Stat Med 1992;11:1685; Borm, Fransen & Lemmens, J Clin Epidemiol
    2007;60:1234; Dunnett, JASA 1955;50:1096; R package ``pwr`` (Champely).

    Examples
    --------
    The worked example: 0.5 % difference, SD 1.0 %, ρ = 0.6, α = 0.05 two-sided,
    80 % power:

    >>> res = solve_design(effect=0.5, sd=1.0, rho=0.6, power=0.8)
    >>> [(m.method, round(m.n_evaluable, 2), m.n_per_arm) for m in res.methods]
    [('follow_up', 63.77, 64), ('change_score', 51.21, 52), ('ancova', 41.17, 42)]
    >>> round(res.method("follow_up").power, 4)
    0.8015

    Power at a given size, and with 10 % dropout the evaluable size shrinks:

    >>> round(solve_design(effect=0.5, sd=1.0, rho=0.6, n=64).method("follow_up").power, 4)
    0.8015
    >>> solve_design(effect=0.5, sd=1.0, rho=0.6, power=0.8, dropout=0.1).method("ancova").n_per_arm
    46
    """
    sd = _check_sd(sd)
    rho = _check_rho(rho)
    alpha = _check_open_unit("alpha", alpha, "family-wise type I error rate")
    alternative = check_alternative(alternative)
    correction = check_option(correction, name="correction", choices=CORRECTIONS)
    allocation = _check_allocation(allocation)
    dropout = _check_dropout(dropout)
    arms = _check_arms(arms)
    missing = [name for name, value in (("effect", effect), ("power", power), ("n", n)) if value is None]
    if len(missing) != 1:
        given = "none" if not missing else ", ".join(missing)
        raise InputError(
            f"exactly one of effect, power and n must be left out (None) to be solved for; left out: {given}"
        )
    solved_for = missing[0]
    if effect is not None:
        effect = _check_effect(effect, alternative)
    if power is not None:
        power = _check_open_unit("power", power, "probability of rejecting H0 when the effect is true")
        if power <= alpha:
            raise InputError(f"power must exceed the significance level {alpha!r}; got {power!r}")
    n_enrol: int | None = None
    if n is not None:
        n_enrol = check_int(n, name="n", minimum=1, what="patients enrolled per active arm", error=InputError)
        n_ctrl = _ceil(allocation * n_enrol)
        if n_enrol * (1 - dropout) < 2 or n_ctrl * (1 - dropout) < 2:
            raise InputError(
                f"n must leave at least 2 evaluable patients per arm after dropout {dropout!r} "
                f"and allocation {allocation!r}; got {n!r}"
            )

    designs = []
    for method in METHODS:
        s = analysis_sd(method, sd=sd, rho=rho)
        if solved_for == "n":
            d = float(effect) / s  # type: ignore[arg-type]
            n_exact = _solve_n_evaluable(
                d,
                power=float(power),  # type: ignore[arg-type]
                alpha=alpha,
                arms=arms,
                allocation=allocation,
                alternative=alternative,
                correction=correction,
            )
            n_active = _ceil(n_exact / (1 - dropout))
            n_control = _ceil(allocation * n_exact / (1 - dropout))
            n_ev = n_exact
        else:
            n_active = int(n_enrol)  # type: ignore[arg-type]
            n_control = _ceil(allocation * n_active)
            n_ev = n_active * (1 - dropout)
        e1, e2 = n_active * (1 - dropout), n_control * (1 - dropout)
        df = e1 + e2 - 2
        alpha_pc, crit = _per_comparison(
            alpha=alpha, arms=arms, allocation=e2 / e1, alternative=alternative, correction=correction, df=df
        )
        if solved_for == "effect":
            d_solved = _TT.solve_power(
                effect_size=None,
                nobs1=e1,
                alpha=alpha_pc,
                power=power,
                ratio=e2 / e1,
                alternative=_SM_ALTERNATIVE[alternative],
            )
            d = float(np.asarray(d_solved).item())
            eff = d * s
            achieved = float(power)  # type: ignore[arg-type]
        else:
            eff = float(effect)  # type: ignore[arg-type]
            d = eff / s
            achieved = _sm_power(d, e1, e2, alpha_pc, alternative)
        designs.append(
            MethodDesign(
                method=method,
                sd_analysis=s,
                effect=eff,
                effect_size=d,
                power=achieved,
                n_evaluable=n_ev,
                n_per_arm=n_active,
                n_control=n_control,
                n_total=arms * n_active + n_control,
                alpha_per_comparison=alpha_pc,
                critical_value=crit,
            )
        )
    return TrialDesign(
        solved_for=solved_for,
        effect=math.nan if effect is None else float(effect),
        sd=sd,
        rho=rho,
        alpha=alpha,
        power=math.nan if power is None else float(power),
        n=n_enrol,
        allocation=allocation,
        dropout=dropout,
        alternative=alternative,
        arms=arms,
        correction=correction,
        methods=tuple(designs),
    )


def power_curve(
    effects: Sequence[float] | np.ndarray,
    *,
    sd: float,
    rho: float,
    alpha: float = 0.05,
    power: float = 0.8,
    allocation: float = 1.0,
    dropout: float = 0.0,
    alternative: str = "two-sided",
    arms: int = 1,
    correction: str = "bonferroni",
) -> PowerCurve:
    """Enrolled sample size per active arm, per method, over a grid of effects.

    Each point is :func:`solve_design` with ``n=None`` at that effect; the result holds
    plain numbers for a figure (effect on x, n per arm on y, one line per method).

    Parameters
    ----------
    effects : sequence of float
        Differences control − active in HbA1c (%), none zero.
    sd, rho, alpha, power, allocation, dropout, alternative, arms, correction
        As in :func:`solve_design`.

    Returns
    -------
    PowerCurve

    Examples
    --------
    >>> curve = power_curve([0.3, 0.5, 0.8], sd=1.0, rho=0.6)
    >>> curve.n_per_arm["follow_up"]
    (176, 64, 26)
    >>> curve.n_per_arm["ancova"]
    (113, 42, 17)
    """
    values = np.asarray(effects, dtype=float).ravel()
    if values.size == 0:
        raise InputError("effects must hold at least one effect; got an empty sequence")
    n_per_arm: dict[str, list[int]] = {m: [] for m in METHODS}
    n_total: dict[str, list[int]] = {m: [] for m in METHODS}
    for value in values:
        design = solve_design(
            effect=float(value),
            sd=sd,
            rho=rho,
            alpha=alpha,
            power=power,
            allocation=allocation,
            dropout=dropout,
            alternative=alternative,
            arms=arms,
            correction=correction,
        )
        for item in design.methods:
            n_per_arm[item.method].append(item.n_per_arm)
            n_total[item.method].append(item.n_total)
    first = design
    return PowerCurve(
        effects=tuple(float(v) for v in values),
        n_per_arm={m: tuple(v) for m, v in n_per_arm.items()},
        n_total={m: tuple(v) for m, v in n_total.items()},
        sd=first.sd,
        rho=first.rho,
        alpha=first.alpha,
        power=first.power,
        allocation=first.allocation,
        dropout=first.dropout,
        alternative=first.alternative,
        correction=first.correction,
        arms=first.arms,
    )
