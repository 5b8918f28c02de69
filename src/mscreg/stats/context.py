"""The cohort's HbA1c change beside external numbers -- an uncontrolled comparison."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from mscreg.datasets.external import ExternalRecord, load_external_context
from mscreg.errors import InsufficientDataError
from mscreg.stats._checks import check_number
from mscreg.stats._result import Result

__all__ = ["EXTERNAL_LABEL", "ExternalComparison", "ExternalComparisonRow", "external_comparison"]

#: The label every row carries: these numbers come from other studies, not from a control group.
EXTERNAL_LABEL = "external, uncontrolled comparison (other patients, protocols and timepoints; not a control group)"

_READING = {
    "within-arm change": (
        "Same kind of quantity as the cohort change (a change within one group); the difference "
        "is a crude, uncontrolled contrast."
    ),
    "difference vs control": (
        "A between-arm effect (treatment minus control) from a controlled study; the cohort change "
        "also contains regression to the mean and trial effects, so it is expected to be larger."
    ),
}


@dataclass(frozen=True, kw_only=True, slots=False)
class ExternalComparisonRow(Result):
    """One external number beside the cohort change.

    ``difference`` = cohort change − external change, only for within-arm changes with
    a point value (NaN otherwise). ``external_low``/``external_high`` are NaN when no
    interval or range was reported.
    """

    source: str
    arm: str
    quantity: str
    timepoint: str
    external_change: float
    external_low: float
    external_high: float
    cohort_change: float
    difference: float
    label: str
    reading: str
    note: str


@dataclass(frozen=True, kw_only=True, slots=False)
class ExternalComparison(Result):
    """All rows of :func:`external_comparison`; ``label`` repeats the caveat once."""

    cohort_change: float
    rows: tuple[ExternalComparisonRow, ...]
    label: str

    def summary(self) -> str:
        lines = [f"Cohort change {self.cohort_change:+.2f} % points -- {self.label}:"]
        for row in self.rows:
            if math.isnan(row.external_change):
                external = f"{row.external_low:+.2f} to {row.external_high:+.2f}"
            else:
                external = f"{row.external_change:+.2f}"
            lines.append(f"  {row.source} [{row.arm}; {row.quantity}; {row.timepoint}]: {external}")
        return "\n".join(lines)


def _nan_if_none(value: float | None) -> float:
    return math.nan if value is None else float(value)


def external_comparison(
    observed_change: float, *, records: Iterable[ExternalRecord] | None = None
) -> ExternalComparison:
    """Put the cohort's mean HbA1c change beside each external number.

    Parameters
    ----------
    observed_change : float
        The cohort's mean change (after − before), % points.
    records : iterable of ExternalRecord or None, keyword-only
        External numbers; None uses :func:`mscreg.datasets.external.load_external_context`
        (placebo arms of MSC trials, a meta-analysis, the trial-entry effect, drug
        effects vs placebo -- only numbers recorded in the design notes).

    Returns
    -------
    ExternalComparison
        ``cohort_change``, ``label`` and ``rows``; each row has ``source``, ``arm``,
        ``quantity``, ``timepoint``, ``external_change``, ``external_low``,
        ``external_high``, ``cohort_change``, ``difference``, ``label``, ``reading``, ``note``.

    Notes
    -----
    Nothing is estimated: the rows only align numbers. Each row is labelled as an
    external, uncontrolled comparison -- a single-arm cohort has no control group, and
    differences in patients, background therapy, follow-up time and assay can account
    for any gap. ``difference`` is given only where the external number is a within-arm
    change (the same kind of quantity as the cohort change).

    Examples
    --------
    >>> res = external_comparison(-1.2)
    >>> first = res.rows[0]
    >>> first.arm, first.external_change, round(first.difference, 2)
    ('placebo', -0.63, -0.57)
    >>> first.label.startswith("external, uncontrolled")
    True
    """
    cohort = check_number(observed_change, name="observed_change", what="% points")
    chosen = load_external_context() if records is None else tuple(records)
    if not chosen:
        raise InsufficientDataError("external_comparison needs at least one external record; got none")
    rows = []
    for record in chosen:
        if not isinstance(record, ExternalRecord):
            raise ValueError(f"records must be ExternalRecord objects; got {record!r}")
        external = _nan_if_none(record.change)
        comparable = record.quantity == "within-arm change" and record.change is not None
        rows.append(
            ExternalComparisonRow(
                source=record.source,
                arm=record.arm,
                quantity=record.quantity,
                timepoint=record.timepoint or "not reported",
                external_change=external,
                external_low=_nan_if_none(record.change_low),
                external_high=_nan_if_none(record.change_high),
                cohort_change=cohort,
                difference=cohort - external if comparable else math.nan,
                label=EXTERNAL_LABEL,
                reading=_READING[record.quantity],
                note=record.note,
            )
        )
    return ExternalComparison(cohort_change=cohort, rows=tuple(rows), label=EXTERNAL_LABEL)
