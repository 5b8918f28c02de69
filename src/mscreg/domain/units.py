"""HbA1c and glucose units and their conversions.

HbA1c (IFCC master equations; Hoelzel et al., Clin Chem 2004;50:166; the JDS equation
from the Japan Diabetes Society's IFCC alignment):

* NGSP % = 0.0915 × IFCC (mmol/mol) + 2.15
* IFCC (mmol/mol) = 10.93 × NGSP % − 23.5
* JDS % = 0.0927 × IFCC (mmol/mol) + 1.73

mscreg analyses HbA1c in NGSP % (the DCCT-aligned unit of the seed study). JDS values are
converted through IFCC with the two master equations above, so JDS → NGSP is
``0.0915 × (JDS − 1.73) / 0.0927 + 2.15``. (The JDS's own 2012 rounding formula
NGSP = 1.02 × JDS + 0.25 differs by up to ~0.05 % in the usual range; we keep the master
equations so that every conversion in mscreg comes from one documented pair.)

Glucose: mmol/L = mg/dL ÷ 18.016 (molar mass of glucose 180.16 g/mol).
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mscreg.errors import ConventionError

__all__ = [
    "GLUCOSE_MG_PER_DL_PER_MMOL_PER_L",
    "HbA1cUnit",
    "glucose_mg_dl_to_mmol_l",
    "glucose_mmol_l_to_mg_dl",
    "hba1c_from_ngsp",
    "hba1c_to_ngsp",
]

#: mg/dL per mmol/L of glucose (molar mass 180.16 g/mol ÷ 10).
GLUCOSE_MG_PER_DL_PER_MMOL_PER_L = 18.016


class HbA1cUnit(StrEnum):
    """Units HbA1c is reported in."""

    NGSP = "ngsp"  #: percent, DCCT/NGSP-aligned (UCUM ``%``)
    IFCC = "ifcc"  #: mmol/mol (UCUM ``mmol/mol``)
    JDS = "jds"  #: percent, Japan Diabetes Society (before 2012)

    @classmethod
    def parse(cls, value: str | HbA1cUnit) -> HbA1cUnit:
        """Return the unit named by ``value`` (case-insensitive), or raise ConventionError.

        Examples
        --------
        >>> HbA1cUnit.parse("IFCC")
        <HbA1cUnit.IFCC: 'ifcc'>
        """
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            expected = ", ".join(repr(u.value) for u in cls)
            raise ConventionError(f"HbA1c unit {value!r} is not known; expected one of {expected}") from None


def _ifcc_to_ngsp(ifcc: NDArray[np.float64]) -> NDArray[np.float64]:
    return 0.0915 * ifcc + 2.15


def _ngsp_to_ifcc(ngsp: NDArray[np.float64]) -> NDArray[np.float64]:
    return 10.93 * ngsp - 23.5


def hba1c_to_ngsp(values: ArrayLike, unit: str | HbA1cUnit) -> NDArray[np.float64]:
    """Convert HbA1c values in ``unit`` to NGSP %.

    Parameters
    ----------
    values : array_like
        HbA1c values in ``unit``.
    unit : {"ngsp", "ifcc", "jds"}
        The unit of ``values``.

    Returns
    -------
    numpy.ndarray
        The values in NGSP %, unrounded.

    Examples
    --------
    IFCC 50 mmol/mol: 0.0915 × 50 + 2.15 = 6.725 %:

    >>> round(float(hba1c_to_ngsp(50, "ifcc")[()]), 3)
    6.725
    >>> float(hba1c_to_ngsp(7.2, "ngsp")[()])
    7.2
    """
    unit = HbA1cUnit.parse(unit)
    array = np.asarray(values, dtype=float)
    if unit is HbA1cUnit.NGSP:
        return array.copy()
    if unit is HbA1cUnit.IFCC:
        return _ifcc_to_ngsp(array)
    return _ifcc_to_ngsp((array - 1.73) / 0.0927)


def hba1c_from_ngsp(values: ArrayLike, unit: str | HbA1cUnit) -> NDArray[np.float64]:
    """Convert HbA1c values in NGSP % to ``unit`` (the inverse of :func:`hba1c_to_ngsp`).

    Examples
    --------
    >>> round(float(hba1c_from_ngsp(7.0, "ifcc")[()]), 2)
    53.01
    """
    unit = HbA1cUnit.parse(unit)
    array = np.asarray(values, dtype=float)
    if unit is HbA1cUnit.NGSP:
        return array.copy()
    ifcc = (array - 2.15) / 0.0915
    if unit is HbA1cUnit.IFCC:
        return ifcc
    return 0.0927 * ifcc + 1.73


def glucose_mg_dl_to_mmol_l(values: ArrayLike) -> NDArray[np.float64]:
    """Convert glucose from mg/dL to mmol/L (÷ 18.016).

    Examples
    --------
    >>> round(float(glucose_mg_dl_to_mmol_l(126)[()]), 2)
    6.99
    """
    return np.asarray(values, dtype=float) / GLUCOSE_MG_PER_DL_PER_MMOL_PER_L


def glucose_mmol_l_to_mg_dl(values: ArrayLike) -> NDArray[np.float64]:
    """Convert glucose from mmol/L to mg/dL (× 18.016).

    Examples
    --------
    >>> round(float(glucose_mmol_l_to_mg_dl(7.0)[()]), 1)
    126.1
    """
    return np.asarray(values, dtype=float) * GLUCOSE_MG_PER_DL_PER_MMOL_PER_L
