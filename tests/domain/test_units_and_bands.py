"""Units (IFCC master equations) and subgroup bands."""

from __future__ import annotations

import numpy as np
import pytest

from mscreg.domain.bands import DEFAULT_SEVERITY_GROUPS, Band, dose_groups
from mscreg.domain.units import (
    glucose_mg_dl_to_mmol_l,
    glucose_mmol_l_to_mg_dl,
    hba1c_from_ngsp,
    hba1c_to_ngsp,
)
from mscreg.errors import ConventionError


def test_ifcc_master_equation_reference_points():
    # NGSP = 0.0915 * IFCC + 2.15 (DESIGN.md; Hoelzel 2004). 48 mmol/mol -> 6.542 %, 53 -> 6.9995 %.
    assert hba1c_to_ngsp([48, 53], "ifcc") == pytest.approx([6.542, 6.9995])
    # IFCC = 10.93 * NGSP - 23.5: 6.5 % -> 47.545 mmol/mol.
    assert hba1c_from_ngsp(6.5, "ifcc") == pytest.approx(47.545, abs=0.02)


def test_round_trips_are_exact_to_float_precision():
    values = np.linspace(4, 14, 41)
    for unit in ("ngsp", "ifcc", "jds"):
        assert hba1c_to_ngsp(hba1c_from_ngsp(values, unit), unit) == pytest.approx(values)


def test_glucose_conversion():
    # 126 mg/dL (ADA diabetes threshold) / 18.016 = 6.9938 mmol/L.
    assert glucose_mg_dl_to_mmol_l(126) == pytest.approx(126 / 18.016)
    assert glucose_mmol_l_to_mg_dl(glucose_mg_dl_to_mmol_l(100)) == pytest.approx(100)


def test_band_ends():
    both = Band(name="m", lower=6.2, upper=8.0, inclusive="both")
    assert both.contains([6.1, 6.2, 8.0, 8.1]).tolist() == [False, True, True, False]
    assert both.with_inclusive("left").contains([6.2, 8.0]).tolist() == [True, False]
    assert both.with_inclusive("right").contains([6.2, 8.0]).tolist() == [False, True]
    assert both.with_inclusive("neither").contains([6.2, 8.0, np.nan]).tolist() == [False, False, False]
    assert both.label() == "≥ 6.2 and ≤ 8"


def test_default_severity_groups_are_the_papers_reading():
    moderate, severe = DEFAULT_SEVERITY_GROUPS
    assert moderate.contains([8.0]).tolist() == [True]
    assert severe.contains([8.0, 8.1]).tolist() == [False, True]


def test_dose_groups_partition_the_dose_axis():
    doses = np.array([100, 999, 1000, 1499, 1500, 2000], dtype=float)
    groups = dose_groups([1000, 1500])
    memberships = np.vstack([g.contains(doses) for g in groups])
    assert memberships.sum(axis=0).tolist() == [1] * doses.size
    assert groups[1].contains([1000]).tolist() == [True]
    assert dose_groups([1000], inclusive="right")[0].contains([1000]).tolist() == [True]


def test_bad_bands():
    with pytest.raises(ConventionError, match="inclusive='open' is not one of"):
        Band(name="x", lower=1, inclusive="open")
    with pytest.raises(ConventionError, match="give a lower end, an upper end or both"):
        Band(name="x")
    with pytest.raises(ConventionError, match="lower end 9 is above upper end 8"):
        Band(name="x", lower=9, upper=8)
    with pytest.raises(ConventionError, match="finite"):
        Band(name="x", lower=float("inf"))
    with pytest.raises(ConventionError, match="distinct"):
        dose_groups([1000, 1000])
    with pytest.raises(ConventionError, match="at least one cut"):
        dose_groups([])
    with pytest.raises(ConventionError, match="must be 'left' or 'right'"):
        dose_groups([1000], inclusive="both")
