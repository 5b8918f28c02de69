"""Shared machinery of the importers: value checks, idempotent upserts, visit linking.

An import first *plans* (which records are new, which changed, which are identical to
what the registry holds — matched on a natural key) and then *applies* the plan through
one :class:`~mscreg.store.writer.Writer`, so a re-import of the same file writes nothing
and a corrected value becomes one audited update.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import compress
from operator import itemgetter, not_
from typing import Any

from sqlalchemy import Connection, Table, select

from mscreg.domain.protocol import Analyte, VisitStatus
from mscreg.errors import RowProblem
from mscreg.io.report import Progress
from mscreg.store.audit import canonical
from mscreg.store.models import Infusion, Visit
from mscreg.store.writer import Writer

__all__ = ["ColumnPlan", "SyncPlan", "apply_plan", "apply_plan_columns", "check_value", "existing_rows", "link_visits",
           "link_visits_columns", "parse_date", "parse_number", "plan_sync", "plan_sync_columns"]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CHUNK = 900  # bound parameters per IN list (SQLite allows 999 in old builds)
#: Records per write batch (one progress step each). 10,000 made a 1 M-row lab import ≈ 1 s
#: slower than 50,000–250,000 (measured, benchmarks/bench_import.py); the batch bounds memory.
_BATCH = 50_000


def parse_number(text: str) -> float:
    """A finite float from a cell; ValueError naming the likely mistake.

    Examples
    --------
    >>> parse_number(" 7.25 ")
    7.25
    >>> parse_number("7,25")
    Traceback (most recent call last):
    ...
    ValueError: looks like a decimal comma; write the decimal point as '.'
    """
    cleaned = text.strip()
    if re.fullmatch(r"-?\d+,\d+", cleaned):
        raise ValueError("looks like a decimal comma; write the decimal point as '.'")
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError("not a number") from None
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


def parse_date(text: str, *, today: dt.date | None = None) -> dt.date:
    """An ISO date ``YYYY-MM-DD`` not in the future; ValueError otherwise.

    Examples
    --------
    >>> parse_date("2024-02-29")
    datetime.date(2024, 2, 29)
    >>> parse_date("29.02.2024")
    Traceback (most recent call last):
    ...
    ValueError: not a date; expected YYYY-MM-DD
    """
    cleaned = text.strip()
    if not _DATE.match(cleaned):
        raise ValueError("not a date; expected YYYY-MM-DD")
    try:
        day = dt.date.fromisoformat(cleaned)
    except ValueError:
        raise ValueError("not a valid calendar date; expected YYYY-MM-DD") from None
    if day > (today or dt.date.today()):
        raise ValueError("date is in the future")
    if day.year < 1900:
        raise ValueError("date before 1900")
    return day


def check_value(analyte: Analyte, value: float, unit: str, *, file: str, row: int | None, field_name: str,
                shown: str) -> tuple[float | None, str | None, RowProblem | None, RowProblem | None]:
    """Normalise one value and check its limits: (value, flags, problem, warning).

    A value outside the hard range is a problem (the row is rejected); outside the soft
    range a warning, and the stored measurement carries the flag ``soft_limit``.
    """
    try:
        normalised = analyte.normalise(value, unit)
    except Exception as error:  # ConventionError: unit not accepted for the analyte
        return None, None, RowProblem(file, row, "unit", unit, str(error)), None
    limits = analyte.limits
    if limits is None:
        return normalised, None, None, None
    converted = "" if normalised == value else f" (= {normalised:.4g} {analyte.unit})"
    if not limits.hard_ok(normalised):
        return None, None, RowProblem(file, row, field_name, shown,
                                      f"{analyte.name}{converted} outside the hard plausible range; "
                                      f"expected {limits.describe()}"), None
    if not limits.soft_ok(normalised):
        return normalised, "soft_limit", None, RowProblem(
            file, row, field_name, shown,
            f"{analyte.name}{converted} outside the soft range {limits.soft_low:g}–{limits.soft_high:g} "
            f"{limits.unit}; imported with flag 'soft_limit' for review")
    return normalised, None, None, None


@dataclass
class SyncPlan:
    """What an import will do to one table."""

    table: str
    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[tuple[int, dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    unchanged: int = 0
    ids: dict[tuple[Any, ...], int] = field(default_factory=dict)


def existing_rows(conn: Connection, table: Table, filter_column: str, values: Iterable[Any]) -> list[Any]:
    """The stored rows (as mappings) of ``table`` whose ``filter_column`` is one of ``values``
    (None ignored), read in IN lists of at most 900 values."""
    wanted = sorted({v for v in values if v is not None}, key=str)
    found = []
    column = table.c[filter_column]
    for start in range(0, len(wanted), _CHUNK):
        found.extend(conn.execute(select(table).where(column.in_(wanted[start:start + _CHUNK]))).mappings().all())
    return found


def plan_sync(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], *, key: tuple[str, ...],
              filter_column: str) -> SyncPlan:
    """Match ``rows`` to existing records on ``key``: insert new, update changed, skip identical.

    Rows whose filter value is None (a patient created by the same import) are new.
    """
    plan = SyncPlan(table=table.name)
    existing = {tuple(r[k] for k in key): r for r in existing_rows(conn, table, filter_column, (r[filter_column] for r in rows))}
    if not existing:  # nothing to match (a first import): every row is new
        plan.inserts.extend(rows)
        return plan
    for row in rows:
        k = tuple(row[c] for c in key)
        current = existing.get(k) if row[filter_column] is not None else None
        if current is None:
            plan.inserts.append(row)
            continue
        plan.ids[k] = current["id"]
        new = {c: v for c, v in row.items() if canonical(current[c]) != canonical(v)}
        if new:
            plan.updates.append((current["id"], {c: current[c] for c in new}, new))
        else:
            plan.unchanged += 1
    return plan


def apply_plan(writer: Writer, table: Table, plan: SyncPlan, *, key: tuple[str, ...],
               progress: Progress | None = None) -> None:
    """Write a plan through ``writer`` in batches (ids of inserts go into ``plan.ids``)."""
    total = len(plan.inserts)
    for start in range(0, total, _BATCH):
        batch = plan.inserts[start:start + _BATCH]
        ids = writer.insert_many(table.name, batch)
        plan.ids.update(zip(zip(*(map(itemgetter(c), batch) for c in key)), ids))
        if progress is not None:
            progress("write", min(start + _BATCH, total), total)
    writer.update_many(table.name, plan.updates)


@dataclass
class ColumnPlan:
    """What an import will do to one table, with the new records as columns (bulk imports).

    ``inserts`` maps each column name to the values of the new records (``n_inserts`` of them);
    ``updates`` and ``unchanged`` are as in :class:`SyncPlan`.
    """

    table: str
    inserts: dict[str, list[Any]]
    n_inserts: int
    updates: list[tuple[int, dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    unchanged: int = 0


def plan_sync_columns(conn: Connection, table: Table, columns: Mapping[str, Sequence[Any]], *, key: tuple[str, ...],
                      filter_column: str) -> ColumnPlan:
    """:func:`plan_sync` of records given column by column (no mapping per record).

    Same decisions as :func:`plan_sync` of the same records: new records (or a None filter value)
    are inserts, a record whose key is stored is an update of the fields that differ, or unchanged.

    Examples
    --------
    >>> from mscreg.store import Registry
    >>> from mscreg.store.models import Patient
    >>> reg = Registry.create("sqlite://")
    >>> with reg.write(user="ana", reason="enrolment") as w:
    ...     _ = w.insert("patient", {"study_id": "P1", "sex": "F"})
    >>> with reg.engine.connect() as conn:
    ...     plan = plan_sync_columns(conn, Patient.__table__, {"study_id": ["P1", "P2"], "sex": ["M", "F"]},
    ...                              key=("study_id",), filter_column="study_id")
    >>> plan.inserts, plan.n_inserts, plan.updates
    ({'study_id': ['P2'], 'sex': ['F']}, 1, [(1, {'sex': 'F'}, {'sex': 'M'})])
    """
    names = list(columns)
    n = len(columns[filter_column])
    plan = ColumnPlan(table=table.name, inserts={c: list(columns[c]) for c in names}, n_inserts=n)
    filter_values = columns[filter_column]
    existing = {tuple(r[k] for k in key): r for r in existing_rows(conn, table, filter_column, set(filter_values))}
    if not existing:  # nothing to match (a first import): every record is new
        return plan
    keys = list(zip(*(columns[c] for c in key)))
    stored = list(map(existing.__contains__, keys))
    if None in filter_values:  # a None filter value (a record created by the same import) never matches
        stored = [hit and value is not None for hit, value in zip(stored, filter_values)]
    if not any(stored):
        return plan
    for position in compress(range(n), stored):
        current = existing[keys[position]]
        new = {c: columns[c][position] for c in names if canonical(current[c]) != canonical(columns[c][position])}
        if new:
            plan.updates.append((current["id"], {c: current[c] for c in new}, new))
        else:
            plan.unchanged += 1
    fresh = list(compress(range(n), map(not_, stored)))
    plan.inserts = {c: list(map(columns[c].__getitem__, fresh)) for c in names}
    plan.n_inserts = len(fresh)
    return plan


def apply_plan_columns(writer: Writer, table: Table, plan: ColumnPlan, *, progress: Progress | None = None) -> None:
    """Write a :class:`ColumnPlan` through ``writer`` in batches (:meth:`Writer.insert_columns`)."""
    total = plan.n_inserts
    for start in range(0, total, _BATCH):
        writer.insert_columns(table.name, {c: values[start:start + _BATCH] for c, values in plan.inserts.items()})
        if progress is not None:
            progress("write", min(start + _BATCH, total), total)
    writer.update_many(table.name, plan.updates)


def link_visits(conn: Connection, inserts: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Attach new measurements to the planned visit whose window holds their date.

    Sets ``visit_id`` on the rows in ``inserts`` and returns the visit updates
    ``{visit id: {"actual_on": ..., "status": "done"}}`` for visits not yet attended.
    """
    visit_ids, attended = link_visits_columns(conn, [row.get("patient_id") for row in inserts],
                                              [row.get("measured_on") for row in inserts])
    for row, visit_id in zip(inserts, visit_ids or ()):
        if visit_id is not None:
            row["visit_id"] = visit_id
    return attended


def link_visits_columns(conn: Connection, patient_ids: Sequence[Any], measured_on: Sequence[dt.date]
                        ) -> tuple[list[int | None] | None, dict[int, dict[str, Any]]]:
    """:func:`link_visits` of new measurements given as columns: (``visit_id`` column, visit updates).

    The ``visit_id`` column is None when no measurement falls into a visit window.
    """
    wanted = {p for p in patient_ids if p is not None}
    if not wanted:
        return None, {}
    visits: dict[int, list[Any]] = {}
    t, i = Visit.__table__, Infusion.__table__
    ids = sorted(wanted)
    for start in range(0, len(ids), _CHUNK):
        for v in conn.execute(select(t).join(i, i.c.id == t.c.infusion_id)
                              .where(t.c.patient_id.in_(ids[start:start + _CHUNK]), i.c.derived.is_(False))):
            visits.setdefault(v.patient_id, []).append(v)
    attended: dict[int, dict[str, Any]] = {}
    if not visits:  # no planned visits for these patients (e.g. analysis-table patients): nothing to link
        return None, attended
    visit_ids: list[int | None] = [None] * len(patient_ids)
    linked = False
    for position in compress(range(len(patient_ids)), map(visits.__contains__, patient_ids)):
        day = measured_on[position]
        for v in visits[patient_ids[position]]:
            if v.window_start <= day <= v.window_end:
                visit_ids[position] = v.id
                linked = True
                if v.actual_on is None and v.status == VisitStatus.PLANNED.value:
                    first = attended.get(v.id, {}).get("actual_on")
                    if first is None or day < first:
                        attended[v.id] = {"actual_on": day, "status": VisitStatus.DONE.value}
                break
    return (visit_ids if linked else None), attended
