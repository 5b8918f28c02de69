"""Rounding rules used to compare a recomputed number with a reported one.

Reported numbers are rounded by someone's software with some rule. mscreg makes the rule
a named convention:

* ``"half-up"`` — ties away from zero, as Excel's ROUND and most hand rounding do;
* ``"half-even"`` — ties to the even digit (IEEE 754 default; Python's ``round``, R's
  ``round``);
* ``"truncate"`` — digits dropped (toward zero), as Excel's TRUNC/ROUNDDOWN or a
  number format applied to an integer part.

Floats are first written with 15 significant digits (what Excel keeps), so that a value
such as 1.545 stored as 1.54499999… is rounded as the decimal 1.545 a spreadsheet shows.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext

from mscreg.errors import ConventionError

__all__ = ["ROUNDING_RULES", "decimals_of", "round_value"]

ROUNDING_RULES: dict[str, str] = {
    "half-up": ROUND_HALF_UP,
    "half-even": ROUND_HALF_EVEN,
    "truncate": ROUND_DOWN,
}


def round_value(value: float, decimals: int, *, rule: str = "half-up") -> float:
    """Round ``value`` to ``decimals`` places with the named ``rule``.

    Parameters
    ----------
    value : float
    decimals : int
        Digits after the decimal point (may be negative: ``-1`` rounds to tens).
    rule : {"half-up", "half-even", "truncate"}

    Examples
    --------
    >>> round_value(35.5, 0), round_value(35.5, 0, rule="truncate"), round_value(34.5, 0, rule="half-even")
    (36.0, 35.0, 34.0)
    >>> round_value(1.545, 2)  # the binary float is 1.54499999..., the decimal shown is 1.545
    1.55
    """
    if rule not in ROUNDING_RULES:
        raise ConventionError(f"rounding rule {rule!r} is not one of {', '.join(map(repr, ROUNDING_RULES))}")
    exact = Decimal(format(float(value), ".15g"))
    quantum = Decimal(1).scaleb(-decimals)
    with localcontext() as context:
        context.prec = 400  # enough digits for any float at any sensible number of decimals
        return float(exact.quantize(quantum, rounding=ROUNDING_RULES[rule]))


def decimals_of(text: str) -> int:
    """Number of digits after the decimal point in a number as written.

    Examples
    --------
    >>> decimals_of("7.49"), decimals_of("8"), decimals_of("0.0000002"), decimals_of("6.70")
    (2, 0, 7, 2)
    """
    text = text.strip()
    if "e" in text.lower():
        return max(0, -Decimal(text).as_tuple().exponent)  # type: ignore[operator]
    return len(text.split(".", 1)[1]) if "." in text else 0
