"""Import registry records from CSV: sites, patients, eligibility screenings, MSC lots with
their quality control, infusions, visit attendance and adverse events.

One file holds one kind of record (:data:`RECORD_FORMATS` lists the kinds, their columns,
required columns and natural keys; ``docs/registry.md`` shows them as a table).

Format: CSV, UTF-8 with or without BOM, a header row naming the columns (case-insensitive,
any order); the columns are the fields of the kind's record in :mod:`mscreg.domain.records`.
A blank cell is "not given": the field's default, usually empty. Dates are ``YYYY-MM-DD``
and not in the future; yes/no cells take ``yes``/``no``, ``true``/``false`` or ``1``/``0``.

* **eligibility** — ``study_id, assessed_on, screening_hba1c`` and one column per criterion
  of :data:`mscreg.domain.protocol.ELIGIBILITY_CRITERIA`; a blank (or absent) criterion is
  not assessed, which blocks eligibility.
* **adverse-events** — ``seriousness`` holds zero or more ICH E2A criteria separated by ``;``
  (values of :class:`mscreg.domain.protocol.Seriousness`).
* **visits** — ``study_id, visit, actual_on, status``: marks the patient's planned visit
  ``visit`` (``M3`` … ``Y5``) ``done`` (the default) or ``missed``, as
  :func:`mscreg.store.services.record_visit` does; it never adds a visit.

Rows are stored exactly as the services of :mod:`mscreg.store.services` store a record
(their *values* functions): a lot with its release decision under the ISCT minimal
criteria, a screening with its result and reasons, a new infusion (not ``derived``) with its
follow-up visits planned. An infusion from a lot that failed release is refused unless
``allow_unreleased``; a dose outside the protocol's 100 million – 2 billion cells imports
with a warning.

Like every importer: the whole file is checked against the registry first and every problem
reported (file, row, column, value, message); then one transaction writes all rows or none.
Records are matched on their natural key, so a re-import writes nothing and a changed row
becomes one audited update of the fields that differ. A row is the whole record: a blank
cell of a stored record clears the stored value (with a warning naming the old value).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, Table, func, select

from mscreg.domain.protocol import DEFAULT_SCHEDULE, ELIGIBILITY_CRITERIA, VisitStatus, protocol_dose_ok
from mscreg.domain.records import (
    AdverseEventRecord,
    EligibilityRecord,
    InfusionRecord,
    LotRecord,
    PatientRecord,
    SiteRecord,
    StudyId,
)
from mscreg.errors import DataValidationError, InputError, InputFileError, RowProblem
from mscreg.io._csv import csv_rows, read_text
from mscreg.io._sync import SyncPlan, apply_plan, existing_rows, parse_date, plan_sync
from mscreg.io.report import ImportReport, Progress
from mscreg.store.audit import canonical
from mscreg.store.models import AdverseEvent, EligibilityAssessment, Infusion, Lot, Patient, Site, Visit
from mscreg.store.services import (
    adverse_event_values,
    eligibility_values,
    infusion_lot_refusal,
    infusion_values,
    latest_visit_ids,
    lot_values,
    patient_values,
    planned_visit_values,
    site_values,
    visit_attendance_values,
)
from mscreg.store.writer import Registry

__all__ = ["RECORD_FORMATS", "RECORD_KINDS", "RecordFormat", "import_records"]


class _VisitAttendance(BaseModel):
    """One row of a visits file: which planned visit of which patient, when, done or missed."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    study_id: StudyId
    visit: Annotated[str, Field(min_length=1, max_length=8)]
    actual_on: dt.date | None = None
    status: Literal["done", "missed"] = "done"


@dataclass(frozen=True, kw_only=True)
class RecordFormat:
    """The CSV format of one kind of record file.

    ``columns`` are the accepted columns in their documented order, ``required`` those the
    header must name (their cells must not be blank), ``key`` the columns of the natural key
    that identifies a record across imports, and ``table`` the registry table written.

    Examples
    --------
    >>> fmt = RECORD_FORMATS["lots"]
    >>> fmt.table, fmt.required, fmt.key
    ('lot', ('lot_number', 'source_tissue', 'donor_type'), ('lot_number',))
    """

    kind: str
    table: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    key: tuple[str, ...]


_CRITERIA = tuple(c.key for c in ELIGIBILITY_CRITERIA)
#: kind → (record model, registry table, natural key as file columns, natural key as table columns)
_KINDS: dict[str, tuple[type[BaseModel], Table, tuple[str, ...], tuple[str, ...]]] = {
    "sites": (SiteRecord, Site.__table__, ("code",), ("code",)),
    "patients": (PatientRecord, Patient.__table__, ("study_id",), ("study_id",)),
    "eligibility": (EligibilityRecord, EligibilityAssessment.__table__, ("study_id", "assessed_on"), ("patient_id", "assessed_on")),
    "lots": (LotRecord, Lot.__table__, ("lot_number",), ("lot_number",)),
    "infusions": (InfusionRecord, Infusion.__table__, ("study_id", "infused_on"), ("patient_id", "infused_on")),
    "visits": (_VisitAttendance, Visit.__table__, ("study_id", "visit"), ("id",)),
    "adverse-events": (AdverseEventRecord, AdverseEvent.__table__, ("study_id", "term", "onset_on"),
                       ("patient_id", "term", "onset_on")),
}


def _record_format(kind: str) -> RecordFormat:
    model, table, key, _ = _KINDS[kind]
    fields = [name for name in model.model_fields if name != "answers"]
    columns = (*fields, *_CRITERIA) if kind == "eligibility" else tuple(fields)
    required = tuple(name for name in fields if model.model_fields[name].is_required())
    return RecordFormat(kind=kind, table=table.name, columns=columns, required=required, key=key)


#: Every kind of record file, by kind (the ``KIND`` of ``mscreg import records KIND FILE``).
RECORD_FORMATS: Mapping[str, RecordFormat] = types.MappingProxyType({kind: _record_format(kind) for kind in _KINDS})
#: The kinds of record file, in the order records depend on each other (sites before patients …).
RECORD_KINDS: tuple[str, ...] = tuple(RECORD_FORMATS)


def _is_date(annotation: Any) -> bool:
    if annotation is dt.date:
        return True
    if get_origin(annotation) in (Union, types.UnionType, Annotated):
        return any(_is_date(a) for a in get_args(annotation))
    return False


_DATES = {kind: frozenset(name for name, info in model.model_fields.items() if _is_date(info.annotation))
          for kind, (model, *_) in _KINDS.items()}


# ---------------------------------------------------------------------- file → validated records


@dataclass(frozen=True)
class _Row:
    row: int
    record: Any  # the kind's pydantic record
    cells: dict[str, str]  # the row's non-blank cells (stripped) by column


def _header_problems(cells: Sequence[str], source: str, fmt: RecordFormat) -> list[RowProblem]:
    header = [h.strip().lower() for h in cells]
    expected = f"expected columns among {', '.join(fmt.columns)}"
    problems = [RowProblem(source, 1, name, None, f"required column is missing; the header of a {fmt.kind} file must name "
                           f"{', '.join(fmt.required)}") for name in fmt.required if name not in header]
    for position, name in enumerate(header, start=1):
        if name not in fmt.columns:
            problems.append(RowProblem(source, 1, cells[position - 1], None, f"unknown column (column {position}); {expected}"))
        elif header.index(name) != position - 1:
            problems.append(RowProblem(source, 1, cells[position - 1], None,
                                       f"column named twice (columns {header.index(name) + 1} and {position})"))
    return problems


def _readable(error: Mapping[str, Any], cell: str | None) -> str:
    """pydantic's message for one error, worded like the other importers' messages."""
    kind, message = error["type"], str(error["msg"])
    if kind == "missing":
        return "empty; a value is required"
    if kind == "float_parsing":
        return ("looks like a decimal comma; write the decimal point as '.'" if cell and re.fullmatch(r"-?\d+,\d+", cell)
                else "not a number")
    if kind in ("int_parsing", "int_from_float"):
        return "not a whole number"
    if kind == "bool_parsing":
        return "not yes or no; expected yes/no, true/false or 1/0"
    if kind == "string_pattern_mismatch":
        return "expected one line of text"
    message = message.removeprefix("Value error, ")
    for prefix, replacement in (("Input should be greater", "expected a number greater"),
                                ("Input should be less", "expected a number less"),
                                ("Input should be ", "expected "), ("String should have ", "expected ")):
        if message.startswith(prefix):
            return replacement + message.removeprefix(prefix)
    return message


def _model_input(kind: str, values: dict[str, Any]) -> dict[str, Any]:
    """Cells shaped as the record model takes them (criteria into ``answers``, ``;``-split seriousness)."""
    if kind == "eligibility":
        values["answers"] = {key: values.pop(key) for key in _CRITERIA if key in values}
    elif kind == "adverse-events" and "seriousness" in values:
        values["seriousness"] = [part.strip() for part in values["seriousness"].split(";") if part.strip()]
    return values


def _words(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _dose_warning(source: str, item: _Row) -> RowProblem | None:
    cells = item.record.cells_million
    if cells is None or protocol_dose_ok(cells):
        return None
    return RowProblem(source, item.row, "cells_million", item.cells["cells_million"],
                      f"{cells:g} million cells is outside the protocol's dose range (100 million to 2 billion cells); "
                      "imported as given — check the dose")


def _parse(rows: list[list[str]], source: str, fmt: RecordFormat) -> tuple[list[_Row], list[RowProblem], list[RowProblem], int]:
    """Validate the rows of a file (header first) without the database: (rows, problems, warnings, data rows)."""
    problems = _header_problems(rows[0], source, fmt)
    if problems:
        return [], problems, [], 0
    header = [h.strip().lower() for h in rows[0]]
    model = _KINDS[fmt.kind][0]
    dates = _DATES[fmt.kind]
    today = dt.date.today()
    parsed: list[_Row] = []
    warnings: list[RowProblem] = []
    first_row: dict[tuple[Any, ...], int] = {}
    n_rows = 0
    for row_no, cells in enumerate(rows[1:], start=2):
        given = {name: cell.strip() for name, cell in zip(header, cells) if cell.strip()}
        if not given:  # a blank line, or a row of empty cells as spreadsheets save them
            continue
        n_rows += 1
        if len(cells) != len(header):
            problems.append(RowProblem(source, row_no, None, None, f"row has {len(cells)} cells; the header names "
                                       f"{len(header)} columns (quote a cell that holds a comma)"))
            continue
        nul = [name for name, cell in given.items() if "\x00" in cell]
        if nul:  # no database stores it as text (PostgreSQL refuses it, SQLite would keep it silently)
            problems += [RowProblem(source, row_no, name, given[name].replace("\x00", "\\x00"),
                                    "contains a NUL character; save the file as plain text") for name in nul]
            continue
        values: dict[str, Any] = dict(given)
        bad_dates = set()
        for name in dates & given.keys():
            try:
                values[name] = parse_date(given[name], today=today)
            except ValueError as error:
                problems.append(RowProblem(source, row_no, name, given[name], str(error)))
                bad_dates.add(name)
                del values[name]  # its "missing" error is left out below; the other fields are still checked
        try:
            record = model.model_validate(_model_input(fmt.kind, values))
        except ValidationError as error:
            for detail in error.errors():
                loc = detail["loc"]
                column = None if not loc else str(loc[1] if loc[0] == "answers" and len(loc) > 1 else loc[0])
                if column in bad_dates:
                    continue
                cell = None if column is None else given.get(column, "")
                problems.append(RowProblem(source, row_no, column, cell, _readable(detail, cell)))
            continue
        if bad_dates:
            continue
        item = _Row(row_no, record, given)
        key = tuple(getattr(record, name) for name in fmt.key)
        first = first_row.setdefault(key, row_no)
        if first != row_no:
            problems.append(RowProblem(source, row_no, fmt.key[-1], given.get(fmt.key[-1]),
                                       f"duplicate: same {_words(fmt.key)} as row {first}"))
            continue
        if fmt.kind == "infusions" and (warning := _dose_warning(source, item)) is not None:
            warnings.append(warning)
        parsed.append(item)
    return parsed, problems, warnings, n_rows


# ---------------------------------------------------------------------- validated records → plan against the registry


@dataclass
class _Plan:
    """What the import does: the table's sync plan, visits to plan for new infusions, problems, warnings."""

    table: Table
    key: tuple[str, ...]
    sync: SyncPlan
    problems: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)
    new_visits: int = 0


def _found(conn: Connection, table: Table, column: str, values: set[Any]) -> dict[Any, Any]:
    """``{value: stored row}`` of the records of ``table`` whose ``column`` is one of ``values``."""
    return {row[column]: row for row in existing_rows(conn, table, column, values)}


def _not_in_registry(source: str, item: _Row, column: str, what: str, value: str, kind: str) -> RowProblem:
    return RowProblem(source, item.row, column, value, f"{what} {value!r} is not in the registry; import {kind} first")


def _table_rows(conn: Connection, kind: str, parsed: list[_Row], source: str
                ) -> tuple[list[tuple[_Row, dict[str, Any]]], list[RowProblem]]:
    """Each record as its table row (ids resolved), with the problems of references the registry lacks."""
    problems: list[RowProblem] = []
    rows: list[tuple[_Row, dict[str, Any]]] = []
    if kind == "sites":
        return [(item, site_values(item.record)) for item in parsed], problems
    if kind == "lots":
        return [(item, lot_values(item.record)) for item in parsed], problems
    if kind == "patients":
        sites = _found(conn, Site.__table__, "code", {i.record.site_code for i in parsed if i.record.site_code})
        for item in parsed:
            code = item.record.site_code
            if code is not None and code not in sites:
                problems.append(_not_in_registry(source, item, "site_code", "site", code, "sites"))
                continue
            rows.append((item, patient_values(item.record, site_id=None if code is None else sites[code]["id"])))
        return rows, problems
    patients = {sid: row["id"] for sid, row in _found(conn, Patient.__table__, "study_id",
                                                      {i.record.study_id for i in parsed}).items()}
    known = []
    for item in parsed:
        if item.record.study_id in patients:
            known.append(item)
        else:
            problems.append(_not_in_registry(source, item, "study_id", "patient", item.record.study_id, "patients"))
    if kind == "eligibility":
        rows = [(i, eligibility_values(i.record, patient_id=patients[i.record.study_id])) for i in known]
    elif kind == "adverse-events":
        rows = [(i, adverse_event_values(i.record, patient_id=patients[i.record.study_id])) for i in known]
    elif kind == "visits":
        visits = latest_visit_ids(conn, patients.values())
        for item in known:
            pid, label = patients[item.record.study_id], item.record.visit
            visit_id = visits.get((pid, label))
            if visit_id is None:
                planned = [lab for p, lab in visits if p == pid]
                hint = f"; planned: {', '.join(planned)}" if planned else " (the patient has no planned visits: no dated infusion)"
                problems.append(RowProblem(source, item.row, "visit", label,
                                           f"patient {item.record.study_id!r} has no planned visit {label!r}{hint}"))
                continue
            status = VisitStatus(item.record.status)
            rows.append((item, {"id": visit_id, **visit_attendance_values(actual_on=item.record.actual_on, status=status)}))
    else:  # infusions
        lots = _found(conn, Lot.__table__, "lot_number", {i.record.lot_number for i in parsed if i.record.lot_number})
        for item in parsed:
            number = item.record.lot_number
            if number is not None and number not in lots:
                problems.append(_not_in_registry(source, item, "lot_number", "lot", number, "lots"))
            elif item.record.study_id in patients:
                rows.append((item, infusion_values(item.record, patient_id=patients[item.record.study_id],
                                                   lot_id=None if number is None else lots[number]["id"])))
    return rows, problems


def _infusion_problems(plan: SyncPlan, rows: list[tuple[_Row, dict[str, Any]]], conn: Connection, source: str,
                       allow_unreleased: bool) -> list[RowProblem]:
    """Infusions a lot that failed release would give (new, or moved to such a lot), and stored
    infusions whose ``derived`` flag the file would change (their planned visits depend on it)."""
    lots = _found(conn, Lot.__table__, "id", {row["lot_id"] for _, row in rows})
    changes = {record_id: values for record_id, _, values in plan.updates}
    problems = []
    for item, row in rows:
        stored = plan.ids.get((row["patient_id"], row["infused_on"]))  # None: a new infusion
        changed = {} if stored is None else changes.get(stored, {})
        if "derived" in changed:
            problems.append(RowProblem(source, item.row, "derived", item.cells.get("derived", ""),
                                       f"the stored infusion of this patient on this date has derived={not row['derived']}; "
                                       "an import cannot change whether an infusion's date is synthetic (its planned "
                                       "visits depend on it)"))
        if row["lot_id"] is not None and (stored is None or "lot_id" in changed):
            lot = lots[row["lot_id"]]
            refusal = infusion_lot_refusal(lot["lot_number"], released=lot["released"], release_reasons=lot["release_reasons"],
                                           allow_unreleased=allow_unreleased)
            if refusal is not None:
                problems.append(RowProblem(source, item.row, "lot_number", item.cells["lot_number"], refusal))
    return problems


#: Table columns stored from a differently named file column: (file column, what a blank cell removes).
_REFERENCES = {"site_id": ("site_code", "the patient's stored site"), "lot_id": ("lot_number", "the infusion's stored lot")}


def _cleared(plan: SyncPlan, rows: list[tuple[_Row, dict[str, Any]]], key: tuple[str, ...], fmt: RecordFormat,
             source: str) -> list[RowProblem]:
    """A warning for each stored value that a blank (or absent) cell clears or resets to its default."""
    if not plan.updates:
        return []
    changes = {record_id: (old, new) for record_id, old, new in plan.updates}
    warnings = []
    for item, row in rows:
        found = changes.get(plan.ids.get(tuple(row[c] for c in key), -1))
        if found is None:
            continue
        old, new = found
        for name, value in new.items():
            if name == "answers":  # one stored answer per criterion column
                before, after = json.loads(old[name]), json.loads(value)
                for criterion in _CRITERIA:
                    if criterion not in item.cells and before.get(criterion) != after.get(criterion):
                        warnings.append(_blank_warning(source, item, criterion, before.get(criterion), after.get(criterion)))
                continue
            if name in _REFERENCES:
                column, what = _REFERENCES[name]
                if column not in item.cells:
                    warnings.append(RowProblem(source, item.row, column, "", f"blank cell removes {what}"))
            elif name in fmt.columns and name not in item.cells:
                warnings.append(_blank_warning(source, item, name, old[name], value))
    return warnings


def _blank_warning(source: str, item: _Row, column: str, old: Any, new: Any) -> RowProblem:
    change = "clears the stored value" if new is None else f"changes the stored value to {canonical(new)!r}, from"
    return RowProblem(source, item.row, column, "", f"blank cell {change} {canonical(old)!r}")


def _ambiguous(conn: Connection, table: Table, key: tuple[str, ...], rows: list[tuple[_Row, dict[str, Any]]],
               fmt: RecordFormat, source: str) -> tuple[list[tuple[_Row, dict[str, Any]]], list[RowProblem]]:
    """Rows whose natural key matches several stored records (possible where the table does not make the
    key unique, as for adverse events entered through the API): a problem each, as no record can be chosen."""
    columns = [table.c[c] for c in key]
    stored = {tuple(r[:-1]): r[-1] for r in conn.execute(select(*columns, func.count()).group_by(*columns)
                                                            .having(func.count() > 1))}
    if not stored:
        return rows, []
    kept, problems = [], []
    for item, row in rows:
        n = stored.get(tuple(row[c] for c in key))
        if n is None:
            kept.append((item, row))
        else:
            problems.append(RowProblem(source, item.row, fmt.key[-1], item.cells.get(fmt.key[-1]),
                                       f"{n} stored {table.name} records have the same {_words(fmt.key)}; the file "
                                       "cannot say which one this row is (correct them through the Python API)"))
    return kept, problems


def _plan(conn: Connection, fmt: RecordFormat, parsed: list[_Row], source: str, *, allow_unreleased: bool) -> _Plan:
    _, table, _, key = _KINDS[fmt.kind]
    rows, problems = _table_rows(conn, fmt.kind, parsed, source)
    rows, ambiguous = _ambiguous(conn, table, key, rows, fmt, source)
    problems += ambiguous
    sync = plan_sync(conn, table, [row for _, row in rows], key=key, filter_column=key[0])
    plan = _Plan(table=table, key=key, sync=sync, problems=problems, warnings=_cleared(sync, rows, key, fmt, source))
    if fmt.kind == "infusions":
        plan.problems += _infusion_problems(sync, rows, conn, source, allow_unreleased)
        plan.new_visits = len(DEFAULT_SCHEDULE) * sum(1 for row in sync.inserts if not row["derived"])
    return plan


def _apply(writer: Any, plan: _Plan, progress: Progress | None) -> None:
    apply_plan(writer, plan.table, plan.sync, key=plan.key, progress=progress)
    if plan.table.name == "infusion":  # follow-up visits of the new infusions, as record_infusion plans them
        visits = [visit for row in plan.sync.inserts if not row["derived"]
                  for visit in planned_visit_values(row["infused_on"], patient_id=row["patient_id"],
                                                    infusion_id=plan.sync.ids[row["patient_id"], row["infused_on"]],
                                                    schedule=DEFAULT_SCHEDULE)]
        writer.insert_many(Visit, visits)


# ---------------------------------------------------------------------- public entry


def import_records(registry: Registry, path: str | Path, kind: str, *, user: str, reason: str | None = None,
                   dry_run: bool = False, allow_unreleased: bool = False, progress: Progress | None = None) -> ImportReport:
    """Import a CSV file of one kind of registry record in one transaction (all rows or none).

    Parameters
    ----------
    registry : Registry
    path : str or pathlib.Path
        CSV file with the columns of ``RECORD_FORMATS[kind]`` (see the module docs).
    kind : str
        One of :data:`RECORD_KINDS`: ``sites``, ``patients``, ``eligibility``, ``lots``,
        ``infusions``, ``visits``, ``adverse-events``.
    user, reason : str
        Recorded in the audit trail (``reason`` defaults to "import of <kind> file <name>").
    dry_run : bool
        Check everything against the registry and report what would change; write nothing.
    allow_unreleased : bool
        Accept infusions from lots that failed release (as
        :func:`mscreg.store.services.record_infusion` with ``allow_unreleased=True``).
    progress : callable, optional
        ``progress(phase, done, total)``, called after validating and while writing.

    Returns
    -------
    ImportReport
        ``kind`` is ``"records:<kind>"``; counts per table (an infusions file also counts
        the visits it plans under ``visit``); warnings for doses outside the protocol's range
        and for stored values a blank cell clears.

    Raises
    ------
    mscreg.errors.InputFileError
        Missing, non-UTF-8 or empty file, or a header without data rows.
    mscreg.errors.DataValidationError
        Every problem of the file (bad header, invalid cells, references to records the
        registry does not hold, infusions from a lot that failed release, two rows with the
        same natural key); nothing is written.
    mscreg.errors.InputError
        An unknown ``kind``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> reg = Registry.create("sqlite://")
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "lots.csv"
    >>> _ = f.write_text("lot_number,source_tissue,donor_type,cd73,cd90,cd105,cd34,cd45,hla_dr,plastic_adherent,trilineage\\n"
    ...                  "UC-001,umbilical-cord,allogeneic,99,99,98,0.2,0.3,0.1,yes,yes\\n"
    ...                  "UC-002,umbilical-cord,allogeneic,99,99,93,0.2,0.3,0.1,yes,yes\\n")
    >>> report = import_records(reg, f, "lots", user="qa")
    >>> report.kind, report.inserted
    ('records:lots', {'lot': 2})
    >>> import_records(reg, f, "lots", user="qa").unchanged
    {'lot': 2}
    """
    fmt = RECORD_FORMATS.get(kind) if isinstance(kind, str) else None
    if fmt is None:
        raise InputError(f"unknown kind of record file {kind!r}; expected one of {', '.join(RECORD_KINDS)}")
    path = Path(path)
    text, digest = read_text(path)
    source = str(path)
    parsed, problems, warnings, n_rows = _parse(csv_rows(text, path, fmt.columns), source, fmt)
    del text
    if not n_rows and not problems:
        raise InputFileError(f"{source}: the file has a header but no data rows")
    if progress is not None:
        progress("validate", n_rows, n_rows)

    def run(conn: Connection, writer: Any) -> ImportReport:
        plan = _plan(conn, fmt, parsed, source, allow_unreleased=allow_unreleased)
        found = problems + plan.problems
        if found:
            raise DataValidationError(sorted(found, key=lambda p: p.row or 0))
        if writer is not None:
            _apply(writer, plan, progress)
        table, sync = fmt.table, plan.sync
        inserted = {table: len(sync.inserts)} | ({"visit": plan.new_visits} if fmt.kind == "infusions" else {})
        return ImportReport(kind=f"records:{fmt.kind}", file=source, sha256=digest, dry_run=writer is None, rows=n_rows,
                            inserted=inserted, updated={table: len(sync.updates)}, unchanged={table: sync.unchanged},
                            warnings=tuple(sorted(warnings + plan.warnings, key=lambda p: p.row or 0)))

    if dry_run or problems:  # with problems, run only adds those the registry shows, then raises
        with registry.engine.connect() as conn:
            return run(conn, None)
    with registry.write(user=user, reason=reason or f"import of {fmt.kind} file {path.name}") as writer:
        return run(writer.conn, writer)
