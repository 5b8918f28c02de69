"""Descriptive statistics with explicit conventions (SD ddof, quartile method).

Quartile methods are numpy's (Hyndman & Fan 1996 types 1–9) plus the names people know
them by:

============================  =============================  =========================
name                          numpy ``method``               also known as
============================  =============================  =========================
``"linear"``                  linear                         Excel QUARTILE.INC, R type 7
``"excel_inc"``               linear                         (alias)
``"weibull"``                 weibull                        Excel QUARTILE.EXC, R type 6, SPSS
``"excel_exc"``               weibull                        (alias)
``"hazen"``                   hazen                          R type 5
``"median_unbiased"``         median_unbiased                R type 8
``"normal_unbiased"``         normal_unbiased                R type 9
``"inverted_cdf"``            inverted_cdf                   R type 1
``"averaged_inverted_cdf"``   averaged_inverted_cdf          R type 2, SAS default
``"closest_observation"``     closest_observation            R type 3
``"interpolated_inverted_cdf"`` interpolated_inverted_cdf    R type 4
``"lower"``/``"higher"``/``"nearest"``/``"midpoint"``  same   numpy's discontinuous rules
============================  =============================  =========================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from mscreg.errors import ConventionError
from mscreg.stats._checks import as_vector
from mscreg.stats._result import Result

__all__ = ["QUARTILE_METHODS", "Descriptives", "describe", "quantile"]

#: Quartile method name -> (numpy method, what it is also known as).
QUARTILE_METHODS: dict[str, tuple[str, str]] = {
    "linear": ("linear", "Excel QUARTILE.INC, R type 7"),
    "excel_inc": ("linear", "Excel QUARTILE.INC, R type 7"),
    "weibull": ("weibull", "Excel QUARTILE.EXC, R type 6"),
    "excel_exc": ("weibull", "Excel QUARTILE.EXC, R type 6"),
    "hazen": ("hazen", "R type 5"),
    "median_unbiased": ("median_unbiased", "R type 8"),
    "normal_unbiased": ("normal_unbiased", "R type 9"),
    "inverted_cdf": ("inverted_cdf", "R type 1"),
    "averaged_inverted_cdf": ("averaged_inverted_cdf", "R type 2, SAS default"),
    "closest_observation": ("closest_observation", "R type 3"),
    "interpolated_inverted_cdf": ("interpolated_inverted_cdf", "R type 4"),
    "lower": ("lower", "numpy lower"),
    "higher": ("higher", "numpy higher"),
    "nearest": ("nearest", "numpy nearest"),
    "midpoint": ("midpoint", "numpy midpoint"),
}


def quantile(values: ArrayLike, q: float, *, method: str = "linear") -> float:
    """The ``q`` quantile (0–1) of ``values`` by a named method (see the module table).

    Examples
    --------
    Months observed 6, 13, 35, 40, 68: Excel QUARTILE.INC puts Q1 at position
    1 + 0.25 × (5 − 1) = 2, i.e. 13; QUARTILE.EXC at 0.25 × (5 + 1) = 1.5, i.e. 6 + 0.5 × 7 = 9.5.

    >>> quantile([6, 13, 35, 40, 68], 0.25), quantile([6, 13, 35, 40, 68], 0.25, method="excel_exc")
    (13.0, 9.5)
    """
    if method not in QUARTILE_METHODS:
        raise ConventionError(f"quartile method {method!r} is not one of {', '.join(map(repr, QUARTILE_METHODS))}")
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q={q!r} must lie between 0 and 1")
    array = as_vector(values, name="values")
    return float(np.quantile(array, q, method=QUARTILE_METHODS[method][0]))


@dataclass(frozen=True, kw_only=True)
class Descriptives(Result):
    """n, mean, SD, min, max, median and quartiles of one variable."""

    n: int
    mean: float
    sd: float
    minimum: float
    maximum: float
    median: float
    q1: float
    q3: float
    ddof: int
    quartile_method: str

    def summary(self) -> str:
        return (
            f"n={self.n}, mean={self.mean:.3f}, SD={self.sd:.3f}, median={self.median:.3f} "
            f"(Q1 {self.q1:.3f}, Q3 {self.q3:.3f}; {self.quartile_method}), range {self.minimum:g}–{self.maximum:g}"
        )


def describe(values: ArrayLike, *, ddof: int = 1, quartile_method: str = "linear") -> Descriptives:
    """Describe one variable.

    Parameters
    ----------
    values : array_like
        Finite numbers (drop missing values first).
    ddof : {1, 0}
        Delta degrees of freedom of the SD: 1 = sample SD (Excel STDEV.S, R ``sd``),
        0 = population SD (Excel STDEV.P).
    quartile_method : str
        See :data:`QUARTILE_METHODS`; default Excel QUARTILE.INC (R type 7).

    Returns
    -------
    Descriptives
        ``sd`` is NaN when n ≤ ddof.

    Examples
    --------
    Hand calculation for 6.3, 7.5, 12.4: mean 26.2 / 3 = 8.7333; squared deviations
    5.9211 + 1.5211 + 13.4444 = 20.8867, / 2 = 10.4433, SD = √10.4433 = 3.2316.

    >>> d = describe([6.3, 7.5, 12.4])
    >>> round(d.mean, 4), round(d.sd, 4), d.median, d.q1
    (8.7333, 3.2316, 7.5, 6.9)
    """
    if ddof not in (0, 1):
        raise ConventionError(f"ddof={ddof!r} must be 1 (sample SD) or 0 (population SD)")
    array = as_vector(values, name="values")
    sd = float(np.std(array, ddof=ddof)) if array.size > ddof else float("nan")
    return Descriptives(
        n=int(array.size),
        mean=float(np.mean(array)),
        sd=sd,
        minimum=float(np.min(array)),
        maximum=float(np.max(array)),
        median=float(np.median(array)),
        q1=quantile(array, 0.25, method=quartile_method),
        q3=quantile(array, 0.75, method=quartile_method),
        ddof=ddof,
        quartile_method=quartile_method,
    )
