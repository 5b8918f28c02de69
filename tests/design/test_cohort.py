"""Design inputs from a cohort: effect net of RTM and trial entry, SD and ρ."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from mscreg.cli.app import app
from mscreg.cohort import seed_table, table_from_frame
from mscreg.design.cohort import cohort_design_inputs, trial_entry_change
from mscreg.errors import InputError


def barnett_fall_above(cutoff: float, mu: float, sigma: float, rho: float) -> float:
    """Expected fall with no effect for selection X1 >= cutoff (Barnett et al. 2005), by hand."""
    z = (cutoff - mu) / sigma
    return sigma * (1 - rho) * stats.norm.pdf(z) / stats.norm.sf(z)


def test_seed_inputs_match_a_hand_recomputation():
    frame = seed_table().frame
    before, after = frame["hba1c_before"].to_numpy(), frame["hba1c_after"].to_numpy()
    inputs = cohort_design_inputs(frame, rho_values=[0.6, 0.9], mu_values=[7.0, 8.0], placebo_change=(-0.5, -0.2))
    observed_fall = np.mean(before - after)
    effects = sorted(observed_fall - barnett_fall_above(6.2, mu, 1.5, rho) - p
                     for rho in (0.6, 0.9) for mu in (7.0, 8.0) for p in (0.5, 0.35, 0.2))
    assert inputs.effect.effect_low == pytest.approx(effects[0])
    assert inputs.effect.effect_high == pytest.approx(effects[-1])
    assert inputs.effect.effect_median == pytest.approx(np.median(effects))
    assert inputs.sd == pytest.approx(np.sqrt((np.var(before, ddof=1) + np.var(after, ddof=1)) / 2))
    assert inputs.rho == pytest.approx(np.corrcoef(before, after)[0, 1])


def test_trial_entry_change_comes_from_the_external_table():
    # DESIGN.md: trial entry alone lowers HbA1c by ~0.2-0.5 % (Diabetes Care 2007; GRADE run-in 2020).
    assert trial_entry_change() == (-0.5, -0.2)


def test_no_effect_cohort_gives_a_design_effect_near_zero(rng):
    # A cohort with NO treatment effect, selected on baseline >= 6.2 from mu 7.5, sigma 1.5, rho 0.7:
    # observed change is pure regression to the mean, so with the true (rho, mu) and no placebo part
    # the design effect must be ~0 (within 4 Monte Carlo SE of the mean change).
    cov = 1.5**2 * np.array([[1, 0.7], [0.7, 1]])
    pairs = rng.multivariate_normal([7.5, 7.5], cov, size=400_000)
    kept = pairs[pairs[:, 0] >= 6.2][:20_000]
    frame = table_from_frame(pd.DataFrame({"hba1c_before": kept[:, 0].clip(3, 20), "hba1c_after": kept[:, 1].clip(3, 20)})).frame
    inputs = cohort_design_inputs(frame, rho_values=[0.7], mu_values=[7.5], placebo_change=0.0)
    se = np.std(kept[:, 1] - kept[:, 0], ddof=1) / np.sqrt(len(kept))
    assert abs(inputs.effect.effect_median) < 4 * se


def test_positive_placebo_change_is_refused():
    with pytest.raises(InputError, match="placebo_change"):
        cohort_design_inputs(seed_table().frame, placebo_change=0.3)


def test_cli_cohort_mode_json_and_errors():
    runner = CliRunner()
    payload = json.loads(runner.invoke(app, ["design", "--format", "json"]).output)
    assert payload["solved_for"] == "n" and payload["cohort"]["n"] == 58
    labels = [s["label"] for s in payload["scenarios"]]
    assert labels and set(labels) <= {"low", "median", "high"}
    assert all(s["effect"] > 0 for s in payload["scenarios"])
    assert payload["methods"] == payload["scenarios"][0]["methods"]
    smaller_placebo = json.loads(runner.invoke(app, ["design", "--format", "json", "--placebo-change", "-0.1"]).output)
    assert smaller_placebo["cohort"]["effect"]["effect_high"] > payload["cohort"]["effect"]["effect_high"]
    bad = runner.invoke(app, ["design", "--placebo-change", "a"])
    assert bad.exit_code == 64 and "--placebo-change 'a'" in bad.output
    user = json.loads(runner.invoke(app, ["design", "--effect", "0.5", "--format", "json"]).output)
    assert user["inputs"]["sd"] == pytest.approx(payload["cohort"]["sd"])
