"""Cohort: records become the analysis table (one row per patient), validated once.

:mod:`mscreg.cohort.table` defines the columns and loads CSV/XLSX files;
:func:`seed_table` returns the shipped seed study as a validated table.
"""

from __future__ import annotations

import hashlib

from mscreg.cohort.table import COLUMNS, AnalysisTable, load_analysis_table, table_from_frame
from mscreg.datasets import SEED, seed_table_path

__all__ = ["COLUMNS", "AnalysisTable", "load_analysis_table", "seed_table", "table_from_frame"]


def seed_table() -> AnalysisTable:
    """The seed study's Table 1 as a validated :class:`AnalysisTable`.

    Examples
    --------
    >>> t = seed_table()
    >>> t.n_rows, round(float(t.frame["hba1c_before"].mean()), 2)
    (58, 7.49)
    """
    table = load_analysis_table(seed_table_path())
    return AnalysisTable(
        frame=table.frame,
        source=f"embedded seed: {SEED.name} Table 1 ({SEED.doi})",
        sha256=hashlib.sha256(seed_table_path().read_bytes()).hexdigest(),
        hba1c_unit=table.hba1c_unit,
        source_rows=table.source_rows,
        skipped_blank_rows=table.skipped_blank_rows,
    )
