"""Exports of the registry: the analysis table, CDISC SDTM-shaped domains, a de-identified set.

* :func:`export_analysis_table` — ``analysis_table.csv``, the analysis-table columns of a
  table built by :func:`mscreg.cohort.registry.table_from_registry` (re-loadable by
  ``mscreg analyze --data``).
* :func:`export_sdtm` — ``DM.csv``, ``EX.csv`` (MSC lot in ``EXLOT``), ``LB.csv``
  (``LBTESTCD`` HBA1CHGB, GLUC …, ``LBLOINC``), ``AE.csv`` (``AETOXGR`` = CTCAE grade,
  ``AESER`` and the ICH E2A flags ``AESDTH``/``AESLIFE``/``AESHOSP``/``AESDISAB``/
  ``AESCONG``/``AESMIE``). SDTM-*shaped*: variable names and codes follow SDTM, but there is
  no define.xml and no conformance check. Synthetic dates (``derived``) are left empty.
* :func:`export_deidentified` — HIPAA Safe Harbor (45 CFR 164.514(b)(2)): study ids
  replaced by random codes (the key is not exported), no site, no free text, every date
  reduced to its year (synthetic dates dropped), ages over 89 shown as "90 or older" and
  their birth year removed.
"""

from __future__ import annotations

import csv
import random
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mscreg.domain.protocol import ANALYTES
from mscreg.errors import InputFileError
from mscreg.store.models import AdverseEvent, Infusion, Lot, Measurement, Patient, Site, Visit
from mscreg.store.writer import Registry

__all__ = ["SDTM_STUDYID", "export_analysis_table", "export_deidentified", "export_sdtm"]

#: Default STUDYID of SDTM exports.
SDTM_STUDYID = "MSCREG"


def _out(out_dir: str | Path) -> Path:
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputFileError(f"{folder}: cannot create the output folder ({error.strerror})") from None
    return folder


def _write(path: Path, header: list[str], rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if row.get(k) is None else row[k]) for k in header})
    return path


def export_analysis_table(table: Any, out_dir: str | Path) -> Path:
    """Write ``analysis_table.csv``: the source columns of an analysis table (derived ones left out).

    ``table`` is an :class:`~mscreg.cohort.table.AnalysisTable`, e.g. from
    :func:`mscreg.cohort.registry.table_from_registry`; the file re-loads with
    ``mscreg analyze --data``.
    """
    names = [c for c in table.frame.columns if c not in ("change", "reduction")]
    path = _out(out_dir) / "analysis_table.csv"
    table.frame[names].to_csv(path, index=False, lineterminator="\n")
    return path


def _first_infusions(conn: Any) -> dict[int, Any]:
    first: dict[int, Any] = {}
    for row in conn.execute(select(Infusion).order_by(Infusion.infused_on, Infusion.id)).scalars():
        first.setdefault(row.patient_id, row)
    return first


def export_sdtm(registry: Registry, out_dir: str | Path, *, studyid: str = SDTM_STUDYID) -> list[Path]:
    """Write SDTM-shaped ``DM.csv``, ``EX.csv``, ``LB.csv`` and ``AE.csv``; return their paths.

    Examples
    --------
    >>> import tempfile
    >>> from mscreg.domain.records import PatientRecord
    >>> from mscreg.store.services import enrol_patient
    >>> reg = Registry.create("sqlite://")
    >>> with reg.write(user="ana", reason="enrolment") as w:
    ...     _ = enrol_patient(w, PatientRecord(study_id="P1", sex="F", birth_year=1960))
    >>> [p.name for p in export_sdtm(reg, tempfile.mkdtemp())]
    ['DM.csv', 'EX.csv', 'LB.csv', 'AE.csv']
    """
    folder = _out(out_dir)
    with Session(registry.engine) as conn:
        patients = {p.id: p for p in conn.execute(select(Patient).order_by(Patient.id)).scalars()}
        sites = {s.id: s.code for s in conn.execute(select(Site)).scalars()}
        lots = {lot.id: lot.lot_number for lot in conn.execute(select(Lot)).scalars()}
        visits = {v.id: v.label for v in conn.execute(select(Visit)).scalars()}
        first = _first_infusions(conn)
        usubjid = {pid: f"{studyid}-{p.study_id}" for pid, p in patients.items()}
        dm = []
        for pid, p in patients.items():
            inf = first.get(pid)
            age = inf.infused_on.year - p.birth_year if inf is not None and p.birth_year is not None else None
            dm.append({"STUDYID": studyid, "DOMAIN": "DM", "USUBJID": usubjid[pid], "SUBJID": p.study_id,
                       "SITEID": sites.get(p.site_id), "BRTHDTC": p.birth_year, "AGE": age,
                       "AGEU": "YEARS" if age is not None else None, "SEX": p.sex or "U",
                       "RFSTDTC": inf.infused_on.isoformat() if inf is not None and not inf.derived else None,
                       "ARMCD": "MSC" if inf is not None else "NOTTRT",
                       "ARM": "Single IV MSC infusion" if inf is not None else "Not treated"})
        ex = []
        seq: dict[int, int] = {}
        for inf in conn.execute(select(Infusion).order_by(Infusion.patient_id, Infusion.infused_on)).scalars():
            seq[inf.patient_id] = seq.get(inf.patient_id, 0) + 1
            day = None if inf.derived else inf.infused_on.isoformat()
            ex.append({"STUDYID": studyid, "DOMAIN": "EX", "USUBJID": usubjid[inf.patient_id], "EXSEQ": seq[inf.patient_id],
                       "EXTRT": "MESENCHYMAL STEM CELLS", "EXDOSE": inf.cells_million, "EXDOSU": "10^6 cells",
                       "EXDOSFRM": "SUSPENSION", "EXROUTE": "INTRAVENOUS", "EXLOT": lots.get(inf.lot_id),
                       "EXSTDTC": day, "EXENDTC": day})
        lb = []
        seq = {}
        for m in conn.execute(select(Measurement).order_by(Measurement.patient_id, Measurement.measured_on,
                                                           Measurement.loinc)).scalars():
            seq[m.patient_id] = seq.get(m.patient_id, 0) + 1
            analyte = ANALYTES.get(m.loinc)
            inf = first.get(m.patient_id)
            study_day = None
            if inf is not None and not m.derived:
                delta = (m.measured_on - inf.infused_on).days
                study_day = delta + 1 if delta >= 0 else delta
            lb.append({"STUDYID": studyid, "DOMAIN": "LB", "USUBJID": usubjid[m.patient_id], "LBSEQ": seq[m.patient_id],
                       "LBTESTCD": analyte.sdtm_testcd if analyte else m.loinc, "LBTEST": analyte.name if analyte else None,
                       "LBLOINC": m.loinc, "LBORRES": m.value_entered, "LBORRESU": m.unit_entered,
                       "LBSTRESC": repr(m.value), "LBSTRESN": m.value, "LBSTRESU": m.unit,
                       "LBDTC": None if m.derived else m.measured_on.isoformat(), "LBDY": study_day,
                       "VISIT": visits.get(m.visit_id), "LBDRVFL": "Y" if m.derived else None,
                       "LBREVFL": "Y" if m.flags else None})
        ae = []
        seq = {}
        for a in conn.execute(select(AdverseEvent).order_by(AdverseEvent.patient_id, AdverseEvent.onset_on)).scalars():
            seq[a.patient_id] = seq.get(a.patient_id, 0) + 1
            criteria = set(filter(None, a.seriousness.split(",")))

            def yn(name: str) -> str:
                return "Y" if name in criteria else "N"  # noqa: B023 - used immediately

            ae.append({"STUDYID": studyid, "DOMAIN": "AE", "USUBJID": usubjid[a.patient_id], "AESEQ": seq[a.patient_id],
                       "AETERM": a.term, "AESTDTC": a.onset_on.isoformat(),
                       "AEENDTC": a.end_on.isoformat() if a.end_on else None, "AETOXGR": a.ctcae_grade,
                       "AESER": "Y" if a.serious else "N", "AESDTH": yn("death"), "AESLIFE": yn("life-threatening"),
                       "AESHOSP": yn("hospitalisation"), "AESDISAB": yn("persistent-disability"),
                       "AESCONG": yn("congenital-anomaly"), "AESMIE": yn("medically-important"),
                       "AEREL": a.relatedness.upper(), "AEOUT": a.outcome.upper()})
    return [
        _write(folder / "DM.csv", ["STUDYID", "DOMAIN", "USUBJID", "SUBJID", "SITEID", "BRTHDTC", "AGE", "AGEU", "SEX",
                                   "RFSTDTC", "ARMCD", "ARM"], dm),
        _write(folder / "EX.csv", ["STUDYID", "DOMAIN", "USUBJID", "EXSEQ", "EXTRT", "EXDOSE", "EXDOSU", "EXDOSFRM",
                                   "EXROUTE", "EXLOT", "EXSTDTC", "EXENDTC"], ex),
        _write(folder / "LB.csv", ["STUDYID", "DOMAIN", "USUBJID", "LBSEQ", "LBTESTCD", "LBTEST", "LBLOINC", "LBORRES",
                                   "LBORRESU", "LBSTRESC", "LBSTRESN", "LBSTRESU", "LBDTC", "LBDY", "VISIT", "LBDRVFL",
                                   "LBREVFL"], lb),
        _write(folder / "AE.csv", ["STUDYID", "DOMAIN", "USUBJID", "AESEQ", "AETERM", "AESTDTC", "AEENDTC", "AETOXGR",
                                   "AESER", "AESDTH", "AESLIFE", "AESHOSP", "AESDISAB", "AESCONG", "AESMIE", "AEREL",
                                   "AEOUT"], ae),
    ]


def safe_harbor_age(age: int | None) -> int | str | None:
    """Age as Safe Harbor allows it: over 89 becomes "90 or older".

    Examples
    --------
    >>> safe_harbor_age(89), safe_harbor_age(90), safe_harbor_age(None)
    (89, '90 or older', None)
    """
    if age is None:
        return None
    return "90 or older" if age > 89 else age


def export_deidentified(registry: Registry, out_dir: str | Path, *, seed: int | None = None) -> list[Path]:
    """Write a HIPAA Safe Harbor de-identified set: ``patients.csv``, ``measurements.csv``, ``adverse_events.csv``.

    ``seed`` makes the random subject codes reproducible (default: fresh randomness, so the
    codes cannot be linked back without the registry).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from mscreg.domain.records import PatientRecord, InfusionRecord
    >>> from mscreg.store.services import enrol_patient, record_infusion
    >>> reg = Registry.create("sqlite://")
    >>> with reg.write(user="ana", reason="enrolment") as w:
    ...     _ = enrol_patient(w, PatientRecord(study_id="P1", sex="M", birth_year=1930))
    ...     _ = record_infusion(w, InfusionRecord(study_id="P1", infused_on="2022-05-03", cells_million=1000))
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> _ = export_deidentified(reg, out, seed=1)
    >>> print((out / "patients.csv").read_text().strip())
    subject,sex,birth_year,age_at_infusion,infusion_year,dose_million,diagnosis_year
    D0001,M,,90 or older,2022,1000.0,
    """
    folder = _out(out_dir)
    rng = random.Random(seed if seed is not None else secrets.randbits(64))
    with Session(registry.engine) as conn:
        patients = list(conn.execute(select(Patient).order_by(Patient.id)).scalars())
        order = list(range(1, len(patients) + 1))
        rng.shuffle(order)
        code = {p.id: f"D{n:04d}" for p, n in zip(patients, order)}
        first = _first_infusions(conn)
        prow = []
        for p in patients:
            inf = first.get(p.id)
            age = inf.infused_on.year - p.birth_year if inf is not None and p.birth_year is not None else None
            over = age is not None and age > 89
            prow.append({"subject": code[p.id], "sex": p.sex, "birth_year": None if over else p.birth_year,
                         "age_at_infusion": safe_harbor_age(age),
                         "infusion_year": inf.infused_on.year if inf is not None and not inf.derived else None,
                         "dose_million": inf.cells_million if inf is not None else None,
                         "diagnosis_year": p.diagnosis_year})
        prow.sort(key=lambda r: r["subject"])
        mrow = [{"subject": code[m.patient_id], "loinc": m.loinc, "value": m.value, "unit": m.unit,
                 "year": None if m.derived else m.measured_on.year,
                 "months_after_infusion": _months(m, first.get(m.patient_id)), "flag": m.flags}
                for m in conn.execute(select(Measurement)).scalars()]
        mrow.sort(key=lambda r: (r["subject"], r["loinc"], r["months_after_infusion"] if r["months_after_infusion"] is not None else -1e9))
        arow = [{"subject": code[a.patient_id], "term": a.term, "onset_year": a.onset_on.year,
                 "ctcae_grade": a.ctcae_grade, "serious": "Y" if a.serious else "N", "seriousness": a.seriousness,
                 "relatedness": a.relatedness, "outcome": a.outcome}
                for a in conn.execute(select(AdverseEvent)).scalars()]
        arow.sort(key=lambda r: (r["subject"], r["onset_year"]))
    return [
        _write(folder / "patients.csv", ["subject", "sex", "birth_year", "age_at_infusion", "infusion_year",
                                         "dose_million", "diagnosis_year"], prow),
        _write(folder / "measurements.csv", ["subject", "loinc", "value", "unit", "year", "months_after_infusion", "flag"], mrow),
        _write(folder / "adverse_events.csv", ["subject", "term", "onset_year", "ctcae_grade", "serious", "seriousness",
                                               "relatedness", "outcome"], arow),
    ]


def _months(m: Any, inf: Any) -> float | None:
    if m.months_after_infusion is not None:
        return round(m.months_after_infusion, 1)
    if inf is None:
        return None
    return round((m.measured_on - inf.infused_on).days / 30.4375, 1)
