"""FHIR R4 Bundles of Patient and Observation resources."""

from __future__ import annotations

import copy
import json

import pytest
from sqlalchemy import select

from mscreg.errors import DataValidationError, InputFileError
from mscreg.io import import_fhir
from mscreg.store import Registry
from mscreg.store.models import Measurement, Patient
from tests.store.helpers import snapshot


def _obs(code="4548-4", value=58, unit="mmol/mol", when="2024-03-01T09:30:00+09:00", subject="Patient/p1"):
    return {"resource": {"resourceType": "Observation", "status": "final",
                         "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
                         "subject": {"reference": subject}, "effectiveDateTime": when,
                         "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}}}


BUNDLE = {"resourceType": "Bundle", "type": "collection", "entry": [
    {"fullUrl": "urn:uuid:0f1e", "resource": {"resourceType": "Patient", "id": "p1", "identifier": [{"system": "urn:clinic", "value": "S001"}],
                                              "name": [{"family": "Yamada", "given": ["Hanako"]}], "gender": "female", "birthDate": "1961-04-02"}},
    _obs(), _obs(code="1558-6", value=7.2, unit="mmol/L", subject="urn:uuid:0f1e"),
]}


@pytest.fixture
def registry(db_url):
    reg = Registry.create(db_url)
    yield reg
    reg.close()


def _write(tmp_path, bundle, name="bundle.json"):
    path = tmp_path / name
    path.write_text(json.dumps(bundle) if not isinstance(bundle, str) else bundle)
    return path


def test_bundle_imports_patients_without_identifiers_and_normalised_values(registry, tmp_path):
    report = import_fhir(registry, _write(tmp_path, BUNDLE), user="ana")
    assert report.inserted == {"patient": 1, "measurement": 2, "visit": 0}
    assert "name" in report.warnings[0].column and "birthDate" in report.warnings[0].column
    with registry.engine.connect() as conn:
        patient = conn.execute(select(Patient)).one()
        values = conn.execute(select(Measurement.loinc, Measurement.value, Measurement.measured_on).order_by(Measurement.loinc)).all()
    assert (patient.study_id, patient.sex, patient.birth_year) == ("S001", "F", 1961)
    assert [(loinc, round(v, 3), str(d)) for loinc, v, d in values] == [("1558-6", 129.715, "2024-03-01"), ("4548-4", 7.457, "2024-03-01")]
    again = import_fhir(registry, _write(tmp_path, BUNDLE), user="ana")
    assert again.unchanged == {"patient": 1, "measurement": 2}
    assert registry.verify().ok


def _broken(change):
    bundle = copy.deepcopy(BUNDLE)
    change(bundle)
    return bundle


@pytest.mark.parametrize("bundle, row, field, message", [
    (_broken(lambda b: b["entry"][1]["resource"]["code"]["coding"][0].update(code="0000-0")), 2, "code.coding", "no known LOINC"),
    (_broken(lambda b: b["entry"][1]["resource"]["valueQuantity"].update(code="g", unit="g")), 2, "valueQuantity.code", "not accepted"),
    (_broken(lambda b: b["entry"][1]["resource"].update(effectiveDateTime="2024-13-01")), 2, "effectiveDateTime", "regex"),
    (_broken(lambda b: b["entry"][1]["resource"]["subject"].update(reference="Patient/nobody")), 2, "subject.reference", "does not name"),
    (_broken(lambda b: b["entry"][1]["resource"]["valueQuantity"].update(value=250)), 2, "valueQuantity.value", "hard plausible"),
    (_broken(lambda b: b["entry"].append(_obs(value=60))), 4, "effectiveDateTime", "duplicate"),
    (_broken(lambda b: b["entry"].append({"resource": {"resourceType": "Encounter", "status": "finished"}})), 4, "resourceType", "unsupported"),
    (_broken(lambda b: b["entry"][1]["resource"].pop("valueQuantity")), 2, "valueQuantity", "no valueQuantity"),
    (_broken(lambda b: b["entry"][0]["resource"]["identifier"][0].update(value="S\x00001")), 1, "identifier.0.value",
     "NUL character"),  # PostgreSQL cannot store it: a problem of the entry, not a database error
])
def test_bad_entries_are_reported_by_entry_and_field(registry, db_url, tmp_path, bundle, row, field, message):
    before = snapshot(db_url)
    with pytest.raises(DataValidationError) as info:
        import_fhir(registry, _write(tmp_path, bundle), user="ana")
    problem = info.value.problems[0]
    assert (problem.row, problem.column) == (row, field) and message in problem.message
    assert snapshot(db_url) == before


def test_truncated_or_foreign_json_is_refused(registry, db_url, tmp_path):
    text = json.dumps(BUNDLE)
    with pytest.raises(DataValidationError, match="truncated"):
        import_fhir(registry, _write(tmp_path, text[: len(text) // 2]), user="ana")
    with pytest.raises(DataValidationError, match="expected a FHIR Bundle"):
        import_fhir(registry, _write(tmp_path, {"resourceType": "Patient"}), user="ana")
    with pytest.raises(InputFileError, match="empty"):
        import_fhir(registry, _write(tmp_path, " "), user="ana")
    assert snapshot(db_url)["counts"]["audit_log"] == 0


def test_dry_run_writes_nothing(registry, db_url, tmp_path):
    report = import_fhir(registry, _write(tmp_path, BUNDLE), user="ana", dry_run=True)
    assert report.dry_run and report.inserted["patient"] == 1 and report.inserted["measurement"] == 2
    assert snapshot(db_url)["counts"]["patient"] == 0
