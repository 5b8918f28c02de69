"""Import a FHIR R4 Bundle of Patient and Observation resources (JSON).

Resources are validated with ``fhir.resources`` (its R4B models, which match R4 for
Patient and Observation). Problems are reported per bundle entry: ``row`` is the 1-based
entry number and ``field`` the path inside the resource (``valueQuantity.value``).

* **Patient** → registry patient. Study id = the first ``identifier.value`` (else the
  resource ``id``); ``gender`` male/female → sex M/F (other/unknown → empty); ``birthDate``
  → birth year only. Names, addresses, telecom and full birth dates are never stored (a
  warning says which were left out).
* **Observation** → measurement. ``code.coding`` must carry a LOINC code of
  :data:`mscreg.domain.protocol.ANALYTES` (system ``http://loinc.org``); ``valueQuantity``
  value with a UCUM ``code`` (or ``unit``) accepted for the analyte; the date is
  ``effectiveDateTime`` (or ``effectivePeriod.start``), its calendar date as written;
  ``subject`` a reference ``Patient/<id>``, a bundle ``fullUrl`` or ``Patient?identifier=``.
  Observations with status ``entered-in-error`` or ``cancelled`` are skipped with a warning.

Like every importer: one transaction, idempotent (patients match on study id,
measurements on patient + LOINC + date), ``dry_run``, every problem reported.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from mscreg.domain.protocol import ANALYTES
from mscreg.errors import DataValidationError, InputFileError, RowProblem
from mscreg.io._sync import apply_plan, check_value, link_visits, plan_sync
from mscreg.io.report import ImportReport, Progress
from mscreg.store.models import Measurement, Patient, Visit
from mscreg.store.writer import Registry

__all__ = ["import_fhir"]

_LOINC = "http://loinc.org"
_SKIP_STATUS = {"entered-in-error", "cancelled"}
_IDENTIFYING = ("name", "telecom", "address", "photo", "contact")


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _validation_problems(source: str, entry: int, error: ValidationError) -> list[RowProblem]:
    found = []
    for item in error.errors():
        value = item.get("input")
        shown = value if isinstance(value, (str, int, float, type(None))) else json.dumps(value, default=str)[:80]
        found.append(RowProblem(source, entry, _path(item["loc"]) or None, shown, item["msg"]))
    return found


def _load(path: Path) -> tuple[dict[str, Any], str]:
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    data = path.read_bytes()
    if not data.strip():
        raise InputFileError(f"{path}: the file is empty; expected a FHIR R4 Bundle (JSON)")
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise InputFileError(f"{path}: not UTF-8 text (byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise DataValidationError([RowProblem(str(path), None, None, None,
                                              f"not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}); "
                                              "is the file truncated?")]) from None
    if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
        kind = document.get("resourceType") if isinstance(document, dict) else type(document).__name__
        raise DataValidationError([RowProblem(str(path), None, "resourceType", kind, "expected a FHIR Bundle")])
    return document, hashlib.sha256(data).hexdigest()


def _nul_strings(value: Any, where: str = "") -> list[tuple[str, str]]:
    """(path, text) of every string in a JSON value that contains a NUL character.

    Examples
    --------
    >>> _nul_strings({"identifier": [{"value": "S\\x001"}], "id": "p1"})
    [('identifier.0.value', 'S\\x001')]
    """
    if isinstance(value, str):
        return [(where, value)] if "\x00" in value else []
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return []
    return [found for key, item in items for found in _nul_strings(item, f"{where}.{key}" if where else str(key))]


def _parse(document: dict[str, Any], source: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[RowProblem], list[RowProblem]]:
    from fhir.resources.R4B.observation import Observation
    from fhir.resources.R4B.patient import Patient as FhirPatient

    problems: list[RowProblem] = []
    warnings: list[RowProblem] = []
    entries = document.get("entry") or []
    if not isinstance(entries, list):
        return [], [], [RowProblem(source, None, "entry", None, "expected a list of bundle entries")], []
    patients: dict[str, dict[str, Any]] = {}
    refs: dict[str, str] = {}
    observations: list[tuple[int, Any]] = []
    for number, entry in enumerate(entries, start=1):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            problems.append(RowProblem(source, number, "resource", None, "bundle entry has no resource"))
            continue
        kind = resource.get("resourceType")
        nul = _nul_strings(resource)
        if nul:  # no database stores a NUL as text (PostgreSQL refuses it)
            problems += [RowProblem(source, number, where, text.replace("\x00", "\\x00"), "contains a NUL character")
                         for where, text in nul]
            continue
        try:
            if kind == "Patient":
                patient = FhirPatient.model_validate(resource)
            elif kind == "Observation":
                observations.append((number, Observation.model_validate(resource)))
                continue
            else:
                problems.append(RowProblem(source, number, "resourceType", kind, "unsupported resource; expected Patient or Observation"))
                continue
        except ValidationError as error:
            problems.extend(_validation_problems(source, number, error))
            continue
        study_id = next((i.value for i in (patient.identifier or []) if i.value), None) or patient.id
        if not study_id:
            problems.append(RowProblem(source, number, "identifier", None, "Patient has neither identifier.value nor id; expected a study id"))
            continue
        if study_id in patients:
            problems.append(RowProblem(source, number, "identifier", study_id, f"duplicate Patient; first in entry {patients[study_id]['_row']}"))
            continue
        left_out = [name for name in _IDENTIFYING if getattr(patient, name, None)]
        if patient.birthDate is not None and len(str(resource.get("birthDate", ""))) > 4:
            left_out.append("birthDate (only the year is kept)")
        if left_out:
            warnings.append(RowProblem(source, number, ", ".join(left_out), None, "direct identifiers not imported (HIPAA Safe Harbor)"))
        sex = {"male": "M", "female": "F"}.get(patient.gender or "")
        birth_year = int(str(resource["birthDate"])[:4]) if resource.get("birthDate") else None
        patients[study_id] = {"study_id": study_id, "sex": sex, "birth_year": birth_year, "diagnosis_year": None, "_row": number}
        for ref in (f"Patient/{patient.id}" if patient.id else None, entry.get("fullUrl")):
            if ref:
                refs[ref] = study_id
        for ident in patient.identifier or []:
            if ident.value:
                refs[f"Patient?identifier={ident.system}|{ident.value}" if ident.system else f"Patient?identifier={ident.value}"] = study_id
    measurements: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, dt.date], int] = {}
    for number, obs in observations:
        if obs.status in _SKIP_STATUS:
            warnings.append(RowProblem(source, number, "status", obs.status, "Observation skipped"))
            continue
        reference = obs.subject.reference if obs.subject is not None else None
        study_id = refs.get(reference or "")
        if study_id is None:
            problems.append(RowProblem(source, number, "subject.reference", reference,
                                       "does not name a Patient of this bundle; expected 'Patient/<id>' or a Patient entry's fullUrl"))
            continue
        codes = [c.code for c in (obs.code.coding or []) if c.system == _LOINC and c.code]
        analyte = next((ANALYTES[c] for c in codes if c in ANALYTES), None)
        if analyte is None:
            problems.append(RowProblem(source, number, "code.coding", ", ".join(codes) or None,
                                       f"no known LOINC code (system {_LOINC}); expected one of {', '.join(ANALYTES)}"))
            continue
        quantity = obs.valueQuantity
        if quantity is None or quantity.value is None:
            problems.append(RowProblem(source, number, "valueQuantity", None, "Observation has no valueQuantity.value"))
            continue
        unit = quantity.code or quantity.unit or ""
        raw = resource_when(obs)
        if raw is None:
            problems.append(RowProblem(source, number, "effectiveDateTime", None, "Observation has no effective date"))
            continue
        if len(raw) < 10:
            problems.append(RowProblem(source, number, "effectiveDateTime", raw, "partial date; expected at least YYYY-MM-DD"))
            continue
        day = dt.date.fromisoformat(raw[:10])
        if day > dt.date.today():
            problems.append(RowProblem(source, number, "effectiveDateTime", raw, "date is in the future"))
            continue
        number_value = float(quantity.value)
        value, flags, problem, warning = check_value(analyte, number_value, unit, file=source, row=number,
                                                     field_name="valueQuantity.value", shown=str(quantity.value))
        if problem is not None:
            problems.append(problem if problem.column != "unit" else RowProblem(source, number, "valueQuantity.code", unit, problem.message))
            continue
        if warning is not None:
            warnings.append(warning)
        key = (study_id, analyte.loinc, day)
        if key in seen:
            problems.append(RowProblem(source, number, "effectiveDateTime", raw, f"duplicate: {analyte.loinc} for "
                                       f"patient {study_id!r} on this date is already in entry {seen[key]}"))
            continue
        seen[key] = number
        measurements.append({"study_id": study_id, "loinc": analyte.loinc, "value_entered": str(quantity.value)[:40],
                             "unit_entered": unit[:20], "value": value, "unit": analyte.unit, "measured_on": day,
                             "months_after_infusion": None, "derived": False, "flags": flags})
    return list(patients.values()), measurements, problems, warnings


def resource_when(obs: Any) -> str | None:
    """The effective date of an Observation as written (``effectiveDateTime`` or period start)."""
    when = obs.effectiveDateTime or (obs.effectivePeriod.start if obs.effectivePeriod is not None else None)
    if when is None:
        return None
    return when.isoformat() if isinstance(when, (dt.date, dt.datetime)) else str(when)


def import_fhir(registry: Registry, path: str | Path, *, user: str, reason: str | None = None, dry_run: bool = False,
                progress: Progress | None = None) -> ImportReport:
    """Import a FHIR R4 Bundle (Patient + Observation) in one transaction.

    Raises
    ------
    mscreg.errors.InputFileError
        Missing, empty or non-UTF-8 file.
    mscreg.errors.DataValidationError
        Invalid JSON (line and column named), not a Bundle, or any invalid entry.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
    ...   {"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Patient", "id": "p1",
    ...     "identifier": [{"value": "S1"}], "gender": "female", "birthDate": "1961"}},
    ...   {"resource": {"resourceType": "Observation", "status": "final",
    ...     "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]},
    ...     "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2024-03-01",
    ...     "valueQuantity": {"value": 58, "unit": "mmol/mol", "system": "http://unitsofmeasure.org", "code": "mmol/mol"}}}]}
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "b.json"
    >>> _ = f.write_text(json.dumps(bundle))
    >>> import_fhir(Registry.create("sqlite://"), f, user="ana").inserted
    {'patient': 1, 'measurement': 1, 'visit': 0}
    """
    path = Path(path)
    document, digest = _load(path)
    source = str(path)
    patients, measurements, problems, warnings = _parse(document, source)
    if problems:
        raise DataValidationError(problems)
    if not patients and not measurements:
        raise InputFileError(f"{source}: the bundle has no Patient or Observation entries")

    def run(conn, writer) -> ImportReport:  # type: ignore[no-untyped-def]
        p_plan = plan_sync(conn, Patient.__table__, [{k: v for k, v in p.items() if k != "_row"} for p in patients],
                           key=("study_id",), filter_column="study_id")
        if writer is not None:
            apply_plan(writer, Patient.__table__, p_plan, key=("study_id",))
        ids = dict(conn.execute(select(Patient.study_id, Patient.id)).all())
        rows = [{k: v for k, v in m.items() if k != "study_id"} | {"patient_id": ids.get(m["study_id"])} for m in measurements]
        m_plan = plan_sync(conn, Measurement.__table__, rows, key=("patient_id", "loinc", "measured_on"),
                           filter_column="patient_id")
        attended = link_visits(conn, m_plan.inserts)
        if writer is not None:
            apply_plan(writer, Measurement.__table__, m_plan, key=("patient_id", "loinc", "measured_on"), progress=progress)
            for visit_id, values in attended.items():
                writer.update(Visit, visit_id, values)
        return ImportReport(kind="fhir", file=source, sha256=digest, dry_run=writer is None, rows=len(patients) + len(measurements),
                            inserted={"patient": len(p_plan.inserts), "measurement": len(m_plan.inserts), "visit": 0},
                            updated={"patient": len(p_plan.updates), "measurement": len(m_plan.updates), "visit": len(attended)},
                            unchanged={"patient": p_plan.unchanged, "measurement": m_plan.unchanged}, warnings=tuple(warnings))

    if dry_run:
        with registry.engine.connect() as conn:
            return run(conn, None)
    with registry.write(user=user, reason=reason or f"import of FHIR bundle {path.name}") as writer:
        return run(writer.conn, writer)
