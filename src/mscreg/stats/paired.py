"""Paired t-test of HbA1c before vs after (the seed study's primary analysis)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from mscreg.stats._checks import as_pair, check_alternative, check_ci_level
from mscreg.stats._result import Result

__all__ = ["PairedTTest", "paired_ttest"]


@dataclass(frozen=True, kw_only=True)
class PairedTTest(Result):
    """Paired t-test of ``change = after − before``.

    ``estimate`` is the mean change (negative = fall); the CI is for the mean change and
    is one-sided (one infinite end) when ``alternative`` is.
    """

    n: int
    mean_before: float
    mean_after: float
    estimate: float
    sd_change: float
    t: float
    df: int
    p_value: float
    ci_low: float
    ci_high: float
    ci_level: float
    alternative: str

    def summary(self) -> str:
        return (
            f"n={self.n}: {self.mean_before:.2f} → {self.mean_after:.2f}, mean change {self.estimate:+.3f} "
            f"({self.ci_level:.0%} CI {self.ci_low:+.3f} to {self.ci_high:+.3f}), "
            f"t({self.df})={self.t:.3f}, p={self.p_value:.3g} ({self.alternative})"
        )


def paired_ttest(before: ArrayLike, after: ArrayLike, *, alternative: str = "two-sided", ci_level: float = 0.95) -> PairedTTest:
    """Paired t-test of after vs before (scipy.stats.ttest_rel).

    t = mean(d) / (sd(d) / √n) with d = after − before and n − 1 degrees of freedom.
    ``alternative="less"`` tests whether HbA1c fell (mean change < 0).

    Parameters
    ----------
    before, after : array_like
        Paired values, same length, at least 2.
    alternative : {"two-sided", "less", "greater"}
        About the mean change after − before.
    ci_level : float
        Confidence level of the interval for the mean change.

    Examples
    --------
    R's sleep data (``t.test(extra ~ group, data = sleep, paired = TRUE)`` gives
    t = -4.0621, df = 9, p-value = 0.002833 for group1 − group2; here after − before is
    group2 − group1, so t changes sign):

    >>> g1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
    >>> g2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]
    >>> r = paired_ttest(g1, g2)
    >>> round(r.t, 4), r.df, round(r.p_value, 6), round(r.estimate, 2)
    (4.0621, 9, 0.002833, 1.58)
    """
    check_alternative(alternative)
    check_ci_level(ci_level)
    b, a = as_pair(before, after, names=("before", "after"), min_n=2)
    result = stats.ttest_rel(a, b, alternative=alternative)
    ci = result.confidence_interval(confidence_level=ci_level)
    diff = a - b
    return PairedTTest(
        n=int(diff.size),
        mean_before=float(np.mean(b)),
        mean_after=float(np.mean(a)),
        estimate=float(np.mean(diff)),
        sd_change=float(np.std(diff, ddof=1)),
        t=float(result.statistic),
        df=int(result.df),
        p_value=float(result.pvalue),
        ci_low=float(ci.low),
        ci_high=float(ci.high),
        ci_level=ci_level,
        alternative=alternative,
    )
