"""Doctest collection: the alembic environment and revisions run only under alembic."""

collect_ignore = ["migrations"]
