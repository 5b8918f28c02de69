"""Migrations keep the data and the audit trail's hashes (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from mscreg.errors import InputError
from mscreg.store import Registry
from mscreg.store.audit import GENESIS_HASH, entry_hash
from mscreg.store.engine import open_engine, resolve_url
from mscreg.store.schema import downgrade, upgrade
from tests.store.helpers import raw

# A trail written by a revision-0001 mscreg: one patient inserted by ana, updated by ben in a
# second transaction, then a second patient by ben in a third transaction with the same time
# and reason as the second (so two transactions fall into one changeset on upgrade).
_ROWS = [  # id, recorded_at, user, action, table, record id, changes, reason
    (1, "2025-01-02T03:04:05.000001Z", "ana", "insert", "patient", 1, '{"study_id":[null,"P1"]}', "enrolment"),
    (2, "2025-02-01T00:00:00.000000Z", "ben", "update", "patient", 1, '{"sex":[null,"F"]}', "source check"),
    (3, "2025-02-01T00:00:00.000000Z", "ben", "insert", "patient", 2, '{"study_id":[null,"P2"]}', "source check"),
]


def _old_trail() -> list[tuple]:
    """The rows with prev_hash and hash, computed by the (unchanged) formula."""
    rows, prev = [], GENESIS_HASH
    for audit_id, at, user, action, table, record_id, changes, reason in _ROWS:
        digest = entry_hash(prev_hash=prev, id=audit_id, recorded_at=at, user_name=user, action=action,
                            table_name=table, record_id=record_id, changes=changes, reason=reason)
        rows.append((audit_id, at, user, action, table, record_id, changes, reason, prev, digest))
        prev = digest
    return rows


def _read(url: str, sql: str) -> list[tuple]:
    engine = create_engine(resolve_url(url))
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def _at_0001(db_url: str) -> None:
    engine = open_engine(db_url)
    upgrade(engine, "0001")
    engine.dispose()
    raw(db_url, "INSERT INTO patient (id, study_id, sex) VALUES (1, 'P1', 'F'), (2, 'P2', NULL)",
        *(f"INSERT INTO audit_log VALUES ({', '.join(repr(v) for v in row)})" for row in _old_trail()))


def test_upgrade_from_0001_keeps_every_audit_row_and_its_hash(db_url):
    _at_0001(db_url)
    registry = Registry.create(db_url)  # upgrades to head
    try:
        assert registry.verify().ok
        assert _read(db_url, "SELECT id, recorded_at, user_name, reason FROM audit_changeset ORDER BY id") == [
            (1, "2025-01-02T03:04:05.000001Z", "ana", "enrolment"),
            (2, "2025-02-01T00:00:00.000000Z", "ben", "source check")]
        assert _read(db_url, "SELECT id, changeset_id, action, table_name, record_id, changes, hash FROM audit_log "
                             "ORDER BY id") == [(r[0], 1 if r[0] == 1 else 2, r[3], r[4], r[5], r[6], r[9])
                                                for r in _old_trail()]
        with registry.write(user="cy", reason="after the upgrade") as w:  # the chain goes on from the old rows
            w.update("patient", 2, {"sex": "M"})
        assert registry.verify().ok
    finally:
        registry.close()


def test_downgrade_restores_the_0001_trail_exactly(db_url):
    _at_0001(db_url)
    engine = open_engine(db_url)
    try:
        upgrade(engine)
        downgrade(engine, "0001")
    finally:
        engine.dispose()
    assert _read(db_url, "SELECT * FROM audit_log ORDER BY id") == _old_trail()


def test_a_trail_tampered_before_the_upgrade_is_still_detected(db_url):
    _at_0001(db_url)
    raw(db_url, "DROP TRIGGER audit_log_no_update" if db_url.startswith("sqlite")
        else "DROP TRIGGER audit_log_no_change ON audit_log",
        "UPDATE audit_log SET user_name = 'mallory' WHERE id = 1")
    registry = Registry.create(db_url)
    try:
        problems = [str(p) for p in registry.verify().problems]
    finally:
        registry.close()
    assert problems == ["[audit-chain] audit_log id 1: content does not match its hash: this row or its changeset 1 "
                        "was edited, or the row before it was replaced with a recomputed hash"]


def test_downgrade_refuses_to_drop_rows_whose_changeset_is_missing(db_url):
    _at_0001(db_url)
    engine = open_engine(db_url)
    try:
        upgrade(engine)
        raw(db_url, "DROP TRIGGER audit_changeset_no_delete" if db_url.startswith("sqlite")
            else "DROP TRIGGER audit_changeset_no_change ON audit_changeset",
            "PRAGMA foreign_keys = OFF" if db_url.startswith("sqlite") else "SET session_replication_role = replica",
            "DELETE FROM audit_changeset WHERE id = 2")
        before = _read(db_url, "SELECT * FROM audit_log ORDER BY id")
        with pytest.raises(InputError, match="2 audit row"):
            downgrade(engine, "0001")
    finally:
        engine.dispose()
    assert _read(db_url, "SELECT * FROM audit_log ORDER BY id") == before  # still at 0002, nothing dropped
