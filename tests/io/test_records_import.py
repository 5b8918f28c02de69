"""CSV import of registry records: sites, patients, eligibility, lots, infusions, visits, adverse events."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from typer.testing import CliRunner

from mscreg.cli.app import app
from mscreg.cli.registry_cmd import RecordKind
from mscreg.domain.protocol import DEFAULT_SCHEDULE, LotQuality, ReleaseCriteria, VisitStatus, release_decision, screen
from mscreg.domain.records import (
    AdverseEventRecord,
    EligibilityRecord,
    InfusionRecord,
    LotRecord,
    PatientRecord,
    SiteRecord,
)
from mscreg.errors import DataValidationError, InputError, InputFileError
from mscreg.io import RECORD_FORMATS, RECORD_KINDS, import_records
from mscreg.store import Registry
from mscreg.store.audit import trail
from mscreg.store.models import AdverseEvent, EligibilityAssessment, Infusion, Lot, Patient, Visit
from mscreg.store.services import (
    add_lot,
    add_site,
    enrol_patient,
    record_adverse_event,
    record_eligibility,
    record_infusion,
    record_visit,
)
from tests.store.helpers import snapshot

DOCS = Path(__file__).resolve().parents[2] / "docs" / "registry.md"

# The ISCT minimal criteria (Dominici et al., Cytotherapy 2006;8:315) written out: >= 95 % CD73/CD90/CD105,
# <= 2 % CD34/CD45/HLA-DR, plastic adherence, trilineage differentiation; nothing product-specific.
ISCT = ReleaseCriteria(name="ISCT minimal criteria (Dominici 2006)", min_positive=95.0, max_negative=2.0,
                       require_plastic_adherence=True, require_trilineage=True, min_viability=None,
                       max_endotoxin_eu_per_ml=None, require_sterility=False, require_mycoplasma_negative=False)

SITES = "code,name\nOHC,Omotesando Helene Clinic\nKYO,Kyoto Clinic\n"
PATIENTS = "study_id,sex,birth_year,diagnosis_year,site_code\nP1,female,1960,2001,OHC\nP2,M,1955,,KYO\nP3,,,,\n"
LOTS = ("lot_number,source_tissue,donor_type,passage,viability,cd73,cd90,cd105,cd34,cd45,hla_dr,plastic_adherent,trilineage\n"
        "UC-1,umbilical-cord,allogeneic,4,92.5,99,99,98,0.2,0.3,0.1,yes,yes\n"
        "BM-2,bone-marrow,autologous,3,88,99,97,90,0.5,2.5,0.1,true,0\n")
ELIGIBILITY = ("study_id,assessed_on,screening_hba1c,t2dm_confirmed,inadequate_control,malignancy_history,active_infection,"
               "autoimmune_disease\n"
               "P1,2023-12-01,7.4,yes,yes,no,no,no\n"
               "P2,2023-12-02,6.0,1,0,false,TRUE,\n")
INFUSIONS = ("study_id,infused_on,lot_number,cells_million,duration_min,immediate_reactions,derived\n"
             "P1,2024-01-10,UC-1,1000,45,,\n"
             "P2,2000-01-01,,150,,,yes\n")
VISITS = "study_id,visit,actual_on,status\nP1,M3,2024-04-12,\nP1,M6,,missed\n"
EVENTS = ("study_id,term,onset_on,end_on,ctcae_grade,seriousness,relatedness,outcome\n"
          "P1,fever,2024-01-10,2024-01-11,1,,probable,recovered\n"
          "P1,pneumonia,2024-02-01,,3,hospitalisation; medically-important,unlikely,recovering\n")


@pytest.fixture
def registry(db_url):
    reg = Registry.create(db_url)
    yield reg
    reg.close()


def _file(tmp_path: Path, body: str, name: str = "records.csv", *, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(body.encode(encoding))
    return path


def _import(registry, tmp_path, kind, body, **options):
    name = f"{kind}.csv"
    return import_records(registry, _file(tmp_path, body, name), kind, user=options.pop("user", "ana"), **options)


def _audit_rows(registry) -> int:
    with registry.engine.connect() as conn:
        return len(conn.execute(trail()).all())


def _base(registry, tmp_path) -> None:
    """Sites, patients and lots imported from files; P1 infused from the released lot."""
    for kind, body in (("sites", SITES), ("patients", PATIENTS), ("lots", LOTS)):
        _import(registry, tmp_path, kind, body)
    with registry.write(user="ana", reason="infusion") as w:
        record_infusion(w, InfusionRecord(study_id="P1", infused_on=dt.date(2024, 1, 10), lot_number="UC-1", cells_million=1000))


def _table(registry, model) -> list[dict]:
    with registry.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(model.__table__).order_by(model.__table__.c.id)).mappings()]


# ---------------------------------------------------------------------- each kind end to end


def test_files_store_exactly_what_the_services_store(registry, db_url, tmp_path):
    files = (("sites", SITES), ("patients", PATIENTS), ("eligibility", ELIGIBILITY), ("lots", LOTS), ("infusions", INFUSIONS),
             ("visits", VISITS), ("adverse-events", EVENTS))
    for kind, body in files:
        report = _import(registry, tmp_path, kind, body, allow_unreleased=True)
        assert report.kind == f"records:{kind}" and not report.dry_run
        assert registry.verify().ok
    before = snapshot(db_url)
    for kind, body in files:  # a second import of every file changes nothing and adds no audit row
        report = _import(registry, tmp_path, kind, body)
        assert sum(report.unchanged.values()) == report.rows and not any(report.inserted.values()), kind
    assert snapshot(db_url) == before
    # the same records through the Python API, in a second registry
    api = Registry.create("sqlite://")
    with api.write(user="ana", reason="API") as w:
        add_site(w, SiteRecord(code="OHC", name="Omotesando Helene Clinic"))
        add_site(w, SiteRecord(code="KYO", name="Kyoto Clinic"))
        enrol_patient(w, PatientRecord(study_id="P1", sex="F", birth_year=1960, diagnosis_year=2001, site_code="OHC"))
        enrol_patient(w, PatientRecord(study_id="P2", sex="M", birth_year=1955, site_code="KYO"))
        enrol_patient(w, PatientRecord(study_id="P3"))
        record_eligibility(w, EligibilityRecord(study_id="P1", assessed_on=dt.date(2023, 12, 1), screening_hba1c=7.4, answers={
            "t2dm_confirmed": True, "inadequate_control": True, "malignancy_history": False, "active_infection": False,
            "autoimmune_disease": False}))
        record_eligibility(w, EligibilityRecord(study_id="P2", assessed_on=dt.date(2023, 12, 2), screening_hba1c=6.0, answers={
            "t2dm_confirmed": True, "inadequate_control": False, "malignancy_history": False, "active_infection": True}))
        add_lot(w, LotRecord(lot_number="UC-1", source_tissue="umbilical-cord", donor_type="allogeneic", passage=4, viability=92.5,
                             cd73=99, cd90=99, cd105=98, cd34=0.2, cd45=0.3, hla_dr=0.1, plastic_adherent=True, trilineage=True))
        add_lot(w, LotRecord(lot_number="BM-2", source_tissue="bone-marrow", donor_type="autologous", passage=3, viability=88,
                             cd73=99, cd90=97, cd105=90, cd34=0.5, cd45=2.5, hla_dr=0.1, plastic_adherent=True, trilineage=False))
        record_infusion(w, InfusionRecord(study_id="P1", infused_on=dt.date(2024, 1, 10), lot_number="UC-1", cells_million=1000,
                                          duration_min=45))
        record_infusion(w, InfusionRecord(study_id="P2", infused_on=dt.date(2000, 1, 1), cells_million=150, derived=True))
        record_visit(w, "P1", "M3", actual_on=dt.date(2024, 4, 12))
        record_visit(w, "P1", "M6", actual_on=None, status=VisitStatus.MISSED)
        record_adverse_event(w, AdverseEventRecord(study_id="P1", term="fever", onset_on=dt.date(2024, 1, 10),
                                                   end_on=dt.date(2024, 1, 11), ctcae_grade=1, relatedness="probable",
                                                   outcome="recovered"))
        record_adverse_event(w, AdverseEventRecord(study_id="P1", term="pneumonia", onset_on=dt.date(2024, 2, 1), ctcae_grade=3,
                                                   seriousness={"hospitalisation", "medically-important"},
                                                   relatedness="unlikely", outcome="recovering"))
    try:
        for model in (Patient, EligibilityAssessment, Lot, Infusion, Visit, AdverseEvent):
            assert _table(registry, model) == _table(api, model), model.__tablename__
    finally:
        api.close()


def test_lots_store_the_isct_release_decision(registry, tmp_path):
    assert _import(registry, tmp_path, "lots", LOTS).inserted == {"lot": 2}
    expected = [release_decision(LotQuality(cd73=99, cd90=99, cd105=98, cd34=0.2, cd45=0.3, hla_dr=0.1, viability=92.5,
                                            plastic_adherent=True, trilineage=True), ISCT),
                release_decision(LotQuality(cd73=99, cd90=97, cd105=90, cd34=0.5, cd45=2.5, hla_dr=0.1, viability=88,
                                            plastic_adherent=True, trilineage=False), ISCT)]
    stored = [(r["released"], r["release_criteria"], r["release_reasons"]) for r in _table(registry, Lot)]
    assert stored == [(d.released, d.criteria, "; ".join(d.reasons)) for d in expected]
    assert stored[1] == (False, "ISCT minimal criteria (Dominici 2006)",
                         "CD105 90 % < 95 %; CD45 2.5 % > 2 %; trilineage differentiation not shown")
    assert registry.verify().ok


def test_eligibility_rows_are_screened(registry, tmp_path):
    _import(registry, tmp_path, "patients", "study_id\nP1\nP2\n")
    report = _import(registry, tmp_path, "eligibility", ELIGIBILITY)
    assert report.inserted == {"eligibility_assessment": 2}
    rows = _table(registry, EligibilityAssessment)
    assert [(r["eligible"], r["screening_hba1c"]) for r in rows] == [(True, 7.4), (False, 6.0)]
    # P2: autoimmune disease blank = not assessed (absent from the answers); HbA1c 6.0 below 6.2
    p2 = screen({"t2dm_confirmed": True, "inadequate_control": False, "malignancy_history": False, "active_infection": True},
                screening_hba1c=6.0)
    assert rows[1]["reasons"] == "; ".join(p2.reasons)
    assert rows[1]["reasons"].split("; ") == ["inclusion not met: HbA1c ≥ 6.2 % (NGSP) (screening HbA1c 6 %)",
                                              "inclusion not met: inadequate glycaemic control with conventional therapy",
                                              "exclusion present: active infection", "not assessed: autoimmune disease"]
    assert "autoimmune_disease" not in json.loads(rows[1]["answers"])
    assert registry.verify().ok


def test_infusions_plan_visits_and_warn_outside_the_dose_range(registry, tmp_path):
    _base(registry, tmp_path)
    body = ("study_id,infused_on,lot_number,cells_million,derived\n"
            "P2,2024-03-01,UC-1,2500,no\n"  # outside 100-2000 million: imported with a warning
            "P3,2000-01-01,,,yes\n")  # derived: no visits
    report = _import(registry, tmp_path, "infusions", body)
    assert report.inserted == {"infusion": 2, "visit": len(DEFAULT_SCHEDULE)}
    (warning,) = report.warnings
    assert (warning.row, warning.column, warning.value) == (2, "cells_million", "2500")
    assert "outside the protocol's dose range" in warning.message
    with registry.engine.connect() as conn:
        p2 = conn.execute(select(Patient.id).where(Patient.study_id == "P2")).scalar_one()
        visits = conn.execute(select(Visit.label, Visit.planned_on, Visit.status).where(Visit.patient_id == p2)
                              .order_by(Visit.planned_on)).all()
    assert [v.label for v in visits] == [s.label for s in DEFAULT_SCHEDULE]
    assert (visits[0].planned_on, visits[0].status) == (dt.date(2024, 6, 1), "planned")
    assert registry.verify().ok


def test_an_unreleased_lot_needs_allow_unreleased_once(registry, db_url, tmp_path):
    _base(registry, tmp_path)
    body = "study_id,infused_on,lot_number,cells_million\nP2,2024-03-01,BM-2,500\n"
    before = snapshot(db_url)
    with pytest.raises(DataValidationError) as info:
        _import(registry, tmp_path, "infusions", body)
    (problem,) = info.value.problems
    assert (problem.row, problem.column, problem.value) == (2, "lot_number", "BM-2")
    assert "failed release (CD105 90 % < 95 %" in problem.message and "--allow-unreleased" in problem.message
    assert snapshot(db_url) == before
    with pytest.raises(InputError) as service, registry.write(user="ana", reason="infusion") as w:  # the same rule and message
        record_infusion(w, InfusionRecord(study_id="P2", infused_on=dt.date(2024, 3, 1), lot_number="BM-2", cells_million=500))
    assert str(service.value) == problem.message
    assert snapshot(db_url) == before
    assert _import(registry, tmp_path, "infusions", body, allow_unreleased=True).inserted["infusion"] == 1
    # the stored infusion is not new: re-importing it does not need the permission again
    assert _import(registry, tmp_path, "infusions", body).unchanged == {"infusion": 1}
    assert registry.verify().ok


def test_visits_mark_planned_visits(registry, tmp_path):
    _base(registry, tmp_path)
    report = _import(registry, tmp_path, "visits", VISITS)
    assert (report.inserted, report.updated, report.unchanged) == ({"visit": 0}, {"visit": 2}, {"visit": 0})
    with registry.engine.connect() as conn:
        stored = {v.label: (v.actual_on, v.status) for v in conn.execute(select(Visit))}
    assert stored["M3"] == (dt.date(2024, 4, 12), "done") and stored["M6"] == (None, "missed")
    assert stored["M12"] == (None, "planned")
    assert _import(registry, tmp_path, "visits", VISITS).unchanged == {"visit": 2}
    assert registry.verify().ok


def test_adverse_events_split_seriousness(registry, tmp_path):
    _base(registry, tmp_path)
    assert _import(registry, tmp_path, "adverse-events", EVENTS).inserted == {"adverse_event": 2}
    rows = _table(registry, AdverseEvent)
    assert [(r["serious"], r["seriousness"], r["ctcae_grade"], r["relatedness"]) for r in rows] == [
        (False, "", 1, "probable"), (True, "hospitalisation,medically-important", 3, "unlikely")]
    assert registry.verify().ok


# ---------------------------------------------------------------------- idempotency, updates, dry run


def test_reimport_writes_nothing_and_a_corrected_cell_is_one_audited_update(registry, db_url, tmp_path):
    _import(registry, tmp_path, "lots", LOTS)
    before, audit = snapshot(db_url), _audit_rows(registry)
    assert _import(registry, tmp_path, "lots", LOTS).unchanged == {"lot": 2}
    assert snapshot(db_url) == before and _audit_rows(registry) == audit
    corrected = LOTS.replace("UC-1,umbilical-cord,allogeneic,4,92.5,99,99,98", "UC-1,umbilical-cord,allogeneic,4,92.5,99,99,93")
    report = _import(registry, tmp_path, "lots", corrected, user="qa", reason="CoA re-issued")
    assert (report.updated, report.unchanged) == ({"lot": 1}, {"lot": 1})
    assert _audit_rows(registry) == audit + 1
    with registry.engine.connect() as conn:
        last = conn.execute(trail()).all()[-1]
    assert (last.action, last.table_name, last.record_id, last.user_name, last.reason) == ("update", "lot", 1, "qa", "CoA re-issued")
    assert json.loads(last.changes) == {"cd105": [98.0, 93.0], "released": [True, False],
                                        "release_reasons": ["", "CD105 93 % < 95 %"]}
    assert registry.verify().ok


def test_a_blank_cell_clears_a_stored_value_with_a_warning(registry, tmp_path):
    _import(registry, tmp_path, "sites", SITES)
    _import(registry, tmp_path, "patients", PATIENTS)
    report = _import(registry, tmp_path, "patients", PATIENTS.replace("P1,female,1960,2001,OHC", "P1,female,1960,,OHC")
                     .replace("P2,M,1955,,KYO", "P2,M,1955,,"))
    assert report.updated == {"patient": 2}
    assert [(w.row, w.column, w.value, w.message) for w in report.warnings] == [
        (2, "diagnosis_year", "", "blank cell clears the stored value 2001"),
        (3, "site_code", "", "blank cell removes the patient's stored site")]
    assert registry.verify().ok


def test_a_blank_cell_that_resets_a_default_or_a_derived_field_warns_too(registry, tmp_path):
    for kind, body in (("sites", SITES), ("patients", PATIENTS), ("eligibility", ELIGIBILITY), ("lots", LOTS),
                       ("infusions", INFUSIONS), ("visits", VISITS), ("adverse-events", EVENTS)):
        _import(registry, tmp_path, kind, body, allow_unreleased=True)
    cases = [  # kind, file with one cell blanked, expected (row, column, message)
        ("adverse-events", EVENTS.replace("hospitalisation; medically-important", ""),
         (3, "seriousness", "blank cell changes the stored value to '', from 'hospitalisation,medically-important'")),
        ("visits", VISITS.replace(",missed", ","), (3, "status", "blank cell changes the stored value to 'done', from 'missed'")),
        ("eligibility", ELIGIBILITY.replace("P1,2023-12-01,7.4,yes,yes,no,no,no", "P1,2023-12-01,7.4,yes,,no,no,no"),
         (2, "inadequate_control", "blank cell clears the stored value True")),
        ("infusions", INFUSIONS.replace("P1,2024-01-10,UC-1,", "P1,2024-01-10,,"),
         (2, "lot_number", "blank cell removes the infusion's stored lot")),
    ]
    for kind, body, expected in cases:
        report = _import(registry, tmp_path, kind, body)
        assert sum(report.updated.values()) == 1, kind
        assert [(w.row, w.column, w.message) for w in report.warnings] == [expected], kind
    assert registry.verify().ok


def test_a_row_matching_several_stored_adverse_events_is_a_problem_not_a_guess(registry, db_url, tmp_path):
    _import(registry, tmp_path, "patients", "study_id\nP1\n")
    with registry.write(user="ana", reason="entered twice through the API") as w:
        for grade in (1, 3):
            record_adverse_event(w, AdverseEventRecord(study_id="P1", term="fever", onset_on="2024-01-10", ctcae_grade=grade,
                                                       relatedness="possible", outcome="recovered"))
    before = snapshot(db_url)
    body = "study_id,term,onset_on,ctcae_grade,relatedness,outcome\nP1,fever,2024-01-10,1,possible,recovered\n"
    with pytest.raises(DataValidationError) as caught:
        _import(registry, tmp_path, "adverse-events", body)
    assert [(p.row, p.column, p.value, p.message) for p in caught.value.problems] == [
        (2, "onset_on", "2024-01-10", "2 stored adverse_event records have the same study_id, term and onset_on; "
                                      "the file cannot say which one this row is (correct them through the Python API)")]
    assert snapshot(db_url) == before


def test_a_nul_character_is_a_row_problem_on_both_databases(registry, db_url, tmp_path):
    _import(registry, tmp_path, "sites", SITES)
    before = snapshot(db_url)
    for dry_run in (True, False):
        with pytest.raises(DataValidationError) as caught:
            _import(registry, tmp_path, "patients", "study_id,site_code\nP\x009,OHC\n", dry_run=dry_run)
        assert [(p.row, p.column, p.value) for p in caught.value.problems] == [(2, "study_id", "P\\x009")]
    assert snapshot(db_url) == before


def test_default_reason_names_the_kind_and_file(registry, tmp_path):
    _import(registry, tmp_path, "sites", SITES)
    with registry.engine.connect() as conn:
        assert {r.reason for r in conn.execute(trail())} == {"import of sites file sites.csv"}


def test_dry_run_checks_against_the_registry_and_writes_nothing(registry, db_url, tmp_path):
    _base(registry, tmp_path)
    before = snapshot(db_url)
    report = _import(registry, tmp_path, "infusions", INFUSIONS.replace("P1,2024-01-10,UC-1,1000,45", "P1,2024-01-10,UC-1,1200,45")
                     + "P3,2024-05-05,UC-1,5000,,,\n", dry_run=True)
    assert report.dry_run
    assert (report.inserted, report.updated) == ({"infusion": 2, "visit": len(DEFAULT_SCHEDULE)}, {"infusion": 1})
    assert [(w.row, w.column) for w in report.warnings] == [(4, "cells_million")]
    assert snapshot(db_url) == before
    with pytest.raises(DataValidationError, match="import patients first"):
        _import(registry, tmp_path, "infusions", "study_id,infused_on\nP9,2024-01-01\n", dry_run=True)


# ---------------------------------------------------------------------- bad input


BAD = [
    # kind, body, (row, field, value), message
    ("lots", LOTS.replace("trilineage\n", "trilineage,colour\n", 1), (1, "colour", None), "unknown column (column 14)"),
    ("lots", "lot_number,source_tissue\nX,adipose\n", (1, "donor_type", None), "required column is missing"),
    ("lots", "lot_number,LOT_NUMBER,source_tissue,donor_type\nX,X,adipose,autologous\n", (1, "LOT_NUMBER", None), "named twice"),
    ("lots", "lot_number,source_tissue,donor_type,cd73\nX,adipose,autologous,101\n", (2, "cd73", "101"), "less than or equal to 100"),
    ("lots", 'lot_number,source_tissue,donor_type,cd73\nX,adipose,autologous,"99,5"\n', (2, "cd73", "99,5"), "decimal comma"),
    ("lots", "lot_number,source_tissue,donor_type\nX,liver,autologous\n", (2, "source_tissue", "liver"), "expected 'umbilical-cord'"),
    ("lots", "lot_number,source_tissue,donor_type\nX,adipose,\n", (2, "donor_type", ""), "empty; a value is required"),
    ("lots", "lot_number,source_tissue,donor_type,cd73\nX,adipose,autologous,high\n", (2, "cd73", "high"), "not a number"),
    ("lots", "lot_number,source_tissue,donor_type,passage\nX,adipose,autologous,3.5\n", (2, "passage", "3.5"), "not a whole number"),
    ("lots", "lot_number,source_tissue,donor_type,trilineage\nX,adipose,autologous,maybe\n", (2, "trilineage", "maybe"), "yes/no"),
    ("lots", "lot_number,source_tissue,donor_type\nX,adipose,autologous\nX,bone-marrow,autologous\n", (3, "lot_number", "X"),
     "same lot_number as row 2"),
    ("lots", "lot_number,source_tissue,donor_type\nX,adipose,autologous,extra\n", (2, None, None), "row has 4 cells"),
    ("sites", "code,name\nOHC,\n", (2, "name", ""), "empty"),
    ("patients", "study_id,site_code\nP7,NOPE\n", (2, "site_code", "NOPE"), "site 'NOPE' is not in the registry; import sites first"),
    ("patients", 'study_id\n"P\n7"\n', (2, "study_id", "P\n7"), "expected one line of text"),
    ("patients", "study_id,birth_year,diagnosis_year\nP7,1960,1950\n", (2, None, None), "diagnosis_year 1950 is before birth_year 1960"),
    ("eligibility", "study_id,assessed_on,t2dm_confirmed\nP1,2024-01-01,perhaps\n", (2, "t2dm_confirmed", "perhaps"), "yes/no"),
    ("eligibility", "study_id,assessed_on\nP9,2024-01-01\n", (2, "study_id", "P9"), "patient 'P9' is not in the registry; import patients first"),
    ("eligibility", "study_id,assessed_on\nP1,2024-01-01\nP1,2024-01-01\n", (3, "assessed_on", "2024-01-01"),
     "same study_id and assessed_on as row 2"),
    ("infusions", "study_id,infused_on\nP2,10/01/2024\n", (2, "infused_on", "10/01/2024"), "expected YYYY-MM-DD"),
    ("infusions", "study_id,infused_on\nP2,2999-01-01\n", (2, "infused_on", "2999-01-01"), "future"),
    ("infusions", "study_id,infused_on,lot_number\nP2,2024-02-01,UC-9\n", (2, "lot_number", "UC-9"),
     "lot 'UC-9' is not in the registry; import lots first"),
    ("infusions", "study_id,infused_on,lot_number\nP2,2024-02-01,BM-2\n", (2, "lot_number", "BM-2"), "failed release"),
    ("infusions", "study_id,infused_on,derived\nP1,2024-01-10,yes\n", (2, "derived", "yes"), "cannot change whether"),
    ("visits", "study_id,visit,actual_on\nP1,M7,2024-04-12\n", (2, "visit", "M7"), "no planned visit 'M7'; planned: M3, M6"),
    ("visits", "study_id,visit\nP2,M3\n", (2, "visit", "M3"), "no planned visits"),
    ("visits", "study_id,visit,status\nP1,M3,planned\n", (2, "status", "planned"), "expected 'done' or 'missed'"),
    ("adverse-events", EVENTS.replace("hospitalisation; medically-important", "death;bad"), (3, "seriousness", "death;bad"),
     "expected 'death'"),
    ("adverse-events", "study_id,term,onset_on,ctcae_grade,relatedness,outcome\nP1,x,2024-01-01,5,unlikely,fatal\n", (2, None, None),
     "grade 5 (death) needs the seriousness criterion 'death'"),
    ("adverse-events", "study_id,term,onset_on,ctcae_grade,relatedness,outcome\nP1,x,2024-01-01,1,unlikely,fine\n",
     (2, "outcome", "fine"), "expected 'recovered'"),
]


def test_every_bad_input_names_row_field_and_value_and_writes_nothing(registry, db_url, tmp_path):
    # one registry for all cases (each case must leave it as it was)
    _base(registry, tmp_path)
    before = snapshot(db_url)
    for kind, body, where, message in BAD:
        with pytest.raises(DataValidationError) as info:
            _import(registry, tmp_path, kind, body)
        found = [(p.row, p.column, p.value) for p in info.value.problems]
        assert where in found, (kind, body, found)
        problem = info.value.problems[found.index(where)]
        assert problem.file == str(tmp_path / f"{kind}.csv")
        assert message in problem.message, (kind, problem.message)
        assert snapshot(db_url) == before, (kind, body)


def test_every_problem_of_a_file_is_reported_at_once_in_row_order(registry, tmp_path):
    _base(registry, tmp_path)
    body = ("study_id,infused_on,lot_number,cells_million\n"
            "P9,2024-01-01,UC-1,500\n"  # unknown patient (found against the registry)
            "P2,2024-13-01,UC-1,500\n"  # bad date (found in the file)
            "P2,2024-02-01,UC-9,0\n"  # unknown lot and a dose that is not > 0: only the cell is reported
            "P3,2024-02-01,BM-2,500\n")  # lot failed release
    with pytest.raises(DataValidationError) as info:
        _import(registry, tmp_path, "infusions", body)
    assert [(p.row, p.column) for p in info.value.problems] == [
        (2, "study_id"), (3, "infused_on"), (4, "cells_million"), (5, "lot_number")]


def test_unusable_files_are_refused(registry, tmp_path):
    assert _import(registry, tmp_path, "sites", "\ufeffCode,NAME\r\nOHC,Omotesando Helene Clinic\r\n\r\n,\r\n").rows == 1
    with pytest.raises(InputFileError, match="no such file"):
        import_records(registry, tmp_path / "missing.csv", "sites", user="ana")
    with pytest.raises(InputFileError, match="empty; expected a header row code, name"):
        _import(registry, tmp_path, "sites", "")
    with pytest.raises(InputFileError, match="no data rows"):
        _import(registry, tmp_path, "sites", "code,name\n")
    with pytest.raises(InputFileError, match="not UTF-8"):
        import_records(registry, _file(tmp_path, "code,name\nZÜR,Zürich\n", encoding="latin-1"), "sites", user="ana")
    with pytest.raises(InputFileError, match="cannot be read as CSV"):
        _import(registry, tmp_path, "sites", "code,name\nOHC," + "x" * 200_000 + "\n")
    with pytest.raises(InputError, match="unknown kind of record file 'doctors'; expected one of sites, patients"):
        _import(registry, tmp_path, "doctors", SITES)


lot_cell = st.one_of(st.text(max_size=10), st.sampled_from(
    ["UC-1", "umbilical-cord", "bone-marrow", "allogeneic", "autologous", "99", "0.2", "101", "-1", "nan", "inf", "yes",
     "no", "1", "0", "99,5", "", " ", "negative", "positive", '"', "\ufeff", "2024-01-01"]))
LOT_HEADER = ["lot_number", "source_tissue", "donor_type", "passage", "viability", "cd73", "cd105", "cd45", "sterility",
              "plastic_adherent", "trilineage"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(lot_cell, min_size=len(LOT_HEADER) - 1, max_size=len(LOT_HEADER) + 1), min_size=1, max_size=4))
def test_random_lot_files_never_crash_and_never_half_import(registry, db_url, tmp_path, rows):
    buffer = io.StringIO()
    csv.writer(buffer).writerows([LOT_HEADER, *rows])
    path = _file(tmp_path, buffer.getvalue(), "fuzz.csv")
    before = snapshot(db_url)
    try:
        report = import_records(registry, path, "lots", user="fuzz")
    except (DataValidationError, InputFileError) as error:
        assert str(error)
        assert snapshot(db_url) == before
    else:
        assert snapshot(db_url)["counts"]["lot"] == before["counts"]["lot"] + report.inserted["lot"]
    assert registry.verify().ok


# ---------------------------------------------------------------------- command line, docs


runner = CliRunner()


def _cli(*args: str):
    return runner.invoke(app, list(args))


def test_command_line(db_url, tmp_path):
    assert _cli("db", "init", "--db", db_url).exit_code == 0
    lots = _file(tmp_path, LOTS, "lots.csv")
    dry = _cli("import", "records", "lots", str(lots), "--db", db_url, "--dry-run", "--report-format", "json")
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.output) | {"sha256": None} == {
        "kind": "records:lots", "file": str(lots), "sha256": None, "dry_run": True, "rows": 2, "inserted": {"lot": 2},
        "updated": {"lot": 0}, "unchanged": {"lot": 0}, "warnings": []}
    done = _cli("import", "records", "lots", str(lots), "--db", db_url, "--user", "qa", "--reason", "lot release")
    assert done.exit_code == 0 and "records:lots" in done.output and "inserted lot 2" in done.output
    patients = _file(tmp_path, "study_id\nP1\n", "patients.csv")
    assert _cli("import", "records", "patients", str(patients), "--db", db_url, "--user", "ana").exit_code == 0
    infusions = _file(tmp_path, "study_id,infused_on,lot_number,cells_million\nP1,2024-01-10,BM-2,2500\n", "infusions.csv")
    refused = _cli("import", "records", "infusions", str(infusions), "--db", db_url, "--user", "ana", "--report-format", "json")
    assert refused.exit_code == 65
    (problem,) = json.loads(refused.stdout)
    assert (problem["row"], problem["field"], problem["value"]) == (2, "lot_number", "BM-2")
    allowed = _cli("import", "records", "infusions", str(infusions), "--db", db_url, "--user", "ana", "--allow-unreleased",
                   "--report-format", "csv")
    assert allowed.exit_code == 0 and ",2,cells_million,2500," in allowed.stdout
    events = _file(tmp_path, "study_id,term,onset_on,ctcae_grade,relatedness,outcome\nP1,fever,2024-01-10,1,probable,recovered\n",
                   "ae.csv")
    assert _cli("import", "records", "adverse-events", str(events), "--db", db_url, "--user", "ana").exit_code == 0
    assert _cli("import", "records", "lots", str(tmp_path / "none.csv"), "--db", db_url).exit_code == 66
    assert _cli("import", "records", "doctors", str(lots), "--db", db_url).exit_code == 2  # not a KIND: usage error
    assert _cli("db", "verify", "--db", db_url).exit_code == 0


def test_command_line_kinds_are_the_importers_kinds():
    assert tuple(kind.value for kind in RecordKind) == RECORD_KINDS


def _docs_table() -> str:
    """The docs' table of record formats, generated from RECORD_FORMATS (paste it into docs/registry.md)."""
    lines = ["| kind | table | columns (required in bold) | natural key (idempotency) |", "|---|---|---|---|"]
    for fmt in RECORD_FORMATS.values():
        columns = ", ".join(f"**`{c}`**" if c in fmt.required else f"`{c}`" for c in fmt.columns)
        lines.append(f"| `{fmt.kind}` | `{fmt.table}` | {columns} | {' + '.join(f'`{k}`' for k in fmt.key)} |")
    return "\n".join(lines)


def test_docs_list_every_kind_with_its_columns_and_key():
    doc = DOCS.read_text(encoding="utf-8")
    assert _docs_table() in doc, "docs/registry.md: replace the records table with\n" + _docs_table()
    section = doc[doc.index("### Records (sites, patients"):doc.index("## Cohort")]
    assert set(re.findall(r"^mscreg import records (\S+) ", section, flags=re.M)) == set(RECORD_KINDS)
    assert "mscreg import records lots lots.csv\n" in doc[:doc.index("## Records")]
