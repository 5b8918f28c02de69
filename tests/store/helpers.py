"""Helpers of the storage tests: raw SQL behind mscreg's back, and database snapshots."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, text

from mscreg.store.engine import resolve_url

TABLES = ("site", "patient", "eligibility_assessment", "lot", "infusion", "visit", "measurement", "adverse_event", "audit_changeset",
          "audit_log")


def raw(url: str, *statements: str) -> None:
    """Run SQL statements directly (not through mscreg), committed."""
    engine = create_engine(resolve_url(url))
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def drop_audit_triggers(url: str) -> None:
    """Remove the append-only triggers, as an attacker with database access could."""
    for table in ("audit_log", "audit_changeset"):
        if url.startswith("sqlite"):
            raw(url, f"DROP TRIGGER {table}_no_update", f"DROP TRIGGER {table}_no_delete")
        else:
            raw(url, f"DROP TRIGGER {table}_no_change ON {table}")


def snapshot(url: str) -> dict[str, Any]:
    """Row counts of every table and the audit trail's last hash."""
    engine = create_engine(resolve_url(url))
    try:
        with engine.connect() as conn:
            counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
            last = conn.execute(text("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")).scalar_one_or_none()
            values = conn.execute(text("SELECT id, value FROM measurement ORDER BY id")).all()
    finally:
        engine.dispose()
    return {"counts": counts, "last_hash": last, "measurements": [tuple(v) for v in values]}
