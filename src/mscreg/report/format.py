"""How numbers look in the report: decimals, p-values, intervals. Display only.

Every function takes a number a result object holds and returns text; none computes a
statistic. Rounding is half-up on the decimal a spreadsheet would show
(:func:`mscreg.stats.rounding.round_value`); negative numbers get a true minus sign (−).
"""

from __future__ import annotations

import math
from typing import Any

from mscreg.stats.rounding import round_value

__all__ = ["MINUS", "ci", "num", "pct", "pval"]

#: The minus sign used in the report (U+2212), wider and clearer than a hyphen.
MINUS = "\u2212"
_MISSING = "—"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def num(value: Any, digits: int = 2, *, signed: bool = False) -> str:
    """``value`` with ``digits`` decimals (half-up); '—' when missing.

    Examples
    --------
    >>> num(-0.7931), num(7.4931, 1), num(58, 0), num(None), num(0.25, 1, signed=True)
    ('−0.79', '7.5', '58', '—', '+0.3')
    """
    if _missing(value):
        return _MISSING
    rounded = round_value(float(value), digits)
    if rounded == 0:
        rounded = 0.0  # no "−0.00"
    text = f"{abs(rounded):.{digits}f}"
    if rounded < 0:
        return MINUS + text
    return ("+" + text) if signed and rounded > 0 else text


def ci(low: Any, high: Any, digits: int = 2) -> str:
    """An interval as 'low to high'.

    Examples
    --------
    >>> ci(-1.0843, -0.5019)
    '−1.08 to −0.50'
    """
    return f"{num(low, digits)} to {num(high, digits)}"


def pval(p: Any) -> str:
    """A p-value: two significant digits, scientific below 0.0001 (never printed as 0).

    Examples
    --------
    >>> pval(0.019488), pval(0.5512), pval(0.0054018), pval(1.0638e-06), pval(1.0)
    ('0.019', '0.55', '0.0054', '1.1 × 10^−6', '1.0')
    """
    if _missing(p):
        return _MISSING
    p = float(p)
    if p == 0:
        return "0"
    if p < 1e-4:
        mantissa, exponent = f"{p:.1e}".split("e")
        return f"{mantissa} × 10^{MINUS}{int(exponent[1:])}"
    decimals = 1 - math.floor(math.log10(p))
    return f"{round_value(p, decimals):.{decimals}f}"


def pct(share: Any, digits: int = 0) -> str:
    """A proportion (0–1) as a percentage.

    Examples
    --------
    >>> pct(0.0862), pct(0.0862, 1)
    ('9 %', '8.6 %')
    """
    if _missing(share):
        return _MISSING
    return f"{num(100 * float(share), digits)} %"
