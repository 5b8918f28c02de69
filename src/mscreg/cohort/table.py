"""The analysis table: one row per patient, the seam between data and statistics.

Its columns are declared once, in :data:`COLUMNS`; the loader, the validation, the CLI
help and ``docs/analysis-table.md`` all follow from that declaration (a test checks the
docs). Files are CSV (UTF-8, with or without BOM) or XLSX (first sheet unless one is
named). Every cell is validated and every problem of the file is reported in one
:class:`~mscreg.errors.DataValidationError`, each naming file, row, column, value and what
was expected. Rows are numbered as a spreadsheet shows them (header = row 1).

Derived columns, added after validation and never read from the file:

* ``change`` = ``hba1c_after − hba1c_before`` (negative = HbA1c fell)
* ``reduction`` = ``hba1c_before − hba1c_after`` (positive = HbA1c fell)
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from mscreg.domain.limits import HBA1C_NGSP
from mscreg.domain.units import HbA1cUnit, hba1c_to_ngsp
from mscreg.errors import DataValidationError, InputFileError, RowProblem

__all__ = ["COLUMNS", "DERIVED_COLUMNS", "AnalysisTable", "ColumnSpec", "load_analysis_table", "table_from_frame"]


@dataclass(frozen=True, kw_only=True)
class ColumnSpec:
    """One column of the analysis table: its name, type, unit, limits and meaning."""

    name: str
    kind: Literal["id", "sex", "number"]
    required: bool
    unit: str
    description: str
    low: float | None = None
    high: float | None = None
    low_inclusive: bool = True
    integer: bool = False

    def expected(self) -> str:
        """What a valid value looks like, for error messages and docs."""
        if self.kind == "id":
            return "a non-empty identifier, unique in the file"
        if self.kind == "sex":
            return "'M' or 'F' (also 'male'/'female', any case)"
        low = "" if self.low is None else (f"≥ {self.low:g}" if self.low_inclusive else f"> {self.low:g}")
        high = "" if self.high is None else f"≤ {self.high:g}"
        bounds = " and ".join(b for b in (low, high) if b)
        kind = "a whole number" if self.integer else "a number"
        return f"{kind}{' ' + bounds if bounds else ''}{' ' + self.unit if self.unit else ''}"


#: The columns of the analysis table, in their canonical order.
COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec(name="patient_id", kind="id", required=False, unit="",
               description="Study identifier of the patient (generated as 'row<N>' when the column is absent)."),
    ColumnSpec(name="sex", kind="sex", required=False, unit="", description="Sex, M or F."),
    ColumnSpec(name="age", kind="number", required=False, unit="years", low=0, high=120,
               description="Age at infusion."),
    ColumnSpec(name="dose_million", kind="number", required=False, unit="million cells", low=0,
               low_inclusive=False, description="MSC dose infused, in million cells."),
    ColumnSpec(name="hba1c_before", kind="number", required=True, unit="% (NGSP)",
               low=HBA1C_NGSP.hard_low, high=HBA1C_NGSP.hard_high,
               description="HbA1c before the infusion (baseline). Converted to NGSP % when the file is in IFCC or JDS units."),
    ColumnSpec(name="hba1c_after", kind="number", required=True, unit="% (NGSP)",
               low=HBA1C_NGSP.hard_low, high=HBA1C_NGSP.hard_high,
               description="HbA1c at follow-up; may be empty for a patient without follow-up, never without a baseline."),
    ColumnSpec(name="months_observed", kind="number", required=False, unit="months", low=0,
               description="Months from the infusion to the follow-up HbA1c."),
)

#: Columns computed from the validated ones; a file may not contain them.
DERIVED_COLUMNS: dict[str, str] = {
    "change": "hba1c_after − hba1c_before (negative = HbA1c fell)",
    "reduction": "hba1c_before − hba1c_after (positive = HbA1c fell)",
}

_BY_NAME = {spec.name: spec for spec in COLUMNS}
_HBA1C_COLUMNS = ("hba1c_before", "hba1c_after")
_SEX_WORDS = {"m": "M", "male": "M", "f": "F", "female": "F"}


@dataclass(frozen=True, eq=False)
class AnalysisTable:
    """A validated analysis table and where it came from.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per patient: the :data:`COLUMNS` present in the source (plus generated
        ``patient_id``), HbA1c in NGSP %, and the derived ``change`` and ``reduction``.
    source : str
        The file path, or a description such as ``"embedded seed: ..."``.
    sha256 : str
        SHA-256 of the source bytes (provenance for reports).
    hba1c_unit : str
        The unit HbA1c had in the source before conversion to NGSP %.
    source_rows : tuple of int
        Spreadsheet row number of each frame row in the source file.
    skipped_blank_rows : tuple of int
        Spreadsheet rows that were entirely empty and therefore not imported.

    Examples
    --------
    >>> import pandas as pd
    >>> t = table_from_frame(pd.DataFrame({"hba1c_before": [8.0, 7.0], "hba1c_after": [7.0, None]}))
    >>> t.n_rows, t.paired().shape[0]
    (2, 1)
    >>> t.frame["reduction"].tolist()[0]
    1.0
    """

    frame: pd.DataFrame
    source: str
    sha256: str
    hba1c_unit: str = "ngsp"
    source_rows: tuple[int, ...] = field(default=())
    skipped_blank_rows: tuple[int, ...] = field(default=())

    @property
    def n_rows(self) -> int:
        """Number of patients (rows) in the table."""
        return int(self.frame.shape[0])

    @property
    def columns(self) -> tuple[str, ...]:
        """Columns available for analysis, derived ones included."""
        return tuple(self.frame.columns)

    def has(self, column: str) -> bool:
        """Whether ``column`` is present and has at least one non-missing value."""
        return column in self.frame.columns and bool(self.frame[column].notna().any())

    def paired(self) -> pd.DataFrame:
        """The rows with both HbA1c before and after (the paired-analysis set)."""
        return self.frame.loc[self.frame["hba1c_after"].notna()].copy()

    def describe_source(self) -> dict[str, Any]:
        """Provenance as plain values."""
        return {
            "source": self.source,
            "sha256": self.sha256,
            "hba1c_unit": self.hba1c_unit,
            "rows": self.n_rows,
            "rows_with_follow_up": int(self.frame["hba1c_after"].notna().sum()),
            "skipped_blank_rows": list(self.skipped_blank_rows),
        }


def _parse_number(text: str) -> float:
    """Parse a cell as a float; raise ValueError with a hint for common mistakes."""
    cleaned = text.strip()
    if "," in cleaned and "." not in cleaned and cleaned.replace(",", "", 1).replace("-", "", 1).isdigit():
        raise ValueError("looks like a decimal comma; write the decimal point as '.'")
    value = float(cleaned)
    if not math.isfinite(value):
        raise ValueError("is not a finite number")
    return value


def _read_csv_rows(path: Path, data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputFileError(f"{path}: not UTF-8 text (byte {error.start}); save the file as UTF-8 CSV") from None
    return [row for row in csv.reader(io.StringIO(text, newline=""))]


def _read_xlsx_rows(path: Path, sheet: str | None) -> list[list[str]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for damaged files
        raise InputFileError(f"{path}: cannot be read as an XLSX workbook ({error})") from None
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise InputFileError(f"{path}: no sheet named {sheet!r}; the workbook has {workbook.sheetnames!r}")
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        rows = []
        for values in worksheet.iter_rows(values_only=True):
            rows.append(["" if v is None else (repr(v) if isinstance(v, float) else str(v)) for v in values])
        return rows
    finally:
        workbook.close()


def load_analysis_table(
    path: str | Path,
    *,
    hba1c_unit: str | HbA1cUnit = "ngsp",
    sheet: str | None = None,
) -> AnalysisTable:
    """Read, validate and return an analysis table from a CSV or XLSX file.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.csv`` (UTF-8, optional BOM) or ``.xlsx`` file with a header row naming
        columns of :data:`COLUMNS` (case and surrounding spaces are ignored).
    hba1c_unit : {"ngsp", "ifcc", "jds"}
        Unit of the HbA1c columns in the file; values are converted to NGSP % with the
        IFCC master equations (:mod:`mscreg.domain.units`) before the plausibility check
        (hard limits 3–20 %).
    sheet : str, optional
        XLSX sheet to read (default: the first).

    Returns
    -------
    AnalysisTable

    Raises
    ------
    mscreg.errors.InputFileError
        Missing, unreadable, empty or header-only file, or an unsupported extension.
    mscreg.errors.DataValidationError
        Any cell breaking the schema; every problem of the file is listed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "t.csv").write_text("patient_id,hba1c_before,hba1c_after\\nA,8.1,7.2\\n")
    >>> load_analysis_table(folder / "t.csv").frame[["patient_id", "change"]].round(2).values.tolist()
    [['A', -0.9]]
    """
    path = Path(path)
    unit = HbA1cUnit.parse(hba1c_unit)
    if path.is_dir():
        raise InputFileError(f"{path}: is a folder; expected a .csv or .xlsx file")
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        data = path.read_bytes()
        rows = _read_csv_rows(path, data)
    elif suffix in (".xlsx", ".xlsm"):
        data = path.read_bytes()
        rows = _read_xlsx_rows(path, sheet)
    else:
        raise InputFileError(f"{path}: unsupported file type {suffix!r}; expected .csv or .xlsx")
    return _validate_rows(rows, source=str(path), sha256=hashlib.sha256(data).hexdigest(), unit=unit)


def table_from_frame(frame: pd.DataFrame, *, source: str = "data frame", hba1c_unit: str | HbA1cUnit = "ngsp") -> AnalysisTable:
    """Validate an in-memory DataFrame as an analysis table (same rules as files).

    Examples
    --------
    >>> import pandas as pd
    >>> table_from_frame(pd.DataFrame({"hba1c_before": [7.5], "hba1c_after": [6.9]})).n_rows
    1
    """
    header = [str(c) for c in frame.columns]
    body = [["" if (v is None or (isinstance(v, float) and math.isnan(v))) else str(v) for v in row]
            for row in frame.itertuples(index=False, name=None)]
    digest = hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()
    return _validate_rows([header, *body], source=source, sha256=digest, unit=HbA1cUnit.parse(hba1c_unit))


def _validate_header(header: list[str], source: str) -> tuple[list[str | None], list[RowProblem]]:
    problems: list[RowProblem] = []
    names: list[str | None] = []
    seen: set[str] = set()
    for position, raw in enumerate(header, start=1):
        name = raw.strip().lower()
        if not name:
            names.append(None)
            continue
        if name in DERIVED_COLUMNS:
            problems.append(RowProblem(source, 1, raw, None, f"column {position} is a derived column; mscreg computes it, remove it from the file"))
        elif name not in _BY_NAME:
            expected = ", ".join(spec.name for spec in COLUMNS)
            problems.append(RowProblem(source, 1, raw, None, f"unknown column (column {position}); expected one of: {expected}"))
        elif name in seen:
            problems.append(RowProblem(source, 1, raw, None, f"column appears twice (column {position})"))
        seen.add(name)
        names.append(name if name in _BY_NAME else None)
    for spec in COLUMNS:
        if spec.required and spec.name not in seen:
            problems.append(RowProblem(source, 1, spec.name, None, f"required column is missing; expected {spec.expected()}"))
    return names, problems


def _validate_cell(spec: ColumnSpec, text: str, unit: HbA1cUnit) -> tuple[Any, str | None]:
    """Return (value, problem message or None) for one non-empty cell."""
    if spec.kind == "id":  # no database stores a NUL as text (PostgreSQL refuses it)
        return (None, "contains a NUL character; save the file as plain text") if "\x00" in text else (text, None)
    if spec.kind == "sex":
        sex = _SEX_WORDS.get(text.lower())
        return (sex, None) if sex else (None, f"expected {spec.expected()}")
    try:
        value = _parse_number(text)
    except ValueError as error:
        hint = str(error) if "decimal comma" in str(error) or "finite" in str(error) else "not a number"
        return None, f"{hint}; expected {spec.expected()}"
    if spec.integer and not value.is_integer():
        return None, f"expected {spec.expected()}"
    shown = value
    if spec.name in _HBA1C_COLUMNS and unit is not HbA1cUnit.NGSP:
        shown = float(hba1c_to_ngsp(value, unit))
    too_low = spec.low is not None and (shown < spec.low if spec.low_inclusive else shown <= spec.low)
    too_high = spec.high is not None and shown > spec.high
    if too_low or too_high:
        converted = "" if shown == value else f" (= {shown:.2f} % NGSP from {unit.value.upper()})"
        return None, f"outside the plausible range{converted}; expected {spec.expected()}"
    return shown, None


def _validate_rows(rows: list[list[str]], *, source: str, sha256: str, unit: HbA1cUnit) -> AnalysisTable:
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise InputFileError(f"{source}: the file is empty; expected a header row naming the columns, then one row per patient")
    names, problems = _validate_header(rows[0], source)
    records: list[dict[str, Any]] = []
    source_rows: list[int] = []
    blank_rows: list[int] = []
    for row_no, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            blank_rows.append(row_no)
            continue
        if len(cells) > len(names) and any(c.strip() for c in cells[len(names):]):
            problems.append(RowProblem(source, row_no, None, None, f"row has {len(cells)} cells but the header names {len(names)} columns"))
        record: dict[str, Any] = {}
        for name, text in zip(names, cells):
            text = text.strip()
            if name is None or not text:
                continue
            value, message = _validate_cell(_BY_NAME[name], text, unit)
            if message:
                problems.append(RowProblem(source, row_no, name, text, message))
            else:
                record[name] = value
        raw = dict(zip(names, (c.strip() for c in cells)))
        if raw.get("hba1c_after") and not raw.get("hba1c_before"):
            problems.append(RowProblem(source, row_no, "hba1c_before", "", "HbA1c after is given but HbA1c before is empty; a follow-up value needs a baseline"))
        elif not raw.get("hba1c_before") and "hba1c_before" in names:
            problems.append(RowProblem(source, row_no, "hba1c_before", "", "empty; every patient row needs a baseline HbA1c"))
        records.append(record)
        source_rows.append(row_no)
    if not records and not problems:
        raise InputFileError(f"{source}: the file has a header but no data rows; expected one row per patient")
    _check_duplicate_ids(records, source_rows, source, problems)
    if problems:
        problems.sort(key=lambda p: (p.row or 0))
        raise DataValidationError(problems)
    return AnalysisTable(
        frame=_build_frame(records, source_rows, names),
        source=source,
        sha256=sha256,
        hba1c_unit=unit.value,
        source_rows=tuple(source_rows),
        skipped_blank_rows=tuple(blank_rows),
    )


def _check_duplicate_ids(records: list[dict[str, Any]], source_rows: list[int], source: str, problems: list[RowProblem]) -> None:
    first_row: dict[str, int] = {}
    for record, row_no in zip(records, source_rows):
        pid = record.get("patient_id")
        if pid is None:
            continue
        if pid in first_row:
            problems.append(RowProblem(source, row_no, "patient_id", pid, f"duplicate patient id; first used in row {first_row[pid]}"))
        else:
            first_row[pid] = row_no


def _build_frame(records: list[dict[str, Any]], source_rows: list[int], names: list[str | None]) -> pd.DataFrame:
    present = [spec.name for spec in COLUMNS if spec.name in names]
    frame = pd.DataFrame.from_records(records, columns=present)
    if "patient_id" not in frame.columns:
        frame.insert(0, "patient_id", [f"row{r}" for r in source_rows])
    else:
        missing = frame["patient_id"].isna()
        frame.loc[missing, "patient_id"] = [f"row{r}" for r, m in zip(source_rows, missing) if m]
    for spec in COLUMNS:
        if spec.name in frame.columns and spec.kind == "number":
            frame[spec.name] = pd.to_numeric(frame[spec.name]).astype(float)
    frame["change"] = frame["hba1c_after"] - frame["hba1c_before"]
    frame["reduction"] = frame["hba1c_before"] - frame["hba1c_after"]
    frame.index = pd.RangeIndex(len(frame))
    return frame
