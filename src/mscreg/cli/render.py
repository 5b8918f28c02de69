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

__all__ = ["fmt", "print_analysis", "print_audit", "print_audit_csv", "print_json"]

_VERDICT_STYLE = {
    "reproduced": "green",
    "reproduced_with_convention": "yellow",
    "not_reproduced": "bold red",
    "not_checkable": "dim",
    "consistent": "green",
    "inconsistent": "bold red",
    "not_informative": "dim",
}


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
    """Write ``payload`` as indented JSON (NaN as null) to standard output."""
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
    for label, groups in (("severity", result.severity_groups), ("dose", result.dose_groups)):
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
