"""Reading the importers' CSV files: the bytes as UTF-8 text (with or without BOM) and their
SHA-256, then the text as rows of cells.

Both raise :class:`~mscreg.errors.InputFileError` for a file that cannot be used at all
(missing, not UTF-8, empty, not CSV); problems of single rows are the importers' to report.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence
from pathlib import Path

from mscreg.errors import InputFileError

__all__ = ["csv_rows", "read_text"]


def read_text(path: Path) -> tuple[str, str]:
    """The file's text (UTF-8, a BOM dropped) and the SHA-256 of its bytes.

    Examples
    --------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = f.write_bytes(b"\\xef\\xbb\\xbfcode,name\\n")
    >>> text, digest = read_text(f)
    >>> text, digest[:12]
    ('code,name\\n', '9e1b34774faf')
    """
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputFileError(f"{path}: not UTF-8 text (byte {error.start}); save the file as UTF-8 CSV") from None
    return text, hashlib.sha256(data).hexdigest()


def csv_rows(text: str, path: Path, columns: Sequence[str]) -> list[list[str]]:
    """The rows of a CSV text (header first); InputFileError when there is no header row.

    ``columns`` are the expected header's names, for the message.

    Examples
    --------
    >>> csv_rows('code,name\\r\\nOHC,"Helene, Omotesando"\\r\\n', Path("sites.csv"), ("code", "name"))
    [['code', 'name'], ['OHC', 'Helene, Omotesando']]
    >>> csv_rows("", Path("sites.csv"), ("code", "name"))
    Traceback (most recent call last):
    ...
    mscreg.errors.InputFileError: sites.csv: the file is empty; expected a header row code, name
    """
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise InputFileError(f"{path}: cannot be read as CSV ({error})") from None
    if not rows or not any(c.strip() for c in rows[0]):
        raise InputFileError(f"{path}: the file is empty; expected a header row {', '.join(columns)}")
    return rows
