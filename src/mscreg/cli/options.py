"""CLI options declared once and shared by the commands that take them.

Each alias is an ``Annotated`` type: name, help and checks live here, and ``analyze`` and
``report`` (and ``audit`` for the input options) use the same declaration, so the
conventions cannot drift apart between commands.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from mscreg.cli.pipeline import AnalysisSettings, TableSource, parse_numbers

_D = AnalysisSettings()


class Alternative(str, enum.Enum):
    two_sided = "two-sided"
    less = "less"
    greater = "greater"


class Rounding(str, enum.Enum):
    half_up = "half-up"
    half_even = "half-even"
    truncate = "truncate"


class CutGoesTo(str, enum.Enum):
    lower = "lower"
    upper = "upper"


Data = Annotated[Path | None, typer.Option("--data", help="Analysis table (.csv or .xlsx); see docs/analysis-table.md. Default: the embedded seed study.")]
Claims = Annotated[Path | None, typer.Option("--claims", help="Claims file (YAML, docs/claims-format.md). Default: the seed paper's claims.")]
HbA1cUnitOpt = Annotated[str, typer.Option("--hba1c-unit", help="Unit of HbA1c in --data: ngsp (%), ifcc (mmol/mol) or jds (%).")]
Sheet = Annotated[str | None, typer.Option("--sheet", help="XLSX sheet to read (default: the first).")]
Db = Annotated[str | None, typer.Option("--db", help="Analyse the registry at this database URL or SQLite file instead of --data (docs/registry.md).")]
BaselineWindow = Annotated[int, typer.Option("--baseline-window-days", min=0, help="Registry only: baseline = last HbA1c within this many days before the infusion.")]
FollowUp = Annotated[str, typer.Option("--follow-up", help="Registry only: follow-up HbA1c = 'last' observation or a visit label (M3, M6, M12, Y2 … Y5).")]
CohortEngine = Annotated[str, typer.Option("--cohort-engine", help="Registry only: run the cohort query on the database ('sql') or in DuckDB ('duckdb').")]
MaxChanges = Annotated[int, typer.Option("--max-changes", min=0, max=4, help="Most conventions changed at once when searching for one that reproduces a claim.")]

AlternativeOpt = Annotated[Alternative, typer.Option("--alternative", help="Alternative hypothesis of every test, about after − before.")]
CiLevel = Annotated[float, typer.Option("--ci-level", help="Confidence level of every interval.")]
Ddof = Annotated[int, typer.Option("--ddof", help="SD convention: 1 = sample SD (Excel STDEV.S), 0 = population SD.")]
QuartileMethod = Annotated[str, typer.Option("--quartile-method", help="Quartile method: linear (Excel QUARTILE.INC), weibull (QUARTILE.EXC), hazen, ... see docs.")]
SeverityCut = Annotated[float, typer.Option("--severity-cut", help="HbA1c % separating moderate from severe.")]
SeverityCutIn = Annotated[CutGoesTo, typer.Option("--severity-cut-in", help="Whether a baseline exactly at --severity-cut is moderate ('lower', the paper's '6.2–8 %') or severe ('upper').")]
EntryThreshold = Annotated[float, typer.Option("--entry-threshold", help="Entry criterion: lowest baseline HbA1c % (inclusive); the moderate group's lower end and the selection behind regression to the mean.")]
DoseCuts = Annotated[str, typer.Option("--dose-cuts", help="Comma-separated dose cut points in million cells, e.g. '1000' or '1000,1500'.")]
DoseCutIn = Annotated[CutGoesTo, typer.Option("--dose-cut-in", help="Whether a dose exactly at a cut belongs to the group above ('upper': < 1000 vs ≥ 1000) or below.")]
Seed = Annotated[int, typer.Option("--seed", help="Seed of the bootstrap and permutation test (recorded in the output).")]
NResamples = Annotated[int, typer.Option("--n-resamples", min=99, help="Bootstrap resamples and permutations.")]
Sigma = Annotated[float, typer.Option("--sigma", help="Population SD of HbA1c (%) for regression to the mean.")]
RhoGrid = Annotated[str | None, typer.Option("--rho-grid", help="Comma-separated test–retest correlations for the regression-to-the-mean grid (default: docs/estimates.md).")]
MuGrid = Annotated[str | None, typer.Option("--mu-grid", help="Comma-separated population mean HbA1c values (%) for the grid.")]
Cva = Annotated[float, typer.Option("--cva", help="Analytical CV of HbA1c (%) for the reference change value.")]
Cvi = Annotated[float, typer.Option("--cvi", help="Within-subject CV of HbA1c (%) for the reference change value.")]


def source_from_options(options: Mapping[str, Any]) -> TableSource:
    """The :class:`TableSource` of a command, from its options (pass ``locals()``).

    Examples
    --------
    >>> source_from_options({"data": None, "db": None, "hba1c_unit": "ngsp", "sheet": None,
    ...                      "baseline_window_days": 90, "follow_up": "last", "cohort_engine": "sql"}).is_seed
    True
    """
    return TableSource(**{key: options[key] for key in _SOURCE_KEYS})


def settings_from_options(options: Mapping[str, Any], *, estimates: bool = True) -> AnalysisSettings:
    """The :class:`AnalysisSettings` of a command, from its options (pass ``locals()``).

    Enum options become their values and the comma-separated lists are parsed.

    Examples
    --------
    >>> values = {"alternative": Alternative.less, "ci_level": 0.9, "ddof": 1, "quartile_method": "linear",
    ...           "severity_cut": 8.0, "severity_cut_in": CutGoesTo.lower, "entry_threshold": 6.2,
    ...           "dose_cuts": "1000,1500", "dose_cut_in": CutGoesTo.upper, "seed": 1, "n_resamples": 999,
    ...           "sigma": 1.5, "rho_grid": None, "mu_grid": "7,8", "cva": 2.0, "cvi": 8.3}
    >>> s = settings_from_options(values)
    >>> s.alternative, s.dose_cuts, s.mu_grid
    ('less', (1000.0, 1500.0), (7.0, 8.0))
    """
    values = {key: getattr(options[key], "value", options[key]) for key in _SETTINGS_KEYS}
    values["dose_cuts"] = parse_numbers("--dose-cuts", values["dose_cuts"])
    for key, flag in (("rho_grid", "--rho-grid"), ("mu_grid", "--mu-grid")):
        values[key] = parse_numbers(flag, values[key]) if values[key] else None
    return AnalysisSettings(**values, estimates=estimates)


_SOURCE_KEYS = ("data", "db", "hba1c_unit", "sheet", "baseline_window_days", "follow_up", "cohort_engine")
_SETTINGS_KEYS = ("alternative", "ci_level", "ddof", "quartile_method", "severity_cut", "severity_cut_in", "entry_threshold",
                  "dose_cuts", "dose_cut_in", "seed", "n_resamples", "sigma", "rho_grid", "mu_grid", "cva", "cvi")


#: Defaults, from AnalysisSettings, for the signatures of the commands.
DEFAULTS = _D
