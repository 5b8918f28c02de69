"""A killed import leaves the database as it was; the registry commands end to end."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import textwrap

from typer.testing import CliRunner

from mscreg.cli.app import app
from mscreg.datasets import seed_table_path
from mscreg.domain.records import AdverseEventRecord, EligibilityRecord, InfusionRecord, LotRecord, PatientRecord
from mscreg.store import Registry
from mscreg.store.services import add_lot, enrol_patient, record_adverse_event, record_eligibility, record_infusion
from tests.store.helpers import snapshot

runner = CliRunner()

KILL_SCRIPT = textwrap.dedent("""
    import sys
    import time
    import mscreg.store.engine
    from mscreg.io import import_labs
    from mscreg.store import Registry

    mscreg.store.engine._CACHE_KIB = 2048  # SQLite's default cache: uncommitted pages spill into the WAL

    def progress(phase, done, total):
        if phase == "write" and done >= 100_000:  # two batches written, not committed: wait to be killed
            print("WRITING", flush=True)
            time.sleep(120)

    import_labs(Registry.open(sys.argv[1]), sys.argv[2], user="batch", progress=progress)
    print("COMMITTED", flush=True)
""")


def test_sigkill_during_a_large_import_leaves_the_database_unchanged(db_url, tmp_path):
    reg = Registry.create(db_url)
    with reg.write(user="ana", reason="enrolment") as w:
        w.insert_many("patient", [{"study_id": f"P{i}"} for i in range(100)])
    path = tmp_path / "big.csv"
    start = dt.date(2001, 1, 1)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["patient_id", "analyte", "value", "unit", "date"])
        for i in range(110_000):
            writer.writerow([f"P{i % 100}", "4548-4", f"{6 + (i % 40) / 10:.1f}", "%", (start + dt.timedelta(days=i // 100)).isoformat()])
    before = snapshot(db_url)
    reg.close()
    script = tmp_path / "run_import.py"
    script.write_text(KILL_SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), db_url, str(path)], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line.strip() == "WRITING", f"import did not start writing: {line!r}"
    if db_url.startswith("sqlite"):  # the uncommitted rows overflowed the page cache into the WAL file
        assert os.path.getsize(db_url.removeprefix("sqlite:///") + "-wal") > 10 * 2**20
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert snapshot(db_url) == before
    with Registry.open(db_url) as again:
        assert again.verify().ok


def _cli(*args):
    return runner.invoke(app, list(args))


def test_registry_commands_end_to_end(db_url, tmp_path):
    assert _cli("import", "labs", str(tmp_path / "x.csv"), "--db", db_url).exit_code == 65  # no schema yet
    assert _cli("db", "init", "--db", db_url).exit_code == 0
    assert _cli("db", "upgrade", "--db", db_url).exit_code == 0
    dry = _cli("import", "analysis-table", str(seed_table_path()), "--db", db_url, "--dry-run", "--report-format", "json")
    assert dry.exit_code == 0 and json.loads(dry.output)["inserted"]["patient"] == 58
    done = _cli("import", "analysis-table", str(seed_table_path()), "--db", db_url, "--user", "ana", "--reason", "seed")
    assert done.exit_code == 0 and "inserted patient 58" in done.output
    reg = Registry.open(db_url)
    with reg.write(user="ana", reason="new patient") as w:
        enrol_patient(w, PatientRecord(study_id="N1", sex="F", birth_year=1950))
        record_eligibility(w, EligibilityRecord(study_id="N1", assessed_on=dt.date(2024, 1, 5), screening_hba1c=7.4,
                                                answers={"t2dm_confirmed": True, "inadequate_control": True, "malignancy_history": False,
                                                         "active_infection": False, "autoimmune_disease": False}))
        add_lot(w, LotRecord(lot_number="UC-7", source_tissue="umbilical-cord", donor_type="allogeneic", cd73=99, cd90=99, cd105=98,
                             cd34=0.1, cd45=0.2, hla_dr=0.1, plastic_adherent=True, trilineage=True))
        record_infusion(w, InfusionRecord(study_id="N1", lot_number="UC-7", infused_on=dt.date(2024, 1, 10), cells_million=1000))
        record_adverse_event(w, AdverseEventRecord(study_id="N1", term="fever", onset_on=dt.date(2024, 1, 10), ctcae_grade=1,
                                                   relatedness="probable", outcome="recovered"))
    reg.close()
    due = _cli("visits", "due", "--db", db_url, "--as-of", "2024-04-15", "--format", "json")
    assert due.exit_code == 0
    assert [(v["study_id"], v["visit"], v["state"]) for v in json.loads(due.output)["visits"]] == [("N1", "M3", "due")]
    overdue = _cli("visits", "due", "--db", db_url, "--as-of", "2024-08-30", "--format", "csv")
    assert "N1,M3,2024-04-10,2024-03-27,2024-04-24,overdue,128" in overdue.output
    assert "N1,M6" in overdue.output
    consort = json.loads(_cli("consort", "--db", db_url, "--format", "json").output)
    assert consort == {"patients": 59, "screened": 1, "eligible": 1, "not_eligible": 0, "infused": 59,
                       "infused_without_screening": 58, "with_follow_up": 58, "analysed": 58}
    assert _cli("export", "sdtm", "--db", db_url, "--out", str(tmp_path / "sdtm")).exit_code == 0
    ex = list(csv.DictReader((tmp_path / "sdtm" / "EX.csv").open()))
    assert [r["EXLOT"] for r in ex if r["SUBJID" if "SUBJID" in r else "USUBJID"].endswith("N1")] == ["UC-7"]
    ae = list(csv.DictReader((tmp_path / "sdtm" / "AE.csv").open()))
    assert (ae[0]["AETERM"], ae[0]["AETOXGR"], ae[0]["AESER"], ae[0]["AEREL"]) == ("fever", "1", "N", "PROBABLE")
    lb = list(csv.DictReader((tmp_path / "sdtm" / "LB.csv").open()))
    assert {r["LBTESTCD"] for r in lb} == {"HBA1CHGB"} and len(lb) == 116
    assert _cli("export", "deidentified", "--db", db_url, "--out", str(tmp_path / "deid"), "--seed", "3").exit_code == 0
    text = "".join(p.read_text() for p in (tmp_path / "deid").iterdir())
    assert "MAT0" not in text and "N1" not in text and "2024-01-10" not in text
    patients = list(csv.DictReader((tmp_path / "deid" / "patients.csv").open()))
    assert any(p["age_at_infusion"] == "74" and p["infusion_year"] == "2024" for p in patients)
    assert {p["age_at_infusion"] for p in patients} >= {"89"}
    assert _cli("export", "analysis-table", "--db", db_url, "--out", str(tmp_path / "at")).exit_code == 0
    analysed = _cli("analyze", "--data", str(tmp_path / "at" / "analysis_table.csv"), "--format", "json", "--paper-only")
    direct = _cli("analyze", "--format", "json", "--paper-only")
    assert json.loads(analysed.output)["paper"] == json.loads(direct.output)["paper"]
    assert _cli("db", "verify", "--db", db_url).exit_code == 0


def test_import_problems_as_csv_and_json_reports(tmp_path):
    db = str(tmp_path / "r.sqlite")
    assert _cli("db", "init", "--db", db).exit_code == 0
    path = tmp_path / "labs.csv"
    path.write_text("patient_id,analyte,value,unit,date\nP1,4548-4,7.1,%,2024-01-10\n")
    as_csv = _cli("import", "labs", str(path), "--db", db, "--report-format", "csv")
    assert as_csv.exit_code == 65
    assert "file,row,field,value,message" in as_csv.output and ",2,patient_id,P1," in as_csv.output
    as_json = _cli("import", "labs", str(path), "--db", db, "--report-format", "json")
    assert as_json.exit_code == 65 and '"field": "patient_id"' in as_json.output
    assert _cli("visits", "due", "--db", db, "--as-of", "01/02/2024").exit_code == 65
    assert _cli("db", "upgrade", "--db", str(tmp_path / "none.sqlite")).exit_code == 65


def test_age_over_89_is_grouped_in_the_deidentified_export(tmp_path):
    reg = Registry.create(f"sqlite:///{tmp_path / 'r.sqlite'}")
    with reg.write(user="ana", reason="enrolment") as w:
        enrol_patient(w, PatientRecord(study_id="OLD", sex="F", birth_year=1930))
        record_infusion(w, InfusionRecord(study_id="OLD", infused_on=dt.date(2021, 6, 1), cells_million=500))
    from mscreg.io import export_deidentified

    export_deidentified(reg, tmp_path / "d", seed=1)
    row = next(csv.DictReader((tmp_path / "d" / "patients.csv").open()))
    assert row["age_at_infusion"] == "90 or older" and row["birth_year"] == "" and row["infusion_year"] == "2021"
