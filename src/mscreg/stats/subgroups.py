"""Paired before/after analysis within subgroups (severity bands, dose groups)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from mscreg.domain.bands import Band
from mscreg.stats._result import Result
from mscreg.stats.paired import PairedTTest, paired_ttest

__all__ = ["SubgroupResult", "subgroup_ttests"]


@dataclass(frozen=True, kw_only=True)
class SubgroupResult(Result):
    """One subgroup: its definition, size and paired t-test (None when n < 2)."""

    name: str
    column: str
    band: dict[str, object]
    n: int
    mean_before: float
    mean_after: float
    mean_reduction: float
    ttest: PairedTTest | None

    def summary(self) -> str:
        test = self.ttest.summary() if self.ttest else f"n={self.n}: too few patients for a t-test"
        return f"{self.name} ({self.column} {self.band['label']}): {test}"


def subgroup_ttests(
    frame: pd.DataFrame,
    bands: Sequence[Band],
    *,
    column: str,
    alternative: str = "two-sided",
    ci_level: float = 0.95,
) -> tuple[SubgroupResult, ...]:
    """Paired t-test of HbA1c after vs before in each band of ``column``.

    Rows without both HbA1c values are left out. A band with fewer than two patients
    gets ``ttest=None`` and NaN means when empty.

    Examples
    --------
    >>> import pandas as pd
    >>> from mscreg.domain.bands import DEFAULT_SEVERITY_GROUPS
    >>> f = pd.DataFrame({"hba1c_before": [7.0, 7.5, 9.0, 10.0], "hba1c_after": [6.5, 7.4, 8.0, 8.2]})
    >>> [(r.name, r.n, round(r.mean_reduction, 2)) for r in subgroup_ttests(f, DEFAULT_SEVERITY_GROUPS, column="hba1c_before")]
    [('moderate', 2, 0.3), ('severe', 2, 1.4)]
    """
    paired = frame.loc[frame["hba1c_before"].notna() & frame["hba1c_after"].notna()]
    results = []
    for band in bands:
        rows = paired.loc[band.contains(paired[column].to_numpy(dtype=float))]
        before = rows["hba1c_before"].to_numpy(dtype=float)
        after = rows["hba1c_after"].to_numpy(dtype=float)
        n = int(before.size)
        results.append(
            SubgroupResult(
                name=band.name,
                column=column,
                band=band.to_dict(),
                n=n,
                mean_before=float(before.mean()) if n else float("nan"),
                mean_after=float(after.mean()) if n else float("nan"),
                mean_reduction=float((before - after).mean()) if n else float("nan"),
                ttest=paired_ttest(before, after, alternative=alternative, ci_level=ci_level) if n >= 2 else None,
            )
        )
    return tuple(results)
