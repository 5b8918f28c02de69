"""Seed Table 1 → registry → analysis table gives exactly the direct path's numbers."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from mscreg.cohort import seed_table
from mscreg.cohort.registry import table_from_registry
from mscreg.cohort.table import load_analysis_table
from mscreg.datasets import seed_table_path
from mscreg.errors import ConventionError, DataValidationError, InsufficientDataError
from mscreg.io import import_analysis_table
from mscreg.stats.paper import paper_analyses
from mscreg.store import Registry
from mscreg.store.audit import trail
from mscreg.store.models import AuditEntry, Measurement
from tests.store.helpers import snapshot

COLUMNS = ["patient_id", "sex", "age", "dose_million", "hba1c_before", "hba1c_after", "months_observed"]


@pytest.fixture
def registry(db_url):
    reg = Registry.create(db_url)
    yield reg
    reg.close()


@pytest.mark.parametrize("engine", ["sql", "duckdb"])
def test_seed_round_trip_reproduces_the_direct_analysis_exactly(registry, db_url, engine):
    report = import_analysis_table(registry, load_analysis_table(seed_table_path()), user="ana")
    assert report.inserted == {"patient": 58, "infusion": 58, "measurement": 116}
    direct = seed_table()
    via_registry = table_from_registry(db_url, engine=engine)
    assert via_registry.frame[COLUMNS].equals(direct.frame[COLUMNS])
    assert paper_analyses(via_registry.frame).to_dict() == paper_analyses(direct.frame).to_dict()
    assert registry.verify().ok


def test_reimport_is_idempotent_and_dry_run_writes_nothing(registry, db_url):
    dry = import_analysis_table(registry, load_analysis_table(seed_table_path()), user="ana", dry_run=True)
    assert dry.dry_run and dry.inserted["patient"] == 58
    assert snapshot(db_url)["counts"]["patient"] == 0
    import_analysis_table(registry, load_analysis_table(seed_table_path()), user="ana")
    before = snapshot(db_url)
    again = import_analysis_table(registry, load_analysis_table(seed_table_path()), user="ana")
    assert again.unchanged == {"patient": 58, "infusion": 58, "measurement": 116}
    assert sum(again.inserted.values()) == 0 and sum(again.updated.values()) == 0
    assert snapshot(db_url) == before


def test_a_corrected_cell_is_one_audited_update(registry, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("patient_id,sex,age,dose_million,hba1c_before,hba1c_after,months_observed\nA,M,60,1000,8.1,7.2,12\n")
    import_analysis_table(registry, load_analysis_table(path), user="ana")
    path.write_text("patient_id,sex,age,dose_million,hba1c_before,hba1c_after,months_observed\nA,M,60,1000,8.1,7.0,12\n")
    report = import_analysis_table(registry, load_analysis_table(path), user="ben", reason="lab report re-checked")
    assert report.updated["measurement"] == 1
    with registry.engine.connect() as conn:
        last = conn.execute(trail().order_by(None).order_by(AuditEntry.id.desc())).first()
    assert (last.user_name, last.reason, last.action) == ("ben", "lab report re-checked", "update")
    assert json.loads(last.changes) == {"value": [7.2, 7.0], "value_entered": ["7.2", "7"]}


def test_ifcc_file_is_stored_in_ngsp_with_the_entered_value_kept(registry, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("patient_id,hba1c_before,hba1c_after,months_observed\nA,64,53,6\n")
    import_analysis_table(registry, load_analysis_table(path, hba1c_unit="ifcc"), user="ana")
    with registry.engine.connect() as conn:
        rows = conn.execute(select(Measurement.value, Measurement.value_entered, Measurement.unit_entered, Measurement.derived)
                            .order_by(Measurement.measured_on)).all()
    assert [(round(v, 4), e, u, d) for v, e, u, d in rows] == [(8.006, "64", "mmol/mol", True), (6.9995, "53", "mmol/mol", True)]


@pytest.mark.parametrize("body, field, message", [
    ("A,60.5,8.1,7.2,12", "age", "whole number"),
    ("A,60,8.1,7.2,", "months_observed", "place the follow-up"),
    ("A,60,8.1,7.2,0", "months_observed", "> 0"),
    ("A,60,8.1,25,12", "hba1c_after", "plausible range"),
])
def test_rows_that_cannot_be_stored_are_rejected_with_the_field(registry, db_url, tmp_path, body, field, message):
    path = tmp_path / "t.csv"
    path.write_text(f"patient_id,age,hba1c_before,hba1c_after,months_observed\n{body}\n")
    with pytest.raises(DataValidationError) as info:
        import_analysis_table(registry, load_analysis_table(path), user="ana")
    problem = info.value.problems[0]
    assert (problem.row, problem.column) == (2, field) and message in problem.message
    assert snapshot(db_url)["counts"]["audit_log"] == 0


def test_soft_limit_values_import_with_a_flag(registry, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("patient_id,hba1c_before,hba1c_after,months_observed\nA,16.5,9.0,6\n")
    report = import_analysis_table(registry, load_analysis_table(path), user="ana")
    assert report.warnings[0].column == "hba1c_before" and "soft" in report.warnings[0].message
    with registry.engine.connect() as conn:
        assert conn.execute(select(Measurement.flags).where(Measurement.value == 16.5)).scalar_one() == "soft_limit"


def test_cohort_rules_are_parameters(registry, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("patient_id,hba1c_before,hba1c_after,months_observed\nA,8.0,7.0,12\nB,9.0,8.0,36\n")
    import_analysis_table(registry, load_analysis_table(path), user="ana")
    assert table_from_registry(registry.engine, follow_up="M12").frame["hba1c_after"].tolist()[0] == 7.0
    assert table_from_registry(registry.engine, follow_up="Y3").frame["hba1c_after"].isna().tolist() == [True, False]
    with pytest.raises(ConventionError, match="M7"):
        table_from_registry(registry.engine, follow_up="M7")


def test_empty_registry_has_nothing_to_analyse(registry):
    with pytest.raises(InsufficientDataError, match="no patient"):
        table_from_registry(registry.engine)
