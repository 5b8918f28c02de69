"""Benchmark: a cold `mscreg report` on the seed vs bare imports of its scientific stack.

Run:  python benchmarks/bench_report.py

Both sides start a fresh interpreter (subprocess), so imports count: the report side runs
the whole command (analysis with 10⁴ bootstrap resamples and permutations, the claims
audit, the trial design, seven figures, the HTML file); the baseline only imports
``numpy, scipy.stats, pandas, matplotlib``. Best of ``REPEATS`` runs each, measured in the
same run, side by side (alternating). Goal: report ≤ 2 × baseline. A benchmark, not a test: it prints.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPEATS = 3
BASELINE = [sys.executable, "-c", "import numpy, scipy.stats, pandas, matplotlib"]


def run_once(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def best_of_interleaved(first: list[str], second: list[str], repeats: int = REPEATS) -> tuple[float, float]:
    """Best time of each command, the runs alternating so that both see the same machine load."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        times[0].append(run_once(first))
        times[1].append(run_once(second))
    return min(times[0]), min(times[1])


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "report.html"
        report = [sys.executable, "-m", "mscreg", "report", "--out", str(out)]
        baseline_s, report_s = best_of_interleaved(BASELINE, report)
        size = out.stat().st_size
    print(f"bare imports (numpy, scipy.stats, pandas, matplotlib): {baseline_s:.2f} s (best of {REPEATS})")
    print(f"mscreg report on the seed, cold:                       {report_s:.2f} s (best of {REPEATS}; {size / 1024:.0f} KiB HTML)")
    print(f"ratio: {report_s / baseline_s:.2f} x (goal <= 2 x)")


if __name__ == "__main__":
    main()
