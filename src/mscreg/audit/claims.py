"""The claims file: what a publication states, in a form mscreg can check.

The format is documented for users in ``docs/claims-format.md``; this module is its
single definition (pydantic models) and loader. A claims file is YAML::

    format: mscreg-claims/1
    study: {title: ..., doi: ..., data: table.csv}
    conventions: {alternative: two-sided, test: paired, rounding: half-up, ...}
    subsets:
      severe: {column: hba1c_before, lower: 8, inclusive: neither, where: "Methods"}
    claims:
      - id: severe-mean-reduction
        claim: Mean HbA1c fall in the severe group
        where: Abstract; Figure 1
        statistic: mean
        quantity: reduction
        subset: severe
        reported: "1.55"
    checks:
      - {id: sex-total, kind: sum, parts: [n-male, n-female], total: n-enrolled}

Scalars are read as text (YAML's base loader), so ``6.70`` keeps its two decimals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mscreg.audit.reported import Reported, parse_reported
from mscreg.cohort.table import COLUMNS, DERIVED_COLUMNS
from mscreg.domain.bands import Band
from mscreg.errors import ClaimsFileError, InputFileError

__all__ = [
    "STATISTICS",
    "Check",
    "Claim",
    "ClaimsFile",
    "Conventions",
    "StudyInfo",
    "Subset",
    "load_claims",
    "parse_claims",
]

#: Names a claim's ``quantity``/``with`` and a subset's ``column`` may use: the analysis
#: table's columns and its derived differences.
QUANTITIES: tuple[str, ...] = (*(spec.name for spec in COLUMNS), *DERIVED_COLUMNS)

#: The numeric ones: the only columns a band subset or a numeric statistic can use.
NUMERIC_QUANTITIES: tuple[str, ...] = (*(spec.name for spec in COLUMNS if spec.kind == "number"), *DERIVED_COLUMNS)

#: Statistic name -> what it computes. ``quantity`` is a column of the analysis table
#: (or a derived one: ``change``, ``reduction``).
STATISTICS: dict[str, str] = {
    "count": "number of rows in the subset (with a non-missing quantity, if one is named)",
    "percent": "100 × rows in both the subset and `of` / rows in `of` (default `of`: all rows)",
    "mean": "arithmetic mean of the quantity",
    "sd": "standard deviation of the quantity (convention ddof)",
    "median": "median of the quantity",
    "min": "smallest value of the quantity",
    "max": "largest value of the quantity",
    "q1": "first quartile (convention quartile_method)",
    "q3": "third quartile (convention quartile_method)",
    "iqr": "interquartile range reported as 'Q1–Q3' (convention quartile_method)",
    "range": "range reported as 'min–max'",
    "mean_difference": "mean of the quantity in `subset` minus its mean in `versus`",
    "ttest_t": "t statistic: paired/one-sample on a before/after difference, or two groups (`versus`)",
    "ttest_p": "p-value of that t-test (conventions test, alternative)",
    "correlation": "correlation coefficient of the quantity with `with` (convention correlation)",
    "correlation_p": "p-value of that correlation",
}

Alternative = Literal["two-sided", "less", "greater"]
TestKind = Literal["paired", "student", "welch"]
Rounding = Literal["half-up", "half-even", "truncate"]
CorrelationMethod = Literal["pearson", "spearman"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Conventions(_Model):
    """Analysis conventions as the publication states or implies them (the audit's start).

    Every field is optional in a claim's own ``conventions`` (overrides); at file level
    missing fields take the defaults shown.
    """

    alternative: Alternative | None = None
    test: TestKind | None = None
    ddof: Literal[0, 1] | None = None
    quartile_method: str | None = None
    rounding: Rounding | None = None
    correlation: CorrelationMethod | None = None
    alpha: float | None = Field(default=None, gt=0, lt=1)

    @field_validator("ddof", mode="before")
    @classmethod
    def _ddof_from_text(cls, value: Any) -> Any:
        return int(value) if isinstance(value, str) and value.strip() in ("0", "1") else value

    @field_validator("quartile_method")
    @classmethod
    def _known_quartile_method(cls, value: str | None) -> str | None:
        from mscreg.stats.descriptive import QUARTILE_METHODS

        if value is not None and value not in QUARTILE_METHODS:
            raise ValueError(f"quartile_method {value!r} is not one of {', '.join(QUARTILE_METHODS)}")
        return value

    def merged(self, override: Conventions | None) -> Conventions:
        """These conventions with the fields ``override`` sets replaced."""
        if override is None:
            return self
        return self.model_copy(update=override.model_dump(exclude_none=True))


#: Defaults for conventions a claims file does not state.
DEFAULT_CONVENTIONS = Conventions(
    alternative="two-sided", test="paired", ddof=1, quartile_method="linear", rounding="half-up",
    correlation="pearson", alpha=0.05,
)


class StudyInfo(_Model):
    """Who published what, and (optionally) the analysis table the claims refer to."""

    title: str = ""
    doi: str | None = None
    citation: str | None = None
    data: str | None = Field(default=None, description="analysis-table file, relative to the claims file")
    hba1c_unit: Literal["ngsp", "ifcc", "jds"] | None = None


class Subset(_Model):
    """A named subset of rows: a band of a numeric column, a category, or an intersection."""

    column: str | None = None
    lower: float | None = None
    upper: float | None = None
    inclusive: Literal["both", "neither", "left", "right"] = "both"
    equals: str | None = None
    all_of: list[str] | None = None
    where: str | None = None
    description: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Subset:
        kinds = [self.lower is not None or self.upper is not None, self.equals is not None, self.all_of is not None]
        if sum(kinds) != 1:
            raise ValueError("define a subset by exactly one of: lower/upper (a band), equals (a category), all_of (other subsets)")
        if (kinds[0] or kinds[1]) and not self.column:
            raise ValueError("a band or category subset needs `column`")
        if self.column is not None and self.column not in QUANTITIES:
            raise ValueError(f"column {self.column!r} is not a column of the analysis table; expected one of {', '.join(QUANTITIES)}")
        if kinds[0] and self.column not in NUMERIC_QUANTITIES:
            raise ValueError(f"a band (lower/upper) needs a numeric column; {self.column!r} is not one of {', '.join(NUMERIC_QUANTITIES)}")
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise ValueError(f"lower {self.lower} is above upper {self.upper}")
        if kinds[1] and self.column in NUMERIC_QUANTITIES:
            try:
                float(self.equals)  # type: ignore[arg-type]
            except ValueError:
                raise ValueError(f"column {self.column!r} is numeric; `equals` must be a number, got {self.equals!r}") from None
        return self

    def band(self, name: str) -> Band | None:
        """The subset as a :class:`~mscreg.domain.bands.Band` (None if not a band)."""
        if self.lower is None and self.upper is None:
            return None
        return Band(name=name, lower=self.lower, upper=self.upper, inclusive=self.inclusive)


class Claim(_Model):
    """One quantitative statement of the publication."""

    id: str = Field(min_length=1)
    claim: str = Field(min_length=1, description="the claim in our own short words")
    where: str = Field(min_length=1, description="where it stands in the publication")
    reported: str = Field(min_length=1, description="the value as printed, with its precision or bound")
    statistic: str | None = None
    quantity: str | None = None
    with_: str | None = Field(default=None, alias="with")
    subset: str = "all"
    versus: str | None = None
    of: str | None = None
    n: int | None = Field(default=None, ge=1, description="the n the publication says the statistic is based on")
    conventions: Conventions | None = None
    not_checkable: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _coherent(self) -> Claim:
        if self.not_checkable is not None:
            return self
        if self.statistic is None:
            raise ValueError("give `statistic` (one of the documented names) or `not_checkable` with a reason")
        if self.statistic not in STATISTICS:
            raise ValueError(f"statistic {self.statistic!r} is not one of {', '.join(STATISTICS)}")
        if self.statistic not in ("count", "percent") and not self.quantity:
            raise ValueError(f"statistic {self.statistic!r} needs `quantity`")
        for key, name in (("quantity", self.quantity), ("with", self.with_)):
            if name is not None and name not in QUANTITIES:
                raise ValueError(f"{key} {name!r} is not a column of the analysis table; expected one of {', '.join(QUANTITIES)}")
        if self.with_ is not None and self.with_ not in NUMERIC_QUANTITIES:
            raise ValueError(f"with {self.with_!r} must be a numeric column")
        if self.statistic not in ("count", "percent") and self.quantity not in NUMERIC_QUANTITIES:
            raise ValueError(f"statistic {self.statistic!r} needs a numeric quantity; {self.quantity!r} is not one")
        uses = {"versus": ("mean_difference", "ttest_t", "ttest_p"), "with": ("correlation", "correlation_p"), "of": ("percent",)}
        for key, statistics in uses.items():
            if getattr(self, "with_" if key == "with" else key) is not None and self.statistic not in statistics:
                raise ValueError(f"`{key}` has no meaning for statistic {self.statistic!r} (only for {', '.join(statistics)})")
        if self.statistic in ("ttest_t", "ttest_p") and self.versus is None and self.quantity not in ("change", "reduction"):
            raise ValueError(f"a t-test needs `versus` (two groups) or a before/after difference as quantity (change, reduction); "
                             f"got quantity {self.quantity!r} without `versus`")
        if self.versus is not None and self.versus == self.subset:
            raise ValueError(f"`versus` {self.versus!r} is the same subset as `subset`; compare two different groups")
        if self.statistic.startswith("correlation") and not self.with_:
            raise ValueError(f"statistic {self.statistic!r} needs `with` (the second variable)")
        if self.statistic == "mean_difference" and not self.versus:
            raise ValueError("statistic 'mean_difference' needs `versus` (the comparison subset)")
        reported = parse_reported(self.reported, where=f"claim {self.id!r}: reported")
        kind = type(reported).__name__
        if self.statistic in ("range", "iqr") and kind != "Range":
            raise ValueError(f"statistic {self.statistic!r} is reported as a pair 'low–high', got {self.reported!r}")
        if kind == "Range" and self.statistic not in ("range", "iqr"):
            raise ValueError(f"a reported range {self.reported!r} fits only the statistics 'range' and 'iqr'")
        if kind == "Significance" and self.statistic not in ("ttest_p", "correlation_p"):
            raise ValueError(f"'(not) significant' fits only p-value statistics (ttest_p, correlation_p), not {self.statistic!r}")
        return self

    def parsed_reported(self) -> Reported:
        """The reported value, parsed (see :mod:`mscreg.audit.reported`)."""
        return parse_reported(self.reported, where=f"claim {self.id!r}: reported")


class Check(_Model):
    """A data-free internal-consistency check between reported numbers.

    ``kind``:

    * ``sum`` — the claims in ``parts`` should add up to the claim ``total``;
    * ``t_p`` — a p-value (claim ``p``) should follow from a t statistic (claim or number
      ``t``) with ``df`` degrees of freedom (as statcheck does), two-sided unless
      ``alternative`` says otherwise;
    * ``grim`` — a mean (claim ``mean``) must be possible for ``n`` values recorded with
      ``granularity`` (e.g. 0.1); ``n`` defaults to the claim's stated n.
    """

    id: str = Field(min_length=1)
    kind: Literal["sum", "t_p", "grim"]
    description: str | None = None
    parts: list[str] | None = None
    total: str | None = None
    t: str | None = None
    df: float | None = Field(default=None, gt=0)
    p: str | None = None
    alternative: Alternative = "two-sided"
    mean: str | None = None
    n: int | None = Field(default=None, ge=1)
    granularity: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Check:
        needed = {"sum": ("parts", "total"), "t_p": ("t", "df", "p"), "grim": ("mean", "granularity")}[self.kind]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"check kind {self.kind!r} needs {', '.join(missing)}")
        return self


class ClaimsFile(_Model):
    """A whole claims file."""

    format: Literal["mscreg-claims/1"] = "mscreg-claims/1"
    study: StudyInfo = StudyInfo()
    conventions: Conventions = DEFAULT_CONVENTIONS
    subsets: dict[str, Subset] = Field(default_factory=dict)
    claims: list[Claim] = Field(min_length=1)
    checks: list[Check] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_resolve(self) -> ClaimsFile:
        ids = [c.id for c in self.claims]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"claim ids must be unique; repeated: {', '.join(duplicates)}")
        for name, subset in self.subsets.items():
            if name == "all":
                raise ValueError("'all' is reserved for every row; give the subset another name")
            for part in subset.all_of or []:
                if part not in self.subsets:
                    raise ValueError(f"subset {name!r}: all_of names unknown subset {part!r}")
        for claim in self.claims:
            for field_name in ("subset", "versus", "of"):
                value = getattr(claim, field_name)
                if value is not None and value != "all" and value not in self.subsets:
                    raise ValueError(f"claim {claim.id!r}: {field_name} {value!r} is not a defined subset (known: {', '.join(self.subsets) or 'none'})")
        known = set(ids)
        for check in self.checks:
            refs = [*(check.parts or []), check.total, check.p, check.mean]
            if check.t is not None and not _is_number(check.t):
                refs.append(check.t)
            for ref in refs:
                if ref is not None and ref not in known:
                    raise ValueError(f"check {check.id!r} refers to unknown claim {ref!r}")
        return self

    def resolved_conventions(self, claim: Claim) -> Conventions:
        """File-level conventions (with defaults filled) overridden by the claim's own."""
        return DEFAULT_CONVENTIONS.merged(self.conventions).merged(claim.conventions)

    def claim(self, claim_id: str) -> Claim:
        """The claim with ``claim_id``."""
        return next(c for c in self.claims if c.id == claim_id)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _describe_validation_error(error: ValidationError, data: Any) -> str:
    lines = []
    for item in error.errors():
        loc = item["loc"]
        parts = []
        node = data
        for key in loc:
            if isinstance(key, int) and isinstance(node, list) and key < len(node):
                node = node[key]
                ident = node.get("id") if isinstance(node, dict) else None
                parts.append(f"[{key}]" + (f" (id {ident!r})" if ident else ""))
            else:
                node = node.get(key) if isinstance(node, dict) else None
                parts.append(f".{key}" if parts else str(key))
        where = "".join(parts) or "top level"
        value = item.get("input")
        shown = "" if isinstance(value, (dict, list)) else f" (value {value!r})"
        lines.append(f"  - {where}{shown}: {item['msg']}")
    return "\n".join(lines)


def parse_claims(data: Any, *, source: str = "claims") -> ClaimsFile:
    """Validate already-loaded claims data (a dict).

    Examples
    --------
    >>> cf = parse_claims({"claims": [{"id": "n", "claim": "patients", "where": "Results",
    ...                                "statistic": "count", "reported": "58"}]})
    >>> cf.claims[0].parsed_reported().value
    58.0
    """
    if not isinstance(data, dict):
        raise ClaimsFileError(f"{source}: expected a mapping with `claims:` at the top level, got {type(data).__name__}")
    try:
        return ClaimsFile.model_validate(data)
    except ValidationError as error:
        raise ClaimsFileError(f"{source}: the claims file breaks the format:\n{_describe_validation_error(error, data)}") from None
    except ClaimsFileError as error:
        raise ClaimsFileError(f"{source}: {error}") from None


def load_claims(path: str | Path) -> ClaimsFile:
    """Read and validate a claims file (YAML).

    Raises
    ------
    mscreg.errors.ClaimsFileError
        Unreadable YAML or any breach of the format, naming the claim and field.

    Examples
    --------
    >>> from mscreg.datasets import seed_claims_path
    >>> len(load_claims(seed_claims_path()).claims) > 40
    True
    """
    path = Path(path)
    if path.is_dir():
        raise InputFileError(f"{path}: is a folder; expected a claims file (YAML)")
    if not path.is_file():
        raise InputFileError(f"{path}: no such claims file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputFileError(f"{path}: not UTF-8 text (byte {error.start}); save the claims file as UTF-8") from None
    try:
        data = yaml.load(text, Loader=yaml.BaseLoader)
    except yaml.YAMLError as error:
        raise ClaimsFileError(f"{path}: not valid YAML: {error}") from None
    if data is None:
        raise InputFileError(f"{path}: the claims file is empty; expected `claims:` with at least one claim")
    return parse_claims(data, source=str(path))
