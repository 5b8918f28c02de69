"""Audit: published claims → recomputed values → verdicts with explanations.

:func:`run_audit` checks every claim of a claims file against an analysis table
(:mod:`mscreg.audit.engine`) and runs the data-free consistency checks
(:mod:`mscreg.audit.consistency`). The claims format is defined in
:mod:`mscreg.audit.claims` and documented in ``docs/claims-format.md``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from mscreg.audit.claims import ClaimsFile, load_claims, parse_claims
from mscreg.audit.consistency import ConsistencyResult, run_consistency_checks
from mscreg.audit.engine import VERDICTS, ClaimVerdict, audit_claim
from mscreg.cohort.table import AnalysisTable
from mscreg.stats._result import Result

__all__ = ["VERDICTS", "AuditReport", "ClaimVerdict", "ConsistencyResult", "load_claims", "parse_claims", "run_audit"]


@dataclass(frozen=True, kw_only=True)
class AuditReport(Result):
    """Verdicts for every claim and every consistency check, with the inputs' provenance."""

    study: dict[str, Any]
    data: dict[str, Any]
    claims: tuple[ClaimVerdict, ...]
    consistency: tuple[ConsistencyResult, ...]
    counts: dict[str, int] = field(default_factory=dict)
    max_changes: int = 2

    def summary(self) -> str:
        counts = ", ".join(f"{self.counts.get(v, 0)} {v}" for v in VERDICTS)
        bad = sum(1 for c in self.consistency if c.verdict == "inconsistent")
        return f"{len(self.claims)} claims: {counts}; {len(self.consistency)} consistency checks, {bad} inconsistent"


def _subset_readings(verdicts: list[ClaimVerdict]) -> dict[str, tuple[Any, str]]:
    """Subset boundary readings that some claim can only be reproduced with (unambiguous evidence).

    A reading is kept only when every claim that pins it down agrees on it.
    """
    readings: dict[str, tuple[Any, str]] = {}
    conflicted: set[str] = set()
    for verdict in verdicts:
        if verdict.verdict != "reproduced_with_convention" or verdict.also_reproduced_by:
            continue
        for name, value in verdict.convention_detail.items():
            if not name.startswith("inclusive:"):
                continue
            if name in readings and readings[name][0] != value:
                conflicted.add(name)
            readings.setdefault(name, (value, verdict.id))
    return {name: reading for name, reading in readings.items() if name not in conflicted}


def run_audit(table: AnalysisTable, claims: ClaimsFile, *, max_changes: int = 2) -> AuditReport:
    """Audit every claim in ``claims`` against ``table``.

    Parameters
    ----------
    table : AnalysisTable
    claims : ClaimsFile
    max_changes : int
        Most conventions changed at once while searching for one that reproduces a
        claim (default 2; more makes chance matches likelier).

    Notes
    -----
    Claims are audited twice. When a claim can be reproduced by several equally simple
    conventions, the second pass prefers the subset-boundary reading that another claim
    can *only* be reproduced with: a paper is assumed to read its own subsets one way.

    Examples
    --------
    >>> from mscreg.cohort import seed_table
    >>> from mscreg.datasets import seed_claims_path
    >>> report = run_audit(seed_table(), load_claims(seed_claims_path()))
    >>> sorted(report.counts) == sorted(VERDICTS)
    True
    """
    first = [audit_claim(claim, table, claims, max_changes=max_changes) for claim in claims.claims]
    preferred = _subset_readings(first)
    verdicts = tuple(
        audit_claim(claim, table, claims, max_changes=max_changes, preferred=preferred) if verdict.also_reproduced_by else verdict
        for claim, verdict in zip(claims.claims, first)
    )
    tally = Counter(v.verdict for v in verdicts)
    return AuditReport(
        study=claims.study.model_dump(exclude_none=True),
        data=table.describe_source(),
        claims=verdicts,
        consistency=run_consistency_checks(claims, table),
        counts={v: tally.get(v, 0) for v in VERDICTS},
        max_changes=max_changes,
    )
