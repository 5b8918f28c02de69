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
import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import select

from mscreg.domain.protocol import Analyte, analyte_for
from mscreg.errors import DataValidationError, InputFileError, RowProblem
from mscreg.io._csv import csv_rows, read_text
from mscreg.io._sync import apply_plan_columns, check_value, link_visits_columns, parse_date, parse_number, plan_sync_columns
from mscreg.io.report import ImportReport, Progress
from mscreg.store.models import Measurement, Patient, Visit
from mscreg.store.writer import Registry

__all__ = ["LAB_COLUMNS", "import_labs"]

#: Columns of the long lab file, all required.
LAB_COLUMNS = ("patient_id", "analyte", "value", "unit", "date")
_KEY = ("patient_id", "loinc", "measured_on")


def _split_plain(text: str) -> tuple[list[str], list[list[str]]] | None:
    """Header cells and data columns of a CSV text with nothing to parse: no quotes, every data
    line with the header's number of cells; None otherwise (then the csv module reads it).

    For such a text this is exactly what :mod:`csv` reads (lines end at ``\n`` or ``\r\n``,
    cells at commas), done with a few whole-text string operations instead of per row.
    """
    if '"' in text or "\0" in text:
        return None
    if "\r" in text:
        if text.count("\r") != text.count("\r\n"):
            return None
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    if len(lines) < 2 or max(map(len, lines)) > csv.field_size_limit():
        return None
    header = lines[0].split(",")
    width = len(header)
    del lines[0]
    if list(map(str.count, lines, repeat(","))).count(width - 1) != len(lines):  # also catches blank lines
        return None
    cells = ",".join(lines).split(",")
    return header, [cells[position::width] for position in range(width)]


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


def _header_problems(cells: Sequence[str], source: str) -> list[RowProblem]:
    header = [h.strip().lower() for h in cells]
    problems: list[RowProblem] = []
    for name in LAB_COLUMNS:
        if name not in header:
            problems.append(RowProblem(source, 1, name, None, f"required column is missing; the header must name {', '.join(LAB_COLUMNS)}"))
    for position, name in enumerate(header, start=1):
        if name not in LAB_COLUMNS:
            problems.append(RowProblem(source, 1, cells[position - 1], None, f"unknown column (column {position}); expected {', '.join(LAB_COLUMNS)}"))
    if len(set(header)) != len(header):
        problems.append(RowProblem(source, 1, None, None, "a column is named twice"))
    return problems


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
    problems = _header_problems(rows[0], source)
    warnings: list[RowProblem] = []
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


def _validate_plain(header_cells: list[str], columns: list[list[str]], source: str
                    ) -> tuple[dict[str, Sequence[Any]], list[RowProblem]] | None:
    """:func:`parse_lab_rows` of a file given by columns when no row has a problem: (candidate
    columns, warnings); None when any row has one (then the row-by-row check reports them all).

    Each distinct cell (analyte, value, date; analyte-unit-value triple) is checked once and the
    columns are mapped through the results, so there is no Python work per row unless a value
    outside the soft range needs its warning.
    """
    if _header_problems(header_cells, source):
        return None
    header = [h.strip().lower() for h in header_cells]
    (study_ids, ids), (codes, distinct_codes), (raw_values, distinct_values), (units, distinct_units), (raw_dates, distinct_dates) = (
        _stripped(columns[header.index(name)]) for name in LAB_COLUMNS)
    n = len(study_ids)
    if "" in ids:
        return None
    analytes = {code: _analyte_or_none(code) for code in distinct_codes}
    if None in analytes.values():
        return None
    numbers = {text: _catch(parse_number)(text) for text in distinct_values}
    today = dt.date.today()
    days = {text: _catch(lambda t: parse_date(t, today=today))(text) for text in distinct_dates}
    if any(error for _, error in numbers.values()) or any(error for _, error in days.values()):
        return None
    # the range check is per (analyte, unit, value); with one analyte and one unit the value alone is the key
    single = len(distinct_codes) == 1 and len(distinct_units) == 1
    if single:
        code, unit = next(iter(distinct_codes)), next(iter(distinct_units))
        keys: list[Any] = raw_values
        triples = {value: (code, unit, value) for value in distinct_values}
    else:
        keys = list(zip(codes, units, raw_values))
        triples = {key: key for key in set(keys)}
    checked = {key: check_value(analytes[c], numbers[v][0], u, file=source, row=None,  # type: ignore[arg-type]
                                field_name="value", shown=v) for key, (c, u, v) in triples.items()}
    if any(problem is not None for _, _, problem, _ in checked.values()):
        return None
    loinc = {code: analyte.loinc for code, analyte in analytes.items()}  # type: ignore[union-attr]
    stored_unit = {code: analyte.unit for code, analyte in analytes.items()}  # type: ignore[union-attr]
    if len(distinct_codes) == 1:
        (only,) = distinct_codes
        loincs, unit_column = [loinc[only]] * n, [stored_unit[only]] * n
        distinct_keys = len(set(zip(study_ids, raw_dates)))
    else:
        loincs, unit_column = list(map(loinc.__getitem__, codes)), list(map(stored_unit.__getitem__, codes))
        distinct_keys = len(set(zip(study_ids, loincs, raw_dates)))
    if distinct_keys != n:  # a duplicate (patient, analyte, date); a valid date has one spelling
        return None
    day_of = {text: day for text, (day, _) in days.items()}
    results = list(map(checked.__getitem__, keys))
    warned = {key: warning for key, (_, _, _, warning) in checked.items() if warning is not None}
    warnings = [replace(warned[key], row=row_no) for row_no, key in enumerate(keys, start=2) if key in warned] if warned else []
    return {"study_id": study_ids, "loinc": loincs, "value_entered": _clip(raw_values, distinct_values, 40),
            "unit_entered": _clip(units, distinct_units, 20), "value": list(map(itemgetter(0), results)), "unit": unit_column,
            "measured_on": list(map(day_of.__getitem__, raw_dates)), "months_after_infusion": [None] * n,
            "derived": [False] * n, "flags": list(map(itemgetter(1), results)), "_row": range(2, n + 2)}, warnings


def _stripped(cells: list[str]) -> tuple[list[str], set[str]]:
    """The cells stripped of surrounding blanks, and their distinct values (each distinct cell stripped once)."""
    distinct = set(cells)
    stripped = {cell: cell.strip() for cell in distinct}
    if all(cell == text for cell, text in stripped.items()):
        return cells, distinct
    return list(map(stripped.__getitem__, cells)), set(stripped.values())


def _clip(texts: list[str], distinct: set[str], width: int) -> list[str]:
    """``text[:width]`` of each text (the texts themselves when none is longer)."""
    if max(map(len, distinct)) <= width:
        return texts
    return [text[:width] for text in texts]


def _unknown_patients(candidates: list[dict[str, object]], known: set[str], source: str) -> list[RowProblem]:
    return [RowProblem(source, int(c["_row"]), "patient_id", c["study_id"],  # type: ignore[call-overload]
                       _NOT_ENROLLED) for c in candidates if c["study_id"] not in known]


_NOT_ENROLLED = "patient is not in the registry; enrol the patient (or import the analysis table / FHIR Patient) first"
_CANDIDATE_COLUMNS = ("study_id", "loinc", "value_entered", "unit_entered", "value", "unit", "measured_on",
                      "months_after_infusion", "derived", "flags", "_row")


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Cyclic garbage collection off for the duration (restored after, also on error).

    A bulk import allocates millions of objects that all stay alive until it ends; the
    collector would traverse them again and again for nothing (none of them form cycles).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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

    Notes
    -----
    A plain file (no quoted cells, every row complete) is read and checked column by column and
    handed to the writer as columns; any other file, and any file with a problem, is read with
    the csv module and checked row by row, which reports every problem. Both give the same
    records, warnings and audit rows.

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
    with _gc_paused():
        return _import_labs(registry, path, user=user, reason=reason, dry_run=dry_run, progress=progress)


def _import_labs(registry: Registry, path: Path, *, user: str, reason: str | None, dry_run: bool,
                 progress: Progress | None) -> ImportReport:
    text, digest = read_text(path)
    source = str(path)
    split = _split_plain(text)
    plain = _validate_plain(*split, source) if split is not None else None
    del split
    if plain is not None:
        candidates, warnings = plain
        if progress is not None:
            progress("validate", len(candidates["_row"]), len(candidates["_row"]))
    else:
        rows = csv_rows(text, path, LAB_COLUMNS)
        found, problems, warnings = parse_lab_rows(rows, source, progress=progress)
        del rows
        if problems:
            with registry.engine.connect() as conn:
                known = set(conn.execute(select(Patient.study_id)).scalars())
            problems += _unknown_patients(found, known, source)
            raise DataValidationError(sorted(problems, key=lambda p: p.row or 0))
        candidates = {name: list(map(itemgetter(name), found)) for name in _CANDIDATE_COLUMNS}
        del found
    del text
    n = len(candidates["_row"])

    def run(conn, writer) -> ImportReport:  # type: ignore[no-untyped-def]
        patients = dict(conn.execute(select(Patient.study_id, Patient.id)).all())
        study_ids = candidates["study_id"]
        unknown = set(study_ids) - patients.keys()
        if unknown:
            raise DataValidationError([RowProblem(source, row_no, "patient_id", study_id, _NOT_ENROLLED)
                                       for row_no, study_id in zip(candidates["_row"], study_ids) if study_id in unknown])
        columns = {name: values for name, values in candidates.items() if name not in ("study_id", "_row")}
        columns = {"patient_id": list(map(patients.__getitem__, study_ids)), **columns}
        table = Measurement.__table__
        plan = plan_sync_columns(conn, table, columns, key=_KEY, filter_column="patient_id")
        visit_ids, attended = link_visits_columns(conn, plan.inserts["patient_id"], plan.inserts["measured_on"])
        if visit_ids is not None:
            plan.inserts["visit_id"] = visit_ids  # type: ignore[assignment]
        if writer is not None:
            apply_plan_columns(writer, table, plan, progress=progress)
            for visit_id, values in attended.items():
                writer.update(Visit, visit_id, values)
        return ImportReport(kind="labs", file=source, sha256=digest, dry_run=writer is None, rows=n,
                            inserted={"measurement": plan.n_inserts, "visit": 0},
                            updated={"measurement": len(plan.updates), "visit": len(attended)},
                            unchanged={"measurement": plan.unchanged}, warnings=tuple(warnings))

    if dry_run:
        with registry.engine.connect() as conn:
            return run(conn, None)
    with registry.write(user=user, reason=reason or f"import of lab file {path.name}") as writer:
        return run(writer.conn, writer)
