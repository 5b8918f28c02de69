"""Alembic environment of the registry: runs on the connection mscreg passes in.

mscreg calls alembic from :func:`mscreg.store.schema.upgrade` with an open connection
inside its write transaction (``config.attributes["connection"]``); there is no ini file
and no logging configuration here.
"""

from __future__ import annotations

from alembic import context

from mscreg.errors import MscregError
from mscreg.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise MscregError("mscreg migrations run through mscreg.store.schema.upgrade(), which passes a connection")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
