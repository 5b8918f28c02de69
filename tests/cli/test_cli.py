"""The command line end to end: seed defaults, own data, formats, and every error path."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from mscreg.cli.app import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture
def own_data(tmp_path):
    path = tmp_path / "study.csv"
    path.write_text("patient_id,sex,age,dose_million,hba1c_before,hba1c_after,months_observed\n"
                    "A,M,50,1000,8.4,7.1,12\nB,F,61,2000,7.1,6.9,24\nC,M,70,500,9.9,8.0,36\nD,F,45,2000,6.8,6.9,6\n")
    return path


def test_analyze_seed_text():
    result = run("analyze")
    assert result.exit_code == 0, result.output
    assert "Paired t-tests" in result.output and "58" in result.output
    assert "moderate" in result.output and "severe" in result.output


def test_analyze_json_has_stable_fields():
    result = run("analyze", "--format", "json")
    payload = json.loads(result.output)
    overall = payload["paper"]["overall"]
    for key in ("estimate", "ci_low", "ci_high", "ci_level", "p_value", "n", "t", "df"):
        assert key in overall
    assert overall["n"] == 58
    assert payload["data"]["rows"] == 58


def test_analyze_options_change_the_groups():
    default = json.loads(run("analyze", "--format", "json").output)["paper"]
    upper = json.loads(run("analyze", "--format", "json", "--severity-cut-in", "upper", "--dose-cuts", "1000,1500").output)["paper"]
    assert [g["n"] for g in default["severity_groups"]] == [46, 12]
    assert [g["n"] for g in upper["severity_groups"]] == [45, 13]
    assert len(upper["dose_groups"]) == 3


def test_analyze_own_data(own_data):
    payload = json.loads(run("analyze", "--data", str(own_data), "--format", "json").output)
    assert payload["paper"]["n_rows"] == 4
    # Mean change by hand: (-1.3 - 0.2 - 1.9 + 0.1) / 4 = -0.825.
    assert payload["paper"]["overall"]["estimate"] == pytest.approx(-0.825)


def test_audit_seed_json_shape():
    result = run("audit", "--format", "json")
    assert result.exit_code == 0
    payload = json.loads(result.output)
    for claim in payload["claims"]:
        assert {"id", "verdict", "reported", "recomputed", "convention", "explanation"} <= set(claim)
        assert claim["verdict"] in {"reproduced", "reproduced_with_convention", "not_reproduced", "not_checkable"}
        assert (claim["convention"] is None) == (claim["verdict"] != "reproduced_with_convention")
    assert payload["counts"]["not_checkable"] >= 1


def test_audit_text_and_csv():
    text = run("audit")
    assert text.exit_code == 0 and "reproduced_with_convention" in text.output
    rows = list(csv.DictReader(io.StringIO(run("audit", "--format", "csv").output)))
    assert {"id", "verdict", "reported", "recomputed", "convention", "explanation"} <= set(rows[0])
    assert any(r["kind"].startswith("consistency") for r in rows)


def test_audit_own_data_with_claims_file(own_data, tmp_path):
    claims = tmp_path / "claims.yaml"
    claims.write_text(f"""study: {{title: Mini study, data: {own_data.name}}}
claims:
  - {{id: n, claim: patients, where: Results, statistic: count, reported: "4"}}
  - {{id: fall, claim: mean fall, where: Abstract, statistic: mean, quantity: reduction, reported: "0.83"}}
""")
    # (1.3 + 0.2 + 1.9 - 0.1) / 4 = 0.825 -> 0.83 (half-up)
    for args in (("--claims", str(claims)), ("--claims", str(claims), "--data", str(own_data))):
        payload = json.loads(run("audit", *args, "--format", "json").output)
        assert [c["verdict"] for c in payload["claims"]] == ["reproduced", "reproduced"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("analyze", "--data", "missing.csv"), 66, "no such file"),
        (("analyze", "--hba1c-unit", "mg"), 64, "HbA1c unit 'mg' is not known"),
        (("analyze", "--quartile-method", "R7"), 64, "quartile method 'R7'"),
        (("analyze", "--dose-cuts", "a,b"), 64, "--dose-cuts 'a,b'"),
        (("analyze", "--ci-level", "95"), 64, "ci_level=95.0 must be strictly between 0 and 1"),
        (("audit", "--claims", "missing.yaml"), 66, "no such claims file"),
        (("audit", "--claims", "."), 66, "is a folder"),
        (("analyze", "--data", "."), 66, "is a folder"),
    ],
)
def test_errors_exit_non_zero_without_traceback(args, code, message):
    result = run(*args)
    assert result.exit_code == code, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_bad_data_file_lists_rows(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("hba1c_before,hba1c_after\n7.5,x\n25,6\n")
    result = run("analyze", "--data", str(bad))
    assert result.exit_code == 65
    assert "row 2" in result.output and "row 3" in result.output and "'x'" in result.output
    assert "Traceback" not in result.output


def test_audit_own_data_without_claims_is_refused(own_data):
    result = run("audit", "--data", str(own_data))
    assert result.exit_code == 65 and "add --claims FILE" in result.output


def test_claims_file_without_data(tmp_path):
    claims = tmp_path / "c.yaml"
    claims.write_text("claims:\n  - {id: n, claim: n, where: x, statistic: count, reported: '4'}\n")
    result = run("audit", "--claims", str(claims))
    assert result.exit_code == 65 and "names no `study.data`" in result.output


def test_console_script_and_module_entry_points():
    for command in (["mscreg", "audit", "--format", "json"], [sys.executable, "-m", "mscreg", "audit", "--format", "json"]):
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["counts"]["reproduced"] > 0
    bad = subprocess.run(["mscreg", "analyze", "--data", "nope.csv"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 66 and "no such file" in bad.stderr and "Traceback" not in bad.stderr


def test_analyze_json_carries_the_honest_estimates():
    payload = json.loads(run("analyze", "--format", "json", "--n-resamples", "999", "--seed", "11").output)
    estimates = payload["estimates"]
    cohort = next(g for g in estimates["groups"] if g["name"] == "all")
    for key in ("estimate", "ci_low", "ci_high", "ci_level", "p_value", "n", "cohen_dz", "hedges_g_av"):
        assert key in cohort["paired"]
    assert cohort["bootstrap"]["seed"] == 11 and estimates["settings"]["seed"] == 11
    assert {"rows"} <= set(estimates["holm"]) and estimates["oldham"]["n"] == 58
    assert [c["term"] for c in estimates["dose_response"]["coefficients"]] == ["Intercept", "baseline", "log_dose", "months"]
    assert estimates["external"]["label"].startswith("external, uncontrolled")
    assert "estimates" not in json.loads(run("analyze", "--format", "json", "--paper-only").output)


def test_analyze_text_shows_every_section():
    output = run("analyze", "--n-resamples", "999").output
    for title in ("Effect estimates", "Regression to the mean", "Oldham", "Dose-response", "Durability", "Responders",
                  "External context"):
        assert title in output, title


def test_analyze_grid_options():
    payload = json.loads(run("analyze", "--format", "json", "--n-resamples", "999", "--rho-grid", "0.5,0.9", "--mu-grid", "7.5").output)
    points = next(g for g in payload["estimates"]["groups"] if g["name"] == "all")["rtm"]["points"]
    assert sorted((p["rho"], p["mu"]) for p in points) == [(0.5, 7.5), (0.9, 7.5)]
    bad = run("analyze", "--rho-grid", "x")
    assert bad.exit_code == 64 and "--rho-grid 'x'" in bad.output


def test_error_messages_with_brackets_are_printed_verbatim(tmp_path):
    claims = tmp_path / "bad.yaml"
    claims.write_text('claims:\n  - {id: c1, claim: x, where: y, statistic: average, quantity: age, reported: "1"}\n')
    result = run("audit", "--claims", str(claims))
    assert result.exit_code == 65
    assert "claims[0] (id 'c1')" in result.output


def test_degenerate_cohort_every_change_equal(tmp_path):
    # Every patient's HbA1c is unchanged: analyze reports what it can with caveats; report and
    # design refuse with a clear message instead of a traceback.
    flat = tmp_path / "flat.csv"
    flat.write_text("patient_id,hba1c_before,hba1c_after,dose_million,months_observed\n"
                    "A,7.0,7.0,1000,12\nB,8.0,8.0,2000,24\nC,9.0,9.0,500,36\nD,7.5,7.5,1000,6\n")
    analyzed = run("analyze", "--data", str(flat), "--format", "json", "--n-resamples", "999")
    assert analyzed.exit_code == 0, analyzed.output
    caveats = " ".join(json.loads(analyzed.output)["estimates"]["caveats"])
    assert "Oldham's baseline–change correlation not estimated" in caveats
    report = run("report", "--data", str(flat), "--out", str(tmp_path / "r.html"))
    assert report.exit_code == 65 and "changes vary" in report.output and not (tmp_path / "r.html").exists()
    design = run("design", "--data", str(flat))
    assert design.exit_code == 65 and "to vary" in design.output
