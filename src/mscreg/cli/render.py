"""Presentation of result objects in the terminal: Rich tables, JSON and CSV.

Nothing here computes a statistic: every number comes from a result object, and only
its display (decimals, rounding rule) is decided here.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from mscreg.stats.rounding import round_value

__all__ = ["fail", "fmt", "print_analysis", "print_audit", "print_audit_csv", "print_json"]

_VERDICT_STYLE = {
    "reproduced": "green",
    "reproduced_with_convention": "yellow",
    "not_reproduced": "bold red",
    "not_checkable": "dim",
    "consistent": "green",
    "inconsistent": "bold red",
    "not_informative": "dim",
}


def fail(error: Exception) -> None:
    """Print ``error`` to standard error (no traceback) and exit with its mapped code."""
    import typer
    from rich.markup import escape

    from mscreg.errors import MscregError, exit_code_for

    Console(stderr=True, highlight=False, soft_wrap=True).print(f"[bold red]error:[/] {escape(str(error))}", markup=True)
    raise typer.Exit(code=exit_code_for(error) if isinstance(error, MscregError) else 1)


def _console() -> Console:
    probe = Console()
    return Console(highlight=False, soft_wrap=False, width=probe.width if probe.is_terminal else 160)


def fmt(value: Any, digits: int = 3, rounding: str = "half-up") -> str:
    """Format a number for text output with ``digits`` decimals by ``rounding``.

    p-values below 10^-digits are shown in scientific notation so they never print as 0.

    Examples
    --------
    >>> fmt(0.5755555, 2), fmt(35.5, 0, "truncate"), fmt(1.06e-06), fmt(None), fmt(58)
    ('0.58', '35', '1.06e-06', '—', '58')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    value = float(value)
    if value != 0 and abs(value) < 10.0 ** -digits:
        return f"{value:.3g}"
    return f"{round_value(value, digits, rule=rounding):.{digits}f}"


def print_json(payload: dict[str, Any]) -> None:
    """Write ``payload`` as indented JSON to standard output (results carry NaN as null already).

    Examples
    --------
    >>> print_json({"n": 58, "p_value": None})
    {
      "n": 58,
      "p_value": null
    }
    """
    sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def print_analysis(table: Any, result: Any, *, digits: int = 3, rounding: str = "half-up") -> None:
    """Print :class:`~mscreg.stats.paper.PaperAnalyses` as Rich tables."""
    console = _console()
    f = lambda v: fmt(v, digits, rounding)  # noqa: E731
    source = table.describe_source()
    console.print(f"[bold]Data:[/] {source['source']}  ({source['rows']} rows, {source['rows_with_follow_up']} with HbA1c after; sha256 {source['sha256'][:12]}…)")
    if result.sex_counts:
        console.print("Sex: " + ", ".join(f"{k} {v}" for k, v in result.sex_counts.items()))

    desc = Table(title="Descriptives", title_justify="left")
    for header in ("variable", "n", "mean", "SD", "min", "Q1", "median", "Q3", "max"):
        desc.add_column(header, justify="right" if header != "variable" else "left")
    for name, d in result.descriptives.items():
        desc.add_row(name, str(d.n), f(d.mean), f(d.sd), f(d.minimum), f(d.q1), f(d.median), f(d.q3), f(d.maximum))
    console.print(desc)
    conv = result.conventions
    console.print(f"[dim]SD ddof={conv['ddof']}; quartiles {conv['quartile_method']}; tests {conv['alternative']}; CI {conv['ci_level']:.0%}[/]")

    tests = Table(title="Paired t-tests of HbA1c after vs before (change = after − before)", title_justify="left")
    for header in ("group", "definition", "n", "before", "after", "mean change", "CI", "t", "df", "p"):
        tests.add_column(header, justify="left" if header in ("group", "definition") else "right")
    o = result.overall
    tests.add_row("all", "every patient with both values", str(o.n), f(o.mean_before), f(o.mean_after), f(o.estimate),
                  f"{f(o.ci_low)} to {f(o.ci_high)}", f(o.t), str(o.df), fmt(o.p_value, 4))
    for _label, groups in (("severity", result.severity_groups), ("dose", result.dose_groups)):
        for g in groups:
            t = g.ttest
            definition = f"{g.column} {g.band['label']}"
            if t is None:
                tests.add_row(g.name, definition, str(g.n), f(g.mean_before), f(g.mean_after), f(-g.mean_reduction), "—", "—", "—", "—")
            else:
                tests.add_row(g.name, definition, str(t.n), f(t.mean_before), f(t.mean_after), f(t.estimate),
                              f"{f(t.ci_low)} to {f(t.ci_high)}", f(t.t), str(t.df), fmt(t.p_value, 4))
    console.print(tests)

    if result.correlations:
        corr = Table(title="Pearson correlation with the HbA1c fall (before − after)", title_justify="left")
        for header in ("variable", "n", "r", "CI", "p"):
            corr.add_column(header, justify="left" if header == "variable" else "right")
        for name, c in result.correlations.items():
            corr.add_row(name, str(c.n), f(c.estimate), f"{f(c.ci_low)} to {f(c.ci_high)}", fmt(c.p_value, 4))
        console.print(corr)
        if "hba1c_before" in result.correlations:
            console.print("[dim]Baseline vs fall is mathematically coupled (the baseline appears in both) and inflated by "
                          "regression to the mean; it is not evidence that severe patients respond more.[/]")


def print_audit(report: Any) -> None:
    """Print an :class:`~mscreg.audit.AuditReport` as Rich tables."""
    console = _console()
    title = report.study.get("title") or "claims"
    console.print(f"[bold]Audit of:[/] {title}")
    console.print(f"[bold]Data:[/] {report.data['source']} ({report.data['rows']} rows; sha256 {report.data['sha256'][:12]}…)")
    claims = Table(title="Claims", title_justify="left", show_lines=True, expand=True)
    claims.add_column("id", no_wrap=True, ratio=2)
    claims.add_column("claim", ratio=3)
    claims.add_column("reported", ratio=1)
    claims.add_column("recomputed", ratio=1)
    claims.add_column("verdict", ratio=2)
    claims.add_column("explanation", ratio=6)
    from mscreg.audit.engine import format_value

    for verdict in report.claims:
        style = _VERDICT_STYLE[verdict.verdict]
        claims.add_row(verdict.id, f"{verdict.claim} [dim]({verdict.where})[/]", verdict.reported, format_value(verdict.recomputed),
                       f"[{style}]{verdict.verdict}[/]", verdict.explanation)
    console.print(claims)
    if report.consistency:
        checks = Table(title="Internal consistency (no data needed)", title_justify="left", show_lines=True, expand=True)
        checks.add_column("check", ratio=2)
        checks.add_column("kind", ratio=1)
        checks.add_column("verdict", ratio=1)
        checks.add_column("explanation", ratio=6)
        for check in report.consistency:
            checks.add_row(check.id, check.kind, f"[{_VERDICT_STYLE[check.verdict]}]{check.verdict}[/]", check.explanation)
        console.print(checks)
    console.print(f"[bold]{report.summary()}[/]")


def print_audit_csv(report: Any) -> None:
    """Write one CSV row per claim (consistency checks follow with kind=consistency)."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["id", "kind", "verdict", "reported", "recomputed", "convention", "where", "claim", "explanation"])
    for v in report.claims:
        recomputed = "" if v.recomputed is None else json.dumps(v.recomputed)
        writer.writerow([v.id, "claim", v.verdict, v.reported, recomputed, v.convention or "", v.where, v.claim, v.explanation])
    for c in report.consistency:
        writer.writerow([c.id, f"consistency:{c.kind}", c.verdict, "", "", "", "", " ".join(c.claims), c.explanation])


def _ci(low: Any, high: Any, f) -> str:
    return f"{f(low)} to {f(high)}"


def print_estimates(estimates: Any, *, digits: int = 3, rounding: str = "half-up") -> None:
    """Print :class:`~mscreg.stats.estimates.HonestEstimates` as Rich tables."""
    console = _console()
    f = lambda v: fmt(v, digits, rounding)  # noqa: E731
    f2 = lambda v: fmt(v, 2, rounding)  # noqa: E731
    settings = estimates.settings
    level = f"{settings['ci_level']:.0%}"
    holm_p = {row.label: row.p_adjusted for row in estimates.holm.rows} if estimates.holm else {}

    table = Table(title=f"Effect estimates (change = after − before; {level} CIs)", title_justify="left")
    for header in ("group", "n", "mean change", "t CI", "BCa bootstrap CI", "Hodges–Lehmann (CI)", "Cohen d_z (CI)",
                   "Hedges g_av (CI)", "t-test p", "Holm p", "sign-flip p", "signed-rank p"):
        table.add_column(header, justify="left" if header == "group" else "right")
    for g in estimates.groups:
        if g.paired is None:
            table.add_row(g.name, str(g.n), *(["—"] * 9), g.note)
            continue
        p, hl, boot, perm = g.paired, g.signed_rank, g.bootstrap, g.permutation
        table.add_row(
            g.name, str(g.n), f(p.estimate), _ci(p.ci_low, p.ci_high, f), _ci(boot.ci_low, boot.ci_high, f),
            f"{f(hl.estimate)} ({_ci(hl.ci_low, hl.ci_high, f)})", f"{f2(p.cohen_dz)} ({_ci(p.cohen_dz_ci_low, p.cohen_dz_ci_high, f2)})",
            f"{f2(p.hedges_g_av)} ({_ci(p.hedges_g_av_ci_low, p.hedges_g_av_ci_high, f2)})", fmt(p.p_value, 4),
            fmt(holm_p[g.name], 4) if g.name in holm_p else "—", fmt(perm.p_value, 4), fmt(hl.p_value, 4),
        )
    console.print(table)
    console.print(f"[dim]Bootstrap (BCa) and sign-flip permutation: {settings['n_resamples']} resamples, seed {settings['seed']}. "
                  "Holm adjusts across the severity and dose subgroups.[/]")

    rtm = Table(title="Regression to the mean: change expected with no effect, and what is left", title_justify="left")
    for header in ("group", "selection", "observed", "expected with no effect", "adjusted change", "adjusted CI (worst end)"):
        rtm.add_column(header, justify="left" if header in ("group", "selection") else "right")
    for g in estimates.groups:
        if g.rtm is None:
            continue
        grid = g.rtm
        worst_high = max(pt.adjusted_ci_high for pt in grid.points)
        selection = g.definition if g.family == "severity" else f"entry ≥ {settings['entry_threshold']:g}"
        rtm.add_row(g.name, selection, f(grid.observed_change), f"{f(grid.min_expected_change)} to {f(grid.max_expected_change)}",
                    f"{f(grid.min_adjusted_change)} to {f(grid.max_adjusted_change)}", f"upper end up to {f(worst_high)}")
    console.print(rtm)
    console.print(f"[dim]Grid: ρ in {', '.join(f'{r:.3g}' for r in settings['rho_values'])}; μ in "
                  f"{', '.join(f'{m:g}' for m in settings['mu_values'])} %; σ = {settings['sigma']:g} % "
                  "(Barnett, van der Pols & Dobson 2005).[/]")
    for g in estimates.groups:
        if g.rtm is not None:
            console.print(f"  {g.name}: " + " ".join(g.rtm.conclusions))
    if estimates.oldham is not None:
        o = estimates.oldham
        console.print(f"Baseline vs change — naive r = {f(o.naive_r)} (p = {fmt(o.naive_p, 4)}), biased by regression to the mean; "
                      f"Oldham's r = {f(o.oldham_r)} ({level} CI {_ci(o.oldham_ci_low, o.oldham_ci_high, f)}, p = {fmt(o.oldham_p, 4)}).")

    if estimates.dose_response is not None:
        dr = estimates.dose_response
        coef = Table(title=f"Dose-response adjusted for baseline: {dr.formula} (n = {dr.n}, R² = {f(dr.r_squared)})", title_justify="left")
        for header in ("term", "estimate", "CI", "p"):
            coef.add_column(header, justify="left" if header == "term" else "right")
        for c in dr.coefficients:
            coef.add_row(c.term, f(c.estimate), _ci(c.ci_low, c.ci_high, f), fmt(c.p_value, 4))
        console.print(coef)
    if estimates.durability is not None:
        d = estimates.durability
        console.print(f"Durability: change per month observed {fmt(d.estimate, 4)} ({level} CI {_ci(d.ci_low, d.ci_high, lambda v: fmt(v, 4))}, "
                      f"p = {fmt(d.p_value, 4)}, n = {d.n}). [dim]{d.caveat}[/]")

    r = estimates.responders
    resp = Table(title=f"Responders ({level} Wilson CIs)", title_justify="left")
    for header in ("criterion", "count", "share", "CI"):
        resp.add_column(header, justify="left" if header == "criterion" else "right")
    for share in (r.rcv_responders, *r.targets_before, *r.targets_after):
        resp.add_row(share.label, f"{share.count}/{share.n}", f2(share.estimate), _ci(share.ci_low, share.ci_high, f2))
    console.print(resp)
    console.print(f"[dim]Reference change value {f2(r.rcv_percent)} % from CVA {r.cva_percent:g} % and CVI {r.cvi_percent:g} %.[/]")

    ext = estimates.external
    context = Table(title="External context: what happens without MSCs elsewhere (NOT a control group)", title_justify="left")
    for header in ("source", "arm", "quantity", "timepoint", "external", "this cohort", "difference"):
        context.add_column(header, justify="right" if header in ("external", "this cohort", "difference") else "left")
    for row in ext.rows:
        external = f(row.external_change) if row.external_change == row.external_change else _ci(row.external_low, row.external_high, f)
        context.add_row(row.source, row.arm, row.quantity, row.timepoint or "—", external, f(row.cohort_change), f(row.difference))
    console.print(context)
    console.print(f"[dim]{ext.label}[/]")
    for caveat in estimates.caveats:
        console.print(f"[bold]Note:[/] {caveat}")
