"""The shared shape of every statistical result.

Results are frozen, keyword-only dataclasses of plain numbers. Presentation reads them
and never computes: :meth:`Result.to_dict` gives JSON-ready plain values (NaN becomes
``None``), :meth:`Result.summary` a one-line text. Field names never change with options.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

__all__ = ["Result", "plain"]


def plain(value: Any) -> Any:
    """Convert ``value`` (numpy scalars, tuples, nested results) to JSON-ready Python.

    Examples
    --------
    >>> import numpy as np
    >>> plain({"a": np.float64(1.5), "b": (np.int64(2), float("nan"))})
    {'a': 1.5, 'b': [2, None]}
    """
    if isinstance(value, Result):
        return value.to_dict()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class Result:
    """Mixin for frozen result dataclasses: ``to_dict()``, ``summary()`` and unpacking."""

    def to_dict(self) -> dict[str, Any]:
        """Every field as a JSON-ready plain value."""
        return {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    def summary(self) -> str:
        """A one-line text summary; subclasses override with something more readable."""
        parts = []
        for key, value in self.to_dict().items():
            if isinstance(value, float):
                parts.append(f"{key}={value:.4g}")
            elif isinstance(value, (int, str)):
                parts.append(f"{key}={value}")
        return f"{type(self).__name__}(" + ", ".join(parts) + ")"

    def __str__(self) -> str:
        return self.summary()
