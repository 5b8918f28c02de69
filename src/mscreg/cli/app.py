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
from typing import Annotated

import typer

from mscreg.cli import options as opt
from mscreg.cli import pipeline
from mscreg.cli.design_cmd import design
from mscreg.cli.registry_cmd import register as register_registry_commands
from mscreg.cli.report_cmd import report
from mscreg.errors import MscregError, exit_code_for

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


def _fail(error: MscregError) -> None:
    from mscreg.cli.render import fail

    fail(error)


D = opt.DEFAULTS


@app.command()
def analyze(
    data: opt.Data = None,
    db: opt.Db = None,
    hba1c_unit: opt.HbA1cUnitOpt = "ngsp",
    sheet: opt.Sheet = None,
    baseline_window_days: opt.BaselineWindow = 90,
    follow_up: opt.FollowUp = "last",
    cohort_engine: opt.CohortEngine = "sql",
    output: Annotated[OutputFormat, typer.Option("--format", help="text (tables) or json (every number, full precision).")] = OutputFormat.text,
    alternative: opt.AlternativeOpt = opt.Alternative(D.alternative),
    ci_level: opt.CiLevel = D.ci_level,
    ddof: opt.Ddof = D.ddof,
    quartile_method: opt.QuartileMethod = D.quartile_method,
    severity_cut: opt.SeverityCut = D.severity_cut,
    severity_cut_in: opt.SeverityCutIn = opt.CutGoesTo(D.severity_cut_in),
    entry_threshold: opt.EntryThreshold = D.entry_threshold,
    dose_cuts: opt.DoseCuts = "1000",
    dose_cut_in: opt.DoseCutIn = opt.CutGoesTo(D.dose_cut_in),
    seed: opt.Seed = D.seed,
    n_resamples: opt.NResamples = D.n_resamples,
    sigma: opt.Sigma = D.sigma,
    rho_grid: opt.RhoGrid = None,
    mu_grid: opt.MuGrid = None,
    cva: opt.Cva = D.cva,
    cvi: opt.Cvi = D.cvi,
    paper_only: Annotated[bool, typer.Option("--paper-only", help="Only the paper's own analyses, without the honest estimates.")] = False,
    digits: Annotated[int, typer.Option(help="Decimals shown in text output (JSON keeps full precision).")] = 3,
    rounding: Annotated[opt.Rounding, typer.Option(help="Rounding rule of text output.")] = opt.Rounding.half_up,
) -> None:
    """Reproduce the paper's analyses and add honest estimates (CIs, effect sizes, non-parametric checks,
    regression to the mean, dose-response, durability, responders, external context)."""
    try:
        settings = opt.settings_from_options(locals(), estimates=not paper_only)
        source = opt.source_from_options(locals())
        run = pipeline.run_analysis(source.load(), settings)
    except MscregError as error:
        _fail(error)
        return
    from mscreg.cli import render

    if output is OutputFormat.json:
        render.print_json(run.to_dict())
    else:
        render.print_analysis(run.table, run.paper, digits=digits, rounding=rounding.value)
        if run.estimates is not None:
            render.print_estimates(run.estimates, digits=digits, rounding=rounding.value)


@app.command()
def audit(
    data: opt.Data = None,
    claims: opt.Claims = None,
    db: opt.Db = None,
    hba1c_unit: opt.HbA1cUnitOpt = "ngsp",
    sheet: opt.Sheet = None,
    baseline_window_days: opt.BaselineWindow = 90,
    follow_up: opt.FollowUp = "last",
    cohort_engine: opt.CohortEngine = "sql",
    output: Annotated[AuditFormat, typer.Option("--format", help="text (table), json or csv.")] = AuditFormat.text,
    max_changes: opt.MaxChanges = 2,
) -> None:
    """Check every number a publication states against its patient table, with verdicts and explanations."""
    try:
        from mscreg.audit import run_audit

        source = opt.source_from_options(locals())
        claims_file, table = pipeline.load_claims_and_table(source, claims)
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


app.command("report")(report)
app.command("design")(design)
register_registry_commands(app)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except MscregError as error:  # pragma: no cover - commands catch their own
        print(f"error: {error}", file=sys.stderr)
        sys.exit(exit_code_for(error))
