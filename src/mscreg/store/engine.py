"""Engines for the registry: SQLite by default (one file), PostgreSQL by URL.

* ``resolve_url``: ``--db`` option, then ``$MSCREG_DB``, then ``sqlite:///mscreg.sqlite``
  in the current directory. A bare path is an SQLite file; ``postgresql://`` URLs use
  psycopg 3.
* SQLite connections run in WAL mode (``synchronous = NORMAL``: a committed transaction
  survives a killed process; the WAL is synced at checkpoints) with a busy timeout, foreign
  keys on and a 64 MiB page cache. Write
  transactions start with ``BEGIN IMMEDIATE`` (the write lock is taken before the first
  read, so read-modify-write cannot interleave); read transactions with plain ``BEGIN``.
* On PostgreSQL every write transaction takes one transaction-scoped advisory lock, which
  serialises writers (the audit hash chain needs a single order) while readers never wait.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from mscreg.errors import InputError

__all__ = ["DEFAULT_URL", "ENV_VAR", "is_sqlite", "open_engine", "resolve_url", "write_transaction"]

#: The default registry: an SQLite file in the current directory.
DEFAULT_URL = "sqlite:///mscreg.sqlite"
#: Environment variable naming the registry database.
ENV_VAR = "MSCREG_DB"
#: Advisory lock key of the PostgreSQL write path (ASCII "MSCREG" as an integer).
_PG_WRITE_LOCK = 0x4D5343524547
_BUSY_TIMEOUT_S = 60.0
#: Page cache of a file database's connection (SQLite's default is 2 MiB): a large import's
#: index pages stay in memory instead of being written to the WAL several times. Memory
#: only, so durability is unchanged.
_CACHE_KIB = 64 * 1024


def resolve_url(db: str | None = None) -> str:
    """The database URL from ``db``, else ``$MSCREG_DB``, else the default SQLite file.

    Examples
    --------
    >>> resolve_url("study.sqlite")
    'sqlite:///study.sqlite'
    >>> resolve_url("postgresql://u@localhost/reg")
    'postgresql+psycopg://u@localhost/reg'
    """
    raw = db or os.environ.get(ENV_VAR) or DEFAULT_URL
    if "://" not in raw:
        return f"sqlite:///{raw}"
    if raw.startswith("postgresql://") or raw.startswith("postgres://"):
        return "postgresql+psycopg://" + raw.split("://", 1)[1]
    return raw


def is_sqlite(engine: Engine | Connection) -> bool:
    """Whether ``engine`` talks to SQLite.

    Examples
    --------
    >>> is_sqlite(open_engine("sqlite://")), is_sqlite(open_engine("postgresql://u@localhost/reg"))
    (True, False)
    """
    return engine.dialect.name == "sqlite"


def open_engine(url: str | None = None) -> Engine:
    """Create an engine for ``url`` (resolved with :func:`resolve_url`), configured for mscreg.

    Raises
    ------
    mscreg.errors.InputError
        The URL cannot be parsed or names an unsupported database.

    Examples
    --------
    >>> engine = open_engine("sqlite://")
    >>> engine.dialect.name
    'sqlite'
    """
    resolved = resolve_url(url)
    try:
        parsed = make_url(resolved)
    except ArgumentError:
        raise InputError(f"database URL {resolved!r} cannot be parsed; expected e.g. 'sqlite:///mscreg.sqlite' "
                         "or 'postgresql://user@host/dbname'") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            parent = Path(database).expanduser().resolve().parent
            if not parent.is_dir():
                raise InputError(f"database URL {resolved!r}: folder {str(parent)!r} does not exist")
        engine = create_engine(parsed, connect_args={"timeout": _BUSY_TIMEOUT_S})
        _configure_sqlite(engine, in_memory=not database or database == ":memory:")
        return engine
    if backend == "postgresql":
        return create_engine(parsed, pool_pre_ping=True)
    raise InputError(f"database URL {resolved!r}: unsupported database {backend!r}; expected sqlite or postgresql")


def _configure_sqlite(engine: Engine, *, in_memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {int(_BUSY_TIMEOUT_S * 1000)}")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get("mscreg_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One serialised write transaction: committed on success, rolled back on any error.

    Examples
    --------
    >>> engine = open_engine("sqlite://")
    >>> with write_transaction(engine) as conn:
    ...     conn.exec_driver_sql("CREATE TABLE t (x INTEGER)").rowcount
    -1
    """
    with engine.connect() as conn:
        conn.execution_options(mscreg_write=True)
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_WRITE_LOCK})
            yield conn
