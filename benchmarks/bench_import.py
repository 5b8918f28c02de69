"""Benchmark: importing 1 M lab rows with validation and the audit trail vs raw sqlite3.executemany.

Both sides write the same rows into the same ``measurement`` table (same DDL, same
unique index) of a fresh SQLite file. mscreg's side reads and validates the CSV (units,
LOINC, dates, plausible ranges, duplicates), checks idempotency against the registry and
appends one hash-chained audit row per measurement, all in one transaction; the baseline
only inserts pre-built tuples. The ratio printed is mscreg rows/s ÷ raw rows/s (goal ≥ 0.5).

A third line shows the floor the audit trail sets: raw ``executemany`` of the very rows
mscreg wrote — the measurements *and* their audit rows, pre-built — with mscreg's
connection settings (64 MiB page cache). No validation, no JSON, no hashing: no importer
that keeps one audit row per record can beat that line.

    python benchmarks/bench_import.py            # 1,000,000 rows
    python benchmarks/bench_import.py --rows 200000
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sqlite3
import tempfile
import time
from pathlib import Path

from mscreg.io import import_labs
from mscreg.store import Registry


def make_file(path: Path, rows: int, patients: int) -> None:
    start = dt.date(1990, 1, 1)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["patient_id", "analyte", "value", "unit", "date"])
        for i in range(rows):
            writer.writerow([f"P{i % patients}", "4548-4", f"{5 + (i % 70) / 10:.1f}", "%",
                             (start + dt.timedelta(days=i // patients)).isoformat()])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--patients", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mscreg-bench-") as name:  # ≈ 1 GB for 1 M rows, removed after
        _run(Path(name), args)


def _run(folder: Path, args: argparse.Namespace) -> None:
    data = folder / "labs.csv"
    make_file(data, args.rows, args.patients)

    registry = Registry.create(f"sqlite:///{folder / 'mscreg.sqlite'}")
    with registry.write(user="bench", reason="patients") as w:
        w.insert_many("patient", [{"study_id": f"P{i}"} for i in range(args.patients)])
    t0 = time.perf_counter()
    report = import_labs(registry, data, user="bench")
    mscreg_s = time.perf_counter() - t0
    if report.inserted["measurement"] != args.rows:
        raise SystemExit(f"expected {args.rows} rows imported, got {report.inserted}")
    registry.close()

    raw_db = folder / "raw.sqlite"
    reference = Registry.create(f"sqlite:///{raw_db}")  # same schema (DDL, indexes)
    with reference.write(user="bench", reason="patients") as w:
        w.insert_many("patient", [{"study_id": f"P{i}"} for i in range(args.patients)])
    reference.close()
    with data.open(newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        rows = [(n + 1, int(p[1:]) + 1, a, v, u, float(v), u, d, None, None, 0, None)
                for n, (p, a, v, u, d) in enumerate(reader)]
    conn = sqlite3.connect(raw_db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO measurement (id, patient_id, loinc, value_entered, unit_entered, value, unit, measured_on, "
                     "months_after_infusion, visit_id, derived, flags) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    conn.execute("COMMIT")
    raw_s = time.perf_counter() - t0
    conn.close()

    floor_s = _audited_floor(folder / "mscreg.sqlite", folder / "floor.sqlite", args.patients)

    ours, theirs, floor = args.rows / mscreg_s, args.rows / raw_s, args.rows / floor_s
    print(f"rows: {args.rows:,}")
    print(f"mscreg import_labs (validate + audit, one transaction): {mscreg_s:8.2f} s  {ours:12,.0f} rows/s")
    print(f"raw sqlite3.executemany (pre-built tuples):              {raw_s:8.2f} s  {theirs:12,.0f} rows/s")
    print(f"raw executemany of the same rows + their audit rows:     {floor_s:8.2f} s  {floor:12,.0f} rows/s")
    print(f"ratio mscreg / raw: {ours / theirs:.2f}x (goal >= 0.5x); "
          f"audit-trail floor / raw: {floor / theirs:.2f}x; mscreg / floor: {ours / floor:.2f}x")


def _audited_floor(source: Path, target: Path, patients: int) -> float:
    """Seconds to insert mscreg's measurement and audit rows, pre-built, with raw executemany."""
    reference = Registry.create(f"sqlite:///{target}")
    with reference.write(user="bench", reason="patients") as w:
        w.insert_many("patient", [{"study_id": f"P{i}"} for i in range(patients)])
    reference.close()
    with sqlite3.connect(source) as conn:
        measurements = conn.execute("SELECT * FROM measurement ORDER BY id").fetchall()
        changesets = conn.execute("SELECT * FROM audit_changeset WHERE id IN (SELECT changeset_id FROM audit_log "
                                  "WHERE table_name = 'measurement') ORDER BY id").fetchall()
        audit = conn.execute("SELECT * FROM audit_log WHERE table_name = 'measurement' ORDER BY id").fetchall()
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(f"PRAGMA cache_size = -{64 * 1024}")
    t0 = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    for table, rows in (("audit_changeset", changesets), ("measurement", measurements), ("audit_log", audit)):
        conn.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)
    conn.execute("COMMIT")
    seconds = time.perf_counter() - t0
    conn.close()
    return seconds


if __name__ == "__main__":
    main()
