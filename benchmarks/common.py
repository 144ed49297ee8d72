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


#: a kernel helper process that forks kernels; it is no kernel itself (nor a participant's memory)
ZYGOTE_MARK = "workshop.serving.zygote"


def descendants(pid: int) -> list:
    """Every live process below ``pid`` (children, grandchildren, …); empty when ``pid`` is gone."""
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def kernel_processes(server_pid: int) -> list:
    """The kernel processes of the Voila server ``server_pid``: its descendants but the zygote.

    A kernel forked from the kit's zygote helper need not have ``ipykernel_launcher`` in its
    command line, so kernels are told apart by what they are not: not the server itself, and not
    the zygote, a process whose command line names ``workshop.serving.zygote``. A forked kernel
    shows the kernel's command line (``setproctitle``); without that package it keeps the
    zygote's, so a zygote-named process whose parent is zygote-named too is a kernel forked from it.
    """
    import psutil

    def cmdline(proc) -> str:
        try:
            return " ".join(proc.cmdline())
        except psutil.Error:
            return ""

    procs = descendants(server_pid)
    lines = {proc.pid: cmdline(proc) for proc in procs}
    kernels = []
    for proc in procs:
        if proc.pid == server_pid or not psutil.pid_exists(proc.pid):
            continue
        if ZYGOTE_MARK in lines[proc.pid]:
            try:
                parent = proc.ppid()
            except psutil.Error:
                continue
            if ZYGOTE_MARK not in lines.get(parent, ""):
                continue  # the zygote itself
        kernels.append(proc)
    return kernels
