"""The registry's tables (SQLAlchemy 2 declarative models).

Read with ``select()`` on these models; write only through
:class:`mscreg.store.writer.Writer`, which records every change in :class:`AuditEntry` (grouped per
transaction in :class:`AuditChangeset`).

Primary keys are plain integers that the writer allocates inside its serialised write
transaction (no sequences), so that an audit row can name its record before the insert
and the same ids come out on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "STUDY_TABLES",
    "AdverseEvent",
    "AuditChangeset",
    "AuditEntry",
    "Base",
    "EligibilityAssessment",
    "Infusion",
    "Lot",
    "Measurement",
    "Patient",
    "Site",
    "Visit",
]

_NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention (stable constraint names for migrations)."""

    metadata = MetaData(naming_convention=_NAMING)


def _pk() -> Mapped[int]:
    return mapped_column(Integer, primary_key=True, autoincrement=False)


class Site(Base):
    """A study site."""

    __tablename__ = "site"
    id: Mapped[int] = _pk()
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Patient(Base):
    """A pseudonymous patient (no names or full dates)."""

    __tablename__ = "patient"
    id: Mapped[int] = _pk()
    study_id: Mapped[str] = mapped_column(String(64), unique=True)
    sex: Mapped[str | None] = mapped_column(String(1))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    diagnosis_year: Mapped[int | None] = mapped_column(Integer)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))


class EligibilityAssessment(Base):
    """One screening of a patient against the protocol's criteria."""

    __tablename__ = "eligibility_assessment"
    __table_args__ = (UniqueConstraint("patient_id", "assessed_on"),)
    id: Mapped[int] = _pk()
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    assessed_on: Mapped[dt.date] = mapped_column(Date)
    answers: Mapped[str] = mapped_column(Text)  # JSON object: criterion key -> bool
    screening_hba1c: Mapped[float | None] = mapped_column(Float)
    eligible: Mapped[bool] = mapped_column(Boolean)
    reasons: Mapped[str] = mapped_column(Text)  # "; "-joined


class Lot(Base):
    """An MSC product lot, its quality control and its release decision."""

    __tablename__ = "lot"
    id: Mapped[int] = _pk()
    lot_number: Mapped[str] = mapped_column(String(64), unique=True)
    product: Mapped[str] = mapped_column(String(100))
    source_tissue: Mapped[str] = mapped_column(String(20))
    donor_type: Mapped[str] = mapped_column(String(12))
    passage: Mapped[int | None] = mapped_column(Integer)
    viability: Mapped[float | None] = mapped_column(Float)
    cd73: Mapped[float | None] = mapped_column(Float)
    cd90: Mapped[float | None] = mapped_column(Float)
    cd105: Mapped[float | None] = mapped_column(Float)
    cd34: Mapped[float | None] = mapped_column(Float)
    cd45: Mapped[float | None] = mapped_column(Float)
    hla_dr: Mapped[float | None] = mapped_column(Float)
    endotoxin_eu_per_ml: Mapped[float | None] = mapped_column(Float)
    sterility: Mapped[str | None] = mapped_column(String(10))
    mycoplasma: Mapped[str | None] = mapped_column(String(10))
    plastic_adherent: Mapped[bool | None] = mapped_column(Boolean)
    trilineage: Mapped[bool | None] = mapped_column(Boolean)
    release_criteria: Mapped[str] = mapped_column(String(200))
    released: Mapped[bool] = mapped_column(Boolean)
    release_reasons: Mapped[str] = mapped_column(Text)


class Infusion(Base):
    """One MSC infusion; ``derived`` = the date is synthetic (imported analysis table)."""

    __tablename__ = "infusion"
    __table_args__ = (UniqueConstraint("patient_id", "infused_on"),)
    id: Mapped[int] = _pk()
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))
    infused_on: Mapped[dt.date] = mapped_column(Date)
    cells_million: Mapped[float | None] = mapped_column(Float)
    cells_per_kg: Mapped[float | None] = mapped_column(Float)
    route: Mapped[str] = mapped_column(String(20))
    duration_min: Mapped[float | None] = mapped_column(Float)
    immediate_reactions: Mapped[str | None] = mapped_column(Text)
    derived: Mapped[bool] = mapped_column(Boolean)


class Visit(Base):
    """A follow-up visit planned from an infusion, with its window and what happened."""

    __tablename__ = "visit"
    __table_args__ = (UniqueConstraint("infusion_id", "label"),)
    id: Mapped[int] = _pk()
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    infusion_id: Mapped[int] = mapped_column(ForeignKey("infusion.id"))
    label: Mapped[str] = mapped_column(String(8))
    planned_on: Mapped[dt.date] = mapped_column(Date)
    window_start: Mapped[dt.date] = mapped_column(Date)
    window_end: Mapped[dt.date] = mapped_column(Date)
    actual_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))


class Measurement(Base):
    """One laboratory value, as entered and normalised (``value`` in ``unit``)."""

    __tablename__ = "measurement"
    __table_args__ = (UniqueConstraint("patient_id", "loinc", "measured_on"),)
    id: Mapped[int] = _pk()
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    loinc: Mapped[str] = mapped_column(String(16))
    value_entered: Mapped[str] = mapped_column(String(40))
    unit_entered: Mapped[str] = mapped_column(String(20))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(20))
    measured_on: Mapped[dt.date] = mapped_column(Date)
    months_after_infusion: Mapped[float | None] = mapped_column(Float)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id"))
    derived: Mapped[bool] = mapped_column(Boolean)
    flags: Mapped[str | None] = mapped_column(String(200))


class AdverseEvent(Base):
    """An adverse event: CTCAE grade (severity) and ICH E2A criteria (seriousness)."""

    __tablename__ = "adverse_event"
    id: Mapped[int] = _pk()
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    term: Mapped[str] = mapped_column(String(200))
    onset_on: Mapped[dt.date] = mapped_column(Date)
    end_on: Mapped[dt.date | None] = mapped_column(Date)
    ctcae_grade: Mapped[int] = mapped_column(Integer)
    serious: Mapped[bool] = mapped_column(Boolean)
    seriousness: Mapped[str] = mapped_column(String(200))  # comma-joined criteria, sorted
    relatedness: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(30))


class AuditChangeset(Base):
    """One audited write transaction: who (``user_name``), when (``recorded_at``, UTC) and why.

    Every :class:`AuditEntry` of the transaction points here; the hash of each entry covers
    these three fields, so editing a changeset breaks the chain of all its entries.
    """

    __tablename__ = "audit_changeset"
    id: Mapped[int] = _pk()
    recorded_at: Mapped[str] = mapped_column(String(32))
    user_name: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)


class AuditEntry(Base):
    """One change of one record: what (table, record, old/new value per field), in which changeset.

    ``changes`` is canonical JSON ``{field: [old, new], ...}``; ``hash`` is the SHA-256 of the
    previous entry's ``hash`` and this entry's content with its changeset's who/when/why (see
    :mod:`mscreg.store.audit`).
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_record", "table_name", "record_id"),)
    id: Mapped[int] = _pk()
    changeset_id: Mapped[int] = mapped_column(ForeignKey("audit_changeset.id"))
    action: Mapped[str] = mapped_column(String(6))
    table_name: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int] = mapped_column(Integer)
    changes: Mapped[str] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(String(64))


#: Study-data tables in dependency order (parents first); all writes to them are audited.
STUDY_TABLES: tuple[type[Base], ...] = (Site, Patient, EligibilityAssessment, Lot, Infusion, Visit, Measurement, AdverseEvent)
