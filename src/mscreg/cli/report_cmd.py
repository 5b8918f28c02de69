"""``mscreg report``: one self-contained HTML (or PDF) report of a study.

The command orchestrates; it computes every result object the report shows
(:func:`prepare_report`: the analysis, the audit, Table 1, the regression-to-the-mean
curves, the trial design and its power curve) and hands them to :mod:`mscreg.report`,
which only presents them. Register it with ``app.command("report")(report)``.

Nothing is written until everything has been computed and rendered: the file is written
under a temporary name beside the target and renamed at the end, so a failed run leaves
no partial report behind. Heavy libraries are imported inside the functions.
"""

from __future__ import annotations

import os
import re
from datetime import UTC
from pathlib import Path
from typing import Annotated, Any

import typer

from mscreg.cli import options as opt
from mscreg.cli import pipeline
from mscreg.errors import InputFileError, InsufficientDataError, MscregError

__all__ = ["DESIGN_EFFECT", "POWER_CURVE_EFFECTS", "default_out", "prepare_report", "report", "software_versions"]

#: Fixed reference effect (% points) the trial-design section sizes beside the cohort-derived
#: range: the clinically relevant HbA1c change (NICE NG28 as cited in DESIGN.md).
DESIGN_EFFECT = 0.5

#: Effects (% points) of the power-curve figure.
POWER_CURVE_EFFECTS = tuple(round(0.2 + 0.1 * i, 1) for i in range(9))

_SOFTWARE = ("mscreg", "numpy", "scipy", "statsmodels", "pandas", "matplotlib", "jinja2")


def software_versions() -> dict[str, str]:
    """Installed versions of mscreg and the libraries behind the numbers and figures.

    Examples
    --------
    >>> sorted(software_versions())[:3]
    ['jinja2', 'matplotlib', 'mscreg']
    """
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in _SOFTWARE:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def prepare_report(
    table: Any,
    claims: Any | None,
    settings: pipeline.AnalysisSettings = pipeline.AnalysisSettings(),
    *,
    claims_source: dict[str, Any] | None = None,
    max_changes: int = 2,
    design_effect: float = DESIGN_EFFECT,
    design_power: float = 0.8,
    design_alpha: float = 0.05,
    generated_at: str | None = None,
) -> Any:
    """Compute every result object of a report (:class:`~mscreg.report.model.ReportInputs`).

    Parameters
    ----------
    table : AnalysisTable
    claims : ClaimsFile or None
        Claims to audit; None leaves the audit out.
    settings : AnalysisSettings
        Conventions of the analysis (``estimates`` is always on for a report).
    claims_source : dict, optional
        ``{"source", "sha256"}`` of the claims file, for the provenance section.
    max_changes : int
        As ``mscreg audit --max-changes``.
    design_effect, design_power, design_alpha : float
        The trial is sized to detect ``design_effect`` % points; its SD is the cohort's SD
        of baseline HbA1c and its ρ the cohort's before/after correlation
        (``PairedEffect.r_before_after``).
    generated_at : str, optional
        ISO date-time (UTC) to record; default now.

    Examples
    --------
    >>> from mscreg.cohort import seed_table
    >>> inputs = prepare_report(seed_table(), None, pipeline.AnalysisSettings(n_resamples=999))
    >>> inputs.design_basis["effect"], [m.n_per_arm for m in inputs.design.methods]
    (0.5, [85, 76, 60])
    """
    from dataclasses import replace
    from datetime import datetime

    import numpy as np

    from mscreg.cli.design_cmd import cohort_design_report
    from mscreg.design.cohort import cohort_design_inputs
    from mscreg.design.power import power_curve, solve_design
    from mscreg.report.model import ReportInputs
    from mscreg.stats.baseline import baseline_table, line_band, patient_changes, rtm_null_curve
    from mscreg.stats.rtm import DEFAULT_RHO, POPULATION_MEAN

    if not settings.estimates:
        settings = replace(settings, estimates=True)
    run = pipeline.run_analysis(table, settings)
    cohort_group = run.estimates.group("all")
    if cohort_group.paired is None:
        raise InsufficientDataError(f"a report needs at least 3 patients whose HbA1c changes vary ({cohort_group.note}); "
                                    "`mscreg analyze` shows what these data allow")
    audit = None
    if claims is not None:
        from mscreg.audit import run_audit

        audit = run_audit(table, claims, max_changes=max_changes)
    severity = settings.severity_bands()
    patients = patient_changes(table.frame, groups=severity)
    baseline = baseline_table(table.frame, groups=severity, ddof=settings.ddof, quartile_method=settings.quartile_method)
    est = run.estimates
    xs = np.linspace(min(patients.before), max(patients.before), 41)
    rhos = [DEFAULT_RHO] + [r for r in (min(est.settings["rho_values"]),) if r != DEFAULT_RHO]
    curves = tuple(rtm_null_curve(xs, mu=POPULATION_MEAN, rho=r) for r in rhos)
    band = None
    if est.durability is not None:
        band = line_band(patients.months_observed, patients.change, at=np.linspace(0, max(patients.months_observed), 41),
                         ci_level=settings.ci_level)
    try:
        cohort = cohort_design_inputs(
            table.frame, entry_threshold=settings.entry_threshold, sigma=settings.sigma,
            rho_values=est.settings["rho_values"], mu_values=est.settings["mu_values"],
        )
    except InsufficientDataError as error:
        cohort = None
        unavailable = f"the trial cannot be sized from this cohort: {error}"
        design = curve = None
        cohort_design: dict[str, Any] = {"unavailable": unavailable}
        basis: dict[str, Any] = {"unavailable": unavailable, "power": design_power}
    if cohort is not None:
        sd, rho = cohort.sd, cohort.rho
        cohort_design = cohort_design_report(cohort, sd=sd, rho=rho, alpha=design_alpha, power=design_power)
        design = solve_design(effect=design_effect, sd=sd, rho=rho, alpha=design_alpha, power=design_power)
        curve = power_curve(POWER_CURVE_EFFECTS, sd=sd, rho=rho, alpha=design_alpha, power=design_power)
        basis = {
            "effect": design_effect,
            "effect_source": "the clinically relevant HbA1c difference (NICE NG28); a fixed reference, not estimated from this cohort.",
            "sd": sd,
            "sd_source": "the pooled SD of HbA1c before and after in this cohort (as `mscreg design` uses by default).",
            "rho": rho,
            "rho_source": "the before/after correlation of HbA1c in this cohort (single-arm, so an approximation of the trial's).",
            "alpha": design_alpha,
            "power": design_power,
        }
    return ReportInputs(
        run=run, audit=audit, claims=claims, claims_source=claims_source or {}, baseline=baseline, patients=patients,
        rtm_curves=curves, durability_band=band, design=design, power=curve, design_basis=basis, cohort_design=cohort_design,
        versions=software_versions(),
        generated_at=generated_at or datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
    )


def default_out(data: Path | None, claims: Path | None, *, pdf: bool = False) -> Path:
    """``mscreg-report-<study>.html`` (or ``.pdf``) in the current directory.

    The study name is the data file's stem, else the claims file's, else the seed's.

    Examples
    --------
    >>> default_out(None, None).name, default_out(Path("My Clinic 2024.xlsx"), None, pdf=True).name
    ('mscreg-report-matsuoka2025.html', 'mscreg-report-my-clinic-2024.pdf')
    """
    from mscreg.datasets import SEED

    stem = data.stem if data is not None else (claims.stem if claims is not None else SEED.name)
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "study"
    return Path.cwd() / f"mscreg-report-{slug}.{'pdf' if pdf else 'html'}"


def _load(source: pipeline.TableSource, claims: Path | None) -> tuple[Any, Any, dict[str, Any]]:
    from mscreg.datasets import SEED, seed_claims_path

    if not source.is_seed and claims is None:
        return source.load(), None, {}
    claims_file, table = pipeline.load_claims_and_table(source, claims)
    if claims is None:
        return table, claims_file, {"source": f"embedded seed: {SEED.name} claims", "sha256": _sha256(seed_claims_path())}
    return table, claims_file, {"source": str(claims), "sha256": _sha256(claims)}


def _write(out: Path, html: str, pdf: bool) -> None:
    """Write ``html`` (or its PDF print) to ``out`` through a temporary file and a rename."""
    if not out.parent.is_dir():
        raise InputFileError(f"{out}: cannot write the report, the folder {out.parent} does not exist")
    temporary = out.parent / f".{out.name}.{os.getpid()}.part"
    try:
        if pdf:
            import tempfile

            from mscreg.report.pdf import html_to_pdf

            with tempfile.TemporaryDirectory(prefix="mscreg-report-") as folder:
                page = Path(folder) / "report.html"
                page.write_text(html, encoding="utf-8")
                html_to_pdf(page, temporary)
        else:
            temporary.write_text(html, encoding="utf-8")
        os.replace(temporary, out)
    except OSError as error:
        raise InputFileError(f"{out}: cannot write the report ({error.strerror or error})") from None
    finally:
        temporary.unlink(missing_ok=True)


D = opt.DEFAULTS


def report(
    data: opt.Data = None,
    db: opt.Db = None,
    claims: Annotated[Path | None, typer.Option("--claims", help="Claims file (YAML, docs/claims-format.md) to audit. Default: the seed paper's claims on the seed; none for your own --data (the audit section is then left out).")] = None,
    hba1c_unit: opt.HbA1cUnitOpt = "ngsp",
    sheet: opt.Sheet = None,
    baseline_window_days: opt.BaselineWindow = 90,
    follow_up: opt.FollowUp = "last",
    cohort_engine: opt.CohortEngine = "sql",
    out: Annotated[Path | None, typer.Option("--out", help="Report file to write. Default: mscreg-report-<study>.html (.pdf with --pdf) in the current directory.")] = None,
    pdf: Annotated[bool, typer.Option("--pdf", help="Write the report as PDF, printed by the system's headless Chromium (/usr/bin/chromium or $MSCREG_CHROMIUM).")] = False,
    max_changes: opt.MaxChanges = 2,
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
) -> None:
    """Write one self-contained report (HTML, or PDF with --pdf): findings, cohort, estimates,
    regression to the mean, claims audit, trial design, methods and provenance."""
    worker = _figure_worker()
    try:
        settings = opt.settings_from_options(locals())
        target = out if out is not None else default_out(data, claims, pdf=pdf)
        if pdf:
            from mscreg.report.pdf import chromium_path

            chromium_path()  # fail before the work when PDF output is impossible
        source = opt.source_from_options(locals())
        table, claims_file, claims_source = _load(source, claims)
        inputs = prepare_report(table, claims_file, settings, claims_source=claims_source, max_changes=max_changes)
        from mscreg.report import build_document, render_html

        _write(target, render_html(build_document(inputs, executor=worker)), pdf)
    except MscregError as error:
        from mscreg.cli.render import fail

        fail(error)
        return
    finally:
        if worker is not None:
            worker.shutdown(cancel_futures=True)
    typer.echo(f"Report written to {target}")


def _figure_worker() -> Any:
    """Worker processes that import matplotlib and warm up while the parent computes.

    Drawing the figures is about a quarter of a cold ``mscreg report``. On a machine with
    more than one core a first worker is forked once the statistics modules are imported (so
    it inherits them); it imports matplotlib and draws a warm-up figure while the parent
    computes, then forks a second, already warm worker; the two draw half of the figures
    each from the pickled inputs (:class:`mscreg.report.figures.FigureWorkers`). The cyclic
    garbage collector is paused in this process until ``shutdown()``: the command creates
    almost no reference cycles, and its full collections (walking every object of numpy,
    scipy, pandas and statsmodels several times during the imports) cost about 0.15 s. When
    this process is the ``mscreg`` command itself (not, say, a test calling the command), the
    collector's objects are frozen at ``shutdown()`` so that the interpreter's exit does not
    walk them all once more (about 0.2 s). Returns None (figures drawn in this process, collector untouched) where ``fork`` is
    unavailable, on one core, or when ``MSCREG_REPORT_WORKER=0``.
    """
    if os.environ.get("MSCREG_REPORT_WORKER", "1") == "0" or (os.cpu_count() or 1) < 2 or not hasattr(os, "fork"):
        return None
    import gc

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        import mscreg.audit  # noqa: F401  imported before the fork, so the workers inherit them
        import mscreg.design.power  # noqa: F401
        import mscreg.stats.baseline  # noqa: F401
        import mscreg.stats.estimates  # noqa: F401
        from mscreg.report.figures import FigureWorkers

        return FigureWorkers(resume_gc=was_enabled, freeze_gc=_is_the_process())
    except BaseException:
        if was_enabled:
            gc.enable()
        raise


def _is_the_process() -> bool:
    """Whether this process runs the ``mscreg`` command and nothing else (it ends with the command).

    True under the console script ``mscreg`` and ``python -m mscreg``; False when the command
    is called from other Python code (tests, notebooks).
    """
    import sys

    if not sys.argv or not sys.argv[0]:
        return False
    main = Path(sys.argv[0])
    return main.name == "mscreg" or main.parts[-2:] == ("mscreg", "__main__.py")
