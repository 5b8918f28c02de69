"""The bulk write path gives exactly the audit rows of the one-record-at-a-time definitions."""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from mscreg.errors import InputError
from mscreg.store import Registry
from mscreg.store.audit import GENESIS_HASH, chain_hashes, changes_json, entry_hash, insert_changes_json, trail
from mscreg.store.models import AuditEntry, Measurement, Patient

scalar = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=False, allow_infinity=False),
                   st.text(max_size=6), st.dates(), st.sampled_from([0.0, -0.0, 1, 1.0, True, "", "\x1f", '"\\', "é\u2028"]))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=5), st.lists(scalar, min_size=3, max_size=3), max_size=5))
def test_insert_changes_json_equals_changes_json_per_record(columns):
    expected = [changes_json({k: (None, v[i]) for k, v in columns.items() if v[i] is not None}) for i in range(3)]
    assert insert_changes_json(columns, 3) == expected


def test_insert_changes_json_keeps_zero_signs_and_refuses_what_json_refuses():
    assert insert_changes_json({"v": [0.0, -0.0, 1, True]}, 4) == [
        '{"v":[null,0.0]}', '{"v":[null,-0.0]}', '{"v":[null,1]}', '{"v":[null,true]}']
    assert insert_changes_json({"v": [None, None]}, 2) == ["{}", "{}"]
    with pytest.raises(ValueError, match="JSON compliant"):
        insert_changes_json({"v": [1.0, math.inf]}, 2)
    odd = dt.UTC  # neither JSON nor a date: stored as its text, as changes_json does
    assert insert_changes_json({"v": [odd]}, 1) == [changes_json({"v": (None, odd)})] == ['{"v":[null,"UTC"]}']


def test_chain_hashes_equals_entry_hash_chained():
    changes = ['{"a":[null,1]}', '{"a":[null,"x\x1fy"]}', "{}"]
    hashes = chain_hashes(GENESIS_HASH, 7, recorded_at="2024-01-01T00:00:00.000000Z", user_name="ana",
                          action="insert", table_name="patient", record_ids=[3, 4, 5], changes=changes, reason="r")
    prev = GENESIS_HASH
    for offset, (record_id, text) in enumerate(zip([3, 4, 5], changes)):
        prev = entry_hash(prev_hash=prev, id=7 + offset, recorded_at="2024-01-01T00:00:00.000000Z", user_name="ana",
                          action="insert", table_name="patient", record_id=record_id, changes=text, reason="r")
        assert hashes[offset] == prev


@pytest.fixture
def registry(db_url):
    reg = Registry.create(db_url)
    yield reg
    reg.close()


def test_insert_many_stores_and_audits_every_record_like_insert(registry):
    rows = [{"patient_id": 1, "loinc": "4548-4", "value_entered": "7.1", "unit_entered": "%", "value": 7.1, "unit": "%",
             "measured_on": dt.date(2024, 1, 10 + i), "derived": i % 2 == 0, "flags": "soft_limit" if i == 1 else None}
            for i in range(3)]
    rows[2].pop("flags")  # a key left out is stored as NULL and not audited
    with registry.write(user="ana", reason="enrolment") as w:
        w.insert(Patient, {"study_id": "P1"})
        assert w.insert_many(Measurement, rows) == [1, 2, 3]
    with registry.engine.connect() as conn:
        stored = conn.execute(select(Measurement).order_by(Measurement.id)).all()
        audit = conn.execute(trail().where(AuditEntry.table_name == "measurement")).all()
    assert [(m.measured_on, m.derived, m.flags) for m in stored] == [
        (dt.date(2024, 1, 10), True, None), (dt.date(2024, 1, 11), False, "soft_limit"), (dt.date(2024, 1, 12), True, None)]
    assert [a.record_id for a in audit] == [1, 2, 3] and [a.id for a in audit] == [2, 3, 4]
    assert json.loads(audit[1].changes) == {"derived": [None, False], "flags": [None, "soft_limit"], "loinc": [None, "4548-4"],
                                            "measured_on": [None, "2024-01-11"], "patient_id": [None, 1], "unit": [None, "%"],
                                            "unit_entered": [None, "%"], "value": [None, 7.1], "value_entered": [None, "7.1"]}
    assert audit[0].changes == changes_json({k: (None, v) for k, v in rows[0].items() if v is not None})
    assert audit[1].hash == entry_hash(prev_hash=audit[0].hash, id=3, recorded_at=audit[1].recorded_at, user_name="ana",
                                       action="insert", table_name="measurement", record_id=2, changes=audit[1].changes,
                                       reason="enrolment")
    assert {a.changeset_id for a in audit} == {1}  # one transaction, one changeset
    assert registry.verify().ok


def test_insert_many_refuses_an_unknown_column_in_any_row(registry, db_url):
    with pytest.raises(InputError, match="has no column"):
        with registry.write(user="ana", reason="enrolment") as w:
            w.insert_many(Patient, [{"study_id": "P1"}, {"study_id": "P2", "name": "Alice"}])
    with registry.engine.connect() as conn:
        assert conn.execute(select(Patient)).all() == [] and conn.execute(select(AuditEntry)).all() == []


def test_insert_changes_json_with_constant_columns_and_gaps():
    # columns holding one value everywhere are folded into their neighbours' fragments
    columns = {"a": [True, True, True], "b": ["x", None, "y"], "c": [1, 1, 1], "d": [None, None, None], "e": [2.5, -0.0, 2.5]}
    expected = [changes_json({k: (None, v[i]) for k, v in columns.items() if v[i] is not None}) for i in range(3)]
    assert insert_changes_json(columns, 3) == expected
    assert insert_changes_json({"a": [1, 1], "b": ["k", "k"]}, 2) == ['{"a":[null,1],"b":[null,"k"]}'] * 2
    assert insert_changes_json({"a": [None, 3], "b": ["k", "k"]}, 2) == ['{"b":[null,"k"]}', '{"a":[null,3],"b":[null,"k"]}']
    assert insert_changes_json({"a": [1.5, 1.5, 0.0, -0.0]}, 4) == [
        '{"a":[null,1.5]}', '{"a":[null,1.5]}', '{"a":[null,0.0]}', '{"a":[null,-0.0]}']


def test_insert_columns_stores_and_audits_exactly_like_insert_many(registry):
    def rows(patient_id):
        return [{"patient_id": patient_id, "loinc": "4548-4", "value_entered": "7.1", "unit_entered": "%", "value": 7.1 + i,
                 "unit": "%", "measured_on": dt.date(2024, 1, 10 + i), "derived": False,
                 "flags": "soft_limit" if i == 1 else None} for i in range(3)]
    with registry.write(user="ana", reason="labs") as w:
        w.insert_many(Patient, [{"study_id": "P1"}, {"study_id": "P2"}])
        assert w.insert_many(Measurement, rows(1)) == [1, 2, 3]
        assert list(w.insert_columns(Measurement, {k: [r[k] for r in rows(2)] for k in rows(2)[0]})) == [4, 5, 6]
    with registry.engine.connect() as conn:
        stored = conn.execute(select(Measurement).order_by(Measurement.id)).all()
        audit = conn.execute(select(AuditEntry.action, AuditEntry.record_id, AuditEntry.changes)
                             .where(AuditEntry.table_name == "measurement").order_by(AuditEntry.id)).all()
    assert [tuple(m)[2:] for m in stored[:3]] == [tuple(m)[2:] for m in stored[3:]]
    assert [m.patient_id for m in stored] == [1, 1, 1, 2, 2, 2]
    assert [(a.action, a.record_id) for a in audit] == [("insert", i) for i in range(1, 7)]
    assert [a.changes for a in audit] == [changes_json({k: (None, v) for k, v in r.items() if v is not None})
                                          for r in rows(1) + rows(2)]
    assert registry.verify().ok


def test_insert_columns_refuses_unknown_or_uneven_columns(registry):
    with pytest.raises(InputError, match="has no column"):
        with registry.write(user="ana", reason="enrolment") as w:
            w.insert_columns(Patient, {"study_id": ["P1"], "name": ["Alice"]})
    with pytest.raises(InputError, match="different lengths"):
        with registry.write(user="ana", reason="enrolment") as w:
            w.insert_columns(Patient, {"study_id": ["P1", "P2"], "sex": ["F"]})
    with registry.write(user="ana", reason="enrolment") as w:
        assert list(w.insert_columns(Patient, {})) == []
    with registry.engine.connect() as conn:
        assert conn.execute(select(Patient)).all() == [] and conn.execute(select(AuditEntry)).all() == []


def test_insert_columns_reports_a_refused_change_and_writes_nothing(registry):
    with registry.write(user="ana", reason="enrolment") as w:
        w.insert(Patient, {"study_id": "P1"})
    with pytest.raises(InputError, match="refused"):
        with registry.write(user="ana", reason="enrolment") as w:
            w.insert_columns(Patient, {"study_id": ["P2", "P1"]})
    with registry.engine.connect() as conn:
        assert conn.execute(select(Patient.study_id)).scalars().all() == ["P1"]
        assert len(conn.execute(select(AuditEntry)).all()) == 1


def test_plan_sync_columns_decides_like_plan_sync(registry):
    from mscreg.io._sync import plan_sync, plan_sync_columns

    with registry.write(user="ana", reason="enrolment") as w:
        w.insert_many(Patient, [{"study_id": "P1", "sex": "F"}, {"study_id": "P2", "sex": "M", "birth_year": 1950}])
    rows = [{"study_id": "P1", "sex": "F", "birth_year": None}, {"study_id": "P3", "sex": "F", "birth_year": 1970},
            {"study_id": "P2", "sex": "M", "birth_year": 1951}]
    table = Patient.__table__
    with registry.engine.connect() as conn:
        by_rows = plan_sync(conn, table, [dict(r) for r in rows], key=("study_id",), filter_column="study_id")
        by_columns = plan_sync_columns(conn, table, {k: [r[k] for r in rows] for k in rows[0]}, key=("study_id",),
                                       filter_column="study_id")
    assert by_columns.updates == by_rows.updates == [(2, {"birth_year": 1950}, {"birth_year": 1951})]
    assert by_columns.unchanged == by_rows.unchanged == 1
    assert by_columns.n_inserts == 1
    assert [dict(zip(by_columns.inserts, values)) for values in zip(*by_columns.inserts.values())] == by_rows.inserts
