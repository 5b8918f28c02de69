"""The seed study's own analyses, reproduced on any analysis table.

Descriptives, the overall paired t-test, paired t-tests by severity and by dose group, and
Pearson correlations of the change with dose, months observed and baseline — with every
convention that changes a number as an explicit parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from mscreg.domain.bands import DEFAULT_DOSE_GROUPS, DEFAULT_SEVERITY_GROUPS, Band
from mscreg.stats._result import Result
from mscreg.stats.correlation import Correlation, correlate
from mscreg.stats.descriptive import Descriptives, describe
from mscreg.stats.paired import PairedTTest, paired_ttest
from mscreg.stats.subgroups import SubgroupResult, subgroup_ttests

__all__ = ["PaperAnalyses", "paper_analyses"]

_DESCRIBED = ("age", "dose_million", "hba1c_before", "hba1c_after", "reduction", "months_observed")
_CORRELATED = ("dose_million", "months_observed", "hba1c_before")


@dataclass(frozen=True, kw_only=True)
class PaperAnalyses(Result):
    """All of the seed paper's analyses for one analysis table."""

    n_rows: int
    n_paired: int
    sex_counts: dict[str, int]
    descriptives: dict[str, Descriptives]
    overall: PairedTTest
    severity_groups: tuple[SubgroupResult, ...]
    dose_groups: tuple[SubgroupResult, ...]
    correlations: dict[str, Correlation]
    conventions: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        lines = [f"{self.n_paired} of {self.n_rows} patients with HbA1c before and after", f"overall: {self.overall.summary()}"]
        lines += [f"severity {g.summary()}" for g in self.severity_groups]
        lines += [f"dose {g.summary()}" for g in self.dose_groups]
        lines += [f"reduction vs {k}: {c.summary()}" for k, c in self.correlations.items()]
        return "\n".join(lines)


def paper_analyses(
    frame: pd.DataFrame,
    *,
    severity_groups: Sequence[Band] = DEFAULT_SEVERITY_GROUPS,
    dose_groups: Sequence[Band] = DEFAULT_DOSE_GROUPS,
    alternative: str = "two-sided",
    ci_level: float = 0.95,
    ddof: int = 1,
    quartile_method: str = "linear",
) -> PaperAnalyses:
    """Run the seed study's analyses on an analysis-table frame.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``AnalysisTable.frame`` (columns of :data:`mscreg.cohort.table.COLUMNS` plus
        ``change``/``reduction``). Optional columns that are absent are skipped.
    severity_groups, dose_groups : sequence of Band
        Subgroup definitions on ``hba1c_before`` and ``dose_million``; defaults are the
        paper's (moderate 6.2–8 % both ends inclusive, severe > 8 %; dose < 1000 vs
        ≥ 1000 million cells).
    alternative : {"two-sided", "less", "greater"}
        For every t-test (about after − before) and correlation.
    ci_level : float
    ddof : {1, 0}
        SD convention of the descriptives.
    quartile_method : str
        See :data:`mscreg.stats.descriptive.QUARTILE_METHODS` (default Excel QUARTILE.INC).

    Examples
    --------
    >>> from mscreg.cohort import seed_table
    >>> res = paper_analyses(seed_table().frame)
    >>> round(res.overall.mean_before, 2), round(res.overall.mean_after, 2), res.overall.p_value < 1e-4
    (7.49, 6.7, True)
    """
    paired = frame.loc[frame["hba1c_before"].notna() & frame["hba1c_after"].notna()]
    descriptives = {
        column: describe(frame[column].dropna().to_numpy(dtype=float), ddof=ddof, quartile_method=quartile_method)
        for column in _DESCRIBED
        if column in frame.columns and frame[column].notna().any()
    }
    sex_counts = {str(k): int(v) for k, v in frame["sex"].value_counts().sort_index().items()} if "sex" in frame.columns else {}
    correlations = {}
    for column in _CORRELATED:
        if column in paired.columns:
            rows = paired.loc[paired[column].notna()]
            if rows.shape[0] >= 3:
                correlations[column] = correlate(rows[column], rows["reduction"], alternative=alternative, ci_level=ci_level)
    dose = subgroup_ttests(frame, dose_groups, column="dose_million", alternative=alternative, ci_level=ci_level) if "dose_million" in frame.columns else ()
    return PaperAnalyses(
        n_rows=int(frame.shape[0]),
        n_paired=int(paired.shape[0]),
        sex_counts=sex_counts,
        descriptives=descriptives,
        overall=paired_ttest(paired["hba1c_before"], paired["hba1c_after"], alternative=alternative, ci_level=ci_level),
        severity_groups=subgroup_ttests(frame, severity_groups, column="hba1c_before", alternative=alternative, ci_level=ci_level),
        dose_groups=dose,
        correlations=correlations,
        conventions={
            "alternative": alternative,
            "ci_level": ci_level,
            "ddof": ddof,
            "quartile_method": quartile_method,
            "severity_groups": [b.to_dict() for b in severity_groups],
            "dose_groups": [b.to_dict() for b in dose_groups],
            "change": "after − before; correlations use reduction = before − after",
        },
    )
