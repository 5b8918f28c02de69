"""Datasets shipped with mscreg, each with its provenance.

* ``matsuoka2025`` — Table 1 of Matsuoka T, Hara Y, Itohara T, Ueda N, Kobayashi N.
  "Long-Term Efficacy of a Single Intravenous MSC Infusion on HbA1c Reduction in Type 2
  Diabetic Millitus". Preprints.org 2025, doi:10.20944/preprints202503.1601.v1, licensed
  CC BY 4.0. 58 rows (the text says 61 patients enrolled). Transcribed by
  ``scripts/extract_seed_table1.py`` from the preprint text; no value typed by hand.
  Its claims file lists every quantitative statement of the preprint for the audit.

This is the lowest layer: it hands out paths and provenance only. The validated table is
:func:`mscreg.cohort.seed_table`.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

__all__ = ["SEED", "Provenance", "seed_claims_path", "seed_table_path"]


@dataclass(frozen=True, kw_only=True)
class Provenance:
    """Where a shipped dataset comes from and under which licence."""

    name: str
    title: str
    authors: str
    source: str
    doi: str
    licence: str
    note: str

    def citation(self) -> str:
        """A one-line citation."""
        return f"{self.authors}. {self.title}. {self.source}. doi:{self.doi} ({self.licence})"


SEED = Provenance(
    name="matsuoka2025",
    title="Long-Term Efficacy of a Single Intravenous MSC Infusion on HbA1c Reduction in Type 2 Diabetic Millitus",
    authors="Matsuoka T, Hara Y, Itohara T, Ueda N, Kobayashi N",
    source="Preprints.org 2025 (not peer-reviewed), posted 21 March 2025",
    doi="10.20944/preprints202503.1601.v1",
    licence="CC BY 4.0",
    note="Table 1, 58 patient rows, transcribed by scripts/extract_seed_table1.py; the text states 61 patients.",
)


def _data_path(name: str) -> Path:
    return Path(str(resources.files(__name__).joinpath(name)))


def seed_table_path() -> Path:
    """Path of the shipped seed analysis table (CSV).

    Examples
    --------
    >>> seed_table_path().name
    'matsuoka2025_table1.csv'
    """
    return _data_path("matsuoka2025_table1.csv")


def seed_claims_path() -> Path:
    """Path of the shipped seed claims file (YAML).

    Examples
    --------
    >>> seed_claims_path().suffix
    '.yaml'
    """
    return _data_path("matsuoka2025_claims.yaml")
