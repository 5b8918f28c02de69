"""``mscreg design``: size the randomised MSC-vs-placebo trial on HbA1c.

The command is a thin front end over :func:`mscreg.design.power.solve_design` (and
:func:`mscreg.design.simulate.simulate_power` with ``--simulate``). Register it with
``app.command("design")(design)``. Every option and its help text is declared once in
:data:`OPTION_HELP`; ``docs/design.md`` documents each of them (a test checks).
"""

from __future__ import annotations

import inspect
import json
import math
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from mscreg.cli import options as opt
from mscreg.errors import InputError, MscregError
from mscreg.stats._result import plain

__all__ = ["DEFAULT_POWER", "OPTION_HELP", "cohort_design_report", "design", "design_report"]

#: Power used when neither --power nor --n asks otherwise.
DEFAULT_POWER = 0.8

#: Every option of ``mscreg design`` with its help text (the docs list each one).
OPTION_HELP: dict[str, str] = {
    "--effect": "Difference to detect, control minus MSC, in HbA1c percentage points (0.5 = MSC arm 0.5 % lower). "
    "Leave out (with --n) to solve for the detectable effect.",
    "--sd": "SD of HbA1c at one visit, in % (e.g. 1.0). Default: the cohort's pooled SD of HbA1c before and after.",
    "--rho": "Correlation between baseline and follow-up HbA1c, in (-1, 1). Default: the cohort's before/after correlation.",
    "--alpha": "Family-wise type I error rate.",
    "--power": f"Target power per comparison (default {DEFAULT_POWER} unless --n and --effect are both given).",
    "--n": "Patients enrolled per active arm; give it to solve for power (with --effect) or for the effect.",
    "--allocation": "Control patients per active-arm patient (n_control / n_active).",
    "--dropout": "Expected fraction of enrolled patients without follow-up, in [0, 1).",
    "--alternative": "two-sided, less (MSC arm HbA1c lower than control) or greater.",
    "--arms": "Number of active (dose) arms, each compared with the one placebo arm.",
    "--correction": "Multiplicity correction for several arms: bonferroni or dunnett.",
    "--simulate": "Also estimate power by simulating whole trials (--no-simulate to skip).",
    "--n-sims": "Number of simulated trials.",
    "--seed": "Seed of the simulation (drawn and printed when not given).",
    "--mu": "Population mean HbA1c in % (needed for --entry-min/--entry-max in the simulation).",
    "--entry-min": "Simulation only: lowest screening HbA1c (%) admitted to the trial.",
    "--entry-max": "Simulation only: highest screening HbA1c (%) admitted to the trial.",
    "--format": "Output format: text (a table) or json.",
    "--placebo-change": "Cohort effect only: expected HbA1c change on entering a trial, one number or 'low,high' "
    "(≤ 0, %); default the trial-entry record of the external-context table (-0.5,-0.2).",
}

_FORMATS = ("text", "json")


def design_report(
    *,
    effect: float | None,
    sd: float,
    rho: float,
    alpha: float = 0.05,
    power: float | None = None,
    n: int | None = None,
    allocation: float = 1.0,
    dropout: float = 0.0,
    alternative: str = "two-sided",
    arms: int = 1,
    correction: str = "bonferroni",
    simulate: bool = False,
    n_sims: int = 2000,
    seed: int | None = None,
    mu: float | None = None,
    entry_min: float | None = None,
    entry_max: float | None = None,
) -> dict[str, Any]:
    """The JSON-ready report behind ``mscreg design`` (stable keys).

    Which quantity is solved for follows from what is given: without ``n`` the sample
    size (``power`` defaulting to :data:`DEFAULT_POWER`); with ``n`` and ``effect`` the
    power; with ``n`` only the detectable effect.

    Returns
    -------
    dict
        ``{"inputs": {...}, "solved_for": str, "methods": [{...}, ...], "simulation": {...} | None}``.
        Each method entry holds every :class:`mscreg.design.power.MethodDesign` field plus
        ``simulated_power`` and ``simulated_power_se`` (``None`` without ``simulate``).

    Examples
    --------
    >>> rep = design_report(effect=0.5, sd=1.0, rho=0.6)
    >>> [(m["method"], m["n_per_arm"]) for m in rep["methods"]]
    [('follow_up', 64), ('change_score', 52), ('ancova', 42)]
    """
    if n is not None and effect is not None and power is not None:
        raise InputError(
            f"give at most two of effect, power and n; the third is solved for (got effect={effect!r}, "
            f"power={power!r}, n={n!r})"
        )
    if power is None and not (n is not None and effect is not None):
        power = DEFAULT_POWER
    from mscreg.design.power import solve_design
    from mscreg.design.simulate import simulate_power

    result = solve_design(
        effect=effect,
        sd=sd,
        rho=rho,
        alpha=alpha,
        power=power,
        n=n,
        allocation=allocation,
        dropout=dropout,
        alternative=alternative,
        arms=arms,
        correction=correction,
    )
    methods = []
    simulation: dict[str, Any] | None = None
    sims: list[Any] = []
    if simulate:
        for item in result.methods:
            sim = simulate_power(
                effect=item.effect,
                n_per_arm=item.n_per_arm,
                sd=sd,
                rho=rho,
                mu=mu,
                alpha=item.alpha_per_comparison,
                allocation=item.n_control / item.n_per_arm,
                dropout=dropout,
                alternative=alternative,
                entry_min=entry_min,
                entry_max=entry_max,
                methods=(item.method,),
                n_sims=n_sims,
                seed=seed,
            )
            seed = sim.seed  # one recorded seed for every method
            sims.append(sim)
        first = sims[0]
        simulation = {
            "n_sims": first.n_sims,
            "seed": first.seed,
            "mu": first.mu,
            "entry_min": first.entry_min,
            "entry_max": first.entry_max,
            "rho_enrolled": first.rho_enrolled,
            "rho_enrolled_expected": first.rho_enrolled_expected,
            "mean_change_control": first.mean_change_control,
        }
    elif mu is not None or entry_min is not None or entry_max is not None:
        raise InputError("mu, entry_min and entry_max only apply with --simulate; add --simulate or leave them out")
    for i, item in enumerate(result.methods):
        entry = item.to_dict()
        sim_method = sims[i].methods[0] if sims else None
        entry["simulated_power"] = None if sim_method is None else sim_method.power
        entry["simulated_power_se"] = None if sim_method is None else sim_method.mc_se
        methods.append(entry)
    inputs = {
        "effect": effect,
        "sd": result.sd,
        "rho": result.rho,
        "alpha": result.alpha,
        "power": None if result.solved_for == "power" else power,
        "n": n,
        "allocation": result.allocation,
        "dropout": result.dropout,
        "alternative": result.alternative,
        "arms": result.arms,
        "correction": result.correction,
        "simulate": simulate,
        "n_sims": n_sims if simulate else None,
        "seed": seed if simulate else None,
        "mu": mu,
        "entry_min": entry_min,
        "entry_max": entry_max,
    }
    return plain({"inputs": inputs, "solved_for": result.solved_for, "methods": methods, "simulation": simulation})


#: ``design_report``'s options other than ``effect``, which ``design`` forwards by name.
_REPORT_OPTIONS = tuple(name for name in inspect.signature(design_report).parameters if name != "effect")


def _cohort_inputs(
    source: Any, placebo_change: str | None, entry_threshold: float,
    sigma: float, rho_grid: str | None, mu_grid: str | None,
) -> Any:
    """Design inputs from the cohort in ``data`` (or the seed)."""
    from mscreg.cli.pipeline import parse_numbers
    from mscreg.design.cohort import cohort_design_inputs
    from mscreg.stats.rtm import DEFAULT_MU_GRID, DEFAULT_RHO_GRID

    placebo: float | tuple[float, ...] | None = None
    if placebo_change is not None:
        values = parse_numbers("--placebo-change", placebo_change)
        if len(values) > 2:
            raise InputError(f"--placebo-change {placebo_change!r}: give one number or 'low,high'")
        placebo = values[0] if len(values) == 1 else values
    table = source.load()
    return cohort_design_inputs(
        table.frame, entry_threshold=entry_threshold, placebo_change=placebo, sigma=sigma,
        rho_values=parse_numbers("--rho-grid", rho_grid) if rho_grid else DEFAULT_RHO_GRID,
        mu_values=parse_numbers("--mu-grid", mu_grid) if mu_grid else DEFAULT_MU_GRID,
    )


def cohort_design_report(cohort: Any, **options: Any) -> dict[str, Any]:
    """``design_report`` at the low, median and high end of the cohort's design effect.

    Only ends above zero are sized (nothing can be designed for a zero or negative effect).
    The top-level ``methods`` are those at the lowest positive end, the one to plan with;
    ``scenarios`` holds all three ends and ``cohort`` the effect range and its sources.

    Examples
    --------
    >>> from mscreg.cohort import seed_table
    >>> from mscreg.design.cohort import cohort_design_inputs
    >>> cohort = cohort_design_inputs(seed_table().frame)
    >>> report = cohort_design_report(cohort, sd=cohort.sd, rho=cohort.rho)
    >>> [s["label"] for s in report["scenarios"]], report["design_effect"] == report["scenarios"][0]["effect"]
    (['median', 'high'], True)
    """
    scenarios = []
    for label, value in zip(("low", "median", "high"), cohort.effect.effects()):
        if value > 0:
            scenarios.append({"label": label, "effect": value, **design_report(effect=value, **options)})
    report = {
        "inputs": scenarios[0]["inputs"] if scenarios else plain({k: v for k, v in options.items()}),
        "solved_for": "n",
        "design_effect": scenarios[0]["effect"] if scenarios else None,
        "methods": scenarios[0]["methods"] if scenarios else [],
        "simulation": scenarios[0]["simulation"] if scenarios else None,
        "cohort": plain(cohort.to_dict()),
        "scenarios": scenarios,
    }
    return report


def _fmt(value: Any, spec: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return format(value, spec)


def _print_text(report: dict[str, Any], console: Console) -> None:
    inputs = report["inputs"]
    solved = report["solved_for"]
    title = {
        "n": "Patients needed per arm",
        "power": "Power at the given size",
        "effect": "Smallest detectable HbA1c difference",
    }[solved]
    table = Table(title=f"{title} (solved for {solved})")
    for header in ("Method", "SD analysed", "Effect %", "d", "n/arm", "Control", "Total", "Power"):
        table.add_column(header, justify="left" if header == "Method" else "right")
    simulated = report["simulation"] is not None
    if simulated:
        table.add_column("Sim. power ± SE", justify="right")
    for m in report["methods"]:
        row = [
            m["method"],
            _fmt(m["sd_analysis"], ".3f"),
            _fmt(m["effect"], ".3f"),
            _fmt(m["effect_size"], ".3f"),
            str(m["n_per_arm"]),
            str(m["n_control"]),
            str(m["n_total"]),
            _fmt(m["power"], ".3f"),
        ]
        if simulated:
            row.append(f"{m['simulated_power']:.3f} ± {m['simulated_power_se']:.3f}")
        table.add_row(*row)
    console.print(table)
    first = report["methods"][0]
    multiplicity = ""
    if inputs["arms"] > 1:
        multiplicity = (
            f", {inputs['correction']} correction: alpha per comparison {first['alpha_per_comparison']:.4g}"
            " (power is per comparison)"
        )
    console.print(
        f"sd {inputs['sd']:g} %, rho {inputs['rho']:g}, alpha {inputs['alpha']:g} ({inputs['alternative']}), "
        f"allocation {inputs['allocation']:g}, dropout {inputs['dropout']:g}, "
        f"{inputs['arms']} active arm(s){multiplicity}",
        highlight=False,
    )
    if simulated:
        sim = report["simulation"]
        console.print(
            f"Simulation: {sim['n_sims']} trials, seed {sim['seed']}; "
            f"baseline/follow-up correlation among the enrolled {_fmt(sim['rho_enrolled'], '.3f')} "
            f"(expected {_fmt(sim['rho_enrolled_expected'], '.3f')})",
            highlight=False,
        )


def design(
    sd: Annotated[float | None, typer.Option("--sd", help=OPTION_HELP["--sd"])] = None,
    rho: Annotated[float | None, typer.Option("--rho", help=OPTION_HELP["--rho"])] = None,
    effect: Annotated[float | None, typer.Option("--effect", help=OPTION_HELP["--effect"])] = None,
    alpha: Annotated[float, typer.Option("--alpha", help=OPTION_HELP["--alpha"])] = 0.05,
    power: Annotated[float | None, typer.Option("--power", help=OPTION_HELP["--power"])] = None,
    n: Annotated[int | None, typer.Option("--n", help=OPTION_HELP["--n"])] = None,
    allocation: Annotated[float, typer.Option("--allocation", help=OPTION_HELP["--allocation"])] = 1.0,
    dropout: Annotated[float, typer.Option("--dropout", help=OPTION_HELP["--dropout"])] = 0.0,
    alternative: Annotated[str, typer.Option("--alternative", help=OPTION_HELP["--alternative"])] = "two-sided",
    arms: Annotated[int, typer.Option("--arms", help=OPTION_HELP["--arms"])] = 1,
    correction: Annotated[str, typer.Option("--correction", help=OPTION_HELP["--correction"])] = "bonferroni",
    simulate: Annotated[bool, typer.Option("--simulate/--no-simulate", help=OPTION_HELP["--simulate"])] = False,
    n_sims: Annotated[int, typer.Option("--n-sims", help=OPTION_HELP["--n-sims"])] = 2000,
    seed: Annotated[int | None, typer.Option("--seed", help=OPTION_HELP["--seed"])] = None,
    mu: Annotated[float | None, typer.Option("--mu", help=OPTION_HELP["--mu"])] = None,
    entry_min: Annotated[float | None, typer.Option("--entry-min", help=OPTION_HELP["--entry-min"])] = None,
    entry_max: Annotated[float | None, typer.Option("--entry-max", help=OPTION_HELP["--entry-max"])] = None,
    output_format: Annotated[str, typer.Option("--format", help=OPTION_HELP["--format"])] = "text",
    data: opt.Data = None,
    db: opt.Db = None,
    hba1c_unit: opt.HbA1cUnitOpt = "ngsp",
    sheet: opt.Sheet = None,
    baseline_window_days: opt.BaselineWindow = 90,
    follow_up: opt.FollowUp = "last",
    cohort_engine: opt.CohortEngine = "sql",
    placebo_change: Annotated[str | None, typer.Option("--placebo-change", help=OPTION_HELP["--placebo-change"])] = None,
    entry_threshold: opt.EntryThreshold = opt.DEFAULTS.entry_threshold,
    sigma: opt.Sigma = opt.DEFAULTS.sigma,
    rho_grid: opt.RhoGrid = None,
    mu_grid: opt.MuGrid = None,
) -> None:
    """Size the randomised MSC-vs-placebo trial on HbA1c for three analyses.

    Gives n per arm (or power, or the detectable effect) for follow-up only, change
    score and ANCOVA on baseline. Without --effect and --n the effect comes from the
    cohort (the seed study, or --data): its observed change net of regression to the mean
    and of the trial-entry (placebo) response, as a range; n is given at its low, median
    and high end. Example::

        mscreg design --effect 0.5 --sd 1.0 --rho 0.6 --alpha 0.05 --power 0.8 --format json
    """
    try:
        from mscreg.stats._checks import check_option

        check_option(output_format, name="format", choices=_FORMATS)
        cohort = None
        if (effect is None and n is None) or sd is None or rho is None:
            source = opt.source_from_options(locals())
            cohort = _cohort_inputs(source, placebo_change, entry_threshold, sigma, rho_grid, mu_grid)
            sd = cohort.sd if sd is None else sd
            rho = cohort.rho if rho is None else rho
        # every design_report option but the effect, under the same name as this command's parameter
        common = {key: value for key, value in locals().items() if key in _REPORT_OPTIONS}
        if effect is None and n is None:
            report = cohort_design_report(cohort, **common)
        else:
            report = design_report(effect=effect, **common)
            if cohort is not None:
                report["cohort"] = plain(cohort.to_dict())
    except MscregError as err:
        from mscreg.cli.render import fail

        fail(err)
        return
    if output_format == "json":
        typer.echo(json.dumps(report, indent=2))
        return
    console = Console(width=120)
    if "scenarios" in report:
        console.print(report["cohort"]["effect"]["statement"], highlight=False)
        if not report["scenarios"]:
            console.print("No trial can be sized for this cohort's effect; give --effect to size one anyway.", highlight=False)
        for scenario in report["scenarios"]:
            console.print(f"\n[bold]{scenario['label']} end of the design effect: {scenario['effect']:.3f} %[/]")
            _print_text(scenario, console)
    else:
        _print_text(report, console)
