"""`mscreg audit` on studies and claims files its authors have not seen.

Written as an outside user would use the tool, from ``docs/claims-format.md`` and the
analysis-table schema only. Every study is synthetic (seeded numpy Generator), written to
``tmp_path`` as CSV (one as XLSX); every "reported" value is computed *here*, with numpy /
scipy / ``statistics`` and the steps visible, under a convention the claims file does not
state. The audit must find that convention, reproduce the correctly stated claims, and
reject the wrong ones.

Guards (``_guard_*`` asserts) make sure each hidden-convention claim really needs the
convention: the value under the stated conventions, rounded as printed, must differ from
the reported one; and no value used sits on a rounding tie (the tests would otherwise
depend on float noise).
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from typer.testing import CliRunner

from mscreg.cli.app import app

VERDICTS = {"reproduced", "reproduced_with_convention", "not_reproduced", "not_checkable"}
CLAIM_KEYS = {"id", "verdict", "reported", "recomputed", "convention", "explanation"}
COLUMNS = ["patient_id", "sex", "age", "dose_million", "hba1c_before", "hba1c_after", "months_observed"]

runner = CliRunner()


# ---------------------------------------------------------------------------------------
# Helpers: rounding as printed, files, running the audit
# ---------------------------------------------------------------------------------------


def _guard_no_tie(value: float, decimals: int) -> None:
    """The value must not sit (within float noise) on a half-way point at `decimals`."""
    scaled = abs(value) * 10**decimals
    frac = scaled - math.floor(scaled)
    assert abs(frac - 0.5) > 1e-6, f"{value!r} is a rounding tie at {decimals} decimals: pick another seed"


def half_up(value: float, decimals: int) -> str:
    """Round half away from zero to `decimals`, as printed (no tie allowed)."""
    _guard_no_tie(value, decimals)
    q = Decimal(1).scaleb(-decimals)
    return str(Decimal(repr(float(value))).quantize(q, rounding=ROUND_HALF_UP))


def truncate(value: float, decimals: int) -> str:
    """Drop digits beyond `decimals` (towards zero)."""
    q = Decimal(1).scaleb(-decimals)
    return str(Decimal(repr(float(value))).quantize(q, rounding=ROUND_DOWN))


def write_csv(path: Path, header: list[str], rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row[k] for k in header})
    return path


def write_xlsx(path: Path, header: list[str], rows: list[dict]) -> Path:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "patients"
    sheet.append(header)
    for row in rows:
        cells = []
        for k in header:
            text = row[k]
            if text == "":
                cells.append(None)
            elif k in ("patient_id", "sex"):
                cells.append(text)
            else:
                cells.append(float(text) if "." in text else int(text))
        sheet.append(cells)
    workbook.save(path)
    return path


def yq(text: str) -> str:
    """A YAML double-quoted scalar."""
    return json.dumps(text, ensure_ascii=False)


def claims_yaml(*, conventions: dict, subsets: dict[str, str], claims: list[dict], checks: list[str] = (),
                study_data: str | None = None) -> str:
    lines = ["format: mscreg-claims/1", "study:", "  title: An unseen single-arm MSC study"]
    if study_data:
        lines.append(f"  data: {study_data}")
    lines.append("conventions:")
    lines += [f"  {k}: {v}" for k, v in conventions.items()]
    if subsets:
        lines.append("subsets:")
        lines += [f"  {name}: {spec}" for name, spec in subsets.items()]
    lines.append("claims:")
    for claim in claims:
        first = True
        for key, value in claim.items():
            prefix = "  - " if first else "    "
            first = False
            if isinstance(value, dict):
                inner = ", ".join(f"{k}: {v}" for k, v in value.items())
                lines.append(f"{prefix}{key}: {{{inner}}}")
            else:
                lines.append(f"{prefix}{key}: {yq(str(value))}")
    if checks:
        lines.append("checks:")
        lines += [f"  - {c}" for c in checks]
    return "\n".join(lines) + "\n"


def claim(cid: str, statistic: str, reported: str, **extra) -> dict:
    out = {"id": cid, "claim": f"synthetic claim {cid}", "where": "Results", "statistic": statistic}
    out.update(extra)
    out["reported"] = reported
    return out


def run_audit(args: list[str]):
    result = runner.invoke(app, ["audit", *args])
    return result


def audit_json(data: Path | None, claims: Path, *extra: str) -> dict:
    args = (["--data", str(data)] if data is not None else []) + ["--claims", str(claims), "--format", "json", *extra]
    result = run_audit(args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code != 65, result.output
    assert "Traceback" not in result.output
    report = json.loads(result.stdout)
    return report


def by_id(report: dict) -> dict[str, dict]:
    return {c["id"]: c for c in report["claims"]}


def read_back(path: Path) -> dict[str, list]:
    """Read our own CSV back as an outside user would, to compute from the exact values written."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    out: dict[str, list] = {k: [] for k in rows[0]}
    for row in rows:
        for k, v in row.items():
            if k in ("patient_id", "sex"):
                out[k].append(v)
            else:
                out[k].append(float(v) if v != "" else math.nan)
    return {k: (np.array(v, dtype=float) if k not in ("patient_id", "sex") else np.array(v)) for k, v in out.items()}


def make_rows(seed: int, n: int, *, boundary: list[float], missing_after: int = 0,
              women: int | None = None, sd_women: float = 1.0, sd_men: float = 1.0) -> list[dict]:
    """Synthetic patients; HbA1c with one decimal, some exactly on subset boundaries."""
    rng = np.random.default_rng(seed)
    if women is None:
        sex = rng.choice(["M", "F"], size=n, p=[0.6, 0.4])
    else:
        sex = np.array(["F"] * women + ["M"] * (n - women))
        rng.shuffle(sex)
    age = rng.integers(38, 86, size=n)
    dose = rng.choice([100, 500, 1000, 1500, 2000], size=n)
    before = np.round(rng.uniform(6.3, 11.4, size=n), 1)
    before[: len(boundary)] = boundary  # values exactly on subset ends
    sds = np.where(sex == "F", sd_women, sd_men)
    fall = rng.normal(0.7, 1.0, size=n) * sds
    after = np.clip(np.round(before - fall, 1), 4.5, 15.0)
    months = np.round(rng.uniform(6.0, 60.0, size=n), 1)
    rows = []
    for i in range(n):
        rows.append({
            "patient_id": f"P{i + 1:03d}",
            "sex": str(sex[i]),
            "age": str(int(age[i])),
            "dose_million": str(int(dose[i])),
            "hba1c_before": f"{before[i]:.1f}",
            "hba1c_after": "" if i >= n - missing_after else f"{after[i]:.1f}",
            "months_observed": f"{months[i]:.1f}",
        })
    return rows


STATED = {
    "alternative": "two-sided",
    "test": "paired",
    "ddof": 1,
    "quartile_method": "linear",
    "rounding": "half-up",
    "correlation": "pearson",
    "alpha": 0.05,
}


# ---------------------------------------------------------------------------------------
# Study A (CSV, 40 patients, one without follow-up): hidden conventions of every kind
# ---------------------------------------------------------------------------------------


SEED_A, SEED_B, SEED_C, SEED_K = 22, 3, 5, 31


def build_study_a(tmp: Path, seed: int = SEED_A):
    rows = make_rows(seed, 40, boundary=[8.0, 8.0, 8.0, 7.0, 7.0], missing_after=1)
    data = write_csv(tmp / "table.csv", COLUMNS, rows)
    d = read_back(data)
    before, after, age, months = d["hba1c_before"], d["hba1c_after"], d["age"], d["months_observed"]
    sex = d["sex"]
    paired = ~np.isnan(after)
    reduction = before[paired] - after[paired]          # before − after, paired rows only
    change = after[paired] - before[paired]             # after − before
    n_all = len(before)
    exp: dict[str, dict] = {}
    claims: list[dict] = []

    # -- stated correctly ---------------------------------------------------------------
    claims.append(claim("a-n", "count", str(n_all)))
    exp["a-n"] = {"verdict": "reproduced", "recomputed": n_all}

    n_paired = int(paired.sum())
    claims.append(claim("a-n-paired", "count", str(n_paired), quantity="reduction"))
    exp["a-n-paired"] = {"verdict": "reproduced", "recomputed": n_paired}

    n_women = int((sex == "F").sum())
    claims.append(claim("a-n-women", "count", str(n_women), subset="women"))
    exp["a-n-women"] = {"verdict": "reproduced", "recomputed": n_women}

    pct_women = 100 * n_women / n_all
    claims.append(claim("a-pct-women", "percent", half_up(pct_women, 1) + "%", subset="women"))
    exp["a-pct-women"] = {"verdict": "reproduced", "recomputed": pct_women}

    age_mean = statistics.fmean(age)
    claims.append(claim("a-age-mean", "mean", half_up(age_mean, 1), quantity="age"))
    exp["a-age-mean"] = {"verdict": "reproduced", "recomputed": age_mean}

    lo, hi = before.min(), before.max()
    claims.append(claim("a-before-range", "range", f"{lo:.1f}–{hi:.1f}", quantity="hba1c_before"))
    exp["a-before-range"] = {"verdict": "reproduced", "recomputed": [lo, hi]}

    # moderate = 7 ≤ before ≤ 8, stated and computed with both ends included
    moderate = (before >= 7.0) & (before <= 8.0)
    moderate_open = (before > 7.0) & (before < 8.0)
    mod_mean = statistics.fmean(before[moderate])
    assert half_up(mod_mean, 2) != half_up(statistics.fmean(before[moderate_open]), 2)  # guard: ends matter
    claims.append(claim("a-moderate-before", "mean", half_up(mod_mean, 2), quantity="hba1c_before", subset="moderate"))
    exp["a-moderate-before"] = {"verdict": "reproduced", "recomputed": mod_mean}

    red_mean = statistics.fmean(reduction)
    red_sd = statistics.stdev(reduction)                 # ddof 1
    t_paired = red_mean / (red_sd / math.sqrt(len(reduction)))
    df_paired = len(reduction) - 1
    p_two = 2 * stats.t.sf(abs(t_paired), df_paired)
    assert math.isclose(p_two, stats.ttest_rel(before[paired], after[paired]).pvalue, rel_tol=1e-9)
    claims.append(claim("a-t", "ttest_t", half_up(t_paired, 2), quantity="reduction"))
    exp["a-t"] = {"verdict": "reproduced", "recomputed": t_paired}
    assert p_two < 0.05  # guard: the decision claim below says "significant"
    claims.append(claim("a-significant", "ttest_p", "significant", quantity="reduction"))
    exp["a-significant"] = {"verdict": "reproduced", "recomputed": p_two}

    # two-sided paired p in women, stated correctly
    w = sex[paired] == "F"
    red_w = reduction[w]
    t_w = statistics.fmean(red_w) / (statistics.stdev(red_w) / math.sqrt(len(red_w)))
    p_w = 2 * stats.t.sf(abs(t_w), len(red_w) - 1)
    claims.append(claim("a-p-women", "ttest_p", "p = " + half_up(p_w, 3), quantity="reduction", subset="women"))
    exp["a-p-women"] = {"verdict": "reproduced", "recomputed": p_w}

    q1_lin, q3_lin = np.quantile(before, [0.25, 0.75], method="linear")
    claims.append(claim("a-iqr", "iqr", f"{half_up(q1_lin, 3)}–{half_up(q3_lin, 3)}", quantity="hba1c_before"))
    exp["a-iqr"] = {"verdict": "reproduced", "recomputed": [q1_lin, q3_lin]}

    r_pearson = float(np.corrcoef(age[paired], reduction)[0, 1])
    claims.append(claim("a-r", "correlation", "r = " + half_up(r_pearson, 3), quantity="reduction", **{"with": "age"}))
    exp["a-r"] = {"verdict": "reproduced", "recomputed": r_pearson}

    # -- hidden conventions ------------------------------------------------------------
    # severe stated as before > 8, computed as before ≥ 8
    sev_incl = before[paired] >= 8.0
    sev_excl = before[paired] > 8.0
    sev_mean = statistics.fmean(reduction[sev_incl])
    assert half_up(sev_mean, 2) != half_up(statistics.fmean(reduction[sev_excl]), 2)  # guard
    claims.append(claim("a-severe-fall", "mean", half_up(sev_mean, 2), quantity="reduction", subset="severe"))
    exp["a-severe-fall"] = {"verdict": "reproduced_with_convention", "keywords": [["≥ 8", ">= 8"], ["severe"]],
                            "recomputed": statistics.fmean(reduction[sev_excl])}

    # "below7" stated as before < 7, counted as before ≤ 7
    n_le7 = int((before <= 7.0).sum())
    assert n_le7 != int((before < 7.0).sum())  # guard
    claims.append(claim("a-below7-n", "count", str(n_le7), subset="below7"))
    exp["a-below7-n"] = {"verdict": "reproduced_with_convention", "keywords": [["≤ 7", "<= 7"]],
                         "recomputed": int((before < 7.0).sum())}

    # one-sided p while the file says two-sided
    p_one = stats.t.sf(t_paired, df_paired)               # alternative 'greater' on before − after
    assert math.isclose(p_one, p_two / 2)
    assert half_up(p_one, 4) != half_up(p_two, 4)  # guard
    claims.append(claim("a-p-one-sided", "ttest_p", "p = " + half_up(p_one, 4), quantity="reduction"))
    exp["a-p-one-sided"] = {"verdict": "reproduced_with_convention", "keywords": [["one-sided"]], "recomputed": p_two}

    # population SD (ddof 0) instead of sample SD
    sd1 = statistics.stdev(before)
    sd0 = statistics.pstdev(before)
    assert half_up(sd1, 2) != half_up(sd0, 2)  # guard
    claims.append(claim("a-sd-pop", "sd", half_up(sd0, 2), quantity="hba1c_before"))
    exp["a-sd-pop"] = {"verdict": "reproduced_with_convention", "keywords": [["ddof=0", "population"]], "recomputed": sd1}

    # Excel QUARTILE.EXC (R type 6): position p·(n+1), 1-based, linear between order statistics
    srt = np.sort(before)
    pos = 0.25 * (len(srt) + 1)
    k = int(math.floor(pos))
    q1_exc = srt[k - 1] + (pos - k) * (srt[k] - srt[k - 1])
    assert math.isclose(q1_exc, np.quantile(before, 0.25, method="weibull"))
    assert half_up(q1_exc, 3) != half_up(q1_lin, 3)  # guard
    claims.append(claim("a-q1-exc", "q1", half_up(q1_exc, 3), quantity="hba1c_before"))
    exp["a-q1-exc"] = {"verdict": "reproduced_with_convention", "keywords": [["weibull", "QUARTILE.EXC"]],
                       "recomputed": q1_lin}

    # median follow-up truncated to whole months instead of rounded
    med_months = statistics.median(months)
    assert truncate(med_months, 0) != half_up(med_months, 0)  # guard
    claims.append(claim("a-months-median", "median", truncate(med_months, 0), quantity="months_observed"))
    exp["a-months-median"] = {"verdict": "reproduced_with_convention", "keywords": [["truncat"]],
                              "recomputed": med_months}

    # mean change (after − before) printed with the opposite sign (i.e. the mean fall)
    change_mean = statistics.fmean(change)
    assert half_up(change_mean, 2) != half_up(-change_mean, 2)  # guard
    claims.append(claim("a-change-sign", "mean", half_up(-change_mean, 2), quantity="change"))
    exp["a-change-sign"] = {"verdict": "reproduced_with_convention",
                            "keywords": [["sign", "other way", "before − after", "before - after", "revers"]],
                            "recomputed": change_mean}

    # Spearman while the file says Pearson
    rho = float(stats.spearmanr(age[paired], reduction).statistic)
    ranks_a, ranks_r = stats.rankdata(age[paired]), stats.rankdata(reduction)
    assert math.isclose(rho, float(np.corrcoef(ranks_a, ranks_r)[0, 1]))
    assert half_up(rho, 2) != half_up(r_pearson, 2) and half_up(rho, 2) != half_up(-r_pearson, 2)  # guard
    claims.append(claim("a-rho", "correlation", "r = " + half_up(rho, 2), quantity="reduction", **{"with": "age"}))
    exp["a-rho"] = {"verdict": "reproduced_with_convention", "keywords": [["spearman"]], "recomputed": r_pearson}

    # -- genuinely wrong ---------------------------------------------------------------
    before_mean = statistics.fmean(before)
    claims.append(claim("a-before-mean-wrong", "mean", half_up(before_mean + 0.3, 2), quantity="hba1c_before"))
    exp["a-before-mean-wrong"] = {"verdict": "not_reproduced", "recomputed": before_mean}

    # -- not checkable -----------------------------------------------------------------
    claims.append(claim("a-adverse", "count", "0", not_checkable="The table records no adverse events."))
    exp["a-adverse"] = {"verdict": "not_checkable"}

    subsets = {
        "severe": "{column: hba1c_before, lower: 8, inclusive: neither}",
        "moderate": "{column: hba1c_before, lower: 7, upper: 8, inclusive: both}",
        "below7": "{column: hba1c_before, upper: 7, inclusive: neither}",
        "women": "{column: sex, equals: F}",
    }
    text = claims_yaml(conventions=STATED, subsets=subsets, claims=claims, study_data="table.csv")
    claims_path = tmp / "claims.yaml"
    claims_path.write_text(text, encoding="utf-8")
    return {"data": data, "claims": claims_path, "expected": exp}


@pytest.fixture(scope="module")
def study_a(tmp_path_factory):
    built = build_study_a(tmp_path_factory.mktemp("study_a"))
    return {**built, "report": audit_json(built["data"], built["claims"])}


def _check_claim(got: dict, want: dict) -> None:
    assert got["verdict"] == want["verdict"], json.dumps(got, ensure_ascii=False, indent=1)
    if want["verdict"] == "reproduced_with_convention":
        conv = got["convention"]
        assert isinstance(conv, str) and conv, got
        for alternatives in want["keywords"]:
            assert any(a.lower() in conv.lower() for a in alternatives), (alternatives, conv)
    elif want["verdict"] == "reproduced":
        # the docs leave `convention` of a reproduced claim open; it must not name a change
        assert got["convention"] is None or got["convention"].startswith("as stated"), got
    elif want["verdict"] == "not_reproduced":
        assert got["convention"] is None, got
    if "recomputed" in want:  # always the value under the *stated* conventions
        value = want["recomputed"]
        if isinstance(value, list):
            assert got["recomputed"] == pytest.approx(value, abs=1e-9), got
        else:
            assert got["recomputed"] == pytest.approx(value, abs=1e-9), got


STUDY_A_IDS = [
    "a-n", "a-n-paired", "a-n-women", "a-pct-women", "a-age-mean", "a-before-range", "a-moderate-before", "a-t",
    "a-significant", "a-p-women", "a-iqr", "a-r", "a-severe-fall", "a-below7-n", "a-p-one-sided", "a-sd-pop",
    "a-q1-exc", "a-months-median", "a-change-sign", "a-rho", "a-before-mean-wrong", "a-adverse",
]


@pytest.mark.parametrize("cid", STUDY_A_IDS)
def test_study_a_claim(study_a, cid):
    got = by_id(study_a["report"])
    assert cid in got, sorted(got)
    _check_claim(got[cid], study_a["expected"][cid])


def test_study_a_json_shape(study_a):
    report = study_a["report"]
    assert len(report["claims"]) == len(STUDY_A_IDS)
    claims_text = study_a["claims"].read_text(encoding="utf-8")
    for c in report["claims"]:
        assert CLAIM_KEYS <= set(c), (c["id"], set(c))
        assert c["verdict"] in VERDICTS
        assert isinstance(c["explanation"], str) and c["explanation"]
        assert json.dumps(c["reported"], ensure_ascii=False) in claims_text  # as printed
    assert report["data"]["rows"] == 40
    counts = {v: sum(c["verdict"] == v for c in report["claims"]) for v in VERDICTS}
    assert {k: v for k, v in report["counts"].items() if v} == {k: v for k, v in counts.items() if v}


def test_study_a_not_reproduced_explains_closest(study_a):
    got = by_id(study_a["report"])["a-before-mean-wrong"]
    # the explanation gives the value under the stated conventions (rounded somewhere)
    before = read_back(study_a["data"])["hba1c_before"]
    assert half_up(statistics.fmean(before), 2) in got["explanation"], got["explanation"]


def test_study_a_via_console_script_and_study_data(study_a):
    """The installed `mscreg` script, with the table taken from `study.data` (no --data)."""
    exe = shutil.which("mscreg") or str(Path(sys.executable).with_name("mscreg"))
    proc = subprocess.run(
        [exe, "audit", "--claims", str(study_a["claims"]), "--format", "json"],
        capture_output=True, text=True, timeout=60, env={**os.environ, "NO_COLOR": "1"},
    )
    assert "Traceback" not in proc.stderr
    report = json.loads(proc.stdout)
    verdicts = {c["id"]: (c["verdict"], c["convention"]) for c in report["claims"]}
    expected = {c["id"]: (c["verdict"], c["convention"]) for c in study_a["report"]["claims"]}
    assert verdicts == expected
    assert report["data"]["rows"] == 40


# ---------------------------------------------------------------------------------------
# Study E (study A's table, another claims file): exact ties, signs as printed, stated n,
# percent of a base subset, automatic GRIM and within-range checks
# ---------------------------------------------------------------------------------------


def build_study_e(tmp: Path, seed: int = SEED_A):
    rows = make_rows(seed, 40, boundary=[8.0, 8.0, 8.0, 7.0, 7.0], missing_after=1)
    data = write_csv(tmp / "table.csv", COLUMNS, rows)
    d = read_back(data)
    before, after, age, sex = d["hba1c_before"], d["hba1c_after"], d["age"], d["sex"]
    paired = ~np.isnan(after)
    change = after[paired] - before[paired]
    exp: dict[str, dict] = {}

    # exact decimal tie: ages are integers, so the mean is exactly sum/40 in decimal
    age_sum, n = int(age.sum()), len(age)
    exact = Decimal(age_sum) / Decimal(n)
    assert exact.as_tuple().exponent == -3 and exact.as_tuple().digits[-1] == 5  # guard: a tie at 2 decimals
    tie_up = str(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    tie_even = str(exact.quantize(Decimal("0.01"), rounding="ROUND_HALF_EVEN"))
    assert tie_up != tie_even
    claims = [
        claim("e-age-tie-up", "mean", tie_up, quantity="age"),
        claim("e-age-tie-even", "mean", tie_even, quantity="age"),
    ]
    exp["e-age-tie-up"] = {"verdict": "reproduced", "recomputed": float(exact)}
    exp["e-age-tie-even"] = {"verdict": "reproduced_with_convention", "keywords": [["even"]], "recomputed": float(exact)}

    # negative values as a paper prints them: U+2212 minus, and a pair written with "to"
    change_mean = statistics.fmean(change)
    assert change_mean < 0
    claims.append(claim("e-change-uminus", "mean", "\u2212" + half_up(-change_mean, 2), quantity="change"))
    exp["e-change-uminus"] = {"verdict": "reproduced", "recomputed": change_mean}
    lo, hi = float(change.min()), float(change.max())
    assert lo < 0 < hi
    claims.append(claim("e-change-range", "range", f"{lo:.1f} to {hi:.1f}", quantity="change"))
    exp["e-change-range"] = {"verdict": "reproduced", "recomputed": [lo, hi]}

    # stated n = 45 while the table holds 40 rows; the value is the 40-row mean of dose
    dose_mean = statistics.fmean(d["dose_million"])
    claims.append(claim("e-dose-n", "mean", half_up(dose_mean, 1), quantity="dose_million", n="45"))
    exp["e-dose-n"] = {"verdict": "reproduced_with_convention", "keywords": [["40"], ["45"]], "recomputed": dose_mean}

    # percent of women among the severe (before ≥ 8): 100 × |women ∩ severe| / |severe|
    severe = before >= 8.0
    women_in_severe = int(((sex == "F") & severe).sum())
    pct = 100 * women_in_severe / int(severe.sum())
    claims.append(claim("e-pct-women-severe", "percent", half_up(pct, 1) + "%", subset="women", of="severe"))
    exp["e-pct-women-severe"] = {"verdict": "reproduced", "recomputed": pct}

    # a mean of 40 whole-number ages that no sum can give: 64.71 (sums 2588 → 64.70, 2589 → 64.725)
    assert not grim_consistent("64.71", 40, 1)
    claims.append(claim("e-age-grim", "mean", "64.71", quantity="age", n="40", subset="all"))
    exp["e-age-grim"] = {"verdict": "not_reproduced", "recomputed": float(exact)}

    # a mean outside the stated range
    claims.append(claim("e-after-range", "range", f"{np.nanmin(after):.1f}–{np.nanmax(after):.1f}",
                        quantity="hba1c_after"))
    exp["e-after-range"] = {"verdict": "reproduced", "recomputed": [float(np.nanmin(after)), float(np.nanmax(after))]}
    outside = np.nanmax(after) + 1.0
    claims.append(claim("e-after-mean-outside", "mean", f"{outside:.1f}", quantity="hba1c_after"))
    exp["e-after-mean-outside"] = {"verdict": "not_reproduced", "recomputed": float(np.nanmean(after))}

    # a two-ended band stated 7 ≤ before ≤ 8 but computed as 7 ≤ before < 8
    half_open = (before >= 7.0) & (before < 8.0)
    closed = (before >= 7.0) & (before <= 8.0)
    mean_half_open = statistics.fmean(before[half_open])
    assert half_up(mean_half_open, 2) != half_up(statistics.fmean(before[closed]), 2)  # guard
    claims.append(claim("e-moderate-upper-open", "mean", half_up(mean_half_open, 2), quantity="hba1c_before",
                        subset="moderate"))
    exp["e-moderate-upper-open"] = {"verdict": "reproduced_with_convention", "keywords": [["< 8"], ["moderate"]],
                                    "recomputed": statistics.fmean(before[closed])}

    subsets = {"women": "{column: sex, equals: F}", "severe": "{column: hba1c_before, lower: 8, inclusive: both}",
               "moderate": "{column: hba1c_before, lower: 7, upper: 8, inclusive: both}"}
    claims_path = tmp / "claims.yaml"
    claims_path.write_text(claims_yaml(conventions=STATED, subsets=subsets, claims=claims), encoding="utf-8")
    return {"data": data, "claims": claims_path, "expected": exp, "age_exact": exact}


@pytest.fixture(scope="module")
def study_e(tmp_path_factory):
    built = build_study_e(tmp_path_factory.mktemp("study_e"))
    return {**built, "report": audit_json(built["data"], built["claims"])}


STUDY_E_IDS = ["e-age-tie-up", "e-age-tie-even", "e-change-uminus", "e-change-range", "e-dose-n",
               "e-pct-women-severe", "e-age-grim", "e-after-range", "e-after-mean-outside", "e-moderate-upper-open"]


@pytest.mark.parametrize("cid", STUDY_E_IDS)
def test_study_e_claim(study_e, cid):
    _check_claim(by_id(study_e["report"])[cid], study_e["expected"][cid])


def test_study_e_tie_explanation_shows_the_tie(study_e):
    """Explaining 64.725 → 64.73 as "recomputed 64.72 (→ 64.73 by half-up)" reads as a contradiction."""
    got = by_id(study_e["report"])["e-age-tie-up"]
    assert str(study_e["age_exact"]) in got["explanation"], got["explanation"]


def test_study_e_automatic_checks(study_e):
    checks = study_e["report"]["consistency"]
    grim = [c for c in checks if c["kind"] == "grim" and "e-age-grim" in c["claims"]]
    assert [c["verdict"] for c in grim] == ["inconsistent"], grim
    within = [c for c in checks if c["kind"] == "within_range" and "e-after-mean-outside" in c["claims"]]
    assert [c["verdict"] for c in within] == ["inconsistent"], within
    ok = [c for c in checks if c["kind"] == "within_range" and "e-change-uminus" in c["claims"]]
    assert [c["verdict"] for c in ok] == ["consistent"], ok


def test_study_a_max_changes_zero_finds_no_convention(study_a):
    report = audit_json(study_a["data"], study_a["claims"], "--max-changes", "0")
    got = by_id(report)
    assert report["max_changes"] == 0
    for cid, want in study_a["expected"].items():
        expected = "not_reproduced" if want["verdict"] == "reproduced_with_convention" else want["verdict"]
        assert got[cid]["verdict"] == expected, got[cid]


def test_study_a_csv_format(study_a):
    result = run_audit(["--data", str(study_a["data"]), "--claims", str(study_a["claims"]), "--format", "csv"])
    assert result.exit_code != 65 and "Traceback" not in result.output
    rows = list(csv.DictReader(result.stdout.splitlines()))
    n_items = len(study_a["report"]["claims"]) + len(study_a["report"]["consistency"])
    assert len(rows) == n_items, rows[:3]
    for cid, want in study_a["expected"].items():
        line = next(r for r in rows if cid in r.values())
        assert want["verdict"] in line.values(), line


# ---------------------------------------------------------------------------------------
# Study F (CSV in IFCC mmol/mol, --hba1c-unit ifcc)
# ---------------------------------------------------------------------------------------


def test_study_f_ifcc_units(tmp_path):
    rng = np.random.default_rng(77)
    n = 26
    ifcc_before = rng.integers(45, 100, size=n)                 # mmol/mol, whole numbers
    ifcc_after = ifcc_before - rng.integers(-5, 20, size=n)
    rows = [{"patient_id": f"F{i}", "hba1c_before": str(int(ifcc_before[i])), "hba1c_after": str(int(ifcc_after[i]))}
            for i in range(n)]
    data = write_csv(tmp_path / "ifcc.csv", ["patient_id", "hba1c_before", "hba1c_after"], rows)
    # IFCC master equation (docs/analysis-table.md): NGSP % = 0.0915 × IFCC + 2.15, per patient
    ngsp_before = [0.0915 * x + 2.15 for x in ifcc_before]
    ngsp_after = [0.0915 * x + 2.15 for x in ifcc_after]
    mean_before = statistics.fmean(ngsp_before)
    mean_fall = statistics.fmean([b - a for b, a in zip(ngsp_before, ngsp_after)])
    claims = [
        claim("f-before", "mean", half_up(mean_before, 2), quantity="hba1c_before"),
        claim("f-fall", "mean", half_up(mean_fall, 2), quantity="reduction"),
        claim("f-fall-ifcc", "mean", half_up(statistics.fmean(ifcc_before - ifcc_after), 2), quantity="reduction"),
    ]
    assert half_up(statistics.fmean(ifcc_before - ifcc_after), 2) != half_up(mean_fall, 2)
    path = tmp_path / "claims.yaml"
    path.write_text(claims_yaml(conventions=STATED, subsets={}, claims=claims), encoding="utf-8")
    got = by_id(audit_json(data, path, "--hba1c-unit", "ifcc"))
    _check_claim(got["f-before"], {"verdict": "reproduced", "recomputed": mean_before})
    _check_claim(got["f-fall"], {"verdict": "reproduced", "recomputed": mean_fall})
    assert got["f-fall-ifcc"]["verdict"] == "not_reproduced"


# ---------------------------------------------------------------------------------------
# Study B (CSV, 30 patients, no months_observed column): two-group comparisons
# ---------------------------------------------------------------------------------------


def build_study_b(tmp: Path, seed: int = SEED_B):
    rows = make_rows(seed, 30, boundary=[8.0, 7.0], women=9, sd_women=2.2, sd_men=0.5)
    header = [c for c in COLUMNS if c != "months_observed"]
    data = write_csv(tmp / "table.csv", header, rows)
    d = read_back(data)
    assert "months_observed" not in d
    before, after, age, sex = d["hba1c_before"], d["hba1c_after"], d["age"], d["sex"]
    reduction = before - after
    fem, mal = reduction[sex == "F"], reduction[sex == "M"]
    n1, n2 = len(fem), len(mal)
    v1, v2 = statistics.variance(fem), statistics.variance(mal)
    diff = statistics.fmean(fem) - statistics.fmean(mal)
    # Student: pooled variance, df n1 + n2 − 2
    sp2 = ((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2)
    t_student = diff / math.sqrt(sp2 * (1 / n1 + 1 / n2))
    p_student = 2 * stats.t.sf(abs(t_student), n1 + n2 - 2)
    # Welch: separate variances, Welch–Satterthwaite df
    se2 = v1 / n1 + v2 / n2
    t_welch = diff / math.sqrt(se2)
    df_welch = se2**2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
    p_welch = 2 * stats.t.sf(abs(t_welch), df_welch)
    assert math.isclose(p_welch, stats.ttest_ind(fem, mal, equal_var=False).pvalue, rel_tol=1e-9)
    assert math.isclose(p_student, stats.ttest_ind(fem, mal, equal_var=True).pvalue, rel_tol=1e-9)
    assert half_up(p_welch, 3) != half_up(p_student, 3)  # guard
    assert half_up(p_welch, 3) not in (half_up(p_student / 2, 3), half_up(1 - p_student / 2, 3))  # guard

    # Student p of age, women vs men, stated correctly
    af, am = age[sex == "F"], age[sex == "M"]
    t_age, p_age = stats.ttest_ind(af, am, equal_var=True)
    age_diff = statistics.fmean(af) - statistics.fmean(am)

    exp = {}
    claims = [
        claim("b-n", "count", str(len(before))),
        claim("b-welch-p", "ttest_p", "p = " + half_up(p_welch, 3), quantity="reduction", subset="women",
              versus="men", conventions={"test": "student"}),
        claim("b-student-p", "ttest_p", "p = " + half_up(float(p_age), 3), quantity="age", subset="women",
              versus="men", conventions={"test": "student"}),
        claim("b-age-diff", "mean_difference", half_up(age_diff, 1), quantity="age", subset="women", versus="men"),
        claim("b-months", "median", "24", quantity="months_observed"),
        claim("b-after-mean-wrong", "mean", half_up(statistics.fmean(after) - 0.3, 2), quantity="hba1c_after"),
    ]
    exp["b-n"] = {"verdict": "reproduced", "recomputed": len(before)}
    exp["b-welch-p"] = {"verdict": "reproduced_with_convention", "keywords": [["welch"]], "recomputed": p_student}
    exp["b-student-p"] = {"verdict": "reproduced", "recomputed": float(p_age)}
    exp["b-age-diff"] = {"verdict": "reproduced", "recomputed": age_diff}
    exp["b-months"] = {"verdict": "not_checkable"}
    exp["b-after-mean-wrong"] = {"verdict": "not_reproduced", "recomputed": statistics.fmean(after)}
    subsets = {"women": "{column: sex, equals: F}", "men": "{column: sex, equals: M}"}
    claims_path = tmp / "claims.yaml"
    claims_path.write_text(claims_yaml(conventions=STATED, subsets=subsets, claims=claims), encoding="utf-8")
    return {"data": data, "claims": claims_path, "expected": exp}


@pytest.fixture(scope="module")
def study_b(tmp_path_factory):
    built = build_study_b(tmp_path_factory.mktemp("study_b"))
    return {**built, "report": audit_json(built["data"], built["claims"])}


@pytest.mark.parametrize("cid", ["b-n", "b-welch-p", "b-student-p", "b-age-diff", "b-months", "b-after-mean-wrong"])
def test_study_b_claim(study_b, cid):
    got = by_id(study_b["report"])
    _check_claim(got[cid], study_b["expected"][cid])


def test_study_b_missing_column_is_named(study_b):
    got = by_id(study_b["report"])["b-months"]
    assert got["convention"] is None
    assert "months_observed" in got["explanation"], got["explanation"]
    assert got["recomputed"] is None


# ---------------------------------------------------------------------------------------
# Study C (XLSX, 24 patients): a severe group that included the 8.0s
# ---------------------------------------------------------------------------------------


def build_study_c(tmp: Path, seed: int = SEED_C):
    rows = make_rows(seed, 24, boundary=[8.0, 8.0, 8.0, 7.0])
    csv_copy = write_csv(tmp / "same.csv", COLUMNS, rows)  # only to read the values back
    data = write_xlsx(tmp / "table.xlsx", COLUMNS, rows)
    d = read_back(csv_copy)
    before, after = d["hba1c_before"], d["hba1c_after"]
    n_sev_incl = int((before >= 8.0).sum())
    n_sev_excl = int((before > 8.0).sum())
    assert n_sev_incl - n_sev_excl == 3
    after_mean = statistics.fmean(after)
    sd_before = statistics.stdev(before)
    med_after = statistics.median(after)
    claims = [
        claim("c-n", "count", "24"),
        claim("c-severe-n", "count", str(n_sev_incl), subset="severe"),
        claim("c-after-mean", "mean", half_up(after_mean, 2), quantity="hba1c_after"),
        claim("c-before-sd", "sd", half_up(sd_before, 2), quantity="hba1c_before"),
        claim("c-after-median", "median", half_up(med_after, 2), quantity="hba1c_after"),
        claim("c-after-max", "max", "< 20", quantity="hba1c_after"),
        claim("c-before-min", "min", f">= {before.min():.1f}", quantity="hba1c_before"),
    ]
    exp = {
        "c-n": {"verdict": "reproduced", "recomputed": 24},
        "c-severe-n": {"verdict": "reproduced_with_convention", "keywords": [["≥ 8", ">= 8"], ["severe"]],
                       "recomputed": n_sev_excl},
        "c-after-mean": {"verdict": "reproduced", "recomputed": after_mean},
        "c-before-sd": {"verdict": "reproduced", "recomputed": sd_before},
        "c-after-median": {"verdict": "reproduced", "recomputed": med_after},
        "c-after-max": {"verdict": "reproduced", "recomputed": float(after.max())},
        "c-before-min": {"verdict": "reproduced", "recomputed": float(before.min())},
    }
    subsets = {"severe": "{column: hba1c_before, lower: 8, inclusive: neither}"}
    claims_path = tmp / "claims.yaml"
    claims_path.write_text(claims_yaml(conventions=STATED, subsets=subsets, claims=claims), encoding="utf-8")
    return {"data": data, "claims": claims_path, "expected": exp}


@pytest.fixture(scope="module")
def study_c(tmp_path_factory):
    built = build_study_c(tmp_path_factory.mktemp("study_c"))
    return {**built, "report": audit_json(built["data"], built["claims"])}


@pytest.mark.parametrize("cid", ["c-n", "c-severe-n", "c-after-mean", "c-before-sd", "c-after-median",
                                 "c-after-max", "c-before-min"])
def test_study_c_xlsx_claim(study_c, cid):
    _check_claim(by_id(study_c["report"])[cid], study_c["expected"][cid])


def test_study_c_xlsx_source(study_c):
    assert study_c["report"]["data"]["rows"] == 24
    assert str(study_c["report"]["data"]["source"]).endswith("table.xlsx")


# ---------------------------------------------------------------------------------------
# Consistency checks (claims-only arithmetic) and the automatic "repeated" check
# ---------------------------------------------------------------------------------------


def grim_consistent(reported: str, n: int, granularity: float) -> bool:
    """Is there a total of n values recorded in steps of `granularity` whose mean prints as `reported`?"""
    decimals = len(reported.split(".")[1]) if "." in reported else 0
    target = Decimal(reported)
    centre = round(float(reported) * n / granularity)
    for units in range(centre - 3, centre + 4):
        mean = Decimal(units) * Decimal(str(granularity)) / Decimal(n)
        if mean.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP) == target:
            return True
    return False


def build_consistency(tmp: Path, seed: int = SEED_K):
    rows = make_rows(seed, 28, boundary=[8.0])
    data = write_csv(tmp / "table.csv", COLUMNS, rows)
    d = read_back(data)
    n_all = len(d["hba1c_before"])
    n_f = int((d["sex"] == "F").sum())
    n_m = n_all - n_f
    # statcheck: t = 3.47 on 27 df, two-sided → p, allowing for t printed with 2 decimals
    t_printed, df = 3.47, 27
    p_from_t = 2 * stats.t.sf(t_printed, df)
    p_lo, p_hi = 2 * stats.t.sf(3.475, df), 2 * stats.t.sf(3.465, df)
    p_printed = half_up(p_from_t, 3)
    assert p_lo <= float(p_printed) <= p_hi or half_up(p_lo, 3) == p_printed or half_up(p_hi, 3) == p_printed
    p_wrong = "0.48"
    assert not (p_lo <= 0.48 <= p_hi)
    # GRIM: 28 integers (ages)
    assert not grim_consistent("63.19", 28, 1)   # 1769/28 = 63.179, 1770/28 = 63.214
    assert grim_consistent("63.18", 28, 1)       # 1769/28 = 63.1786 → 63.18
    claims = [
        claim("k-n", "count", str(n_all)),
        claim("k-men", "count", str(n_m), subset="men"),
        claim("k-women", "count", str(n_f), subset="women"),
        claim("k-men-wrong", "count", str(n_m + 2), subset="men"),
        claim("k-t", "ttest_t", f"t = {t_printed:.2f}", quantity="reduction"),
        claim("k-p", "ttest_p", "p = " + p_printed, quantity="reduction"),
        claim("k-p-wrong", "ttest_p", "p = " + p_wrong, quantity="reduction", subset="women"),
        claim("k-age-bad", "mean", "63.19", quantity="age"),
        claim("k-age-ok", "mean", "63.18", quantity="age", subset="men"),
        # the same median stated twice, incompatibly (Abstract vs Results)
        claim("k-months-abstract", "median", "35", quantity="months_observed"),
        claim("k-months-results", "median", "> 36", quantity="months_observed"),
        # the same mean stated twice, compatibly
        claim("k-before-1", "mean", "8.6", quantity="hba1c_before", subset="women"),
        claim("k-before-2", "mean", "8.60", quantity="hba1c_before", subset="women"),
    ]
    checks = [
        "{id: sexes-add-up, kind: sum, parts: [k-men, k-women], total: k-n}",
        "{id: sexes-wrong, kind: sum, parts: [k-men-wrong, k-women], total: k-n}",
        "{id: tp-ok, kind: t_p, t: k-t, df: 27, p: k-p, alternative: two-sided}",
        "{id: tp-wrong, kind: t_p, t: 3.47, df: 27, p: k-p-wrong, alternative: two-sided}",
        "{id: grim-bad, kind: grim, mean: k-age-bad, granularity: 1, n: 28}",
        "{id: grim-ok, kind: grim, mean: k-age-ok, granularity: 1, n: 28}",
    ]
    subsets = {"women": "{column: sex, equals: F}", "men": "{column: sex, equals: M}"}
    claims_path = tmp / "claims.yaml"
    claims_path.write_text(claims_yaml(conventions=STATED, subsets=subsets, claims=claims, checks=checks),
                           encoding="utf-8")
    return {"data": data, "claims": claims_path}


@pytest.fixture(scope="module")
def consistency(tmp_path_factory):
    built = build_consistency(tmp_path_factory.mktemp("consistency"))
    return audit_json(built["data"], built["claims"])


def _check_by_id(report: dict) -> dict[str, dict]:
    return {c["id"]: c for c in report["consistency"] if c.get("id")}


@pytest.mark.parametrize(("cid", "verdict"), [
    ("sexes-add-up", "consistent"),
    ("sexes-wrong", "inconsistent"),
    ("tp-ok", "consistent"),
    ("tp-wrong", "inconsistent"),
    ("grim-bad", "inconsistent"),
    ("grim-ok", "consistent"),
])
def test_declared_check(consistency, cid, verdict):
    checks = _check_by_id(consistency)
    assert cid in checks, sorted(checks)
    assert checks[cid]["verdict"] == verdict, checks[cid]
    assert checks[cid]["explanation"]


def test_declared_checks_name_their_claims(consistency):
    checks = _check_by_id(consistency)
    assert set(checks["sexes-wrong"]["claims"]) >= {"k-men-wrong", "k-women", "k-n"}
    assert "k-p-wrong" in checks["tp-wrong"]["claims"]


def test_t_p_explanation_reads_cleanly(consistency):
    """t taken from a claim printed as "t = 3.47" must not come out as "t(27) = t = 3.47"."""
    explanation = _check_by_id(consistency)["tp-ok"]["explanation"]
    assert "3.47" in explanation and "= t =" not in explanation, explanation


def test_repeated_incompatible_medians(consistency):
    repeated = [c for c in consistency["consistency"] if c["kind"] == "repeated"]
    bad = [c for c in repeated if {"k-months-abstract", "k-months-results"} <= set(c["claims"])]
    assert bad, repeated
    assert all(c["verdict"] == "inconsistent" for c in bad), bad
    # 8.6 and 8.60 can describe one mean: never flagged
    flagged = [c for c in repeated if c["verdict"] == "inconsistent" and "k-before-1" in c["claims"]]
    assert not flagged, flagged


# ---------------------------------------------------------------------------------------
# Bad claims files: exit 65, the problem named, no traceback
# ---------------------------------------------------------------------------------------

GOOD_CLAIM = ('  - {id: n-all, claim: Patients, where: Results, statistic: count, reported: "%s"}\n')


def _bad_file(tmp_path: Path, body: str) -> tuple[Path, Path]:
    data = write_csv(tmp_path / "table.csv", COLUMNS, make_rows(3, 20, boundary=[8.0]))
    path = tmp_path / "claims.yaml"
    path.write_text(body, encoding="utf-8")
    return data, path


HEADER = "format: mscreg-claims/1\nsubsets:\n  women: {column: sex, equals: F}\nclaims:\n"
BAD_FILES = {
    "unknown-statistic": (HEADER + GOOD_CLAIM % 20
                          + '  - {id: p-fall, claim: x, where: y, statistic: ttest, quantity: reduction, reported: "0.01"}\n',
                          ["p-fall", "ttest"]),
    "missing-reported": (HEADER + GOOD_CLAIM % 20
                         + '  - {id: age-mean, claim: x, where: y, statistic: mean, quantity: age}\n',
                         ["age-mean", "reported"]),
    "undefined-subset": (HEADER + GOOD_CLAIM % 20
                         + '  - {id: sev-n, claim: x, where: y, statistic: count, subset: severe, reported: "5"}\n',
                         ["sev-n", "severe"]),
    "duplicate-id": (HEADER + GOOD_CLAIM % 20 + GOOD_CLAIM % 20, ["n-all"]),
    "unparseable-reported": (HEADER + GOOD_CLAIM % 20
                             + '  - {id: age-mean, claim: x, where: y, statistic: mean, quantity: age, reported: "about sixty"}\n',
                             ["age-mean", "about sixty"]),
    "misspelt-key": (HEADER + GOOD_CLAIM % 20
                     + '  - {id: age-mean, claim: x, where: y, statistic: mean, quantiy: age, reported: "60.1"}\n',
                     ["age-mean", "quantiy"]),
    "check-undefined-claim": (HEADER + GOOD_CLAIM % 20
                              + "checks:\n  - {id: adds-up, kind: sum, parts: [n-men, n-women], total: n-all}\n",
                              ["adds-up", "n-men"]),
    "check-unknown-kind": (HEADER + GOOD_CLAIM % 20 + "checks:\n  - {id: odd, kind: benford, parts: [n-all]}\n",
                           ["odd", "benford"]),
    "empty-file": ("", ["claims.yaml", "empty"]),
    "invalid-yaml": (HEADER + "  - {id: n-all, claim: [unclosed, where: y\n", ["claims.yaml", "YAML", "line"]),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_claims_file(tmp_path, name):
    body, must_name = BAD_FILES[name]
    data, path = _bad_file(tmp_path, body)
    result = run_audit(["--data", str(data), "--claims", str(path), "--format", "json"])
    output = result.output
    # README: 65 for a claims file breaking the format, 66 for a missing/empty/unreadable file.
    assert result.exit_code == (66 if name == "empty-file" else 65), (result.exit_code, output)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output
    for word in must_name:
        assert word in output, (word, output)


def test_unknown_quantity_is_never_silent(tmp_path):
    """`bmi` is not an analysis-table quantity: a format error, or at least not_checkable naming it."""
    body = (HEADER + GOOD_CLAIM % 20
            + '  - {id: bmi-mean, claim: x, where: y, statistic: mean, quantity: bmi, reported: "28.1"}\n')
    data, path = _bad_file(tmp_path, body)
    result = run_audit(["--data", str(data), "--claims", str(path), "--format", "json"])
    assert "Traceback" not in result.output
    if result.exit_code == 65:
        assert "bmi-mean" in result.output and "bmi" in result.output
    else:
        got = by_id(json.loads(result.stdout))["bmi-mean"]
        assert got["verdict"] == "not_checkable" and "bmi" in got["explanation"], got


def test_bad_claims_file_console_script(tmp_path):
    body, must_name = BAD_FILES["unknown-statistic"]
    data, path = _bad_file(tmp_path, body)
    exe = shutil.which("mscreg") or str(Path(sys.executable).with_name("mscreg"))
    proc = subprocess.run([exe, "audit", "--data", str(data), "--claims", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 65, proc
    assert "Traceback" not in proc.stdout + proc.stderr
    assert all(w in proc.stdout + proc.stderr for w in must_name), proc.stderr


def test_data_without_claims_fails_clearly(tmp_path):
    data = write_csv(tmp_path / "table.csv", COLUMNS, make_rows(3, 20, boundary=[8.0]))
    result = run_audit(["--data", str(data), "--format", "json"])
    assert result.exit_code != 0, result.output
    assert "--claims" in result.output, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
