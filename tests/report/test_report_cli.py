"""`mscreg report` end to end: the same numbers as analyze/audit, self-contained, clean failures."""

from __future__ import annotations

import json
import re

import pytest

from mscreg.report.format import ci, num, pval
from tests.report.conftest import FAST, invoke


def shown(text: str) -> str:
    """A formatted value as the HTML parser reads it (the superscript loses its caret)."""
    return text.replace("^", "")


def row(table: list[list[str]], label: str) -> list[str]:
    return next(r for r in table if r and r[0] == label)


# --------------------------------------------------------------------------- same numbers
def test_payload_equals_analyze_and_audit_json(payload):
    analyze = invoke("analyze", "--format", "json", *FAST)
    audit = invoke("audit", "--format", "json")
    assert analyze.exit_code == 0 and audit.exit_code == 0
    assert payload["analyze"] == json.loads(analyze.output)
    assert payload["audit"] == json.loads(audit.output)
    assert payload["format"] == "mscreg-report/1"


def test_payload_design_equals_mscreg_design(payload):
    basis = payload["design_basis"]
    result = invoke("design", "--effect", str(basis["effect"]), "--sd", repr(basis["sd"]), "--rho", repr(basis["rho"]),
                    "--format", "json")
    design = json.loads(result.output)
    assert [m["n_per_arm"] for m in design["methods"]] == [m["n_per_arm"] for m in payload["design"]["methods"]]
    paired = payload["analyze"]["estimates"]["groups"][0]["paired"]
    assert basis["sd"] == pytest.approx(((paired["sd_before"] ** 2 + paired["sd_after"] ** 2) / 2) ** 0.5)
    assert basis["rho"] == paired["r_before_after"]


def test_payload_cohort_design_equals_mscreg_design_cohort_mode(payload):
    result = invoke("design", "--format", "json")
    assert result.exit_code == 0, result.output
    design = json.loads(result.output)
    assert payload["cohort_design"]["cohort"] == design["cohort"]
    assert [[m["n_per_arm"] for m in s["methods"]] for s in payload["cohort_design"]["scenarios"]] == \
        [[m["n_per_arm"] for m in s["methods"]] for s in design["scenarios"]]


def test_primary_table_shows_the_json_values(payload, tables):
    cohort = payload["analyze"]["estimates"]["groups"][0]
    p, boot = cohort["paired"], cohort["bootstrap"]
    table = tables["primary-table"]
    assert row(table, "Mean change (after − before), % points")[1:] == [num(p["estimate"]), ci(p["ci_low"], p["ci_high"]), shown(pval(p["p_value"]))]
    assert row(table, "Mean change, BCa bootstrap CI")[2] == ci(boot["ci_low"], boot["ci_high"])
    assert row(table, "Cohen's d_z")[1] == num(p["cohen_dz"])
    assert num(p["estimate"]) == "−0.79"  # by hand: mean of after − before on Table 1 is −0.7931


def test_subgroup_table_has_raw_and_holm_p(payload, tables):
    holm = {r["label"]: r for r in payload["analyze"]["estimates"]["holm"]["rows"]}
    table = tables["subgroup-table"]
    assert table[0][-2:] == ["p (raw)", "p (Holm)"]
    for group in payload["analyze"]["estimates"]["groups"][1:]:
        cells = row(table, group["name"])
        assert cells[2] == str(group["n"]) and cells[3] == num(group["paired"]["estimate"])
        assert cells[6] == shown(pval(holm[group["name"]]["p_value"]))
        assert cells[7] == shown(pval(holm[group["name"]]["p_adjusted"]))


def test_table1_means_agree_with_the_paper_descriptives(payload, tables):
    desc = payload["analyze"]["paper"]["descriptives"]
    table = tables["table1"]
    for column, label, digits in (("hba1c_before", "HbA1c before, %", 2), ("age", "Age, years", 1)):
        assert row(table, f"{label}: mean (SD)")[1] == f"{num(desc[column]['mean'], digits)} ({num(desc[column]['sd'], digits)})"
        assert row(table, f"{label}: n missing")[1] == "0"
    assert row(table, "Sex, F / M")[1] == "16 / 42"


def test_every_claim_is_in_the_audit_table(payload, tables):
    claims = payload["audit"]["claims"]
    table = tables["claims-table"][1:]
    assert [r[0] for r in table] == [c["id"] for c in claims]
    for cells, claim in zip(table, claims):
        assert cells[2] == claim["reported"]
        assert cells[4] == claim["verdict"].replace("_", " ")
        assert cells[5] == (claim["convention"] or "—")
    assert len(tables["consistency-table"]) - 1 == len(payload["audit"]["consistency"])


def test_design_and_responder_tables(payload, tables):
    for cells, method in zip(tables["design-table"][1:], payload["design"]["methods"]):
        assert cells[3] == str(method["n_per_arm"]) and cells[4] == str(method["n_total"])
    rcv = payload["analyze"]["estimates"]["responders"]["rcv_responders"]
    assert row(tables["responder-table"], rcv["label"])[1] == f"{rcv['count']}/{rcv['n']}"


def test_summary_states_the_main_findings(seed_html, payload):
    summary = seed_html[seed_html.index('id="summary"'):seed_html.index('<nav')]
    assert "fell by 0.79 % points" in summary
    assert "survives every point of the grid" in summary
    assert f"{payload['audit']['counts']['not_reproduced']} could not be reproduced" in summary
    assert "states 61 patients; its table holds 58 rows" in summary


def test_external_section_is_labelled_uncontrolled(tables, seed_html):
    assert "NOT a control group" in seed_html
    assert len(tables["external-table"]) > 1


def test_methods_and_provenance(seed_html, payload, tables):
    assert "seed 20250321" in seed_html and "999 resamples" in seed_html
    for name in ("numpy", "scipy", "statsmodels", "pandas", "matplotlib"):
        assert f"{name} {payload['versions'][name]}" in seed_html
    provenance = {r[0]: r[1] for r in tables["provenance-table"][1:]}
    assert provenance["Table SHA-256"] == payload["analyze"]["data"]["sha256"]
    assert re.fullmatch(r"[0-9a-f]{64}", provenance["Claims SHA-256"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", provenance["Generated (UTC)"])


# --------------------------------------------------------------------------- self-contained
def test_html_is_self_contained(seed_html):
    assert not re.search(r"""(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//""", seed_html, re.I)
    assert "http:" not in seed_html and "https:" not in seed_html and "//" not in re.sub(r"<script.*?</script>", "", seed_html, flags=re.S)
    assert "@import" not in seed_html
    assert set(re.findall(r"url\((.)", seed_html)) == {"#"}  # only fragment references inside the SVGs
    targets = re.findall(r'(?:src|href)="([^"]*)"', seed_html)
    assert targets and all(t.startswith(("#", "data:image/png;base64,")) for t in targets)  # in-page or inline data
    assert "<link" not in seed_html and "<script src" not in seed_html
    assert seed_html.count("<svg") == 7 and seed_html.count('role="img"') == 7


def test_every_figure_has_alt_text(seed_html):
    for figure in re.findall(r"<figure .*?</figure>", seed_html, re.S):
        assert re.search(r'aria-label="[^"]{20,}"', figure)
        assert re.search(r"<title id=\"figure-[a-z-]+-title\">[^<]{20,}</title>", figure)


# --------------------------------------------------------------------------- own data, errors
@pytest.fixture
def own_data(tmp_path):
    path = tmp_path / "My Study.csv"
    path.write_text("patient_id,sex,age,dose_million,hba1c_before,hba1c_after,months_observed\n"
                    "A,M,50,1000,8.4,7.1,12\nB,F,61,2000,7.1,6.9,24\nC,M,70,500,9.9,8.0,36\n"
                    "D,F,45,2000,6.8,6.9,6\n,,,,,,\nE,M,66,1500,7.9,,\nF,F,58,800,7.4,6.6,18\n")
    return path


def test_own_data_without_claims_leaves_the_audit_out(own_data, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("report", "--data", str(own_data), *FAST)
    assert result.exit_code == 0, result.output
    out = tmp_path / "mscreg-report-my-study.html"
    html = out.read_text(encoding="utf-8")
    assert "No claims file was given" in html
    assert "1 row without a follow-up HbA1c" in html and "1 blank row skipped in the file (rows 6)" in html
    assert "<svg" in html


def _no_output(folder):
    return sorted(p.name for p in folder.iterdir() if p.suffix in (".html", ".pdf", ".part") or p.name.endswith(".part"))


@pytest.mark.parametrize(
    ("kind", "code"),
    [("missing", 66), ("bad_rows", 65), ("bad_claims", 65), ("bad_grid", 64)],
)
def test_bad_input_fails_like_analyze_and_audit_without_output(kind, code, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("hba1c_before,hba1c_after\n7.5,x\n25,6\n")
    claims = tmp_path / "claims.yaml"
    claims.write_text("claims:\n  - {id: n, claim: n, where: x, statistic: nonsense, reported: '4'}\n")
    args, twin = {
        "missing": (("--data", str(tmp_path / "nope.csv")), "analyze"),
        "bad_rows": (("--data", str(bad)), "analyze"),
        "bad_claims": (("--claims", str(claims)), "audit"),
        "bad_grid": (("--rho-grid", "x"), "analyze"),
    }[kind]
    out = tmp_path / "r.html"
    result = invoke("report", *args, "--out", str(out))
    reference = invoke(twin, *args)
    assert result.exit_code == reference.exit_code == code
    assert result.output == reference.output and "Traceback" not in result.output
    assert _no_output(tmp_path) == []


def test_unwritable_output_folder(tmp_path):
    result = invoke("report", "--out", str(tmp_path / "no" / "such" / "r.html"), *FAST)
    assert result.exit_code == 66 and "does not exist" in result.output
