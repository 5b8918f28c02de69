"""File formats of the registry: importers and exporters.

Importers (each all-or-nothing in one transaction, idempotent, with a dry run and a
row-level report): :func:`import_analysis_table`, :func:`import_labs`, :func:`import_fhir`,
:func:`import_records` (sites, patients, eligibility, lots, infusions, visits, adverse
events; formats in :data:`RECORD_FORMATS`).
Exporters: :func:`export_analysis_table`, :func:`export_sdtm`, :func:`export_deidentified`.
"""

from __future__ import annotations

from mscreg.io.analysis_file import import_analysis_table
from mscreg.io.export import export_analysis_table, export_deidentified, export_sdtm
from mscreg.io.fhir import import_fhir
from mscreg.io.labs import import_labs
from mscreg.io.records import RECORD_FORMATS, RECORD_KINDS, import_records
from mscreg.io.report import ImportReport, render_problems

__all__ = [
    "RECORD_FORMATS",
    "RECORD_KINDS",
    "ImportReport",
    "export_analysis_table",
    "export_deidentified",
    "export_sdtm",
    "import_analysis_table",
    "import_fhir",
    "import_labs",
    "import_records",
    "render_problems",
]
