"""Two independent groups: Student's and Welch's t-tests (scipy.stats.ttest_ind)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from mscreg.stats._checks import as_vector, check_alternative, check_ci_level
from mscreg.stats._result import Result

__all__ = ["TwoSampleTTest", "two_sample_ttest"]


@dataclass(frozen=True, kw_only=True)
class TwoSampleTTest(Result):
    """Independent-samples t-test of mean(x) − mean(y)."""

    n_x: int
    n_y: int
    mean_x: float
    mean_y: float
    estimate: float
    t: float
    df: float
    p_value: float
    ci_low: float
    ci_high: float
    ci_level: float
    alternative: str
    equal_var: bool

    def summary(self) -> str:
        test = "Student" if self.equal_var else "Welch"
        return (
            f"{test} t-test: {self.mean_x:.3f} (n={self.n_x}) vs {self.mean_y:.3f} (n={self.n_y}), "
            f"difference {self.estimate:+.3f} ({self.ci_level:.0%} CI {self.ci_low:+.3f} to {self.ci_high:+.3f}), "
            f"t({self.df:.4g})={self.t:.3f}, p={self.p_value:.3g} ({self.alternative})"
        )


def two_sample_ttest(
    x: ArrayLike, y: ArrayLike, *, equal_var: bool = True, alternative: str = "two-sided", ci_level: float = 0.95
) -> TwoSampleTTest:
    """Student's (``equal_var=True``, pooled SD) or Welch's t-test of mean(x) − mean(y).

    Examples
    --------
    R's sleep data as independent groups (``t.test(extra ~ group, data = sleep,
    var.equal = TRUE)``: t = -1.8608, df = 18, p-value = 0.07919; Welch:
    t = -1.8608, df = 17.776, p-value = 0.07939):

    >>> g1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
    >>> g2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]
    >>> r = two_sample_ttest(g1, g2)
    >>> round(r.t, 4), r.df, round(r.p_value, 5)
    (-1.8608, 18.0, 0.07919)
    >>> w = two_sample_ttest(g1, g2, equal_var=False)
    >>> round(w.df, 3), round(w.p_value, 5)
    (17.776, 0.07939)
    """
    check_alternative(alternative)
    check_ci_level(ci_level)
    a = as_vector(x, name="x", min_n=2)
    b = as_vector(y, name="y", min_n=2)
    result = stats.ttest_ind(a, b, equal_var=equal_var, alternative=alternative)
    ci = result.confidence_interval(confidence_level=ci_level)
    return TwoSampleTTest(
        n_x=int(a.size),
        n_y=int(b.size),
        mean_x=float(np.mean(a)),
        mean_y=float(np.mean(b)),
        estimate=float(np.mean(a) - np.mean(b)),
        t=float(result.statistic),
        df=float(result.df),
        p_value=float(result.pvalue),
        ci_low=float(ci.low),
        ci_high=float(ci.high),
        ci_level=ci_level,
        alternative=alternative,
        equal_var=equal_var,
    )
