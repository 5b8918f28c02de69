"""Protocol services on the registry: enrolment, screening, lots, infusions, visits, AEs.

Each write function takes a :class:`~mscreg.store.writer.Writer` (so it is audited and part
of the caller's transaction) and a validated record from :mod:`mscreg.domain.records`;
the read functions take a connection. Protocol rules come from
:mod:`mscreg.domain.protocol` and are parameters here, never constants.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, select

from mscreg.domain.protocol import (
    DEFAULT_SCHEDULE,
    ISCT_MINIMAL,
    LotQuality,
    ReleaseCriteria,
    VisitSpec,
    VisitStatus,
    plan_visits,
    release_decision,
    screen,
    visit_status,
)
from mscreg.domain.records import (
    AdverseEventRecord,
    EligibilityRecord,
    InfusionRecord,
    LotRecord,
    PatientRecord,
    SiteRecord,
)
from mscreg.errors import InputError
from mscreg.store.models import EligibilityAssessment, Infusion, Lot, Measurement, Patient, Site, Visit
from mscreg.store.writer import Writer

__all__ = [
    "ConsortCounts",
    "add_lot",
    "add_site",
    "consort",
    "enrol_patient",
    "patient_id",
    "record_adverse_event",
    "record_eligibility",
    "record_infusion",
    "record_visit",
    "visits_due",
]


def patient_id(conn: Connection, study_id: str) -> int:
    """The registry id of the patient with ``study_id``; InputError when unknown."""
    found = conn.execute(select(Patient.id).where(Patient.study_id == study_id)).scalar_one_or_none()
    if found is None:
        raise InputError(f"patient {study_id!r} is not in the registry; enrol the patient first")
    return int(found)


def add_site(writer: Writer, record: SiteRecord) -> int:
    """Add a study site; return its id."""
    return writer.insert(Site, record.model_dump())


def enrol_patient(writer: Writer, record: PatientRecord) -> int:
    """Add a patient (pseudonymous); return its id.

    Examples
    --------
    >>> from mscreg.store import Registry
    >>> reg = Registry.create("sqlite://")
    >>> with reg.write(user="ana", reason="enrolment") as w:
    ...     enrol_patient(w, PatientRecord(study_id="P1", sex="F", birth_year=1960))
    1
    """
    site_id = None
    if record.site_code is not None:
        site_id = writer.conn.execute(select(Site.id).where(Site.code == record.site_code)).scalar_one_or_none()
        if site_id is None:
            raise InputError(f"site {record.site_code!r} is not in the registry; add the site first")
    values = record.model_dump(exclude={"site_code"})
    return writer.insert(Patient, {**values, "site_id": site_id})


def record_eligibility(writer: Writer, record: EligibilityRecord, *, hba1c_threshold: float = 6.2) -> int:
    """Screen a patient (:func:`~mscreg.domain.protocol.screen`) and store answers, result and reasons."""
    result = screen(record.answers, screening_hba1c=record.screening_hba1c, hba1c_threshold=hba1c_threshold)
    return writer.insert(EligibilityAssessment, {
        "patient_id": patient_id(writer.conn, record.study_id), "assessed_on": record.assessed_on,
        "answers": json.dumps(result.answers, sort_keys=True), "screening_hba1c": record.screening_hba1c,
        "eligible": result.eligible, "reasons": "; ".join(result.reasons),
    })


def add_lot(writer: Writer, record: LotRecord, *, criteria: ReleaseCriteria = ISCT_MINIMAL) -> int:
    """Add an MSC lot with its release decision under ``criteria`` (ISCT minimal by default).

    Examples
    --------
    >>> from mscreg.store import Registry
    >>> reg = Registry.create("sqlite://")
    >>> lot = LotRecord(lot_number="UC-001", source_tissue="umbilical-cord", donor_type="allogeneic",
    ...                 cd73=99, cd90=99, cd105=98, cd34=0.2, cd45=0.3, hla_dr=0.1,
    ...                 plastic_adherent=True, trilineage=True)
    >>> with reg.write(user="qa", reason="lot release") as w:
    ...     add_lot(w, lot)
    1
    """
    values = record.model_dump()
    quality = LotQuality(**{k: values[k] for k in asdict(LotQuality()).keys()})
    decision = release_decision(quality, criteria)
    return writer.insert(Lot, {**values, "release_criteria": decision.criteria, "released": decision.released,
                               "release_reasons": "; ".join(decision.reasons)})


def record_infusion(writer: Writer, record: InfusionRecord, *, schedule: tuple[VisitSpec, ...] = DEFAULT_SCHEDULE,
                    allow_unreleased: bool = False) -> int:
    """Record an infusion and plan its follow-up visits (not for ``derived`` infusions).

    An infusion from a lot that failed release is refused unless ``allow_unreleased``.
    """
    pid = patient_id(writer.conn, record.study_id)
    lot_id = None
    if record.lot_number is not None:
        lot = writer.conn.execute(select(Lot.id, Lot.released).where(Lot.lot_number == record.lot_number)).first()
        if lot is None:
            raise InputError(f"lot {record.lot_number!r} is not in the registry; add the lot first")
        if not lot.released and not allow_unreleased:
            raise InputError(f"lot {record.lot_number!r} failed release; an infusion from it needs allow_unreleased=True")
        lot_id = lot.id
    values = record.model_dump(exclude={"study_id", "lot_number"})
    infusion_id = writer.insert(Infusion, {**values, "patient_id": pid, "lot_id": lot_id})
    if not record.derived:
        writer.insert_many(Visit, [{**v, "patient_id": pid, "infusion_id": infusion_id, "status": VisitStatus.PLANNED.value}
                                   for v in plan_visits(record.infused_on, schedule)])
    return infusion_id


def record_visit(writer: Writer, study_id: str, label: str, *, actual_on: dt.date | None,
                 status: VisitStatus = VisitStatus.DONE) -> int:
    """Record that a planned visit was attended (or missed); return the visit id."""
    pid = patient_id(writer.conn, study_id)
    visit = writer.conn.execute(select(Visit.id).where(and_(Visit.patient_id == pid, Visit.label == label))
                                .order_by(Visit.planned_on.desc())).first()
    if visit is None:
        raise InputError(f"patient {study_id!r} has no planned visit {label!r}")
    writer.update(Visit, visit.id, {"actual_on": actual_on, "status": status.value})
    return int(visit.id)


def record_adverse_event(writer: Writer, record: AdverseEventRecord) -> int:
    """Record an adverse event (grade and seriousness stored separately)."""
    values = record.model_dump(exclude={"study_id", "seriousness"})
    values = {k: (v.value if hasattr(v, "value") else v) for k, v in values.items()}
    return writer.insert("adverse_event", {**values, "patient_id": patient_id(writer.conn, record.study_id),
                                           "serious": record.serious,
                                           "seriousness": ",".join(sorted(s.value for s in record.seriousness))})


def visits_due(conn: Connection, *, as_of: dt.date, include_upcoming_days: int = 0) -> list[dict[str, Any]]:
    """Visits due (window open) or overdue (window closed, not attended) on ``as_of``.

    Infusions with a synthetic (``derived``) date have no planned visits. With
    ``include_upcoming_days`` > 0, visits whose window opens within that many days are
    listed as ``upcoming``.
    """
    rows = conn.execute(
        select(Patient.study_id, Visit.label, Visit.planned_on, Visit.window_start, Visit.window_end,
               Visit.actual_on, Visit.status)
        .join(Patient, Patient.id == Visit.patient_id)
        .where(Visit.actual_on.is_(None), Visit.status == VisitStatus.PLANNED.value)
        .order_by(Visit.window_end, Patient.study_id)
    ).all()
    found = []
    for row in rows:
        state = visit_status(planned_on=row.planned_on, window_start=row.window_start, window_end=row.window_end,
                             actual_on=row.actual_on, status=row.status, as_of=as_of)
        if state == "upcoming" and (row.window_start - as_of).days > include_upcoming_days:
            continue
        found.append({"study_id": row.study_id, "visit": row.label, "planned_on": row.planned_on,
                      "window_start": row.window_start, "window_end": row.window_end, "state": state,
                      "days_overdue": max((as_of - row.window_end).days, 0)})
    return found


@dataclass(frozen=True, kw_only=True)
class ConsortCounts:
    """CONSORT-style flow of the registry.

    ``screened`` counts patients with an eligibility assessment and ``eligible`` those
    whose latest assessment found them eligible; ``infused_without_screening`` counts
    infused patients with no assessment in the registry (e.g. imported from an analysis
    table). ``analysed`` comes from the cohort rules (baseline and follow-up present).
    """

    patients: int
    screened: int
    eligible: int
    not_eligible: int
    infused: int
    infused_without_screening: int
    with_follow_up: int
    analysed: int

    def to_dict(self) -> dict[str, int]:
        """Plain-dict form."""
        return asdict(self)


def consort(conn: Connection, *, analysed: int) -> ConsortCounts:
    """CONSORT counts; ``analysed`` is the number of rows of the cohort with both HbA1c values."""
    patients = conn.execute(select(func.count()).select_from(Patient)).scalar_one()
    latest = (select(EligibilityAssessment.patient_id, func.max(EligibilityAssessment.assessed_on).label("last"))
              .group_by(EligibilityAssessment.patient_id).subquery())
    assessed = conn.execute(
        select(EligibilityAssessment.patient_id, EligibilityAssessment.eligible)
        .join(latest, and_(latest.c.patient_id == EligibilityAssessment.patient_id,
                           latest.c.last == EligibilityAssessment.assessed_on))).all()
    eligible = sum(1 for row in assessed if row.eligible)
    infused_ids = set(conn.execute(select(Infusion.patient_id).distinct()).scalars())
    screened_ids = {row.patient_id for row in assessed}
    follow = conn.execute(
        select(func.count(func.distinct(Measurement.patient_id)))
        .join(Infusion, Infusion.patient_id == Measurement.patient_id)
        .where(Measurement.measured_on > Infusion.infused_on)).scalar_one()
    return ConsortCounts(patients=int(patients), screened=len(assessed), eligible=eligible,
                         not_eligible=len(assessed) - eligible, infused=len(infused_ids),
                         infused_without_screening=len(infused_ids - screened_ids),
                         with_follow_up=int(follow), analysed=analysed)
