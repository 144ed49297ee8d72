"""What the benchmarks share: percentiles and finding the system Chromium."""

from __future__ import annotations

import sys
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(KIT / "tests"))
from conftest import CHROMIUM_ARGS, find_chromium  # noqa: E402,F401  (re-exported)


def percentile(values: list[float], p: float) -> float | None:
    """The p-th percentile with linear interpolation; ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def chromium_or_exit() -> str:
    """The system Chromium's path, or exit with the one-line fix."""
    chromium = find_chromium()
    if chromium is None:
        print("Chromium was not found: sudo apt-get install chromium", file=sys.stderr)
        raise SystemExit(2)
    return chromium
