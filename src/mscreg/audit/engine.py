"""Recompute each claim from the patient table and give a verdict with its explanation.

How a verdict is reached (no knowledge of any answer is involved):

1. A claim marked ``not_checkable``, or whose quantity or subset column the table lacks,
   is ``not_checkable`` with the reason.
2. The statistic is recomputed under the conventions the claims file states (or the
   documented defaults). If the result matches the reported value → ``reproduced``.
3. Otherwise every combination of documented alternative conventions that applies to the
   claim is tried (:func:`convention_space`), changing at most ``max_changes`` of them at
   once: each end of every band subset inclusive or exclusive, the sign of a before/after
   difference, paired vs Student vs Welch t-test, two-sided vs one-sided, sample vs
   population SD, 13 quartile methods, Pearson vs Spearman, and rounding half-up vs
   half-even vs truncation. The matches that change the fewest conventions win (ties:
   the order the alternatives are listed in) → ``reproduced_with_convention``, naming
   what changed; other equally simple matches are listed too.
4. Nothing matches → ``not_reproduced``, with the value under the stated conventions and
   the closest value any searched convention gave.

When the claim states the n its statistic rests on and the table holds a different number
of rows for that subset, the statistic can only be computed on the rows the table holds;
a match is then ``reproduced_with_convention`` with that named ("the 58 rows the table
holds, not the stated 61").
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mscreg.audit.claims import Claim, ClaimsFile, Conventions, Subset
from mscreg.audit.reported import Bound, Point, Range, Reported, Significance
from mscreg.cohort.table import AnalysisTable
from mscreg.domain.bands import Band
from mscreg.errors import InsufficientDataError
from mscreg.stats._result import Result
from mscreg.stats.correlation import correlate
from mscreg.stats.descriptive import QUARTILE_METHODS, quantile
from mscreg.stats.paired import paired_ttest
from mscreg.stats.twosample import two_sample_ttest

__all__ = ["VERDICTS", "ClaimVerdict", "Dimension", "audit_claim", "convention_space"]

VERDICTS = ("reproduced", "reproduced_with_convention", "not_reproduced", "not_checkable")

#: Derived before/after differences: name -> (first, second), value = first − second.
DIFFERENCES = {"reduction": ("hba1c_before", "hba1c_after"), "change": ("hba1c_after", "hba1c_before")}
_FLIPPED = {"reduction": "change", "change": "reduction"}
_SIGNED = {"mean", "median", "min", "max", "q1", "q3", "iqr", "range", "mean_difference", "ttest_t", "ttest_p",
           "correlation", "correlation_p"}
_DISTINCT_QUARTILE_METHODS = tuple(dict.fromkeys(name for name, (method, _) in QUARTILE_METHODS.items() if name == method))


@dataclass(frozen=True)
class Dimension:
    """One convention that can change a claim's number: its name, stated value and alternatives."""

    name: str
    stated: Any
    values: tuple[Any, ...]
    describe: Callable[[Any], str]


@dataclass(frozen=True, kw_only=True)
class ClaimVerdict(Result):
    """The audit of one claim.

    ``recomputed`` is the value under the stated conventions (a number, a ``[low, high]``
    pair, or None when it could not be computed); ``convention`` names the convention,
    other than the stated ones, that reproduced the reported value: set only for
    ``reproduced_with_convention`` (None otherwise; the explanation of a ``reproduced``
    claim lists the stated conventions it was computed with).
    """

    id: str
    claim: str
    where: str
    statistic: str | None
    quantity: str | None
    subset: str
    reported: str
    recomputed: Any
    n: int | None
    verdict: str
    convention: str | None
    convention_detail: dict[str, Any] = field(default_factory=dict)
    also_reproduced_by: tuple[str, ...] = ()
    explanation: str = ""

    def summary(self) -> str:
        return f"{self.id}: {self.verdict} — reported {self.reported}, recomputed {format_value(self.recomputed)}. {self.explanation}"


def format_value(value: Any) -> str:
    """A recomputed value for display (6 significant digits; pairs as 'a–b').

    Examples
    --------
    >>> format_value(7.493103), format_value([15.25, 45.75]), format_value(1.06e-06), format_value(None)
    ('7.4931', '15.25–45.75', '1.06e-06', '—')
    """
    if value is None:
        return "—"
    if isinstance(value, (list, tuple)):
        return "–".join(format_value(v) for v in value)
    if isinstance(value, (int, np.integer)) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e6):
        return str(int(value))
    return f"{float(value):.6g}"


class _Context:
    """What a claim is computed from: the table, the subsets and the conventions in force."""

    def __init__(self, table: AnalysisTable, claims: ClaimsFile):
        self.frame = table.frame
        self.subsets = claims.subsets

    def mask(self, name: str | None, setting: dict[str, Any]) -> np.ndarray:
        if name is None or name == "all":
            return np.ones(self.frame.shape[0], dtype=bool)
        subset = self.subsets[name]
        if subset.all_of is not None:
            mask = np.ones(self.frame.shape[0], dtype=bool)
            for part in subset.all_of:
                mask &= self.mask(part, setting)
            return mask
        column = self.frame[subset.column]
        if subset.equals is not None:
            if pd.api.types.is_numeric_dtype(column):
                return np.isclose(column.to_numpy(dtype=float), float(subset.equals), rtol=0, atol=1e-9)
            return column.astype("string").str.strip().str.upper().eq(subset.equals.strip().upper()).fillna(False).to_numpy(dtype=bool)
        band = subset.band(name).with_inclusive(setting.get(f"inclusive:{name}", subset.inclusive))
        return band.contains(pd.to_numeric(column, errors="coerce").to_numpy(dtype=float))

    def values(self, quantity: str, setting: dict[str, Any]) -> pd.Series:
        if quantity in DIFFERENCES and setting.get("sign") == "flipped":
            quantity = _FLIPPED[quantity]
        return pd.to_numeric(self.frame[quantity], errors="coerce")


def _band_subsets(claims: ClaimsFile, names: list[str | None]) -> list[str]:
    found: list[str] = []
    for name in names:
        if name is None or name == "all":
            continue
        subset = claims.subsets[name]
        if subset.all_of is not None:
            found += [n for n in _band_subsets(claims, list(subset.all_of)) if n not in found]
        elif subset.band(name) is not None and name not in found:
            found.append(name)
    return found


def _inclusive_choices(subset: Subset) -> tuple[str, ...]:
    """The distinct readings of a band's ends: four for a two-ended band, two for one end."""
    if subset.lower is not None and subset.upper is not None:
        return ("both", "left", "right", "neither")
    return ("both", "neither")


def _effective_inclusive(subset: Subset, word: str) -> str:
    """Collapse words that mean the same for a one-ended band (lower-only: both≡left)."""
    if subset.lower is not None and subset.upper is None:
        return "both" if word in ("both", "left") else "neither"
    if subset.upper is not None and subset.lower is None:
        return "both" if word in ("both", "right") else "neither"
    return word


def _band_description(name: str, subset: Subset, word: str) -> str:
    band = Band(name=name, lower=subset.lower, upper=subset.upper, inclusive=word)  # type: ignore[arg-type]
    return f"subset {name!r} as {subset.column} {band.label()}"


def _is_two_group(claim: Claim) -> bool:
    return claim.versus is not None


def convention_space(claim: Claim, claims: ClaimsFile, conventions: Conventions) -> list[Dimension]:
    """The conventions that can change this claim's number, stated value first.

    Examples
    --------
    >>> from mscreg.audit.claims import parse_claims
    >>> cf = parse_claims({"claims": [{"id": "m", "claim": "median", "where": "x",
    ...     "statistic": "median", "quantity": "months_observed", "reported": "35"}]})
    >>> [d.name for d in convention_space(cf.claims[0], cf, cf.resolved_conventions(cf.claims[0]))]
    ['rounding']
    """
    statistic = claim.statistic or ""
    reported = claim.parsed_reported()
    dims: list[Dimension] = []
    for name in _band_subsets(claims, [claim.subset, claim.versus, claim.of]):
        subset = claims.subsets[name]
        stated = _effective_inclusive(subset, subset.inclusive)
        choices = tuple(dict.fromkeys([stated, *(_effective_inclusive(subset, w) for w in _inclusive_choices(subset))]))
        dims.append(Dimension(f"inclusive:{name}", stated, choices, lambda w, n=name, s=subset: _band_description(n, s, w)))
    if statistic in _SIGNED and (claim.quantity in DIFFERENCES or claim.with_ in DIFFERENCES):
        dims.append(Dimension("sign", "as stated", ("as stated", "flipped"),
                              lambda v: "difference taken the other way round (after − before ↔ before − after)" if v == "flipped" else "difference as stated"))
    if statistic in ("ttest_t", "ttest_p"):
        if _is_two_group(claim):
            stated = conventions.test if conventions.test in ("student", "welch") else "student"
            dims.append(Dimension("test", stated, tuple(dict.fromkeys([stated, "student", "welch"])), _describe_test))
        elif claim.quantity in DIFFERENCES:
            stated = conventions.test or "paired"
            dims.append(Dimension("test", stated, tuple(dict.fromkeys([stated, "paired", "student", "welch"])), _describe_test))
    if statistic in ("ttest_p", "correlation_p"):
        stated = conventions.alternative or "two-sided"
        dims.append(Dimension("alternative", stated, tuple(dict.fromkeys([stated, "two-sided", "greater", "less"])), _describe_alternative))
    if statistic in ("correlation", "correlation_p"):
        stated = conventions.correlation or "pearson"
        dims.append(Dimension("correlation", stated, tuple(dict.fromkeys([stated, "pearson", "spearman"])),
                              lambda v: "Pearson correlation" if v == "pearson" else "Spearman rank correlation"))
    if statistic == "sd":
        stated = 1 if conventions.ddof is None else conventions.ddof
        dims.append(Dimension("ddof", stated, tuple(dict.fromkeys([stated, 1, 0])),
                              lambda v: "sample SD (ddof=1, Excel STDEV.S)" if v == 1 else "population SD (ddof=0, Excel STDEV.P)"))
    if statistic in ("q1", "q3", "iqr"):
        stated = QUARTILE_METHODS[conventions.quartile_method or "linear"][0]
        dims.append(Dimension("quartile_method", stated, tuple(dict.fromkeys([stated, *_DISTINCT_QUARTILE_METHODS])),
                              lambda v: f"quartile method {v} ({QUARTILE_METHODS[v][1]})"))
    if isinstance(reported, (Point, Range)) and statistic != "count":
        stated = conventions.rounding or "half-up"
        dims.append(Dimension("rounding", stated, tuple(dict.fromkeys([stated, "half-up", "half-even", "truncate"])),
                              lambda v: {"half-up": "rounding half-up", "half-even": "rounding half-to-even",
                                         "truncate": "truncation (digits dropped, not rounded)"}[v]))
    return dims


def _describe_test(value: str) -> str:
    return {"paired": "paired t-test", "student": "independent-samples Student t-test (pooled SD)",
            "welch": "independent-samples Welch t-test (unequal variances)"}[value]


def _describe_alternative(value: str) -> str:
    return "two-sided test" if value == "two-sided" else f"one-sided test (alternative '{value}')"


def _compute(claim: Claim, ctx: _Context, setting: dict[str, Any]) -> tuple[Any, int]:
    """The statistic under ``setting``; returns (value, n used)."""
    statistic = claim.statistic
    mask = ctx.mask(claim.subset, setting)
    if statistic in ("count", "percent"):
        rows = mask if claim.quantity is None else mask & ctx.values(claim.quantity, setting).notna().to_numpy()
        if statistic == "count":
            return int(rows.sum()), int(rows.sum())
        base_rows = ctx.mask(claim.of, setting)
        count, base = int((rows & base_rows).sum()), int(base_rows.sum())
        if base == 0:
            raise InsufficientDataError(f"the base subset {claim.of or 'all'!r} has no rows")
        return 100.0 * count / base, base
    values = ctx.values(claim.quantity, setting)  # type: ignore[arg-type]
    if statistic in ("correlation", "correlation_p"):
        other = ctx.values(claim.with_, setting)  # type: ignore[arg-type]
        rows = mask & values.notna().to_numpy() & other.notna().to_numpy()
        result = correlate(values[rows].to_numpy(), other[rows].to_numpy(), method=setting["correlation"],
                           alternative=setting.get("alternative", "two-sided"))
        return (result.estimate if statistic == "correlation" else result.p_value), int(rows.sum())
    x = values[mask].dropna().to_numpy(dtype=float)
    if statistic in ("mean_difference", "ttest_t", "ttest_p") and _is_two_group(claim):
        y = values[ctx.mask(claim.versus, setting)].dropna().to_numpy(dtype=float)
        if x.size < 2 or y.size < 2:
            raise InsufficientDataError(f"two-group comparison needs ≥ 2 rows per group, got {x.size} and {y.size}")
        if statistic == "mean_difference":
            return float(x.mean() - y.mean()), int(x.size + y.size)
        result = two_sample_ttest(x, y, equal_var=setting["test"] == "student", alternative=setting.get("alternative", "two-sided"))
        return (result.t if statistic == "ttest_t" else result.p_value), int(x.size + y.size)
    if x.size == 0:
        raise InsufficientDataError(f"subset {claim.subset!r} has no rows with {claim.quantity}")
    if statistic in ("ttest_t", "ttest_p"):
        return _one_group_ttest(claim, ctx, mask, x, setting), int(x.size)
    simple = {
        "mean": lambda: float(np.mean(x)),
        "median": lambda: float(np.median(x)),
        "min": lambda: float(np.min(x)),
        "max": lambda: float(np.max(x)),
        "sd": lambda: float(np.std(x, ddof=setting["ddof"])) if x.size > setting["ddof"] else math.nan,
        "q1": lambda: quantile(x, 0.25, method=setting["quartile_method"]),
        "q3": lambda: quantile(x, 0.75, method=setting["quartile_method"]),
        "iqr": lambda: [quantile(x, 0.25, method=setting["quartile_method"]), quantile(x, 0.75, method=setting["quartile_method"])],
        "range": lambda: [float(np.min(x)), float(np.max(x))],
    }
    return simple[statistic](), int(x.size)  # type: ignore[index]


def _one_group_ttest(claim: Claim, ctx: _Context, mask: np.ndarray, x: np.ndarray, setting: dict[str, Any]) -> float:
    """t or p of a before/after difference: paired, or the two columns as independent samples."""
    alternative = setting.get("alternative", "two-sided")
    test = setting.get("test", "paired")
    if x.size < 2:
        raise InsufficientDataError(f"a t-test needs ≥ 2 rows, subset {claim.subset!r} has {x.size}")
    name = _FLIPPED[claim.quantity] if setting.get("sign") == "flipped" else claim.quantity
    first, second = DIFFERENCES[name]  # the difference is first − second
    rows = mask & ctx.frame[first].notna().to_numpy() & ctx.frame[second].notna().to_numpy()
    a = ctx.frame.loc[rows, first].to_numpy(float)
    b = ctx.frame.loc[rows, second].to_numpy(float)
    if test == "paired":
        result = paired_ttest(b, a, alternative=alternative)  # its change, after − before, is a − b
        return result.t if claim.statistic == "ttest_t" else result.p_value
    independent = two_sample_ttest(a, b, equal_var=test == "student", alternative=alternative)
    return independent.t if claim.statistic == "ttest_t" else independent.p_value


def _matches(reported: Reported, value: Any, setting: dict[str, Any], alpha: float) -> bool:
    if value is None:
        return False
    if isinstance(reported, Significance):
        return reported.matches(float(value), alpha=alpha)
    if isinstance(reported, Range):
        return isinstance(value, list) and reported.matches((value[0], value[1]), rounding=setting.get("rounding", "half-up"))
    if isinstance(value, list):
        return False
    return reported.matches(float(value), rounding=setting.get("rounding", "half-up"))


def _distance(reported: Reported, value: Any) -> float:
    if value is None or isinstance(reported, Significance):
        return math.inf
    if isinstance(reported, Range):
        return reported.distance((value[0], value[1])) if isinstance(value, list) else math.inf
    return math.inf if isinstance(value, list) else reported.distance(float(value))


def _stated_setting(dims: list[Dimension]) -> dict[str, Any]:
    return {d.name: d.stated for d in dims}


def _settings(dims: list[Dimension], max_changes: int) -> list[tuple[int, tuple[int, ...], dict[str, Any]]]:
    """Every combination with at most ``max_changes`` non-stated values, simplest first."""
    out = []
    for indices in itertools.product(*(range(len(d.values)) for d in dims)):
        changed = sum(1 for d, i in zip(dims, indices) if d.values[i] != d.stated)
        if 0 < changed <= max_changes:
            out.append((changed, indices, {d.name: d.values[i] for d, i in zip(dims, indices)}))
    out.sort(key=lambda item: (item[0], item[1]))
    return out


def _describe_changes(dims: list[Dimension], setting: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    changed = {d.name: setting[d.name] for d in dims if setting[d.name] != d.stated}
    text = "; ".join(d.describe(setting[d.name]) + f" (stated: {d.describe(d.stated)})" for d in dims if d.name in changed)
    return text, changed


def _describe_stated(dims: list[Dimension]) -> str:
    return "as stated: " + ("; ".join(d.describe(d.stated) for d in dims) if dims else "no convention involved")


def _rows_note(claim: Claim, n: int | None) -> str | None:
    if claim.n is None or n is None or claim.statistic in ("count",) or claim.n == n:
        return None
    return f"computed on the {n} rows the table holds for this subset, not the stated n = {claim.n}"


def audit_claim(
    claim: Claim,
    table: AnalysisTable,
    claims: ClaimsFile,
    *,
    max_changes: int = 2,
    preferred: dict[str, tuple[Any, str]] | None = None,
) -> ClaimVerdict:
    """Recompute one claim and return its verdict (see the module docstring).

    ``preferred`` maps a convention name to (value, id of the claim that needs it): when
    several equally simple conventions reproduce this claim, the one agreeing with most
    preferred values is chosen (a paper should read one subset the same way throughout).

    Examples
    --------
    >>> from mscreg.audit.claims import parse_claims
    >>> from mscreg.cohort import seed_table
    >>> cf = parse_claims({"claims": [{"id": "median-months", "claim": "median follow-up",
    ...     "where": "Abstract", "statistic": "median", "quantity": "months_observed", "reported": "35"}]})
    >>> v = audit_claim(cf.claims[0], seed_table(), cf)
    >>> v.verdict, v.recomputed, v.convention
    ('reproduced_with_convention', 35.5, 'truncation (digits dropped, not rounded) (stated: rounding half-up)')
    """
    base = dict(id=claim.id, claim=claim.claim, where=claim.where, statistic=claim.statistic, quantity=claim.quantity,
                subset=claim.subset, reported=claim.reported)
    if claim.not_checkable is not None:
        return ClaimVerdict(**base, recomputed=None, n=None, verdict="not_checkable", convention=None, explanation=claim.not_checkable)
    missing = _missing_columns(claim, table, claims)
    if missing:
        return ClaimVerdict(**base, recomputed=None, n=None, verdict="not_checkable", convention=None,
                            explanation=f"the patient table has no data for {', '.join(repr(m) for m in missing)}, so this claim cannot be recomputed")
    conventions = claims.resolved_conventions(claim)
    alpha = conventions.alpha or 0.05
    reported = claim.parsed_reported()
    dims = convention_space(claim, claims, conventions)
    ctx = _Context(table, claims)
    stated = _fixed(conventions) | _stated_setting(dims)

    try:
        value, n = _compute(claim, ctx, stated)
    except InsufficientDataError as error:
        value, n, stated_error = None, None, str(error)
    else:
        stated_error = None
    rows_note = _rows_note(claim, n)
    if value is not None and _matches(reported, value, stated, alpha):
        if rows_note:
            return ClaimVerdict(**base, recomputed=_plain(value), n=n, verdict="reproduced_with_convention", convention=rows_note,
                                convention_detail={"rows": n}, explanation=f"{_match_text(reported, value, stated)}; {rows_note}.")
        return ClaimVerdict(**base, recomputed=_plain(value), n=n, verdict="reproduced", convention=None,
                            explanation=f"{_describe_stated(dims)[0].upper()}{_describe_stated(dims)[1:]}: {_match_text(reported, value, stated)}.")

    matches: list[tuple[dict[str, Any], Any, int]] = []
    closest: tuple[float, dict[str, Any], Any] | None = (_distance(reported, value), stated, value) if value is not None else None
    candidates = _settings(dims, max_changes)
    best_changes: int | None = None
    for changes, _, setting in candidates:
        if best_changes is not None and changes > best_changes:
            break
        setting = _fixed(conventions) | setting
        try:
            trial, trial_n = _compute(claim, ctx, setting)
        except InsufficientDataError:
            continue
        if _matches(reported, trial, setting, alpha):
            matches.append((setting, trial, trial_n))
            best_changes = changes
        else:
            distance = _distance(reported, trial)
            if closest is None or distance < closest[0]:
                closest = (distance, setting, trial)

    stated_text = f"as stated ({_describe_stated(dims)[11:]}) the value is {_value_text(value, reported, stated)}" if value is not None else f"as stated it cannot be computed ({stated_error})"
    if matches:
        chosen, reason = _choose(matches, dims, preferred or {})
        setting, trial, trial_n = matches[chosen]
        text, detail = _describe_changes(dims, setting)
        others = tuple(_describe_changes(dims, s)[0] for i, (s, _, _) in enumerate(matches) if i != chosen)[:3]
        note = _rows_note(claim, trial_n)
        if note:
            text, detail = f"{text}; {note}", detail | {"rows": trial_n}
        explanation = f"{stated_text[0].upper()}{stated_text[1:]}, which does not match {claim.reported}. With {text}: {_match_text(reported, trial, setting)}."
        if others:
            explanation += " Equally simple alternatives that also reproduce it: " + " | ".join(others) + "."
        if reason:
            explanation += f" {reason}"
        return ClaimVerdict(**base, recomputed=_plain(value), n=trial_n, verdict="reproduced_with_convention", convention=text,
                            convention_detail=detail, also_reproduced_by=others, explanation=explanation)

    searched = ", ".join(d.name for d in dims) or "none applicable"
    explanation = f"{stated_text[0].upper()}{stated_text[1:]}, which does not match {claim.reported}."
    if candidates:
        explanation += f" No combination of up to {max_changes} changed conventions ({searched}; {len(candidates)} tried) reproduces it."
    if closest is not None and math.isfinite(closest[0]) and closest[1] is not stated:
        explanation += f" Closest: {format_value(_plain(closest[2]))} with {_describe_changes(dims, closest[1])[0]}."
    if rows_note:
        explanation += f" Note: {rows_note}."
    if claim.statistic == "count" and claim.subset == "all" and value is not None:
        explanation += f" The table holds {value} rows."
    return ClaimVerdict(**base, recomputed=_plain(value), n=n, verdict="not_reproduced", convention=None, explanation=explanation)


def _choose(matches: list[tuple[dict[str, Any], Any, int]], dims: list[Dimension],
            preferred: dict[str, tuple[Any, str]]) -> tuple[int, str]:
    """Index of the match agreeing with most preferred conventions, and why it was chosen."""
    if len(matches) == 1 or not preferred:
        return 0, ""
    stated = {d.name: d.stated for d in dims}
    scores = []
    for setting, _, _ in matches:
        agree = [name for name, (value, _) in preferred.items()
                 if name in setting and setting[name] == value and value != stated.get(name)]
        scores.append(agree)
    best = max(range(len(matches)), key=lambda i: (len(scores[i]), -i))
    if not scores[best]:
        return 0, ""
    sources = ", ".join(f"{name.split(':', 1)[-1]!r} (needed by claim {preferred[name][1]!r})" for name in scores[best])
    return best, f"Chosen among them because it reads {sources} the same way as elsewhere in the paper."


def _fixed(conventions: Conventions) -> dict[str, Any]:
    """Conventions used in computation that are not searched for this claim."""
    return {"alternative": conventions.alternative or "two-sided", "test": conventions.test or "paired",
            "ddof": 1 if conventions.ddof is None else conventions.ddof,
            "quartile_method": QUARTILE_METHODS[conventions.quartile_method or "linear"][0],
            "correlation": conventions.correlation or "pearson", "rounding": conventions.rounding or "half-up",
            "alpha": conventions.alpha or 0.05}


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [float(v) for v in value]
    if isinstance(value, (int, np.integer)):
        return int(value)
    return None if value is None else float(value)


def _value_text(value: Any, reported: Reported, setting: dict[str, Any]) -> str:
    shown = format_value(_plain(value))
    if isinstance(reported, Point) and not isinstance(value, list):
        from mscreg.stats.rounding import round_value

        rounded = f"{round_value(float(value), reported.decimals, rule=setting['rounding']):.{reported.decimals}f}"
        return shown if rounded == shown else f"{shown} (→ {rounded} by {setting['rounding']})"
    return shown


def _match_text(reported: Reported, value: Any, setting: dict[str, Any]) -> str:
    if isinstance(reported, Significance):
        alpha = setting.get("alpha", 0.05)
        return f"recomputed p = {format_value(value)} ({'<' if float(value) < alpha else '≥'} α) agrees with '{reported.text}'"
    if isinstance(reported, Bound):
        return f"recomputed {format_value(_plain(value))} satisfies {reported.text}"
    return f"recomputed {_value_text(value, reported, setting)} matches {reported.text}"


def _missing_columns(claim: Claim, table: AnalysisTable, claims: ClaimsFile) -> list[str]:
    needed: list[str] = []
    for quantity in (claim.quantity, claim.with_):
        if quantity is None:
            continue
        needed += list(DIFFERENCES[quantity]) if quantity in DIFFERENCES else [quantity]
    for name in (claim.subset, claim.versus, claim.of):
        needed += _subset_columns(name, claims)
    return [column for column in dict.fromkeys(needed) if not table.has(column)]


def _subset_columns(name: str | None, claims: ClaimsFile) -> list[str]:
    if name is None or name == "all":
        return []
    subset = claims.subsets[name]
    if subset.all_of is not None:
        return [c for part in subset.all_of for c in _subset_columns(part, claims)]
    return [subset.column] if subset.column else []
