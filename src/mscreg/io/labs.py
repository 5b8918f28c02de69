"""Import a long laboratory file: one value per row (patient, analyte, value, unit, date).

Format (CSV, UTF-8 with or without BOM, header row, column names case-insensitive):

============  ==============================================================
column        content
============  ==============================================================
patient_id    study id of a patient already in the registry
analyte       LOINC code (``4548-4``) or short name (``hba1c``), see
              :data:`mscreg.domain.protocol.ANALYTES`
value         number with a decimal point
unit          unit as measured (``%``, ``mmol/mol``, ``% (JDS)``, ``mg/dL``,
              ``mmol/L`` …); converted to the analyte's stored unit
date          ``YYYY-MM-DD``, not in the future
============  ==============================================================

Every row is checked before anything is written; any problem rejects the whole file (all
problems are reported). A row identical to a stored measurement (same patient, analyte and
date, same value) is skipped, a changed value becomes an audited update, so importing a
file twice adds nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import select

from mscreg.domain.protocol import Analyte, analyte_for
from mscreg.errors import DataValidationError, InputFileError, RowProblem
from mscreg.io._sync import apply_plan, check_value, link_visits, parse_date, parse_number, plan_sync
from mscreg.io.report import ImportReport, Progress
from mscreg.store.models import Measurement, Patient, Visit
from mscreg.store.writer import Registry

__all__ = ["LAB_COLUMNS", "import_labs"]

#: Columns of the long lab file, all required.
LAB_COLUMNS = ("patient_id", "analyte", "value", "unit", "date")
_KEY = ("patient_id", "loinc", "measured_on")


def _read(path: Path) -> tuple[list[list[str]], str]:
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputFileError(f"{path}: not UTF-8 text (byte {error.start}); save the file as UTF-8 CSV") from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or not any(c.strip() for c in rows[0]):
        raise InputFileError(f"{path}: the file is empty; expected a header row {', '.join(LAB_COLUMNS)}")
    return rows, hashlib.sha256(data).hexdigest()


_UNKNOWN_ANALYTE = ("unknown analyte; expected a LOINC code of mscreg.domain.protocol.ANALYTES "
                    "(e.g. 4548-4 HbA1c, 1558-6 fasting glucose) or its short name")


class _Memo(dict):  # type: ignore[type-arg]
    """``memo[key]`` is ``function(key)``, computed once per distinct key."""

    def __init__(self, function: Callable[[str], Any]):
        super().__init__()
        self.function = function

    def __missing__(self, key: str) -> Any:
        value = self[key] = self.function(key)
        return value


def _catch(parse: Callable[[str], Any]) -> Callable[[str], tuple[Any, str | None]]:
    """``parse`` returning ``(result, None)``, or ``(None, message)`` when it raises ValueError."""
    def parsed(text: str) -> tuple[Any, str | None]:
        try:
            return parse(text), None
        except ValueError as error:
            return None, str(error)
    return parsed


def _analyte_or_none(code: str) -> Analyte | None:
    try:
        return analyte_for(code)
    except Exception:  # ConventionError: unknown code
        return None


def parse_lab_rows(rows: list[list[str]], source: str, *, progress: Progress | None = None
                   ) -> tuple[list[dict[str, object]], list[RowProblem], list[RowProblem]]:
    """Validate lab rows (header first) without the database: (candidates, problems, warnings).

    Examples
    --------
    >>> rows = [["patient_id", "analyte", "value", "unit", "date"],
    ...         ["P1", "4548-4", "53", "mmol/mol", "2024-01-10"],
    ...         ["P1", "4548-4", "7,1", "%", "2024-01-11"]]
    >>> good, problems, _ = parse_lab_rows(rows, "labs.csv")
    >>> round(good[0]["value"], 3), str(problems[0])
    (7.0, "labs.csv, row 3, column 'value': value '7,1': looks like a decimal comma; write the decimal point as '.'")
    """
    header = [h.strip().lower() for h in rows[0]]
    problems: list[RowProblem] = []
    warnings: list[RowProblem] = []
    for name in LAB_COLUMNS:
        if name not in header:
            problems.append(RowProblem(source, 1, name, None, f"required column is missing; the header must name {', '.join(LAB_COLUMNS)}"))
    for position, name in enumerate(header, start=1):
        if name not in LAB_COLUMNS:
            problems.append(RowProblem(source, 1, rows[0][position - 1], None, f"unknown column (column {position}); expected {', '.join(LAB_COLUMNS)}"))
    if len(set(header)) != len(header):
        problems.append(RowProblem(source, 1, None, None, "a column is named twice"))
    if problems:
        return [], problems, warnings
    ip, ia, iv, iu, idate = (header.index(n) for n in LAB_COLUMNS)
    width = len(header)
    # Cells repeat (a few analytes, units, dates and values), so each distinct cell is parsed
    # and checked once and rows look their results up; a row's problems come out in the
    # order patient_id, analyte, value, date, then unit / range, then duplicate.
    analytes = _Memo(_analyte_or_none)
    numbers = _Memo(_catch(parse_number))
    today = dt.date.today()
    days = _Memo(_catch(lambda text: parse_date(text, today=today)))
    checked: dict[tuple[str, str, str], tuple[float | None, str | None, RowProblem | None, RowProblem | None]] = {}
    first_row: dict[tuple[str, str, object], int] = {}
    candidates: list[dict[str, object]] = []
    total = len(rows) - 1
    for row_no, cells in enumerate(rows[1:], start=2):
        if progress is not None and row_no % 50_000 == 0:
            progress("validate", row_no - 1, total)
        if len(cells) != width:
            if not any(c.strip() for c in cells):
                continue
            hint = " (an unquoted decimal comma such as 7,1 splits a value into two cells)" if len(cells) == width + 1 else ""
            problems.append(RowProblem(source, row_no, None, None, f"row has {len(cells)} cells; the header names {width} columns{hint}"))
            continue
        study_id, code, raw_value, unit, raw_date = (cells[ip].strip(), cells[ia].strip(), cells[iv].strip(),
                                                     cells[iu].strip(), cells[idate].strip())
        analyte = analytes[code]
        number, number_error = numbers[raw_value]
        day, day_error = days[raw_date]
        if not study_id or analyte is None or number_error or day_error:
            if not study_id:
                problems.append(RowProblem(source, row_no, "patient_id", "", "empty; expected a study id"))
            if analyte is None:
                problems.append(RowProblem(source, row_no, "analyte", code, _UNKNOWN_ANALYTE))
            if number_error:
                problems.append(RowProblem(source, row_no, "value", raw_value, number_error))
            if day_error:
                problems.append(RowProblem(source, row_no, "date", raw_date, day_error))
            continue
        result = checked.get((code, unit, raw_value))
        if result is None:
            result = checked[code, unit, raw_value] = check_value(analyte, number, unit, file=source, row=None,
                                                                  field_name="value", shown=raw_value)
        value, flags, problem, warning = result
        if problem is not None:
            problems.append(replace(problem, row=row_no))
            continue
        if warning is not None:
            warnings.append(replace(warning, row=row_no))
        key = (study_id, analyte.loinc, day)
        first = first_row.setdefault(key, row_no)
        if first != row_no:
            problems.append(RowProblem(source, row_no, "date", raw_date, f"duplicate: patient {study_id!r}, "
                                       f"analyte {analyte.loinc} on this date is already in row {first}"))
            continue
        candidates.append({"study_id": study_id, "loinc": analyte.loinc, "value_entered": raw_value[:40],
                           "unit_entered": unit[:20], "value": value, "unit": analyte.unit, "measured_on": day,
                           "months_after_infusion": None, "derived": False, "flags": flags, "_row": row_no})
    if progress is not None:
        progress("validate", total, total)
    if not candidates and not problems:
        raise InputFileError(f"{source}: the file has a header but no data rows")
    return candidates, problems, warnings


def _unknown_patients(candidates: list[dict[str, object]], known: set[str], source: str) -> list[RowProblem]:
    return [RowProblem(source, int(c["_row"]), "patient_id", c["study_id"],  # type: ignore[call-overload]
                       "patient is not in the registry; enrol the patient (or import the analysis table / FHIR Patient) first")
            for c in candidates if c["study_id"] not in known]


def import_labs(registry: Registry, path: str | Path, *, user: str, reason: str | None = None,
                dry_run: bool = False, progress: Progress | None = None) -> ImportReport:
    """Import a long lab file in one transaction (all rows or none).

    Parameters
    ----------
    registry : Registry
    path : str or pathlib.Path
        CSV file with columns :data:`LAB_COLUMNS`.
    user, reason : str
        Recorded in the audit trail (``reason`` defaults to "import of <file>").
    dry_run : bool
        Check everything against the registry and report what would change; write nothing.
    progress : callable, optional
        ``progress(phase, done, total)``, called while validating and writing.

    Returns
    -------
    ImportReport

    Raises
    ------
    mscreg.errors.InputFileError
        Missing, unreadable or empty file.
    mscreg.errors.DataValidationError
        Any invalid row; every problem is listed and nothing is written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from mscreg.domain.records import PatientRecord
    >>> from mscreg.store.services import enrol_patient
    >>> reg = Registry.create("sqlite://")
    >>> with reg.write(user="ana", reason="enrolment") as w:
    ...     _ = enrol_patient(w, PatientRecord(study_id="P1"))
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "labs.csv"
    >>> _ = f.write_text("patient_id,analyte,value,unit,date\\nP1,hba1c,8.1,%,2024-01-10\\n")
    >>> import_labs(reg, f, user="ana").inserted, import_labs(reg, f, user="ana").unchanged
    ({'measurement': 1, 'visit': 0}, {'measurement': 1})
    """
    path = Path(path)
    rows, digest = _read(path)
    source = str(path)
    candidates, problems, warnings = parse_lab_rows(rows, source, progress=progress)
    if problems:
        with registry.engine.connect() as conn:
            known = set(conn.execute(select(Patient.study_id)).scalars())
        problems += _unknown_patients(candidates, known, source)
        raise DataValidationError(sorted(problems, key=lambda p: p.row or 0))

    def run(conn, writer) -> ImportReport:  # type: ignore[no-untyped-def]
        patients = dict(conn.execute(select(Patient.study_id, Patient.id)).all())
        missing = _unknown_patients(candidates, set(patients), source)
        if missing:
            raise DataValidationError(missing)
        rows_out = candidates  # the candidates become the rows to write (no copy of a million dicts)
        for row in rows_out:
            row["patient_id"] = patients[row.pop("study_id")]
            del row["_row"]
        table = Measurement.__table__
        plan = plan_sync(conn, table, rows_out, key=_KEY, filter_column="patient_id")
        attended = link_visits(conn, plan.inserts)
        if writer is not None:
            apply_plan(writer, table, plan, key=_KEY, progress=progress)
            for visit_id, values in attended.items():
                writer.update(Visit, visit_id, values)
        return ImportReport(kind="labs", file=source, sha256=digest, dry_run=writer is None, rows=len(candidates),
                            inserted={"measurement": len(plan.inserts), "visit": 0},
                            updated={"measurement": len(plan.updates), "visit": len(attended)},
                            unchanged={"measurement": plan.unchanged}, warnings=tuple(warnings))

    if dry_run:
        with registry.engine.connect() as conn:
            return run(conn, None)
    with registry.write(user=user, reason=reason or f"import of lab file {path.name}") as writer:
        return run(writer.conn, writer)
