"""Vanishing phones: how long does a participant's kernel live after their phone is gone?

Starts the participant server as ``make workshop`` does, with the DEFAULT away grace
(``HoldingSpaceVoila.away_grace_seconds``), and joins Chromium phones (375×667, one context each):

- ``hidden_then_crash`` (``--phones``, default 5): the phone switches to another app (the page sees
  ``visibilityState`` hidden and a ``visibilitychange``), then the browser is killed (the renderer
  crashed through CDP): no pagehide, nothing more reaches the server. The kernel should go about
  the grace after the websocket closed.
- ``pagehide_only`` (``--phones``): a mobile browser that never fires ``beforeunload`` (its
  listeners are never registered, Voila's shutdown beacon among them) closes the tab; the page's
  ``pagehide`` beacon should free the kernel at once.
- ``context_closed`` (``--phones``): the whole browser context is closed, as ``soak.py``'s
  "vanish" participants leave.
- ``crash_without_hidden`` (one phone): killed while shown, no event at all. Nothing tells the
  server, so its kernel lives until the cull (900 s); that is not waited for, only checked to
  be still alive when the others are gone.

For each phone: seconds from the crash or close until its kernel process was gone (polled every
0.25 s) and until the server counted no websocket to it (for the crashed phones, polled right
after each crash, every 0.05 s; the crash itself waits 0.25 s for CDP's answer, which never
comes, so it is at least that). Writes ``benchmarks/results/vanish.json``.

    python benchmarks/vanish.py [--phones 5]
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil
import requests
from playwright.sync_api import sync_playwright

KIT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(KIT / "benchmarks"))
from common import CHROMIUM_ARGS, chromium_or_exit, percentile  # noqa: E402

from workshop.serving.server import ServerProcess, ServerSettings, free_port  # noqa: E402
from workshop.serving.voila_app import REAP_INTERVAL_S, HoldingSpaceVoila  # noqa: E402

READY = ".hs-checkin .hs-chip"
CULL_S = 900
GIVE_UP_S = 240  # a kernel still alive this long after its phone went is recorded as not freed
NO_BEFOREUNLOAD = """(() => {
  const add = window.addEventListener;
  window.addEventListener = function (type, ...rest) {
    if (type === "beforeunload") return;
    return add.call(this, type, ...rest);
  };
})()"""
HIDE = """() => {
  Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
  Object.defineProperty(document, "hidden", { value: true, configurable: true });
  document.dispatchEvent(new Event("visibilitychange"));
}"""


class Bench:
    def __init__(self, server: ServerProcess, browser) -> None:
        self.server = server
        self.settings = server.settings
        self.browser = browser

    def api(self, path: str) -> requests.Response:
        return requests.get(self.settings.base_url + path, params={"token": self.settings.token}, timeout=10)

    def pages_away(self) -> int:
        return self.api("holding-space/away").json()["away"]

    def connections(self, kernel_id: str) -> int | None:
        response = self.api(f"api/kernels/{kernel_id}")
        return response.json()["connections"] if response.status_code == 200 else None

    def alive(self) -> set[str]:
        """Ids of the kernels whose process still runs."""
        ids = set()
        for process in self.server.kernel_processes():
            try:
                if process.status() == psutil.STATUS_ZOMBIE:
                    continue
                match = re.search(r"kernel-([0-9a-f-]{36})\.json", " ".join(process.cmdline()))
            except psutil.Error:
                continue
            if match:
                ids.add(match.group(1))
        return ids

    def join(self, init_script: str | None = None):
        """A phone with the first theme ready: (page, kernel id)."""
        context = self.browser.new_context(viewport={"width": 375, "height": 667})
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        sockets: list[str] = []
        page.on("websocket", lambda ws: sockets.append(ws.url))
        page.goto(self.settings.join_url)
        page.locator(READY).first.wait_for(timeout=120_000)
        channel = [u for u in sockets if "/api/kernels/" in u and u.split("?")[0].endswith("/channels")][-1]
        return page, channel.split("/api/kernels/")[1].split("/")[0]

    @staticmethod
    def crash(page) -> None:
        try:
            page.context.new_cdp_session(page).send("Page.crash", timeout=250)
        except Exception:
            pass

    def follow(self, gone_at: dict[str, float], kernels: dict[str, float], until: float) -> dict[str, dict]:
        """Poll until every kernel in ``kernels`` (id -> moment its phone went) is gone, or ``until``."""
        alone: dict[str, float] = {}
        while time.monotonic() < until:
            now = time.monotonic()
            alive = self.alive()
            for kernel_id in kernels:
                if kernel_id not in alive and kernel_id not in gone_at:
                    gone_at[kernel_id] = now
                if kernel_id not in alone and kernel_id not in gone_at and self.connections(kernel_id) in (0, None):
                    alone[kernel_id] = time.monotonic()
            if all(k in gone_at for k in kernels):
                break
            time.sleep(0.25)
        return {
            kernel_id: {
                "lived_after_s": round(gone_at[kernel_id] - went, 1) if kernel_id in gone_at else None,
                "websocket_closed_after_s": round(alone[kernel_id] - went, 1) if kernel_id in alone else None,
            }
            for kernel_id, went in kernels.items()
        }

    def hidden_then_crash(self, phones: int) -> tuple[dict, dict]:
        """``phones`` phones hidden then crashed, and one crashed while shown; all crashed together."""
        joined = [self.join() for _ in range(phones)]
        shown_page, shown_kernel = self.join()
        before = self.pages_away()
        for page, _ in joined:
            page.evaluate(HIDE)
        deadline = time.monotonic() + 30
        while self.pages_away() < before + phones:
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not record every hidden page as away")
            time.sleep(0.1)
        went: dict[str, float] = {}
        closed: dict[str, float] = {}
        for page, kernel_id in [*joined, (shown_page, shown_kernel)]:
            went[kernel_id] = time.monotonic()  # the renderer dies at once; CDP's answer never comes
            self.crash(page)
            while self.connections(kernel_id) not in (0, None) and time.monotonic() - went[kernel_id] < 30:
                time.sleep(0.05)
            closed[kernel_id] = round(time.monotonic() - went[kernel_id], 2)
        gone: dict[str, float] = {}
        hidden = {k: went[k] for _, k in joined}
        results = self.follow(gone, hidden, time.monotonic() + GIVE_UP_S)
        for kernel_id, result in results.items():
            result["websocket_closed_after_s"] = closed[kernel_id]  # seen at once, not at the first poll
        # the phone killed while shown: still alive once every hidden one is gone, and a little more
        watched_until = time.monotonic() + 20
        shown_gone = self.follow(gone, {shown_kernel: went[shown_kernel]}, watched_until)[shown_kernel]
        shown_gone["websocket_closed_after_s"] = closed[shown_kernel]
        for page, _ in [*joined, (shown_page, shown_kernel)]:
            page.context.close()
        shown = {
            "phones": 1,
            "measured": False,
            "lives": f"until the cull ({CULL_S} s)",
            "still_alive_after_s": None if shown_gone["lived_after_s"] is not None else round(watched_until - went[shown_kernel], 1),
            "freed_early_after_s": shown_gone["lived_after_s"],
            "websocket_closed_after_s": shown_gone["websocket_closed_after_s"],
        }
        return results, shown

    def closed(self, phones: int, how: str) -> dict:
        """``phones`` phones, one after another: the tab closed with pagehide only, or the context closed."""
        results = {}
        for _ in range(phones):
            if how == "pagehide_only":
                page, kernel_id = self.join(NO_BEFOREUNLOAD)
                went = time.monotonic()
                page.close()
                page.context.close()
            else:
                page, kernel_id = self.join()
                went = time.monotonic()
                page.context.close()
            results.update(self.follow({}, {kernel_id: went}, time.monotonic() + GIVE_UP_S))
        return results


def spread(per_phone: dict) -> dict:
    lived = [r["lived_after_s"] for r in per_phone.values() if r["lived_after_s"] is not None]
    return {
        "phones": len(per_phone),
        "freed": len(lived),
        "lived_after_s": {"median": round(statistics.median(lived), 1) if lived else None,
                          "p90": round(percentile(lived, 90), 1) if lived else None,
                          "max": round(max(lived), 1) if lived else None},
        "per_phone": list(per_phone.values()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=5, help="phones in each group (default 5)")
    parser.add_argument("--out", type=Path, default=KIT / "benchmarks" / "results" / "vanish.json")
    args = parser.parse_args()
    chromium = chromium_or_exit()
    tmp = Path(tempfile.mkdtemp(prefix="hs-vanish-"))
    # the kit's server as make workshop starts it, with a pool large enough for one group at once
    settings = ServerSettings(port=free_port(), bind="127.0.0.1", pool_size=args.phones + 1, data=tmp / "data")
    server = ServerProcess(settings, tmp / "participant.log").start()
    grace = HoldingSpaceVoila.away_grace_seconds.default_value
    started = time.strftime("%Y-%m-%d %H:%M")
    try:
        server.wait_until_listening()
        server.wait_until_warm(timeout=300)
        if f"freed after {grace} s" not in server.log_text():
            raise RuntimeError(f"the server did not announce the default grace of {grace} s\n{server.tail()}")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            bench = Bench(server, browser)
            print(f"hidden, then crashed: {args.phones} phones (and one crashed while shown)", flush=True)
            hidden, shown = bench.hidden_then_crash(args.phones)
            print(f"tab closed, pagehide only: {args.phones} phones", flush=True)
            pagehide = bench.closed(args.phones, "pagehide_only")
            print(f"context closed (soak.py's vanish): {args.phones} phones", flush=True)
            context = bench.closed(args.phones, "context_closed")
            version = browser.version
            browser.close()
        log = server.log_text()
    finally:
        server.stop()
    result = {
        "when": started,
        "machine": {"cpus": psutil.cpu_count(), "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
                    "python": platform.python_version(), "platform": platform.platform(), "chromium": version},
        "settings": {"phones_per_group": args.phones, "viewport": [375, 667], "away_grace_s": grace,
                     "reap_interval_s": REAP_INTERVAL_S, "cull_idle_timeout_s": settings.cull_idle_seconds,
                     "pool_size": settings.pool_size, "poll_s": 0.25},
        "groups": {
            "hidden_then_crash": spread(hidden),
            "pagehide_only": spread(pagehide),
            "context_closed": spread(context),
            "crash_without_hidden": shown,
        },
        "server_log": {
            "freed_as_away": len(re.findall(r"was away and disconnected for", log)),
            "away_and_disconnected_s": [int(s) for s in re.findall(r"was away and disconnected for (\d+) s", log)],
            "tracebacks": log.count("Traceback"),
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    for name, group in result["groups"].items():
        if "lived_after_s" in group:
            lived = group["lived_after_s"]
            print(f"{name:>22}: {group['freed']}/{group['phones']} freed, median {lived['median']} s, max {lived['max']} s")
        else:
            print(f"{name:>22}: {group['lives']} (still alive {group['still_alive_after_s']} s after its crash)")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
