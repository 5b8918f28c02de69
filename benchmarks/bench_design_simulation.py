"""Benchmark: vectorised simulated-trial ANCOVA vs a per-trial statsmodels OLS loop.

Run ``python benchmarks/bench_design_simulation.py``. It times

* the vectorised ANCOVA of :func:`mscreg.design.simulate.batch_ancova` (plus t-distribution
  p-values) on 10 000 simulated trials × 200 patients (100 MSC, 100 control);
* a per-trial loop fitting ``statsmodels.api.OLS(follow_up ~ 1 + arm + baseline)`` on a
  subset of trials (default 200), scaled to 10 000 trials;

both on the same pre-generated data (analysis only), and prints the ratio (goal: ≥ 100×).
Vectorised timings are the best of 5 runs; the loop runs once.
It also times the whole of :func:`mscreg.design.simulate.simulate_power` (data generation
included) against the loop, and checks that the loop and the vectorised code reject in
exactly the same trials of the subset.

This is a script, not a test: pytest does not collect it.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import statsmodels.api as sm
from scipy import special

from mscreg.design.simulate import batch_ancova, simulate_power

EFFECT, SD, RHO, ALPHA = 0.5, 1.0, 0.6, 0.05
REPEATS = 5  # vectorised timings report the best of 5 runs (the loop runs once: it is slow)


def run_vectorised(n_sims: int, n_per_arm: int, seed: int) -> tuple[float, int]:
    """Best-of-REPEATS seconds taken by :func:`simulate_power` (ANCOVA only), rejections."""
    best = math.inf
    for _ in range(REPEATS):
        start = time.perf_counter()
        res = simulate_power(
            effect=EFFECT, n_per_arm=n_per_arm, sd=SD, rho=RHO, alpha=ALPHA, methods=("ancova",), n_sims=n_sims, seed=seed
        )
        best = min(best, time.perf_counter() - start)
    return best, res.method("ancova").rejections


def draw_like_simulate_power(n_sims: int, n_per_arm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Baseline and follow-up exactly as simulate_power draws them (no entry rule, no dropout)."""
    rng = np.random.default_rng(seed)
    n_all = 2 * n_per_arm
    z0 = rng.standard_normal((n_sims, n_all))
    e1 = rng.standard_normal((n_sims, n_all))
    base = SD * z0
    follow = SD * (RHO * z0 + np.sqrt(1 - RHO**2) * e1)
    follow[:, :n_per_arm] -= EFFECT
    return base, follow


def run_batch(base: np.ndarray, follow: np.ndarray, n_per_arm: int) -> tuple[float, int]:
    """Best-of-REPEATS seconds of the vectorised ANCOVA + p-values on given data, rejections."""
    best = math.inf
    for _ in range(REPEATS):
        start = time.perf_counter()
        fit = batch_ancova(base, follow, n_active=n_per_arm)
        p = 2.0 * special.stdtr(fit.df, -np.abs(fit.t))
        rejections = int(np.count_nonzero(p < ALPHA))
        best = min(best, time.perf_counter() - start)
    return best, rejections


def run_loop(base: np.ndarray, follow: np.ndarray, n_per_arm: int) -> tuple[float, int]:
    """Seconds taken by one statsmodels OLS fit per trial, and the rejection count."""
    arm = np.zeros(base.shape[1])
    arm[:n_per_arm] = 1.0
    rejections = 0
    start = time.perf_counter()
    for i in range(base.shape[0]):
        design = np.column_stack([np.ones_like(arm), arm, base[i]])
        fit = sm.OLS(follow[i], design).fit()
        rejections += int(fit.pvalues[1] < ALPHA)
    return time.perf_counter() - start, rejections


def main() -> None:
    """Parse options, run both, print timings and the speed-up."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-sims", type=int, default=10_000)
    parser.add_argument("--n-per-arm", type=int, default=100)
    parser.add_argument("--loop-trials", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20250315)
    args = parser.parse_args()

    patients = 2 * args.n_per_arm
    print(f"ANCOVA on {args.n_sims} simulated trials x {patients} patients, seed {args.seed}")

    base, follow = draw_like_simulate_power(args.n_sims, args.n_per_arm, args.seed)
    run_batch(base[:200], follow[:200], args.n_per_arm)  # warm-up
    batch_seconds, batch_rejections = run_batch(base, follow, args.n_per_arm)
    m = args.loop_trials
    loop_seconds, loop_rejections = run_loop(base[:m], follow[:m], args.n_per_arm)
    loop_scaled = loop_seconds / m * args.n_sims
    _, batch_sub_rejections = run_batch(base[:m], follow[:m], args.n_per_arm)
    ratio = loop_scaled / batch_seconds
    print("analysis only (same pre-generated data):")
    print(f"  vectorised batch_ancova + p-values : {batch_seconds:8.4f} s   power {batch_rejections / args.n_sims:.4f}")
    print(f"  statsmodels OLS loop               : {loop_seconds:8.4f} s for {m} trials -> {loop_scaled:.3f} s for {args.n_sims}")
    print(f"  speed-up: {ratio:.0f}x  (goal >= 100x: {'met' if ratio >= 100 else 'NOT met'})")
    same = batch_sub_rejections == loop_rejections
    print(
        f"  first {m} trials: vectorised rejects {batch_sub_rejections}, loop rejects {loop_rejections} "
        f"({'identical' if same else 'DIFFERENT'})"
    )

    run_vectorised(200, args.n_per_arm, args.seed)  # warm-up
    vec_seconds, vec_rejections = run_vectorised(args.n_sims, args.n_per_arm, args.seed)
    print("end to end (simulate_power, data generation included, vs the loop's fitting time):")
    print(f"  simulate_power(methods=('ancova',)): {vec_seconds:8.4f} s   power {vec_rejections / args.n_sims:.4f}")
    print(f"  speed-up: {loop_scaled / vec_seconds:.0f}x")


if __name__ == "__main__":
    main()
