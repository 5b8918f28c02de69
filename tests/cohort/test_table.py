"""Loading and validating analysis tables: good files, every kind of bad file, units."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from mscreg.cohort.table import COLUMNS, load_analysis_table
from mscreg.errors import ConventionError, DataValidationError, InputFileError

HEADER = "patient_id,sex,age,dose_million,hba1c_before,hba1c_after,months_observed\n"


def write(tmp_path: Path, text: str, name: str = "t.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def problems_of(path: Path, **kwargs) -> list:
    with pytest.raises(DataValidationError) as info:
        load_analysis_table(path, **kwargs)
    return info.value.problems


def test_good_csv_loads_with_derived_columns(tmp_path):
    path = write(tmp_path, HEADER + "A,M,66,1000,7.5,6.4,27\nB,f,60,2000,8.2,,\n")
    table = load_analysis_table(path)
    assert table.n_rows == 2
    assert table.frame["sex"].tolist() == ["M", "F"]
    assert table.frame.loc[0, "change"] == pytest.approx(6.4 - 7.5)
    assert table.frame.loc[0, "reduction"] == pytest.approx(7.5 - 6.4)
    assert table.paired().shape[0] == 1
    assert table.source_rows == (2, 3)


def test_bom_and_header_case_and_spaces_are_accepted(tmp_path):
    path = write(tmp_path, " HbA1c_Before , hba1c_after\n7.5,6.4\n", encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    table = load_analysis_table(path)
    assert table.frame["patient_id"].tolist() == ["row2"]


def test_blank_rows_are_skipped_and_reported(tmp_path):
    table = load_analysis_table(write(tmp_path, "hba1c_before,hba1c_after\n7.5,6.4\n,\n8.0,7.0\n"))
    assert table.n_rows == 2
    assert table.skipped_blank_rows == (3,)
    assert table.describe_source()["skipped_blank_rows"] == [3]


def test_missing_file_empty_file_and_header_only(tmp_path):
    with pytest.raises(InputFileError, match="no such file"):
        load_analysis_table(tmp_path / "absent.csv")
    with pytest.raises(InputFileError, match="the file is empty"):
        load_analysis_table(write(tmp_path, ""))
    with pytest.raises(InputFileError, match="header but no data rows"):
        load_analysis_table(write(tmp_path, HEADER))


def test_unsupported_extension_and_non_utf8(tmp_path):
    with pytest.raises(InputFileError, match=r"unsupported file type '\.txt'"):
        load_analysis_table(write(tmp_path, HEADER, name="t.txt"))
    path = tmp_path / "latin.csv"
    path.write_bytes("hba1c_before,hba1c_after\n7.5,6.4\n\xe9\n".encode("latin-1"))
    with pytest.raises(InputFileError, match="not UTF-8"):
        load_analysis_table(path)


def test_unknown_missing_duplicate_and_derived_columns(tmp_path):
    problems = problems_of(write(tmp_path, "patient_id,weight,hba1c_before,hba1c_before,change\nA,80,7.5,7.5,1\n"))
    messages = [str(p) for p in problems]
    assert any("column 'weight'" in m and "unknown column" in m for m in messages)
    assert any("column 'hba1c_after'" in m and "required column is missing" in m for m in messages)
    assert any("appears twice" in m for m in messages)
    assert any("derived column" in m for m in messages)
    assert all(p.row == 1 for p in problems)


def test_every_bad_cell_is_reported_with_row_column_value(tmp_path):
    text = HEADER + (
        "A,M,66,1000,7.5,6.4,27\n"      # row 2 fine
        "B,X,66,1000,7.5,6.4,27\n"      # row 3 bad sex
        "C,M,abc,1000,7.5,6.4,27\n"     # row 4 non-numeric age
        "D,M,66,0,7.5,6.4,27\n"         # row 5 dose must be > 0
        "E,M,66,1000,2.9,6.4,27\n"      # row 6 HbA1c below hard 3 %
        "F,M,66,1000,7.5,20.1,27\n"     # row 7 HbA1c above hard 20 %
        "G,M,66,1000,,6.4,27\n"         # row 8 after without before
        "A,M,66,1000,7.5,6.4,27\n"      # row 9 duplicate id
        "H,M,66,1000,\"7,5\",6.4,-1\n"  # row 10 decimal comma, negative months
    )
    problems = problems_of(write(tmp_path, text))
    found = {(p.row, p.column) for p in problems}
    assert found == {(3, "sex"), (4, "age"), (5, "dose_million"), (6, "hba1c_before"), (7, "hba1c_after"),
                     (8, "hba1c_before"), (9, "patient_id"), (10, "hba1c_before"), (10, "months_observed")}
    by_key = {(p.row, p.column): p for p in problems}
    assert by_key[(4, "age")].value == "abc" and "not a number" in by_key[(4, "age")].message
    assert "3–20" not in by_key[(6, "hba1c_before")].message  # says what is expected in its own words
    assert "≥ 3" in by_key[(6, "hba1c_before")].message and "≤ 20" in by_key[(6, "hba1c_before")].message
    assert "a follow-up value needs a baseline" in by_key[(8, "hba1c_before")].message
    assert "first used in row 2" in by_key[(9, "patient_id")].message
    assert "decimal comma" in by_key[(10, "hba1c_before")].message
    assert str(by_key[(3, "sex")]).startswith(f"{tmp_path / 't.csv'}, row 3, column 'sex': value 'X':")


def test_row_with_more_cells_than_header(tmp_path):
    problems = problems_of(write(tmp_path, "hba1c_before,hba1c_after\n7.5,6.4,9\n"))
    assert problems[0].row == 2 and "3 cells but the header names 2" in problems[0].message


def test_ifcc_units_are_converted_with_the_master_equation(tmp_path):
    # IFCC 58 mmol/mol -> 0.0915 * 58 + 2.15 = 7.457 %; 48 -> 6.542 %.
    table = load_analysis_table(write(tmp_path, "hba1c_before,hba1c_after\n58,48\n"), hba1c_unit="ifcc")
    assert table.frame.loc[0, "hba1c_before"] == pytest.approx(7.457)
    assert table.frame.loc[0, "hba1c_after"] == pytest.approx(6.542)
    assert table.hba1c_unit == "ifcc"


def test_ifcc_values_checked_after_conversion(tmp_path):
    # 7.5 read as IFCC mmol/mol is 0.0915 * 7.5 + 2.15 = 2.836 % NGSP: below the hard limit.
    problems = problems_of(write(tmp_path, "hba1c_before,hba1c_after\n7.5,6.4\n"), hba1c_unit="ifcc")
    assert "2.84 % NGSP from IFCC" in problems[0].message


def test_jds_units_go_through_ifcc(tmp_path):
    # JDS 7.0 -> IFCC (7.0 - 1.73) / 0.0927 = 56.849 -> NGSP 0.0915 * 56.849 + 2.15 = 7.3517 %.
    table = load_analysis_table(write(tmp_path, "hba1c_before,hba1c_after\n7.0,6.0\n"), hba1c_unit="jds")
    assert table.frame.loc[0, "hba1c_before"] == pytest.approx(0.0915 * (7.0 - 1.73) / 0.0927 + 2.15)
    assert table.frame.loc[0, "hba1c_before"] == pytest.approx(7.3517, abs=1e-4)


def test_unknown_unit(tmp_path):
    with pytest.raises(ConventionError, match="HbA1c unit 'mg/dl' is not known"):
        load_analysis_table(write(tmp_path, "hba1c_before,hba1c_after\n7,6\n"), hba1c_unit="mg/dl")


def test_xlsx_loads_and_reports_rows_like_csv(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "patients"
    sheet.append(["patient_id", "hba1c_before", "hba1c_after"])
    sheet.append(["A", 7.5, 6.4])
    sheet.append(["B", "high", 6.0])
    path = tmp_path / "t.xlsx"
    workbook.save(path)
    problems = problems_of(path)
    assert [(p.row, p.column, p.value) for p in problems] == [(3, "hba1c_before", "high")]
    sheet.delete_rows(3)
    workbook.save(path)
    assert load_analysis_table(path, sheet="patients").frame["hba1c_before"].tolist() == [7.5]
    with pytest.raises(InputFileError, match="no sheet named 'other'"):
        load_analysis_table(path, sheet="other")


def test_damaged_xlsx(tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputFileError, match="cannot be read as an XLSX workbook"):
        load_analysis_table(path)


def test_schema_is_documented():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "analysis-table.md").read_text(encoding="utf-8")
    for spec in COLUMNS:
        assert f"`{spec.name}`" in doc, spec.name


def test_a_nul_character_in_a_patient_id_is_a_cell_problem(tmp_path):
    problems = problems_of(write(tmp_path, HEADER + "A\x001,M,66,1000,7.5,6.4,27\n"))
    assert [(p.row, p.column, p.message) for p in problems] == [
        (2, "patient_id", "contains a NUL character; save the file as plain text")]
