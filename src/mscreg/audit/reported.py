"""Reported values as a paper states them, and whether a recomputed value matches.

A reported value is written as text in the claims file and parsed into one of:

* :class:`Point` — ``"7.49"``, ``"p = 0.0122"``, ``"r = 0.041"``, ``"61"``, ``"59%"``:
  matches when the recomputed value, rounded to the same number of decimals with the
  rounding rule in force, equals it;
* :class:`Bound` — ``"p < 0.0001"``, ``"> 0.05"``, ``"≥ 6.2"``: matches when the
  unrounded recomputed value satisfies the inequality;
* :class:`Range` — ``"6.3–12.4"``, ``"15.25 - 45.75"``, ``"6 to 68"``: a pair of points
  (for ``range`` and ``iqr`` statistics, or min/max style pairs);
* :class:`Significance` — ``"not significant"``, ``"no significant correlation"``,
  ``"significant"``: a p-value compared with the study's alpha.

The number of decimals is read from the text, so write ``"6.70"`` when the paper prints
6.70 (the loader keeps YAML scalars as text).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from mscreg.errors import ClaimsFileError
from mscreg.stats.rounding import decimals_of, round_value

__all__ = ["Bound", "Point", "Range", "Reported", "Significance", "parse_reported"]

_NUM = r"[-+−]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
#: Statistic labels that may precede a value: "p = ...", "r(56) = ...", "t < ...".
_LABEL = r"(?:p|r|t|n|z|d|g|F|b|M|SD|rho|ρ|β|tau|τ|mean|median|OR|RR|HR)\s*(?:\([^)]*\))?\s*"
_OPS = {"<": "<", ">": ">", "<=": "<=", ">=": ">=", "≤": "<=", "≥": ">=", "=": "=", "==": "=", "≈": "="}
_POINT_RE = re.compile(rf"^(?:{_LABEL}(=|==|≈)\s*)?({_NUM})\s*%?$")
_BOUND_RE = re.compile(rf"^(?:{_LABEL})?(<=|>=|<|>|≤|≥)\s*({_NUM})\s*%?$")
_RANGE_RE = re.compile(rf"^({_NUM})\s*%?\s*(?:–|—|-|to|\.\.)\s*({_NUM})\s*%?$")
_NOT_SIG_RE = re.compile(r"^(?:not|no|non)[\s-]+(?:statistically\s+)?significant\b.*$", re.IGNORECASE)
_SIG_RE = re.compile(r"^(?:statistically\s+)?significant\b.*$", re.IGNORECASE)


def _number(text: str) -> float:
    return float(text.replace("−", "-"))


@dataclass(frozen=True)
class Point:
    """A number printed with ``decimals`` digits after the point."""

    value: float
    decimals: int
    text: str

    def matches(self, recomputed: float, *, rounding: str) -> bool:
        """Whether ``recomputed`` rounds to this value under ``rounding``."""
        if not math.isfinite(recomputed):
            return False
        return math.isclose(round_value(recomputed, self.decimals, rule=rounding), self.value, rel_tol=0, abs_tol=1e-12)

    def interval(self, *, rounding: str) -> tuple[float, float, bool, bool]:
        """The true values that print as this number: (low, high, low_closed, high_closed)."""
        step = 10.0 ** -self.decimals
        if rounding == "truncate":
            if self.value >= 0:
                return self.value, self.value + step, True, False
            return self.value - step, self.value, False, True
        return self.value - step / 2, self.value + step / 2, True, True

    def distance(self, recomputed: float) -> float:
        """Absolute distance to ``recomputed`` (for picking the closest miss)."""
        return abs(recomputed - self.value)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Bound:
    """An inequality such as ``p < 0.0001``."""

    op: str
    value: float
    text: str

    def matches(self, recomputed: float, *, rounding: str | None = None) -> bool:
        """Whether the unrounded ``recomputed`` satisfies the inequality."""
        if not math.isfinite(recomputed):
            return False
        return {"<": recomputed < self.value, "<=": recomputed <= self.value,
                ">": recomputed > self.value, ">=": recomputed >= self.value}[self.op]

    def interval(self, *, rounding: str) -> tuple[float, float, bool, bool]:
        """The values satisfying the bound."""
        if self.op in ("<", "<="):
            return -math.inf, self.value, False, self.op == "<="
        return self.value, math.inf, self.op == ">=", False

    def distance(self, recomputed: float) -> float:
        return 0.0 if self.matches(recomputed) else abs(recomputed - self.value)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Range:
    """Two printed numbers, low and high (a range or an interquartile range)."""

    low: Point
    high: Point
    text: str

    def matches(self, recomputed: tuple[float, float], *, rounding: str) -> bool:
        """Whether both ends match (see :meth:`Point.matches`)."""
        return self.low.matches(recomputed[0], rounding=rounding) and self.high.matches(recomputed[1], rounding=rounding)

    def distance(self, recomputed: tuple[float, float]) -> float:
        return self.low.distance(recomputed[0]) + self.high.distance(recomputed[1])

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Significance:
    """A verbal statement that a test was (not) significant at the study's alpha."""

    significant: bool
    text: str

    def matches(self, p_value: float, *, alpha: float) -> bool:
        """Whether ``p_value`` agrees with the statement at ``alpha``."""
        if not math.isfinite(p_value):
            return False
        return (p_value < alpha) == self.significant

    def __str__(self) -> str:
        return self.text


Reported = Point | Bound | Range | Significance


def parse_reported(text: str, *, where: str = "reported") -> Reported:
    """Parse a reported value written as text.

    Raises
    ------
    mscreg.errors.ClaimsFileError
        When the text is none of the documented forms.

    Examples
    --------
    >>> parse_reported("p < 0.0000002")
    Bound(op='<', value=2e-07, text='p < 0.0000002')
    >>> parse_reported("7.49")
    Point(value=7.49, decimals=2, text='7.49')
    >>> parse_reported("15.25–45.75").high
    Point(value=45.75, decimals=2, text='45.75')
    >>> parse_reported("no significant correlation").significant
    False
    """
    raw = str(text).strip()
    if len(re.sub(r"[^0-9]", "", raw)) > 30:
        raise ClaimsFileError(f"{where}: {raw!r} has more digits than any printed statistic; expected a value as the paper prints it")
    cleaned = raw.replace("−", "-").replace("\u2009", " ").replace("\u00a0", " ")
    if match := _RANGE_RE.match(cleaned):
        low, high = match.group(1), match.group(2)
        return Range(Point(_number(low), decimals_of(low), low), Point(_number(high), decimals_of(high), high), raw)
    if match := _BOUND_RE.match(cleaned):
        return Bound(_OPS[match.group(1)], _number(match.group(2)), raw)
    if match := _POINT_RE.match(cleaned):
        number = match.group(2)
        return Point(_number(number), decimals_of(number.lstrip("+-")), raw)
    if _NOT_SIG_RE.match(cleaned):
        return Significance(False, raw)
    if _SIG_RE.match(cleaned):
        return Significance(True, raw)
    raise ClaimsFileError(
        f"{where}: cannot read {raw!r}; expected a number ('7.49', 'p = 0.0122'), a bound ('p < 0.0001', '> 36'), "
        "a range ('6.3–12.4') or 'significant' / 'not significant'"
    )
