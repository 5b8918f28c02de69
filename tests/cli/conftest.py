"""CLI tests that need a registry use the same SQLite + PostgreSQL ``db_url`` fixture as the store tests."""

from tests.store.pgserver import db_url, pg_server  # noqa: F401
