"""Join storm: N participants open the join address within two seconds, on three kinds of server.

Three kinds of server, each started afresh for every storm so storms do not disturb each other:

- ``readme``: the kit exactly as a newcomer starts it with ``make workshop``: the command
  ``python -m workshop.cli workshop`` with its default options (warm seats for the room, sized from the cap of 60 and the free memory,
  every network), only the two ports and the data folder (``HOLDING_SPACE_DATA``, a fresh temporary
  folder) moved so it clashes with nothing. The join address is read the way the command prints
  it, once it says the seats are warm. Its CPU is the participant server's process tree; the
  facilitator console (the command's other server) and the command itself are reported apart.
- ``kit``: the participant server with the warm pool sized to N (``make workshop SEATS=N``, the
  cap raised to N so every participant is let in), waited for until every seat is warm.
- ``plain``: ``voila notebooks/`` as a newcomer would serve the theme notebooks without the kit:
  one notebook per page, no preheating (key ``plain_voila`` in the results).

And three kinds of client, arriving within two seconds:

- ``phone``: N browserless participants (``benchmarks/phone.py``) that send the server what one
  Chromium visit sent: the page, every static asset, the widget state, the first update. In a
  room every phone has its own processor; here N Chromium pages would share the server's two
  cores, so the phone storm measures the server alone.
- ``browser``: N Playwright browser contexts in the system Chromium, to time-to-interactive (the
  check-in's first feeling word usable); for plain Voila also the "next theme" (a new page and
  kernel).
- ``throttled``: one Chromium participant with its CPU slowed 4 times (DevTools
  ``Emulation.setCPUThrottlingRate``): a low-end phone. Results under ``browser_cpu4x``.

Past the room's cap the kit answers with a "the room is full" page (503): counted as
``room_full``, not as a failure. Per storm: p50/p95/max time-to-interactive, failures, room_full,
the ratio of p95 to the same kind's N = 1 p95, the server's CPU seconds (its process and every
descendant, kernels started or forked during the storm included), the clients' CPU seconds, and
each participant's kernel memory as RSS and PSS. Writes ``benchmarks/results/join_storm.json``
after every storm.

    python benchmarks/join_storm.py                                   # the full run (hours)
    python benchmarks/join_storm.py --kinds readme --n 1 30 --clients phone
    python benchmarks/join_storm.py --phone-n 1 3 --clients phone throttled --out /tmp/storm.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import psutil
from playwright.async_api import async_playwright

KIT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(KIT / "benchmarks"))
from common import CHROMIUM_ARGS, chromium_or_exit, descendants, kernel_processes, percentile  # noqa: E402
from phone import Phone, is_room_full, record_assets  # noqa: E402

from workshop.serving.server import JUPYTER_DIR, ServerProcess, ServerSettings, free_port, server_environment  # noqa: E402

READY = ".hs-checkin .hs-chip"
MIB = 2**20
KINDS = ("readme", "kit", "plain")
#: the key each kind's figures have in a run of the results (plain Voila's kept from before)
KEY = {"readme": "readme", "kit": "kit", "plain": "plain_voila"}
CLIENTS = ("phone", "browser", "throttled")
THROTTLED = "browser_cpu4x"
#: a fresh server is let settle this long after it says it is ready, before the storm
SETTLE_S = 2.0
#: after a storm, the server is done with it once its tree used less than SETTLE_BELOW of one core over
#: SETTLE_WINDOW_S seconds (warming one seat keeps a core busy; idle kernels use next to nothing)
SETTLE_WINDOW_S = 2.0
SETTLE_BELOW = 0.15
SETTLE_AT_MOST_S = 90.0


def summary(values: list[float]) -> dict:
    return {
        "p50": round(percentile(values, 50), 3) if values else None,
        "p95": round(percentile(values, 95), 3) if values else None,
        "max": round(max(values), 3) if values else None,
    }


def kill_all(processes: list[psutil.Process]) -> None:
    for proc in processes:
        try:
            proc.kill()
        except psutil.Error:
            pass


# ---------------------------------------------------------------------------------------- servers
class Server:
    """What a storm needs of a server: where to join, which process is the server, how to stop it."""

    kind = ""
    join_url = ""
    next_url: str | None = None

    def start(self) -> Server:
        raise NotImplementedError

    def server_pid(self) -> int:
        raise NotImplementedError

    def cpu_groups(self) -> dict[str, tuple[int, bool]]:
        """name: (pid, with its descendants) of each process tree whose CPU is reported. ``server`` is the
        server with its kernels (and seat template); ``server_process`` the server's own process alone (its
        one Tornado thread: pages, static files, websockets), part of ``server``."""
        return {"server": (self.server_pid(), True), "server_process": (self.server_pid(), False)}

    def info(self) -> dict:
        return {}

    def stop(self) -> None:
        raise NotImplementedError


class ReadmeWorkshop(Server):
    """``make workshop`` as a newcomer runs it: the ``workshop`` command, default options.

    Only ``--port`` and ``--console-port`` (free ports) and the data folder (``HOLDING_SPACE_DATA``,
    a fresh temporary folder) differ from ``make workshop``'s, so it clashes with no other workshop.
    """

    kind = "readme"
    URL = re.compile(r"^\s+(https?://\S+\?token=\S+)\s*$")
    WARMING = re.compile(r"Warming up participant seats.*?(\d+)/(\d+)")
    READY_LINE = "Press Ctrl-C"

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.port = free_port("0.0.0.0")
        self.console_port = free_port("0.0.0.0")
        while self.console_port == self.port:
            self.console_port = free_port("0.0.0.0")
        self.command = [sys.executable, "-m", "workshop.cli", "workshop",
                        "--port", str(self.port), "--console-port", str(self.console_port)]
        self.lines: list[str] = []
        self.process: subprocess.Popen | None = None
        self.started = 0.0
        self.ready_s: float | None = None
        self.seats = (0, 0)
        self._tree: list[psutil.Process] = []

    def start(self) -> ReadmeWorkshop:
        env = {**os.environ, "HOLDING_SPACE_DATA": str(self.tmp / "data"), "PYTHONUNBUFFERED": "1"}
        for name in ("HOLDING_SPACE_NOTEBOOKS", "HOLDING_SPACE_CONTENT", "HOLDING_SPACE_STRICT", "PYTEST_CURRENT_TEST"):
            env.pop(name, None)  # the newcomer's kit, not a test's
        self.started = time.monotonic()
        self.process = subprocess.Popen(self.command, cwd=str(KIT), env=env, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        encoding="utf-8", errors="replace", start_new_session=True)
        threading.Thread(target=self._read, name="workshop-cli", daemon=True).start()
        return self

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            line = line.rstrip("\n")
            self.lines.append(line)
            warming = self.WARMING.search(line)
            if warming:
                self.seats = (int(warming.group(1)), int(warming.group(2)))
            url = self.URL.match(line)
            if url and f":{self.port}/" in url.group(1):
                self.join_url = url.group(1)
            if self.READY_LINE in line and self.ready_s is None:
                self.ready_s = time.monotonic() - self.started

    def wait(self, timeout: float = 400) -> None:
        """Until the command printed the join address and said the workshop is running."""
        deadline = time.monotonic() + timeout
        while self.ready_s is None:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError("`workshop.cli workshop` stopped:\n" + "\n".join(self.lines[-30:]))
            if time.monotonic() > deadline:
                raise TimeoutError(f"`workshop.cli workshop` not ready in {timeout:.0f} s:\n" + "\n".join(self.lines[-30:]))
            time.sleep(0.1)
        if not self.join_url:  # not printed as expected: the token is kept in the data folder
            token = json.loads((self.tmp / "data" / "workshop.json").read_text(encoding="utf-8"))["token"]
            self.join_url = f"http://127.0.0.1:{self.port}/?token={token}"
        self._tree = descendants(self.process.pid)

    def _child_serving(self, port: int) -> int:
        assert self.process is not None
        for child in psutil.Process(self.process.pid).children():
            try:
                if f"--port={port}" in child.cmdline():
                    return child.pid
            except psutil.Error:
                continue
        raise RuntimeError(f"no child of the workshop command serves port {port}")

    def server_pid(self) -> int:
        return self._child_serving(self.port)

    def cpu_groups(self) -> dict[str, tuple[int, bool]]:
        assert self.process is not None
        return {**super().cpu_groups(), "console": (self._child_serving(self.console_port), True),
                "launcher": (self.process.pid, False)}

    def info(self) -> dict:
        return {"started_with": "python -m workshop.cli workshop --port P --console-port Q  (HOLDING_SPACE_DATA=<fresh>)",
                "ready_s": round(self.ready_s or 0, 1), "warm_seats": self.seats[0], "seats": self.seats[1]}

    def stop(self) -> None:
        if self.process is None:
            return
        tree = {p.pid: p for p in self._tree + descendants(self.process.pid)}
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal does
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        kill_all(list(tree.values()))  # anything the command left behind


class KitPool(Server):
    """The participant server with its warm pool sized to N (``make workshop SEATS=N``), cap N."""

    kind = "kit"

    def __init__(self, tmp: Path, n: int) -> None:
        self.settings = ServerSettings(port=free_port(), bind="127.0.0.1", pool_size=max(n, 1),
                                       max_participants=max(60, n), data=tmp / "data")
        self.server = ServerProcess(self.settings, tmp / "p.log")
        self.join_url = self.settings.join_url
        self.warm_up_s = 0.0
        self._tree: list[psutil.Process] = []

    def start(self) -> KitPool:
        self.server.start()
        return self

    def wait(self) -> None:
        self.server.wait_until_listening()
        started = time.monotonic()
        try:
            self.server.wait_until_warm(timeout=120 + 10 * self.settings.pool_size)
        except TimeoutError:  # a seat that never warmed is a figure too: the room starts without it
            print(f"kit: only {self.server.warm_seats} of {self.settings.pool_size} seats warmed up", file=sys.stderr)
        self.warm_up_s = time.monotonic() - started
        self._tree = descendants(self.server_pid())

    def server_pid(self) -> int:
        assert self.server.process is not None
        return self.server.process.pid

    def info(self) -> dict:
        return {"warm_up_s": round(self.warm_up_s, 1), "warm_seats": self.server.warm_seats,
                "seats": self.settings.pool_size}

    def stop(self) -> None:
        tree = self._tree + (descendants(self.server_pid()) if self.server.process else [])
        self.server.stop()
        kill_all(tree)


class PlainVoila(Server):
    """`voila notebooks/` as a newcomer would run it: one notebook per page, no preheating."""

    kind = "plain"

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.port = free_port()
        self.token = secrets.token_urlsafe(12)
        self.process: subprocess.Popen | None = None
        self.join_url = self.url("00_welcome.ipynb")
        self.next_url = self.url("01_the_pain_behind_the_request.ipynb")

    def url(self, notebook: str) -> str:
        return f"http://127.0.0.1:{self.port}/voila/render/{notebook}?token={self.token}"

    def start(self) -> PlainVoila:
        settings = ServerSettings(port=self.port, data=self.tmp / "data")
        env = server_environment(settings)
        # Jupyter's own python3 kernelspec, not the kit's (which forks kernels from a warm template):
        # plain Voila starts each kernel as a new Python, as it does for a newcomer
        env["JUPYTER_PATH"] = os.pathsep.join(p for p in env["JUPYTER_PATH"].split(os.pathsep) if p and p != str(JUPYTER_DIR))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "voila", str(KIT / "notebooks"), "--no-browser", f"--port={self.port}",
             "--Voila.ip=127.0.0.1", f"--Voila.token={self.token}"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        return self

    def wait(self) -> None:
        import socket

        for _ in range(600):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError("plain Voila did not start")

    def server_pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        if self.process is None:
            return
        tree = descendants(self.process.pid)
        self.process.kill()
        self.process.wait()
        kill_all(tree)


def make_server(kind: str, n: int) -> Server:
    tmp = Path(tempfile.mkdtemp(prefix=f"hs-storm-{kind}-{n}-"))
    if kind == "readme":
        return ReadmeWorkshop(tmp)
    if kind == "kit":
        return KitPool(tmp, n)
    return PlainVoila(tmp)


# ---------------------------------------------------------------------------------------- measuring
def cpu_of(proc: psutil.Process) -> float | None:
    try:
        times = proc.cpu_times()
        return times.user + times.system
    except psutil.Error:
        return None


class CpuMeter:
    """CPU seconds each named process tree used during the storm, and the clients' (this process
    and its descendants outside those trees: Chromium, or this process for the phones).

    Sampled every half second, so processes that appear during the storm (kernels started or
    forked for newcomers, Chromium's renderers) are counted, even those gone before its end.
    """

    def __init__(self, groups: dict[str, tuple[int, bool]], interval: float = 0.5) -> None:
        self.groups = groups
        self.interval = interval
        self.first: dict[str, dict[tuple[int, float], float]] = {}
        self.last: dict[str, dict[tuple[int, float], float]] = {}
        self._cache: dict[int, psutil.Process] = {}
        self._sample(initial=True)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-meter", daemon=True)
        self._thread.start()

    def _tree(self, pid: int, recursive: bool) -> list[psutil.Process]:
        try:
            root = self._cache.setdefault(pid, psutil.Process(pid))
        except psutil.Error:
            return []
        return [root] + (descendants(pid) if recursive else [])

    def _sample(self, initial: bool = False) -> None:
        seen: set[int] = set()
        trees = {name: self._tree(pid, recursive) for name, (pid, recursive) in self.groups.items()}
        for procs in trees.values():
            seen |= {p.pid for p in procs}
        me = psutil.Process()
        trees["clients"] = [p for p in [me, *descendants(me.pid)] if p.pid not in seen
                            and not any(a.pid in seen for a in self._parents(p))]
        for name, procs in trees.items():
            for proc in procs:
                used = cpu_of(proc)
                if used is None:
                    continue
                try:
                    key = (proc.pid, proc.create_time())
                except psutil.Error:
                    continue
                if initial:
                    self.first.setdefault(name, {})[key] = used
                self.last.setdefault(name, {})[key] = used

    @staticmethod
    def _parents(proc: psutil.Process) -> list[psutil.Process]:
        try:
            return proc.parents()
        except psutil.Error:
            return []

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self._sample()
            except psutil.Error:
                continue

    def totals(self) -> dict[str, float]:
        """CPU seconds each group used since the meter started, from the latest samples."""
        out = {}
        for name, last in list(self.last.items()):
            first = self.first.get(name, {})
            out[f"{name}_cpu_s"] = round(sum(v - first.get(k, 0.0) for k, v in list(last.items())), 2)
        out.setdefault("clients_cpu_s", 0.0)
        return out

    def used(self) -> dict[str, float]:
        """Stop sampling; {"server_cpu_s": …, "clients_cpu_s": …, and one per other tree}."""
        self._stop.set()
        self._thread.join()
        self._sample()
        return self.totals()

    def settle(self, group: str = "server", window_s: float = SETTLE_WINDOW_S, below: float = SETTLE_BELOW,
               at_most_s: float = SETTLE_AT_MOST_S) -> tuple[dict[str, float], float]:
        """What the storm cost once its after-work is done too. A kit that hands out warm seats warms
        new ones after the storm (its notebook run again in a new kernel): work the storm caused that a
        figure taken at the last join leaves out. Keep sampling until ``group`` used less than ``below``
        of one core over ``window_s`` (idle kernels cost next to nothing), at most ``at_most_s``; return
        the totals then and the seconds waited. Call after :meth:`used`."""
        self._stop = threading.Event()
        started = time.monotonic()
        history = [(started, self.totals()[f"{group}_cpu_s"])]
        while time.monotonic() - started < at_most_s:
            time.sleep(self.interval)
            try:
                self._sample()
            except psutil.Error:
                continue
            now = time.monotonic()
            history.append((now, self.totals()[f"{group}_cpu_s"]))
            older = [(t, c) for t, c in history if now - t >= window_s]
            if older:
                t0, c0 = older[-1]
                if (history[-1][1] - c0) / (now - t0) < below:
                    break
        return self.totals(), round(time.monotonic() - started, 1)


def kernel_memory(server_pid: int, ids: set[str]) -> dict:
    """RSS and PSS (MiB) of the participants' kernels: those whose command line names one of their
    kernel ids, or, when none does (kernels forked from the zygote), every kernel of the server."""
    kernels = kernel_processes(server_pid)
    named = []
    for proc in kernels:
        try:
            if ids and any(i in " ".join(proc.cmdline()) for i in ids):
                named.append(proc)
        except psutil.Error:
            continue
    chosen = named or (kernels if ids else [])  # nobody joined: no participant's kernel to measure
    rss, pss = [], []
    for proc in chosen:
        try:
            info = proc.memory_full_info()
        except psutil.Error:
            continue
        rss.append(info.rss / MIB)
        if getattr(info, "pss", None) is not None:
            pss.append(info.pss / MIB)
    # the seat template (zygote) shares its pages with every kernel forked from it: PSS splits those
    # pages among the sharers, so the room's memory is the kernels' PSS and the template's together
    kernel_pids = {proc.pid for proc in kernels}
    helpers = 0.0
    for proc in descendants(server_pid):
        if proc.pid not in kernel_pids:
            try:
                helpers += getattr(proc.memory_full_info(), "pss", 0) / MIB
            except psutil.Error:
                continue
    return {"kernel_rss_mib": summary(rss), "kernel_pss_mib": summary(pss), "zygote_pss_mib": round(helpers, 1),
            "kernel_pss_total_mib": round(sum(pss), 1), "kernels_measured": len(chosen),
            "kernels_of": "participants" if named else ("server (every kernel)" if ids else "none joined"),
            "kernels_alive": len(kernels)}


# ---------------------------------------------------------------------------------------- clients
async def visit(browser, url: str, delay: float, host: str, next_url: str | None = None,
                throttle: float | None = None, timeout_s: float = 180) -> dict:
    await asyncio.sleep(delay)
    context = await browser.new_context(viewport={"width": 375, "height": 667})
    page = await context.new_page()
    if throttle:
        cdp = await context.new_cdp_session(page)
        await cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
    foreign: list[str] = []
    page.on("request", lambda r: foreign.append(r.url) if urlsplit(r.url).netloc not in (host, "") else None)
    ms = timeout_s * 1000
    start = time.perf_counter()
    result: dict = {"ok": False}
    try:
        response = await page.goto(url, timeout=ms)
        if response is not None and response.status == 503 and is_room_full(503, await response.text()):
            result = {"ok": False, "room_full": True, "room_full_s": round(time.perf_counter() - start, 3)}
        else:
            await page.locator(READY).first.wait_for(state="visible", timeout=ms)
            await page.wait_for_function(f"() => !document.querySelector('{READY}').disabled", timeout=60_000)
            result = {"ok": True, "tti": time.perf_counter() - start}
            try:
                config = json.loads(await page.locator("#jupyter-config-data").text_content(timeout=5000))
                result["kernel_id"] = config.get("kernelId")
            except Exception:
                pass
            if next_url:  # plain Voila: the next theme is a new page with a new kernel
                start = time.perf_counter()
                await page.goto(next_url, timeout=ms)
                await page.locator(".jp-RenderedHTMLCommon h1, .hs-stage h1").first.wait_for(timeout=ms)
                await page.wait_for_load_state("networkidle", timeout=ms)
                result["next_theme"] = time.perf_counter() - start
    except Exception as error:  # a failure is a figure, not a crash
        result = {"ok": False, "error": type(error).__name__}
    result["third_party"] = len(foreign)
    result["context"] = context
    return result


async def browser_storm(chromium: str, n: int, server: Server, throttle: float | None, timeout_s: float):
    host = urlsplit(server.join_url).netloc
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        meter = CpuMeter(server.cpu_groups())
        started = time.perf_counter()
        results = await asyncio.gather(*(visit(browser, server.join_url, 2.0 * i / max(n, 1), host, server.next_url,
                                               throttle, timeout_s) for i in range(n)))
        wall = time.perf_counter() - started
        cpu = meter.used()  # before the browser closes: its processes are gone after
        memory = kernel_memory(server.server_pid(), {r["kernel_id"] for r in results if r.get("kernel_id")})
        settled = await asyncio.to_thread(after_work, meter)
        await browser.close()
    return results, memory, {"wall_s": round(wall, 1), **cpu, **settled}


async def phone_storm(n: int, server: Server, assets: list[str], timeout_s: float):
    meter = CpuMeter(server.cpu_groups())
    started = time.perf_counter()

    async def one(i: int) -> dict:
        await asyncio.sleep(2.0 * i / max(n, 1))
        return await Phone(server.join_url, assets, timeout=timeout_s).join()

    results = await asyncio.gather(*(one(i) for i in range(n)))
    wall = time.perf_counter() - started
    cpu = meter.used()
    memory = kernel_memory(server.server_pid(), {r["kernel_id"] for r in results if r.get("kernel_id")})
    return results, memory, {"wall_s": round(wall, 1), **cpu, **await asyncio.to_thread(after_work, meter)}


def after_work(meter: CpuMeter) -> dict:
    """The storm's CPU once the server has done what it caused (warming seats in place of those taken)."""
    settled, waited = meter.settle()
    return {"settled_after_s": waited, **{name.replace("_cpu_s", "_cpu_settled_s"): value for name, value in settled.items()
                                          if name.startswith("server")}}


def figures(n: int, results: list[dict], memory: dict, cpu: dict) -> dict:
    ok = [r["tti"] for r in results if r["ok"]]
    full = [r for r in results if r.get("room_full")]
    admitted = max(n - len(full), 1)
    errors = sorted({r.get("error", "") for r in results if not r["ok"] and not r.get("room_full")})
    out = {"n": n, "joined": len(ok), "failures": n - len(ok) - len(full), "room_full": len(full),
           "tti_s": summary(ok), **memory, **cpu,
           # per participant let in (a "room is full" page costs the server next to nothing)
           # the server's CPU per join, the seats warmed after the storm in place of those taken included;
           # "..._in_storm": only what it used until the last participant was in (the figure before 12-02)
           "server_cpu_s_per_join": round(cpu.get("server_cpu_settled_s", cpu["server_cpu_s"]) / admitted, 3),
           "server_cpu_s_per_join_in_storm": round(cpu["server_cpu_s"] / admitted, 3),
           **({"server_process_cpu_s_per_join": round(cpu["server_process_cpu_settled_s"] / admitted, 3)}
              if "server_process_cpu_settled_s" in cpu else {}),
           "clients_cpu_s_per_join": round(cpu["clients_cpu_s"] / n, 3)}
    if full:
        out["room_full_s"] = summary([r["room_full_s"] for r in full])
    if errors:
        out["errors"] = errors[:5]
    if any("third_party" in r for r in results):
        out["third_party_requests"] = sum(r.get("third_party", 0) for r in results)
    stages = {stage: [r[stage] for r in results if r["ok"] and stage in r] for stage in ("page_s", "assets_s", "states_s")}
    if any(stages.values()):  # a phone's way to interactive: the page, the assets, the widget state
        out["phone_stages_p95_s"] = {stage: summary(v)["p95"] for stage, v in stages.items()}
    nxt = [r["next_theme"] for r in results if r.get("next_theme") is not None]
    if nxt:
        out["next_theme_s"] = summary(nxt)
    return out


# ---------------------------------------------------------------------------------------- running
class Assets:
    """The static URLs one real Chromium visit fetches, recorded once per app on a server of its own
    (the kit's app for readme and kit, a theme notebook for plain), so no storm starts a seat short."""

    def __init__(self, chromium: str) -> None:
        self.chromium = chromium
        self.recorded: dict[str, list[str]] = {}

    def of(self, kind: str) -> list[str]:
        app = "plain" if kind == "plain" else "kit"
        if app not in self.recorded:
            server = make_server(app, 1).start()
            try:
                server.wait()
                self.recorded[app] = asyncio.run(record_assets(self.chromium, server.join_url))
            finally:
                server.stop()
        return self.recorded[app]


def run_storm(chromium: str, kind: str, n: int, clients: str, assets: Assets, throttle: float, timeout_s: float) -> dict:
    recorded = assets.of(kind) if clients == "phone" else []
    server = make_server(kind, n).start()
    try:
        server.wait()
        time.sleep(SETTLE_S)
        load = os.getloadavg()[0]
        if clients == "phone":
            results, memory, cpu = asyncio.run(phone_storm(n, server, recorded, timeout_s))
        else:
            rate = throttle if clients == "throttled" else None
            results, memory, cpu = asyncio.run(browser_storm(chromium, n, server, rate, timeout_s))
        info = server.info()
    finally:
        server.stop()
    return {**figures(n, results, memory, cpu), **info, "load_1min_before": round(load, 2),
            **({"cpu_throttling_rate": throttle} if clients == "throttled" else {})}


def add_ratios(runs: list[dict]) -> dict:
    """p95 / (N = 1 p95 of the same kind and clients) in each run; the throttled participant
    against the same kind's unthrottled Chromium N = 1. Returns the N = 1 p95s."""
    one: dict[str, dict[str, float]] = {}
    for row in runs:
        if row["n"] == 1 and row["clients"] != THROTTLED:
            for key in KEY.values():
                p95 = row.get(key, {}).get("tti_s", {}).get("p95")
                if p95:
                    one.setdefault(row["clients"], {})[key] = p95
    for row in runs:
        base = one.get("browser" if row["clients"] == THROTTLED else row["clients"], {})
        for key in KEY.values():
            f = row.get(key)
            if f is None:
                continue
            p95 = f["tti_s"]["p95"]
            f["p95_vs_n1"] = round(p95 / base[key], 2) if p95 and base.get(key) else None
    return one


def machine() -> dict:
    cpu_model = ""
    try:
        cpu_model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                          if line.startswith("model name")), "")
    except OSError:
        pass
    try:
        chromium = subprocess.run([chromium_or_exit(), "--version"], capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        chromium = ""
    return {"cpus": psutil.cpu_count(), "cpu_model": cpu_model, "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(), "platform": platform.platform(), "chromium": chromium,
            "load_avg_at_start": [round(x, 2) for x in os.getloadavg()]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS),
                        help="readme (make workshop as is), kit (pool sized to N), plain (plain Voila); default all")
    parser.add_argument("--clients", nargs="+", choices=[*CLIENTS, "both"], default=list(CLIENTS),
                        help="phone, browser, throttled (one Chromium at 4x slower CPU); default all; both = phone browser")
    parser.add_argument("--n", type=int, nargs="+", help="N for phones and Chromium alike (overrides the two below)")
    parser.add_argument("--phone-n", type=int, nargs="+", default=[1, 30, 60, 120])
    parser.add_argument("--browser-n", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--throttle", type=float, default=4.0, help="CPU throttling rate of the throttled participant")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds a participant waits before failing")
    parser.add_argument("--no-plain", action="store_true", help="leave plain Voila out (as --kinds without plain)")
    parser.add_argument("--out", type=Path, default=KIT / "benchmarks" / "results" / "join_storm.json")
    args = parser.parse_args()
    chromium = chromium_or_exit()
    kinds = [k for k in args.kinds if not (args.no_plain and k == "plain")]
    clients = list(dict.fromkeys(name for given in args.clients
                                 for name in (("phone", "browser") if given == "both" else (given,))))
    plan: list[tuple[str, int]] = []
    for client in clients:
        ns = [1] if client == "throttled" else (args.n or (args.phone_n if client == "phone" else args.browser_n))
        plan += [(client, n) for n in ns]
    result = {
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "machine": machine(),
        "kinds": {
            "readme": "make workshop as a newcomer runs it: python -m workshop.cli workshop, default options "
                      "(warm seats for the room: auto from the cap and free memory; cap 60; bind 0.0.0.0); only ports and data folder moved",
            "kit": "participant server, warm pool sized to N (SEATS=N), cap max(60, N), every seat warm first",
            "plain_voila": "voila notebooks/: one theme notebook per page, no preheating",
        },
        "runs": [],
    }
    assets = Assets(chromium)
    started = time.monotonic()
    for client, n in plan:
        label = THROTTLED if client == "throttled" else client
        row: dict = {"n": n, "clients": label}
        for kind in kinds:
            f = row[KEY[kind]] = run_storm(chromium, kind, n, client, assets, args.throttle, args.timeout)
            print(f"N={n:>3} {label:<13} {kind:<7}: p50 {f['tti_s']['p50']} s, p95 {f['tti_s']['p95']} s, "
                  f"max {f['tti_s']['max']} s, failures {f['failures']}, room full {f['room_full']}, "
                  f"kernel RSS/PSS p50 {f['kernel_rss_mib']['p50']}/{f['kernel_pss_mib']['p50']} MiB, "
                  f"server CPU {f['server_cpu_s']} s in the storm, {f['server_cpu_s_per_join']} s per join with its "
                  f"after-work ({f.get('settled_after_s')} s more; in the storm {f['server_cpu_s_per_join_in_storm']}), "
                  f"clients {f['clients_cpu_s_per_join']} per join"
                  + (f", console {f['console_cpu_s']} s" if "console_cpu_s" in f else "")
                  + (f", next theme p95 {f['next_theme_s']['p95']} s" if "next_theme_s" in f else "")
                  + (f"; errors {f['errors']}" if "errors" in f else ""), flush=True)
        result["runs"].append(row)
        result["n1_p95_s"] = add_ratios(result["runs"])
        result["baseline_tti_s"] = {r["clients"]: r["kit"]["tti_s"]["p50"] for r in result["runs"]  # as before
                                    if r["n"] == 1 and "kit" in r and r["clients"] != THROTTLED}
        result["duration_min"] = round((time.monotonic() - started) / 60, 1)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")  # after every storm
    print(f"wrote {args.out} ({result.get('duration_min', 0)} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
