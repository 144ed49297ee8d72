"""Online follow across replicas: time from the facilitator's move until every participant page shows the theme.

``benchmarks/follow.py`` behind the proxy. Each configuration gets a workshop of its own, started as the
README starts one online (``python -m workshop.cli online --domain localhost --replicas R``, ``--seats
auto`` unless ``--seats`` says otherwise, free ports, a fresh ``HOLDING_SPACE_DATA`` with a facilitator
added first: ``benchmarks/online_storm.py``'s :class:`OnlineWorkshop`, which also stops it and whatever
it left behind). The facilitator signs in to the console (``/console/``) in Chromium and starts a group
session; N participants (Playwright contexts in the system Chromium, HTTPS through Caddy, its local
authority not trusted: ``ignore_https_errors``) join by the session's link, split evenly over the
replicas by pinning each context's stickiness cookie ``hs_replica`` before the first request (hex
HMAC-SHA256 of "127.0.0.1:PORT" under ``proxy_secret``, as Caddy 2.6 sets it), and share consent.
Each page's cookie is read back after joining and after the last move: a page Caddy sent elsewhere
(a replica full or down) counts on the replica it ended up on, and is reported.

Then the facilitator moves everyone along follow.py's route (by default theme 1, 2, … one by one,
``--talk`` seconds of talk before each move) and, per move, the time until all N pages show the theme,
with the slowest page on each replica apart (max on replica A against max on replica B). The same N on
one replica (a second launch, in the same run) is the comparison. Writes
``benchmarks/results/online_follow.json`` (after every configuration) and prints a table.

    python benchmarks/online_follow.py                        # N = 10, replicas 1 and 2, talk 30 s
    python benchmarks/online_follow.py --n 30 --replicas 1 2 --seats 20
    python benchmarks/online_follow.py --n 2 --talk 5 --moves 3 --seats 2 --out /tmp/online_follow.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from playwright.sync_api import sync_playwright

KIT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(KIT / "benchmarks"))
from common import CHROMIUM_ARGS, chromium_or_exit, kernel_processes, percentile  # noqa: E402
from follow import WATCH, parse_route  # noqa: E402
from join_storm import machine  # noqa: E402
from online_storm import COOKIE, FACILITATOR_SECRET, SETTLE_S, OnlineWorkshop, cookie_for  # noqa: E402

from workshop import content  # noqa: E402

FACILITATOR = "sam"  # the name OnlineWorkshop adds with FACILITATOR_SECRET
#: seconds a move may take before the pages that did not switch are counted as not switched
MOVE_TIMEOUT_S = 30.0


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def stats(values: list[float]) -> dict:
    return {"median": rounded(statistics.median(values)) if values else None,
            "p95": rounded(percentile(values, 95)), "max": rounded(max(values)) if values else None}


def kernels_rss_mib(workshop: OnlineWorkshop, port: int) -> float | None:
    """Resident memory of the kernels of the replica on ``port``, MiB (None: the replica is gone)."""
    try:
        total = 0
        for proc in kernel_processes(workshop.replica_pid(port)):
            try:
                total += proc.memory_info().rss
            except psutil.Error:
                continue
        return round(total / 2**20, 1)
    except (RuntimeError, psutil.Error):
        return None


def replica_of(context, ports: dict[str, int]) -> int | None:
    """The replica port whose stickiness cookie the browser context holds now (None: none of them)."""
    value = next((c["value"] for c in context.cookies() if c["name"] == COOKIE), None)
    return ports.get(value) if value is not None else None


def sign_in(browser, workshop: OnlineWorkshop, texts: dict):
    page = browser.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"https://localhost:{workshop.https_port}/console/")
    page.get_by_role("heading", name=texts["login_title"]).wait_for(timeout=90_000)
    page.get_by_label(texts["login_name"]).fill(FACILITATOR)
    page.get_by_label(texts["login_secret"]).fill(FACILITATOR_SECRET)
    page.get_by_role("button", name=texts["login_button"]).click()
    page.locator(".hs-console").wait_for(timeout=120_000)
    return page


def follow_online(workshop: OnlineWorkshop, n: int, route: list[tuple[int, float]], chromium: str) -> dict:
    """Sign in, start a group session, join N pinned participants, move them along ``route``."""
    themes = content.load_themes()
    texts = content.ui_text()
    secret = workshop.proxy_secret()
    replica_ports = workshop.replica_ports()
    by_cookie = {cookie_for(secret, f"127.0.0.1:{port}"): port for port in replica_ports}
    labels = {port: "AB"[i] if len(replica_ports) <= 2 else f"R{i + 1}" for i, port in enumerate(replica_ports)}
    base = f"https://localhost:{workshop.https_port}/"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        facilitator = sign_in(browser, workshop, texts)
        facilitator.get_by_role("button", name=texts["kind_group"], exact=True).click()
        facilitator.get_by_role("button", name=texts["console_start"]).click()
        url = facilitator.locator(".hs-console-url a").get_attribute("href", timeout=30_000)
        if not url or not url.startswith(base):
            raise RuntimeError(f"the console's session link is not behind the proxy: {url}")
        people = []
        pinned_to = []
        join_started = time.monotonic()
        for i in range(n):  # evenly: participant i on replica i mod R
            port = replica_ports[i % len(replica_ports)]
            context = browser.new_context(ignore_https_errors=True, viewport={"width": 375, "height": 667})
            context.add_cookies([{"name": COOKIE, "value": cookie_for(secret, f"127.0.0.1:{port}"), "url": base,
                                  "secure": True, "httpOnly": True}])
            page = context.new_page()
            page.goto(url)
            people.append(page)
            pinned_to.append(port)
        for page in people:
            page.get_by_role("button", name=texts["consent_share"]).click(timeout=120_000)
        facilitator.locator(".hs-console-present", has_text=f"{n} here").wait_for(timeout=120_000)
        joined_s = time.monotonic() - join_started
        on_replica = [replica_of(page.context, by_cookie) for page in people]
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
            deadline = time.monotonic() + MOVE_TIMEOUT_S
            seen: list[float | None] = [None] * n
            while time.monotonic() < deadline and any(s is None for s in seen):
                for i, page in enumerate(people):
                    if seen[i] is None:
                        seen[i] = page.evaluate(f"() => (window.__hsSeen || {{}})[{index}] || null")
                time.sleep(0.05)
            delays = [None if s is None else (s - clicked) / 1000 for s in seen]
            done = [d for d in delays if d is not None]
            per_replica = {}
            for port in replica_ports:
                mine = [d for d, where in zip(delays, on_replica, strict=True) if where == port]
                switched = [d for d in mine if d is not None]
                per_replica[labels[port]] = {
                    "port": port, "pages": len(mine), "switched": len(switched),
                    "all_switched_s": rounded(max(switched)) if mine and len(switched) == len(mine) else None,
                    "median_s": rounded(statistics.median(switched)) if switched else None}
            results.append({"from": previous, "theme": index, "after_talk_s": talk, "switched": len(done),
                            "all_switched_s": rounded(max(done)) if len(done) == n else None,
                            "median_s": rounded(statistics.median(done)) if done else None,
                            "per_replica": per_replica})
            previous = index
        at_end = [replica_of(page.context, by_cookie) for page in people]
        # every replica's kernels (participants' and warm seats), the pages still open
        rss = {labels[port]: kernels_rss_mib(workshop, port) for port in replica_ports}
        browser.close()
    complete = [r["all_switched_s"] for r in results if r["all_switched_s"] is not None]
    by_label = {}
    for port in replica_ports:
        label = labels[port]
        maxima = [r["per_replica"][label]["all_switched_s"] for r in results
                  if r["per_replica"][label]["all_switched_s"] is not None]
        by_label[label] = {"port": port, "pinned": pinned_to.count(port), "on_it_after_joining": on_replica.count(port),
                           "on_it_at_end": at_end.count(port), "all_switched_s": stats(maxima)}
    moved = sum(1 for a, b in zip(pinned_to, on_replica, strict=True) if a != b)
    moved_later = sum(1 for a, b in zip(on_replica, at_end, strict=True) if a != b)
    return {
        "participants": n,
        "session_link": url.split("?", 1)[0] + "?token=…",
        "join_s": round(joined_s, 1),
        "moved_by_proxy_while_joining": moved,
        "moved_by_proxy_during_moves": moved_later,
        "not_on_any_replica": on_replica.count(None),
        "moves": len(results),
        "moves_where_everyone_switched": len(complete),
        "all_switched_s": stats(complete),
        "per_replica": by_label,
        "kernels_rss_mib": rss,
        "per_move": results,
    }


def run_config(replicas: int, seats: str, n: int, route: list[tuple[int, float]], chromium: str) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"hs-online-follow-{replicas}r-{n}-"))
    workshop = OnlineWorkshop(replicas, seats, tmp)
    row: dict = {"replicas": replicas, "participants": n}
    try:
        workshop.start()
        time.sleep(SETTLE_S)
        row["ready_s"] = round(workshop.ready_s or 0, 1)
        rooms = [line.strip() for line in workshop.lines if "Warming up participant seats" in line]
        if rooms:
            row["warm_seats_line"] = rooms[-1].split("\r")[-1]
        row["load_1min_before"] = round(os.getloadavg()[0], 2)
        row.update(follow_online(workshop, n, route, chromium))
    except Exception as error:
        row["error"] = f"{type(error).__name__}: {str(error)[:600]}"
    finally:
        workshop.stop()
    row["stopped_cleanly"] = workshop.stopped_cleanly
    row["strays_killed"] = workshop.strays
    row["logs"] = workshop.log_problems() if workshop.data.exists() else {}
    row["data"] = str(workshop.data)
    return row


# ---------------------------------------------------------------------------------------- running
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10, help="participants (default 10), split evenly over the replicas")
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2], help="configurations: participant replicas")
    parser.add_argument("--talk", type=float, default=30.0, help="seconds between moves (default 30, as follow.py)")
    parser.add_argument("--moves", type=int, default=6, help="moves when --route is not given (default 6, as follow.py)")
    parser.add_argument("--route", nargs="+", help="themes to move to in order, e.g. 1 3 5 7 6 7@3 (as follow.py)")
    parser.add_argument("--seats", default="auto", help="--seats of holding-space online (default auto, as the README runs it)")
    parser.add_argument("--out", type=Path, default=KIT / "benchmarks" / "results" / "online_follow.json")
    args = parser.parse_args()
    if not shutil.which("caddy"):
        print("Caddy was not found: sudo apt-get install caddy", file=sys.stderr)
        return 2
    chromium = chromium_or_exit()
    route = parse_route(args.route, args.moves, len(content.load_themes()), args.talk)
    started = time.monotonic()
    caddy_version = subprocess.run(["caddy", "version"], capture_output=True, text=True).stdout.strip()
    result: dict = {
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "machine": {**machine(), "caddy": caddy_version},
        "started_with": "python -m workshop.cli online --domain localhost --https-port P --http-port Q --replicas R "
                        "--replica-port S" + ("" if args.seats == "auto" else f" --seats {args.seats}")
                        + "  (HOLDING_SPACE_DATA=<fresh per configuration>, a facilitator added first)",
        "clients": "Chromium contexts (system Chromium) over HTTPS through Caddy, each pinned to a replica by its "
                   "hs_replica cookie before its first request; participant i on replica i mod R",
        "participants": args.n,
        "seats": args.seats,
        "talk_s": args.talk,
        "route": [f"{index}@{talk:g}" for index, talk in route],
        "configurations": {},
    }
    for replicas in args.replicas:
        print(f"replicas {replicas}: starting holding-space online, {args.n} participants…", flush=True)
        row = run_config(replicas, args.seats, args.n, route, chromium)
        result["configurations"][f"replicas_{replicas}"] = row
        result["duration_min"] = round((time.monotonic() - started) / 60, 1)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")  # after every configuration
        if "error" in row:
            print(f"replicas {replicas}: {row['error']}", flush=True)
        else:
            print(f"replicas {replicas}: everyone switched in median {row['all_switched_s']['median']} s, "
                  f"max {row['all_switched_s']['max']} s ({row['moves_where_everyone_switched']}/{row['moves']} moves), "
                  f"stopped cleanly {row['stopped_cleanly']}, strays {len(row['strays_killed'])}", flush=True)
    print_table(result)
    print(f"wrote {args.out} ({result.get('duration_min', 0)} min)")
    return 0


def print_table(result: dict) -> None:
    rows = [row for row in result["configurations"].values() if "per_move" in row]
    labels = sorted({label for row in rows for label in row["per_replica"]})
    head = (f"{'replicas':>8} {'move':>7} {'talk s':>6} {'all s':>7} {'median s':>8} "
            + " ".join(f"{'max ' + label + ' s':>8}" for label in labels))
    print()
    print(head)
    print("-" * len(head))
    for key, row in result["configurations"].items():
        if "per_move" not in row:
            print(f"{row['replicas']:>8}  {row.get('error', key)[:100]}")
            continue
        for move in row["per_move"]:
            per = " ".join(f"{(move['per_replica'].get(label) or {}).get('all_switched_s') or '-':>8}" for label in labels)
            print(f"{row['replicas']:>8} {str(move['from']) + ' -> ' + str(move['theme']):>7} {move['after_talk_s']:>6g} "
                  f"{move['all_switched_s'] or '-':>7} {move['median_s'] or '-':>8} {per}")
        maxima = " ".join(f"{(row['per_replica'].get(label) or {}).get('all_switched_s', {}).get('max') or '-':>8}"
                          for label in labels)
        s = row["all_switched_s"]
        print(f"{row['replicas']:>8} {'all':>7} {'':>6} {s['max'] or '-':>7} {s['median'] or '-':>8} {maxima}"
              f"   (median of moves {s['median']} s, p95 {s['p95']} s)")
        spread = ", ".join(f"{label} :{v['port']} {v['on_it_after_joining']}/{v['pinned']} pinned"
                           for label, v in row["per_replica"].items())
        print(f"{'':>8} pages per replica after joining: {spread}; moved by the proxy: "
              f"{row['moved_by_proxy_while_joining']} joining, {row['moved_by_proxy_during_moves']} later; "
              f"join {row['join_s']} s; kernels RSS MiB {row['kernels_rss_mib']}")


if __name__ == "__main__":
    sys.exit(main())
