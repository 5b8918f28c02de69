"""Import a Table-1-shaped analysis table (one row per patient) into the registry.

The file is parsed and validated by :func:`mscreg.cohort.table.load_analysis_table` (same
columns, units and messages as ``mscreg analyze --data``) *before* it reaches this layer
(imports only go down: the CLI loads, this module stores). Such a table has no dates, so
its times are stored *relative to the infusion* and marked ``derived``:

* each patient gets one infusion on the synthetic reference date
  :data:`REFERENCE_INFUSION_DATE` (2000-01-01) with ``derived = True`` and no planned
  visits (visits due ignore it), dose = ``dose_million``;
* ``birth_year`` = 2000 − ``age`` (so the age at infusion is recovered exactly);
* HbA1c before → a measurement (LOINC 4548-4) on the infusion date,
  ``months_after_infusion = 0``; HbA1c after → a measurement on the reference date plus
  ``months_observed`` calendar months (a fractional month adds round(fraction × 30.4375)
  days), with ``months_after_infusion = months_observed`` stored exactly. Both carry
  ``derived = True``.

The cohort builder reads ``months_after_infusion`` when present, so analysing the
imported table gives exactly the numbers of the file. A row with HbA1c after but no
``months_observed``, or with a fractional age, cannot be placed in time and is rejected
with a row-level message.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from sqlalchemy import select

from mscreg.domain.limits import HBA1C_NGSP
from mscreg.domain.protocol import ANALYTES, add_months
from mscreg.domain.records import PatientRecord
from mscreg.domain.units import HbA1cUnit, hba1c_from_ngsp
from mscreg.errors import DataValidationError, RowProblem
from mscreg.io._sync import apply_plan, plan_sync
from mscreg.io.report import ImportReport, Progress
from mscreg.store.models import Infusion, Measurement, Patient
from mscreg.store.writer import Registry

__all__ = ["DAYS_PER_MONTH", "REFERENCE_INFUSION_DATE", "import_analysis_table"]

#: Synthetic infusion date of patients imported from an analysis table (flagged derived).
REFERENCE_INFUSION_DATE = dt.date(2000, 1, 1)
#: Mean Gregorian month in days (365.2425 / 12 rounded), for fractional months.
DAYS_PER_MONTH = 30.4375
_HBA1C = ANALYTES["4548-4"]
_UNIT_TEXT = {HbA1cUnit.NGSP: "%", HbA1cUnit.IFCC: "mmol/mol", HbA1cUnit.JDS: "% (JDS)"}


def follow_up_date(months: float, *, start: dt.date = REFERENCE_INFUSION_DATE) -> dt.date:
    """The derived date ``months`` after ``start`` (whole calendar months, then days).

    Examples
    --------
    >>> follow_up_date(27), follow_up_date(6.5)
    (datetime.date(2002, 4, 1), datetime.date(2000, 7, 16))
    """
    whole = math.floor(months)
    return add_months(start, whole) + dt.timedelta(days=round((months - whole) * DAYS_PER_MONTH))


def import_analysis_table(registry: Registry, table: Any, *, user: str, reason: str | None = None,
                          dry_run: bool = False, progress: Progress | None = None) -> ImportReport:
    """Store a validated analysis table (:class:`mscreg.cohort.table.AnalysisTable`) in one transaction.

    ``table`` comes from :func:`mscreg.cohort.table.load_analysis_table` (``mscreg import
    analysis-table`` does that); its ``source`` and ``source_rows`` name file and rows in
    problems, and its ``hba1c_unit`` the unit recorded as entered.

    Patients are matched on ``patient_id`` (``row<N>`` when the file has no such column),
    so a re-import changes nothing and a corrected cell becomes one audited update.

    Raises
    ------
    mscreg.errors.DataValidationError
        Rows that cannot be placed in time (see the module docs) and patients that already
        have a dated infusion.

    Examples
    --------
    >>> import pandas as pd
    >>> from mscreg.cohort.table import table_from_frame
    >>> table = table_from_frame(pd.DataFrame({"patient_id": ["A"], "age": [60], "hba1c_before": [8.1],
    ...                                        "hba1c_after": [7.2], "months_observed": [12]}))
    >>> reg = Registry.create("sqlite://")
    >>> import_analysis_table(reg, table, user="ana").inserted
    {'patient': 1, 'infusion': 1, 'measurement': 2}
    """
    unit = HbA1cUnit.parse(table.hba1c_unit)
    source = str(table.source)
    name = source.replace("\\", "/").rsplit("/", 1)[-1]
    frame = table.frame
    problems: list[RowProblem] = []
    warnings: list[RowProblem] = []
    patients, infusions, measurements = [], [], []

    def cell(row: object, name: str) -> object:
        value = getattr(row, name, None)
        return None if value is None or (isinstance(value, float) and math.isnan(value)) else value

    for row, row_no in zip(frame.itertuples(index=False), table.source_rows):
        study_id = str(row.patient_id)
        age = cell(row, "age")
        if age is not None and not float(age).is_integer():
            problems.append(RowProblem(source, row_no, "age", age, "the registry stores the birth year; expected a whole number of years"))
            continue
        months = cell(row, "months_observed")
        after = cell(row, "hba1c_after")
        if after is not None and months is not None and months <= 0:
            problems.append(RowProblem(source, row_no, "months_observed", months, "the follow-up HbA1c must come after "
                                       "the infusion; expected months_observed > 0"))
            continue
        if after is not None and months is None:
            problems.append(RowProblem(source, row_no, "months_observed", "", "empty; the registry needs the months from "
                                       "the infusion to place the follow-up HbA1c in time"))
            continue
        patient = PatientRecord(study_id=study_id, sex=cell(row, "sex"),
                                birth_year=None if age is None else REFERENCE_INFUSION_DATE.year - int(age))
        patients.append(patient.model_dump(exclude={"site_code"}) | {"_row": row_no})
        infusions.append({"study_id": study_id, "infused_on": REFERENCE_INFUSION_DATE, "lot_id": None,
                          "cells_million": cell(row, "dose_million"), "cells_per_kg": None, "route": "intravenous",
                          "duration_min": None, "immediate_reactions": None, "derived": True})
        for column, value, day, rel in (("hba1c_before", row.hba1c_before, REFERENCE_INFUSION_DATE, 0.0),
                                        ("hba1c_after", after, None if months is None else follow_up_date(months), months)):
            if value is None:
                continue
            flags = None
            if not HBA1C_NGSP.soft_ok(value):
                flags = "soft_limit"
                warnings.append(RowProblem(source, row_no, column, value, f"HbA1c {value:g} % outside the soft range "
                                           f"{HBA1C_NGSP.soft_low:g}–{HBA1C_NGSP.soft_high:g} %; imported with flag 'soft_limit'"))
            entered = value if unit is HbA1cUnit.NGSP else float(hba1c_from_ngsp(value, unit))
            measurements.append({"study_id": study_id, "loinc": _HBA1C.loinc, "value_entered": f"{entered:.10g}",
                                 "unit_entered": _UNIT_TEXT[unit], "value": float(value), "unit": _HBA1C.unit,
                                 "measured_on": day, "months_after_infusion": float(rel), "derived": True,
                                 "flags": flags})
    if problems:
        raise DataValidationError(problems)

    def run(conn, writer) -> ImportReport:  # type: ignore[no-untyped-def]
        dated = set(conn.execute(select(Patient.study_id).join(Infusion, Infusion.patient_id == Patient.id)
                                 .where(Infusion.derived.is_(False))).scalars())
        clash = [RowProblem(source, p["_row"], "patient_id", p["study_id"], "patient already has a dated infusion in "
                            "the registry; an analysis table would add a synthetic one") for p in patients if p["study_id"] in dated]
        if clash:
            raise DataValidationError(clash)
        p_plan = plan_sync(conn, Patient.__table__, [{k: v for k, v in p.items() if k != "_row"} for p in patients],
                           key=("study_id",), filter_column="study_id")
        if writer is not None:
            apply_plan(writer, Patient.__table__, p_plan, key=("study_id",), progress=progress)
        ids = {k[0]: v for k, v in p_plan.ids.items()}

        def with_patient(rows: list[dict]) -> list[dict]:
            return [{k: v for k, v in r.items() if k != "study_id"} | {"patient_id": ids.get(r["study_id"])} for r in rows]

        i_plan = plan_sync(conn, Infusion.__table__, with_patient(infusions), key=("patient_id", "infused_on"),
                           filter_column="patient_id")
        m_plan = plan_sync(conn, Measurement.__table__, with_patient(measurements),
                           key=("patient_id", "loinc", "measured_on"), filter_column="patient_id")
        if writer is not None:
            apply_plan(writer, Infusion.__table__, i_plan, key=("patient_id", "infused_on"))
            apply_plan(writer, Measurement.__table__, m_plan, key=("patient_id", "loinc", "measured_on"))
        plans = {"patient": p_plan, "infusion": i_plan, "measurement": m_plan}
        return ImportReport(kind="analysis-table", file=source, sha256=table.sha256, dry_run=writer is None,
                            rows=table.n_rows, inserted={k: len(p.inserts) for k, p in plans.items()},
                            updated={k: len(p.updates) for k, p in plans.items()},
                            unchanged={k: p.unchanged for k, p in plans.items()}, warnings=tuple(warnings))

    if dry_run:
        with registry.engine.connect() as conn:
            return run(conn, None)
    with registry.write(user=user, reason=reason or f"import of analysis table {name}") as writer:
        return run(writer.conn, writer)
