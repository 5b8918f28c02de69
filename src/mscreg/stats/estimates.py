"""Honest effect estimates: what a single-arm before/after study can and cannot show.

:func:`honest_estimates` runs, on one analysis-table frame, everything a careful
biostatistician adds to the paper's p-values:

* for the whole cohort and every severity and dose group: mean change with t CI,
  Cohen's d_z and Hedges' g_av with CIs, Wilcoxon signed-rank with the Hodges–Lehmann
  estimate and CI, a BCa bootstrap CI and a sign-flip permutation p (both seeded);
* regression to the mean: the change expected with no effect for the entry rule and for
  each severity band, and the adjusted change over a grid of ρ and μ; Oldham's method for
  the baseline–change relationship;
* Holm-adjusted p-values across the subgroup family;
* dose-response and durability regressions adjusted for baseline;
* responders beyond the reference change value and reaching HbA1c targets;
* the cohort's change beside external placebo/control numbers (not a controlled estimate).

Each piece is a result object from its own module; this module only decides which rows
go where, and bundles the results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mscreg.domain.bands import DEFAULT_DOSE_GROUPS, DEFAULT_SEVERITY_GROUPS, Band
from mscreg.errors import InsufficientDataError
from mscreg.stats._result import Result
from mscreg.stats.context import ExternalComparison, external_comparison
from mscreg.stats.effects import (
    BootstrapResult,
    PairedEffect,
    PermutationResult,
    SignedRankResult,
    bootstrap_mean_change,
    paired_effect,
    sign_flip_permutation,
    signed_rank,
)
from mscreg.stats.multiplicity import HolmResult, holm
from mscreg.stats.regression import DoseResponseResult, DurabilityResult, dose_response, durability
from mscreg.stats.responders import ANALYTICAL_CV_PERCENT, WITHIN_SUBJECT_CV_PERCENT, ResponderResult, responder_analysis
from mscreg.stats.rtm import (
    DEFAULT_MU_GRID,
    DEFAULT_RHO_GRID,
    POPULATION_SD,
    OldhamResult,
    RtmGrid,
    oldham,
    rtm_adjusted_grid,
)

__all__ = ["DEFAULT_SEED", "GroupEstimates", "HonestEstimates", "honest_estimates"]

#: Seed used when none is given, so that a report is reproducible; it is always recorded.
DEFAULT_SEED = 20250321


@dataclass(frozen=True, kw_only=True)
class GroupEstimates(Result):
    """All estimates for one group of patients (the cohort, a severity or a dose group)."""

    name: str
    family: str
    definition: str
    n: int
    paired: PairedEffect | None
    signed_rank: SignedRankResult | None
    bootstrap: BootstrapResult | None
    permutation: PermutationResult | None
    rtm: RtmGrid | None
    note: str = ""

    def summary(self) -> str:
        if self.paired is None:
            return f"{self.name} ({self.definition}): n={self.n}; {self.note}"
        return f"{self.name} ({self.definition}): {self.paired.summary()}"


@dataclass(frozen=True, kw_only=True)
class HonestEstimates(Result):
    """The whole set of honest estimates for one analysis table."""

    groups: tuple[GroupEstimates, ...]
    holm: HolmResult | None
    oldham: OldhamResult | None
    dose_response: DoseResponseResult | None
    durability: DurabilityResult | None
    responders: ResponderResult
    external: ExternalComparison
    settings: dict[str, Any] = field(default_factory=dict)
    caveats: tuple[str, ...] = ()

    def group(self, name: str) -> GroupEstimates:
        """The group called ``name`` (``"all"`` is the whole cohort)."""
        return next(g for g in self.groups if g.name == name)

    def summary(self) -> str:
        lines = [g.summary() for g in self.groups]
        cohort = self.group("all")
        if cohort.rtm is not None:
            lines.append("regression to the mean: " + " ".join(cohort.rtm.conclusions))
        lines.extend(self.caveats)
        return "\n".join(lines)


def _group(
    name: str,
    family: str,
    definition: str,
    rows: pd.DataFrame,
    *,
    selection: Band | None,
    ci_level: float,
    seed: int,
    n_resamples: int,
    sigma: float,
    rho_values: Sequence[float],
    mu_values: Sequence[float],
) -> GroupEstimates:
    before = rows["hba1c_before"].to_numpy(dtype=float)
    after = rows["hba1c_after"].to_numpy(dtype=float)
    n = int(before.size)
    change = after - before
    if n < 3 or np.ptp(change) == 0:
        why = "fewer than 3 patients" if n < 3 else "every patient changed by the same amount"
        return GroupEstimates(name=name, family=family, definition=definition, n=n, paired=None, signed_rank=None,
                              bootstrap=None, permutation=None, rtm=None, note=f"no estimates: {why}")
    paired = paired_effect(before, after, ci_level=ci_level)
    grid = None
    if selection is not None:
        grid = rtm_adjusted_grid(
            paired.estimate, lower=selection.lower, upper=selection.upper, inclusive=selection.inclusive,
            observed_ci=(paired.ci_low, paired.ci_high), sigma=sigma, rho_values=rho_values, mu_values=mu_values,
        )
    return GroupEstimates(
        name=name,
        family=family,
        definition=definition,
        n=n,
        paired=paired,
        signed_rank=signed_rank(before, after, ci_level=ci_level),
        bootstrap=bootstrap_mean_change(before, after, ci_level=ci_level, n_resamples=n_resamples, seed=seed),
        permutation=sign_flip_permutation(before, after, n_resamples=n_resamples, seed=seed),
        rtm=grid,
    )


def _optional(function: Any, *args: Any, caveats: list[str], what: str, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)``, or None with a caveat saying why it could not be estimated."""
    try:
        return function(*args, **kwargs)
    except InsufficientDataError as error:
        caveats.append(f"{what} not estimated: {error}.")
        return None


def honest_estimates(
    frame: pd.DataFrame,
    *,
    severity_groups: Sequence[Band] = DEFAULT_SEVERITY_GROUPS,
    dose_groups: Sequence[Band] = DEFAULT_DOSE_GROUPS,
    entry_threshold: float = 6.2,
    ci_level: float = 0.95,
    seed: int = DEFAULT_SEED,
    n_resamples: int = 10_000,
    sigma: float = POPULATION_SD,
    rho_values: Sequence[float] = DEFAULT_RHO_GRID,
    mu_values: Sequence[float] = DEFAULT_MU_GRID,
    cva_percent: float = ANALYTICAL_CV_PERCENT,
    cvi_percent: float = WITHIN_SUBJECT_CV_PERCENT,
) -> HonestEstimates:
    """Everything beyond the paper's p-values, for one analysis-table frame.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``AnalysisTable.frame``; rows without both HbA1c values are left out.
    severity_groups, dose_groups : sequence of Band
        Subgroups (on ``hba1c_before`` and ``dose_million``), as in
        :func:`mscreg.stats.paper.paper_analyses`.
    entry_threshold : float
        The entry criterion (baseline HbA1c ≥ this, %), the selection behind regression to
        the mean for the cohort and the dose groups.
    ci_level : float
    seed : int
        Seed of the bootstrap and the permutation test (recorded in ``settings``).
    n_resamples : int
        Bootstrap resamples and permutations.
    sigma, rho_values, mu_values : float, sequences of float
        Population SD of HbA1c and the grid of test–retest correlations and population
        means for regression to the mean (defaults: :mod:`mscreg.stats.rtm`).
    cva_percent, cvi_percent : float
        Analytical and within-subject CVs for the reference change value.

    Examples
    --------
    >>> from mscreg.cohort import seed_table
    >>> est = honest_estimates(seed_table().frame, n_resamples=999)
    >>> cohort = est.group("all")
    >>> round(cohort.paired.estimate, 3), cohort.bootstrap.seed == est.settings["seed"]
    (-0.793, True)
    """
    paired_rows = frame.loc[frame["hba1c_before"].notna() & frame["hba1c_after"].notna()]
    common = dict(ci_level=ci_level, seed=seed, n_resamples=n_resamples, sigma=sigma, rho_values=rho_values, mu_values=mu_values)
    entry = Band(name="entry", lower=entry_threshold, inclusive="both")
    groups = [_group("all", "cohort", f"every patient with both values (entry: hba1c_before {entry.label()})",
                     paired_rows, selection=entry, **common)]
    for band in severity_groups:
        rows = paired_rows.loc[band.contains(paired_rows["hba1c_before"].to_numpy(dtype=float))]
        groups.append(_group(band.name, "severity", f"hba1c_before {band.label()}", rows, selection=band, **common))
    if "dose_million" in paired_rows.columns and paired_rows["dose_million"].notna().any():
        for band in dose_groups:
            rows = paired_rows.loc[band.contains(paired_rows["dose_million"].to_numpy(dtype=float))]
            groups.append(_group(band.name, "dose", f"dose_million {band.label()}", rows, selection=entry, **common))

    subgroups = [g for g in groups if g.family != "cohort" and g.paired is not None]
    family = holm({g.name: g.paired.p_value for g in subgroups}) if len(subgroups) >= 2 else None

    before = paired_rows["hba1c_before"].to_numpy(dtype=float)
    after = paired_rows["hba1c_after"].to_numpy(dtype=float)
    change = after - before
    dose_fit = durability_fit = None
    caveats = ["Single-arm before/after design: every estimate here describes change in treated patients, "
               "not the effect of MSCs compared with no MSCs."]
    has_months = "months_observed" in paired_rows.columns and paired_rows["months_observed"].notna().all()
    if "dose_million" in paired_rows.columns and paired_rows["dose_million"].notna().all():
        months = paired_rows["months_observed"].to_numpy(dtype=float) if has_months else None
        dose_fit = _optional(dose_response, change, before, paired_rows["dose_million"].to_numpy(dtype=float), months,
                             ci_level=ci_level, caveats=caveats, what="Dose-response")
    if has_months:
        durability_fit = _optional(durability, change, paired_rows["months_observed"].to_numpy(dtype=float),
                                   ci_level=ci_level, caveats=caveats, what="Durability")
        caveats.append("Each patient has one follow-up value at one time: durability is a comparison between patients "
                       "followed for different lengths of time, not a within-patient trajectory.")
    return HonestEstimates(
        groups=tuple(groups),
        holm=family,
        oldham=_optional(oldham, before, after, ci_level=ci_level, caveats=caveats, what="Oldham's baseline–change correlation"),
        dose_response=dose_fit,
        durability=durability_fit,
        responders=responder_analysis(before, after, cva_percent=cva_percent, cvi_percent=cvi_percent, ci_level=ci_level),
        external=external_comparison(float(change.mean())),
        settings={
            "ci_level": ci_level,
            "seed": seed,
            "n_resamples": n_resamples,
            "entry_threshold": entry_threshold,
            "sigma": sigma,
            "rho_values": list(rho_values),
            "mu_values": list(mu_values),
            "cva_percent": cva_percent,
            "cvi_percent": cvi_percent,
        },
        caveats=tuple(caveats),
    )
