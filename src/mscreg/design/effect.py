"""The effect to design the randomised trial for.

A single-arm cohort's mean fall in HbA1c is not the effect of MSCs. Part of it is
regression to the mean (patients were enrolled because their HbA1c was high) and part is
the response a placebo arm would show (trial entry, closer care, co-medication
changes). What a randomised trial can detect is the remainder:

    design effect = −(observed change − RTM change − placebo change)

with every change defined as after − before (a fall is negative). The design effect is
therefore a *reduction* (control − active, positive = MSCs lower HbA1c), the sign
convention of :func:`mscreg.design.power.solve_design`.

Both corrections are uncertain, so the effect is returned as a range over a grid of
scenarios (low, median, high), never as one optimistic number. Design for the low end.

References
----------
Barnett AG, van der Pols JC, Dobson AJ. Regression to the mean: what it is and how to
deal with it. Int J Epidemiol 2005;34:215-220 (the RTM expectation to feed in here).
Gale EAM et al. / Diabetes Care 2007 (PMID 17804681): trial entry alone lowers HbA1c by
about 0.2-0.5 %. Zang L et al. Stem Cell Res Ther 2022: placebo arm change −0.63 % over
48 weeks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mscreg.design.power import _check_effect, _number
from mscreg.errors import InputError
from mscreg.stats._result import Result

__all__ = ["DesignEffect", "effect_from_cohort", "effect_from_user"]


@dataclass(frozen=True, kw_only=True)
class DesignEffect(Result):
    """The effect (HbA1c reduction, control − active, %) to size a trial for.

    Attributes
    ----------
    source : str
        ``"cohort"`` (derived by :func:`effect_from_cohort`) or ``"user"``.
    effect_low, effect_median, effect_high : float
        Minimum, median and maximum design effect over the scenarios.
    scenarios : tuple of float
        The design effect of every scenario (RTM value × placebo value), sorted.
    fraction_explained : float
        Fraction of scenarios in which RTM and placebo explain the whole observed change
        (design effect ≤ 0): nothing left for a trial to detect.
    observed_change : float
        Observed mean change (after − before) in the cohort; ``nan`` for a user effect.
    rtm_change_min, rtm_change_max : float
        Range of the regression-to-the-mean changes supplied (negative = fall).
    placebo_change_low, placebo_change_high : float
        Range of the placebo changes supplied (negative = fall).
    statement : str
        The result in plain words.
    """

    source: str
    effect_low: float
    effect_median: float
    effect_high: float
    scenarios: tuple[float, ...]
    fraction_explained: float
    observed_change: float
    rtm_change_min: float
    rtm_change_max: float
    placebo_change_low: float
    placebo_change_high: float
    statement: str

    def summary(self) -> str:
        """The plain-words statement."""
        return self.statement

    def effects(self) -> tuple[float, float, float]:
        """``(low, median, high)``, e.g. for :func:`mscreg.design.power.power_curve`."""
        return (self.effect_low, self.effect_median, self.effect_high)


def _fall(name: str, value: Any) -> float:
    return _number(
        value,
        name=name,
        high=0,
        inclusive="both",
        what="changes are after - before and a fall is negative; was a fall given as a positive number?",
    )


def effect_from_cohort(
    *,
    observed_change: float,
    rtm_change: float | Sequence[float] | np.ndarray,
    placebo_change: float | tuple[float, float],
) -> DesignEffect:
    """Design effect from a cohort's observed change, net of RTM and placebo response.

    Formula
    -------
    For every regression-to-the-mean value ``R`` in ``rtm_change`` and every placebo
    value ``P`` (the single number, or low, midpoint and high of a range)::

        effect(R, P) = −(observed_change − R − P)

    all changes being after − before. The result reports the minimum, median and maximum
    over the ``len(rtm_change) × (1 or 3)`` scenarios.

    Parameters
    ----------
    observed_change : float
        Mean HbA1c change (after − before, %) in the treated cohort, e.g. −1.0.
    rtm_change : float or array-like
        Expected change with no effect from regression to the mean (≤ 0), one value or a
        grid over plausible ρ and μ (Barnett et al. 2005).
    placebo_change : float or (float, float)
        Expected change in a placebo arm (≤ 0), or a (low, high) range, e.g.
        ``(-0.5, -0.2)`` for the trial-entry effect of 0.2-0.5 %.

    Returns
    -------
    DesignEffect
        With ``source="cohort"`` and a plain-words ``statement``.

    Raises
    ------
    mscreg.errors.InputError
        Non-finite values, an empty RTM grid, or a positive RTM or placebo change (a rise,
        usually a sign mistake).

    Assumptions
    -----------
    The RTM and placebo responses add; the MSC effect in a randomised trial equals the
    cohort's change net of both (no selection of responders, no co-intervention).

    Examples
    --------
    A cohort fell by 1.0 %; RTM is expected to explain 0.2-0.4 % and placebo 0.2-0.5 %:

    >>> res = effect_from_cohort(observed_change=-1.0, rtm_change=[-0.4, -0.3, -0.2],
    ...                          placebo_change=(-0.5, -0.2))
    >>> res.effects()
    (0.1, 0.35, 0.6)
    >>> print(res.statement)   # doctest: +ELLIPSIS
    Observed mean change -1.00 %. Regression to the mean is expected to explain a fall of
    0.20 to 0.40 % and the placebo response a fall of 0.20 to 0.50 %. The fall left for MSCs
    to explain is 0.10 to 0.60 % (median 0.35 %) over 9 scenarios. ...
    """
    observed = _number(observed_change, name="observed_change")
    rtm = np.atleast_1d(np.asarray(rtm_change, dtype=float)).ravel() if _is_numeric(rtm_change) else None
    if rtm is None:
        raise InputError(f"rtm_change must be a number or an array of numbers; got {rtm_change!r}")
    if rtm.size == 0:
        raise InputError("rtm_change must hold at least one value; got an empty grid")
    for value in rtm:
        _fall("rtm_change", float(value))
    if isinstance(placebo_change, (list, tuple, np.ndarray)):
        if len(placebo_change) != 2:
            raise InputError(f"placebo_change must be one number or a (low, high) pair; got {placebo_change!r}")
        first, second = (_fall("placebo_change", v) for v in placebo_change)
        p_low, p_high = min(first, second), max(first, second)
        placebo = np.array([p_low, (p_low + p_high) / 2, p_high]) if p_low != p_high else np.array([p_low])
    else:
        p_low = p_high = _fall("placebo_change", placebo_change)
        placebo = np.array([p_low])

    grid = -(observed - rtm[:, None] - placebo[None, :])
    values = np.sort(grid.ravel())
    low, median, high = float(values[0]), float(np.median(values)), float(values[-1])
    explained = float(np.mean(values <= 0))
    n = values.size
    statement = (
        f"Observed mean change {observed:.2f} %. Regression to the mean is expected to explain a fall of "
        f"{-rtm.max():.2f} to {-rtm.min():.2f} % and the placebo response a fall of {-p_high:.2f} to {-p_low:.2f} %. "
    )
    if high <= 0:
        statement += (
            f"In all {n} scenarios these explain the whole observed change: the cohort gives no effect "
            "to design a trial for."
        )
    else:
        statement += (
            f"The fall left for MSCs to explain is {low:.2f} to {high:.2f} % (median {median:.2f} %) "
            f"over {n} scenarios. "
        )
        if explained > 0:
            statement += (
                f"In {int(round(explained * n))} of {n} scenarios nothing is left to detect; a trial sized "
                "on the median may be futile."
            )
        else:
            statement += "Size the trial for the low end; the median is not a safe choice."
    return DesignEffect(
        source="cohort",
        effect_low=low,
        effect_median=median,
        effect_high=high,
        scenarios=tuple(float(v) for v in values),
        fraction_explained=explained,
        observed_change=observed,
        rtm_change_min=float(rtm.min()),
        rtm_change_max=float(rtm.max()),
        placebo_change_low=p_low,
        placebo_change_high=p_high,
        statement=statement,
    )


def _is_numeric(value: Any) -> bool:
    try:
        np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return False
    return True


def effect_from_user(effect: float) -> DesignEffect:
    """Wrap an effect chosen by the user (e.g. the 0.5 % clinically relevant difference).

    Parameters
    ----------
    effect : float
        HbA1c reduction, control − active (%), not zero.

    Returns
    -------
    DesignEffect
        ``source="user"``; low = median = high = ``effect``; the cohort fields are ``nan``.

    Examples
    --------
    >>> res = effect_from_user(0.5)
    >>> res.effects()
    (0.5, 0.5, 0.5)
    >>> res.statement
    'User-given effect 0.50 % (control - active); not derived from cohort data.'
    """
    value = _check_effect(effect)
    nan = math.nan
    return DesignEffect(
        source="user",
        effect_low=value,
        effect_median=value,
        effect_high=value,
        scenarios=(value,),
        fraction_explained=0.0 if value > 0 else 1.0,
        observed_change=nan,
        rtm_change_min=nan,
        rtm_change_max=nan,
        placebo_change_low=nan,
        placebo_change_high=nan,
        statement=f"User-given effect {value:.2f} % (control - active); not derived from cohort data.",
    )
