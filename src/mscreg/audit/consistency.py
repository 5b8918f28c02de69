"""Internal-consistency checks that need no patient data.

* ``sum`` — counts that should add up to a stated total (42 men + 16 women vs 61 patients).
* ``t_p`` — a p-value that should follow from a reported t and df, allowing for the
  rounding of both (the approach of statcheck: Nuijten et al., Behav Res Methods
  2016;48:1205).
* ``grim`` — a mean that must be a multiple of ``granularity / n`` (Brown & Heathers,
  Soc Psychol Personal Sci 2017;8:363); informative only when ``granularity / n`` is
  larger than the reporting step.

Where a reported number's rounding matters, a statement is only called ``inconsistent``
when no rounding rule (half-up, half-even, truncation) makes it consistent: a paper that
truncates (the seed does) is not flagged for it.
* ``repeated`` (automatic) — the same statistic of the same quantity and subset stated
  twice must be compatible (35 months vs 35.5 months vs "more than 36 months").
* ``within_range`` (automatic) — a mean or median must lie within the stated min–max of
  the same quantity and subset.

Each check gives ``consistent``, ``inconsistent`` or ``not_informative``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from mscreg.audit.claims import Check, Claim, ClaimsFile
from mscreg.audit.reported import Bound, Point, Range, Reported, Significance, parse_reported
from mscreg.cohort.table import AnalysisTable
from mscreg.stats._result import Result
from mscreg.stats.rounding import decimals_of

__all__ = ["CONSISTENCY_VERDICTS", "ConsistencyResult", "grim", "p_from_t", "run_consistency_checks"]

CONSISTENCY_VERDICTS = ("consistent", "inconsistent", "not_informative")


@dataclass(frozen=True, kw_only=True)
class ConsistencyResult(Result):
    """One internal-consistency check and its verdict."""

    id: str
    kind: str
    claims: tuple[str, ...]
    verdict: str
    explanation: str

    def summary(self) -> str:
        return f"{self.id} ({self.kind}): {self.verdict} — {self.explanation}"


def p_from_t(t: float, df: float, *, alternative: str = "two-sided") -> float:
    """p-value of a t statistic with ``df`` degrees of freedom.

    Examples
    --------
    R: ``2 * pt(-2.0, 10)`` = 0.07338803.

    >>> round(p_from_t(2.0, 10), 8)
    0.07338803
    """
    if alternative == "two-sided":
        return float(2 * sps.t.sf(abs(t), df))
    if alternative == "greater":
        return float(sps.t.sf(t, df))
    return float(sps.t.cdf(t, df))


def grim(mean: Point, n: int, granularity: float) -> tuple[str, str]:
    """GRIM test: can ``n`` values recorded in steps of ``granularity`` have this mean?

    Returns (verdict, explanation).

    Examples
    --------
    Mean 5.19 of 28 whole numbers: 5.19 × 28 = 145.32; the nearest possible sums 145 and 146
    give 5.1786 and 5.2143, neither of which rounds to 5.19.

    >>> grim(parse_reported("5.19"), 28, 1)[0]
    'inconsistent'
    >>> grim(parse_reported("5.18"), 28, 1)[0]
    'consistent'
    >>> grim(parse_reported("7.49"), 61, 0.1)[0]
    'not_informative'
    """
    step = 10.0 ** -mean.decimals
    if granularity / n <= step:
        return "not_informative", (f"with n = {n} and values recorded to {granularity:g}, possible means are {granularity / n:.4g} apart, "
                                   f"finer than the reported precision {step:g}; every mean is possible")
    low, high = mean.value - step, mean.value + step
    units_low = math.ceil(round(low * n / granularity, 9))
    units_high = math.floor(round(high * n / granularity, 9))
    candidates = [k * granularity / n for k in range(units_low, units_high + 1)]
    for rule in ("half-up", "half-even", "truncate"):
        fitting = [c for c in candidates if mean.matches(c, rounding=rule)]
        if fitting:
            return "consistent", f"{n} values in steps of {granularity:g} can average {fitting[0]:.6g}, which gives {mean.text} ({rule})"
    return "inconsistent", (f"no sum of {n} values recorded to {granularity:g} gives a mean that rounds (half-up, half-even) "
                            f"or truncates to {mean.text} (nearest possible: {(round(mean.value * n / granularity) * granularity / n):.6g})")


def _interval(reported: Reported, rounding: str) -> tuple[float, float] | None:
    if isinstance(reported, (Point, Bound)):
        low, high, _, _ = reported.interval(rounding=rounding)
        return low, high
    return None


def _intervals_meet(a: Reported, b: Reported) -> bool:
    """Whether two statements can describe one value, under one rounding rule used for both."""
    return any(_meet_under(a, b, rule) for rule in ("half-up", "truncate"))


def _meet_under(a: Reported, b: Reported, rule: str) -> bool:
    if isinstance(a, Range) and isinstance(b, Range):
        return _meet_under(a.low, b.low, rule) and _meet_under(a.high, b.high, rule)
    ia, ib = _interval(a, rule), _interval(b, rule)
    if ia is None or ib is None:
        return True
    return max(ia[0], ib[0]) < min(ia[1], ib[1]) or (ia[0] == ib[0] == ia[1] == ib[1])


def _claim_number(claims: ClaimsFile, ref: str) -> Reported:
    return claims.claim(ref).parsed_reported()


def _check_sum(check: Check, claims: ClaimsFile) -> ConsistencyResult:
    parts = [_claim_number(claims, ref) for ref in check.parts or []]
    total = _claim_number(claims, check.total or "")
    refs = (*(check.parts or []), check.total or "")
    if not all(isinstance(p, Point) for p in parts) or not isinstance(total, Point):
        return ConsistencyResult(id=check.id, kind="sum", claims=refs, verdict="not_informative",
                                 explanation="a sum check needs plain numbers for every part and the total")
    added = sum(p.value for p in parts)
    slack = sum(10.0 ** -p.decimals / 2 for p in parts) + 10.0 ** -total.decimals / 2
    shown = " + ".join(p.text for p in parts)
    exact = all(p.decimals == 0 for p in parts) and total.decimals == 0
    ok = added == total.value if exact else abs(added - total.value) <= slack
    verdict = "consistent" if ok else "inconsistent"
    return ConsistencyResult(id=check.id, kind="sum", claims=refs, verdict=verdict,
                             explanation=f"{shown} = {added:g}, stated total {total.text}")


def _check_t_p(check: Check, claims: ClaimsFile) -> ConsistencyResult:
    refs: tuple[str, ...] = (check.p or "",)
    if check.t is not None and check.t in {c.id for c in claims.claims}:
        t_reported = _claim_number(claims, check.t)
        refs = (check.t, *refs)
    else:
        t_reported = parse_reported(str(check.t))
    p_reported = _claim_number(claims, check.p or "")
    if not isinstance(t_reported, Point):
        return ConsistencyResult(id=check.id, kind="t_p", claims=refs, verdict="not_informative", explanation="t must be a plain number")
    df = float(check.df or 0)
    half = 10.0 ** -t_reported.decimals / 2
    ends = [p_from_t(t, df, alternative=check.alternative) for t in (t_reported.value - half, t_reported.value + half)]
    p_low, p_high = min(ends), max(ends)
    computed = p_from_t(t_reported.value, df, alternative=check.alternative)
    if isinstance(p_reported, Significance):
        ok = any(p_reported.matches(p, alpha=claims.conventions.alpha or 0.05) for p in (p_low, p_high))
    elif isinstance(p_reported, Bound):
        ok = any(p_reported.matches(p) for p in (p_low, p_high, computed))
    elif isinstance(p_reported, Point):
        ok = any(max(lo, p_low) <= min(hi, p_high)
                 for lo, hi, _, _ in (p_reported.interval(rounding=rule) for rule in ("half-up", "truncate")))
    else:
        ok = False
    explanation = (f"t({df:g}) = {t_reported.value:.{t_reported.decimals}f} gives {check.alternative} p = {computed:.4g} "
                   f"(between {p_low:.4g} and {p_high:.4g} for t's rounding); reported {p_reported}")
    return ConsistencyResult(id=check.id, kind="t_p", claims=refs, verdict="consistent" if ok else "inconsistent", explanation=explanation)


def _check_grim(check: Check, claims: ClaimsFile) -> ConsistencyResult:
    claim = claims.claim(check.mean or "")
    mean = claim.parsed_reported()
    n = check.n or claim.n
    if not isinstance(mean, Point) or n is None:
        return ConsistencyResult(id=check.id, kind="grim", claims=(claim.id,), verdict="not_informative",
                                 explanation="GRIM needs a plain mean and an n (from the check or the claim)")
    verdict, explanation = grim(mean, n, float(check.granularity or 1))
    return ConsistencyResult(id=check.id, kind="grim", claims=(claim.id,), verdict=verdict, explanation=explanation)


def _key(claim: Claim) -> tuple:
    return (claim.statistic, claim.quantity, claim.with_, claim.subset, claim.versus, claim.of)


def _repeated(claims: ClaimsFile) -> list[ConsistencyResult]:
    groups: dict[tuple, list[Claim]] = defaultdict(list)
    for claim in claims.claims:
        if claim.statistic is not None and claim.not_checkable is None:
            groups[_key(claim)].append(claim)
    results = []
    for members in groups.values():
        if len(members) < 2:
            continue
        clashes = [(a, b) for i, a in enumerate(members) for b in members[i + 1:]
                   if not _intervals_meet(a.parsed_reported(), b.parsed_reported())]
        ids = tuple(c.id for c in members)
        label = f"{members[0].statistic} of {members[0].quantity or 'rows'} in {members[0].subset}"
        if clashes:
            text = "; ".join(f"{a.id} says {a.reported} but {b.id} says {b.reported}" for a, b in clashes)
            results.append(ConsistencyResult(id=f"repeated:{ids[0]}", kind="repeated", claims=ids, verdict="inconsistent",
                                             explanation=f"the {label} is stated {len(members)} times, incompatibly: {text}"))
        else:
            values = ", ".join(c.reported for c in members)
            results.append(ConsistencyResult(id=f"repeated:{ids[0]}", kind="repeated", claims=ids, verdict="consistent",
                                             explanation=f"the {label} is stated {len(members)} times ({values}); the statements are compatible"))
    return results


def _within_range(claims: ClaimsFile) -> list[ConsistencyResult]:
    spans: dict[tuple, tuple[Claim, float, float]] = {}
    for claim in claims.claims:
        if claim.statistic == "range" and claim.not_checkable is None:
            reported = claim.parsed_reported()
            if not isinstance(reported, Range):
                continue
            spans[(claim.quantity, claim.subset)] = (claim, reported.low.value, reported.high.value)
    results = []
    for claim in claims.claims:
        if claim.statistic not in ("mean", "median") or claim.not_checkable is not None:
            continue
        span = spans.get((claim.quantity, claim.subset))
        reported = claim.parsed_reported()
        if span is None or not isinstance(reported, Point):
            continue
        range_claim, low, high = span
        ok = low <= reported.value <= high
        results.append(ConsistencyResult(
            id=f"within_range:{claim.id}", kind="within_range", claims=(claim.id, range_claim.id),
            verdict="consistent" if ok else "inconsistent",
            explanation=f"{claim.statistic} {claim.reported} {'lies' if ok else 'does not lie'} within the stated range {range_claim.reported}"))
    return results


def _auto_grim(claims: ClaimsFile, table: AnalysisTable | None) -> list[ConsistencyResult]:
    if table is None:
        return []
    results = []
    declared = {c.mean for c in claims.checks if c.kind == "grim"}
    for claim in claims.claims:
        if claim.statistic != "mean" or claim.n is None or claim.id in declared or claim.quantity not in table.frame.columns:
            continue
        reported = claim.parsed_reported()
        granularity = _granularity(table, claim.quantity)
        if not isinstance(reported, Point) or granularity is None:
            continue
        verdict, explanation = grim(reported, claim.n, granularity)
        results.append(ConsistencyResult(id=f"grim:{claim.id}", kind="grim", claims=(claim.id,), verdict=verdict,
                                         explanation=f"{explanation} (recording step {granularity:g} read from the table)"))
    return results


def _granularity(table: AnalysisTable, column: str) -> float | None:
    """The recording step of a column, from the most decimals any of its values shows."""
    values = table.frame[column].dropna().to_numpy(dtype=float)
    if values.size == 0:
        return None
    decimals = max(decimals_of(format(float(v), ".10g")) for v in values)
    return 10.0 ** -decimals if np.all(np.isfinite(values)) else None


def run_consistency_checks(claims: ClaimsFile, table: AnalysisTable | None = None) -> tuple[ConsistencyResult, ...]:
    """Run the declared checks and the automatic ones (repeated statements, ranges, GRIM).

    Examples
    --------
    >>> from mscreg.audit.claims import parse_claims
    >>> cf = parse_claims({"claims": [
    ...     {"id": "m", "claim": "men", "where": "R", "statistic": "count", "reported": "42"},
    ...     {"id": "f", "claim": "women", "where": "R", "statistic": "count", "reported": "16"},
    ...     {"id": "n", "claim": "patients", "where": "R", "statistic": "count", "reported": "61"}],
    ...     "checks": [{"id": "sum", "kind": "sum", "parts": ["m", "f"], "total": "n"}]})
    >>> run_consistency_checks(cf)[0].verdict
    'inconsistent'
    """
    runners = {"sum": _check_sum, "t_p": _check_t_p, "grim": _check_grim}
    declared = [runners[check.kind](check, claims) for check in claims.checks]
    return tuple(declared + _repeated(claims) + _within_range(claims) + _auto_grim(claims, table))
