"""Audit trail in changesets: who/when/why once per write transaction, not once per row.

``audit_log`` loses ``recorded_at``, ``user_name``, ``reason`` (now in the new
``audit_changeset`` table, one row per transaction, referenced by ``changeset_id``) and
``prev_hash`` (always the previous row's ``hash``). The hash formula is unchanged, so the
hashes of existing rows stay valid and ``mscreg db verify`` still checks them after the
upgrade; nothing is re-hashed. Existing rows become one changeset per distinct
(time, user, reason), numbered in the order they first appear.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mscreg.errors import InputError

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_GENESIS = "0" * 64


def _sqlite_triggers(table: str) -> tuple[str, ...]:
    return tuple(f"CREATE TRIGGER {table}_no_{verb} BEFORE {verb.upper()} ON {table} "
                 f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END" for verb in ("update", "delete"))


def _pg_triggers(table: str) -> tuple[str, ...]:
    return (f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION mscreg_audit_append_only()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION mscreg_audit_append_only()")


def _drop_triggers(table: str) -> None:
    """Drop the append-only triggers of ``table`` (a missing one is fine: verify reports tampering)."""
    if op.get_bind().dialect.name == "postgresql":
        for name in ("no_truncate", "no_change"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_{name} ON {table}")
    else:
        for name in ("no_update", "no_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_{name}")


def _create_triggers(table: str) -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in _pg_triggers(table) if postgresql else _sqlite_triggers(table):
        op.execute(statement)


def _append_only_function(message: str) -> None:
    """(PostgreSQL) the trigger function both audit tables use, raising ``message``."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE OR REPLACE FUNCTION mscreg_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                   f"$$ BEGIN RAISE EXCEPTION '{message}'; END $$")


def upgrade() -> None:
    op.create_table('audit_changeset',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('recorded_at', sa.String(length=32), nullable=False),
    sa.Column('user_name', sa.String(length=100), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_changeset'))
    )
    op.execute("INSERT INTO audit_changeset (id, recorded_at, user_name, reason) "
               "SELECT ROW_NUMBER() OVER (ORDER BY MIN(id)), recorded_at, user_name, reason "
               "FROM audit_log GROUP BY recorded_at, user_name, reason")
    op.execute("CREATE TABLE audit_log_0001 AS SELECT a.id AS id, c.id AS changeset_id, a.action AS action, "
               "a.table_name AS table_name, a.record_id AS record_id, a.changes AS changes, a.hash AS hash "
               "FROM audit_log a JOIN audit_changeset c ON c.recorded_at = a.recorded_at "
               "AND c.user_name = a.user_name AND c.reason = a.reason")
    _drop_triggers("audit_log")
    op.drop_index('ix_audit_log_record', table_name='audit_log')
    op.drop_table('audit_log')
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('changeset_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=6), nullable=False),
    sa.Column('table_name', sa.String(length=40), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('changes', sa.Text(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['changeset_id'], ['audit_changeset.id'], name=op.f('fk_audit_log_changeset_id_audit_changeset')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.execute("INSERT INTO audit_log (id, changeset_id, action, table_name, record_id, changes, hash) "
               "SELECT id, changeset_id, action, table_name, record_id, changes, hash FROM audit_log_0001")
    op.drop_table('audit_log_0001')
    op.create_index('ix_audit_log_record', 'audit_log', ['table_name', 'record_id'], unique=False)
    _append_only_function("the audit trail is append-only")
    _create_triggers("audit_log")
    _create_triggers("audit_changeset")


def downgrade() -> None:
    orphans = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM audit_log a LEFT JOIN audit_changeset c ON c.id = a.changeset_id WHERE c.id IS NULL"
    )).scalar_one()
    if orphans:  # the old layout has no place for a row without who/when/why: refuse rather than drop evidence
        raise InputError(f"{orphans} audit row(s) name a changeset that is missing (see `mscreg db verify`); "
                         "downgrading to revision 0001 would drop them, so nothing was changed")
    op.execute("CREATE TABLE audit_log_0002 AS SELECT a.id AS id, c.recorded_at AS recorded_at, "
               "c.user_name AS user_name, a.action AS action, a.table_name AS table_name, a.record_id AS record_id, "
               "a.changes AS changes, c.reason AS reason, "
               f"LAG(a.hash, 1, '{_GENESIS}') OVER (ORDER BY a.id) AS prev_hash, a.hash AS hash "
               "FROM audit_log a JOIN audit_changeset c ON c.id = a.changeset_id")
    _drop_triggers("audit_changeset")
    _drop_triggers("audit_log")
    op.drop_index('ix_audit_log_record', table_name='audit_log')
    op.drop_table('audit_log')
    op.drop_table('audit_changeset')
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('recorded_at', sa.String(length=32), nullable=False),
    sa.Column('user_name', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=6), nullable=False),
    sa.Column('table_name', sa.String(length=40), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('changes', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.execute("INSERT INTO audit_log SELECT id, recorded_at, user_name, action, table_name, record_id, changes, "
               "reason, prev_hash, hash FROM audit_log_0002")
    op.drop_table('audit_log_0002')
    op.create_index('ix_audit_log_record', 'audit_log', ['table_name', 'record_id'], unique=False)
    _append_only_function("audit_log is append-only")
    _create_triggers("audit_log")
