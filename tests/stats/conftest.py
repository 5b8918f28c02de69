"""Shared fixtures for the statistics tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator, so every simulation test is reproducible."""
    return np.random.default_rng(20250321)


@pytest.fixture
def sleep() -> tuple[np.ndarray, np.ndarray]:
    """R's ``sleep`` data (extra hours of sleep): group 1 and group 2, patients 1..10."""
    group1 = np.array([0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0])
    group2 = np.array([1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4])
    return group1, group2


def _bivariate_normal(
    rng: np.random.Generator, n: int, *, mu: float, sigma: float, rho: float, shift: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    cov = sigma**2 * np.array([[1.0, rho], [rho, 1.0]])
    pairs = rng.multivariate_normal([mu, mu], cov, size=n)
    return pairs[:, 0], pairs[:, 1] + shift


@pytest.fixture
def bivariate_normal() -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    """Draw ``n`` (before, after) pairs: common mean ``mu`` and SD ``sigma``, correlation
    ``rho``; ``shift`` is added to every ``after`` (the true mean change)."""
    return _bivariate_normal
