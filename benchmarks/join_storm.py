"""Join storm: N participants open the join address within two seconds, side by side with plain Voila.

For each N, the kit's participant server (preheated kernels, pool sized to N as `make workshop
SEATS=N` would) and a plain Voila serving the theme notebooks one per page (the way a newcomer
would serve them) each get N participants arriving within two seconds, twice:

- ``browser``: N Playwright browser contexts in the system Chromium. Recorded per participant:
  time-to-interactive (the check-in's first feeling word usable), failures; for plain Voila also
  the "next theme" (a new page and kernel).
- ``phone``: N browserless participants (``benchmarks/phone.py``) that send the server what one
  Chromium visit sent: the page, every static asset, the widget state, the first update. In a
  room every phone has its own processor; here N Chromium pages share the server's two cores, so
  the browser storm measures the browsers as much as the server. The phone storm measures the
  server alone.

For each storm, the CPU seconds the server (Voila and its kernels) and the clients (Chromium, or
the phones' process) used, and the memory of each participant's kernel. Writes
``benchmarks/results/join_storm.json``.

    python benchmarks/join_storm.py --n 1 10 30 60            # both kinds of client, kit and plain
    python benchmarks/join_storm.py --n 30 --clients phone    # the server alone, quicker
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import psutil
from playwright.async_api import async_playwright

KIT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(KIT / "benchmarks"))
from common import CHROMIUM_ARGS, chromium_or_exit, percentile  # noqa: E402
from phone import Phone, record_assets  # noqa: E402

from workshop.serving.server import ServerProcess, ServerSettings, free_port, server_environment  # noqa: E402

READY = ".hs-checkin .hs-chip"
MIB = 2**20




def summary(values: list[float]) -> dict:
    return {
        "p50": round(percentile(values, 50), 3) if values else None,
        "p95": round(percentile(values, 95), 3) if values else None,
        "max": round(max(values), 3) if values else None,
    }


class PlainVoila:
    """`voila notebooks/` as a newcomer would run it: one notebook per page, no preheating."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.token = secrets.token_urlsafe(12)
        settings = ServerSettings(port=self.port, data=tmp / "data")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "voila", str(KIT / "notebooks"), "--no-browser", f"--port={self.port}",
             "--Voila.ip=127.0.0.1", f"--Voila.token={self.token}"],
            env=server_environment(settings), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.base = f"http://127.0.0.1:{self.port}/"

    def url(self, notebook: str) -> str:
        return f"{self.base}voila/render/{notebook}?token={self.token}"

    def wait(self) -> None:
        import socket

        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError("plain Voila did not start")

    def kernels(self) -> list[psutil.Process]:
        return [c for c in psutil.Process(self.process.pid).children(recursive=True)
                if "ipykernel_launcher" in " ".join(c.cmdline())]

    def stop(self) -> None:
        for child in self.kernels():
            child.kill()
        self.process.kill()
        self.process.wait()


async def visit(browser, url: str, delay: float, host: str, next_url: str | None = None) -> dict:
    await asyncio.sleep(delay)
    context = await browser.new_context(viewport={"width": 375, "height": 667})
    page = await context.new_page()
    foreign: list[str] = []
    page.on("request", lambda r: foreign.append(r.url) if urlsplit(r.url).netloc not in (host, "") else None)
    start = time.perf_counter()
    result: dict = {"ok": False}
    try:
        await page.goto(url, timeout=180_000)
        await page.locator(READY).first.wait_for(state="visible", timeout=180_000)
        await page.wait_for_function(f"() => !document.querySelector('{READY}').disabled", timeout=60_000)
        result = {"ok": True, "tti": time.perf_counter() - start}
        try:
            config = json.loads(await page.locator("#jupyter-config-data").text_content(timeout=5000))
            result["kernel_id"] = config.get("kernelId")
        except Exception:
            pass
        if next_url:  # plain Voila: the next theme is a new page with a new kernel
            start = time.perf_counter()
            await page.goto(next_url, timeout=180_000)
            await page.locator(".jp-RenderedHTMLCommon h1, .hs-stage h1").first.wait_for(timeout=180_000)
            await page.wait_for_load_state("networkidle", timeout=180_000)
            result["next_theme"] = time.perf_counter() - start
    except Exception as error:  # a failure is a figure, not a crash
        result = {"ok": False, "error": type(error).__name__}
    result["third_party"] = len(foreign)
    result["context"] = context
    return result


def kernel_memory(kernels: list[psutil.Process], ids: set[str]) -> list[float]:
    out = []
    for proc in kernels:
        try:
            if not ids or any(i and i in " ".join(proc.cmdline()) for i in ids):
                out.append(proc.memory_full_info().rss / MIB)
        except psutil.Error:
            pass
    return out


def cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for proc in processes:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


class CpuMeter:
    """CPU seconds used by the server (its process and kernels, also kernels born during the storm)
    and by the clients (the Chromium processes, or this process for the phones)."""

    def __init__(self, server_pid: int) -> None:
        self.server = psutil.Process(server_pid)
        self.start = self._server() , self._clients()

    def _server(self) -> dict[int, float]:
        procs = [self.server] + self.server.children(recursive=True)
        return {p.pid: cpu_seconds([p]) for p in procs}

    def _clients(self) -> dict[int, float]:
        me = psutil.Process()
        server = {self.server.pid} | {p.pid for p in self.server.children(recursive=True)}
        procs = [p for p in [me] + me.children(recursive=True) if p.pid not in server]
        return {p.pid: cpu_seconds([p]) for p in procs}

    def used(self) -> dict[str, float]:
        server0, clients0 = self.start
        server1, clients1 = self._server(), self._clients()
        return {"server_cpu_s": round(sum(v - server0.get(k, 0.0) for k, v in server1.items()), 1),
                "clients_cpu_s": round(sum(v - clients0.get(k, 0.0) for k, v in clients1.items()), 1)}


async def storm(chromium: str, n: int, url: str, host: str, next_url: str | None, meter_pid: int):
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        meter = CpuMeter(meter_pid)
        started = time.perf_counter()
        results = await asyncio.gather(*(visit(browser, url, 2.0 * i / max(n, 1), host, next_url) for i in range(n)))
        wall = time.perf_counter() - started
        cpu = meter.used()  # before the browser closes: its processes are gone after
        await asyncio.sleep(1.0)
        return results, browser, {"wall_s": round(wall, 1), **cpu}


async def phone_storm(n: int, url: str, assets: list[str], meter_pid: int):
    meter = CpuMeter(meter_pid)
    started = time.perf_counter()

    async def one(i: int) -> dict:
        await asyncio.sleep(2.0 * i / max(n, 1))
        return await Phone(url, assets).join()

    results = await asyncio.gather(*(one(i) for i in range(n)))
    return results, {"wall_s": round(time.perf_counter() - started, 1), **meter.used()}


def figures(n: int, results: list[dict], memory: list[float], cpu: dict) -> dict:
    ok = [r["tti"] for r in results if r["ok"]]
    errors = sorted({r.get("error", "") for r in results if not r["ok"]})
    out = {"n": n, "failures": n - len(ok), "tti_s": summary(ok), "kernel_rss_mib": summary(memory), **cpu,
           "server_cpu_s_per_join": round(cpu["server_cpu_s"] / n, 3), "clients_cpu_s_per_join": round(cpu["clients_cpu_s"] / n, 3)}
    if errors:
        out["errors"] = errors[:5]
    if any("third_party" in r for r in results):
        out["third_party_requests"] = sum(r.get("third_party", 0) for r in results)
    nxt = [r["next_theme"] for r in results if r.get("next_theme") is not None]
    if nxt:
        out["next_theme_s"] = summary(nxt)
    return out


def run_kit(chromium: str, n: int, clients: str) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"hs-storm-{n}-"))
    settings = ServerSettings(port=free_port(), bind="127.0.0.1", pool_size=n + (1 if clients == "phone" else 0),
                              max_participants=max(60, n + 1), data=tmp / "data")
    server = ServerProcess(settings, tmp / "p.log").start()
    try:
        server.wait_until_listening()
        warm_start = time.monotonic()
        try:
            server.wait_until_warm(timeout=120 + 10 * n)
        except TimeoutError:  # a seat that never warmed is a figure too: the room starts without it
            print(f"N={n}: only {server.warm_seats} of {settings.pool_size} seats warmed up", file=sys.stderr)
        warm_up = time.monotonic() - warm_start

        async def go():
            host = f"127.0.0.1:{settings.port}"
            if clients == "phone":
                assets = await record_assets(chromium, settings.join_url)  # one real visit; takes one seat
                await asyncio.sleep(2.0)
                results, cpu = await phone_storm(n, settings.join_url, assets, server.process.pid)
            else:
                results, browser, cpu = await storm(chromium, n, settings.join_url, host, None, server.process.pid)
                await browser.close()
            ids = {r.get("kernel_id") for r in results if r.get("kernel_id")}
            return results, kernel_memory(server.kernel_processes(), ids), cpu

        results, memory, cpu = asyncio.run(go())
    finally:
        server.stop()
    return {**figures(n, results, memory, cpu), "warm_up_s": round(warm_up, 1), "warm_seats": server.warm_seats}


def run_plain(chromium: str, n: int, clients: str) -> dict:
    plain = PlainVoila(Path(tempfile.mkdtemp(prefix=f"hs-plain-{n}-")))
    try:
        plain.wait()

        async def go():
            url = plain.url("00_welcome.ipynb")
            if clients == "phone":
                assets = await record_assets(chromium, url)
                await asyncio.sleep(2.0)
                results, cpu = await phone_storm(n, url, assets, plain.process.pid)
            else:
                results, browser, cpu = await storm(chromium, n, url, f"127.0.0.1:{plain.port}",
                                                    plain.url("01_the_pain_behind_the_request.ipynb"), plain.process.pid)
                await browser.close()
            return results, kernel_memory(plain.kernels(), set()), cpu

        results, memory, cpu = asyncio.run(go())
    finally:
        plain.stop()
    return figures(n, results, memory, cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1, 10, 30, 60])
    parser.add_argument("--clients", choices=["browser", "phone", "both"], default="both",
                        help="Chromium pages, browserless phones, or both (default)")
    parser.add_argument("--no-plain", action="store_true", help="skip the plain Voila comparison")
    parser.add_argument("--out", type=Path, default=KIT / "benchmarks" / "results" / "join_storm.json")
    args = parser.parse_args()
    chromium = chromium_or_exit()
    runs = []
    kinds = ["browser", "phone"] if args.clients == "both" else [args.clients]
    for n in args.n:
        for kind in kinds:
            row = {"n": n, "clients": kind, "kit": run_kit(chromium, n, kind)}
            if not args.no_plain:
                row["plain_voila"] = run_plain(chromium, n, kind)
            runs.append(row)
            for name in ("kit", "plain_voila"):
                if name in row:
                    f = row[name]
                    print(f"N={n:>3} {kind:<7} {name:<11}: p50 {f['tti_s']['p50']} s, p95 {f['tti_s']['p95']} s, "
                          f"failures {f['failures']}, kernel RSS p50 {f['kernel_rss_mib']['p50']} MiB, "
                          f"CPU s per join: server {f['server_cpu_s_per_join']}, clients {f['clients_cpu_s_per_join']}"
                          + (f", next theme p95 {f['next_theme_s']['p95']} s" if "next_theme_s" in f else ""), flush=True)
    one = {r["clients"]: r for r in runs if r["n"] == 1}
    result = {
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "machine": {"cpus": psutil.cpu_count(), "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
                    "python": platform.python_version()},
        "baseline_tti_s": {kind: row["kit"]["tti_s"]["p50"] for kind, row in one.items()},
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
