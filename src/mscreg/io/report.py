"""What an import did (or would do), and the row-level problem report as text, CSV or JSON.

A problem or warning is a :class:`mscreg.errors.RowProblem`: file, row (spreadsheet
numbering, header = row 1; for FHIR the 1-based bundle entry), field, value and message.
Problems reject the whole file; warnings (values outside the soft plausible range, fields
that were deliberately not imported) accompany a successful import.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mscreg.errors import RowProblem

__all__ = ["REPORT_FORMATS", "ImportReport", "Progress", "render_problems"]

#: Formats of the row-level report.
REPORT_FORMATS = ("text", "csv", "json")

#: Progress callback: ``(phase, done, total)``; phases are "validate" and "write".
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, kw_only=True)
class ImportReport:
    """Counts of one import and its warnings.

    ``inserted``/``updated``/``unchanged`` count records per table; an unchanged record
    (same natural key, same values) is what makes a re-import idempotent.
    """

    kind: str
    file: str
    sha256: str
    dry_run: bool
    rows: int
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    warnings: tuple[RowProblem, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (JSON output)."""
        return {"kind": self.kind, "file": self.file, "sha256": self.sha256, "dry_run": self.dry_run,
                "rows": self.rows, "inserted": self.inserted, "updated": self.updated,
                "unchanged": self.unchanged, "warnings": [w.to_dict() for w in self.warnings]}

    def summary(self) -> str:
        """One paragraph for the terminal.

        Examples
        --------
        >>> ImportReport(kind="labs", file="l.csv", sha256="0" * 64, dry_run=True, rows=2,
        ...              inserted={"measurement": 2}).summary()
        'dry run (nothing written): labs l.csv, 2 rows; inserted measurement 2'
        """
        def fmt(counts: dict[str, int]) -> str:
            return ", ".join(f"{k} {v}" for k, v in counts.items() if v) or "none"

        head = "dry run (nothing written): " if self.dry_run else ""
        parts = [f"inserted {fmt(self.inserted)}"]
        if any(self.updated.values()):
            parts.append(f"updated {fmt(self.updated)}")
        if any(self.unchanged.values()):
            parts.append(f"unchanged {fmt(self.unchanged)}")
        if self.warnings:
            parts.append(f"{len(self.warnings)} warning{'s' if len(self.warnings) != 1 else ''}")
        return f"{head}{self.kind} {self.file}, {self.rows} rows; " + "; ".join(parts)


def render_problems(problems: Sequence[RowProblem], fmt: str = "text") -> str:
    """Problems (or warnings) as text lines, CSV (file,row,field,value,message) or JSON.

    Examples
    --------
    >>> p = [RowProblem("labs.csv", 3, "value", "7,1", "looks like a decimal comma")]
    >>> print(render_problems(p, "csv").strip())
    file,row,field,value,message
    labs.csv,3,value,"7,1",looks like a decimal comma
    """
    if fmt == "json":
        return json.dumps([_fields(p) for p in problems], indent=2, ensure_ascii=False)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=["file", "row", "field", "value", "message"], lineterminator="\n")
        writer.writeheader()
        for problem in problems:
            writer.writerow(_fields(problem))
        return out.getvalue()
    return "\n".join(str(p) for p in problems)


def _fields(problem: RowProblem) -> dict[str, Any]:
    d = problem.to_dict()
    return {"file": d["file"], "row": d["row"], "field": d["column"], "value": d["value"], "message": d["message"]}
