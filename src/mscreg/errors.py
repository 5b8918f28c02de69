"""The exceptions mscreg raises, in one small hierarchy.

::

    MscregError                     base of everything mscreg raises on purpose
    ├── InputError                  a file or argument could not be used (CLI exit 65)
    │   ├── InputFileError          a file is missing, unreadable, empty or of the wrong kind
    │   ├── DataValidationError     rows of a data file break the schema; carries every problem
    │   └── ClaimsFileError         a claims file breaks the claims format
    ├── ConventionError             an unknown or contradictory convention was asked for (exit 64)
    └── InsufficientDataError       a statistic needs more data than it was given (exit 65)

Every message names what was wrong (file, row, column, value) and what was expected, so
that a user can fix the input without reading code. The CLI maps each class to an exit
code through :data:`EXIT_CODES`; nothing below ``MscregError`` ever reaches the user as a
traceback.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "EXIT_CODES",
    "ClaimsFileError",
    "ConventionError",
    "DataValidationError",
    "InputError",
    "InputFileError",
    "InsufficientDataError",
    "MscregError",
    "RowProblem",
    "exit_code_for",
]


class MscregError(Exception):
    """Base class of every error mscreg raises on purpose."""


class InputError(MscregError):
    """A file or argument given to mscreg could not be used."""


class InputFileError(InputError):
    """A file is missing, unreadable, empty, header-only or of an unsupported kind."""


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One problem found in one cell (or row) of an input file.

    ``row`` counts lines as a spreadsheet shows them: the header is row 1, the first
    data row is row 2. ``column`` and ``value`` are ``None`` when the problem concerns a
    whole row or the whole header.
    """

    file: str
    row: int | None
    column: str | None
    value: object
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        value = "" if self.value is None else f" value {self.value!r}:"
        return f"{', '.join(where)}:{value} {self.message}"

    def to_dict(self) -> dict[str, object]:
        """Plain-dict form for JSON and CSV error reports."""
        value = self.value if isinstance(self.value, (int, float, str, type(None))) else str(self.value)
        return {"file": self.file, "row": self.row, "column": self.column, "value": value, "message": self.message}


class DataValidationError(InputError):
    """Rows of a data file break the analysis-table schema.

    All problems of the file are collected before raising, so one run reports every bad
    row; ``problems`` holds them in file order.
    """

    def __init__(self, problems: list[RowProblem]):
        self.problems = list(problems)
        shown = "\n".join(f"  - {p}" for p in self.problems[:50])
        more = "" if len(self.problems) <= 50 else f"\n  ... and {len(self.problems) - 50} more"
        count = len(self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the input:\n{shown}{more}")


class ClaimsFileError(InputError):
    """A claims file breaks the documented claims format (see ``docs/claims-format.md``)."""


class ConventionError(MscregError):
    """An unknown or contradictory analysis convention was requested."""


class InsufficientDataError(MscregError):
    """A statistic was asked of fewer observations than it needs."""


#: CLI exit code for each error class (sysexits.h: 64 usage, 65 data error, 66 no input).
EXIT_CODES: dict[type[MscregError], int] = {
    InputFileError: 66,
    DataValidationError: 65,
    ClaimsFileError: 65,
    InputError: 65,
    ConventionError: 64,
    InsufficientDataError: 65,
    MscregError: 1,
}


def exit_code_for(error: MscregError) -> int:
    """Return the CLI exit code for ``error`` (the most specific class listed wins).

    Examples
    --------
    >>> exit_code_for(InputFileError("no such file"))
    66
    >>> exit_code_for(ConventionError("quartile method 'x'"))
    64
    """
    for cls in type(error).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return 1
