"""Report: one self-contained HTML (or PDF) report from result objects, computing nothing.

- :mod:`mscreg.report.model` -- :class:`ReportInputs` (the result objects) and the
  document model (sections of tables, figures, paragraphs);
- :mod:`mscreg.report.sections` -- one function per section, :mod:`mscreg.report.format`
  -- how numbers look;
- :mod:`mscreg.report.figures` -- matplotlib figures as inline SVG;
- :mod:`mscreg.report.build` -- :func:`build_document` and the embedded JSON payload;
- :mod:`mscreg.report.html` -- Jinja2 rendering; :mod:`mscreg.report.pdf` -- printing to
  PDF with the system's headless Chromium.

The ``mscreg report`` command (:mod:`mscreg.cli.report_cmd`) computes the inputs and
writes the file. Usage and guarantees: ``docs/report.md``.
"""

from mscreg.report.build import build_document, report_payload
from mscreg.report.html import render_html
from mscreg.report.model import Figure, Flow, Paragraph, ReportDocument, ReportInputs, Section, Table

__all__ = [
    "Figure",
    "Flow",
    "Paragraph",
    "ReportDocument",
    "ReportInputs",
    "Section",
    "Table",
    "build_document",
    "render_html",
    "report_payload",
]
