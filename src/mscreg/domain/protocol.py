"""The seed study's protocol as rules: visit schedule, eligibility, lot release, AE vocabulary.

Everything here is pure (no I/O) and parameterised; the defaults are the protocol of
Matsuoka et al. 2025 (``seed/matsuoka-2025-msc-t2dm-preprint.txt``, section 2):

* **Eligibility** (2.1): inclusion — confirmed type 2 diabetes, HbA1c ≥ 6.2 %, inadequate
  control on conventional therapy; exclusion — history of malignancy, active infection,
  autoimmune disease.
* **Infusion** (2): one intravenous infusion of 100 million to 2 billion MSCs from umbilical
  cord, bone marrow or adipose tissue, in normal saline over 30–60 minutes.
* **Follow-up** (2.4): 3, 6 and 12 months, then yearly up to 5 years.
* **Lot release**: ISCT minimal criteria (Dominici et al., Cytotherapy 2006;8:315):
  plastic adherence; ≥ 95 % CD105, CD73, CD90 positive; ≤ 2 % CD45, CD34, HLA-DR
  positive; trilineage differentiation. Product-specific criteria (viability, endotoxin,
  sterility, mycoplasma) are added per product through :class:`ReleaseCriteria`.
* **Adverse events**: CTCAE v5 grades 1–5; seriousness per ICH E2A (death,
  life-threatening, hospitalisation, persistent disability, congenital anomaly, other
  medically important event). Severity and seriousness are different axes.
* **Analytes**: LOINC codes, the unit mscreg stores each analyte in, the units accepted on
  entry and their conversions (:mod:`mscreg.domain.units`), plausible ranges
  (:mod:`mscreg.domain.limits`).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from mscreg.domain.limits import FASTING_GLUCOSE_MG_DL, HBA1C_NGSP, PlausibleRange
from mscreg.domain.units import glucose_mmol_l_to_mg_dl, hba1c_to_ngsp
from mscreg.errors import ConventionError

__all__ = [
    "ANALYTES",
    "CTCAE_GRADES",
    "DEFAULT_SCHEDULE",
    "ELIGIBILITY_CRITERIA",
    "ISCT_MINIMAL",
    "Analyte",
    "Criterion",
    "EligibilityResult",
    "LotQuality",
    "Outcome",
    "Relatedness",
    "ReleaseCriteria",
    "ReleaseDecision",
    "Seriousness",
    "VisitSpec",
    "VisitStatus",
    "add_months",
    "analyte_for",
    "plan_visits",
    "protocol_dose_ok",
    "release_decision",
    "screen",
    "visit_status",
]

# --------------------------------------------------------------------------- dates


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole calendar ``months`` (the day clamped to the month's length).

    Examples
    --------
    >>> add_months(dt.date(2024, 1, 31), 1)
    datetime.date(2024, 2, 29)
    >>> add_months(dt.date(2020, 5, 15), 60)
    datetime.date(2025, 5, 15)
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --------------------------------------------------------------------------- visits


class VisitStatus(StrEnum):
    """Status of a planned visit."""

    PLANNED = "planned"  #: not yet attended
    DONE = "done"  #: attended (an actual date is recorded)
    MISSED = "missed"  #: recorded as missed


@dataclass(frozen=True, kw_only=True)
class VisitSpec:
    """One scheduled visit: its label, months after the infusion and its window in days.

    Examples
    --------
    >>> v = VisitSpec(label="M3", months=3, window_before_days=14, window_after_days=14)
    >>> v.window(dt.date(2024, 1, 10))
    (datetime.date(2024, 3, 27), datetime.date(2024, 4, 10), datetime.date(2024, 4, 24))
    """

    label: str
    months: int
    window_before_days: int
    window_after_days: int

    def window(self, infusion_on: dt.date) -> tuple[dt.date, dt.date, dt.date]:
        """(window start, planned date, window end) for an infusion on ``infusion_on``."""
        planned = add_months(infusion_on, self.months)
        return (planned - dt.timedelta(days=self.window_before_days), planned,
                planned + dt.timedelta(days=self.window_after_days))


#: The seed protocol's follow-up: 3, 6, 12 months, then yearly to 5 years. Windows are
#: mscreg's choice (the paper gives none): ±14 days at 3 months, ±30 days at 6 and 12
#: months, ±60 days for the yearly visits.
DEFAULT_SCHEDULE: tuple[VisitSpec, ...] = (
    VisitSpec(label="M3", months=3, window_before_days=14, window_after_days=14),
    VisitSpec(label="M6", months=6, window_before_days=30, window_after_days=30),
    VisitSpec(label="M12", months=12, window_before_days=30, window_after_days=30),
    VisitSpec(label="Y2", months=24, window_before_days=60, window_after_days=60),
    VisitSpec(label="Y3", months=36, window_before_days=60, window_after_days=60),
    VisitSpec(label="Y4", months=48, window_before_days=60, window_after_days=60),
    VisitSpec(label="Y5", months=60, window_before_days=60, window_after_days=60),
)


def plan_visits(infusion_on: dt.date, schedule: tuple[VisitSpec, ...] = DEFAULT_SCHEDULE) -> list[dict[str, object]]:
    """The visits planned from an infusion date: label, planned date and window.

    Examples
    --------
    >>> [(v["label"], v["planned_on"].isoformat()) for v in plan_visits(dt.date(2024, 1, 15))][:3]
    [('M3', '2024-04-15'), ('M6', '2024-07-15'), ('M12', '2025-01-15')]
    """
    visits = []
    for spec in schedule:
        start, planned, end = spec.window(infusion_on)
        visits.append({"label": spec.label, "planned_on": planned, "window_start": start, "window_end": end})
    return visits


def visit_status(*, planned_on: dt.date, window_start: dt.date, window_end: dt.date, actual_on: dt.date | None,
                 status: str, as_of: dt.date) -> str:
    """Where a visit stands on ``as_of``: done, missed, upcoming, due or overdue.

    A visit is *due* while ``as_of`` lies inside its window and *overdue* once the window
    has closed without an actual date.

    Examples
    --------
    >>> kw = dict(planned_on=dt.date(2024, 4, 1), window_start=dt.date(2024, 3, 18),
    ...           window_end=dt.date(2024, 4, 15), actual_on=None, status="planned")
    >>> [visit_status(**kw, as_of=dt.date.fromisoformat(d)) for d in ("2024-03-01", "2024-04-01", "2024-05-01")]
    ['upcoming', 'due', 'overdue']
    """
    if status == VisitStatus.MISSED:
        return "missed"
    if actual_on is not None or status == VisitStatus.DONE:
        return "done"
    if as_of < window_start:
        return "upcoming"
    if as_of <= window_end:
        return "due"
    return "overdue"


# --------------------------------------------------------------------------- eligibility


@dataclass(frozen=True, kw_only=True)
class Criterion:
    """One eligibility criterion: a key, whether it includes or excludes, and its text."""

    key: str
    kind: str  # "inclusion" | "exclusion"
    text: str


#: The seed protocol's criteria (section 2.1). ``hba1c_at_least_threshold`` is decided from
#: the screening HbA1c when one is given.
ELIGIBILITY_CRITERIA: tuple[Criterion, ...] = (
    Criterion(key="t2dm_confirmed", kind="inclusion", text="confirmed diagnosis of type 2 diabetes"),
    Criterion(key="hba1c_at_least_threshold", kind="inclusion", text="HbA1c ≥ 6.2 % (NGSP)"),
    Criterion(key="inadequate_control", kind="inclusion",
              text="inadequate glycaemic control with conventional therapy"),
    Criterion(key="malignancy_history", kind="exclusion", text="history of malignancy"),
    Criterion(key="active_infection", kind="exclusion", text="active infection"),
    Criterion(key="autoimmune_disease", kind="exclusion", text="autoimmune disease"),
)


@dataclass(frozen=True, kw_only=True)
class EligibilityResult:
    """Outcome of screening one patient: eligible or not, and every reason why not."""

    eligible: bool
    reasons: tuple[str, ...]
    answers: dict[str, bool]


def screen(answers: Mapping[str, bool | None], *, screening_hba1c: float | None = None,
           hba1c_threshold: float = 6.2,
           criteria: tuple[Criterion, ...] = ELIGIBILITY_CRITERIA) -> EligibilityResult:
    """Screen a patient against the protocol's criteria.

    Parameters
    ----------
    answers : mapping of criterion key to bool or None
        ``True`` when the criterion's statement holds for the patient (an inclusion is met,
        an exclusion is present). ``None`` or absent means not assessed.
    screening_hba1c : float, optional
        Screening HbA1c in NGSP %; decides ``hba1c_at_least_threshold`` when given.
    hba1c_threshold : float
        Entry threshold (inclusive), 6.2 % in the seed protocol.

    Returns
    -------
    EligibilityResult
        Not eligible when an inclusion is unmet, an exclusion is present or any criterion
        is unanswered; ``reasons`` names each.

    Examples
    --------
    >>> ok = dict(t2dm_confirmed=True, inadequate_control=True, malignancy_history=False,
    ...           active_infection=False, autoimmune_disease=False)
    >>> screen(ok, screening_hba1c=7.1).eligible
    True
    >>> screen({**ok, "active_infection": True}, screening_hba1c=6.0).reasons
    ('inclusion not met: HbA1c ≥ 6.2 % (NGSP) (screening HbA1c 6 %)', 'exclusion present: active infection')
    """
    known = {c.key for c in criteria}
    unknown = sorted(set(answers) - known)
    if unknown:
        raise ConventionError(f"unknown eligibility criteria {unknown!r}; expected keys among {sorted(known)!r}")
    resolved: dict[str, bool | None] = {c.key: answers.get(c.key) for c in criteria}
    hba1c_note = ""
    if screening_hba1c is not None and "hba1c_at_least_threshold" in resolved:
        resolved["hba1c_at_least_threshold"] = screening_hba1c >= hba1c_threshold
        hba1c_note = f" (screening HbA1c {screening_hba1c:g} %)"
    reasons = []
    for c in criteria:
        value = resolved[c.key]
        note = hba1c_note if c.key == "hba1c_at_least_threshold" else ""
        if value is None:
            reasons.append(f"not assessed: {c.text}")
        elif c.kind == "inclusion" and not value:
            reasons.append(f"inclusion not met: {c.text}{note}")
        elif c.kind == "exclusion" and value:
            reasons.append(f"exclusion present: {c.text}")
    clean = {k: bool(v) for k, v in resolved.items() if v is not None}
    return EligibilityResult(eligible=not reasons, reasons=tuple(reasons), answers=clean)


def protocol_dose_ok(cells_million: float, *, low: float = 100.0, high: float = 2000.0) -> bool:
    """Whether a dose lies in the protocol's 100 million – 2 billion cells (ends included).

    Examples
    --------
    >>> protocol_dose_ok(2000), protocol_dose_ok(2500)
    (True, False)
    """
    return low <= cells_million <= high


# --------------------------------------------------------------------------- lot release


@dataclass(frozen=True, kw_only=True)
class LotQuality:
    """Quality-control results of one MSC lot (percentages are % of cells; None = not measured)."""

    cd73: float | None = None
    cd90: float | None = None
    cd105: float | None = None
    cd34: float | None = None
    cd45: float | None = None
    hla_dr: float | None = None
    viability: float | None = None
    endotoxin_eu_per_ml: float | None = None
    sterility: str | None = None  # "negative" | "positive"
    mycoplasma: str | None = None  # "negative" | "positive"
    plastic_adherent: bool | None = None
    trilineage: bool | None = None


@dataclass(frozen=True, kw_only=True)
class ReleaseCriteria:
    """Release criteria of one MSC product; ``None`` leaves a test out of the decision.

    Examples
    --------
    A product that also needs ≥ 80 % viability, ≤ 0.5 EU/mL endotoxin, sterile and
    mycoplasma-free:

    >>> strict = ReleaseCriteria(name="UC-MSC v2", min_viability=80, max_endotoxin_eu_per_ml=0.5,
    ...                          require_sterility=True, require_mycoplasma_negative=True)
    >>> strict.name, strict.min_positive
    ('UC-MSC v2', 95.0)
    """

    name: str
    min_positive: float | None = 95.0  #: CD73, CD90, CD105 each ≥ this %
    max_negative: float | None = 2.0  #: CD34, CD45, HLA-DR each ≤ this %
    require_plastic_adherence: bool = True
    require_trilineage: bool = True
    min_viability: float | None = None
    max_endotoxin_eu_per_ml: float | None = None
    require_sterility: bool = False
    require_mycoplasma_negative: bool = False


#: ISCT minimal criteria (Dominici 2006): the default release criteria.
ISCT_MINIMAL = ReleaseCriteria(name="ISCT minimal criteria (Dominici 2006)")


@dataclass(frozen=True, kw_only=True)
class ReleaseDecision:
    """Whether a lot may be released under ``criteria``, and every reason it may not."""

    released: bool
    criteria: str
    reasons: tuple[str, ...]


def release_decision(quality: LotQuality, criteria: ReleaseCriteria = ISCT_MINIMAL) -> ReleaseDecision:
    """Decide the release of one MSC lot; a required value that was not measured blocks release.

    Examples
    --------
    >>> good = LotQuality(cd73=99, cd90=98, cd105=97, cd34=0.5, cd45=0.4, hla_dr=0.3,
    ...                   plastic_adherent=True, trilineage=True)
    >>> release_decision(good).released
    True
    >>> release_decision(LotQuality(cd73=90, cd90=98, cd105=97, cd34=0.5, cd45=3.0, hla_dr=0.3,
    ...                             plastic_adherent=True, trilineage=True)).reasons
    ('CD73 90 % < 95 %', 'CD45 3 % > 2 %')
    """
    reasons: list[str] = []
    if criteria.min_positive is not None:
        for name, value in (("CD73", quality.cd73), ("CD90", quality.cd90), ("CD105", quality.cd105)):
            if value is None:
                reasons.append(f"{name} not measured")
            elif value < criteria.min_positive:
                reasons.append(f"{name} {value:g} % < {criteria.min_positive:g} %")
    if criteria.max_negative is not None:
        for name, value in (("CD34", quality.cd34), ("CD45", quality.cd45), ("HLA-DR", quality.hla_dr)):
            if value is None:
                reasons.append(f"{name} not measured")
            elif value > criteria.max_negative:
                reasons.append(f"{name} {value:g} % > {criteria.max_negative:g} %")
    if criteria.require_plastic_adherence and quality.plastic_adherent is not True:
        reasons.append("plastic adherence not shown")
    if criteria.require_trilineage and quality.trilineage is not True:
        reasons.append("trilineage differentiation not shown")
    if criteria.min_viability is not None:
        if quality.viability is None:
            reasons.append("viability not measured")
        elif quality.viability < criteria.min_viability:
            reasons.append(f"viability {quality.viability:g} % < {criteria.min_viability:g} %")
    if criteria.max_endotoxin_eu_per_ml is not None:
        if quality.endotoxin_eu_per_ml is None:
            reasons.append("endotoxin not measured")
        elif quality.endotoxin_eu_per_ml > criteria.max_endotoxin_eu_per_ml:
            reasons.append(f"endotoxin {quality.endotoxin_eu_per_ml:g} EU/mL > {criteria.max_endotoxin_eu_per_ml:g} EU/mL")
    if criteria.require_sterility and quality.sterility != "negative":
        reasons.append(f"sterility test {quality.sterility or 'not done'} (needs 'negative')")
    if criteria.require_mycoplasma_negative and quality.mycoplasma != "negative":
        reasons.append(f"mycoplasma test {quality.mycoplasma or 'not done'} (needs 'negative')")
    return ReleaseDecision(released=not reasons, criteria=criteria.name, reasons=tuple(reasons))


# --------------------------------------------------------------------------- adverse events

#: CTCAE v5 grade names.
CTCAE_GRADES: dict[int, str] = {1: "mild", 2: "moderate", 3: "severe", 4: "life-threatening", 5: "death"}


class Seriousness(StrEnum):
    """ICH E2A seriousness criteria (any one makes an adverse event serious)."""

    DEATH = "death"
    LIFE_THREATENING = "life-threatening"
    HOSPITALISATION = "hospitalisation"
    DISABILITY = "persistent-disability"
    CONGENITAL_ANOMALY = "congenital-anomaly"
    MEDICALLY_IMPORTANT = "medically-important"


class Relatedness(StrEnum):
    """Relationship of an adverse event to the MSC infusion."""

    NOT_RELATED = "not-related"
    UNLIKELY = "unlikely"
    POSSIBLE = "possible"
    PROBABLE = "probable"
    DEFINITE = "definite"


class Outcome(StrEnum):
    """Outcome of an adverse event."""

    RECOVERED = "recovered"
    RECOVERING = "recovering"
    NOT_RECOVERED = "not-recovered"
    RECOVERED_WITH_SEQUELAE = "recovered-with-sequelae"
    FATAL = "fatal"
    UNKNOWN = "unknown"


# --------------------------------------------------------------------------- analytes


@dataclass(frozen=True, kw_only=True)
class Analyte:
    """A laboratory analyte: LOINC code, stored unit, accepted units and limits.

    ``units`` maps each accepted unit (as written, compared case-insensitively) to the
    function converting a value in that unit to the stored unit.
    """

    loinc: str
    name: str
    short: str
    sdtm_testcd: str
    unit: str
    units: Mapping[str, Callable[[float], float]] = field(default_factory=dict)
    limits: PlausibleRange | None = None

    def normalise(self, value: float, unit: str) -> float:
        """``value`` in ``unit`` converted to :attr:`unit`; ConventionError for an unknown unit.

        Examples
        --------
        >>> round(ANALYTES["4548-4"].normalise(53.0, "mmol/mol"), 3)
        7.0
        """
        convert = self.units.get(unit.strip().lower())
        if convert is None:
            raise ConventionError(f"unit {unit!r} is not accepted for {self.name} (LOINC {self.loinc}); "
                                  f"expected one of {', '.join(repr(u) for u in self.units)}")
        return convert(value)


def _same(value: float) -> float:
    return float(value)


def _ifcc(value: float) -> float:
    return float(hba1c_to_ngsp(value, "ifcc"))


def _jds(value: float) -> float:
    return float(hba1c_to_ngsp(value, "jds"))


def _mmol(value: float) -> float:
    return float(glucose_mmol_l_to_mg_dl(value))


_HBA1C_UNITS = {"%": _same, "% (ngsp)": _same, "%{ngsp}": _same, "mmol/mol": _ifcc, "% (jds)": _jds, "%{jds}": _jds}

#: The analytes of the seed protocol by LOINC code (DESIGN.md). HbA1c is stored in NGSP %,
#: glucose in mg/dL.
ANALYTES: dict[str, Analyte] = {
    a.loinc: a
    for a in (
        Analyte(loinc="4548-4", name="Hemoglobin A1c/Hemoglobin.total in Blood", short="hba1c",
                sdtm_testcd="HBA1CHGB", unit="%", units=_HBA1C_UNITS, limits=HBA1C_NGSP),
        Analyte(loinc="17856-6", name="Hemoglobin A1c/Hemoglobin.total in Blood by HPLC", short="hba1c_hplc",
                sdtm_testcd="HBA1CHGB", unit="%", units=_HBA1C_UNITS, limits=HBA1C_NGSP),
        Analyte(loinc="59261-8", name="Hemoglobin A1c/Hemoglobin.total in Blood by IFCC protocol", short="hba1c_ifcc",
                sdtm_testcd="HBA1CHGB", unit="%", units=_HBA1C_UNITS, limits=HBA1C_NGSP),
        Analyte(loinc="1558-6", name="Fasting glucose [Mass/volume] in Serum or Plasma", short="fasting_glucose",
                sdtm_testcd="GLUC", unit="mg/dL", units={"mg/dl": _same, "mmol/l": _mmol},
                limits=FASTING_GLUCOSE_MG_DL),
        Analyte(loinc="1986-9", name="C peptide [Mass/volume] in Serum or Plasma", short="c_peptide",
                sdtm_testcd="CPEPTIDE", unit="ng/mL", units={"ng/ml": _same}),
        Analyte(loinc="1988-5", name="C reactive protein [Mass/volume] in Serum or Plasma", short="crp",
                sdtm_testcd="CRP", unit="mg/L", units={"mg/l": _same, "mg/dl": lambda v: float(v) * 10.0}),
        Analyte(loinc="30522-7", name="C reactive protein [Mass/volume] in Serum or Plasma by High sensitivity method",
                short="hs_crp", sdtm_testcd="CRPHS", unit="mg/L", units={"mg/l": _same}),
        Analyte(loinc="26881-3", name="Interleukin 6 [Mass/volume] in Serum or Plasma", short="il6",
                sdtm_testcd="IL6", unit="pg/mL", units={"pg/ml": _same}),
        Analyte(loinc="3074-2", name="Tumor necrosis factor.alpha [Mass/volume] in Serum or Plasma", short="tnf_alpha",
                sdtm_testcd="TNFA", unit="pg/mL", units={"pg/ml": _same}),
    )
}

_BY_SHORT = {a.short: a for a in ANALYTES.values()}


def analyte_for(code: str) -> Analyte:
    """The analyte named by a LOINC code or a short name (``hba1c``, ``fasting_glucose`` …).

    Examples
    --------
    >>> analyte_for("HbA1c").loinc, analyte_for("1558-6").unit
    ('4548-4', 'mg/dL')
    """
    key = code.strip()
    found = ANALYTES.get(key) or _BY_SHORT.get(key.lower())
    if found is None:
        raise ConventionError(f"analyte {code!r} is not known; expected a LOINC code among "
                              f"{', '.join(ANALYTES)} or a short name among {', '.join(_BY_SHORT)}")
    return found
