"""Shared fixtures: a seeded random generator and paths to the repository's inputs."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
PREPRINT_NAME = "matsuoka-2025-msc-t2dm-preprint.txt"


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh, seeded generator for each test (reproducible simulations)."""
    return np.random.default_rng(20250321)


@pytest.fixture(scope="session")
def preprint_path() -> Path:
    """The seed preprint text, beside the checkout (``../shared/seed``) or at $MSCREG_SEED_PREPRINT.

    Outside CI a missing preprint skips the test; in CI (CI=true) it fails, so that the
    transcription check can never be silently skipped there.
    """
    candidates = [Path(p) for p in [os.environ.get("MSCREG_SEED_PREPRINT")] if p]
    candidates.append(REPO.parent / "shared" / "seed" / PREPRINT_NAME)
    for path in candidates:
        if path.is_file():
            return path
    message = f"seed preprint not found at {', '.join(map(str, candidates))}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)
