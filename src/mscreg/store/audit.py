"""The audit trail: canonical change records, the hash chain and its verification.

Each write transaction that changes study data gets one ``audit_changeset`` row: who
(``user_name``), when (``recorded_at``, UTC, ISO 8601) and why (``reason``). Each
create/update/delete of one study record gets one ``audit_log`` row in that changeset
(21 CFR 11.10(e)): what (``table_name``, ``record_id``, ``action`` and ``changes`` =
``{field: [old, new]}`` as canonical JSON). Both tables are append-only (database triggers
refuse UPDATE and DELETE) and the ``audit_log`` rows are chained:

    hash = SHA-256(prev_hash ␟ id ␟ recorded_at ␟ user_name ␟ action ␟ table_name ␟ record_id ␟ changes ␟ reason)

with ``prev_hash`` the previous row's ``hash`` (64 zeros for the first row) and
``recorded_at``, ``user_name``, ``reason`` those of the row's changeset. :func:`verify`
recomputes the chain (an edited row or changeset breaks the hash; a deleted row leaves a
gap in the ids, and the row after it can no longer be checked, which is reported) and
replays the trail to the latest value of every field of every record, then compares that
with the study tables (a data row edited, inserted or deleted behind mscreg's back no longer
matches). The chain is not anchored outside the database: rows cut from its end, with the
records they changed reverted by hand, leave no trace (docs/registry.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import count, repeat
from json.encoder import encode_basestring  # type: ignore[attr-defined]  # the C encoder of ensure_ascii=False
from typing import Any

from sqlalchemy import Connection, Date, DateTime, Select, String, func, select, type_coerce

from mscreg.errors import InputError
from mscreg.store.models import STUDY_TABLES, AuditChangeset, AuditEntry

__all__ = ["GENESIS_HASH", "VerifyProblem", "VerifyReport", "canonical", "chain_hashes", "changes_json", "entry_hash",
           "insert_changes_json", "parse_anchor", "trail", "trail_head", "verify"]

#: ``prev_hash`` of the first audit row.
GENESIS_HASH = "0" * 64
_SEP = "\x1f"


def canonical(value: Any) -> Any:
    """A value as the audit trail stores it (JSON-ready; dates as ISO strings).

    Examples
    --------
    >>> canonical(dt.date(2024, 5, 1)), canonical(7.25), canonical(None), canonical(True)
    ('2024-05-01', 7.25, None, True)
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def changes_json(changes: dict[str, tuple[Any, Any]]) -> str:
    """Canonical JSON of ``{field: (old, new)}`` (sorted keys, no spaces, no NaN).

    Examples
    --------
    >>> changes_json({"value": (7.1, 6.9), "flags": (None, "soft_limit")})
    '{"flags":[null,"soft_limit"],"value":[7.1,6.9]}'
    """
    return _ENCODER.encode({name: [old, new] for name, (old, new) in changes.items()})


def _default(value: Any) -> Any:
    converted = canonical(value)
    if converted is value:
        raise TypeError(f"{type(value).__name__} {value!r} cannot be stored in the audit trail")
    return converted


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_default)


def insert_changes_json(columns: Mapping[str, Sequence[Any]], n: int) -> list[str]:
    """:func:`changes_json` of ``n`` inserted records given column by column (None = not set).

    Record ``i`` gets exactly ``changes_json({k: (None, v[i]) for k, v in columns.items() if v[i] is not None})``;
    the work is done per column (each distinct string, integer, boolean or date is encoded once)
    and the fragments are joined per record, which is what makes bulk imports fast.

    Examples
    --------
    >>> insert_changes_json({"value": [7.1, None], "loinc": ["4548-4", "1558-6"]}, 2)
    ['{"loinc":[null,"4548-4"],"value":[null,7.1]}', '{"loinc":[null,"1558-6"]}']
    """
    parts: list[list[str]] = []
    braced = False  # the first column's fragments open the object (no record lacks that column)
    pending = ""  # fragments of columns with one value in every record, joined to the next column's prefix
    for name in sorted(columns):
        values = columns[name]
        kinds = set(map(type, values))
        has_none = _NONE in kinds
        kinds.discard(_NONE)
        if not kinds:
            continue
        first = not parts and not pending
        if first:
            braced = not has_none
        if has_none and pending:  # a record without this column must still get the pending fragments
            parts.append([pending] * n)
            pending = ""
        prefix = f"{pending}{'{' if braced and first else ','}{encode_basestring(name)}:[null,"
        if not has_none and kinds in _CACHEABLE and len(distinct := set(values)) == 1:
            pending = f"{prefix}{_ENCODER.encode(next(iter(distinct)))}]"
            continue
        parts.append(_insert_fragments(prefix, values, kinds))
        pending = ""
    if not parts:
        if not pending:
            return ["{}"] * n
        return [f"{pending}}}" if braced else f"{{{pending[1:]}}}"] * n
    if braced:
        return list(map("".join, zip(*parts, repeat(f"{pending}}}"))))
    if pending:
        parts.append([pending] * n)
    return ["{" + joined[1:] + "}" for joined in map("".join, zip(*parts))]


_NONE = type(None)
_CACHEABLE = ({str}, {int}, {bool}, {dt.date})  # equal values of one of these types encode identically


def _insert_fragments(prefix: str, values: Sequence[Any], kinds: set[type]) -> list[str]:
    """``prefix + '<json>]'`` per value ('' for None); ``kinds``: the types of the values but None."""
    if kinds == {float}:
        distinct = set(values)
        distinct.discard(None)  # type: ignore[arg-type]
        # equal floats are written alike except 0.0 and -0.0 (equal, written differently): those uncached
        if 0.0 in distinct:
            return ["" if v is None else f"{prefix}{float.__repr__(v) if math.isfinite(v) else _ENCODER.encode(v)}]"
                    for v in values]
        encoded = {v: f"{prefix}{float.__repr__(v) if math.isfinite(v) else _ENCODER.encode(v)}]" for v in distinct}
        encoded[None] = ""  # type: ignore[index]
        return list(map(encoded.__getitem__, values))
    if kinds in _CACHEABLE:
        encoded = {v: f"{prefix}{_ENCODER.encode(v)}]" for v in set(values) if v is not None}
        encoded[None] = ""
        return list(map(encoded.__getitem__, values))
    return ["" if v is None else f"{prefix}{_ENCODER.encode(v)}]" for v in values]


def entry_hash(*, prev_hash: str, id: int, recorded_at: str, user_name: str, action: str, table_name: str,
               record_id: int, changes: str, reason: str) -> str:
    """SHA-256 (hex) of one audit row's content chained to ``prev_hash``.

    Examples
    --------
    >>> h = entry_hash(prev_hash=GENESIS_HASH, id=1, recorded_at="2024-01-01T00:00:00.000000Z",
    ...                user_name="ana", action="insert", table_name="patient", record_id=1,
    ...                changes='{"study_id":[null,"P1"]}', reason="enrolment")
    >>> len(h), h == entry_hash(prev_hash=GENESIS_HASH, id=1, recorded_at="2024-01-01T00:00:00.000000Z",
    ...                user_name="ana", action="insert", table_name="patient", record_id=1,
    ...                changes='{"study_id":[null,"P2"]}', reason="enrolment")
    (64, False)
    """
    text = _SEP.join((prev_hash, str(id), recorded_at, user_name, action, table_name, str(record_id), changes, reason))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chain_hashes(prev_hash: str, first_id: int, *, recorded_at: str, user_name: str, action: str, table_name: str,
                 record_ids: Sequence[int], changes: Sequence[str], reason: str) -> list[str]:
    """:func:`entry_hash` of consecutive audit rows (ids ``first_id``, ``first_id + 1`` …) sharing
    time, user, action, table and reason, each chained to the one before.

    Examples
    --------
    >>> hashes = chain_hashes(GENESIS_HASH, 1, recorded_at="2024-01-01T00:00:00.000000Z", user_name="ana",
    ...                       action="insert", table_name="patient", record_ids=[1, 2],
    ...                       changes=['{"study_id":[null,"P1"]}', '{"study_id":[null,"P2"]}'], reason="enrolment")
    >>> hashes[1] == entry_hash(prev_hash=hashes[0], id=2, recorded_at="2024-01-01T00:00:00.000000Z",
    ...                         user_name="ana", action="insert", table_name="patient", record_id=2,
    ...                         changes='{"study_id":[null,"P2"]}', reason="enrolment")
    True
    """
    sep = _SEP
    middle = sep + sep.join((recorded_at, user_name, action, table_name)) + sep
    tail = sep + reason
    sha256 = hashlib.sha256
    hashes: list[str] = []
    append = hashes.append
    prev = prev_hash
    for audit_id, record_id, text in zip(count(first_id), record_ids, changes):
        prev = sha256(f"{prev}{sep}{audit_id}{middle}{record_id}{sep}{text}{tail}".encode()).hexdigest()
        append(prev)
    return hashes


def trail() -> Select[Any]:
    """The audit trail in order: every ``audit_log`` column with its changeset's who/when/why.

    ``recorded_at``, ``user_name`` and ``reason`` are None for a row whose changeset is missing.

    Examples
    --------
    >>> from mscreg.store import Registry
    >>> reg = Registry.create("sqlite://")
    >>> with reg.write(user="ana", reason="enrolment") as w:
    ...     _ = w.insert("patient", {"study_id": "P1"})
    >>> with reg.engine.connect() as conn:
    ...     row = conn.execute(trail()).one()
    >>> row.user_name, row.reason, row.action, row.table_name, row.record_id, row.changes
    ('ana', 'enrolment', 'insert', 'patient', 1, '{"study_id":[null,"P1"]}')
    """
    entries, changesets = AuditEntry.__table__, AuditChangeset.__table__
    return (select(entries, changesets.c.recorded_at, changesets.c.user_name, changesets.c.reason)
            .join_from(entries, changesets, entries.c.changeset_id == changesets.c.id, isouter=True)
            .order_by(entries.c.id))


@dataclass(frozen=True, kw_only=True)
class VerifyProblem:
    """One finding of :func:`verify`: which audit row or data record, and what is wrong."""

    kind: str  # "audit-chain" | "data" | "schema"
    table: str
    record_id: int | None
    message: str

    def __str__(self) -> str:
        where = self.table if self.record_id is None else f"{self.table} id {self.record_id}"
        return f"[{self.kind}] {where}: {self.message}"


@dataclass(frozen=True, kw_only=True)
class VerifyReport:
    """Result of :func:`verify`: rows checked and every problem found."""

    audit_rows: int
    records: int
    problems: tuple[VerifyProblem, ...] = field(default=())
    #: The last audit row as ``"<id>:<hash>"`` (None for an empty trail): kept outside the
    #: database, it is the anchor a later :func:`verify` checks (``anchor=``).
    head: str | None = None

    @property
    def ok(self) -> bool:
        """True when the chain is intact and every record matches the trail."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (JSON output)."""
        return {"ok": self.ok, "audit_rows": self.audit_rows, "records": self.records, "head": self.head,
                "problems": [{"kind": p.kind, "table": p.table, "record_id": p.record_id, "message": p.message}
                             for p in self.problems]}


def trail_head(conn: Connection) -> tuple[int, str] | None:
    """(id, hash) of the last audit row, or None for an empty trail.

    Examples
    --------
    >>> from mscreg.store import Registry
    >>> reg = Registry.create("sqlite://")
    >>> with reg.engine.connect() as conn:
    ...     trail_head(conn) is None
    True
    """
    t = AuditEntry.__table__
    last = conn.execute(select(t.c.id, t.c.hash).order_by(t.c.id.desc()).limit(1)).first()
    return None if last is None else (int(last.id), str(last.hash))


def parse_anchor(text: str) -> tuple[int, str]:
    """``"<audit row id>:<hash>"`` (a :attr:`VerifyReport.head` kept earlier) as (id, hash).

    Examples
    --------
    >>> parse_anchor("12:" + "ab" * 32)[0]
    12
    >>> parse_anchor("12:xyz")
    Traceback (most recent call last):
    ...
    mscreg.errors.InputError: anchor '12:xyz' is not '<audit row id>:<64 hex digits>' (the head a verify printed)
    """
    number, _, digest = text.strip().partition(":")
    if not number.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise InputError(f"anchor {text!r} is not '<audit row id>:<64 hex digits>' (the head a verify printed)")
    return int(number), digest


def verify(conn: Connection, *, check_data: bool = True, max_problems: int = 1000,
           progress: Callable[[str, int, int], None] | None = None, anchor: str | None = None) -> VerifyReport:
    """Check the audit hash chain and (``check_data``) that the study tables match it.

    ``progress(phase, done, total)`` is called every 20,000 rows of the phases
    ``"audit trail"`` and ``"records"``; it stops at ``max_problems`` problems.
    ``anchor`` is the :attr:`VerifyReport.head` of an earlier verify, kept outside the
    database: the row it names must still be there with that hash, so the trail up to it
    cannot have been cut or rewritten, however consistently (see :func:`parse_anchor`).

    Examples
    --------
    >>> from mscreg.store import Registry
    >>> reg = Registry.create("sqlite://")
    >>> with reg.write(user="ana", reason="enrolment") as w:
    ...     _ = w.insert("patient", {"study_id": "P1", "sex": "F"})
    >>> with reg.engine.connect() as conn:
    ...     verify(conn).ok
    True
    """
    anchor_id, anchor_hash = parse_anchor(anchor) if anchor is not None else (None, None)
    anchor_seen = False
    problems: list[VerifyProblem] = []
    state: dict[str, dict[int, dict[str, Any]]] = {}  # table → record id → field → latest value
    previous_hash = GENESIS_HASH  # the previous row's hash as stored …
    previous_true = GENESIS_HASH  # … and as recomputed from its content (differs when its hash was edited)
    previous_id = 0
    count = 0
    total = _count(conn, [AuditEntry]) if progress is not None else 0
    for row in conn.execution_options(yield_per=_STEP).execute(trail()):
        count += 1
        if progress is not None and count % _STEP == 0:
            progress("audit trail", count, total)
        content = {"id": row.id, "recorded_at": row.recorded_at, "user_name": row.user_name, "action": row.action,
                   "table_name": row.table_name, "record_id": row.record_id, "changes": row.changes, "reason": row.reason}
        true_hash = row.hash  # the hash this row should have, given its content and the rows before it
        gap = row.id != previous_id + 1
        if gap:
            missing = f"ids {previous_id + 1}–{row.id - 1}" if row.id - previous_id > 2 else f"id {previous_id + 1}"
            problems.append(_chain_problem(row.id, f"audit rows missing before this row ({missing} deleted); this row's "
                                                   "content cannot be checked: its hash chains to the deleted row"))
        if row.recorded_at is None:
            problems.append(_chain_problem(row.id, f"its changeset {row.changeset_id} is missing (deleted); without "
                                                   "it this row's content cannot be checked"))
        elif not gap and row.hash != (expected := entry_hash(prev_hash=previous_hash, **content)) and not (
                # chained to the previous row's true hash this row is intact: only that row's hash was edited
                previous_true != previous_hash and row.hash == entry_hash(prev_hash=previous_true, **content)):
            problems.append(_chain_problem(
                row.id, f"content does not match its hash: this row or its changeset {row.changeset_id} was edited, "
                        "or the row before it was replaced with a recomputed hash"))
            true_hash = expected
        previous_hash, previous_true, previous_id = row.hash, true_hash, row.id
        if row.id == anchor_id:
            anchor_seen = True
            if row.hash != anchor_hash:
                problems.append(_chain_problem(row.id, "hash differs from the anchor kept earlier: the trail up to "
                                                       "this row was rewritten"))
        if check_data:
            _replay(state, row, problems)
        if len(problems) >= max_problems:
            break
    if progress is not None:
        progress("audit trail", count, total)
    if anchor_id is not None and not anchor_seen and len(problems) < max_problems:
        problems.append(_chain_problem(anchor_id, f"the anchored row is gone (the trail now ends at id {previous_id}): "
                                                  "rows were cut from the trail"))
    records = 0
    if check_data and len(problems) < max_problems:
        records = _compare(conn, state, problems, max_problems, progress)
    head = f"{previous_id}:{previous_hash}" if count else None
    return VerifyReport(audit_rows=count, records=records, problems=tuple(problems), head=head)


def _chain_problem(audit_id: int, message: str) -> VerifyProblem:
    return VerifyProblem(kind="audit-chain", table="audit_log", record_id=audit_id, message=message)


def _replay(state: dict[str, dict[int, dict[str, Any]]], row: Any, problems: list[VerifyProblem]) -> None:
    try:
        changes = json.loads(row.changes)
    except ValueError:
        problems.append(VerifyProblem(kind="audit-chain", table="audit_log", record_id=row.id,
                                      message="changes are not valid JSON"))
        return
    records = state.setdefault(row.table_name, {})
    if row.action == "insert":
        records[row.record_id] = {name: pair[1] for name, pair in changes.items()}
    elif row.action == "update":
        records.setdefault(row.record_id, {}).update({name: pair[1] for name, pair in changes.items()})
    elif row.action == "delete":
        records.pop(row.record_id, None)


def _compare(conn: Connection, state: dict[str, dict[int, dict[str, Any]]], problems: list[VerifyProblem],
             max_problems: int, progress: Callable[[str, int, int], None] | None) -> int:
    checked = 0
    total = _count(conn, STUDY_TABLES) if progress is not None else 0
    for model in STUDY_TABLES:
        table = model.__table__
        name = table.name
        columns = [c.name for c in table.columns if c.name != "id"]
        dates = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, (Date, DateTime))]
        selected = [table.c[c] for c in columns]
        if conn.dialect.name == "sqlite":  # dates as the text stored: one edited into a non-date is named, not a crash
            for i in dates:
                selected[i] = type_coerce(selected[i], String).label(columns[i])
        records = state.get(name, {})
        seen: set[int] = set()
        for row in conn.execution_options(yield_per=_STEP).execute(select(table.c.id, *selected)):
            checked += 1
            if progress is not None and checked % _STEP == 0:
                progress("records", checked, total)
            seen.add(row.id)
            expected = records.get(row.id)
            if expected is None:
                problems.append(VerifyProblem(kind="data", table=name, record_id=row.id,
                                              message="record is not in the audit trail (inserted behind mscreg's back)"))
            elif not _stored_equal(row, expected, columns, dates):
                for column in columns:
                    actual = canonical(getattr(row, column))
                    wanted = expected.get(column)
                    if actual != wanted and not _same_number(actual, wanted):
                        problems.append(VerifyProblem(
                            kind="data", table=name, record_id=row.id,
                            message=f"field {column!r} is {actual!r} but the audit trail's latest value is {wanted!r}"))
            if len(problems) >= max_problems:
                return checked
        for record_id in sorted(records.keys() - seen):
            problems.append(VerifyProblem(kind="data", table=name, record_id=record_id,
                                          message="record is missing but the audit trail never deleted it"))
    if progress is not None:
        progress("records", checked, total)
    return checked


_STEP = 20_000  # rows fetched at a time, and between progress calls


def _count(conn: Connection, models: Sequence[Any]) -> int:
    """Rows of these tables together (the total a progress bar shows)."""
    return sum(conn.execute(select(func.count()).select_from(m.__table__)).scalar_one() for m in models)


def _stored_equal(row: Any, expected: dict[str, Any], columns: list[str], dates: list[int]) -> bool:
    """Whether a record (``row``: id, then ``columns``) equals the trail's values as stored; the fast
    path of :func:`_compare` — False only sends the record to the field-by-field comparison."""
    values = list(row[1:])
    for i in dates:
        if isinstance(values[i], dt.date):
            values[i] = values[i].isoformat()
    return values == list(map(expected.get, columns))


def _same_number(a: Any, b: Any) -> bool:
    numeric = (int, float)
    return (isinstance(a, numeric) and isinstance(b, numeric) and not isinstance(a, bool)
            and not isinstance(b, bool) and float(a) == float(b))
