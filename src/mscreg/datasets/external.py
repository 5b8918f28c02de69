"""External context: HbA1c changes in control arms of MSC trials, and drug effects.

The shipped file ``external_context.yaml`` holds only numbers recorded in the project's
design notes (placebo arms of MSC trials in T2DM, a meta-analysis, the trial-entry
effect, and placebo-subtracted drug effects), each with its citation. These are
external, uncontrolled comparisons for a single-arm cohort: different patients,
protocols, timepoints and assays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path

import yaml

from mscreg.errors import InputFileError

__all__ = ["QUANTITIES", "ExternalRecord", "external_context_path", "load_external_context"]

#: The two kinds of number held: a change within one arm, or a treatment-minus-control difference.
QUANTITIES = ("within-arm change", "difference vs control")


@dataclass(frozen=True, kw_only=True)
class ExternalRecord:
    """One externally reported HbA1c number with its citation (None where not reported).

    ``change`` is the point value (% points, negative = fall); ``change_low`` and
    ``change_high`` an interval or range. ``quantity`` says whether it is a within-arm
    change or a difference vs control.
    """

    source: str
    design: str
    arm: str
    quantity: str
    n: int | None
    baseline: float | None
    follow_up: float | None
    change: float | None
    change_low: float | None
    change_high: float | None
    timepoint: str | None
    p_value: float | None
    note: str


_TEXT = {"source", "design", "arm", "quantity", "note"}
_OPTIONAL_TEXT = {"timepoint"}
_NUMBERS = {"baseline", "follow_up", "change", "change_low", "change_high", "p_value"}


def external_context_path() -> Path:
    """Path of the shipped ``external_context.yaml``.

    Examples
    --------
    >>> external_context_path().name
    'external_context.yaml'
    """
    return Path(str(resources.files("mscreg.datasets").joinpath("external_context.yaml")))


def _record(raw: object, index: int, path: Path) -> ExternalRecord:
    where = f"{path}: record {index}"
    if not isinstance(raw, dict):
        raise InputFileError(f"{where}: expected a mapping of fields; got {raw!r}")
    expected = {f.name for f in fields(ExternalRecord)}
    missing, extra = expected - raw.keys(), raw.keys() - expected
    if missing or extra:
        raise InputFileError(
            f"{where}: fields do not match; missing {sorted(missing)!r}, unexpected {sorted(extra)!r}"
        )
    for name in _TEXT:
        if not isinstance(raw[name], str) or not raw[name].strip():
            raise InputFileError(f"{where}: field {name!r} must be non-empty text; got {raw[name]!r}")
    for name in _OPTIONAL_TEXT:
        if raw[name] is not None and not isinstance(raw[name], str):
            raise InputFileError(f"{where}: field {name!r} must be text or null; got {raw[name]!r}")
    for name in _NUMBERS:
        value = raw[name]
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)):
            raise InputFileError(f"{where}: field {name!r} must be a finite number or null; got {value!r}")
    if raw["n"] is not None and (isinstance(raw["n"], bool) or not isinstance(raw["n"], int) or raw["n"] < 1):
        raise InputFileError(f"{where}: field 'n' must be a positive integer or null; got {raw['n']!r}")
    if raw["quantity"] not in QUANTITIES:
        raise InputFileError(f"{where}: field 'quantity' must be one of {QUANTITIES!r}; got {raw['quantity']!r}")
    if raw["change"] is None and (raw["change_low"] is None or raw["change_high"] is None):
        raise InputFileError(f"{where}: give 'change' or both 'change_low' and 'change_high'")
    if raw["change_low"] is not None and raw["change_high"] is not None and raw["change_low"] > raw["change_high"]:
        raise InputFileError(
            f"{where}: change_low {raw['change_low']!r} must not exceed change_high {raw['change_high']!r}"
        )
    numbers = {name: None if raw[name] is None else float(raw[name]) for name in _NUMBERS}
    return ExternalRecord(**{**raw, **numbers})


def load_external_context(path: str | Path | None = None) -> tuple[ExternalRecord, ...]:
    """The external context records, in file order.

    Parameters
    ----------
    path : str or Path or None
        A YAML file in the same format; None (default) reads the shipped
        ``external_context.yaml``.

    Raises
    ------
    InputFileError
        The file is missing, is not YAML, or a record breaks the format.

    Examples
    --------
    >>> records = load_external_context()
    >>> placebo = records[0]
    >>> placebo.arm, placebo.baseline, placebo.follow_up, placebo.change
    ('placebo', 8.89, 8.19, -0.63)
    """
    file = external_context_path() if path is None else Path(path)
    try:
        content = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputFileError(f"{file}: cannot read the external context file ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise InputFileError(f"{file}: not valid YAML ({exc})") from exc
    if not isinstance(content, dict) or not isinstance(content.get("records"), list) or not content["records"]:
        raise InputFileError(f"{file}: expected a mapping with a non-empty list under 'records'")
    return tuple(_record(raw, index, file) for index, raw in enumerate(content["records"], start=1))
