"""The audited write path, migrations, tamper detection and concurrent writers (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from mscreg.cli.app import app
from mscreg.domain.records import InfusionRecord, PatientRecord
from mscreg.errors import InputError
from mscreg.store import Registry
from mscreg.store.audit import GENESIS_HASH, entry_hash, trail
from mscreg.store.models import Base, Patient
from mscreg.store.services import enrol_patient, record_infusion
from tests.store.helpers import drop_audit_triggers, raw, snapshot

runner = CliRunner()


@pytest.fixture
def registry(db_url):
    reg = Registry.create(db_url)
    yield reg
    reg.close()


def _enrol(reg: Registry, *ids: str) -> None:
    with reg.write(user="ana", reason="enrolment") as w:
        for study_id in ids:
            enrol_patient(w, PatientRecord(study_id=study_id, sex="F", birth_year=1960))


def test_migrations_create_exactly_the_models(registry):
    with registry.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diffs == []


def test_open_refuses_a_database_without_schema(db_url):
    with pytest.raises(InputError, match="mscreg db init"):
        Registry.open(db_url)


def test_every_change_is_audited_with_who_when_what_old_new_why(registry):
    _enrol(registry, "P1")
    with registry.write(user="ben", reason="source document check") as w:
        assert w.update(Patient, 1, {"sex": "M"})
        w.delete(Patient, 1)
    with registry.engine.connect() as conn:
        rows = conn.execute(trail()).all()
    assert [r.action for r in rows] == ["insert", "update", "delete"]
    update = rows[1]
    assert (update.user_name, update.reason, update.table_name, update.record_id) == ("ben", "source document check", "patient", 1)
    assert json.loads(update.changes) == {"sex": ["F", "M"]}
    assert update.recorded_at.endswith("Z") and rows[2].recorded_at == update.recorded_at != rows[0].recorded_at
    assert [r.changeset_id for r in rows] == [1, 2, 2]  # one changeset per transaction
    prev = GENESIS_HASH
    for row in rows:  # each hash chains the previous one with the row and its changeset
        assert row.hash == (prev := entry_hash(prev_hash=prev, id=row.id, recorded_at=row.recorded_at,
                                               user_name=row.user_name, action=row.action, table_name=row.table_name,
                                               record_id=row.record_id, changes=row.changes, reason=row.reason))
    assert json.loads(rows[2].changes)["study_id"] == ["P1", None]
    assert registry.verify().ok


def test_a_failed_write_leaves_no_trace(registry, db_url):
    _enrol(registry, "P1")
    before = snapshot(db_url)
    with pytest.raises(RuntimeError), registry.write(user="ana", reason="oops") as w:
        enrol_patient(w, PatientRecord(study_id="P2"))
        raise RuntimeError("crash in the middle")
    with pytest.raises(InputError, match="refused"), registry.write(user="ana", reason="duplicate") as w:
        enrol_patient(w, PatientRecord(study_id="P1"))
    assert snapshot(db_url) == before
    assert registry.verify().ok


def test_writer_needs_user_and_reason(registry):
    with pytest.raises(InputError, match="user"), registry.write(user=" ", reason="x"):
        pass
    with pytest.raises(InputError, match="reason"), registry.write(user="ana", reason=""):
        pass


@pytest.mark.parametrize("table, column", [("audit_log", "changes"), ("audit_changeset", "reason")])
def test_audit_trail_is_append_only(registry, db_url, table, column):
    _enrol(registry, "P1")
    with pytest.raises(DBAPIError, match="append-only"):
        raw(db_url, f"UPDATE {table} SET {column} = 'nothing to see' WHERE id = 1")
    with pytest.raises(DBAPIError, match="append-only"):
        raw(db_url, f"DELETE FROM {table} WHERE id = 1")
    assert registry.verify().ok


def _verify_cli(db_url):
    return runner.invoke(app, ["db", "verify", "--db", db_url])


def test_verify_detects_an_edited_audit_row(registry, db_url):
    _enrol(registry, "P1", "P2", "P3")
    assert _verify_cli(db_url).exit_code == 0
    drop_audit_triggers(db_url)
    raw(db_url, """UPDATE audit_log SET changes = '{"study_id":[null,"X2"]}' WHERE id = 2""",
        "UPDATE patient SET study_id = 'X2' WHERE id = 2")  # data and trail edited to agree
    result = _verify_cli(db_url)
    assert result.exit_code == 1
    assert "audit_log id 2" in result.output and "edited" in result.output
    assert "audit_log id 3" not in result.output  # the next row still chains to the stored hash


def _problems(registry):
    return [str(p) for p in registry.verify().problems]


def test_verify_blames_only_the_row_whose_hash_was_edited(registry, db_url):
    _enrol(registry, "P1", "P2", "P3")
    drop_audit_triggers(db_url)
    raw(db_url, f"UPDATE audit_log SET hash = '{'f' * 64}' WHERE id = 2")
    problems = _problems(registry)
    assert len(problems) == 1 and problems[0].startswith("[audit-chain] audit_log id 2: content does not match")


def test_verify_names_the_row_after_a_replaced_one(registry, db_url):
    """Row 2 replaced by a forgery with a hash recomputed from row 1: row 3 no longer chains to it."""
    _enrol(registry, "P1", "P2", "P3")
    with registry.engine.connect() as conn:
        rows = conn.execute(trail()).all()
    forged = rows[1].changes.replace('"P2"', '"X2"')
    digest = entry_hash(prev_hash=rows[0].hash, id=2, recorded_at=rows[1].recorded_at, user_name="ana", action="insert",
                        table_name="patient", record_id=2, changes=forged, reason="enrolment")
    drop_audit_triggers(db_url)
    raw(db_url, f"UPDATE audit_log SET changes = '{forged}', hash = '{digest}' WHERE id = 2",
        "UPDATE patient SET study_id = 'X2' WHERE id = 2")
    assert _problems(registry) == ["[audit-chain] audit_log id 3: content does not match its hash: this row or its "
                                   "changeset 1 was edited, or the row before it was replaced with a recomputed hash"]


def test_verify_says_a_row_after_a_gap_cannot_be_checked(registry, db_url):
    _enrol(registry, "P1", "P2", "P3")
    drop_audit_triggers(db_url)
    with registry.engine.connect() as conn:
        forged = conn.execute(trail()).all()[2].changes.replace('"P3"', '"X3"')
    raw(db_url, "DELETE FROM audit_log WHERE id = 2", "DELETE FROM patient WHERE id = 2",
        f"UPDATE audit_log SET changes = '{forged}' WHERE id = 3", "UPDATE patient SET study_id = 'X3' WHERE id = 3")
    assert _problems(registry) == ["[audit-chain] audit_log id 3: audit rows missing before this row (id 2 deleted); "
                                   "this row's content cannot be checked: its hash chains to the deleted row"]


def test_verify_detects_an_edited_changeset(registry, db_url):
    _enrol(registry, "P1")
    _enrol(registry, "P2", "P3")
    drop_audit_triggers(db_url)
    raw(db_url, "UPDATE audit_changeset SET user_name = 'mallory' WHERE id = 2")
    result = _verify_cli(db_url)
    assert result.exit_code == 1
    assert "audit_log id 1" not in result.output
    assert all(f"audit_log id {i}: content does not match its hash" in result.output for i in (2, 3))
    assert "changeset 2 was edited" in result.output


def test_verify_detects_a_deleted_changeset(registry, db_url):
    _enrol(registry, "P1")
    drop_audit_triggers(db_url)
    raw(db_url, "PRAGMA foreign_keys = OFF" if db_url.startswith("sqlite") else "SET session_replication_role = replica",
        "DELETE FROM audit_changeset WHERE id = 1")
    result = _verify_cli(db_url)
    assert result.exit_code == 1
    assert "audit_log id 1: its changeset 1 is missing" in result.output
    _enrol(registry, "P2")  # the next changeset does not take the deleted one's id
    assert [str(p) for p in registry.verify().problems] == [
        "[audit-chain] audit_log id 1: its changeset 1 is missing (deleted); without it this row's content cannot be checked"]


def test_verify_detects_a_deleted_audit_row(registry, db_url):
    _enrol(registry, "P1", "P2", "P3")
    drop_audit_triggers(db_url)
    raw(db_url, "DELETE FROM audit_log WHERE id = 2")
    result = _verify_cli(db_url)
    assert result.exit_code == 1
    assert "audit_log id 3" in result.output and "deleted" in result.output
    assert "patient id 2" in result.output  # the record whose trace is gone


def test_verify_names_a_date_edited_into_a_non_date(registry, db_url):
    with registry.write(user="ana", reason="enrolment") as w:
        enrol_patient(w, PatientRecord(study_id="P1"))
        record_infusion(w, InfusionRecord(study_id="P1", infused_on="2024-01-10"))
    bad = "2024-13-45" if db_url.startswith("sqlite") else "2024-01-11"  # PostgreSQL refuses a non-date itself
    raw(db_url, f"UPDATE infusion SET infused_on = '{bad}' WHERE id = 1")
    assert _problems(registry) == [f"[data] infusion id 1: field 'infused_on' is '{bad}' but the audit trail's "
                                   "latest value is '2024-01-10'"]


@pytest.mark.parametrize("statement, needle", [
    ("UPDATE patient SET birth_year = 1999 WHERE id = 2", "patient id 2: field 'birth_year' is 1999"),
    ("DELETE FROM patient WHERE id = 3", "patient id 3: record is missing"),
    ("INSERT INTO patient (id, study_id) VALUES (9, 'X9')", "patient id 9: record is not in the audit trail"),
])
def test_verify_detects_data_changed_behind_mscregs_back(registry, db_url, statement, needle):
    _enrol(registry, "P1", "P2", "P3")
    raw(db_url, statement)
    result = _verify_cli(db_url)
    assert result.exit_code == 1
    assert needle in result.output


def test_verify_reports_progress_of_both_phases(registry):
    _enrol(registry, "P1", "P2")
    with registry.write(user="ben", reason="correction") as w:
        w.update(Patient, 2, {"sex": "M"})
    calls = []
    assert registry.verify(progress=lambda phase, done, total: calls.append((phase, done, total))).ok
    assert calls == [("audit trail", 3, 3), ("records", 2, 2)]  # 2 inserts + 1 update; 2 patients


def test_an_anchor_kept_outside_reveals_a_trail_cut_at_its_end(registry, db_url):
    _enrol(registry, "P1")
    anchor = registry.verify().head  # kept outside the database, e.g. printed in a report
    _enrol(registry, "P2")
    assert registry.verify(anchor=anchor).ok  # the trail grew: fine
    drop_audit_triggers(db_url)  # cut every row after P1's insert, revert the data: the chain alone cannot tell
    raw(db_url, "PRAGMA foreign_keys = OFF" if db_url.startswith("sqlite") else "SET session_replication_role = replica",
        "DELETE FROM audit_log WHERE id > 1", "DELETE FROM audit_changeset WHERE id > 1", "DELETE FROM patient WHERE id > 1")
    assert registry.verify().ok
    assert registry.verify(anchor=anchor).ok  # the anchored row (id 1) is intact
    later = f"2:{'0' * 64}"
    assert [str(p) for p in registry.verify(anchor=later).problems] == [
        "[audit-chain] audit_log id 2: the anchored row is gone (the trail now ends at id 1): rows were cut from the trail"]


def test_an_anchor_with_another_hash_reveals_a_rewritten_trail(registry, db_url):
    _enrol(registry, "P1", "P2")
    result = _verify_cli(db_url)
    head = result.output.split("head: ")[1].split()[0]
    assert head == registry.verify().head and head.startswith("2:")
    forged = f"2:{'a' * 64}"
    result = runner.invoke(app, ["db", "verify", "--db", db_url, "--anchor", forged])
    assert result.exit_code == 1 and "audit_log id 2: hash differs from the anchor" in result.output
    result = runner.invoke(app, ["db", "verify", "--db", db_url, "--anchor", "2:nothex"])
    assert result.exit_code == 65 and "is not '<audit row id>:<64 hex digits>'" in result.output


def test_verify_json_output(registry, db_url):
    _enrol(registry, "P1")
    result = runner.invoke(app, ["db", "verify", "--db", db_url, "--format", "json"])
    payload = json.loads(result.output)
    assert payload["ok"] is True and payload["audit_rows"] == 1 and payload["head"] == registry.verify().head


def test_concurrent_writers_lose_no_update(registry):
    """Threads doing read-modify-write on one record: every increment survives."""
    _enrol(registry, "P1")
    with registry.write(user="ana", reason="start") as w:
        w.update(Patient, 1, {"diagnosis_year": 1900})
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            for _ in range(10):
                with registry.write(user=name, reason="increment") as w:
                    current = w.get(Patient, 1)["diagnosis_year"]
                    w.update(Patient, 1, {"diagnosis_year": current + 1})
                    enrol_patient(w, PatientRecord(study_id=f"{name}-{current}"))
        except BaseException as error:  # collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(f"t{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with registry.engine.connect() as conn:
        year = conn.execute(select(Patient.diagnosis_year).where(Patient.id == 1)).scalar_one()
        patients = conn.execute(select(Patient.id)).all()
    assert year == 1940 and len(patients) == 41
    report = registry.verify()
    assert report.ok and report.audit_rows == 2 + 80


WRITER_SCRIPT = textwrap.dedent("""
    import sys
    from mscreg.domain.records import InfusionRecord, PatientRecord
    from mscreg.store import Registry
    from mscreg.store.services import enrol_patient, record_infusion

    url, name, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    print("READY", flush=True)
    sys.stdin.readline()  # all processes start writing together
    with Registry.open(url) as registry:
        for _ in range(rounds):
            with registry.write(user=name, reason="increment") as w:
                current = w.get("patient", 1)["diagnosis_year"]
                w.update("patient", 1, {"diagnosis_year": current + 1})
                enrol_patient(w, PatientRecord(study_id=f"{name}-{current}"))
""")


def test_concurrent_writer_processes_lose_no_update(registry, db_url, tmp_path):
    """Separate processes (own connections, own locks) doing read-modify-write on one record."""
    _enrol(registry, "P1")
    with registry.write(user="ana", reason="start") as w:
        w.update(Patient, 1, {"diagnosis_year": 1900})
    script = tmp_path / "writer.py"
    script.write_text(WRITER_SCRIPT)
    procs = [subprocess.Popen([sys.executable, str(script), db_url, f"p{i}", "15"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(3)]
    for proc in procs:
        assert proc.stdout.readline().strip() == "READY"
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr
    with registry.engine.connect() as conn:
        year = conn.execute(select(Patient.diagnosis_year).where(Patient.id == 1)).scalar_one()
        patients = conn.execute(select(Patient.study_id)).scalars().all()
    assert year == 1900 + 45
    assert len(patients) == 46 and len(set(patients)) == 46  # every process saw every other's increment
    report = registry.verify()
    assert report.ok and report.audit_rows == 2 + 90
