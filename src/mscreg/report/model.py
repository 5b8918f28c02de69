"""The report's document model: what goes in (result objects) and what comes out (blocks).

:class:`ReportInputs` bundles the result objects a report presents; the command that
makes a report computes them (:mod:`mscreg.cli.report_cmd`), the report layer only reads
them. :class:`ReportDocument` is the report as text, tables and figures, ready for a
template: every string in it is final (numbers already formatted), so the HTML, the PDF
and any other renderer show the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Figure", "Flow", "Paragraph", "ReportDocument", "ReportInputs", "Section", "Table"]


@dataclass(frozen=True, kw_only=True)
class ReportInputs:
    """Everything a report shows, as result objects (nothing here is computed by the report).

    Attributes
    ----------
    run : mscreg.cli.pipeline.AnalysisRun
        Table, paper analyses, honest estimates (required) and settings.
    audit : mscreg.audit.AuditReport or None
        The claims audit; None when no claims file was given for one's own data.
    claims : mscreg.audit.claims.ClaimsFile or None
        The claims file audited (its conventions go into the methods).
    claims_source : dict
        ``{"source": path or description, "sha256": hex}`` of the claims file ({} if none).
    baseline : mscreg.stats.baseline.BaselineTable
        Table 1, overall and by severity group.
    patients : mscreg.stats.baseline.PatientChanges
        Per-patient values for the figures.
    rtm_curves : tuple of mscreg.stats.baseline.RtmNullCurve
        Change expected from regression to the mean alone by baseline; the first at the
        default ρ and μ, the others at other grid values.
    durability_band : mscreg.stats.baseline.LineBand or None
        Fitted change-vs-months line with its confidence band.
    design : mscreg.design.power.TrialDesign
        The randomised trial sized at ``design_basis``.
    power : mscreg.design.power.PowerCurve
        n per arm over a range of effects, per analysis method.
    design_basis : dict
        ``effect``, ``sd``, ``rho``, ``alpha``, ``power`` and a sentence for each saying
        where it comes from (``effect_source``, ``sd_source``, ``rho_source``).
    cohort_design : dict
        ``mscreg design`` in cohort mode (JSON form): the design effect derived from the
        cohort net of regression to the mean and trial entry (``cohort``), and n per arm at
        each positive end of its range (``scenarios``).
    versions : dict
        Software name -> version.
    generated_at : str
        ISO 8601 date-time in UTC.
    """

    run: Any
    audit: Any | None
    claims: Any | None
    claims_source: dict[str, Any]
    baseline: Any
    patients: Any
    rtm_curves: tuple[Any, ...]
    durability_band: Any | None
    design: Any
    power: Any
    design_basis: dict[str, Any]
    cohort_design: dict[str, Any]
    versions: dict[str, str]
    generated_at: str


@dataclass(frozen=True, kw_only=True)
class Paragraph:
    """A paragraph of plain text (``kind`` "note" is shown smaller, "warning" boxed)."""

    text: str
    kind: str = ""


@dataclass(frozen=True, kw_only=True)
class Table:
    """A table of final strings.

    ``rows`` hold one string per header column; ``row_classes`` (optional, one per row)
    tag rows for styling (e.g. a verdict); columns from ``first_numeric`` on are aligned
    right.
    """

    id: str
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()
    row_classes: tuple[str, ...] = ()
    first_numeric: int = 1


@dataclass(frozen=True, kw_only=True)
class Figure:
    """An inline SVG figure with its caption and alternative text."""

    id: str
    svg: str
    caption: str
    alt: str


@dataclass(frozen=True, kw_only=True)
class Flow:
    """The cohort flow: boxes from patients stated to rows analysed, with side notes."""

    id: str
    steps: tuple[tuple[str, str], ...]
    exclusions: tuple[str, ...] = ()


Block = Paragraph | Table | Figure | Flow


@dataclass(frozen=True, kw_only=True)
class Section:
    """A titled section of blocks."""

    id: str
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True, kw_only=True)
class ReportDocument:
    """The whole report: title, main findings, sections and the machine-readable payload.

    ``data`` is embedded in the HTML as ``<script type="application/json"
    id="mscreg-data">``: ``analyze`` equals ``mscreg analyze --format json`` and ``audit``
    equals ``mscreg audit --format json`` for the same inputs and options.
    """

    title: str
    subtitle: str
    findings: tuple[str, ...]
    sections: tuple[Section, ...]
    data: dict[str, Any] = field(default_factory=dict)
    generated_at: str = ""
