"""Long lab files: units, limits, idempotency, malformed input (hand-made and generated)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from mscreg.domain.records import InfusionRecord, PatientRecord
from mscreg.errors import DataValidationError, InputFileError
from mscreg.io import import_labs
from mscreg.store import Registry
from mscreg.store.models import Measurement, Visit
from mscreg.store.services import enrol_patient, record_infusion
from tests.store.helpers import snapshot

HEADER = "patient_id,analyte,value,unit,date\n"


@pytest.fixture
def registry(db_url):
    reg = Registry.create(db_url)
    with reg.write(user="ana", reason="enrolment") as w:
        for sid in ("P1", "P2"):
            enrol_patient(w, PatientRecord(study_id=sid, sex="M", birth_year=1955))
    yield reg
    reg.close()


def _file(tmp_path, body: str, *, name: str = "labs.csv", encoding: str = "utf-8") -> object:
    path = tmp_path / name
    path.write_bytes((HEADER + body).encode(encoding))
    return path


def test_units_are_normalised_and_entered_values_kept(registry, tmp_path):
    path = _file(tmp_path, "P1,4548-4,53,mmol/mol,2024-01-10\nP1,hba1c,6.8,% (JDS),2024-02-10\n"
                           "P1,1558-6,7.0,mmol/L,2024-01-10\nP2,fasting_glucose,126,mg/dL,2024-01-10\n")
    report = import_labs(registry, path, user="ana")
    assert report.inserted["measurement"] == 4
    with registry.engine.connect() as conn:
        rows = conn.execute(select(Measurement.loinc, Measurement.value, Measurement.unit, Measurement.value_entered,
                                   Measurement.unit_entered).order_by(Measurement.id)).all()
    values = [(loinc, round(v, 3), unit, entered, unit_in) for loinc, v, unit, entered, unit_in in rows]
    # IFCC 53 → 0.0915 × 53 + 2.15 = 6.9995; JDS 6.8 → IFCC (6.8 − 1.73)/0.0927 = 54.693 → 7.154; 7 mmol/L × 18.016
    assert values == [("4548-4", 6.999, "%", "53", "mmol/mol"), ("4548-4", 7.154, "%", "6.8", "% (JDS)"),
                      ("1558-6", 126.112, "mg/dL", "7.0", "mmol/L"), ("1558-6", 126.0, "mg/dL", "126", "mg/dL")]


def test_reimport_adds_nothing_and_a_changed_value_is_an_update(registry, db_url, tmp_path):
    path = _file(tmp_path, "P1,4548-4,7.1,%,2024-01-10\nP2,4548-4,8.1,%,2024-01-10\n")
    import_labs(registry, path, user="ana")
    before = snapshot(db_url)
    assert import_labs(registry, path, user="ana").unchanged == {"measurement": 2}
    assert snapshot(db_url) == before
    path = _file(tmp_path, "P1,4548-4,7.1,%,2024-01-10\nP2,4548-4,8.2,%,2024-01-10\n")
    report = import_labs(registry, path, user="ana", reason="corrected lab report")
    assert report.updated["measurement"] == 1 and report.unchanged["measurement"] == 1
    assert registry.verify().ok


def test_soft_limit_is_flagged_hard_limit_rejected(registry, db_url, tmp_path):
    report = import_labs(registry, _file(tmp_path, "P1,4548-4,16,%,2024-01-10\n"), user="ana")
    assert "soft_limit" in report.warnings[0].message and report.warnings[0].row == 2
    before = snapshot(db_url)
    with pytest.raises(DataValidationError) as info:
        import_labs(registry, _file(tmp_path, "P1,4548-4,7.0,%,2024-01-11\nP1,4548-4,21,%,2024-01-12\n"), user="ana")
    (problem,) = info.value.problems
    assert (problem.row, problem.column, problem.value) == (3, "value", "21") and "3–20 %" in problem.message
    assert snapshot(db_url) == before


@pytest.mark.parametrize("body, row, field, message", [
    ("P1,4548-4,abc,%,2024-01-10\n", 2, "value", "not a number"),
    ('P1,4548-4,"7,1",%,2024-01-10\n', 2, "value", "decimal comma"),
    ("P1,4548-4,7,1,%,2024-01-10\n", 2, None, "decimal comma"),
    ("P1,4548-4,7.1,%,10/01/2024\n", 2, "date", "YYYY-MM-DD"),
    ("P1,4548-4,7.1,%,2024-02-30\n", 2, "date", "calendar date"),
    ("P1,4548-4,7.1,%,2999-01-01\n", 2, "date", "future"),
    ("P1,9999-9,7.1,%,2024-01-10\n", 2, "analyte", "unknown analyte"),
    ("P1,4548-4,7.1,mg/dL,2024-01-10\n", 2, "unit", "not accepted"),
    ("P9,4548-4,7.1,%,2024-01-10\n", 2, "patient_id", "not in the registry"),
    ("P1,4548-4,7.1,%,2024-01-10\nP1,4548-4,7.3,%,2024-01-10\n", 3, "date", "duplicate"),
    ("P1,4548-4,nan,%,2024-01-10\n", 2, "value", "finite"),
    (",4548-4,7.1,%,2024-01-10\n", 2, "patient_id", "empty"),
])
def test_malformed_rows_are_reported_and_nothing_is_written(registry, db_url, tmp_path, body, row, field, message):
    before = snapshot(db_url)
    with pytest.raises(DataValidationError) as info:
        import_labs(registry, _file(tmp_path, body), user="ana")
    problem = info.value.problems[0]
    assert (problem.file, problem.row, problem.column) == (str(tmp_path / "labs.csv"), row, field)
    assert message in problem.message
    assert snapshot(db_url) == before


def test_every_problem_of_a_file_is_reported_at_once(registry, tmp_path):
    with pytest.raises(DataValidationError) as info:
        import_labs(registry, _file(tmp_path, "P1,4548-4,x,%,2024-01-10\nP9,4548-4,7,%,2024-01-10\nP1,bad,7,%,2024-01-10\n"), user="ana")
    assert [(p.row, p.column) for p in info.value.problems] == [(2, "value"), (3, "patient_id"), (4, "analyte")]


def test_repeated_cells_are_reported_on_every_row_they_occur(registry, tmp_path):
    # each distinct cell is parsed once; its problem or warning must still name every row
    body = ("P1,4548-4,x,%,2024-01-10\nP2,4548-4,x,%,2024-01-10\nP1,4548-4,21,%,2024-01-11\n"
            "P2,4548-4,21,%,2024-01-11\nP1,4548-4,7,%,2024-13-01\nP2,4548-4,7,%,2024-13-01\n")
    with pytest.raises(DataValidationError) as info:
        import_labs(registry, _file(tmp_path, body), user="ana")
    assert [(p.row, p.column, p.value) for p in info.value.problems] == [
        (2, "value", "x"), (3, "value", "x"), (4, "value", "21"), (5, "value", "21"), (6, "date", "2024-13-01"),
        (7, "date", "2024-13-01")]
    report = import_labs(registry, _file(tmp_path, "P1,4548-4,16,%,2024-01-10\nP2,4548-4,16,%,2024-01-10\n"), user="ana")
    assert [(w.row, w.value) for w in report.warnings] == [(2, "16"), (3, "16")]
    with registry.engine.connect() as conn:
        assert conn.execute(select(Measurement.flags)).scalars().all() == ["soft_limit", "soft_limit"]
    assert registry.verify().ok


def test_bom_is_accepted_and_bad_files_are_refused(registry, tmp_path):
    assert import_labs(registry, _file(tmp_path, "P1,4548-4,7.1,%,2024-01-10\n", encoding="utf-8-sig"), user="ana").rows == 1
    (tmp_path / "latin.csv").write_bytes((HEADER + "P1,4548-4,7.1,%,2024-01-10,é\n").encode("latin-1"))
    with pytest.raises(InputFileError, match="not UTF-8"):
        import_labs(registry, tmp_path / "latin.csv", user="ana")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InputFileError, match="empty"):
        import_labs(registry, tmp_path / "empty.csv", user="ana")
    (tmp_path / "header.csv").write_text(HEADER)
    with pytest.raises(InputFileError, match="no data rows"):
        import_labs(registry, tmp_path / "header.csv", user="ana")
    with pytest.raises(InputFileError, match="no such file"):
        import_labs(registry, tmp_path / "missing.csv", user="ana")
    (tmp_path / "cols.csv").write_text("patient,analyte,value,unit,date\nP1,4548-4,7.1,%,2024-01-10\n")
    with pytest.raises(DataValidationError, match="patient_id"):
        import_labs(registry, tmp_path / "cols.csv", user="ana")


def test_labs_in_a_visit_window_mark_the_visit_attended(registry, tmp_path):
    with registry.write(user="ana", reason="infusion") as w:
        record_infusion(w, InfusionRecord(study_id="P1", infused_on=dt.date(2023, 1, 15), cells_million=1000))
    import_labs(registry, _file(tmp_path, "P1,4548-4,7.1,%,2023-04-20\nP1,4548-4,6.9,%,2023-05-30\n"), user="ana")
    with registry.engine.connect() as conn:
        m3 = conn.execute(select(Visit).where(Visit.label == "M3")).one()
        linked = conn.execute(select(Measurement.visit_id).order_by(Measurement.measured_on)).scalars().all()
    assert (m3.status, m3.actual_on) == ("done", dt.date(2023, 4, 20))
    assert linked == [m3.id, None]
    assert registry.verify().ok


cell = st.one_of(st.text(max_size=8), st.sampled_from(["P1", "4548-4", "hba1c", "7.1", "7,1", "%", "mmol/mol", "2024-01-10",
                                                        "2024-13-40", "", "nan", "1e400", "-3", "\ufeff", '"']))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(cell, min_size=3, max_size=6), min_size=1, max_size=6))
def test_generated_files_never_crash_and_never_half_import(registry, db_url, tmp_path, rows):
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path = tmp_path / "gen.csv"
    path.write_text(HEADER + buffer.getvalue(), encoding="utf-8")
    before = snapshot(db_url)
    try:
        report = import_labs(registry, path, user="fuzz")
    except (DataValidationError, InputFileError) as error:
        assert str(error)
        assert snapshot(db_url) == before
    else:
        after = snapshot(db_url)
        assert after["counts"]["measurement"] == before["counts"]["measurement"] + report.inserted["measurement"]
    assert registry.verify().ok


def _stored(registry):
    from sqlalchemy import text

    with registry.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM measurement ORDER BY id")).all()
        audit = conn.execute(text("SELECT action, table_name, record_id, changes FROM audit_log ORDER BY id")).all()
        visits = conn.execute(text("SELECT id, actual_on, status FROM visit ORDER BY id")).all()
    return [tuple(r) for r in rows], [tuple(a) for a in audit], [tuple(v) for v in visits]


def test_plain_and_quoted_files_give_the_same_records_warnings_and_audit_rows(tmp_path):
    # a plain file is read column by column, a quoted one with the csv module row by row
    body = [("P1", "4548-4", "53", "mmol/mol", "2023-04-20"), ("P2", " hba1c ", "16", "%", "2024-01-10"),
            ("P1", "1558-6", "7.0", "mmol/L", "2024-01-10"), ("P2", "fasting_glucose", "126", "mg/dL", "2024-01-11"),
            ("P1", "4548-4", "16", "%", "2023-05-30"), ("P2", "4548-4", "7.25", "% (JDS)", "2024-01-12")]
    results = []
    for name, quote in (("plain", ""), ("quoted", '"')):
        reg = Registry.create(f"sqlite:///{tmp_path / name}.sqlite")
        try:
            with reg.write(user="ana", reason="enrolment") as w:
                for sid in ("P1", "P2"):
                    enrol_patient(w, PatientRecord(study_id=sid, sex="M", birth_year=1955))
                record_infusion(w, InfusionRecord(study_id="P1", infused_on=dt.date(2023, 1, 15), cells_million=1000))
            path = tmp_path / f"{name}.csv"
            path.write_bytes((HEADER + "".join(",".join(f"{quote}{c}{quote}" for c in row) + "\r\n" for row in body)).encode())
            report = import_labs(reg, path, user="ana", reason="labs")
            results.append(([(w.row, w.column, w.value, w.message) for w in report.warnings], report.inserted,
                            report.updated, _stored(reg)))
            assert reg.verify().ok
        finally:
            reg.close()
    assert results[0] == results[1]
    warnings, inserted, updated, (rows, _, visits) = results[0]
    assert [w[:3] for w in warnings] == [(3, "value", "16"), (6, "value", "16")]
    assert inserted == {"measurement": 6, "visit": 0} and updated == {"measurement": 0, "visit": 2}  # M3 and M12 of P1
    assert [r[-1] for r in rows] == [None, "soft_limit", None, None, "soft_limit", None]


@pytest.mark.parametrize("body, expected", [
    ("P1,4548-4,7.1,%,2024-01-10\n\nP2,4548-4,7.2,%,2024-01-10\n", 2),  # a blank line is skipped
    ("P1,4548-4,7.1,%,2024-01-10\r\nP2,4548-4,7.2,%,2024-01-10\r\n", 2),
    ("P1 , 4548-4 ,7.1, % ,2024-01-10 \nP2,hba1c,7.2,%,2024-01-10", 2),
])
def test_files_read_either_way_import_alike(registry, tmp_path, body, expected):
    report = import_labs(registry, _file(tmp_path, body), user="ana")
    assert report.inserted["measurement"] == expected and report.rows == expected
    assert import_labs(registry, _file(tmp_path, body), user="ana").unchanged == {"measurement": expected}
    assert registry.verify().ok


def test_dry_run_of_a_plain_file_writes_nothing_and_reports_what_it_would_do(registry, db_url, tmp_path):
    import_labs(registry, _file(tmp_path, "P1,4548-4,7.1,%,2024-01-10\n"), user="ana")
    before = snapshot(db_url)
    report = import_labs(registry, _file(tmp_path, "P1,4548-4,7.2,%,2024-01-10\nP2,4548-4,16,%,2024-01-10\n"),
                         user="ana", dry_run=True)
    assert (report.inserted["measurement"], report.updated["measurement"], report.dry_run) == (1, 1, True)
    assert [(w.row, w.value) for w in report.warnings] == [(3, "16")]
    assert snapshot(db_url) == before


def test_garbage_collection_is_restored_after_an_import(registry, tmp_path):
    import gc

    assert gc.isenabled()
    import_labs(registry, _file(tmp_path, "P1,4548-4,7.1,%,2024-01-10\n"), user="ana")
    assert gc.isenabled()
    with pytest.raises(DataValidationError):
        import_labs(registry, _file(tmp_path, "P9,4548-4,7.1,%,2024-01-10\n"), user="ana")
    assert gc.isenabled()
