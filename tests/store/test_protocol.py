"""Protocol rules: schedule and windows, eligibility, lot release, AE consistency, analytes."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from mscreg.domain.protocol import (
    DEFAULT_SCHEDULE,
    ISCT_MINIMAL,
    LotQuality,
    ReleaseCriteria,
    analyte_for,
    plan_visits,
    release_decision,
    screen,
)
from mscreg.domain.records import AdverseEventRecord, PatientRecord
from mscreg.errors import ConventionError

ALL_CLEAR = dict(t2dm_confirmed=True, inadequate_control=True, malignancy_history=False, active_infection=False,
                 autoimmune_disease=False)
GOOD_LOT = LotQuality(cd73=99, cd90=99, cd105=98, cd34=0.4, cd45=0.5, hla_dr=0.2, plastic_adherent=True, trilineage=True,
                      viability=92, endotoxin_eu_per_ml=0.1, sterility="negative", mycoplasma="negative")


def test_schedule_follows_the_protocol():
    visits = plan_visits(dt.date(2023, 8, 31))
    assert [v["label"] for v in visits] == ["M3", "M6", "M12", "Y2", "Y3", "Y4", "Y5"]
    assert [s.months for s in DEFAULT_SCHEDULE] == [3, 6, 12, 24, 36, 48, 60]
    assert visits[0]["planned_on"] == dt.date(2023, 11, 30)  # 31 Nov does not exist: clamped
    assert visits[-1]["planned_on"] == dt.date(2028, 8, 31)
    assert all(v["window_start"] < v["planned_on"] < v["window_end"] for v in visits)


def test_eligibility_gives_every_reason():
    assert screen(ALL_CLEAR, screening_hba1c=6.2).eligible  # threshold inclusive
    result = screen({**ALL_CLEAR, "malignancy_history": True, "autoimmune_disease": None}, screening_hba1c=6.1)
    assert not result.eligible
    assert result.reasons == ("inclusion not met: HbA1c ≥ 6.2 % (NGSP) (screening HbA1c 6.1 %)",
                              "exclusion present: history of malignancy", "not assessed: autoimmune disease")
    with pytest.raises(ConventionError, match="unknown eligibility criteria"):
        screen({"pregnant": False})


def test_release_is_isct_by_default_and_configurable_per_product():
    assert release_decision(GOOD_LOT).released and release_decision(GOOD_LOT).criteria == ISCT_MINIMAL.name
    strict = ReleaseCriteria(name="product X", min_viability=95, max_endotoxin_eu_per_ml=0.05, require_sterility=True,
                             require_mycoplasma_negative=True)
    decision = release_decision(GOOD_LOT, strict)
    assert decision.reasons == ("viability 92 % < 95 %", "endotoxin 0.1 EU/mL > 0.05 EU/mL")
    assert release_decision(LotQuality()).reasons[0] == "CD73 not measured"


def test_adverse_event_severity_and_seriousness_are_separate_and_consistent():
    serious_mild = AdverseEventRecord(study_id="P1", term="observation stay", onset_on="2024-01-01", ctcae_grade=1,
                                      seriousness={"hospitalisation"}, relatedness="unlikely", outcome="recovered")
    assert serious_mild.serious and serious_mild.ctcae_grade == 1
    with pytest.raises(ValidationError, match="grade 5"):
        AdverseEventRecord(study_id="P1", term="death", onset_on="2024-01-01", ctcae_grade=5, relatedness="unlikely", outcome="fatal")
    with pytest.raises(ValidationError, match="before onset"):
        AdverseEventRecord(study_id="P1", term="x", onset_on="2024-01-02", end_on="2024-01-01", ctcae_grade=1,
                           relatedness="unlikely", outcome="recovered")


def test_patient_record_holds_no_direct_identifiers():
    with pytest.raises(ValidationError, match="name"):
        PatientRecord(study_id="P1", name="Hanako Yamada")
    with pytest.raises(ValidationError, match="diagnosis_year"):
        PatientRecord(study_id="P1", birth_year=1970, diagnosis_year=1960)


def test_analyte_catalogue():
    assert analyte_for("hba1c").normalise(7.0, "%") == 7.0
    assert round(analyte_for("1558-6").normalise(5.0, "mmol/L"), 2) == 90.08
    with pytest.raises(ConventionError, match="not accepted"):
        analyte_for("4548-4").normalise(7.0, "mg/dL")
    with pytest.raises(ConventionError, match="not known"):
        analyte_for("1234-5")
