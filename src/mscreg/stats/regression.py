"""Baseline-adjusted dose-response and durability regressions of HbA1c change (OLS).

- :func:`dose_response` -- change ~ baseline + log(dose) [+ months], so the dose effect
  is not confounded with baseline (and regression to the mean through baseline).
- :func:`durability` -- change ~ months observed, a between-patient comparison.

Both fit ordinary least squares with :class:`statsmodels.regression.linear_model.OLS`
and report each coefficient as a :class:`Coefficient` (``term``, ``estimate``,
``std_error``, ``t_statistic``, ``ci_low``, ``ci_high``, ``p_value``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.regression.linear_model import OLS
from statsmodels.tools.tools import add_constant

from mscreg.errors import InsufficientDataError
from mscreg.stats._checks import as_vector, check_ci_level, check_same_length, check_values, check_varies
from mscreg.stats._result import Result

__all__ = ["Coefficient", "DoseResponseResult", "DurabilityResult", "dose_response", "durability"]

DURABILITY_CAVEAT = (
    "Each patient contributes a single follow-up point, so this slope compares different "
    "patients observed for different lengths of time (a between-patient, cross-sectional "
    "comparison); it is not a within-patient trajectory and cannot show that an effect wanes "
    "or persists in any one patient. Patients followed longer may differ in other ways "
    "(earlier enrolment, survivorship, dose)."
)


@dataclass(frozen=True, kw_only=True, slots=False)
class Coefficient(Result):
    """One regression coefficient with its t-based interval and two-sided p-value."""

    term: str
    estimate: float
    std_error: float
    t_statistic: float
    ci_low: float
    ci_high: float
    p_value: float


@dataclass(frozen=True, kw_only=True, slots=False)
class DoseResponseResult(Result):
    """OLS fit of change on baseline and log(dose) (and months); see :func:`dose_response`."""

    formula: str
    coefficients: tuple[Coefficient, ...]
    n: int
    df_resid: int
    r_squared: float
    adj_r_squared: float
    ci_level: float

    def coefficient(self, term: str) -> Coefficient:
        """The coefficient named ``term`` (one of ``Intercept``, ``baseline``, ``log_dose``, ``months``)."""
        for coef in self.coefficients:
            if coef.term == term:
                return coef
        names = tuple(c.term for c in self.coefficients)
        raise ValueError(f"no coefficient {term!r} in this fit; terms are {names!r}")

    def summary(self) -> str:
        pct = f"{self.ci_level:.0%}"
        rows = "; ".join(
            f"{c.term} {c.estimate:+.4g} ({pct} CI {c.ci_low:+.4g} to {c.ci_high:+.4g}, p={c.p_value:.3g})"
            for c in self.coefficients
        )
        return f"{self.formula}: {rows}; n={self.n}, R²={self.r_squared:.3f}"


def _fit(y: np.ndarray, predictors: dict[str, np.ndarray], ci_level: float):
    design = add_constant(pd.DataFrame(predictors), has_constant="add").rename(columns={"const": "Intercept"})
    if np.linalg.matrix_rank(design.to_numpy()) < design.shape[1]:
        raise InsufficientDataError(
            f"the predictors {tuple(predictors)!r} are collinear in these data; their effects cannot be separated"
        )
    fit = OLS(y, design).fit()
    with np.errstate(divide="ignore", invalid="ignore"):  # R² of a constant outcome is NaN, silently
        fit.rsquared, fit.rsquared_adj  # noqa: B018  (cached by statsmodels on first access)
    bounds = fit.conf_int(alpha=1 - ci_level)
    coefficients = tuple(
        Coefficient(
            term=str(term),
            estimate=float(fit.params[term]),
            std_error=float(fit.bse[term]),
            t_statistic=float(fit.tvalues[term]),
            ci_low=float(bounds.loc[term, 0]),
            ci_high=float(bounds.loc[term, 1]),
            p_value=float(fit.pvalues[term]),
        )
        for term in design.columns
    )
    return fit, coefficients


def _enough(n: int, n_params: int, what: str) -> None:
    if n < n_params + 1:
        raise InsufficientDataError(
            f"{what} estimates {n_params} coefficients and needs at least {n_params + 1} patients; got {n}"
        )


def dose_response(
    change: object,
    baseline: object,
    dose: object,
    months: object | None = None,
    *,
    ci_level: float = 0.95,
) -> DoseResponseResult:
    r"""Baseline-adjusted dose-response: OLS of change on baseline and log(dose).

    Parameters
    ----------
    change : array-like of float
        HbA1c change (after − before) per patient, % points.
    baseline : array-like of float
        HbA1c before treatment, %.
    dose : array-like of float
        Cells infused (any fixed unit, e.g. million cells); must be > 0.
    months : array-like of float or None
        Months observed; when given it enters as a further covariate.
    ci_level : float, keyword-only
        Confidence level of the coefficient intervals (default 0.95).

    Returns
    -------
    DoseResponseResult
        ``formula``, ``coefficients`` (terms ``Intercept``, ``baseline``, ``log_dose``
        [, ``months``], each with ``estimate``, ``std_error``, ``t_statistic``,
        ``ci_low``, ``ci_high``, ``p_value``), ``n``, ``df_resid``, ``r_squared``,
        ``adj_r_squared``, ``ci_level``; ``.coefficient(term)`` looks one up.

    Notes
    -----
    Model :math:`\Delta_i = \beta_0 + \beta_1 x_{1i} + \beta_2 \ln(\text{dose}_i)
    [+ \beta_3 \text{months}_i] + \varepsilon_i`, fitted by
    :class:`statsmodels.api.OLS`; t intervals and two-sided t-test p-values with
    n − p residual df. :math:`\beta_2` is the change per e-fold (×2.718) dose; per
    doubling it is :math:`\beta_2 \ln 2`. Natural log: dose effects are usually
    proportional, and the log keeps a few very large doses from dominating.
    Adjusting for baseline separates the dose effect from the baseline-change
    relationship (which includes regression to the mean); it does not remove
    confounding by why patients got a given dose.

    Assumptions: independent patients, linearity in the terms, constant residual
    variance, roughly normal residuals (for small n).

    Examples
    --------
    Change built exactly as −0.5 − 0.3·(baseline − 8) − 0.2·ln(dose), so OLS returns
    the coefficients (intercept −0.5 + 0.3·8 = 1.9) with a perfect fit:

    >>> import numpy as np
    >>> baseline = np.array([7.0, 8.5, 9.1, 6.8, 10.2, 7.7])
    >>> dose = np.array([100, 300, 1000, 200, 2000, 500])
    >>> change = -0.5 - 0.3 * (baseline - 8) - 0.2 * np.log(dose)
    >>> res = dose_response(change, baseline, dose)
    >>> [round(c.estimate, 6) for c in res.coefficients]
    [1.9, -0.3, -0.2]
    >>> [c.term for c in res.coefficients], round(res.r_squared, 6)
    (['Intercept', 'baseline', 'log_dose'], 1.0)
    """
    ci_level = check_ci_level(ci_level)
    y = as_vector(change, name="change", min_n=0)
    base = as_vector(baseline, name="baseline", min_n=0)
    dose_arr = as_vector(dose, name="dose", min_n=0)
    arrays = {"change": y, "baseline": base, "dose": dose_arr}
    if months is not None:
        arrays["months"] = as_vector(months, name="months", min_n=0)
    check_same_length(**arrays)
    check_values(dose_arr, name="dose", low=0, inclusive="neither", what="to take its logarithm")
    _enough(y.size, len(arrays), "dose_response")
    for name in ("baseline", "dose", "months")[: len(arrays) - 1]:
        check_varies(arrays[name], name=name, what="dose_response")
    predictors = {"baseline": base, "log_dose": np.log(dose_arr)}
    if months is not None:
        predictors["months"] = arrays["months"]
    fit, coefficients = _fit(y, predictors, ci_level)
    formula = "change ~ baseline + log(dose)" + (" + months" if months is not None else "")
    return DoseResponseResult(
        formula=formula,
        coefficients=coefficients,
        n=y.size,
        df_resid=int(fit.df_resid),
        r_squared=float(fit.rsquared),
        adj_r_squared=float(fit.rsquared_adj),
        ci_level=ci_level,
    )


@dataclass(frozen=True, kw_only=True, slots=False)
class DurabilityResult(Result):
    """Slope of change on months observed (``estimate``, % points per month) and its caveat."""

    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    p_value: float
    intercept: float
    n: int
    r_squared: float
    ci_level: float
    caveat: str

    def summary(self) -> str:
        return (
            f"Change vs months observed: slope {self.estimate:+.4f} %/month "
            f"({self.ci_level:.0%} CI {self.ci_low:+.4f} to {self.ci_high:+.4f}, p={self.p_value:.3g}), "
            f"n={self.n}. Caveat: {self.caveat}"
        )


def durability(change: object, months: object, *, ci_level: float = 0.95) -> DurabilityResult:
    r"""Slope of HbA1c change on months observed, with the between-patient caveat.

    Parameters
    ----------
    change : array-like of float
        HbA1c change (after − before) per patient, % points.
    months : array-like of float
        Months from infusion to the follow-up value, per patient (>= 0).
    ci_level : float, keyword-only
        Confidence level of the slope interval (default 0.95).

    Returns
    -------
    DurabilityResult
        ``estimate`` (slope, % points per month), ``std_error``, ``ci_low``, ``ci_high``,
        ``p_value``, ``intercept``, ``n``, ``r_squared``, ``ci_level``, ``caveat``.

    Notes
    -----
    OLS :math:`\Delta_i = \beta_0 + \beta_1\,\text{months}_i + \varepsilon_i`
    (:class:`statsmodels.api.OLS`), slope :math:`\hat\beta_1 = S_{xy}/S_{xx}`, t interval
    with n − 2 df. A positive slope means patients observed longer had smaller falls.
    Each patient gives one follow-up value, so the slope compares patients, not time
    within a patient (see ``caveat``).

    Examples
    --------
    R's ``cars`` data: ``lm(dist ~ speed, data = cars)`` gives slope 3.9324,
    ``confint`` 3.096964 to 4.767853 (here with "change" = dist, "months" = speed):

    >>> speed = [4, 4, 7, 7, 8, 9, 10, 10, 10, 11, 11, 12, 12, 12, 12, 13, 13, 13, 13, 14, 14, 14,
    ...          14, 15, 15, 15, 16, 16, 17, 17, 17, 18, 18, 18, 18, 19, 19, 19, 20, 20, 20, 20, 20,
    ...          22, 23, 24, 24, 24, 24, 25]
    >>> dist = [2, 10, 4, 22, 16, 10, 18, 26, 34, 17, 28, 14, 20, 24, 28, 26, 34, 34, 46, 26, 36,
    ...         60, 80, 20, 26, 54, 32, 40, 32, 40, 50, 42, 56, 76, 84, 36, 46, 68, 32, 48, 52, 56,
    ...         64, 66, 54, 70, 92, 93, 120, 85]
    >>> res = durability(dist, speed)
    >>> round(res.estimate, 4), round(res.ci_low, 6), round(res.ci_high, 6)
    (3.9324, 3.096964, 4.767853)
    """
    ci_level = check_ci_level(ci_level)
    y = as_vector(change, name="change", min_n=0)
    months_arr = as_vector(months, name="months", min_n=0)
    check_same_length(change=y, months=months_arr)
    check_values(months_arr, name="months", low=0, inclusive="left")
    _enough(y.size, 2, "durability")
    check_varies(months_arr, name="months", what="durability")
    fit, coefficients = _fit(y, {"months": months_arr}, ci_level)
    slope = coefficients[1]
    return DurabilityResult(
        estimate=slope.estimate,
        std_error=slope.std_error,
        ci_low=slope.ci_low,
        ci_high=slope.ci_high,
        p_value=slope.p_value,
        intercept=coefficients[0].estimate,
        n=y.size,
        r_squared=float(fit.rsquared),
        ci_level=ci_level,
        caveat=DURABILITY_CAVEAT,
    )
