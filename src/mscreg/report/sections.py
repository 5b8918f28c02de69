"""One function per report section: result objects in, blocks of final text out.

Nothing here computes a statistic. Every number is a field of a result object, formatted
by :mod:`mscreg.report.format`; the words around it are chosen from the signs and flags
the result objects carry (e.g. ``RtmGrid.all_adjusted_negative``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mscreg.audit.reported import Point
from mscreg.report.format import ci, num, pct, pval
from mscreg.report.model import Figure, Flow, Paragraph, ReportInputs, Section, Table

__all__ = ["SECTION_TITLES", "findings", "sections"]

#: Section id -> title, in report order.
SECTION_TITLES: dict[str, str] = {
    "cohort": "1. Cohort",
    "primary": "2. Primary outcome: HbA1c change",
    "subgroups": "3. Subgroups",
    "dose-durability": "4. Dose-response and durability",
    "rtm": "5. Regression to the mean",
    "responders": "6. Responders",
    "external": "7. External context (uncontrolled)",
    "audit": "8. Audit of the published claims",
    "design": "9. Designing the randomised trial",
    "methods": "10. Methods",
    "provenance": "11. Provenance",
}

_COLUMN_LABELS = {
    "age": "Age, years",
    "dose_million": "Dose, million cells",
    "hba1c_before": "HbA1c before, %",
    "hba1c_after": "HbA1c after, %",
    "months_observed": "Months observed",
}

_METHOD_LABELS = {
    "follow_up": "Follow-up HbA1c only",
    "change_score": "Change from baseline",
    "ancova": "ANCOVA on baseline",
}


def _level(ci_level: float) -> str:
    return f"{ci_level:.0%}".replace("%", " %")


def _fall_words(estimate: float, lo: float, hi: float, level: str) -> str:
    """'fell by 0.79 % points (95 % CI 0.50 to 1.08)' or 'rose by ...', from a signed change."""
    if estimate < 0:
        return f"fell by {num(-estimate)} % points ({level} CI {num(-hi)} to {num(-lo)})"
    return f"rose by {num(estimate)} % points ({level} CI {ci(lo, hi)})"


# --------------------------------------------------------------------------- findings
def _stated_patients(inputs: ReportInputs) -> str | None:
    """The patient count the publication states (its first plain count of all rows), as printed digits."""
    if inputs.audit is None or inputs.claims is None:
        return None
    for verdict in inputs.audit.claims:
        if verdict.statistic == "count" and verdict.subset == "all" and verdict.quantity is None:
            reported = inputs.claims.claim(verdict.id).parsed_reported()
            return f"{reported.value:g}" if isinstance(reported, Point) else None
    return None


def findings(inputs: ReportInputs) -> tuple[str, ...]:
    """The main findings in plain words, for the summary box at the top."""
    run, est = inputs.run, inputs.run.estimates
    cohort = est.group("all")
    p = cohort.paired
    level = _level(p.ci_level)
    out = [
        f"In the {p.n} patients with HbA1c before and after, HbA1c {_fall_words(p.estimate, p.ci_low, p.ci_high, level)}, "
        f"from a mean of {num(p.mean_before)} % to {num(p.mean_after)} % (paired t-test p = {pval(p.p_value)}; "
        f"Cohen's d_z {num(p.cohen_dz)})."
    ]
    grid = cohort.rtm
    if grid is not None:
        verdict = ("a fall beyond regression to the mean survives every point of the grid"
                   if grid.all_adjusted_negative else
                   "a fall beyond regression to the mean does not survive every point of the grid")
        out.append(
            f"Regression to the mean alone would lower HbA1c too: after subtracting it, the change is "
            f"{num(grid.min_adjusted_change)} to {num(grid.max_adjusted_change)} % points across "
            f"{len(grid.points)} assumptions about ρ and μ — {verdict}."
        )
    r = est.responders.rcv_responders
    out.append(f"{r.count} of {r.n} patients ({pct(r.estimate)}) fell by more than the reference change value "
               f"({num(est.responders.rcv_percent, 1)} %), i.e. beyond measurement noise.")
    if inputs.audit is not None:
        counts = inputs.audit.counts
        stated = _stated_patients(inputs)
        rows = f" The paper states {stated} patients; its table holds {run.table.n_rows} rows." if stated and stated != str(run.table.n_rows) else ""
        out.append(
            f"Of {len(inputs.audit.claims)} published claims, {counts.get('not_reproduced', 0)} could not be reproduced "
            f"from the patient table and {counts.get('reproduced_with_convention', 0)} only with a different convention "
            f"than stated; {counts.get('reproduced', 0)} were reproduced as stated.{rows}"
        )
    if "unavailable" in inputs.cohort_design:
        out.append(f"No control group: this is a single-arm before/after study; {inputs.cohort_design['unavailable']}.")
        return tuple(out)
    effect = inputs.cohort_design["cohort"]["effect"]
    sized = {s["label"]: s for s in inputs.cohort_design["scenarios"]}
    ancova_at = {label: next(m["n_per_arm"] for m in s["methods"] if m["method"] == "ancova") for label, s in sized.items()}
    trial = (f"Net of regression to the mean and of the trial-entry effect, the fall left for MSCs to explain is "
             f"{num(effect['effect_low'])} to {num(effect['effect_high'])} % points (median {num(effect['effect_median'])}). ")
    if "median" in ancova_at:
        trial += (f"A randomised trial sized on the median needs {ancova_at['median']} patients per arm (ANCOVA, "
                  f"{pct(inputs.design_basis['power'])} power)")
        trial += f", on the high end {ancova_at['high']}." if "high" in ancova_at else "."
    else:
        trial += "At the median nothing is left to detect."
    out.append(f"No control group: this is a single-arm before/after study. {trial}")
    return tuple(out)


# --------------------------------------------------------------------------- sections
def _cohort(inputs: ReportInputs, figures: Mapping[str, Figure]) -> tuple[Any, ...]:
    table, paper, base = inputs.run.table, inputs.run.paper, inputs.baseline
    source = table.describe_source()
    stated = _stated_patients(inputs)
    steps = []
    if stated is not None:
        steps.append(("Patients stated in the publication", stated))
    steps.append(("Rows in the analysis table", str(table.n_rows)))
    steps.append(("Rows analysed (HbA1c before and after)", str(paper.n_paired)))
    exclusions = []
    without = table.n_rows - source["rows_with_follow_up"]
    exclusions.append(f"{without} row{'s' if without != 1 else ''} without a follow-up HbA1c (not analysed)")
    blank = len(source["skipped_blank_rows"])
    exclusions.append(f"{blank} blank row{'s' if blank != 1 else ''} skipped in the file"
                      + (f" (rows {', '.join(map(str, source['skipped_blank_rows']))})" if blank else ""))
    if stated is not None and stated != str(table.n_rows):
        exclusions.append(f"the publication states {stated} patients; the table holds {table.n_rows} rows — the difference is unexplained")
    flow = Flow(id="cohort-flow", steps=tuple(steps), exclusions=tuple(exclusions))

    groups = base.groups
    header = ("Characteristic", *(f"{g} (n = {base.group_sizes[g]})" for g in groups))
    rows: list[tuple[str, ...]] = []
    if base.sex_counts:
        rows.append(("Sex, F / M", *(f"{base.sex_counts[g]['F']} / {base.sex_counts[g]['M']}" for g in groups)))
        if any(base.sex_counts[g]["missing"] for g in groups):
            rows.append(("Sex, missing", *(str(base.sex_counts[g]["missing"]) for g in groups)))
    for column in base.columns:
        digits = 2 if column.startswith("hba1c") else 1
        label = _COLUMN_LABELS.get(column, column)
        rows.append((f"{label}: mean (SD)", *(f"{num(base.cell(column, g).mean, digits)} ({num(base.cell(column, g).sd, digits)})" for g in groups)))
        rows.append((f"{label}: median [Q1, Q3]", *(
            f"{num(base.cell(column, g).median, digits)} [{num(base.cell(column, g).q1, digits)}, {num(base.cell(column, g).q3, digits)}]"
            for g in groups)))
        rows.append((f"{label}: range", *(f"{num(base.cell(column, g).minimum, digits)}–{num(base.cell(column, g).maximum, digits)}" for g in groups)))
        rows.append((f"{label}: n missing", *(str(base.cell(column, g).n_missing) for g in groups)))
    definitions = "; ".join(f"{g}: {d}" for g, d in base.group_definitions.items())
    table1 = Table(
        id="table1", caption="Table 1. Characteristics of every row of the table, overall and by severity group",
        header=header, rows=tuple(rows),
        notes=(f"Groups: {definitions}.", f"SD with ddof = {base.ddof}; quartiles by the {base.quartile_method} method. "
               "Missing values are counted, never imputed."),
    )
    return (flow, table1)


def _primary(inputs: ReportInputs, figures: Mapping[str, Figure]) -> tuple[Any, ...]:
    est = inputs.run.estimates
    g = est.group("all")
    p, boot, hl, perm = g.paired, g.bootstrap, g.signed_rank, g.permutation
    level = _level(p.ci_level)
    rows = (
        ("Mean HbA1c before, %", num(p.mean_before), f"SD {num(p.sd_before)}", "—"),
        ("Mean HbA1c after, %", num(p.mean_after), f"SD {num(p.sd_after)}", "—"),
        ("Mean change (after − before), % points", num(p.estimate), ci(p.ci_low, p.ci_high), pval(p.p_value)),
        ("Mean change, BCa bootstrap CI", num(boot.estimate), ci(boot.ci_low, boot.ci_high), "—"),
        ("Mean change, sign-flip permutation test", num(perm.estimate), "—", pval(perm.p_value)),
        ("Hodges–Lehmann median change (signed-rank)", num(hl.estimate), ci(hl.ci_low, hl.ci_high), pval(hl.p_value)),
        ("Cohen's d_z", num(p.cohen_dz), ci(p.cohen_dz_ci_low, p.cohen_dz_ci_high), "—"),
        ("Hedges' g_av", num(p.hedges_g_av), ci(p.hedges_g_av_ci_low, p.hedges_g_av_ci_high), "—"),
        ("Correlation before–after (r)", num(p.r_before_after), "—", "—"),
    )
    table = Table(
        id="primary-table", caption=f"Primary outcome: HbA1c change in {p.n} patients ({level} CIs)",
        header=("Estimate", "Value", f"{level} CI", "p"), rows=rows,
        notes=(f"Bootstrap and permutation: {boot.n_resamples} resamples, seed {boot.seed}.",),
    )
    return (Paragraph(text=findings(inputs)[0]), table, figures.get("slopegraph"))


def _subgroups(inputs: ReportInputs, figures: Mapping[str, Figure]) -> tuple[Any, ...]:
    est = inputs.run.estimates
    holm_p = {row.label: row.p_adjusted for row in est.holm.rows} if est.holm else {}
    rows, classes = [], []
    for g in est.groups:
        if g.family == "cohort":
            continue
        if g.paired is None:
            rows.append((g.name, g.definition, str(g.n), "—", "—", "—", "—", "—"))
            classes.append("muted")
            continue
        p = g.paired
        rows.append((g.name, g.definition, str(g.n), num(p.estimate), ci(p.ci_low, p.ci_high), num(p.cohen_dz),
                     pval(p.p_value), pval(holm_p.get(g.name))))
        classes.append("")
    level = _level(est.settings["ci_level"])
    table = Table(
        id="subgroup-table", caption=f"Mean HbA1c change by severity and dose group ({level} CIs)",
        header=("Group", "Definition", "n", "Mean change", f"{level} CI", "d_z", "p (raw)", "p (Holm)"),
        rows=tuple(rows), row_classes=tuple(classes), first_numeric=2,
        notes=("Holm's step-down adjustment across all severity and dose subgroups (family-wise error).",
               "Subgroups selected on baseline HbA1c regress to the mean differently: see section 5."),
    )
    return (table,)


def _dose_durability(inputs: ReportInputs, figures: Mapping[str, Figure]) -> tuple[Any, ...]:
    est, paper = inputs.run.estimates, inputs.run.paper
    blocks: list[Any] = []
    if paper.correlations:
        rows = tuple((name, str(c.n), num(c.estimate), ci(c.ci_low, c.ci_high), pval(c.p_value)) for name, c in paper.correlations.items())
        blocks.append(Table(id="correlation-table", caption="Pearson correlation with the HbA1c fall (before − after), as the paper did",
                            header=("Variable", "n", "r", "CI", "p"), rows=rows,
                            notes=("Baseline vs fall is mathematically coupled and inflated by regression to the mean (section 5).",)))
    dr = est.dose_response
    if dr is not None:
        rows = tuple((c.term, num(c.estimate, 4), ci(c.ci_low, c.ci_high, 4), pval(c.p_value)) for c in dr.coefficients)
        blocks.append(Table(id="dose-table", caption=f"Dose-response adjusted for baseline: {dr.formula} (n = {dr.n}, R² = {num(dr.r_squared)})",
                            header=("Term", "Estimate", f"{_level(dr.ci_level)} CI", "p"), rows=rows))
    blocks.append(figures.get("dose"))
    d = est.durability
    if d is not None:
        blocks.append(Paragraph(text=f"Durability: the change per month observed is {num(d.estimate, 4)} % points "
                                     f"({_level(d.ci_level)} CI {ci(d.ci_low, d.ci_high, 4)}, p = {pval(d.p_value)}, n = {d.n}). {d.caveat}"))
        blocks.append(figures.get("durability"))
    return tuple(blocks)


def _rtm(inputs: ReportInputs, figures: Mapping[str, Figure]) -> tuple[Any, ...]:
    est = inputs.run.estimates
    s = est.settings
    rows = []
    for g in est.groups:
        if g.rtm is None:
            continue
        grid = g.rtm
        rows.append((g.name, g.definition, num(grid.observed_change), f"{num(grid.min_expected_change)} to {num(grid.max_expected_change)}",
                     f"{num(grid.min_adjusted_change)} to {num(grid.max_adjusted_change)}",
                     "yes" if grid.all_adjusted_negative else "no"))
    table = Table(
        id="rtm-table", caption="Change expected from regression to the mean alone, and what is left",
        header=("Group", "Selection", "Observed change", "Expected with no effect", "Adjusted change", "Fall survives whole grid"),
        rows=tuple(rows), first_numeric=2,
        notes=(f"Grid: ρ in {', '.join(f'{r:.3g}' for r in s['rho_values'])}; μ in {', '.join(f'{m:g}' for m in s['mu_values'])} %; "
               f"σ = {s['sigma']:g} % (Barnett, van der Pols & Dobson, Int J Epidemiol 2005;34:215).",),
    )
    blocks: list[Any] = [table]
    cohort = est.group("all")
    if cohort.rtm is not None:
        blocks.append(Paragraph(text="Whole cohort: " + " ".join(cohort.rtm.conclusions)))
    blocks.append(figures.get("rtm-heatmap"))
    blocks.append(figures.get("rtm-baseline"))
    o = est.oldham
    if o is not None:
        blocks.append(Paragraph(text=f"Do patients with higher baseline fall more? The naive correlation of baseline with change is "
                                     f"r = {num(o.naive_r)} (p = {pval(o.naive_p)}), biased by regression to the mean; Oldham's "
                                     f"correlation of change with the mean of before and after is r = {num(o.oldham_r)} "
                                     f"({_level(o.ci_level)} CI {ci(o.oldham_ci_low, o.oldham_ci_high)}, p = {pval(o.oldham_p)})."))
    return tuple(blocks)


def _responders(inputs: ReportInputs, figures: Mapping[str, Figure]) -> tuple[Any, ...]:
    r = inputs.run.estimates.responders
    rows = tuple((s.label, f"{s.count}/{s.n}", pct(s.estimate, 1), f"{pct(s.ci_low, 1)} to {pct(s.ci_high, 1)}")
                 for s in (r.rcv_responders, *r.targets_before, *r.targets_after))
    table = Table(id="responder-table", caption=f"Responders ({_level(r.ci_level)} Wilson CIs)",
                  header=("Criterion", "Count", "Share", "CI"), rows=rows,
                  notes=(f"Reference change value {num(r.rcv_percent, 1)} % (relative) from analytical CV {r.cva_percent:g} % "
                         f"and within-subject CV {r.cvi_percent:g} %.",))
    return (table, figures.get("waterfall"))


def _external(inputs: ReportInputs, figures: Mapping[str, Figure]) -> tuple[Any, ...]:
    ext = inputs.run.estimates.external
    rows = []
    for row in ext.rows:
        value = num(row.external_change) if row.external_change == row.external_change else ci(row.external_low, row.external_high)
        rows.append((row.source, row.arm, row.quantity, row.timepoint or "—", value, num(row.cohort_change), num(row.difference)))
    table = Table(id="external-table", caption="External numbers from other studies beside this cohort's change — NOT a control group",
                  header=("Source", "Arm", "Quantity", "Timepoint", "External, % points", "This cohort", "Difference"),
                  rows=tuple(rows), first_numeric=4, notes=(ext.label,))
    return (Paragraph(text="External, uncontrolled comparison: other patients, protocols and timepoints. "
                           "It shows how much HbA1c changes without MSCs elsewhere; it does not estimate the effect of MSCs.",
                      kind="warning"), table)


def _audit(inputs: ReportInputs, figures: Mapping[str, Figure]) -> tuple[Any, ...]:
    audit = inputs.audit
    if audit is None:
        return (Paragraph(text="No claims file was given, so no published numbers were audited "
                               "(add --claims FILE; format in docs/claims-format.md)."),)
    from mscreg.audit.engine import format_value

    counts = ", ".join(f"{audit.counts.get(v, 0)} {v.replace('_', ' ')}" for v in audit.counts)
    rows = tuple((v.id, f"{v.claim} ({v.where})", v.reported, format_value(v.recomputed), v.verdict.replace("_", " "),
                  v.convention or "—", v.explanation) for v in audit.claims)
    claims = Table(id="claims-table", caption=f"Every claim: {counts}",
                   header=("Claim", "Quote (our words) and where", "Reported", "Recomputed", "Verdict", "Convention", "Explanation"),
                   rows=rows, row_classes=tuple(f"verdict-{v.verdict}" for v in audit.claims), first_numeric=2)
    blocks: list[Any] = [Paragraph(text=audit.summary()), claims]
    if audit.consistency:
        checks = Table(id="consistency-table", caption="Internal consistency of the publication (no data needed)",
                       header=("Check", "Kind", "Claims", "Verdict", "Explanation"),
                       rows=tuple((c.id, c.kind, ", ".join(c.claims), c.verdict.replace("_", " "), c.explanation) for c in audit.consistency),
                       row_classes=tuple(f"verdict-{c.verdict}" for c in audit.consistency), first_numeric=99)
        blocks.append(checks)
    return tuple(blocks)


def _design(inputs: ReportInputs, figures: Mapping[str, Figure]) -> tuple[Any, ...]:
    d, basis = inputs.design, inputs.design_basis
    cohort = inputs.cohort_design
    if d is None:
        return (Paragraph(text=f"Not sized: {cohort['unavailable']}.", kind="warning"),)
    blocks: list[Any] = [Paragraph(text=f"The effect to design for, from this cohort: {cohort['cohort']['effect']['statement']}")]
    if cohort["scenarios"]:
        rows = tuple(
            (f"{s['label']} ({num(s['effect'], 3)} % points)", _METHOD_LABELS.get(m["method"], m["method"]), str(m["n_per_arm"]),
             str(m["n_total"]), num(m["power"], 3))
            for s in cohort["scenarios"] for m in s["methods"]
        )
        blocks.append(Table(id="cohort-design-table", caption="Patients per arm at each end of the cohort-derived effect "
                                                              "(only ends above zero can be sized)",
                            header=("Design effect", "Analysis", "n per arm", "Total", "Power achieved"), rows=rows))
    rows = tuple((_METHOD_LABELS.get(m.method, m.method), num(m.sd_analysis, 3), num(m.effect_size, 3), str(m.n_per_arm),
                  str(m.n_total), num(m.power, 3)) for m in d.methods)
    table = Table(id="design-table", caption=f"Patients per arm to detect {num(d.effect)} % points "
                                             f"(α = {d.alpha:g} {d.alternative}, power {pct(basis['power'])})",
                  header=("Analysis", "SD analysed", "d", "n per arm", "Total", "Power achieved"), rows=rows)
    text = (f"For comparison, a fixed reference effect of {num(basis['effect'])} % points — {basis['effect_source']} "
            f"Both use SD {num(basis['sd'], 3)} % — {basis['sd_source']} "
            f"ρ = {num(basis['rho'], 3)} — {basis['rho_source']}")
    return (*blocks, Paragraph(text=text), table, figures.get("power"))


def _methods(inputs: ReportInputs, figures: Mapping[str, Figure]) -> tuple[Any, ...]:
    s = inputs.run.settings
    est = inputs.run.estimates.settings
    v = inputs.versions
    level = _level(s.ci_level)
    severity = "; ".join(f"{b.name} {b.label()}" for b in s.severity_bands())
    dose = "; ".join(f"{b.name} {b.label()}" for b in s.dose_bands())
    paras = [
        f"Analysis set: rows with HbA1c before and after. Change = after − before (negative = fall). Severity groups on baseline "
        f"HbA1c: {severity} (a baseline of exactly {s.severity_cut:g} % counts as {'moderate' if s.severity_cut_in == 'lower' else 'severe'}). "
        f"Dose groups: {dose}.",
        f"Tests are {s.alternative}; intervals {level}. Paired t-test with t interval; Cohen's d_z and Hedges' g_av with "
        f"noncentral-t intervals; Wilcoxon signed-rank test with the Hodges–Lehmann estimate; BCa bootstrap interval and sign-flip "
        f"permutation test with {est['n_resamples']} resamples, seed {est['seed']}; Holm adjustment across subgroups; Pearson "
        f"correlations (as the paper); baseline-adjusted dose-response and durability by ordinary least squares; descriptives with "
        f"SD ddof = {s.ddof} and {s.quartile_method} quartiles.",
        f"Regression to the mean by Barnett, van der Pols & Dobson (2005) for the entry rule (baseline ≥ {s.entry_threshold:g} %) and "
        f"each severity band, over ρ ∈ {{{', '.join(f'{r:.3g}' for r in est['rho_values'])}}} and μ ∈ "
        f"{{{', '.join(f'{m:g}' for m in est['mu_values'])}}} %, σ = {est['sigma']:g} %; Oldham's method for baseline and change. "
        f"Responders: relative fall beyond the reference change value from CVA {est['cva_percent']:g} % and CVI {est['cvi_percent']:g} %; "
        f"Wilson intervals.",
    ]
    if inputs.claims is not None:
        conv = inputs.claims.conventions.model_dump(exclude_none=True)
        conv_text = ", ".join(f"{k} {val}" for k, val in conv.items())
        max_changes = inputs.audit.max_changes if inputs.audit is not None else "—"
        paras.append(f"Audit: each claim recomputed under the conventions the claims file states ({conv_text}); when it does not "
                     f"match, up to {max_changes} conventions were changed at once to find one that reproduces it.")
    d = inputs.design
    if d is not None:
        paras.append(f"Trial design: two-sample t-test power (statsmodels TTestIndPower) for follow-up, change-score and ANCOVA "
                     f"analyses, α = {d.alpha:g} ({d.alternative}), allocation {d.allocation:g}, dropout {d.dropout:g}.")
    paras.append("Software: " + ", ".join(f"{name} {version}" for name, version in v.items()) + ".")
    return tuple(Paragraph(text=t) for t in paras)


def _provenance(inputs: ReportInputs, figures: Mapping[str, Figure]) -> tuple[Any, ...]:
    source = inputs.run.table.describe_source()
    rows = [("Analysis table", source["source"]), ("Table SHA-256", source["sha256"]),
            ("HbA1c unit in the file", source["hba1c_unit"])]
    if inputs.claims_source:
        rows += [("Claims file", inputs.claims_source["source"]), ("Claims SHA-256", inputs.claims_source["sha256"])]
    if inputs.claims is not None and inputs.claims.study.title:
        study = inputs.claims.study
        rows.append(("Study", study.title + (f" ({study.citation})" if study.citation else "")))
        if study.doi:
            rows.append(("DOI", study.doi))
    rows += [("mscreg version", inputs.versions.get("mscreg", "—")), ("Generated (UTC)", inputs.generated_at)]
    return (Table(id="provenance-table", caption="Inputs and software", header=("Item", "Value"), rows=tuple(rows), first_numeric=99),)


_BUILDERS = {
    "cohort": _cohort,
    "primary": _primary,
    "subgroups": _subgroups,
    "dose-durability": _dose_durability,
    "rtm": _rtm,
    "responders": _responders,
    "external": _external,
    "audit": _audit,
    "design": _design,
    "methods": _methods,
    "provenance": _provenance,
}


def sections(inputs: ReportInputs, figures: Mapping[str, Figure]) -> tuple[Section, ...]:
    """Every section, in :data:`SECTION_TITLES` order; figures absent from ``figures`` are left out."""
    out = []
    for section_id, title in SECTION_TITLES.items():
        blocks = tuple(b for b in _BUILDERS[section_id](inputs, figures) if b is not None)
        out.append(Section(id=section_id, title=title, blocks=blocks))
    return tuple(out)
