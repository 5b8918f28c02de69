"""Assemble the report document from :class:`~mscreg.report.model.ReportInputs`.

:func:`build_document` gives the :class:`~mscreg.report.model.ReportDocument` (findings,
sections, figures) and :func:`report_payload` the machine-readable payload embedded in the
HTML, whose ``analyze`` and ``audit`` parts are exactly the JSON of ``mscreg analyze
--format json`` and ``mscreg audit --format json``.
"""

from __future__ import annotations

from typing import Any

from mscreg.report.model import ReportDocument, ReportInputs
from mscreg.report.sections import findings, sections
from mscreg.stats._result import plain

__all__ = ["PAYLOAD_FORMAT", "build_document", "report_payload"]

#: Identifier and version of the embedded JSON payload's layout.
PAYLOAD_FORMAT = "mscreg-report/1"


def report_payload(inputs: ReportInputs) -> dict[str, Any]:
    """Every result object of the report as plain JSON-ready values.

    Keys: ``format``, ``analyze`` (= ``AnalysisRun.to_dict()``), ``audit``
    (= ``AuditReport.to_dict()`` or None), ``baseline``, ``design``, ``design_basis``, ``cohort_design``,
    ``power_curve``, ``settings``, ``claims_source``, ``versions``, ``generated_at``.

    Examples
    --------
    >>> from mscreg.cli.pipeline import AnalysisSettings
    >>> from mscreg.cli.report_cmd import prepare_report
    >>> from mscreg.cohort import seed_table
    >>> payload = report_payload(prepare_report(seed_table(), None, AnalysisSettings(n_resamples=999)))
    >>> payload["analyze"]["paper"]["overall"]["n"], payload["audit"]
    (58, None)
    """
    return plain({
        "format": PAYLOAD_FORMAT,
        "analyze": inputs.run.to_dict(),
        "audit": None if inputs.audit is None else inputs.audit.to_dict(),
        "baseline": inputs.baseline.to_dict(),
        "design": None if inputs.design is None else inputs.design.to_dict(),
        "design_basis": inputs.design_basis,
        "cohort_design": inputs.cohort_design,
        "power_curve": None if inputs.power is None else inputs.power.to_dict(),
        "settings": inputs.run.settings.to_dict(),
        "claims_source": inputs.claims_source,
        "versions": inputs.versions,
        "generated_at": inputs.generated_at,
    })


def _title(inputs: ReportInputs) -> tuple[str, str]:
    study = inputs.claims.study if inputs.claims is not None else None
    if study is not None and study.title:
        subtitle = study.citation or ""
        if study.doi:
            subtitle = f"{subtitle} doi:{study.doi}".strip()
        return study.title, subtitle
    return f"HbA1c after MSC infusion: {inputs.run.table.source}", ""


def build_document(inputs: ReportInputs, *, with_figures: bool = True, executor: Any = None) -> ReportDocument:
    """The report as a document: title, main findings, sections with tables and figures.

    Parameters
    ----------
    inputs : ReportInputs
        The result objects to present (estimates are required).
    with_figures : bool, keyword-only
        Draw the figures (default). False leaves them out, for a quick text-only document.
    executor : concurrent.futures.Executor, optional
        Where to draw the figures (see :func:`mscreg.report.figures.build_figures`).

    Examples
    --------
    >>> from mscreg.cli.pipeline import AnalysisSettings
    >>> from mscreg.cli.report_cmd import prepare_report
    >>> from mscreg.cohort import seed_table
    >>> doc = build_document(prepare_report(seed_table(), None, AnalysisSettings(n_resamples=999)), with_figures=False)
    >>> [s.id for s in doc.sections][:3], doc.findings[0][:40]
    (['cohort', 'primary', 'subgroups'], 'In the 58 patients with HbA1c before and')
    """
    figures: dict[str, Any] = {}
    pending = None
    if with_figures:
        from mscreg.report.figures import submit_figures

        pending = submit_figures(inputs, executor=executor)
    # What needs no figure is done while a worker draws them.
    title, subtitle = _title(inputs)
    main_findings = findings(inputs)
    data = report_payload(inputs)
    if executor is not None:
        import jinja2  # noqa: F401  (imported while the worker draws; render_html needs it next)
    if pending is not None:
        figures = pending()
    return ReportDocument(
        title=title,
        subtitle=subtitle,
        findings=main_findings,
        sections=sections(inputs, figures),
        data=data,
        generated_at=inputs.generated_at,
    )
