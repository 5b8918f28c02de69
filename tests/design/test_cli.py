"""`mscreg design` through a local Typer app (the package app is assembled elsewhere)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from mscreg.cli.design_cmd import OPTION_HELP, design

DOCS = Path(__file__).resolve().parents[2] / "docs" / "design.md"


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    local = typer.Typer()
    local.command("design")(design)

    @local.command("noop")
    def noop() -> None:  # a second command keeps "design" a subcommand, as in the real app
        """Nothing."""

    return local


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


WORKED = ["design", "--effect", "0.5", "--sd", "1.0", "--rho", "0.6", "--alpha", "0.05", "--power", "0.8"]


def test_json_worked_example(app, runner):
    result = runner.invoke(app, [*WORKED, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"inputs", "solved_for", "methods", "simulation"}
    assert data["solved_for"] == "n"
    assert data["simulation"] is None
    assert [m["method"] for m in data["methods"]] == ["follow_up", "change_score", "ancova"]
    assert [m["n_per_arm"] for m in data["methods"]] == [64, 52, 42]
    assert [m["n_total"] for m in data["methods"]] == [128, 104, 84]
    assert data["methods"][0]["n_evaluable"] == pytest.approx(63.76561, abs=1e-5)
    assert data["methods"][0]["power"] == pytest.approx(0.80146, abs=1e-5)
    assert data["methods"][0]["simulated_power"] is None
    assert data["inputs"] == {
        "effect": 0.5, "sd": 1.0, "rho": 0.6, "alpha": 0.05, "power": 0.8, "n": None, "allocation": 1.0,
        "dropout": 0.0, "alternative": "two-sided", "arms": 1, "correction": "bonferroni", "simulate": False,
        "n_sims": None, "seed": None, "mu": None, "entry_min": None, "entry_max": None,
    }


def test_json_solves_power_and_effect(app, runner):
    res = runner.invoke(app, ["design", "--effect", "0.5", "--sd", "1", "--rho", "0.6", "--n", "64", "--format", "json"])
    data = json.loads(res.stdout)
    assert data["solved_for"] == "power" and data["inputs"]["power"] is None
    assert data["methods"][0]["power"] == pytest.approx(0.80146, abs=1e-5)
    res = runner.invoke(app, ["design", "--sd", "1", "--rho", "0.6", "--n", "64", "--format", "json"])
    data = json.loads(res.stdout)
    assert data["solved_for"] == "effect"
    assert data["methods"][0]["effect"] == pytest.approx(0.4991, abs=1e-4)


def test_json_dunnett_dropout_and_simulation(app, runner):
    args = [*WORKED, "--arms", "2", "--correction", "dunnett", "--dropout", "0.1", "--simulate",
            "--n-sims", "500", "--seed", "11", "--format", "json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["simulation"]["seed"] == 11 and data["simulation"]["n_sims"] == 500
    for m in data["methods"]:
        assert m["n_total"] == 2 * m["n_per_arm"] + m["n_control"]
        assert 0.0 < m["alpha_per_comparison"] < 0.05
        assert abs(m["simulated_power"] - m["power"]) < 4 * m["simulated_power_se"] + 0.03
    again = json.loads(runner.invoke(app, args).stdout)
    assert again == data


def test_simulation_with_entry_band(app, runner):
    args = ["design", "--sd", "1.5", "--rho", "0.6", "--effect", "0.5", "--simulate", "--mu", "7.5",
            "--entry-min", "6.2", "--n-sims", "300", "--seed", "1", "--format", "json"]
    data = json.loads(runner.invoke(app, args).stdout)
    assert data["simulation"]["rho_enrolled_expected"] == pytest.approx(0.4993, abs=1e-4)
    assert data["simulation"]["entry_max"] is None


def test_text_output_is_a_table(app, runner):
    result = runner.invoke(app, WORKED)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Patients needed per arm (solved for n)" in out
    for token in ("follow_up", "change_score", "ancova", "n/arm", "64", "52", "42", "0.801"):
        assert token in out
    sim = runner.invoke(app, [*WORKED, "--simulate", "--n-sims", "200", "--seed", "5"])
    assert "Sim. power" in sim.stdout and "seed 5" in sim.stdout


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (["--sd", "-1"], 65, "sd must be > 0 (the SD of HbA1c at one visit, in %); got -1.0"),
        (["--rho", "1.5"], 65, "rho must lie strictly between -1 and 1 (baseline/follow-up correlation); got 1.5"),
        (["--alpha", "0"], 65, "alpha must lie strictly between 0 and 1 (family-wise type I error rate); got 0.0"),
        (["--power", "1.2"], 65, "power must lie strictly between 0 and 1"),
        (["--dropout", "1"], 65, "dropout must lie in [0, 1) (fraction of enrolled patients not analysed); got 1.0"),
        (["--allocation", "0"], 65, "allocation must be > 0"),
        (["--arms", "0"], 65, "arms must be a whole number >= 1"),
        (["--n", "50"], 65, "give at most two of effect, power and n"),
        (["--mu", "7.5"], 65, "mu, entry_min and entry_max only apply with --simulate"),
        (["--simulate", "--entry-min", "6.2", "--n-sims", "10"], 65, "mu (population mean HbA1c, %) is required"),
        (["--simulate", "--n-sims", "0"], 65, "n_sims must be a whole number >= 1; got 0"),
        (["--alternative", "larger"], 64, "alternative='larger' is not one of 'two-sided', 'less', 'greater'"),
        (["--correction", "holm"], 64, "correction='holm' is not one of 'bonferroni', 'dunnett'"),
        (["--format", "yaml"], 64, "format='yaml' is not one of 'text', 'json'"),
    ],
)
def test_bad_values_exit_with_message_and_no_traceback(app, runner, extra, code, message):
    result = runner.invoke(app, [*WORKED, *extra])
    assert result.exit_code == code
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_missing_sd_is_taken_from_the_cohort(app, runner):
    # Without --sd the seed cohort's pooled SD of HbA1c before and after is used:
    # sqrt((SD_before^2 + SD_after^2) / 2) from the seed's Table 1.
    from mscreg.cohort import seed_table

    frame = seed_table().frame
    pooled = ((frame["hba1c_before"].var() + frame["hba1c_after"].var()) / 2) ** 0.5
    result = runner.invoke(app, ["design", "--effect", "0.5", "--rho", "0.6", "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["inputs"]["sd"] == pytest.approx(pooled)
    assert payload["inputs"]["rho"] == 0.6


def test_docs_describe_every_option():
    text = DOCS.read_text(encoding="utf-8")
    missing = [option for option in OPTION_HELP if f"`{option}" not in text]
    assert not missing, f"docs/design.md does not document {missing}"
