#!/usr/bin/env python3
"""Transcribe Table 1 of the Matsuoka et al. 2025 preprint into mscreg's analysis-table CSV.

Usage::

    python scripts/extract_seed_table1.py ../shared/seed/matsuoka-2025-msc-t2dm-preprint.txt \
        --out src/mscreg/datasets/matsuoka2025_table1.csv

The preprint text is a PDF extraction: Table 1 is a Markdown-like pipe table split into
three blocks. In the last block the extraction merged the last two columns into one cell
(``| 5.5 15 | |``: HbA1c after and months observed separated by a space, followed by an
empty cell); this script splits such a cell back into its two values. Separator rows and
the empty row between blocks are skipped. Every data row must yield exactly six values
(sex, age, dose, HbA1c before, HbA1c after, months), otherwise the script stops with the
line number. No value is typed by hand: the shipped CSV is this script's output, and a
test checks that it still is.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from pathlib import Path

COLUMNS = ("patient_id", "sex", "age", "dose_million", "hba1c_before", "hba1c_after", "months_observed")
_HEADER = re.compile(r"^\|\s*Sex\s*\|\s*Age\s*\|", re.IGNORECASE)
_SEPARATOR = re.compile(r"^\|[\s|:-]*\|\s*$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


class ExtractionError(Exception):
    """The preprint text does not contain Table 1 in the expected shape."""


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _row_values(cells: list[str], line_no: int) -> list[str]:
    values = [cell for cell in cells if cell]
    if len(values) == 5 and len(values[4].split()) == 2:
        # The last block: "after months" merged into one cell by the text extraction.
        values = values[:4] + values[4].split()
    if len(values) != 6:
        raise ExtractionError(f"line {line_no}: expected 6 values in a Table 1 row, found {len(values)}: {cells!r}")
    if values[0] not in {"M", "F"}:
        raise ExtractionError(f"line {line_no}: sex {values[0]!r} is not 'M' or 'F'")
    for value in values[1:]:
        if not _NUMBER.match(value):
            raise ExtractionError(f"line {line_no}: {value!r} is not a number")
    return values


def extract_table1(text: str) -> list[dict[str, str]]:
    """Return Table 1's rows, in table order, as dicts keyed by :data:`COLUMNS`.

    Values stay strings exactly as printed (``"8"`` stays ``"8"``, not ``"8.0"``).
    """
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _HEADER.match(line)), None)
    if start is None:
        raise ExtractionError("no Table 1 header ('| Sex | Age | ...') found")
    rows: list[dict[str, str]] = []
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if line.startswith("Figure"):
            break
        if not line.startswith("|") or _SEPARATOR.match(line):
            continue
        cells = _cells(line)
        if not any(cells):
            continue
        values = _row_values(cells, i + 1)
        rows.append(dict(zip(COLUMNS, [f"MAT{len(rows) + 1:02d}", *values])))
    if not rows:
        raise ExtractionError("Table 1 header found but no data rows followed it")
    return rows


def to_csv(rows: list[dict[str, str]]) -> str:
    """Render rows as the shipped CSV text (LF line endings)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("preprint", type=Path, help="path to the preprint text")
    parser.add_argument("--out", type=Path, help="CSV to write (default: standard output)")
    args = parser.parse_args(argv)
    try:
        rows = extract_table1(args.preprint.read_text(encoding="utf-8"))
    except (OSError, ExtractionError) as error:
        print(f"error: {args.preprint}: {error}", file=sys.stderr)
        return 1
    text = to_csv(rows)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {len(rows)} rows to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
