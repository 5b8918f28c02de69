"""Responders: falls larger than measurement noise, and HbA1c targets reached.

- :func:`reference_change_value` -- the RCV, the smallest relative change that is
  unlikely to be analytical plus within-subject variation alone.
- :func:`responder_analysis` -- share of patients whose fall exceeds the RCV and shares
  below HbA1c targets (before and after), each with a Wilson interval.

Defaults
--------
- CVI = 8.3 %: long-term within-subject CV of HbA1c in T2DM, median (IQR 6-10 %),
  Gough et al., PLoS One 2023;18:e0289085. (Healthy short-term CVI is only 1.2-1.7 %;
  the long-term diabetic value is the one that matches months-apart measurements.)
- CVA = 2.0 %: the analytical CV an HbA1c method should achieve -- intralaboratory
  CV < 2 % (AACB/ADS/RCPA consensus, Clin Chem Lab Med 2007;45:1083-1097; the NACB/ADA
  laboratory guidelines, Sacks et al. Clin Chem 2011;57:e1-e47, ask for < 2 %).
  Use the laboratory's own CVA when it is known.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from mscreg.stats._checks import as_pair, as_vector, check_ci_level, check_number, check_option, check_values
from mscreg.stats._result import Result
from mscreg.stats.rtm import WITHIN_SUBJECT_CV_PERCENT

__all__ = [
    "ANALYTICAL_CV_PERCENT",
    "WITHIN_SUBJECT_CV_PERCENT",
    "ResponderResult",
    "Share",
    "reference_change_value",
    "responder_analysis",
]

#: Analytical CV of HbA1c, % (intralaboratory target < 2 %; AACB consensus, CCLM 2007;45:1083).
ANALYTICAL_CV_PERCENT = 2.0
#: HbA1c targets (%): ADA general target < 7 %, stricter individual target < 6.5 %.
DEFAULT_TARGETS = (7.0, 6.5)

RCV_ALTERNATIVES = ("two-sided", "less")


def _rcv_z(rcv_level: float, alternative: str) -> float:
    tail = (1 - rcv_level) / 2 if alternative == "two-sided" else 1 - rcv_level
    return float(stats.norm.ppf(1 - tail))


def _check_cv(value: object, name: str) -> float:
    return check_number(value, name=name, low=0, high=100, inclusive="left", what="coefficient of variation, %")


def reference_change_value(
    *,
    cva_percent: float = ANALYTICAL_CV_PERCENT,
    cvi_percent: float = WITHIN_SUBJECT_CV_PERCENT,
    rcv_level: float = 0.95,
    alternative: str = "two-sided",
) -> float:
    r"""Reference change value (RCV), in percent of the first value.

    :math:`RCV = \sqrt 2 \cdot z \cdot \sqrt{CV_A^2 + CV_I^2}` (Fraser & Fogarty 1989;
    Fraser 2001). Two-sided: :math:`z = z_{1-a/2}` (1.96 at 95 %), "is there a change in
    either direction". One-sided, ``alternative="less"``: :math:`z = z_{1-a}` (1.645 at
    95 %), "is this a fall" -- appropriate when only falls are of interest, and smaller.

    Parameters
    ----------
    cva_percent : float, keyword-only
        Analytical CV, % (default 2.0; see the module notes).
    cvi_percent : float, keyword-only
        Within-subject biological CV, % (default 8.3, Gough et al. 2023).
    rcv_level : float, keyword-only
        Probability level of the RCV (default 0.95).
    alternative : {"two-sided", "less"}, keyword-only
        Two-sided or one-sided (fall) RCV.

    References
    ----------
    Fraser CG, Fogarty Y. Interpreting laboratory results. BMJ 1989;298:1659-1660.
    Fraser CG. Biological Variation: From Principles to Practice. AACC Press 2001, ch. 3.

    Examples
    --------
    √2 × 1.959964 × √(2.0² + 8.3²) = 1.414214 × 1.959964 × 8.537564 = 23.664:

    >>> round(reference_change_value(), 3)
    23.664
    >>> round(reference_change_value(alternative="less"), 3)
    19.86
    """
    rcv_level = check_ci_level(rcv_level, name="rcv_level")
    alternative = check_option(
        alternative, name="alternative", choices=RCV_ALTERNATIVES, what="responders are defined by a fall"
    )
    z = _rcv_z(rcv_level, alternative)
    cva = _check_cv(cva_percent, "cva_percent")
    cvi = _check_cv(cvi_percent, "cvi_percent")
    return math.sqrt(2) * z * math.hypot(cva, cvi)


@dataclass(frozen=True, kw_only=True, slots=False)
class Share(Result):
    """A share of patients (``count`` of ``n``) with its Wilson interval.

    ``threshold`` is the HbA1c target (%) or the RCV (%) the share refers to.
    """

    label: str
    threshold: float
    count: int
    n: int
    estimate: float
    ci_low: float
    ci_high: float
    ci_level: float

    def summary(self) -> str:
        return (
            f"{self.label}: {self.count}/{self.n} = {self.estimate:.1%} "
            f"({self.ci_level:.0%} Wilson CI {self.ci_low:.1%} to {self.ci_high:.1%})"
        )


@dataclass(frozen=True, kw_only=True, slots=False)
class ResponderResult(Result):
    """RCV responders and target attainment; see :func:`responder_analysis`."""

    n: int
    rcv_percent: float
    cva_percent: float
    cvi_percent: float
    rcv_level: float
    alternative: str
    ci_level: float
    rcv_responders: Share
    targets_before: tuple[Share, ...]
    targets_after: tuple[Share, ...]

    def summary(self) -> str:
        lines = [
            f"RCV {self.rcv_percent:.1f} % (CVA {self.cva_percent:g} %, CVI {self.cvi_percent:g} %, "
            f"{self.rcv_level:.0%} {self.alternative}), n={self.n}",
            self.rcv_responders.summary(),
        ]
        lines += [share.summary() for share in self.targets_before + self.targets_after]
        return "\n".join(lines)


def _share(label: str, threshold: float, hits: np.ndarray, ci_level: float) -> Share:
    count, n = int(hits.sum()), int(hits.size)
    low, high = proportion_confint(count, n, alpha=1 - ci_level, method="wilson")
    return Share(
        label=label,
        threshold=float(threshold),
        count=count,
        n=n,
        estimate=count / n,
        ci_low=float(low),
        ci_high=float(high),
        ci_level=ci_level,
    )


def responder_analysis(
    before: object,
    after: object,
    *,
    cva_percent: float = ANALYTICAL_CV_PERCENT,
    cvi_percent: float = WITHIN_SUBJECT_CV_PERCENT,
    rcv_level: float = 0.95,
    alternative: str = "two-sided",
    targets: object = DEFAULT_TARGETS,
    ci_level: float = 0.95,
) -> ResponderResult:
    r"""Share of patients whose fall exceeds the RCV, and shares below HbA1c targets.

    Parameters
    ----------
    before, after : array-like of float
        HbA1c (%) of the same patients before and after treatment (at least 1; before > 0).
    cva_percent, cvi_percent, rcv_level, alternative : keyword-only
        Passed to :func:`reference_change_value` (defaults 2.0 %, 8.3 %, 0.95, two-sided).
    targets : sequence of float, keyword-only
        HbA1c thresholds (%); a patient reaches a target when HbA1c < threshold
        (strictly). Default (7.0, 6.5).
    ci_level : float, keyword-only
        Level of the Wilson intervals (default 0.95).

    Returns
    -------
    ResponderResult
        ``n``, ``rcv_percent``, ``cva_percent``, ``cvi_percent``, ``rcv_level``,
        ``alternative``, ``ci_level``, ``rcv_responders`` (a :class:`Share`),
        ``targets_before`` and ``targets_after`` (one :class:`Share` per target). Each
        Share has ``label``, ``threshold``, ``count``, ``n``, ``estimate``, ``ci_low``,
        ``ci_high``, ``ci_level``.

    Notes
    -----
    A responder has a relative fall :math:`100\,(\text{before} - \text{after})/\text{before}
    > RCV` (strictly). Shares below targets are shown before and after, because patients
    may already be below a target at baseline. The RCV treats the relative change as
    normal; with the noisy first value as denominator, large falls are slightly shrunk, so
    at realistic CVs the false-responder rate is a little below the nominal tail (about
    2.1 % instead of 2.5 % at a total CV of 2.2 %; see Fokkema et al., Clin Chem
    2006;52:1602 for an asymmetric, log-normal RCV). Intervals: Wilson score interval,
    :func:`statsmodels.stats.proportion.proportion_confint` with ``method="wilson"``
    (Wilson 1927; recommended over the Wald interval by Brown, Cai & DasGupta 2001).

    References
    ----------
    Brown LD, Cai TT, DasGupta A. Interval estimation for a binomial proportion.
    Stat Sci 2001;16:101-133.

    Examples
    --------
    Relative falls 30 %, 10 % and 25 %; the RCV is 23.7 %, so 2 of 3 respond:

    >>> res = responder_analysis([10.0, 8.0, 8.0], [7.0, 7.2, 6.0])
    >>> res.rcv_responders.count, [s.count for s in res.targets_after]
    (2, [1, 1])
    """
    ci_level = check_ci_level(ci_level)
    rcv = reference_change_value(
        cva_percent=cva_percent, cvi_percent=cvi_percent, rcv_level=rcv_level, alternative=alternative
    )
    before_arr, after_arr = as_pair(before, after, names=("before", "after"), min_n=1, what="responder_analysis")
    check_values(before_arr, name="before", low=0, inclusive="neither", what="to compute a relative change")
    thresholds = as_vector(targets, name="targets", min_n=0)
    relative_fall = 100 * (before_arr - after_arr) / before_arr
    return ResponderResult(
        n=before_arr.size,
        rcv_percent=rcv,
        cva_percent=float(cva_percent),
        cvi_percent=float(cvi_percent),
        rcv_level=float(rcv_level),
        alternative=alternative,
        ci_level=ci_level,
        rcv_responders=_share(f"relative fall > RCV {rcv:.1f} %", rcv, relative_fall > rcv, ci_level),
        targets_before=tuple(
            _share(f"HbA1c < {t:g} % before", t, before_arr < t, ci_level) for t in thresholds
        ),
        targets_after=tuple(_share(f"HbA1c < {t:g} % after", t, after_arr < t, ci_level) for t in thresholds),
    )
