"""Storage fixtures: ``db_url`` runs each test on SQLite and on a throwaway PostgreSQL."""

from tests.store.pgserver import db_url, pg_server  # noqa: F401
