"""Soak: participants come and go for hours; do kernels or memory grow beyond the live participants?

Starts the participant server as ``make workshop`` does (preheated pool of ``--seats`` kernels,
kernel culling, the same refill delay and participant cap) and, for ``--minutes``, lets
participants arrive every 20-40 s (seeded). Each is a fresh Playwright context (375×667) in one
headless system Chromium: it checks in (the first feeling word), moves Next through two to four
themes, types in the writing box of theme 2, stays 1-8 minutes, then leaves. Half leave
properly (``page.close(run_before_unload=True)``: Voila's beforeunload beacon shuts the kernel
down); half vanish (the page's renderer is killed, then its context closed: a phone that dies on
screen and never comes back, sending nothing more, so the kernel stays until the culler takes it,
``cull_idle_timeout`` after its last activity). Closing a context alone fires ``pagehide``, which
the kit answers with the shutdown beacon since issue 12: it would no longer be a vanished phone.
A phone hidden before it vanishes is freed after a minute (``benchmarks/vanish.py``). At most ``--max-live`` participants are on at once, so two cores are not saturated.

Every 30 s it records: live participants (the script's count), kernel processes, each kernel's
RSS/PSS/USS, the server process's RSS/PSS, its open file descriptors and threads, and failures
(a join not usable within 60 s, a page error, "Traceback" visible, an action that timed out).

The excess is reported two ways:

- raw: kernels − (live + pool size);
- adjusted (the verdict on growth): kernels − (live + pool size + participants who left, either
  way, less than ``cull_idle_timeout + 2 × cull_interval`` ago). Positive: a kernel the culler
  should already have taken;
- expecting closed pages freed: as adjusted, but a participant who closed the page counts only
  for 60 s (Voila's beforeunload beacon should shut the kernel down at once).

Each departed participant's kernel is also followed by its id: how long it lived after the
participant left, and whether any outlived its allowance ("overdue").

Writes ``benchmarks/results/soak.json`` (also every 10 minutes while running, with
``"complete": false``) and prints a short summary.

    python benchmarks/soak.py [--minutes 120] [--seats 4] [--max-live 6] [--seed 7]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from playwright.async_api import async_playwright

KIT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(KIT / "benchmarks"))
from common import CHROMIUM_ARGS, chromium_or_exit, percentile  # noqa: E402

from workshop.serving.server import ServerProcess, ServerSettings, free_port, voila_command  # noqa: E402

READY = ".hs-checkin .hs-chip"
NEXT = ".hs-nav .hs-next"
WRITING = ".hs-stage .hs-writing textarea"
MIB = 2**20
JOIN_TIMEOUT_S = 60  # a join not usable by then is a failure
JOIN_GIVE_UP_S = 180  # ... and one not usable by then is abandoned
CLOSE_GRACE_S = 60  # a properly closed page's kernel should be gone by then
WORDS = "It was a long week and I am tired, but I came anyway."
KERNEL_ID = re.compile(r"kernel-([0-9a-f-]{36})\.json")


@dataclass
class Participant:
    number: int
    arrived: float  # seconds since the start
    stay_s: float
    mode: str  # "close" (page closed with unload handlers) or "vanish" (context closed)
    themes: int
    kernel_id: str | None = None
    usable_s: float | None = None
    left: float | None = None
    left_at_end: bool = False
    kernel_gone: float | None = None  # seconds since the start when its kernel process was gone
    errors: list = field(default_factory=list)

    def record(self) -> dict:
        return {
            "n": self.number, "arrived_s": round(self.arrived, 1), "stay_s": round(self.stay_s, 1), "mode": self.mode,
            "themes": self.themes, "kernel_id": self.kernel_id, "usable_s": None if self.usable_s is None else round(self.usable_s, 2),
            "left_s": None if self.left is None else round(self.left, 1), "left_at_end": self.left_at_end,
            "kernel_gone_after_leaving_s": None if self.kernel_gone is None or self.left is None else round(self.kernel_gone - self.left, 1),
        }


class Soak:
    def __init__(self, args: argparse.Namespace, server: ServerProcess, chromium: str) -> None:
        self.args = args
        self.server = server
        self.settings = server.settings
        self.chromium = chromium
        self.rng = random.Random(args.seed)
        self.t0 = time.monotonic()
        self.people: list[Participant] = []
        self.live: set[int] = set()
        self.samples: list[dict] = []
        self.failures: list[dict] = []
        self.deferred_arrivals = 0
        self.kernel_seen: dict[str, dict] = {}  # kernel id -> first/last seen, pid
        self.cull_interval = 60
        self.allowance_vanish = self.settings.cull_idle_seconds + 2 * self.cull_interval
        self.left_event = asyncio.Event()
        self._modes: list[str] = []
        self.log_counts = {"shutdown_beacons": 0, "shutdown_beacons_refused": 0, "culled_log_lines": 0, "server_errors_logged": 0}
        server.on_line = self.count_line

    def count_line(self, line: str) -> None:
        """Count what the server log says about kernels leaving (runs in the log reader thread)."""
        if re.search(r"^\d{3} POST /voila/api/shutdown/\S+ .*\d ?ms$", line):  # the access log line, once per request
            self.log_counts["shutdown_beacons"] += 1
            if not line.startswith("2"):
                self.log_counts["shutdown_beacons_refused"] += 1
        elif "Culling" in line and "kernel" in line and "intervals" not in line:
            self.log_counts["culled_log_lines"] += 1
        elif "Traceback" in line or " ERROR " in line or line.startswith("500 "):
            self.log_counts["server_errors_logged"] += 1

    def now(self) -> float:
        return time.monotonic() - self.t0

    def fail(self, who: Participant | None, kind: str, detail: str) -> None:
        entry = {"t_s": round(self.now(), 1), "participant": who.number if who else None, "kind": kind, "detail": detail[:300]}
        self.failures.append(entry)
        print(f"  [{entry['t_s']:>7.0f} s] failure: participant {entry['participant']}: {kind}: {entry['detail']}", flush=True)

    # ---------------------------------------------------------------- kernels and memory
    def kernel_table(self) -> list[dict]:
        """Every kernel process of the server with its id and memory (runs in a thread)."""
        rows = []
        for proc in self.server.kernel_processes():
            try:
                match = KERNEL_ID.search(" ".join(proc.cmdline()))
                mem = proc.memory_full_info()
                rows.append({"pid": proc.pid, "id": match.group(1) if match else None, "age_s": round(time.time() - proc.create_time(), 1),
                             "rss": mem.rss / MIB, "pss": getattr(mem, "pss", 0) / MIB, "uss": mem.uss / MIB})
            except psutil.Error:
                continue
        return rows

    def kernel_ids(self) -> set[str]:
        ids = set()
        for proc in self.server.kernel_processes():
            try:
                match = KERNEL_ID.search(" ".join(proc.cmdline()))
            except psutil.Error:
                continue
            if match:
                ids.add(match.group(1))
        return ids

    def server_figures(self) -> dict:
        try:
            proc = psutil.Process(self.server.process.pid)
            mem = proc.memory_full_info()
            return {"server_rss_mib": round(mem.rss / MIB, 1), "server_pss_mib": round(getattr(mem, "pss", 0) / MIB, 1),
                    "server_fds": proc.num_fds(), "server_threads": proc.num_threads(),
                    "server_connections": len(proc.net_connections(kind="tcp"))}
        except psutil.Error:
            return {"server_rss_mib": None, "server_pss_mib": None, "server_fds": None, "server_threads": None, "server_connections": None}

    async def sample(self) -> dict:
        now = self.now()
        kernels, server = await asyncio.gather(asyncio.to_thread(self.kernel_table), asyncio.to_thread(self.server_figures))
        ids = {k["id"] for k in kernels if k["id"]}
        live_ids = {p.kernel_id for p in self.people if p.number in self.live and p.kernel_id}
        departed = [p for p in self.people if p.left is not None]
        for p in departed:
            if p.kernel_id and p.kernel_gone is None and p.kernel_id not in ids:
                p.kernel_gone = now
        departed_ids = {p.kernel_id: p for p in departed if p.kernel_id}
        recent_vanished = sum(1 for p in departed if p.mode == "vanish" and now - p.left < self.allowance_vanish)
        recent_closed = sum(1 for p in departed if p.mode == "close" and now - p.left < CLOSE_GRACE_S)
        recent_all = sum(1 for p in departed if now - p.left < self.allowance_vanish)
        lingering = [p for p in departed if p.kernel_id and p.kernel_id in ids]
        past_grace = [p for p in lingering if p.mode == "close" and CLOSE_GRACE_S < now - p.left <= self.allowance_vanish]
        overdue = [p for p in lingering if now - p.left > self.allowance_vanish]
        for k in kernels:
            k["role"] = "live" if k["id"] in live_ids else "departed" if k["id"] in departed_ids else "pool"
            seen = self.kernel_seen.setdefault(k["id"] or str(k["pid"]), {"first_s": round(now, 1), "pid": k["pid"]})
            seen["last_s"] = round(now, 1)
        live = len(self.live)
        pool = self.settings.pool_size
        count = len(kernels)
        expected = live + pool + recent_vanished + recent_closed  # closed pages should free their kernel at once
        expected_cull = live + pool + recent_all  # any departure may keep its kernel until the culler takes it

        def mean(values):
            return round(statistics.fmean(values), 1) if values else None

        row = {
            "t_s": round(now, 1),
            "live": live,
            "kernels": count,
            "kernels_by_role": {role: sum(1 for k in kernels if k["role"] == role) for role in ("live", "pool", "departed")},
            "vanished_within_cull_window": recent_vanished,
            "closed_within_grace": recent_closed,
            "departed_within_cull_window": recent_all,
            "excess_raw": count - (live + pool),
            "excess_adjusted": count - expected_cull,
            "excess_expecting_closed_pages_freed": count - expected,
            "departed_kernels_alive": len(lingering),
            "closed_page_kernels_alive_past_grace": len(past_grace),
            "overdue_kernels": [{"participant": p.number, "mode": p.mode, "left_s_ago": round(now - p.left)} for p in overdue],
            "kernel_rss_mib_total": round(sum(k["rss"] for k in kernels), 1),
            "kernel_pss_mib_total": round(sum(k["pss"] for k in kernels), 1),
            "kernel_rss_mib_mean": mean([k["rss"] for k in kernels]),
            "kernel_pss_mib_mean": mean([k["pss"] for k in kernels]),
            "live_kernel_pss_mib_mean": mean([k["pss"] for k in kernels if k["role"] == "live"]),
            "oldest_kernel_age_s": max((k["age_s"] for k in kernels), default=None),
            **server,
            **self.log_counts,
            "load_1min": round(psutil.getloadavg()[0], 2),
            "joins": len(self.people),
            "failures": len(self.failures),
            "per_kernel": [{"pid": k["pid"], "role": k["role"], "age_s": k["age_s"], "rss_mib": round(k["rss"], 1),
                            "pss_mib": round(k["pss"], 1), "uss_mib": round(k["uss"], 1)} for k in kernels],
        }
        self.samples.append(row)
        print(f"  [{now:>7.0f} s] live {live}, kernels {count} (excess raw {row['excess_raw']:+d}, adjusted {row['excess_adjusted']:+d}), "
              f"kernel PSS {row['kernel_pss_mib_total']:.0f} MiB, server RSS {row['server_rss_mib']} MiB, fds {row['server_fds']}, "
              f"joins {len(self.people)}, failures {len(self.failures)}", flush=True)
        return row

    # ---------------------------------------------------------------- participants
    def next_mode(self) -> str:
        """Half close properly, half vanish: each pair of participants gets one of each, in seeded order."""
        if not self._modes:
            self._modes = ["close", "vanish"]
            self.rng.shuffle(self._modes)
        return self._modes.pop()

    async def body_check(self, page, who: Participant, when: str) -> None:
        try:
            text = await page.locator("body").inner_text(timeout=10_000)
        except Exception as error:
            self.fail(who, "check", f"{when}: could not read the page: {type(error).__name__}")
            return
        if "Traceback" in text:
            at = text.index("Traceback")
            self.fail(who, "traceback", f"{when}: {text[at:at + 200]!r}")

    async def wait_usable(self, page, start: float, deadline_s: float) -> bool:
        remaining = max(1.0, deadline_s - (time.monotonic() - start))
        try:
            await page.locator(READY).first.wait_for(state="visible", timeout=remaining * 1000)
            remaining = max(1.0, deadline_s - (time.monotonic() - start))
            await page.wait_for_function(f"() => !document.querySelector('{READY}').disabled", timeout=remaining * 1000)
            return True
        except Exception:
            return False

    async def visit(self, browser, who: Participant) -> None:
        context = await browser.new_context(viewport={"width": 375, "height": 667})
        page = await context.new_page()
        page.on("pageerror", lambda error: self.fail(who, "page error", str(error)))
        page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
        start = time.monotonic()
        try:
            try:
                await page.goto(self.settings.join_url, timeout=JOIN_GIVE_UP_S * 1000)
            except Exception as error:
                self.fail(who, "join", f"the page did not load: {type(error).__name__}")
            usable = await self.wait_usable(page, start, JOIN_TIMEOUT_S)
            if not usable:
                self.fail(who, "join", f"not usable within {JOIN_TIMEOUT_S} s")
                usable = await self.wait_usable(page, start, JOIN_GIVE_UP_S)
            if usable:
                who.usable_s = time.monotonic() - start
                if who.usable_s > JOIN_TIMEOUT_S:
                    print(f"  participant {who.number} became usable late, after {who.usable_s:.0f} s", flush=True)
            try:
                config = json.loads(await page.locator("#jupyter-config-data").text_content(timeout=10_000))
                who.kernel_id = config.get("kernelId")
            except Exception:
                pass
            if usable:
                await self.act(page, who)
                await self.body_check(page, who, "after the exercises")
            stay_left = who.stay_s - (time.monotonic() - start)
            await self.sleep_until_end(stay_left)
            if not page.is_closed():
                await self.body_check(page, who, "before leaving")
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a failure is a figure, not a crash
            self.fail(who, "visit", f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")
        finally:
            who.left_at_end = self.now() >= self.args.minutes * 60 - 1
            await self.leave(context, page, who)

    async def act(self, page, who: Participant) -> None:
        """Check in, move Next through a few themes, type in the writing box of theme 2."""
        step = "check-in"
        try:
            await page.locator(READY).first.click(timeout=30_000)
            for number in range(1, who.themes + 1):
                step = f"next to theme {number}"
                await page.locator(NEXT).click(timeout=30_000)
                await page.locator(f'[data-hs-page="{number}"]').wait_for(state="visible", timeout=30_000)
                if number == 2:
                    step = "typing in theme 2"
                    box = page.locator(WRITING).first
                    await box.click(timeout=30_000)
                    await box.press_sequentially(WORDS, delay=40, timeout=60_000)
        except Exception as error:
            self.fail(who, "action", f"{step}: {type(error).__name__}")

    async def sleep_until_end(self, seconds: float) -> None:
        """Sleep ``seconds``, or until the run's end, whichever comes first."""
        end = self.args.minutes * 60 - self.now()
        await asyncio.sleep(max(0.0, min(seconds, end)))

    async def leave(self, context, page, who: Participant) -> None:
        try:
            if who.mode == "close" and not page.is_closed():
                await page.close(run_before_unload=True)  # does not wait for the page to close
                for _ in range(50):
                    if page.is_closed():
                        break
                    await asyncio.sleep(0.2)
                await asyncio.sleep(3.0)  # let the shutdown beacon leave before the context goes (1 s lost some)
            elif who.mode == "vanish" and not page.is_closed():
                try:  # no pagehide: the renderer dies first (Chromium never answers Page.crash)
                    cdp = await context.new_cdp_session(page)
                    await asyncio.wait_for(cdp.send("Page.crash"), 1.0)
                except Exception:
                    pass
            await context.close()
        except Exception as error:
            self.fail(who, "leave", f"{type(error).__name__}")
        who.left = self.now()
        self.live.discard(who.number)
        self.left_event.set()
        if who.mode == "close" and who.kernel_id:  # follow the shutdown closely (the sampler only looks every 30 s)
            for _ in range(CLOSE_GRACE_S // 2):
                if who.kernel_id not in await asyncio.to_thread(self.kernel_ids):
                    who.kernel_gone = self.now()
                    break
                await asyncio.sleep(2)

    # ---------------------------------------------------------------- the run
    async def arrivals(self, browser) -> list[asyncio.Task]:
        tasks = []
        end = self.args.minutes * 60
        next_at = 0.0
        while True:
            wait = next_at - self.now()
            if wait > 0:
                await asyncio.sleep(min(wait, max(0.0, end - self.now())))
            if self.now() >= end:
                break
            if len(self.live) >= self.args.max_live:
                self.deferred_arrivals += 1
                while len(self.live) >= self.args.max_live and self.now() < end:
                    self.left_event.clear()
                    try:
                        await asyncio.wait_for(self.left_event.wait(), timeout=max(0.1, end - self.now()))
                    except TimeoutError:
                        pass
                if self.now() >= end:
                    break
            who = Participant(
                number=len(self.people) + 1, arrived=self.now(), stay_s=self.rng.uniform(60, 480), mode=self.next_mode(),
                themes=self.rng.randint(2, 4),
            )
            self.people.append(who)
            self.live.add(who.number)
            tasks.append(asyncio.create_task(self.visit(browser, who)))
            next_at = self.now() + self.rng.uniform(*self.args.join_every)
        return tasks

    async def sampler(self, stop: asyncio.Event) -> None:
        next_write = 600.0
        while not stop.is_set():
            await self.sample()
            if self.now() >= next_write:
                self.write(complete=False)
                next_write += 600.0
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.args.sample_every)
            except TimeoutError:
                pass

    async def run(self) -> None:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=self.chromium, args=CHROMIUM_ARGS)
            self.browser_version = browser.version
            stop = asyncio.Event()
            sampler = asyncio.create_task(self.sampler(stop))
            tasks = await self.arrivals(browser)
            await asyncio.gather(*tasks, return_exceptions=True)
            if self.args.drain_minutes > 0:
                print(f"  everyone has left; watching the kernels for {self.args.drain_minutes} more minutes", flush=True)
                await asyncio.sleep(self.args.drain_minutes * 60)
            stop.set()
            await sampler
            await self.sample()
            await browser.close()

    # ---------------------------------------------------------------- results
    def summary(self) -> dict:
        samples = self.samples
        raw = [s["excess_raw"] for s in samples]
        adjusted = [s["excess_adjusted"] for s in samples]
        strict = [s["excess_expecting_closed_pages_freed"] for s in samples]
        warm = self.args.warmup_minutes * 60
        steady = [s for s in samples if s["t_s"] >= warm] or samples

        def slope(key: str, rows: list[dict]) -> float | None:
            points = [(s["t_s"] / 3600, s[key]) for s in rows if s.get(key) is not None]
            if len(points) < 3 or len({x for x, _ in points}) < 2:
                return None
            fit = statistics.linear_regression([x for x, _ in points], [y for _, y in points])
            return round(fit.slope, 2)

        def spread(values: list[float]) -> dict:
            return {"max": max(values) if values else None, "mean": round(statistics.fmean(values), 2) if values else None,
                    "last": values[-1] if values else None, "samples_above_zero": sum(1 for v in values if v > 0)}

        closed = [p for p in self.people if p.mode == "close" and p.left is not None and p.kernel_id]
        vanished = [p for p in self.people if p.mode == "vanish" and p.left is not None and p.kernel_id]

        def gone(people: list[Participant]) -> dict:
            after = [p.kernel_gone - p.left for p in people if p.kernel_gone is not None]
            end = self.now()
            alive = [p for p in people if p.kernel_gone is None]
            return {"participants": len(people), "kernel_gone": len(after),
                    "gone_after_leaving_s": {"median": round(statistics.median(after), 1) if after else None,
                                             "p95": round(percentile(after, 95), 1) if after else None,
                                             "max": round(max(after), 1) if after else None},
                    "still_alive_at_end": len(alive),
                    "still_alive_past_close_grace": sum(1 for p in alive if end - p.left > CLOSE_GRACE_S),
                    "still_alive_past_cull_window": sum(1 for p in alive if end - p.left > self.allowance_vanish)}

        failures_by_kind: dict[str, int] = {}
        for f in self.failures:
            failures_by_kind[f["kind"]] = failures_by_kind.get(f["kind"], 0) + 1
        fds = [s["server_fds"] for s in samples if s["server_fds"] is not None]
        usable = [p.usable_s for p in self.people if p.usable_s is not None]
        overdue_max = max((len(s["overdue_kernels"]) for s in samples), default=0)
        server_slope = slope("server_rss_mib", steady)
        kernel_slope = slope("kernel_pss_mib_mean", steady)
        server_mean = statistics.fmean([s["server_rss_mib"] for s in steady if s["server_rss_mib"] is not None] or [0])
        verdict_kernels = (
            "no kernel beyond the live participants, the pool and the departed within their allowance"
            if max(adjusted, default=0) <= 0 and overdue_max == 0 else
            f"kernels beyond what the live participants, the pool and recent departures explain: adjusted excess up to "
            f"{max(adjusted, default=0)}, up to {overdue_max} departed participants' kernels alive past the cull window"
        )
        closed_alive = max((s["closed_page_kernels_alive_past_grace"] for s in samples), default=0)
        last = samples[-1] if samples else {}
        verdict_closed = (
            f"closing the page did not free its kernel: up to {closed_alive} kernels of closed pages alive more than "
            f"{CLOSE_GRACE_S} s after the close ({last.get('shutdown_beacons_refused', 0)} of {last.get('shutdown_beacons', 0)} "
            "shutdown beacons refused by the server); they wait for the culler like vanished ones"
            if closed_alive else f"closing the page freed its kernel within {CLOSE_GRACE_S} s"
        )
        span = (steady[-1]["t_s"] - steady[0]["t_s"]) / 3600 if len(steady) > 1 else 0
        grew = server_slope is not None and span > 0 and server_slope * span > max(20.0, 0.1 * server_mean)
        steady_hours = (steady[-1]["t_s"] - steady[0]["t_s"]) / 3600 if len(steady) > 1 else 0
        fitted = (server_slope or 0) * steady_hours
        verdict_memory = (
            f"server RSS {'grows' if grew else 'shows no clear growth'}: slope {server_slope} MiB/h over {steady_hours:.2f} h "
            f"(fitted change {fitted:+.0f} MiB on a mean of {server_mean:.0f} MiB; growth means a fitted change above "
            f"max(20 MiB, 10% of the mean)); mean kernel PSS slope {kernel_slope} MiB/h"
        )
        return {
            "duration_min": round(self.now() / 60, 1),
            "participants": {"joined": len(self.people), "usable": len(usable),
                             "left_closing_the_page": sum(1 for p in self.people if p.mode == "close" and p.left is not None),
                             "left_vanishing": sum(1 for p in self.people if p.mode == "vanish" and p.left is not None),
                             "max_live": max((s["live"] for s in samples), default=0),
                             "arrivals_deferred_by_max_live": self.deferred_arrivals,
                             "usable_s": {"p50": round(percentile(usable, 50), 2) if usable else None,
                                          "p95": round(percentile(usable, 95), 2) if usable else None,
                                          "max": round(max(usable), 2) if usable else None}},
            "max_kernels": max((s["kernels"] for s in samples), default=0),
            "excess_definition": {
                "raw": "kernels - (live participants + pool size)",
                "adjusted": (f"kernels - (live + pool size + participants who left, either way, less than {self.allowance_vanish} s ago "
                             f"(cull_idle_timeout {self.settings.cull_idle_seconds} s + 2 x cull_interval {self.cull_interval} s)): "
                             "positive means a kernel the culler should already have taken"),
                "expecting_closed_pages_freed": (f"kernels - (live + pool size + participants who vanished less than {self.allowance_vanish} s "
                                                 f"ago + participants who closed the page less than {CLOSE_GRACE_S} s ago): positive "
                                                 "also when a closed page's kernel is not shut down by Voila's beforeunload beacon"),
                "note": "the pool is refilled refill_delay s after a seat is taken, so both can dip below zero",
            },
            "excess_raw": spread(raw),
            "excess_adjusted": spread(adjusted),
            "excess_expecting_closed_pages_freed": spread(strict),
            "max_overdue_departed_kernels": overdue_max,
            "departed_kernels": {"closed_the_page": gone(closed), "vanished": gone(vanished)},
            "memory_slope_mib_per_hour": {
                "from_minute": self.args.warmup_minutes if len(steady) != len(samples) else 0,
                "server_rss": server_slope,
                "server_pss": slope("server_pss_mib", steady),
                "mean_kernel_rss": slope("kernel_rss_mib_mean", steady),
                "mean_kernel_pss": kernel_slope,
                "mean_live_kernel_pss": slope("live_kernel_pss_mib_mean", steady),
                "total_kernel_pss": slope("kernel_pss_mib_total", steady),
            },
            "server_rss_mib": {"first": samples[0]["server_rss_mib"] if samples else None,
                               "max": max((s["server_rss_mib"] or 0 for s in samples), default=None),
                               "last": samples[-1]["server_rss_mib"] if samples else None},
            "server_fds": {"first": fds[0] if fds else None, "max": max(fds) if fds else None, "last": fds[-1] if fds else None,
                           "slope_per_hour": slope("server_fds", steady)},
            "server_log": {k: last.get(k) for k in self.log_counts},
            "failures": len(self.failures),
            "failures_by_kind": failures_by_kind,
            "verdict": {"kernels": verdict_kernels, "closed_pages": verdict_closed, "memory": verdict_memory},
        }

    def write(self, complete: bool) -> dict:
        result = {
            "when": time.strftime("%Y-%m-%d %H:%M"),
            "complete": complete,
            "machine": {"cpus": psutil.cpu_count(), "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
                        "python": platform.python_version(), "platform": platform.platform(),
                        "chromium": getattr(self, "browser_version", None)},
            "settings": {
                "minutes": self.args.minutes, "drain_minutes": self.args.drain_minutes, "seed": self.args.seed,
                "join_every_s": list(self.args.join_every), "stay_s": [60, 480], "max_live": self.args.max_live,
                "sample_every_s": self.args.sample_every, "viewport": [375, 667],
                "join_timeout_s": JOIN_TIMEOUT_S,
                "pool_size": self.settings.pool_size, "max_participants": self.settings.max_participants,
                "refill_delay_s": self.settings.refill_delay, "cull_idle_timeout_s": self.settings.cull_idle_seconds,
                "cull_flags": [f for f in voila_command(self.settings) if "MappingKernelManager" in f],
            },
            "summary": self.summary() if self.samples else None,
            "failures": self.failures,
            "participants": [p.record() for p in self.people],
            "samples": self.samples,
        }
        self.args.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.args.out.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        tmp.replace(self.args.out)
        return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=120, help="how long participants keep coming (default 120)")
    parser.add_argument("--seats", type=int, default=4, help="preheated pool size, as make workshop SEATS (default 4)")
    parser.add_argument("--max-live", type=int, default=6, help="participants on at once at most (default 6)")
    parser.add_argument("--join-every", type=float, nargs=2, default=[20, 40], metavar=("MIN", "MAX"), help="seconds between arrivals")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sample-every", type=float, default=30)
    parser.add_argument("--warmup-minutes", type=float, default=10, help="left out of the memory slopes (default 10)")
    parser.add_argument("--drain-minutes", type=float, default=0, help="after everyone has left, keep watching (default 0)")
    parser.add_argument("--cull-seconds", type=int, default=None, help="override cull_idle_timeout (default: the kit's)")
    parser.add_argument("--out", type=Path, default=KIT / "benchmarks" / "results" / "soak.json")
    args = parser.parse_args()
    chromium = chromium_or_exit()
    tmp = Path(tempfile.mkdtemp(prefix="hs-soak-"))
    settings = ServerSettings(port=free_port(), bind="127.0.0.1", pool_size=args.seats, data=tmp / "data")
    if args.cull_seconds is not None:
        settings.cull_idle_seconds = args.cull_seconds
    server = ServerProcess(settings, tmp / "participant.log").start()
    print(f"Soak: {args.minutes:g} min, pool {settings.pool_size}, at most {args.max_live} live, "
          f"cull after {settings.cull_idle_seconds} s idle; server log {tmp / 'participant.log'}", flush=True)
    soak = None
    try:
        server.wait_until_listening()
        server.wait_until_warm(timeout=60 + 20 * settings.pool_size)
        soak = Soak(args, server, chromium)
        asyncio.run(soak.run())
    except KeyboardInterrupt:
        print("interrupted; writing what was measured", flush=True)
    finally:
        if soak is not None and soak.samples:
            result = soak.write(complete=True)
        server.stop()
    if soak is None or not soak.samples:
        return 1
    s = result["summary"]
    print()
    print(f"{s['duration_min']} min, {s['participants']['joined']} participants "
          f"({s['participants']['left_closing_the_page']} closed the page, {s['participants']['left_vanishing']} vanished), "
          f"max live {s['participants']['max_live']}, join p95 {s['participants']['usable_s']['p95']} s")
    print(f"kernels: max {s['max_kernels']}; excess raw max {s['excess_raw']['max']} (last {s['excess_raw']['last']}), "
          f"allowing the cull window max {s['excess_adjusted']['max']} (last {s['excess_adjusted']['last']}), "
          f"expecting closed pages freed max {s['excess_expecting_closed_pages_freed']['max']}")
    d = s["departed_kernels"]
    print(f"closed pages: {d['closed_the_page']['kernel_gone']}/{d['closed_the_page']['participants']} kernels gone, "
          f"median {d['closed_the_page']['gone_after_leaving_s']['median']} s after leaving; vanished: "
          f"{d['vanished']['kernel_gone']}/{d['vanished']['participants']} gone (max {d['vanished']['gone_after_leaving_s']['max']} s), "
          f"{d['vanished']['still_alive_past_cull_window'] + d['closed_the_page']['still_alive_past_cull_window']} past the cull window; "
          f"shutdown beacons {s['server_log']['shutdown_beacons']} ({s['server_log']['shutdown_beacons_refused']} refused), "
          f"cull log lines {s['server_log']['culled_log_lines']}")
    m = s["memory_slope_mib_per_hour"]
    print(f"memory slope (MiB/h, from minute {m['from_minute']}): server RSS {m['server_rss']}, mean kernel PSS {m['mean_kernel_pss']}; "
          f"server fds {s['server_fds']['first']} -> {s['server_fds']['last']} (max {s['server_fds']['max']})")
    print(f"failures: {s['failures']} {s['failures_by_kind']}")
    for key, text in s["verdict"].items():
        print(f"verdict ({key}): {text}")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
