r"""What a report shows beside the estimates: Table 1, per-patient changes and model curves.

- :func:`baseline_table` -- baseline characteristics overall and by group (n, missing,
  mean, SD, median, quartiles, range; sex counts), Table 1 of a report;
- :func:`patient_changes` -- each patient's before, after, change and relative change,
  with the group the patient belongs to (the points of the report's figures);
- :func:`rtm_null_curve` -- the change expected with no treatment effect for a patient
  at baseline x, from regression to the mean alone;
- :func:`line_band` -- a least-squares line with its pointwise confidence band, for
  drawing a regression beside its points.

Regression to the mean for one patient
--------------------------------------
Under the bivariate-normal model of :mod:`mscreg.stats.rtm` (common mean μ, common SD σ,
test-retest correlation ρ, no effect), :math:`E[X_2 \mid X_1 = x] = \mu + \rho (x - \mu)`,
so the change expected at baseline x is

.. math:: E[X_2 - X_1 \mid X_1 = x] = -(1 - \rho)(x - \mu)

(Barnett, van der Pols & Dobson, Int J Epidemiol 2005;34:215). Averaged over a selected
band of baselines it gives :func:`mscreg.stats.rtm.expected_rtm_change`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from mscreg.domain.bands import Band
from mscreg.errors import InsufficientDataError
from mscreg.stats._checks import as_vector, check_ci_level, check_number, check_same_length, check_varies
from mscreg.stats._result import Result
from mscreg.stats.descriptive import describe
from mscreg.stats.rtm import DEFAULT_RHO, POPULATION_MEAN

__all__ = [
    "BASELINE_COLUMNS",
    "BaselineTable",
    "ColumnSummary",
    "LineBand",
    "PatientChanges",
    "RtmNullCurve",
    "baseline_table",
    "line_band",
    "patient_changes",
    "rtm_null_curve",
]

#: Numeric columns of Table 1, in display order (those present in the frame are used).
BASELINE_COLUMNS = ("age", "dose_million", "hba1c_before", "hba1c_after", "months_observed")

_NAN = float("nan")


@dataclass(frozen=True, kw_only=True)
class ColumnSummary(Result):
    """One column in one group: counts and descriptives (NaN when nothing is observed)."""

    column: str
    group: str
    n: int
    n_missing: int
    mean: float
    sd: float
    median: float
    q1: float
    q3: float
    minimum: float
    maximum: float


@dataclass(frozen=True, kw_only=True)
class BaselineTable(Result):
    """Baseline characteristics overall (group ``"all"``) and by group.

    ``group_sizes`` counts rows per group; ``sex_counts`` maps group -> {"F", "M",
    "missing"} counts (empty when the table has no sex column); ``rows`` holds one
    :class:`ColumnSummary` per column and group, columns in :data:`BASELINE_COLUMNS` order.
    """

    groups: tuple[str, ...]
    group_definitions: dict[str, str]
    group_sizes: dict[str, int]
    sex_counts: dict[str, dict[str, int]]
    rows: tuple[ColumnSummary, ...]
    ddof: int
    quartile_method: str

    def cell(self, column: str, group: str) -> ColumnSummary:
        """The summary of ``column`` in ``group``."""
        for row in self.rows:
            if row.column == column and row.group == group:
                return row
        raise KeyError(f"no summary for column {column!r} in group {group!r}")

    @property
    def columns(self) -> tuple[str, ...]:
        """Columns summarised, in display order."""
        return tuple(dict.fromkeys(row.column for row in self.rows))

    def summary(self) -> str:
        sizes = ", ".join(f"{g} {n}" for g, n in self.group_sizes.items())
        return f"Baseline table of {len(self.columns)} columns in groups: {sizes}"


def _summarise(values: pd.Series, column: str, group: str, ddof: int, quartile_method: str) -> ColumnSummary:
    observed = values.dropna().to_numpy(dtype=float)
    missing = int(values.isna().sum())
    if observed.size == 0:
        return ColumnSummary(column=column, group=group, n=0, n_missing=missing, mean=_NAN, sd=_NAN, median=_NAN,
                             q1=_NAN, q3=_NAN, minimum=_NAN, maximum=_NAN)
    d = describe(observed, ddof=ddof, quartile_method=quartile_method)
    return ColumnSummary(column=column, group=group, n=d.n, n_missing=missing, mean=d.mean, sd=d.sd, median=d.median,
                         q1=d.q1, q3=d.q3, minimum=d.minimum, maximum=d.maximum)


def baseline_table(
    frame: pd.DataFrame,
    *,
    groups: Sequence[Band],
    column: str = "hba1c_before",
    ddof: int = 1,
    quartile_method: str = "linear",
) -> BaselineTable:
    """Baseline characteristics of every row, overall and within each band of ``column``.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``AnalysisTable.frame``; every row counts (rows without follow-up too), and
        missing cells are counted in ``n_missing``, never imputed.
    groups : sequence of Band, keyword-only
        Subgroups on ``column`` (e.g. the severity bands).
    column : str, keyword-only
        Column the bands apply to (default ``hba1c_before``).
    ddof, quartile_method : keyword-only
        SD and quartile conventions, as in :func:`mscreg.stats.descriptive.describe`.

    Returns
    -------
    BaselineTable

    Examples
    --------
    >>> import pandas as pd
    >>> from mscreg.domain.bands import Band
    >>> frame = pd.DataFrame({"sex": ["M", "F", None], "age": [50.0, None, 70.0],
    ...                       "hba1c_before": [7.0, 9.0, 8.5], "hba1c_after": [6.5, 8.0, None]})
    >>> t = baseline_table(frame, groups=[Band(name="severe", lower=8.0, inclusive="neither")])
    >>> t.group_sizes, t.cell("age", "all").mean, t.cell("age", "severe").n_missing
    ({'all': 3, 'severe': 2}, 60.0, 1)
    >>> t.sex_counts["severe"]
    {'F': 1, 'M': 0, 'missing': 1}
    """
    masks = {"all": np.ones(frame.shape[0], dtype=bool)}
    definitions = {"all": "every row of the table"}
    values = frame[column].to_numpy(dtype=float)
    for band in groups:
        masks[band.name] = band.contains(values)
        definitions[band.name] = f"{column} {band.label()}"
    present = [c for c in BASELINE_COLUMNS if c in frame.columns]
    rows = tuple(
        _summarise(frame.loc[mask, c], c, name, ddof, quartile_method) for c in present for name, mask in masks.items()
    )
    sex_counts: dict[str, dict[str, int]] = {}
    if "sex" in frame.columns:
        for name, mask in masks.items():
            sex = frame.loc[mask, "sex"]
            sex_counts[name] = {"F": int((sex == "F").sum()), "M": int((sex == "M").sum()), "missing": int(sex.isna().sum())}
    return BaselineTable(
        groups=tuple(masks),
        group_definitions=definitions,
        group_sizes={name: int(mask.sum()) for name, mask in masks.items()},
        sex_counts=sex_counts,
        rows=rows,
        ddof=ddof,
        quartile_method=quartile_method,
    )


@dataclass(frozen=True, kw_only=True)
class PatientChanges(Result):
    """Per-patient values of the paired rows, in table order.

    ``change`` = after − before (% points); ``relative_change`` = 100 × change / before
    (%; a responder's relative fall is ``-relative_change``); ``group`` is the name of
    the first band holding the patient's baseline ('' when none does); ``dose_million``
    and ``months_observed`` are NaN when the table lacks them.
    """

    patient_id: tuple[str, ...]
    group: tuple[str, ...]
    before: tuple[float, ...]
    after: tuple[float, ...]
    change: tuple[float, ...]
    relative_change: tuple[float, ...]
    dose_million: tuple[float, ...]
    months_observed: tuple[float, ...]

    def summary(self) -> str:
        return f"{len(self.patient_id)} patients with HbA1c before and after"


def patient_changes(frame: pd.DataFrame, *, groups: Sequence[Band] = ()) -> PatientChanges:
    """Each paired patient's change and relative change, with their group.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"patient_id": ["A", "B", "C"], "hba1c_before": [8.0, 10.0, 7.0],
    ...                       "hba1c_after": [6.0, 9.5, None]})
    >>> res = patient_changes(frame)
    >>> res.patient_id, res.change, res.relative_change
    (('A', 'B'), (-2.0, -0.5), (-25.0, -5.0))
    """
    paired = frame.loc[frame["hba1c_before"].notna() & frame["hba1c_after"].notna()]
    before = paired["hba1c_before"].to_numpy(dtype=float)
    after = paired["hba1c_after"].to_numpy(dtype=float)
    change = after - before
    labels = [""] * before.size
    for band in reversed(tuple(groups)):
        for i in np.flatnonzero(band.contains(before)):
            labels[i] = band.name

    def column(name: str) -> tuple[float, ...]:
        if name not in paired.columns:
            return (_NAN,) * before.size
        return tuple(float(v) for v in paired[name].to_numpy(dtype=float))

    ids = paired["patient_id"] if "patient_id" in paired.columns else pd.Series([f"row{i + 1}" for i in range(before.size)])
    return PatientChanges(
        patient_id=tuple(str(v) for v in ids),
        group=tuple(labels),
        before=tuple(float(v) for v in before),
        after=tuple(float(v) for v in after),
        change=tuple(float(v) for v in change),
        relative_change=tuple(float(v) for v in 100 * change / before),
        dose_million=column("dose_million"),
        months_observed=column("months_observed"),
    )


@dataclass(frozen=True, kw_only=True)
class RtmNullCurve(Result):
    """Change expected from regression to the mean alone, at each baseline of ``baseline``."""

    baseline: tuple[float, ...]
    expected_change: tuple[float, ...]
    mu: float
    rho: float

    def summary(self) -> str:
        return f"RTM null curve at mu={self.mu:g}, rho={self.rho:.3g} over {len(self.baseline)} baselines"


def rtm_null_curve(baseline: object, *, mu: float = POPULATION_MEAN, rho: float = DEFAULT_RHO) -> RtmNullCurve:
    r"""Expected change with no effect for a patient at each baseline: −(1 − ρ)(x − μ).

    Parameters
    ----------
    baseline : array-like of float
        Baseline HbA1c values (%) at which to evaluate the curve.
    mu, rho : float, keyword-only
        Population mean (default 7.5 %) and test-retest correlation (default 0.828), as
        in :mod:`mscreg.stats.rtm`. σ cancels: the conditional mean does not depend on it.

    Examples
    --------
    At ρ = 0.8 and μ = 7.5, a patient at 9.5 % is expected to fall 0.2 × 2 = 0.4 % points,
    one at 6.5 % to rise 0.2:

    >>> curve = rtm_null_curve([9.5, 7.5, 6.5], mu=7.5, rho=0.8)
    >>> [round(v, 6) for v in curve.expected_change]
    [-0.4, 0.0, 0.2]
    """
    x = as_vector(baseline, name="baseline", min_n=1)
    mu = check_number(mu, name="mu")
    rho = check_number(rho, name="rho", low=0, high=1, inclusive="both", what="test-retest correlation")
    expected = -(1 - rho) * (x - mu)
    return RtmNullCurve(baseline=tuple(float(v) for v in x), expected_change=tuple(float(v) for v in expected), mu=mu, rho=rho)


@dataclass(frozen=True, kw_only=True)
class LineBand(Result):
    """Least-squares line y = intercept + slope·x at ``x``, with its pointwise CI for the mean."""

    x: tuple[float, ...]
    fitted: tuple[float, ...]
    ci_low: tuple[float, ...]
    ci_high: tuple[float, ...]
    intercept: float
    slope: float
    ci_level: float
    n: int

    def summary(self) -> str:
        return f"Line {self.intercept:.4g} + {self.slope:.4g}·x with {self.ci_level:.0%} band, n={self.n}"


def line_band(x: object, y: object, *, at: object, ci_level: float = 0.95) -> LineBand:
    r"""Ordinary least-squares line of ``y`` on ``x`` and its confidence band at ``at``.

    The band is :math:`\hat y(x_0) \pm t_{n-2}\,s\sqrt{1/n + (x_0 - \bar x)^2/S_{xx}}`,
    the interval for the mean of y at :math:`x_0` (R: ``predict(lm(y ~ x), newdata,
    interval = "confidence")``). Same fit as :func:`mscreg.stats.regression.durability`.

    Examples
    --------
    Points on y = 1 + 2x exactly: the band has zero width.

    >>> band = line_band([0, 1, 2, 3], [1, 3, 5, 7], at=[0, 3])
    >>> band.fitted, band.ci_low
    ((1.0, 7.0), (1.0, 7.0))
    """
    ci_level = check_ci_level(ci_level)
    xs = as_vector(x, name="x", min_n=0)
    ys = as_vector(y, name="y", min_n=0)
    check_same_length(x=xs, y=ys)
    if xs.size < 3:
        raise InsufficientDataError(f"line_band needs at least 3 points; got {xs.size}")
    check_varies(xs, name="x", what="line_band")
    grid = as_vector(at, name="at", min_n=1)
    n = xs.size
    x_mean = xs.mean()
    sxx = float(((xs - x_mean) ** 2).sum())
    slope = float(((xs - x_mean) * (ys - ys.mean())).sum() / sxx)
    intercept = float(ys.mean() - slope * x_mean)
    residuals = ys - (intercept + slope * xs)
    s = float(np.sqrt((residuals**2).sum() / (n - 2)))
    fitted = intercept + slope * grid
    half = stats.t.ppf(0.5 + ci_level / 2, n - 2) * s * np.sqrt(1 / n + (grid - x_mean) ** 2 / sxx)
    as_tuple = lambda a: tuple(float(v) for v in a)  # noqa: E731
    return LineBand(x=as_tuple(grid), fitted=as_tuple(fitted), ci_low=as_tuple(fitted - half), ci_high=as_tuple(fitted + half),
                    intercept=intercept, slope=slope, ci_level=ci_level, n=int(n))
