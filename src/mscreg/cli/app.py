"""The ``mscreg`` command line: a thin front end over the layers below.

Commands parse options, load inputs (the embedded seed study by default), call
``stats``/``audit``, and hand result objects to :mod:`mscreg.cli.render`. Heavy
libraries are imported inside the commands so that ``mscreg --help`` stays fast.
Every :class:`~mscreg.errors.MscregError` becomes a one-paragraph message on standard
error and the exit code of :data:`mscreg.errors.EXIT_CODES`; no traceback reaches users.
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from mscreg.cli.design_cmd import design
from mscreg.errors import ClaimsFileError, InputError, MscregError, exit_code_for

app = typer.Typer(
    name="mscreg",
    help="Registry and analysis of long-term outcomes of MSC infusions in type 2 diabetes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class OutputFormat(str, enum.Enum):
    text = "text"
    json = "json"


class AuditFormat(str, enum.Enum):
    text = "text"
    json = "json"
    csv = "csv"


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


DataOption = Annotated[
    Path | None,
    typer.Option("--data", help="Analysis table (.csv or .xlsx); see docs/analysis-table.md. Default: the embedded seed study."),
]
UnitOption = Annotated[str, typer.Option("--hba1c-unit", help="Unit of HbA1c in --data: ngsp (%), ifcc (mmol/mol) or jds (%).")]
SheetOption = Annotated[str | None, typer.Option("--sheet", help="XLSX sheet to read (default: the first).")]


def _fail(error: MscregError) -> None:
    from rich.console import Console

    Console(stderr=True, highlight=False, soft_wrap=True).print(f"[bold red]error:[/] {error}", markup=True)
    raise typer.Exit(code=exit_code_for(error))


def _load_table(data: Path | None, hba1c_unit: str, sheet: str | None) -> Any:
    from mscreg.domain.units import HbA1cUnit

    HbA1cUnit.parse(hba1c_unit)  # refuse a bad unit even when the seed is used
    if data is None:
        from mscreg.cohort import seed_table

        return seed_table()
    from mscreg.cohort.table import load_analysis_table

    return load_analysis_table(data, hba1c_unit=hba1c_unit, sheet=sheet)


@app.command()
def analyze(
    data: DataOption = None,
    hba1c_unit: UnitOption = "ngsp",
    sheet: SheetOption = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="text (tables) or json (every number, full precision).")] = OutputFormat.text,
    alternative: Annotated[Alternative, typer.Option(help="Alternative hypothesis of every test, about after − before.")] = Alternative.two_sided,
    ci_level: Annotated[float, typer.Option(help="Confidence level of every interval.")] = 0.95,
    ddof: Annotated[int, typer.Option(help="SD convention: 1 = sample SD (Excel STDEV.S), 0 = population SD.")] = 1,
    quartile_method: Annotated[str, typer.Option(help="Quartile method: linear (Excel QUARTILE.INC), weibull (QUARTILE.EXC), hazen, ... see docs.")] = "linear",
    severity_cut: Annotated[float, typer.Option(help="HbA1c % separating moderate from severe.")] = 8.0,
    severity_cut_in: Annotated[CutGoesTo, typer.Option(help="Whether a baseline exactly at --severity-cut is moderate ('lower', the paper's '6.2–8 %') or severe ('upper').")] = CutGoesTo.lower,
    entry_threshold: Annotated[float, typer.Option(help="Lowest baseline HbA1c % of the moderate group (inclusive).")] = 6.2,
    dose_cuts: Annotated[str, typer.Option(help="Comma-separated dose cut points in million cells, e.g. '1000' or '1000,1500'.")] = "1000",
    dose_cut_in: Annotated[CutGoesTo, typer.Option(help="Whether a dose exactly at a cut belongs to the group above ('upper': < 1000 vs ≥ 1000) or below.")] = CutGoesTo.upper,
    digits: Annotated[int, typer.Option(help="Decimals shown in text output (JSON keeps full precision).")] = 3,
    rounding: Annotated[Rounding, typer.Option(help="Rounding rule of text output.")] = Rounding.half_up,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap and permutation test (recorded in the output).")] = 20250321,
    n_resamples: Annotated[int, typer.Option(min=99, help="Bootstrap resamples and permutations.")] = 10_000,
    sigma: Annotated[float, typer.Option(help="Population SD of HbA1c (%) for regression to the mean.")] = 1.5,
    rho_grid: Annotated[str | None, typer.Option(help="Comma-separated test–retest correlations for the regression-to-the-mean grid (default: docs/estimates.md).")] = None,
    mu_grid: Annotated[str | None, typer.Option(help="Comma-separated population mean HbA1c values (%) for the grid.")] = None,
    cva: Annotated[float, typer.Option(help="Analytical CV of HbA1c (%) for the reference change value.")] = 2.0,
    cvi: Annotated[float, typer.Option(help="Within-subject CV of HbA1c (%) for the reference change value.")] = 8.3,
    paper_only: Annotated[bool, typer.Option("--paper-only", help="Only the paper's own analyses, without the honest estimates.")] = False,
) -> None:
    """Reproduce the paper's analyses and add honest estimates (CIs, effect sizes, non-parametric checks,
    regression to the mean, dose-response, durability, responders, external context)."""
    try:
        from mscreg.domain.bands import Band, dose_groups
        from mscreg.errors import ConventionError
        from mscreg.stats.estimates import honest_estimates
        from mscreg.stats.paper import paper_analyses
        from mscreg.stats.rtm import DEFAULT_MU_GRID, DEFAULT_RHO_GRID

        table = _load_table(data, hba1c_unit, sheet)
        cuts = _numbers("--dose-cuts", dose_cuts)
        severity = (
            Band(name="moderate", lower=entry_threshold, upper=severity_cut, inclusive="both" if severity_cut_in is CutGoesTo.lower else "left"),
            Band(name="severe", lower=severity_cut, inclusive="neither" if severity_cut_in is CutGoesTo.lower else "both"),
        )
        doses = dose_groups(cuts, inclusive="left" if dose_cut_in is CutGoesTo.upper else "right")
        result = paper_analyses(
            table.frame,
            severity_groups=severity,
            dose_groups=doses,
            alternative=alternative.value,
            ci_level=ci_level,
            ddof=ddof,
            quartile_method=quartile_method,
        )
        estimates = None
        if not paper_only:
            estimates = honest_estimates(
                table.frame, severity_groups=severity, dose_groups=doses, entry_threshold=entry_threshold,
                ci_level=ci_level, seed=seed, n_resamples=n_resamples, sigma=sigma,
                rho_values=_numbers("--rho-grid", rho_grid) if rho_grid else DEFAULT_RHO_GRID,
                mu_values=_numbers("--mu-grid", mu_grid) if mu_grid else DEFAULT_MU_GRID,
                cva_percent=cva, cvi_percent=cvi,
            )
    except MscregError as error:
        _fail(error)
        return
    from mscreg.cli import render

    if output is OutputFormat.json:
        payload = {"data": table.describe_source(), "paper": result.to_dict()}
        if estimates is not None:
            payload["estimates"] = estimates.to_dict()
        render.print_json(payload)
    else:
        render.print_analysis(table, result, digits=digits, rounding=rounding.value)
        if estimates is not None:
            render.print_estimates(estimates, digits=digits, rounding=rounding.value)


def _numbers(option: str, text: str) -> list[float]:
    """Comma-separated numbers of a CLI option, or a ConventionError naming the option."""
    from mscreg.errors import ConventionError

    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConventionError(f"{option} {text!r}: expected comma-separated numbers such as '1000,1500'") from None
    if not values:
        raise ConventionError(f"{option} {text!r}: give at least one number")
    return values


def _claims_and_table(data: Path | None, claims: Path | None, hba1c_unit: str, sheet: str | None) -> tuple[Any, Any]:
    from mscreg.audit.claims import load_claims
    from mscreg.datasets import seed_claims_path

    if claims is None:
        if data is not None:
            raise InputError("auditing your own --data needs the claims it should be checked against: add --claims FILE (format: docs/claims-format.md)")
        claims_file = load_claims(seed_claims_path())
        return claims_file, _load_table(None, hba1c_unit, sheet)
    claims_file = load_claims(claims)
    if data is None:
        if claims_file.study.data is None:
            raise ClaimsFileError(f"{claims}: no --data given and the claims file names no `study.data` table")
        data = (claims.parent / claims_file.study.data).resolve()
        hba1c_unit = claims_file.study.hba1c_unit or hba1c_unit
    return claims_file, _load_table(data, hba1c_unit, sheet)


@app.command()
def audit(
    data: DataOption = None,
    claims: Annotated[Path | None, typer.Option("--claims", help="Claims file (YAML, docs/claims-format.md). Default: the seed paper's claims.")] = None,
    hba1c_unit: UnitOption = "ngsp",
    sheet: SheetOption = None,
    output: Annotated[AuditFormat, typer.Option("--format", help="text (table), json or csv.")] = AuditFormat.text,
    max_changes: Annotated[int, typer.Option(min=0, max=4, help="Most conventions changed at once when searching for one that reproduces a claim.")] = 2,
) -> None:
    """Check every number a publication states against its patient table, with verdicts and explanations."""
    try:
        from mscreg.audit import run_audit

        claims_file, table = _claims_and_table(data, claims, hba1c_unit, sheet)
        report = run_audit(table, claims_file, max_changes=max_changes)
    except MscregError as error:
        _fail(error)
        return
    from mscreg.cli import render

    if output is AuditFormat.json:
        render.print_json(report.to_dict())
    elif output is AuditFormat.csv:
        render.print_audit_csv(report)
    else:
        render.print_audit(report)


app.command("design")(design)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except MscregError as error:  # pragma: no cover - commands catch their own
        print(f"error: {error}", file=sys.stderr)
        sys.exit(exit_code_for(error))
