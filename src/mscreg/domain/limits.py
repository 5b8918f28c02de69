"""Plausible ranges for entry checks (DESIGN.md; assays are linear about 3.5–19 %).

A value outside the *hard* range is rejected as an entry error; a value outside the
*soft* range is accepted with a flag for review.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FASTING_GLUCOSE_MG_DL", "HBA1C_NGSP", "PlausibleRange"]


@dataclass(frozen=True, kw_only=True)
class PlausibleRange:
    """Hard and soft limits for one quantity, in its analysis unit.

    Examples
    --------
    >>> HBA1C_NGSP.hard_ok(2.9), HBA1C_NGSP.hard_ok(3.0), HBA1C_NGSP.soft_ok(16.0)
    (False, True, False)
    """

    quantity: str
    unit: str
    hard_low: float
    hard_high: float
    soft_low: float
    soft_high: float

    def hard_ok(self, value: float) -> bool:
        """Whether ``value`` lies within the hard limits (ends included)."""
        return self.hard_low <= value <= self.hard_high

    def soft_ok(self, value: float) -> bool:
        """Whether ``value`` lies within the soft limits (ends included)."""
        return self.soft_low <= value <= self.soft_high

    def describe(self) -> str:
        """The hard range in words, for error messages."""
        return f"{self.hard_low:g}–{self.hard_high:g} {self.unit}"


HBA1C_NGSP = PlausibleRange(quantity="HbA1c", unit="%", hard_low=3.0, hard_high=20.0, soft_low=4.0, soft_high=15.0)
FASTING_GLUCOSE_MG_DL = PlausibleRange(
    quantity="fasting glucose", unit="mg/dL", hard_low=20.0, hard_high=600.0, soft_low=54.0, soft_high=400.0
)
