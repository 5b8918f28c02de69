"""Design inputs taken from a treated cohort, honestly: effect net of RTM and placebo, SD, ρ.

The trial's design effect is the cohort's observed mean change minus what regression to
the mean would produce with no effect (over the grid of ρ and μ of
:mod:`mscreg.stats.rtm`, for the cohort's entry rule) minus the change expected from
entering a trial at all (the trial-entry record of the external-context table, a
0.2–0.5 % fall). The two are kept apart so that the placebo part does not count regression
to the mean twice: placebo-arm changes reported by trials (Zang 2022: −0.63 %) already
contain it.

The SD and the baseline/follow-up correlation for the power formulas also come from the
cohort when the user gives none: the pooled SD of HbA1c before and after
(√((SD_before² + SD_after²)/2)) and Pearson's r between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mscreg.design.effect import DesignEffect, effect_from_cohort
from mscreg.errors import InputFileError
from mscreg.stats._result import Result
from mscreg.stats.effects import paired_effect
from mscreg.stats.rtm import DEFAULT_MU_GRID, DEFAULT_RHO_GRID, POPULATION_SD, expected_rtm_change

__all__ = ["TRIAL_ENTRY_ARM", "CohortDesignInputs", "cohort_design_inputs", "trial_entry_change"]

#: The external-context record whose change is used as the placebo (trial-entry) response.
TRIAL_ENTRY_ARM = "trial entry without new treatment"


def trial_entry_change() -> tuple[float, float]:
    """The (low, high) HbA1c change on entering a trial, from the external-context table.

    Examples
    --------
    >>> trial_entry_change()
    (-0.5, -0.2)
    """
    from mscreg.datasets.external import load_external_context

    for record in load_external_context():
        if record.arm == TRIAL_ENTRY_ARM:
            return float(record.change_low), float(record.change_high)
    raise InputFileError(f"the external-context table has no record for {TRIAL_ENTRY_ARM!r}")


@dataclass(frozen=True, kw_only=True)
class CohortDesignInputs(Result):
    """What a cohort gives a trial design: the effect range, SD and ρ, with their sources."""

    effect: DesignEffect
    sd: float
    rho: float
    n: int
    entry_threshold: float
    rho_values: tuple[float, ...]
    mu_values: tuple[float, ...]
    sigma: float

    def summary(self) -> str:
        return f"{self.effect.statement} SD {self.sd:.3f} %, ρ {self.rho:.3f} (cohort, n = {self.n})."


def cohort_design_inputs(
    frame: pd.DataFrame,
    *,
    entry_threshold: float = 6.2,
    placebo_change: float | tuple[float, float] | None = None,
    sigma: float = POPULATION_SD,
    rho_values: Sequence[float] = DEFAULT_RHO_GRID,
    mu_values: Sequence[float] = DEFAULT_MU_GRID,
) -> CohortDesignInputs:
    """Design effect range, SD and ρ from a treated cohort's analysis table.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``AnalysisTable.frame``; rows with both HbA1c values are used.
    entry_threshold : float
        The entry rule (baseline ≥ this, %) behind regression to the mean.
    placebo_change : float or (float, float), optional
        Expected change on entering a trial (≤ 0); default :func:`trial_entry_change`.
    sigma, rho_values, mu_values
        Population SD and the (ρ, μ) grid for regression to the mean.

    Examples
    --------
    >>> from mscreg.cohort import seed_table
    >>> inputs = cohort_design_inputs(seed_table().frame)
    >>> inputs.effect.effect_low < 0 < inputs.effect.effect_high
    True
    >>> round(inputs.rho, 3), inputs.n
    (0.554, 58)
    """
    rows = frame.loc[frame["hba1c_before"].notna() & frame["hba1c_after"].notna()]
    before = rows["hba1c_before"].to_numpy(dtype=float)
    after = rows["hba1c_after"].to_numpy(dtype=float)
    observed = paired_effect(before, after)
    rtm = [
        expected_rtm_change(lower=entry_threshold, inclusive="both", mu=mu, sigma=sigma, rho=rho).expected_change
        for rho in rho_values
        for mu in mu_values
    ]
    effect = effect_from_cohort(
        observed_change=observed.estimate,
        rtm_change=rtm,
        placebo_change=trial_entry_change() if placebo_change is None else placebo_change,
    )
    return CohortDesignInputs(
        effect=effect,
        sd=float(np.sqrt((observed.sd_before**2 + observed.sd_after**2) / 2)),
        rho=float(observed.r_before_after),
        n=observed.n,
        entry_threshold=entry_threshold,
        rho_values=tuple(float(r) for r in rho_values),
        mu_values=tuple(float(m) for m in mu_values),
        sigma=sigma,
    )
