"""Registry records as pydantic models: what one site, patient, lot, infusion … must hold.

These models check a record where it enters mscreg (API, importers); the store writes
only validated records. They hold no direct identifiers: a patient is a study id with
sex, birth year, year of diabetes diagnosis and site — never a name, address or full date
of birth. Protocol rules (eligibility, lot release, visit schedule) live in
:mod:`mscreg.domain.protocol`; records only carry their results.

Examples
--------
>>> PatientRecord(study_id="P001", sex="f", birth_year=1961).sex
'F'
>>> AdverseEventRecord(study_id="P001", term="fever", onset_on="2024-01-02", ctcae_grade=1,
...                    relatedness="possible", outcome="recovered").serious
False
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mscreg.domain.protocol import Outcome, Relatedness, Seriousness, VisitStatus

__all__ = [
    "AdverseEventRecord",
    "EligibilityRecord",
    "InfusionRecord",
    "LotRecord",
    "MeasurementRecord",
    "PatientRecord",
    "SiteRecord",
    "VisitRecord",
]

Percent = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
StudyId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^\S(.*\S)?$")]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class SiteRecord(_Record):
    """A study site (clinic)."""

    code: Annotated[str, Field(min_length=1, max_length=32)]
    name: Annotated[str, Field(min_length=1, max_length=200)]


class PatientRecord(_Record):
    """A patient, pseudonymous: study id, sex, birth year, diagnosis year, site code."""

    study_id: StudyId
    sex: Literal["M", "F"] | None = None
    birth_year: Annotated[int, Field(ge=1890, le=2100)] | None = None
    diagnosis_year: Annotated[int, Field(ge=1890, le=2100)] | None = None
    site_code: str | None = None

    @field_validator("sex", mode="before")
    @classmethod
    def _sex(cls, value: object) -> object:
        words = {"m": "M", "male": "M", "f": "F", "female": "F"}
        return words.get(str(value).strip().lower(), value) if value is not None else None

    @model_validator(mode="after")
    def _years(self) -> PatientRecord:
        if self.birth_year is not None and self.diagnosis_year is not None and self.diagnosis_year < self.birth_year:
            raise ValueError(f"diagnosis_year {self.diagnosis_year} is before birth_year {self.birth_year}")
        return self


class EligibilityRecord(_Record):
    """One screening: each criterion answered (see :data:`~mscreg.domain.protocol.ELIGIBILITY_CRITERIA`)."""

    study_id: StudyId
    assessed_on: dt.date
    answers: dict[str, bool]
    screening_hba1c: Annotated[float, Field(ge=3, le=20, allow_inf_nan=False)] | None = None


class LotRecord(_Record):
    """An MSC product lot and its quality control."""

    lot_number: Annotated[str, Field(min_length=1, max_length=64)]
    product: Annotated[str, Field(min_length=1, max_length=100)] = "MSC"
    source_tissue: Literal["umbilical-cord", "bone-marrow", "adipose"]
    donor_type: Literal["autologous", "allogeneic"]
    passage: Annotated[int, Field(ge=0, le=50)] | None = None
    viability: Percent | None = None
    cd73: Percent | None = None
    cd90: Percent | None = None
    cd105: Percent | None = None
    cd34: Percent | None = None
    cd45: Percent | None = None
    hla_dr: Percent | None = None
    endotoxin_eu_per_ml: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    sterility: Literal["negative", "positive"] | None = None
    mycoplasma: Literal["negative", "positive"] | None = None
    plastic_adherent: bool | None = None
    trilineage: bool | None = None


class InfusionRecord(_Record):
    """One MSC infusion. ``derived`` marks an infusion whose date is synthetic (see docs/registry.md)."""

    study_id: StudyId
    infused_on: dt.date
    lot_number: str | None = None
    cells_million: Annotated[float, Field(gt=0, le=100_000, allow_inf_nan=False)] | None = None
    cells_per_kg: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    route: Literal["intravenous"] = "intravenous"
    duration_min: Annotated[float, Field(gt=0, le=24 * 60, allow_inf_nan=False)] | None = None
    immediate_reactions: str | None = None
    derived: bool = False


class VisitRecord(_Record):
    """A planned follow-up visit and what happened."""

    label: str
    planned_on: dt.date
    window_start: dt.date
    window_end: dt.date
    actual_on: dt.date | None = None
    status: VisitStatus = VisitStatus.PLANNED

    @model_validator(mode="after")
    def _window(self) -> VisitRecord:
        if not self.window_start <= self.planned_on <= self.window_end:
            raise ValueError("planned_on must lie inside [window_start, window_end]")
        return self


class MeasurementRecord(_Record):
    """One laboratory value: as entered (value and unit) and normalised to the analyte's unit."""

    study_id: StudyId
    loinc: str
    value_entered: str
    unit_entered: str
    value: Annotated[float, Field(allow_inf_nan=False)]
    unit: str
    measured_on: dt.date
    months_after_infusion: float | None = None
    derived: bool = False
    flags: str | None = None


class AdverseEventRecord(_Record):
    """An adverse event: CTCAE severity grade and ICH E2A seriousness criteria are separate."""

    study_id: StudyId
    term: Annotated[str, Field(min_length=1, max_length=200)]
    onset_on: dt.date
    end_on: dt.date | None = None
    ctcae_grade: Annotated[int, Field(ge=1, le=5)]
    seriousness: frozenset[Seriousness] = frozenset()
    relatedness: Relatedness
    outcome: Outcome

    @property
    def serious(self) -> bool:
        """Serious (ICH E2A) when any seriousness criterion applies."""
        return bool(self.seriousness)

    @model_validator(mode="after")
    def _consistent(self) -> AdverseEventRecord:
        if self.end_on is not None and self.end_on < self.onset_on:
            raise ValueError(f"end_on {self.end_on} is before onset_on {self.onset_on}")
        if self.ctcae_grade == 5 and Seriousness.DEATH not in self.seriousness:
            raise ValueError("CTCAE grade 5 (death) needs the seriousness criterion 'death'")
        if self.ctcae_grade == 5 and self.outcome is not Outcome.FATAL:
            raise ValueError("CTCAE grade 5 (death) needs outcome 'fatal'")
        return self
