"""Schema migrations (alembic, shipped inside the package) run from Python.

``upgrade`` brings a database to the newest revision (``downgrade`` back to an older one)
inside one serialised write transaction; ``check_schema`` refuses a database that is not initialised or not current,
telling the user which command fixes it.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from mscreg.errors import InputError
from mscreg.store.engine import write_transaction

__all__ = ["MIGRATIONS", "check_schema", "current_revision", "downgrade", "head_revision", "upgrade"]

#: Folder of the alembic environment (``env.py`` and ``versions/``).
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config(conn: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if conn is not None:
        config.attributes["connection"] = conn
    return config


def head_revision() -> str:
    """The newest migration revision shipped with mscreg.

    Examples
    --------
    >>> head_revision()
    '0002'
    """
    head = ScriptDirectory.from_config(_config()).get_current_head()
    return str(head)


def current_revision(conn: Connection) -> str | None:
    """The revision the database is at, or None when it has no mscreg schema."""
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (default: newest); creates the schema when empty.

    Examples
    --------
    >>> from mscreg.store.engine import open_engine
    >>> engine = open_engine("sqlite://")
    >>> upgrade(engine)
    >>> with engine.connect() as conn:
    ...     current_revision(conn) == head_revision()
    True
    """
    with write_transaction(engine) as conn:
        command.upgrade(_config(conn), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database back to ``revision`` (each step's ``downgrade`` keeps the data).

    Examples
    --------
    >>> from mscreg.store.engine import open_engine
    >>> engine = open_engine("sqlite://")
    >>> upgrade(engine)
    >>> downgrade(engine, "0001")
    >>> with engine.connect() as conn:
    ...     current_revision(conn)
    '0001'
    """
    with write_transaction(engine) as conn:
        command.downgrade(_config(conn), revision)


def check_schema(engine: Engine) -> None:
    """Raise InputError unless the database is at the newest revision."""
    url = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect() as conn:
            current = current_revision(conn)
    except Exception as error:  # driver errors: unreachable server, bad credentials, not a database
        raise InputError(f"database {url} cannot be opened ({type(error).__name__}: {error})") from None
    head = head_revision()
    if current is None:
        raise InputError(f"database {url} has no mscreg schema; run `mscreg db init` first")
    if current != head:
        raise InputError(f"database {url} is at schema revision {current!r}, mscreg needs {head!r}; "
                         "run `mscreg db upgrade`")
