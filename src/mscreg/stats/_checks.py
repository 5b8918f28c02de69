"""Input checks shared by the statistics and design functions (arguments in, clear errors out).

Which exception a check raises follows :mod:`mscreg.errors`:

- a bad option value (``alternative``, ``ci_level``, a method name) is
  :class:`~mscreg.errors.ConventionError`;
- too few observations, or observations that do not vary, is
  :class:`~mscreg.errors.InsufficientDataError`;
- malformed numbers and lengths are :class:`ValueError`. Callers whose errors go
  straight to the command line (the trial-design layer) pass ``error=InputError`` to
  the scalar checks instead, so that the CLI maps them to an exit code.

Every message shows the bad value with ``!r`` and says what was expected.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mscreg.errors import ConventionError, InsufficientDataError

ALTERNATIVES = ("two-sided", "less", "greater")


# --------------------------------------------------------------------------- arrays
def as_vector(
    values: ArrayLike, *, name: str, min_n: int = 1, what: str = "this statistic"
) -> NDArray[np.float64]:
    """Return ``values`` as a 1-D float array of finite numbers with at least ``min_n`` items.

    ``what`` names the statistic in the :class:`~mscreg.errors.InsufficientDataError`
    raised when there are fewer than ``min_n`` values.

    Examples
    --------
    >>> as_vector([1, 2.5], name="x")
    array([1. , 2.5])
    >>> as_vector([1.0, float("nan")], name="after")
    Traceback (most recent call last):
    ...
    ValueError: after[1] is nan; expected finite numbers (drop missing values first)
    """
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers; got {values!r}") from None
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got an array of shape {array.shape!r}")
    if not np.all(np.isfinite(array)):
        bad = int(np.flatnonzero(~np.isfinite(array))[0])
        raise ValueError(f"{name}[{bad}] is {float(array[bad])!r}; expected finite numbers (drop missing values first)")
    check_min_n(array, name=name, min_n=min_n, what=what)
    return array


def check_min_n(array: NDArray[np.float64], *, name: str, min_n: int, what: str = "this statistic") -> None:
    """Raise InsufficientDataError unless ``array`` holds at least ``min_n`` values."""
    if array.size < min_n:
        raise InsufficientDataError(f"{name} has {array.size} value(s); {what} needs at least {min_n}")


def check_same_length(**arrays: NDArray[np.float64]) -> None:
    """Raise ValueError unless every array has the length of the first (one value per patient).

    Examples
    --------
    >>> check_same_length(change=np.zeros(3), baseline=np.zeros(3), dose=np.zeros(2))
    Traceback (most recent call last):
    ...
    ValueError: change has 3 values but dose has 2; they must pair up (one value per patient)
    """
    (first, reference), *rest = arrays.items()
    for name, array in rest:
        if array.size != reference.size:
            raise ValueError(
                f"{first} has {reference.size} values but {name} has {array.size}; "
                "they must pair up (one value per patient)"
            )


def as_pair(
    x: ArrayLike, y: ArrayLike, *, names: tuple[str, str], min_n: int, what: str = "this statistic"
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Two equal-length vectors of at least ``min_n`` values (see :func:`as_vector`)."""
    a = as_vector(x, name=names[0], min_n=0)
    b = as_vector(y, name=names[1], min_n=0)
    check_same_length(**{names[0]: a, names[1]: b})
    check_min_n(a, name=names[0], min_n=min_n, what=what)
    return a, b


def check_values(
    array: NDArray[np.float64],
    *,
    name: str,
    low: float | None = None,
    high: float | None = None,
    inclusive: str = "both",
    what: str = "",
) -> None:
    """Raise ValueError at the first value of ``array`` outside the bounds (see :func:`check_number`).

    Examples
    --------
    >>> check_values(np.array([100.0, 0.0]), name="dose", low=0, inclusive="neither", what="to take its logarithm")
    Traceback (most recent call last):
    ...
    ValueError: dose must be > 0 (to take its logarithm); position 1 holds 0.0
    """
    inside = _inside(array, low, high, inclusive)
    if not np.all(inside):
        bad = int(np.flatnonzero(~inside)[0])
        raise ValueError(f"{name} must {_bounds(low, high, inclusive)}{_why(what)}; position {bad} holds {float(array[bad])!r}")


def check_varies(values: NDArray[np.float64], *, name: str, what: str) -> None:
    """Raise InsufficientDataError when every value of ``values`` is the same."""
    if values.size and np.ptp(values) == 0:
        raise InsufficientDataError(f"{what} needs {name} to vary; all {values.size} values equal {float(values[0])!r}")


# --------------------------------------------------------------------------- options
def check_option(value: object, *, name: str, choices: Sequence[str], what: str = "") -> str:
    """Return ``value`` if it is one of ``choices``, else raise ConventionError.

    ``what`` adds a few words on why only these choices make sense.

    Examples
    --------
    >>> check_option("holm", name="correction", choices=("bonferroni", "dunnett"))
    Traceback (most recent call last):
    ...
    mscreg.errors.ConventionError: correction='holm' is not one of 'bonferroni', 'dunnett'
    """
    if not isinstance(value, str) or value not in choices:
        raise ConventionError(f"{name}={value!r} is not one of {', '.join(map(repr, choices))}{_why(what)}")
    return value


def check_alternative(alternative: object) -> str:
    """Return ``alternative`` if it is one of :data:`ALTERNATIVES`, else raise ConventionError."""
    return check_option(alternative, name="alternative", choices=ALTERNATIVES)


def check_ci_level(ci_level: object, *, name: str = "ci_level", example: float = 0.95) -> float:
    """Return a level (``ci_level``, ``alpha``, ...) as a float if strictly between 0 and 1.

    Anything else, including text and percentages such as 95, raises ConventionError;
    ``example`` is the typical value shown in the message.

    Examples
    --------
    >>> check_ci_level(95)
    Traceback (most recent call last):
    ...
    mscreg.errors.ConventionError: ci_level=95 must be strictly between 0 and 1 (a number, e.g. 0.95)
    """
    if not _is_real(ci_level) or not 0.0 < float(ci_level) < 1.0:  # type: ignore[arg-type]
        raise ConventionError(f"{name}={ci_level!r} must be strictly between 0 and 1 (a number, e.g. {example:g})")
    return float(ci_level)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- scalars
def check_number(
    value: object,
    *,
    name: str,
    low: float | None = None,
    high: float | None = None,
    inclusive: str = "both",
    what: str = "",
    error: type[Exception] = ValueError,
) -> float:
    """Return ``value`` as a finite float within optional bounds, else raise ``error``.

    ``inclusive`` says which bounds are allowed, in pandas' words (``"both"``,
    ``"neither"``, ``"left"``, ``"right"``); ``what`` says in a few words what the
    number is and goes into the message. Text and booleans are not numbers.

    Examples
    --------
    >>> check_number(0.5, name="rho", low=-1, high=1, inclusive="neither")
    0.5
    >>> check_number(1.0, name="dropout", low=0, high=1, inclusive="left", what="fraction not analysed")
    Traceback (most recent call last):
    ...
    ValueError: dropout must lie in [0, 1) (fraction not analysed); got 1.0
    """
    if not _is_real(value) or not math.isfinite(float(value)):  # type: ignore[arg-type]
        raise error(f"{name} must be a finite number{_why(what)}; got {value!r}")
    number = float(value)  # type: ignore[arg-type]
    if not _inside(number, low, high, inclusive):
        raise error(f"{name} must {_bounds(low, high, inclusive)}{_why(what)}; got {value!r}")
    return number


def check_int(
    value: object,
    *,
    name: str,
    minimum: int,
    maximum: int | None = None,
    what: str = "",
    error: type[Exception] = ValueError,
) -> int:
    """Return ``value`` as an int if it is a whole number in ``[minimum, maximum]``, else raise ``error``.

    Examples
    --------
    >>> check_int(10, name="n_resamples", minimum=99)
    Traceback (most recent call last):
    ...
    ValueError: n_resamples must be a whole number >= 99; got 10
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or value < minimum
        or (maximum is not None and value > maximum)
    ):
        expected = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        raise error(f"{name} must be a whole number {expected}{_why(what)}; got {value!r}")
    return int(value)


def check_seed(seed: object, *, error: type[Exception] = ValueError) -> int:
    """The seed to use and record: ``seed`` itself, or fresh entropy when it is None.

    Examples
    --------
    >>> check_seed(7)
    7
    >>> 0 <= check_seed(None) < 2**32
    True
    """
    if seed is None:
        return secrets.randbits(32)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise error(f"seed must be a non-negative whole number or None; got {seed!r}")
    return int(seed)


# --------------------------------------------------------------------------- helpers
def _is_real(value: object) -> bool:
    """A real number: int, float or NumPy scalar, but not a bool or text."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _inside(
    value: float | NDArray[np.float64], low: float | None, high: float | None, inclusive: str
) -> bool | NDArray[np.bool_]:
    """``value`` (a number or an array) within the bounds, element-wise."""
    ok: bool | NDArray[np.bool_] = np.ones_like(value, dtype=bool) if isinstance(value, np.ndarray) else True
    if low is not None:
        ok = ok & ((value >= low) if inclusive in ("both", "left") else (value > low))
    if high is not None:
        ok = ok & ((value <= high) if inclusive in ("both", "right") else (value < high))
    return ok


def _bounds(low: float | None, high: float | None, inclusive: str) -> str:
    """The bounds in words, after "must": ``be > 0``, ``lie in [0, 1)``, ``lie strictly between -1 and 1``."""
    if high is None:
        return f"be {'>=' if inclusive in ('both', 'left') else '>'} {low:g}"
    if low is None:
        return f"be {'<=' if inclusive in ('both', 'right') else '<'} {high:g}"
    if inclusive == "neither":
        return f"lie strictly between {low:g} and {high:g}"
    left = "[" if inclusive in ("both", "left") else "("
    right = "]" if inclusive in ("both", "right") else ")"
    return f"lie in {left}{low:g}, {high:g}{right}"


def _why(what: str) -> str:
    return f" ({what})" if what else ""
