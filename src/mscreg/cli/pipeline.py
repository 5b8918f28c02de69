"""The jobs behind the commands, shared by ``analyze``, ``audit`` and ``report``.

A command turns its options into :class:`AnalysisSettings`, loads its inputs with
:class:`TableSource` / :func:`load_claims_and_table`, and calls :func:`run_analysis`; so
``mscreg analyze --format json`` and ``mscreg report`` present the same numbers from the
same result objects.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mscreg.errors import ClaimsFileError, ConventionError, InputError

__all__ = ["AnalysisRun", "AnalysisSettings", "TableSource", "load_claims_and_table", "parse_numbers", "run_analysis"]


@dataclass(frozen=True, kw_only=True)
class AnalysisSettings:
    """Every convention of an analysis run, with the defaults of the paper's reading.

    Attributes mirror the ``mscreg analyze`` options (see its ``--help``).
    """

    alternative: str = "two-sided"
    ci_level: float = 0.95
    ddof: int = 1
    quartile_method: str = "linear"
    severity_cut: float = 8.0
    severity_cut_in: str = "lower"
    entry_threshold: float = 6.2
    dose_cuts: tuple[float, ...] = (1000.0,)
    dose_cut_in: str = "upper"
    seed: int = 20250321
    n_resamples: int = 10_000
    sigma: float = 1.5
    rho_grid: tuple[float, ...] | None = None
    mu_grid: tuple[float, ...] | None = None
    cva: float = 2.0
    cvi: float = 8.3
    estimates: bool = True

    def severity_bands(self) -> tuple[Any, ...]:
        """Moderate and severe bands; ``severity_cut_in`` says which holds the cut value."""
        from mscreg.domain.bands import Band

        if self.severity_cut_in not in ("lower", "upper"):
            raise ConventionError(f"severity_cut_in={self.severity_cut_in!r} must be 'lower' or 'upper'")
        lower = self.severity_cut_in == "lower"
        return (
            Band(name="moderate", lower=self.entry_threshold, upper=self.severity_cut, inclusive="both" if lower else "left"),
            Band(name="severe", lower=self.severity_cut, inclusive="neither" if lower else "both"),
        )

    def dose_bands(self) -> tuple[Any, ...]:
        """Dose groups cut at ``dose_cuts``; ``dose_cut_in`` says which side holds a cut value."""
        from mscreg.domain.bands import dose_groups

        if self.dose_cut_in not in ("lower", "upper"):
            raise ConventionError(f"dose_cut_in={self.dose_cut_in!r} must be 'lower' or 'upper'")
        return dose_groups(list(self.dose_cuts), inclusive="left" if self.dose_cut_in == "upper" else "right")

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form, for methods sections and provenance."""
        return asdict(self)


@dataclass(frozen=True)
class AnalysisRun:
    """One analysis run: the table, the paper's analyses and (optionally) the honest estimates."""

    table: Any
    paper: Any
    estimates: Any | None
    settings: AnalysisSettings = field(default_factory=AnalysisSettings)

    def to_dict(self) -> dict[str, Any]:
        """The JSON payload of ``mscreg analyze --format json``."""
        payload = {"data": self.table.describe_source(), "paper": self.paper.to_dict()}
        if self.estimates is not None:
            payload["estimates"] = self.estimates.to_dict()
        return payload


def parse_numbers(option: str, text: str) -> tuple[float, ...]:
    """Comma-separated numbers of a CLI option, or a ConventionError naming the option.

    Examples
    --------
    >>> parse_numbers("--dose-cuts", "1000, 1500")
    (1000.0, 1500.0)
    """
    try:
        values = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ConventionError(f"{option} {text!r}: expected comma-separated numbers such as '1000,1500'") from None
    if not values:
        raise ConventionError(f"{option} {text!r}: give at least one number")
    return values


@dataclass(frozen=True, kw_only=True)
class TableSource:
    """Where the analysis table comes from: a file (``data``), a registry (``db``) or the seed.

    ``hba1c_unit`` and ``sheet`` apply to files; the cohort rules
    (``baseline_window_days``, ``follow_up``, ``cohort_engine``) to registries, see
    :func:`mscreg.cohort.registry.table_from_registry`.
    """

    data: Path | None = None
    db: str | None = None
    hba1c_unit: str = "ngsp"
    sheet: str | None = None
    baseline_window_days: int = 90
    follow_up: str = "last"
    cohort_engine: str = "sql"

    def __post_init__(self) -> None:
        if self.data is not None and self.db is not None:
            raise InputError("give either --data FILE or --db URL, not both")

    @property
    def is_seed(self) -> bool:
        """Whether neither a file nor a registry was named (the embedded seed study is used)."""
        return self.data is None and self.db is None

    def load(self) -> Any:
        """The validated :class:`~mscreg.cohort.table.AnalysisTable`.

        Examples
        --------
        >>> TableSource().load().n_rows
        58
        """
        from mscreg.domain.units import HbA1cUnit

        HbA1cUnit.parse(self.hba1c_unit)  # refuse a bad unit even when the seed is used
        if self.db is not None:
            from mscreg.cohort.registry import table_from_registry

            return table_from_registry(self.db, baseline_window_days=self.baseline_window_days,
                                       follow_up=self.follow_up, engine=self.cohort_engine)
        if self.data is None:
            from mscreg.cohort import seed_table

            return seed_table()
        from mscreg.cohort.table import load_analysis_table

        return load_analysis_table(self.data, hba1c_unit=self.hba1c_unit, sheet=self.sheet)


def load_claims_and_table(source: TableSource, claims: Path | None) -> tuple[Any, Any]:
    """Claims file and analysis table for an audit.

    No ``claims``: the seed's claims on the seed table (your own data or registry then needs
    claims too). ``claims`` without a table source: the table named by the claims file's
    ``study.data``, relative to the claims file.

    Examples
    --------
    >>> claims, table = load_claims_and_table(TableSource(), None)
    >>> len(claims.claims) > 40, table.n_rows
    (True, 58)
    """
    from dataclasses import replace

    from mscreg.audit.claims import load_claims
    from mscreg.datasets import seed_claims_path

    if claims is None:
        if not source.is_seed:
            raise InputError("auditing your own data needs the claims it should be checked against: add --claims FILE (format: docs/claims-format.md)")
        return load_claims(seed_claims_path()), source.load()
    claims_file = load_claims(claims)
    if source.is_seed:
        if claims_file.study.data is None:
            raise ClaimsFileError(f"{claims}: no --data or --db given and the claims file names no `study.data` table")
        source = replace(source, data=(claims.parent / claims_file.study.data).resolve(),
                         hba1c_unit=claims_file.study.hba1c_unit or source.hba1c_unit)
    return claims_file, source.load()


def run_analysis(table: Any, settings: AnalysisSettings = AnalysisSettings()) -> AnalysisRun:
    """The paper's analyses and, unless ``settings.estimates`` is False, the honest estimates.

    Examples
    --------
    >>> from mscreg.cohort import seed_table
    >>> run = run_analysis(seed_table(), AnalysisSettings(n_resamples=999))
    >>> run.paper.overall.n, run.estimates.settings["n_resamples"]
    (58, 999)
    """
    from mscreg.stats.estimates import honest_estimates
    from mscreg.stats.paper import paper_analyses
    from mscreg.stats.rtm import DEFAULT_MU_GRID, DEFAULT_RHO_GRID

    severity, doses = settings.severity_bands(), settings.dose_bands()
    paper = paper_analyses(
        table.frame, severity_groups=severity, dose_groups=doses, alternative=settings.alternative,
        ci_level=settings.ci_level, ddof=settings.ddof, quartile_method=settings.quartile_method,
    )
    estimates = None
    if settings.estimates:
        estimates = honest_estimates(
            table.frame, severity_groups=severity, dose_groups=doses, entry_threshold=settings.entry_threshold,
            ci_level=settings.ci_level, seed=settings.seed, n_resamples=settings.n_resamples, sigma=settings.sigma,
            rho_values=settings.rho_grid or DEFAULT_RHO_GRID, mu_values=settings.mu_grid or DEFAULT_MU_GRID,
            cva_percent=settings.cva, cvi_percent=settings.cvi,
        )
    return AnalysisRun(table, paper, estimates, settings)
