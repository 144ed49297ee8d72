"""Draw docs/performance.png from the JSON the benchmarks wrote (benchmarks/results/).

Left, the join storm with browserless phones; middle, with Chromium pages (and the one participant
whose CPU is slowed 4 times, a low-end phone): p95 time to interactive against N, one line per
kind of server (``make workshop`` as a newcomer runs it, the pool sized to N, plain Voila), both
axes logarithmic. Right, the facilitator moving everyone (follow_round6.json: this round's run).

    python benchmarks/plot.py
    python benchmarks/plot.py --from /tmp/storm.json --out /tmp/performance.png
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter, NullFormatter

KIT = Path(__file__).resolve().parent.parent
RESULTS = KIT / "benchmarks" / "results"
#: key in a run: label, colour, marker
KINDS = {
    "readme": ("make workshop, as the README says (seats for the room, cap 60)", "#2b6660", "o"),
    "kit": ("Holding Space, warm pool sized to N", "#6a8caf", "s"),
    "plain_voila": ("plain Voila, one notebook per page", "#b5651d", "^"),
}
THROTTLED = "browser_cpu4x"


def storm_panel(axis, runs: list[dict], clients: str, title: str, throttled: list[dict] | None = None) -> None:
    runs = sorted((r for r in runs if r.get("clients", "browser") == clients), key=lambda r: r["n"])
    ns = sorted({r["n"] for r in runs} | {1 for _ in (throttled or [])})
    tops = []
    for key, (label, colour, marker) in KINDS.items():
        points = [(r["n"], r[key]) for r in runs if key in r]
        if not points:
            continue
        shown = [(n, f["tti_s"]["p95"]) for n, f in points if f["tti_s"]["p95"]]
        if shown:
            axis.plot(*zip(*shown, strict=True), marker=marker, color=colour, label=label)
            tops += [y for _, y in shown]
        for n, f in points:
            notes = []
            if f.get("failures"):
                notes.append(f"{f['failures']} failed")
            if f.get("room_full"):
                notes.append(f"{f['room_full']} room full")
            if notes:
                y = f["tti_s"]["p95"] or max(tops or [1])
                axis.annotate(", ".join(notes), (n, y), textcoords="offset points", xytext=(4, -10),
                              fontsize=7, color="#7a1f1f")
    for key, (_label, colour, marker) in KINDS.items():
        slow = [r[key] for r in throttled or [] if key in r and r[key]["tti_s"]["p95"]]
        for f in slow:
            axis.plot([1], [f["tti_s"]["p95"]], marker=marker, markersize=10, markerfacecolor="none",
                      markeredgecolor=colour, linestyle="none",
                      label=f"one Chromium, CPU {f.get('cpu_throttling_rate', 4):g}x slower ({key.split('_')[0]})")
            tops.append(f["tti_s"]["p95"])
    one = next((r.get(k, {}).get("tti_s", {}).get("p95") for k in ("readme", "kit") for r in runs
                if r["n"] == 1 and r.get(k, {}).get("tti_s", {}).get("p95")), None)
    if one:  # issue 15's budget: 30 at once within 4 x one participant, 60 within 8 x
        budget = [(n, factor * one) for n, factor in ((1, 1), (30, 4), (60, 8)) if n in ns or n == 1]
        axis.plot([n for n, _ in budget], [y for _, y in budget], color="#1f2d33", linestyle="--", linewidth=1,
                  label="budget: 4 x one participant at 30, 8 x at 60")
    axis.set_xscale("log")
    axis.set_yscale("log")
    if ns:
        axis.set_xticks(ns, [str(n) for n in ns])
        axis.xaxis.set_minor_formatter(NullFormatter())
    plain = FuncFormatter(lambda y, _pos: f"{y:g}")
    axis.yaxis.set_major_formatter(plain)
    axis.yaxis.set_minor_formatter(plain)
    axis.set_xlabel("participants opening the link within 2 s")
    axis.set_ylabel("p95 time to interactive (s, log)")
    axis.set_title(title, fontsize=10)
    axis.grid(True, which="major", alpha=0.3)
    axis.legend(fontsize=7)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=Path, default=RESULTS / "join_storm.json",
                        help="the join storm's results (default benchmarks/results/join_storm.json)")
    parser.add_argument("--follow", type=Path, default=RESULTS / "follow_round6.json")
    parser.add_argument("--out", type=Path, default=KIT / "docs" / "performance.png")
    args = parser.parse_args()
    storm = json.loads(args.source.read_text(encoding="utf-8"))
    follow = json.loads(args.follow.read_text(encoding="utf-8")) if args.follow.exists() else None
    if follow and isinstance(follow.get("runs"), dict):  # a round's file (follow_round6.json): this round's run
        follow = follow["runs"]["this_round"]
    fig, axes = plt.subplots(1, 3 if follow else 2, figsize=(17 if follow else 12, 5))
    runs = storm["runs"]
    storm_panel(axes[0], runs, "phone", "Join storm, N browserless phones (the server's part)")
    storm_panel(axes[1], runs, "browser", "Join storm, N Chromium pages on the server's cores",
                [r for r in runs if r.get("clients") == THROTTLED])
    if follow:
        right = axes[2]
        fn = [r["participants"] for r in follow["runs"]]
        right.plot(fn, [r["all_switched_s"]["median"] or 0 for r in follow["runs"]], "o-", color="#2b6660",
                   label="median of moves")
        right.plot(fn, [r["all_switched_s"]["max"] or 0 for r in follow["runs"]], "s--", color="#b5651d",
                   label="slowest move")
        right.axhline(2.0, color="#1f2d33", linestyle=":", linewidth=1, label="budget: 2 s")
        right.set_xlabel("participants following")
        right.set_ylabel("click to every page switched (s)")
        right.set_title("Facilitator moves everyone", fontsize=10)
        right.legend(fontsize=8)
    machine = storm["machine"]
    fig.suptitle(f"{machine['cpus']} cores, {machine['memory_gib']} GiB, {storm['when']}", fontsize=9)
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
