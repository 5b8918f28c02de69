"""The one write path: every insert, update and delete of study data, with its audit row.

:class:`Registry` opens a database; ``with registry.write(user=..., reason=...) as w`` gives a
:class:`Writer` inside one serialised transaction (SQLite ``BEGIN IMMEDIATE``, PostgreSQL
advisory lock). Each change the writer makes appends one row to the hash-chained audit
trail in the same transaction, so a change and its trace are committed together or not at
all. There is no other way through mscreg to change study data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Boolean, Connection, Date, Engine, Table, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from mscreg.errors import InputError
from mscreg.store.audit import GENESIS_HASH, VerifyReport, canonical, changes_json, entry_hash, verify
from mscreg.store.engine import open_engine, write_transaction
from mscreg.store.models import STUDY_TABLES, AuditEntry, Base

__all__ = ["Registry", "Writer", "utc_now"]

_TABLES: dict[str, Table] = {m.__table__.name: m.__table__ for m in STUDY_TABLES}  # type: ignore[misc]
_AUDIT: Table = AuditEntry.__table__  # type: ignore[assignment]


def utc_now() -> str:
    """The current time in UTC as ISO 8601 with microseconds and ``Z``.

    Examples
    --------
    >>> utc_now().endswith("Z") and len(utc_now()) == 27
    True
    """
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _table(name: str | type[Base]) -> Table:
    key = name if isinstance(name, str) else name.__tablename__
    table = _TABLES.get(key)
    if table is None:
        raise InputError(f"table {key!r} is not a study table; expected one of {', '.join(_TABLES)}")
    return table


class Writer:
    """Audited writes inside one transaction; obtain one from :meth:`Registry.write`.

    Parameters
    ----------
    conn : sqlalchemy.Connection
        A connection inside a write transaction (:func:`~mscreg.store.engine.write_transaction`).
    user, reason : str
        Recorded on every audit row this writer appends.
    """

    def __init__(self, conn: Connection, *, user: str, reason: str):
        if not user.strip():
            raise InputError("a user name is needed for the audit trail (--user or $USER)")
        if not reason.strip():
            raise InputError("a reason is needed for the audit trail (--reason)")
        self.conn = conn
        self.user = user.strip()
        self.reason = reason.strip()
        self._next_id: dict[str, int] = {}
        tail = conn.execute(select(_AUDIT.c.id, _AUDIT.c.hash).order_by(_AUDIT.c.id.desc()).limit(1)).first()
        self._audit_id, self._audit_hash = (tail.id, tail.hash) if tail else (0, GENESIS_HASH)
        self.counts: dict[str, int] = {"insert": 0, "update": 0, "delete": 0}

    # ------------------------------------------------------------------ ids and audit rows
    def _allocate(self, table: Table, n: int) -> int:
        start = self._next_id.get(table.name)
        if start is None:
            start = int(self.conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1
        self._next_id[table.name] = start + n
        return start

    def _audit_rows(self, action: str, table: str, items: Iterable[tuple[int, str]]) -> list[dict[str, Any]]:
        now = utc_now()
        rows = []
        audit_id, prev = self._audit_id, self._audit_hash
        for record_id, changes in items:
            audit_id += 1
            digest = entry_hash(prev_hash=prev, id=audit_id, recorded_at=now, user_name=self.user, action=action,
                                table_name=table, record_id=record_id, changes=changes, reason=self.reason)
            rows.append({"id": audit_id, "recorded_at": now, "user_name": self.user, "action": action,
                         "table_name": table, "record_id": record_id, "changes": changes, "reason": self.reason,
                         "prev_hash": prev, "hash": digest})
            prev = digest
        self._audit_id, self._audit_hash = audit_id, prev
        self.counts[action] += len(rows)
        return rows

    def _check_columns(self, table: Table, values: Mapping[str, Any]) -> None:
        unknown = set(values) - {c.name for c in table.columns if c.name != "id"}
        if unknown:
            raise InputError(f"table {table.name!r} has no column(s) {sorted(unknown)!r}")

    # ------------------------------------------------------------------ public API
    def insert(self, table: str | type[Base], values: Mapping[str, Any]) -> int:
        """Insert one record; return its id.

        Examples
        --------
        >>> reg = Registry.create("sqlite://")
        >>> with reg.write(user="ana", reason="enrolment") as w:
        ...     w.insert("patient", {"study_id": "P1", "birth_year": 1960})
        1
        """
        return self.insert_many(table, [values])[0]

    def insert_many(self, table: str | type[Base], rows: Sequence[Mapping[str, Any]]) -> list[int]:
        """Insert records in one batch (one audit row each); return their ids in order."""
        target = _table(table)
        if not rows:
            return []
        columns = [c.name for c in target.columns if c.name != "id"]
        for values in rows[:1]:
            self._check_columns(target, values)
        start = self._allocate(target, len(rows))
        ids = list(range(start, start + len(rows)))
        records = [(record_id, *(values.get(name) for name in columns)) for record_id, values in zip(ids, rows)]
        audit_items = [(record_id, changes_json({k: (None, v) for k, v in values.items() if v is not None}))
                       for record_id, values in zip(ids, rows)]
        self._bulk_insert(target, ["id", *columns], records)
        self._insert_audit(self._audit_rows("insert", target.name, audit_items))
        return ids

    def _bulk_insert(self, table: Table, columns: list[str], records: list[tuple[Any, ...]]) -> None:
        """Insert tuples; on SQLite straight through the driver (dates as ISO text, booleans as 0/1,
        exactly as SQLAlchemy stores them), elsewhere through SQLAlchemy."""
        if self.conn.dialect.name != "sqlite":
            self._execute(insert(table), [dict(zip(columns, r)) for r in records])
            return
        sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        convert = [i for i, name in enumerate(columns) if isinstance(table.c[name].type, (Date, Boolean))]
        if convert:
            converted = []
            for record in records:
                values = list(record)
                for i in convert:
                    values[i] = _sqlite_value(values[i])
                converted.append(tuple(values))
            records = converted
        try:
            self.conn.exec_driver_sql(sql, records)
        except IntegrityError as error:
            raise InputError(f"the database refused the change ({error.orig}); nothing was written") from None

    def _insert_audit(self, rows: list[dict[str, Any]]) -> None:
        columns = [c.name for c in _AUDIT.columns]
        self._bulk_insert(_AUDIT, columns, [tuple(r[c] for c in columns) for r in rows])

    def get(self, table: str | type[Base], record_id: int) -> dict[str, Any] | None:
        """The current values of one record, or None."""
        target = _table(table)
        row = self.conn.execute(select(target).where(target.c.id == record_id)).mappings().first()
        return dict(row) if row is not None else None

    def update(self, table: str | type[Base], record_id: int, values: Mapping[str, Any]) -> bool:
        """Change fields of one record; return whether anything changed (no audit row if not).

        Examples
        --------
        >>> reg = Registry.create("sqlite://")
        >>> with reg.write(user="ana", reason="enrolment") as w:
        ...     pid = w.insert("patient", {"study_id": "P1", "sex": "F"})
        >>> with reg.write(user="ben", reason="source document check: sex was mistyped") as w:
        ...     w.update("patient", pid, {"sex": "M"}), w.update("patient", pid, {"sex": "M"})
        (True, False)
        """
        target = _table(table)
        self._check_columns(target, values)
        current = self.get(target.name, record_id)
        if current is None:
            raise InputError(f"{target.name} id {record_id} does not exist; nothing to update")
        diff = {k: (current[k], v) for k, v in values.items() if canonical(current[k]) != canonical(v)}
        if not diff:
            return False
        self._execute(update(target).where(target.c.id == record_id).values({k: new for k, (_, new) in diff.items()}))
        self._insert_audit(self._audit_rows("update", target.name, [(record_id, changes_json(diff))]))
        return True

    def update_many(self, table: str | type[Base], changes: Sequence[tuple[int, Mapping[str, Any], Mapping[str, Any]]]) -> None:
        """Apply pre-diffed updates ``(id, old values, new values)`` in one batch (importers)."""
        target = _table(table)
        if not changes:
            return
        items = []
        for record_id, old, new in changes:
            self._execute(update(target).where(target.c.id == record_id).values(dict(new)))
            items.append((record_id, changes_json({k: (old.get(k), v) for k, v in new.items()})))
        self._insert_audit(self._audit_rows("update", target.name, items))

    def delete(self, table: str | type[Base], record_id: int) -> None:
        """Delete one record; the audit row keeps every old value."""
        target = _table(table)
        current = self.get(target.name, record_id)
        if current is None:
            raise InputError(f"{target.name} id {record_id} does not exist; nothing to delete")
        self._execute(delete(target).where(target.c.id == record_id))
        old = {k: (v, None) for k, v in current.items() if k != "id" and v is not None}
        self._insert_audit(self._audit_rows("delete", target.name, [(record_id, changes_json(old))]))

    def _execute(self, statement: Any, params: Any = None) -> None:
        try:
            self.conn.execute(statement, params)
        except IntegrityError as error:
            raise InputError(f"the database refused the change ({error.orig}); nothing was written") from None


class Registry:
    """A registry database: its engine, the audited write path and verification.

    Examples
    --------
    >>> reg = Registry.create("sqlite://")
    >>> with reg.write(user="ana", reason="enrolment") as w:
    ...     _ = w.insert("site", {"code": "OHC", "name": "Omotesando Helene Clinic"})
    >>> reg.verify().ok
    True
    """

    def __init__(self, engine: Engine):
        self.engine = engine

    @classmethod
    def create(cls, url: str | None = None) -> Registry:
        """Open ``url`` and bring its schema to the newest migration (creating it if new)."""
        from mscreg.store.schema import upgrade

        registry = cls(open_engine(url))
        upgrade(registry.engine)
        return registry

    @classmethod
    def open(cls, url: str | None = None) -> Registry:
        """Open an initialised registry; InputError when the schema is missing or outdated."""
        from mscreg.store.schema import check_schema

        registry = cls(open_engine(url))
        try:
            check_schema(registry.engine)
        except BaseException:
            registry.engine.dispose()
            raise
        return registry

    @property
    def url(self) -> str:
        """The database URL (password hidden)."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def write(self, *, user: str, reason: str) -> Iterator[Writer]:
        """A :class:`Writer` in one serialised transaction (commit on success, else rollback)."""
        try:
            with write_transaction(self.engine) as conn:
                yield Writer(conn, user=user, reason=reason)
        except (OperationalError, ProgrammingError) as error:
            raise InputError(f"database {self.url}: write failed ({error.orig}); nothing was written") from None

    def verify(self, *, check_data: bool = True) -> VerifyReport:
        """Verify the audit chain and that the study tables match it (see :func:`~mscreg.store.audit.verify`)."""
        with self.engine.connect() as conn:
            return verify(conn, check_data=check_data)

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

