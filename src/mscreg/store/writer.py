"""The one write path: every insert, update and delete of study data, with its audit row.

:class:`Registry` opens a database; ``with registry.write(user=..., reason=...) as w`` gives a
:class:`Writer` inside one serialised transaction (SQLite ``BEGIN IMMEDIATE``, PostgreSQL
advisory lock). The transaction's first change records who, when and why once
(an ``audit_changeset`` row); each change appends one row to the hash-chained audit trail
in the same transaction, so a change and its trace are committed together or not at all.
There is no other way through mscreg to change study data.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import repeat
from operator import itemgetter
from typing import Any

from sqlalchemy import Boolean, Connection, Date, Engine, Table, delete, func, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError

from mscreg.errors import InputError
from mscreg.store.audit import GENESIS_HASH, VerifyReport, canonical, chain_hashes, changes_json, insert_changes_json, trail_head, verify
from mscreg.store.engine import is_sqlite, open_engine, write_transaction
from mscreg.store.models import STUDY_TABLES, AuditChangeset, AuditEntry, Base

__all__ = ["Registry", "Writer", "utc_now"]

_TABLES: dict[str, Table] = {m.__table__.name: m.__table__ for m in STUDY_TABLES}  # type: ignore[misc]
_AUDIT: Table = AuditEntry.__table__  # type: ignore[assignment]
_CHANGESET: Table = AuditChangeset.__table__  # type: ignore[assignment]


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


def _column(rows: Sequence[Mapping[str, Any]], name: str) -> list[Any]:
    """``row.get(name)`` of each row (the fast way when every row has the key)."""
    try:
        return list(map(itemgetter(name), rows))
    except KeyError:
        return [r.get(name) for r in rows]


def _sqlite_column(values: Sequence[Any]) -> list[Any]:
    """:func:`_sqlite_value` of each value, each distinct value converted once."""
    if set(map(type, values)) - {bool, int, str, dt.date, type(None)}:
        return [_sqlite_value(v) for v in values]
    converted = {v: _sqlite_value(v) for v in set(values)}  # True == 1 and both become 1
    return list(map(converted.__getitem__, values))


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
        self._audit_id, self._audit_hash = trail_head(conn) or (0, GENESIS_HASH)
        self._changeset: tuple[int, str] | None = None  # (id, recorded_at), made with the first change
        self.counts: dict[str, int] = {"insert": 0, "update": 0, "delete": 0}

    # ------------------------------------------------------------------ ids and audit rows
    def _allocate(self, table: Table, n: int) -> int:
        start = self._next_id.get(table.name)
        if start is None:
            start = int(self.conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1
        self._next_id[table.name] = start + n
        return start

    def _changeset_id(self) -> tuple[int, str]:
        """The id and time of this transaction's changeset, recorded at its first change."""
        if self._changeset is None:
            # past every id an audit row names too: a changeset deleted behind mscreg's back stays missing
            # (verify names it) instead of its rows being attributed to the next transaction
            referenced = self.conn.execute(select(func.coalesce(func.max(_AUDIT.c.changeset_id), 0))).scalar_one()
            changeset_id, now = max(self._allocate(_CHANGESET, 1), int(referenced) + 1), utc_now()
            self._execute(insert(_CHANGESET).values(id=changeset_id, recorded_at=now, user_name=self.user,
                                                    reason=self.reason))
            self._changeset = changeset_id, now
        return self._changeset

    def _audit_rows(self, action: str, table: str, record_ids: Sequence[int], changes: Sequence[str]
                    ) -> Iterable[tuple[Any, ...]]:
        """Audit rows (in ``audit_log`` column order) for changes of ``record_ids``, chained to the trail.

        Produced lazily (an iterator): a bulk insert hands them straight to ``executemany``."""
        if not record_ids:
            return []
        table = str(table)  # a plain str: the driver binds an SQLAlchemy quoted_name much more slowly
        changeset_id, now = self._changeset_id()
        first = self._audit_id + 1
        hashes = chain_hashes(self._audit_hash, first, recorded_at=now, user_name=self.user, action=action,
                              table_name=table, record_ids=record_ids, changes=changes, reason=self.reason)
        self._audit_id, self._audit_hash = first + len(hashes) - 1, hashes[-1]
        self.counts[action] += len(hashes)
        return zip(range(first, first + len(hashes)), repeat(changeset_id), repeat(action), repeat(table),
                   record_ids, changes, hashes)

    def _check_columns(self, table: Table, names: Iterable[str]) -> None:
        unknown = set(names) - {c.name for c in table.columns if c.name != "id"}
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
        """Insert records in one batch (one audit row each); return their ids in order.

        The batch is handled column by column (see :meth:`insert_columns`).
        """
        target = _table(table)
        if not rows:
            return []
        self._check_columns(target, set().union(*rows))
        columns = [c.name for c in target.columns if c.name != "id"]
        return list(self._insert_columns(target, {name: _column(rows, name) for name in columns}, len(rows)))

    def insert_columns(self, table: str | type[Base], columns: Mapping[str, Sequence[Any]]) -> range:
        """Insert records given column by column (``columns[name][i]`` is record ``i``'s value; a column
        left out, or a None in it, is not set); return their ids in order.

        Exactly what :meth:`insert_many` of the same records does — same rows, same audit rows, one
        each — without building a mapping per record (bulk importers).

        Examples
        --------
        >>> reg = Registry.create("sqlite://")
        >>> with reg.write(user="ana", reason="enrolment") as w:
        ...     list(w.insert_columns("patient", {"study_id": ["P1", "P2"], "birth_year": [1960, None]}))
        [1, 2]
        """
        target = _table(table)
        self._check_columns(target, columns)
        lengths = {len(values) for values in columns.values()}
        if len(lengths) > 1:
            raise InputError(f"table {target.name!r}: the columns given have different lengths {sorted(lengths)}")
        n = lengths.pop() if lengths else 0
        if not n:
            return range(0)
        names = [c.name for c in target.columns if c.name != "id"]
        return self._insert_columns(target, {name: columns[name] if name in columns else [None] * n for name in names}, n)

    def _insert_columns(self, target: Table, values: dict[str, Sequence[Any]], n: int) -> range:
        """Insert ``n`` records (``values``: every column but ``id``, in table order) and their audit rows.

        One ``executemany`` for the records, the audit rows' ``changes`` built per column
        (:func:`~mscreg.store.audit.insert_changes_json`), their hashes in one loop
        (:func:`~mscreg.store.audit.chain_hashes`), one ``executemany`` for the audit rows.
        """
        start = self._allocate(target, n)
        ids = range(start, start + n)
        changes = insert_changes_json(values, n)
        self._bulk_insert(target, ["id", *values], [ids, *values.values()])
        self._insert_audit(self._audit_rows("insert", target.name, ids, changes))
        return ids

    def _bulk_insert(self, table: Table, columns: list[str], values: list[Sequence[Any]]) -> None:
        """Insert rows given column by column; on SQLite straight through the driver (dates as ISO
        text, booleans as 0/1, exactly as SQLAlchemy stores them), elsewhere through SQLAlchemy."""
        if is_sqlite(self.conn):
            values = [_sqlite_column(column) if isinstance(table.c[name].type, (Date, Boolean)) else column
                      for name, column in zip(columns, values)]
        self._insert_tuples(table, columns, zip(*values))

    def _insert_tuples(self, table: Table, columns: list[str], records: Iterable[tuple[Any, ...]]) -> None:
        """Insert ``records`` (tuples in ``columns`` order). On SQLite the tuples go to the driver's
        ``executemany`` as they are made (never a list of them all); its errors are raised as
        SQLAlchemy raises them, so callers see the same exceptions either way."""
        if not is_sqlite(self.conn):
            self._execute(insert(table), [dict(zip(columns, r)) for r in records])
            return
        sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        dbapi = self.conn.connection.dbapi_connection
        try:
            try:
                dbapi.executemany(sql, records)  # type: ignore[union-attr]
            except sqlite3.Error as error:
                raise DBAPIError.instance(sql, None, error, sqlite3.Error) from error
        except IntegrityError as error:
            raise InputError(f"the database refused the change ({error.orig}); nothing was written") from None

    def _insert_audit(self, rows: Iterable[tuple[Any, ...]]) -> None:
        if rows:
            self._insert_tuples(_AUDIT, [c.name for c in _AUDIT.columns], rows)

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
        self._insert_audit(self._audit_rows("update", target.name, [record_id], [changes_json(diff)]))
        return True

    def update_many(self, table: str | type[Base], changes: Sequence[tuple[int, Mapping[str, Any], Mapping[str, Any]]]) -> None:
        """Apply pre-diffed updates ``(id, old values, new values)`` in one batch (importers)."""
        target = _table(table)
        if not changes:
            return
        for record_id, _, new in changes:
            self._execute(update(target).where(target.c.id == record_id).values(dict(new)))
        self._insert_audit(self._audit_rows("update", target.name, [record_id for record_id, _, _ in changes],
                                            [changes_json({k: (old.get(k), v) for k, v in new.items()})
                                             for _, old, new in changes]))

    def delete(self, table: str | type[Base], record_id: int) -> None:
        """Delete one record; the audit row keeps every old value."""
        target = _table(table)
        current = self.get(target.name, record_id)
        if current is None:
            raise InputError(f"{target.name} id {record_id} does not exist; nothing to delete")
        self._execute(delete(target).where(target.c.id == record_id))
        old = {k: (v, None) for k, v in current.items() if k != "id" and v is not None}
        self._insert_audit(self._audit_rows("delete", target.name, [record_id], [changes_json(old)]))

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

    def verify(self, *, check_data: bool = True, progress: Callable[[str, int, int], None] | None = None,
               anchor: str | None = None) -> VerifyReport:
        """Verify the audit chain and that the study tables match it (see :func:`~mscreg.store.audit.verify`)."""
        with self.engine.connect() as conn:
            if not is_sqlite(conn):  # trail and tables read from one snapshot (SQLite's read transaction is one)
                conn.execution_options(isolation_level="REPEATABLE READ")
            return verify(conn, check_data=check_data, progress=progress, anchor=anchor)

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

