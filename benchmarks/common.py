"""What the benchmarks share: percentiles, finding the system Chromium, a server's kernel processes."""

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


def descendants(pid: int) -> list:
    """Every live process below ``pid`` (children, grandchildren, …); empty when ``pid`` is gone."""
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def kernel_processes(server_pid: int) -> list:
    """The kernel processes of the Voila server ``server_pid`` (forked from the seat template or not),
    as the kit's own ServerProcess tells them apart."""
    from workshop.serving.server import is_kernel_process

    return [proc for proc in descendants(server_pid) if is_kernel_process(proc)]
