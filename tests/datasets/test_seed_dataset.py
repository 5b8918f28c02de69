"""The shipped seed table is exactly what the transcription script extracts from the preprint."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from mscreg.cohort import seed_table
from mscreg.datasets import SEED, seed_table_path
from tests.conftest import REPO

SCRIPT = REPO / "scripts" / "extract_seed_table1.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("extract_seed_table1", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_csv_equals_fresh_extraction(preprint_path):
    extract = _load_script()
    rows = extract.extract_table1(preprint_path.read_text(encoding="utf-8"))
    assert extract.to_csv(rows) == seed_table_path().read_text(encoding="utf-8")


def test_script_cli_writes_the_same_file(preprint_path, tmp_path):
    out = tmp_path / "table1.csv"
    done = subprocess.run([sys.executable, str(SCRIPT), str(preprint_path), "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == seed_table_path().read_bytes()


def test_merged_cells_of_the_last_block_are_split(preprint_path):
    # The preprint's last block prints "| M | 76 | 2000 | 6.4 | 5.5 15 | |": after 5.5, months 15.
    rows = _load_script().extract_table1(preprint_path.read_text(encoding="utf-8"))
    text = preprint_path.read_text(encoding="utf-8")
    assert "| 5.5 15 |" in text
    assert rows[50] == {"patient_id": "MAT51", "sex": "M", "age": "76", "dose_million": "2000",
                        "hba1c_before": "6.4", "hba1c_after": "5.5", "months_observed": "15"}


def test_row_count_and_sex_split_match_the_preprint_text(preprint_path):
    text = preprint_path.read_text(encoding="utf-8")
    rows = _load_script().extract_table1(text)
    # Every table line that starts with a sex cell is one patient.
    assert len(rows) == sum(1 for line in text.splitlines() if line.startswith(("| M |", "| F |")))
    assert len(rows) == 58


def test_extraction_errors_name_the_line():
    extract = _load_script()
    with pytest.raises(extract.ExtractionError, match="no Table 1 header"):
        extract.extract_table1("no table here")
    bad = "| Sex | Age | Dose | Before | After | Month |\n|---|\n| M | 66 | x | 7.5 | 6.4 | 27 |\nFigure 1."
    with pytest.raises(extract.ExtractionError, match=r"line 3: 'x' is not a number"):
        extract.extract_table1(bad)
    short = "| Sex | Age | Dose | Before | After | Month |\n| M | 66 | 1000 | 7.5 |\n"
    with pytest.raises(extract.ExtractionError, match="line 2: expected 6 values"):
        extract.extract_table1(short)


def test_script_reports_a_missing_file(tmp_path):
    done = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "none.txt")], capture_output=True, text=True)
    assert done.returncode == 1
    assert "none.txt" in done.stderr


def test_seed_table_provenance():
    table = seed_table()
    assert table.n_rows == 58
    assert SEED.doi in table.source
    assert SEED.licence == "CC BY 4.0"
    assert "Matsuoka" in SEED.citation()
    assert len(table.sha256) == 64
