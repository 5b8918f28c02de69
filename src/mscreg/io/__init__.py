"""File formats of the registry: importers and exporters.

Importers (each all-or-nothing in one transaction, idempotent, with a dry run and a
row-level report): :func:`import_analysis_table`, :func:`import_labs`, :func:`import_fhir`.
Exporters: :func:`export_analysis_table`, :func:`export_sdtm`, :func:`export_deidentified`.
"""

from __future__ import annotations

from mscreg.io.analysis_file import import_analysis_table
from mscreg.io.export import export_analysis_table, export_deidentified, export_sdtm
from mscreg.io.fhir import import_fhir
from mscreg.io.labs import import_labs
from mscreg.io.report import ImportReport, render_problems

__all__ = [
    "ImportReport",
    "export_analysis_table",
    "export_deidentified",
    "export_sdtm",
    "import_analysis_table",
    "import_fhir",
    "import_labs",
    "render_problems",
]
