"""Protocol services on the registry: enrolment, screening, lots, infusions, visits, AEs.

Each write function takes a :class:`~mscreg.store.writer.Writer` (so it is audited and part
of the caller's transaction) and a validated record from :mod:`mscreg.domain.records`;
the read functions take a connection. Protocol rules come from
:mod:`mscreg.domain.protocol` and are parameters here, never constants.

Each write service is a look-up of ids plus a pure *values* function (``site_values``,
``patient_values``, ``eligibility_values``, ``lot_values``, ``infusion_values``,
``planned_visit_values``, ``visit_attendance_values``, ``adverse_event_values``) that turns
the record into its table row; the importers (:mod:`mscreg.io.records`) resolve ids in bulk
and store the rows of the same functions.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
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
from mscreg.store.models import AdverseEvent, EligibilityAssessment, Infusion, Lot, Measurement, Patient, Site, Visit
from mscreg.store.writer import Writer

__all__ = [
    "ConsortCounts",
    "add_lot",
    "add_site",
    "adverse_event_values",
    "consort",
    "eligibility_values",
    "enrol_patient",
    "infusion_lot_refusal",
    "infusion_values",
    "latest_visit_ids",
    "lot_values",
    "patient_id",
    "patient_values",
    "planned_visit_values",
    "record_adverse_event",
    "record_eligibility",
    "record_infusion",
    "record_visit",
    "site_values",
    "visit_attendance_values",
    "visits_due",
]


# ---------------------------------------------------------------------- values: record (+ resolved ids) -> table row
# Pure functions: the write services below and the importers (mscreg.io.records) store
# exactly what these return, so a record is stored the same way whichever path it takes.


def site_values(record: SiteRecord) -> dict[str, Any]:
    """The ``site`` row of a site record.

    Examples
    --------
    >>> site_values(SiteRecord(code="OHC", name="Omotesando Helene Clinic"))
    {'code': 'OHC', 'name': 'Omotesando Helene Clinic'}
    """
    return record.model_dump()


def patient_values(record: PatientRecord, *, site_id: int | None) -> dict[str, Any]:
    """The ``patient`` row of a patient record whose site code resolved to ``site_id``.

    Examples
    --------
    >>> patient_values(PatientRecord(study_id="P1", sex="female", birth_year=1960, site_code="OHC"), site_id=1)
    {'study_id': 'P1', 'sex': 'F', 'birth_year': 1960, 'diagnosis_year': None, 'site_id': 1}
    """
    return {**record.model_dump(exclude={"site_code"}), "site_id": site_id}


def eligibility_values(record: EligibilityRecord, *, patient_id: int, hba1c_threshold: float = 6.2) -> dict[str, Any]:
    """The ``eligibility_assessment`` row of a screening: answers, result and reasons of
    :func:`~mscreg.domain.protocol.screen` (HbA1c entry threshold ``hba1c_threshold`` %, inclusive).

    ``answers`` is stored as JSON with sorted keys and ``reasons`` joined by ``"; "``; a
    criterion not answered (absent) makes the patient not eligible.

    Examples
    --------
    >>> record = EligibilityRecord(study_id="P1", assessed_on="2024-01-05", screening_hba1c=7.4,
    ...                            answers={"t2dm_confirmed": True, "inadequate_control": True,
    ...                                     "malignancy_history": False, "active_infection": False})
    >>> values = eligibility_values(record, patient_id=1)
    >>> values["eligible"], values["reasons"]
    (False, 'not assessed: autoimmune disease')
    >>> json.loads(values["answers"])["hba1c_at_least_threshold"]  # decided from the screening HbA1c
    True
    """
    result = screen(record.answers, screening_hba1c=record.screening_hba1c, hba1c_threshold=hba1c_threshold)
    return {"patient_id": patient_id, "assessed_on": record.assessed_on,
            "answers": json.dumps(result.answers, sort_keys=True), "screening_hba1c": record.screening_hba1c,
            "eligible": result.eligible, "reasons": "; ".join(result.reasons)}


def lot_values(record: LotRecord, *, criteria: ReleaseCriteria = ISCT_MINIMAL) -> dict[str, Any]:
    """The ``lot`` row of a lot record with its release decision under ``criteria``
    (:func:`~mscreg.domain.protocol.release_decision`; ISCT minimal criteria by default).

    Examples
    --------
    >>> lot = LotRecord(lot_number="UC-002", source_tissue="umbilical-cord", donor_type="allogeneic",
    ...                 cd73=99, cd90=99, cd105=93, cd34=0.2, cd45=0.3, hla_dr=0.1,
    ...                 plastic_adherent=True, trilineage=True)
    >>> values = lot_values(lot)
    >>> values["released"], values["release_reasons"], values["release_criteria"]
    (False, 'CD105 93 % < 95 %', 'ISCT minimal criteria (Dominici 2006)')
    """
    values = record.model_dump()
    quality = LotQuality(**{k: values[k] for k in asdict(LotQuality())})
    decision = release_decision(quality, criteria)
    return {**values, "release_criteria": decision.criteria, "released": decision.released,
            "release_reasons": "; ".join(decision.reasons)}


def infusion_values(record: InfusionRecord, *, patient_id: int, lot_id: int | None) -> dict[str, Any]:
    """The ``infusion`` row of an infusion record whose patient and lot resolved to these ids.

    Examples
    --------
    >>> record = InfusionRecord(study_id="P1", infused_on="2024-01-10", lot_number="UC-001", cells_million=1000)
    >>> values = infusion_values(record, patient_id=1, lot_id=2)
    >>> values["patient_id"], values["lot_id"], values["cells_million"], values["route"], values["derived"]
    (1, 2, 1000.0, 'intravenous', False)
    """
    return {**record.model_dump(exclude={"study_id", "lot_number"}), "patient_id": patient_id, "lot_id": lot_id}


def infusion_lot_refusal(lot_number: str, *, released: bool, release_reasons: str = "",
                         allow_unreleased: bool = False) -> str | None:
    """Why an infusion from a lot is refused: the lot failed release and ``allow_unreleased`` is
    False; None when the infusion may be recorded.

    Examples
    --------
    >>> infusion_lot_refusal("UC-9", released=False, release_reasons="CD73 90 % < 95 %")
    "lot 'UC-9' failed release (CD73 90 % < 95 %); an infusion from it needs allow_unreleased=True (command line: --allow-unreleased)"
    >>> infusion_lot_refusal("UC-9", released=False, allow_unreleased=True) is None
    True
    """
    if released or allow_unreleased:
        return None
    why = f" ({release_reasons})" if release_reasons else ""
    return (f"lot {lot_number!r} failed release{why}; an infusion from it needs allow_unreleased=True "
            "(command line: --allow-unreleased)")


def planned_visit_values(infused_on: dt.date, *, patient_id: int, infusion_id: int,
                         schedule: tuple[VisitSpec, ...] = DEFAULT_SCHEDULE) -> list[dict[str, Any]]:
    """The ``visit`` rows planned from an infusion on ``infused_on`` (:func:`~mscreg.domain.protocol.plan_visits`).

    Examples
    --------
    >>> rows = planned_visit_values(dt.date(2024, 1, 10), patient_id=1, infusion_id=3)
    >>> len(rows), rows[0]["label"], rows[0]["planned_on"], rows[0]["status"]
    (7, 'M3', datetime.date(2024, 4, 10), 'planned')
    """
    return [{**v, "patient_id": patient_id, "infusion_id": infusion_id, "status": VisitStatus.PLANNED.value}
            for v in plan_visits(infused_on, schedule)]


def visit_attendance_values(*, actual_on: dt.date | None, status: VisitStatus = VisitStatus.DONE) -> dict[str, Any]:
    """The ``visit`` fields that record a planned visit as attended (or missed).

    Examples
    --------
    >>> visit_attendance_values(actual_on=dt.date(2024, 4, 12))
    {'actual_on': datetime.date(2024, 4, 12), 'status': 'done'}
    """
    return {"actual_on": actual_on, "status": VisitStatus(status).value}


def adverse_event_values(record: AdverseEventRecord, *, patient_id: int) -> dict[str, Any]:
    """The ``adverse_event`` row of an adverse-event record: ``serious`` = any ICH E2A criterion,
    ``seriousness`` = the criteria sorted and joined by commas.

    Examples
    --------
    >>> record = AdverseEventRecord(study_id="P1", term="pneumonia", onset_on="2024-02-01", ctcae_grade=3,
    ...                             seriousness={"medically-important", "hospitalisation"},
    ...                             relatedness="unlikely", outcome="recovered")
    >>> values = adverse_event_values(record, patient_id=1)
    >>> values["serious"], values["seriousness"], values["relatedness"]
    (True, 'hospitalisation,medically-important', 'unlikely')
    """
    values = record.model_dump(exclude={"study_id", "seriousness"})
    values = {k: (v.value if hasattr(v, "value") else v) for k, v in values.items()}
    return {**values, "patient_id": patient_id, "serious": record.serious,
            "seriousness": ",".join(sorted(s.value for s in record.seriousness))}


# ---------------------------------------------------------------------- look-ups


def patient_id(conn: Connection, study_id: str) -> int:
    """The registry id of the patient with ``study_id``; InputError when unknown.

    Examples
    --------
    >>> from mscreg.store import Registry
    >>> reg = Registry.create("sqlite://")
    >>> with reg.write(user="ana", reason="enrolment") as w:
    ...     _ = enrol_patient(w, PatientRecord(study_id="P1"))
    ...     patient_id(w.conn, "P1")
    1
    """
    found = conn.execute(select(Patient.id).where(Patient.study_id == study_id)).scalar_one_or_none()
    if found is None:
        raise InputError(f"patient {study_id!r} is not in the registry; enrol the patient first")
    return int(found)


def latest_visit_ids(conn: Connection, patient_ids: Iterable[int]) -> dict[tuple[int, str], int]:
    """``{(patient id, visit label): visit id}`` of these patients' planned visits; when two
    infusions planned the same label, the visit planned last.

    Examples
    --------
    >>> from mscreg.store import Registry
    >>> reg = Registry.create("sqlite://")
    >>> with reg.write(user="ana", reason="enrolment") as w:
    ...     pid = enrol_patient(w, PatientRecord(study_id="P1"))
    ...     _ = record_infusion(w, InfusionRecord(study_id="P1", infused_on="2024-01-10"))
    ...     ids = latest_visit_ids(w.conn, [pid])
    >>> len(ids), ids[(1, "M3")]
    (7, 1)
    """
    wanted = sorted(set(patient_ids))
    found: dict[tuple[int, str], int] = {}
    for start in range(0, len(wanted), 900):
        rows = conn.execute(select(Visit.patient_id, Visit.label, Visit.id)
                            .where(Visit.patient_id.in_(wanted[start:start + 900]))
                            .order_by(Visit.planned_on, Visit.id))
        found.update({(row.patient_id, row.label): row.id for row in rows})  # later planned_on overwrites
    return found


# ---------------------------------------------------------------------- write services


def add_site(writer: Writer, record: SiteRecord) -> int:
    """Add a study site; return its id.

    Examples
    --------
    >>> from mscreg.store import Registry
    >>> reg = Registry.create("sqlite://")
    >>> with reg.write(user="ana", reason="new site") as w:
    ...     add_site(w, SiteRecord(code="OHC", name="Omotesando Helene Clinic"))
    1
    """
    return writer.insert(Site, site_values(record))


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
    return writer.insert(Patient, patient_values(record, site_id=site_id))


def record_eligibility(writer: Writer, record: EligibilityRecord, *, hba1c_threshold: float = 6.2) -> int:
    """Screen a patient (:func:`~mscreg.domain.protocol.screen`) and store answers, result and reasons.

    Examples
    --------
    >>> from mscreg.store import Registry
    >>> reg = Registry.create("sqlite://")
    >>> with reg.write(user="ana", reason="screening") as w:
    ...     _ = enrol_patient(w, PatientRecord(study_id="P1"))
    ...     record_eligibility(w, EligibilityRecord(study_id="P1", assessed_on="2024-01-05", answers={}))
    1
    """
    return writer.insert(EligibilityAssessment, eligibility_values(record, patient_id=patient_id(writer.conn, record.study_id),
                                                                   hba1c_threshold=hba1c_threshold))


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
    return writer.insert(Lot, lot_values(record, criteria=criteria))


def record_infusion(writer: Writer, record: InfusionRecord, *, schedule: tuple[VisitSpec, ...] = DEFAULT_SCHEDULE,
                    allow_unreleased: bool = False) -> int:
    """Record an infusion and plan its follow-up visits (not for ``derived`` infusions).

    An infusion from a lot that failed release is refused unless ``allow_unreleased``.

    Examples
    --------
    >>> from mscreg.store import Registry
    >>> reg = Registry.create("sqlite://")
    >>> with reg.write(user="ana", reason="infusion") as w:
    ...     _ = enrol_patient(w, PatientRecord(study_id="P1"))
    ...     record_infusion(w, InfusionRecord(study_id="P1", infused_on="2024-01-10", cells_million=1000))
    1
    """
    pid = patient_id(writer.conn, record.study_id)
    lot_id = None
    if record.lot_number is not None:
        lot = writer.conn.execute(select(Lot.id, Lot.released, Lot.release_reasons)
                                  .where(Lot.lot_number == record.lot_number)).first()
        if lot is None:
            raise InputError(f"lot {record.lot_number!r} is not in the registry; add the lot first")
        refusal = infusion_lot_refusal(record.lot_number, released=lot.released, release_reasons=lot.release_reasons,
                                       allow_unreleased=allow_unreleased)
        if refusal is not None:
            raise InputError(refusal)
        lot_id = lot.id
    infusion_id = writer.insert(Infusion, infusion_values(record, patient_id=pid, lot_id=lot_id))
    if not record.derived:
        writer.insert_many(Visit, planned_visit_values(record.infused_on, patient_id=pid, infusion_id=infusion_id,
                                                       schedule=schedule))
    return infusion_id


def record_visit(writer: Writer, study_id: str, label: str, *, actual_on: dt.date | None,
                 status: VisitStatus = VisitStatus.DONE) -> int:
    """Record that a planned visit was attended (or missed); return the visit id.

    When two infusions planned a visit with this label, the one planned last is marked.

    Examples
    --------
    >>> from mscreg.store import Registry
    >>> reg = Registry.create("sqlite://")
    >>> with reg.write(user="ana", reason="infusion") as w:
    ...     _ = enrol_patient(w, PatientRecord(study_id="P1"))
    ...     _ = record_infusion(w, InfusionRecord(study_id="P1", infused_on="2024-01-10"))
    ...     record_visit(w, "P1", "M6", actual_on=dt.date(2024, 7, 12))
    2
    """
    pid = patient_id(writer.conn, study_id)
    visit_id = latest_visit_ids(writer.conn, [pid]).get((pid, label))
    if visit_id is None:
        raise InputError(f"patient {study_id!r} has no planned visit {label!r}")
    writer.update(Visit, visit_id, visit_attendance_values(actual_on=actual_on, status=status))
    return visit_id


def record_adverse_event(writer: Writer, record: AdverseEventRecord) -> int:
    """Record an adverse event (grade and seriousness stored separately).

    Examples
    --------
    >>> from mscreg.store import Registry
    >>> reg = Registry.create("sqlite://")
    >>> with reg.write(user="ana", reason="AE report") as w:
    ...     _ = enrol_patient(w, PatientRecord(study_id="P1"))
    ...     record_adverse_event(w, AdverseEventRecord(study_id="P1", term="fever", onset_on="2024-01-10",
    ...                                                ctcae_grade=1, relatedness="probable", outcome="recovered"))
    1
    """
    return writer.insert(AdverseEvent, adverse_event_values(record, patient_id=patient_id(writer.conn, record.study_id)))


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
