"""Draw docs/performance.png from the JSON the benchmarks wrote (benchmarks/results/).

    python benchmarks/plot.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

KIT = Path(__file__).resolve().parent.parent
RESULTS = KIT / "benchmarks" / "results"


def main() -> int:
    storm = json.loads((RESULTS / "join_storm.json").read_text(encoding="utf-8"))
    follow = json.loads((RESULTS / "follow.json").read_text(encoding="utf-8"))
    fig, (*storms, right) = plt.subplots(1, 3, figsize=(15, 4.4))
    titles = {"browser": "Join storm, N Chromium pages on the server's 2 cores",
              "phone": "Join storm, N browserless phones (the server's part)"}
    for axis, kind in zip(storms, ("browser", "phone"), strict=False):
        runs = [r for r in storm["runs"] if r.get("clients", "browser") == kind]
        ns = [r["n"] for r in runs]
        kit = [r["kit"]["tti_s"]["p95"] or 0 for r in runs]
        plain = [r.get("plain_voila", {}).get("tti_s", {}).get("p95") or 0 for r in runs]
        width = 0.38
        xs = range(len(ns))
        axis.bar([x - width / 2 for x in xs], kit, width, label="Holding Space", color="#2b6660")
        axis.bar([x + width / 2 for x in xs], plain, width, label="plain Voila, one notebook per page", color="#b5651d")
        for x, r in zip(xs, runs, strict=False):
            for dx, name in ((-width / 2, "kit"), (width / 2, "plain_voila")):
                failed = r.get(name, {}).get("failures")
                if failed:
                    axis.annotate(f"{failed} failed", (x + dx, 0), textcoords="offset points", xytext=(0, 3),
                                  ha="center", fontsize=7, rotation=90, color="#7a1f1f")
        baseline = (storm.get("baseline_tti_s") or {}).get(kind) if isinstance(storm.get("baseline_tti_s"), dict) else None
        if baseline:
            axis.axhline(1.5 * baseline, color="#1f2d33", linestyle="--", linewidth=1, label="budget: 1.5 x one participant")
        axis.set_xticks(list(xs), [str(n) for n in ns])
        axis.set_xlabel("participants opening the link within 2 s")
        axis.set_ylabel("p95 time to interactive (s)")
        axis.set_title(titles[kind], fontsize=10)
        axis.legend(fontsize=8)
    fn = [r["participants"] for r in follow["runs"]]
    left_med = [r["all_switched_s"]["median"] or 0 for r in follow["runs"]]
    left_max = [r["all_switched_s"]["max"] or 0 for r in follow["runs"]]
    right.plot(fn, left_med, "o-", color="#2b6660", label="median of moves")
    right.plot(fn, left_max, "s--", color="#b5651d", label="slowest move")
    right.axhline(2.0, color="#1f2d33", linestyle=":", linewidth=1, label="budget: 2 s")
    right.set_xlabel("participants following")
    right.set_ylabel("click to every page switched (s)")
    right.set_title("Facilitator moves everyone")
    right.legend(fontsize=8)
    fig.suptitle(f"2 cores, {storm['machine']['memory_gib']} GiB, {storm['when']}", fontsize=9)
    fig.tight_layout()
    out = KIT / "docs" / "performance.png"
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
