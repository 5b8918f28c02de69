"""Persistence of the registry: SQLAlchemy models, engines, migrations, the audited write path.

* :mod:`mscreg.store.models` — the tables (read them with ``select()``).
* :mod:`mscreg.store.engine` — SQLite by default, PostgreSQL by URL.
* :mod:`mscreg.store.schema` — alembic migrations shipped in the package, run from Python.
* :mod:`mscreg.store.writer` — :class:`Registry` and :class:`Writer`, the only write path.
* :mod:`mscreg.store.audit` — the hash-chained audit trail and :func:`verify`.
* :mod:`mscreg.store.services` — protocol services on the registry (enrolment, screening,
  lots, infusions with planned visits, adverse events, visits due, CONSORT counts).
"""

from __future__ import annotations

from mscreg.store.audit import VerifyProblem, VerifyReport, verify
from mscreg.store.engine import open_engine, resolve_url
from mscreg.store.writer import Registry, Writer

__all__ = ["Registry", "VerifyProblem", "VerifyReport", "Writer", "open_engine", "resolve_url", "verify"]
