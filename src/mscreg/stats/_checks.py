"""Input checks shared by the statistics functions (arrays in, clear errors out)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mscreg.errors import ConventionError, InsufficientDataError

ALTERNATIVES = ("two-sided", "less", "greater")


def as_vector(values: ArrayLike, *, name: str, min_n: int = 1) -> NDArray[np.float64]:
    """Return ``values`` as a 1-D float array of finite numbers with at least ``min_n`` items."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers, got {values!r}") from None
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        bad = int(np.flatnonzero(~np.isfinite(array))[0])
        raise ValueError(f"{name}[{bad}] is {float(array[bad])!r}; expected finite numbers (drop missing values first)")
    if array.size < min_n:
        raise InsufficientDataError(f"{name} has {array.size} value(s); this statistic needs at least {min_n}")
    return array


def as_pair(x: ArrayLike, y: ArrayLike, *, names: tuple[str, str], min_n: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Two equal-length vectors (see :func:`as_vector`)."""
    a = as_vector(x, name=names[0], min_n=min_n)
    b = as_vector(y, name=names[1], min_n=min_n)
    if a.size != b.size:
        raise ValueError(f"{names[0]} has {a.size} values but {names[1]} has {b.size}; they must pair up")
    return a, b


def check_alternative(alternative: str) -> str:
    """Return ``alternative`` if it is one of :data:`ALTERNATIVES`, else raise ConventionError."""
    if alternative not in ALTERNATIVES:
        raise ConventionError(f"alternative={alternative!r} is not one of {', '.join(map(repr, ALTERNATIVES))}")
    return alternative


def check_ci_level(ci_level: float) -> float:
    """Return ``ci_level`` if strictly between 0 and 1, else raise ConventionError."""
    if not 0.0 < float(ci_level) < 1.0:
        raise ConventionError(f"ci_level={ci_level!r} must be strictly between 0 and 1 (e.g. 0.95)")
    return float(ci_level)
