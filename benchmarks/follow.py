"""The facilitator moves everyone: time from the click until every participant page shows the theme.

Starts the real participant server and facilitator console with the kit's launcher code, opens
one facilitator and N participants (Playwright contexts in the system Chromium), starts a group
session, and moves everyone through the themes. Writes ``benchmarks/results/follow.json``.

    python benchmarks/follow.py [--n 5 30] [--moves 6] [--talk 30] [--route 1 3 5 7 6 7@3 2 0] [--seats 4]

Between moves the facilitator talks (``--talk`` seconds; minutes in a real room), as the kit
expects: participant kernels build the themes out of sight in that time. ``--route`` gives the
themes in the order the facilitator moves to them, jumps included; ``7@3`` moves to theme 7 only
3 s after the move before. Without it, the facilitator steps through the themes one by one.
The participant server keeps ``--seats`` warm seats (4: what ``make workshop`` kept before issue 15,
so the figures compare with the README's earlier ones; ``make workshop`` now keeps seats for the
room; here participants past the first few may wait for a seat to warm).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil
from playwright.sync_api import sync_playwright

KIT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(KIT / "benchmarks"))
from common import CHROMIUM_ARGS, chromium_or_exit, percentile  # noqa: E402

from workshop import content  # noqa: E402
from workshop.serving.server import ServerProcess, ServerSettings, console_settings, free_port  # noqa: E402

WATCH = """(index) => {
  window.__hsSeen = window.__hsSeen || {};
  window.__hsSeen[index] = null;  // a theme visited before counts from this move
  const mark = () => {
    if (document.querySelector(`[data-hs-page="${index}"]`) && !window.__hsSeen[index]) window.__hsSeen[index] = Date.now();
  };
  new MutationObserver(mark).observe(document.body, { childList: true, subtree: true });
  mark();
}"""




def parse_route(route: list[str] | None, moves: int, themes: int, talk: float) -> list[tuple[int, float]]:
    """[(theme index, seconds of talk before the move)]: ``--route`` or one theme after another."""
    if not route:
        return [(1 + move % (themes - 1), talk) for move in range(moves)]
    steps = []
    for step in route:
        index, _, wait = step.partition("@")
        steps.append((int(index), float(wait) if wait else talk))
    return steps


def run(n: int, route: list[tuple[int, float]], chromium: str, seats: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"hs-follow-{n}-"))
    participant = ServerSettings(port=free_port(), bind="127.0.0.1", pool_size=seats, data=tmp / "data")
    console = console_settings(free_port(), data=tmp / "data", extra_env={"HOLDING_SPACE_JOIN_BASE": participant.join_url})
    servers = [ServerProcess(participant, tmp / "p.log").start(), ServerProcess(console, tmp / "c.log").start()]
    themes = content.load_themes()
    texts = content.ui_text()
    try:
        for server in servers:
            server.wait_until_listening()
        servers[0].wait_until_warm(timeout=60 + 10 * seats)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            facilitator = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            facilitator.goto(console.join_url)
            facilitator.locator(".hs-console").wait_for(timeout=90_000)
            facilitator.get_by_role("button", name=texts["console_start"]).click()
            url = facilitator.locator(".hs-console-url a").get_attribute("href", timeout=30_000)
            people = []
            for _ in range(n):
                page = browser.new_context(viewport={"width": 375, "height": 667}).new_page()
                page.goto(url)
                people.append(page)
            for page in people:
                page.get_by_role("button", name=texts["consent_share"]).click(timeout=120_000)
            facilitator.locator(".hs-console-present", has_text=f"{n} here").wait_for(timeout=120_000)
            results = []
            previous = 0
            for index, talk in route:
                time.sleep(talk)
                for page in people:
                    page.evaluate(WATCH, index)
                clicked = facilitator.evaluate(
                    "(name) => { const b = [...document.querySelectorAll('.hs-theme-button')].find(x => x.textContent.trim() === name);"
                    " const t = Date.now(); b.click(); return t; }",
                    f"{themes[index].number}. {themes[index].title}",
                )
                deadline = time.monotonic() + 30
                seen: list[float | None] = [None] * n
                while time.monotonic() < deadline and any(s is None for s in seen):
                    for i, page in enumerate(people):
                        if seen[i] is None:
                            seen[i] = page.evaluate(f"() => (window.__hsSeen || {{}})[{index}] || null")
                    time.sleep(0.05)
                delays = [(s - clicked) / 1000 for s in seen if s is not None]
                results.append({"from": previous, "theme": index, "after_talk_s": talk, "switched": len(delays),
                                "all_switched_s": max(delays) if len(delays) == n else None,
                                "median_s": statistics.median(delays) if delays else None})
                previous = index
            rss = sum(p.memory_info().rss for p in servers[0].kernel_processes()) / 2**20
            browser.close()
    finally:
        for server in servers:
            server.stop()
    complete = [r["all_switched_s"] for r in results if r["all_switched_s"] is not None]
    jumps = [r["all_switched_s"] for r in results if abs(r["theme"] - r["from"]) > 1 and r["all_switched_s"] is not None]
    return {
        "participants": n,
        "seats": seats,
        "route": [f"{index}@{talk:g}" for index, talk in route],
        "moves": len(results),
        "jumps_all_switched_max_s": round(max(jumps), 3) if jumps else None,
        "moves_where_everyone_switched": len(complete),
        "all_switched_s": {
            "median": round(statistics.median(complete), 3) if complete else None,
            "p95": round(percentile(complete, 95), 3) if complete else None,
            "max": round(max(complete), 3) if complete else None,
        },
        "kernels_rss_mib_total": round(rss, 1),
        "per_move": results,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[5, 30])
    parser.add_argument("--moves", type=int, default=6)
    parser.add_argument("--talk", type=float, default=30.0, help="seconds between moves (default 30)")
    parser.add_argument("--route", nargs="+", help="themes to move to in order, e.g. 1 3 5 7 6 7@3 (theme@seconds of talk)")
    parser.add_argument("--seats", type=int, default=4, help="warm seats (default 4, make workshop's before issue 15)")
    parser.add_argument("--out", type=Path, default=KIT / "benchmarks" / "results" / "follow.json")
    args = parser.parse_args()
    chromium = chromium_or_exit()
    route = parse_route(args.route, args.moves, len(content.load_themes()), args.talk)
    runs = [run(n, route, chromium, args.seats) for n in args.n]
    result = {"when": time.strftime("%Y-%m-%d %H:%M"), "cpus": psutil.cpu_count(), "talk_s": args.talk, "runs": runs}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for r in runs:
        print(f"{r['participants']:>3} participants: everyone switched in median {r['all_switched_s']['median']} s, "
              f"max {r['all_switched_s']['max']} s, jumps max {r['jumps_all_switched_max_s']} s "
              f"({r['moves_where_everyone_switched']}/{r['moves']} moves complete)")
        for move in r["per_move"]:
            print(f"      {move['from']} -> {move['theme']} after {move['after_talk_s']:g} s: everyone in {move['all_switched_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
