"""Correlation of two variables (Pearson as the seed study used; Spearman as a check)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from mscreg.errors import ConventionError
from mscreg.stats._checks import as_pair, check_alternative, check_ci_level
from mscreg.stats._result import Result

__all__ = ["CORRELATION_METHODS", "Correlation", "correlate"]

CORRELATION_METHODS = ("pearson", "spearman")


@dataclass(frozen=True, kw_only=True)
class Correlation(Result):
    """Correlation coefficient with p-value and (Pearson only) Fisher-z CI."""

    n: int
    estimate: float
    p_value: float
    ci_low: float
    ci_high: float
    ci_level: float
    method: str
    alternative: str

    def summary(self) -> str:
        ci = "" if self.ci_low != self.ci_low else f" ({self.ci_level:.0%} CI {self.ci_low:+.3f} to {self.ci_high:+.3f})"
        return f"{self.method} r={self.estimate:+.3f}{ci}, p={self.p_value:.3g}, n={self.n}"


def correlate(
    x: ArrayLike, y: ArrayLike, *, method: str = "pearson", alternative: str = "two-sided", ci_level: float = 0.95
) -> Correlation:
    """Pearson (scipy.stats.pearsonr) or Spearman (scipy.stats.spearmanr) correlation.

    The Pearson CI is the Fisher z interval; Spearman has none here (``ci_low`` and
    ``ci_high`` are NaN). When either variable is constant the correlation is undefined and
    every number is NaN.

    Examples
    --------
    Hand calculation for x = 1, 2, 3, 4 and y = 2, 1, 4, 3: deviations (−1.5, −0.5, 0.5, 1.5)
    and (−0.5, −1.5, 1.5, 0.5); Σxy = 0.75 + 0.75 + 0.75 + 0.75 = 3; Σx² = Σy² = 5; r = 3/5.

    >>> round(correlate([1, 2, 3, 4], [2, 1, 4, 3]).estimate, 10)
    0.6
    """
    if method not in CORRELATION_METHODS:
        raise ConventionError(f"correlation method {method!r} is not one of {', '.join(map(repr, CORRELATION_METHODS))}")
    check_alternative(alternative)
    check_ci_level(ci_level)
    a, b = as_pair(x, y, names=("x", "y"), min_n=3)
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        # A constant variable has no correlation: NaN throughout (scipy would warn and say the same).
        nan = float("nan")
        return Correlation(n=int(a.size), estimate=nan, p_value=nan, ci_low=nan, ci_high=nan, ci_level=ci_level,
                           method=method, alternative=alternative)
    if method == "pearson":
        result = stats.pearsonr(a, b, alternative=alternative)
        ci = result.confidence_interval(confidence_level=ci_level)
        estimate, p_value, low, high = result.statistic, result.pvalue, ci.low, ci.high
    else:
        result = stats.spearmanr(a, b, alternative=alternative)
        estimate, p_value, low, high = result.statistic, result.pvalue, float("nan"), float("nan")
    return Correlation(
        n=int(a.size), estimate=float(estimate), p_value=float(p_value), ci_low=float(low), ci_high=float(high),
        ci_level=ci_level, method=method, alternative=alternative,
    )
