"""Intervals that define subgroups (severity bands, dose groups), with explicit ends.

Whether a boundary value belongs to the group below or above changes results (the seed
study's "moderate 6.2–8 %" and "severe > 8 %" say nothing about 8.0 itself in the first
and exclude it in the second), so every band carries ``inclusive`` in pandas' words:
``"both"``, ``"neither"``, ``"left"`` (lower end in, upper end out) or ``"right"``.
An open end (``None``) is unbounded and the word for it is ignored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mscreg.errors import ConventionError

__all__ = [
    "DEFAULT_DOSE_GROUPS",
    "DEFAULT_SEVERITY_GROUPS",
    "INCLUSIVE_CHOICES",
    "Band",
    "Inclusive",
    "dose_groups",
]

Inclusive = Literal["both", "neither", "left", "right"]
INCLUSIVE_CHOICES: tuple[str, ...] = ("both", "neither", "left", "right")


def _check_inclusive(inclusive: str) -> None:
    if inclusive not in INCLUSIVE_CHOICES:
        raise ConventionError(f"inclusive={inclusive!r} is not one of {', '.join(map(repr, INCLUSIVE_CHOICES))}")


def _fmt(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True, kw_only=True)
class Band:
    """A named interval ``lower .. upper`` with explicit inclusive ends.

    Parameters
    ----------
    name : str
        Label of the group, e.g. ``"severe"``.
    lower, upper : float or None
        Ends of the interval; ``None`` leaves that side open.
    inclusive : {"both", "neither", "left", "right"}
        Which ends belong to the band (pandas' ``Series.between`` vocabulary).

    Examples
    --------
    >>> severe = Band(name="severe", lower=8.0, inclusive="neither")
    >>> severe.contains([7.9, 8.0, 8.1]).tolist()
    [False, False, True]
    >>> severe.label()
    '> 8'
    >>> severe.with_inclusive("both").contains([8.0]).tolist()
    [True]
    """

    name: str
    lower: float | None = None
    upper: float | None = None
    inclusive: Inclusive = "both"

    def __post_init__(self) -> None:
        _check_inclusive(self.inclusive)
        for end in (self.lower, self.upper):
            if end is not None and not math.isfinite(end):
                raise ConventionError(f"band {self.name!r}: ends must be finite numbers or None, got {end!r}")
        if self.lower is None and self.upper is None:
            raise ConventionError(f"band {self.name!r}: give a lower end, an upper end or both")
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise ConventionError(f"band {self.name!r}: lower end {self.lower!r} is above upper end {self.upper!r}")

    @property
    def lower_inclusive(self) -> bool:
        """Whether the lower end belongs to the band."""
        return self.inclusive in ("both", "left")

    @property
    def upper_inclusive(self) -> bool:
        """Whether the upper end belongs to the band."""
        return self.inclusive in ("both", "right")

    def contains(self, values: ArrayLike) -> NDArray[np.bool_]:
        """Boolean mask of ``values`` inside the band (NaN is never inside)."""
        array = np.asarray(values, dtype=float)
        mask = ~np.isnan(array)
        if self.lower is not None:
            mask &= array >= self.lower if self.lower_inclusive else array > self.lower
        if self.upper is not None:
            mask &= array <= self.upper if self.upper_inclusive else array < self.upper
        return mask

    def with_inclusive(self, inclusive: Inclusive) -> Band:
        """The same band with other inclusive ends."""
        return replace(self, inclusive=inclusive)

    def label(self) -> str:
        """The band in mathematical notation: ``'≥ 6.2 and < 8'``, ``'> 8'``."""
        parts = []
        if self.lower is not None:
            parts.append(("≥ " if self.lower_inclusive else "> ") + _fmt(self.lower))
        if self.upper is not None:
            parts.append(("≤ " if self.upper_inclusive else "< ") + _fmt(self.upper))
        return " and ".join(parts)

    def to_dict(self) -> dict[str, object]:
        """Plain-dict form (name, lower, upper, inclusive, label)."""
        return {"name": self.name, "lower": self.lower, "upper": self.upper, "inclusive": self.inclusive, "label": self.label()}


#: Severity groups as the seed study states them (HbA1c %, Matsuoka et al. 2025, Methods):
#: moderate "6.2–8 %" (read as both ends inclusive) and severe "> 8 %".
DEFAULT_SEVERITY_GROUPS: tuple[Band, ...] = (
    Band(name="moderate", lower=6.2, upper=8.0, inclusive="both"),
    Band(name="severe", lower=8.0, inclusive="neither"),
)


def dose_groups(cuts: tuple[float, ...] | list[float], *, inclusive: Literal["left", "right"] = "left") -> tuple[Band, ...]:
    """Contiguous dose bands cut at ``cuts`` (million cells).

    With ``inclusive="left"`` each cut belongs to the band above it (``< 1000`` and
    ``≥ 1000``), with ``"right"`` to the band below it (``≤ 1000`` and ``> 1000``).

    Examples
    --------
    >>> [b.label() for b in dose_groups([1000, 1500])]
    ['< 1000', '≥ 1000 and < 1500', '≥ 1500']
    >>> [b.name for b in dose_groups([1000], inclusive="right")]
    ['dose ≤ 1000', 'dose > 1000']
    """
    if inclusive not in ("left", "right"):
        raise ConventionError(f"inclusive={inclusive!r} for dose groups must be 'left' or 'right'")
    edges = sorted(float(c) for c in cuts)
    if not edges:
        raise ConventionError("dose groups need at least one cut point")
    if len(set(edges)) != len(edges):
        raise ConventionError(f"dose cut points must be distinct, got {list(cuts)!r}")
    bounds = [None, *edges, None]
    bands = []
    for low, high in zip(bounds[:-1], bounds[1:]):
        band = Band(name="dose", lower=low, upper=high, inclusive=inclusive)
        bands.append(replace(band, name=f"dose {band.label()}"))
    return tuple(bands)


#: The seed study's dose comparison: below vs at least 1 billion cells (Results).
DEFAULT_DOSE_GROUPS: tuple[Band, ...] = dose_groups([1000.0])
