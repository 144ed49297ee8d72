"""Join storm: N participants open the join address within two seconds, side by side with plain Voila.

For each N, the kit's participant server (preheated kernels, pool sized to N as `make workshop
SEATS=N` would) and a plain Voila serving the theme notebooks one per page (the way a newcomer
would serve them) each get N Playwright browser contexts in the system Chromium. Recorded per
participant: time-to-interactive (the check-in's first feeling word usable), failures, and for
the kit the memory of each participant's kernel; for plain Voila also the "next theme" (a new
page and kernel). Writes ``benchmarks/results/join_storm.json``.

    python benchmarks/join_storm.py --n 1 10 30 60
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import secrets
import statistics
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


async def storm(chromium: str, n: int, url: str, host: str, next_url: str | None) -> list[dict]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        results = await asyncio.gather(*(visit(browser, url, 2.0 * i / max(n, 1), host, next_url) for i in range(n)))
        await asyncio.sleep(1.0)
        return results, browser


def run_kit(chromium: str, n: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"hs-storm-{n}-"))
    settings = ServerSettings(port=free_port(), bind="127.0.0.1", pool_size=n, max_participants=max(60, n), data=tmp / "data")
    server = ServerProcess(settings, tmp / "p.log").start()
    try:
        server.wait_until_listening()
        warm_start = time.monotonic()
        server.wait_until_warm(timeout=120 + 10 * n)
        warm_up = time.monotonic() - warm_start

        async def go():
            results, browser = await storm(chromium, n, settings.join_url, f"127.0.0.1:{settings.port}", None)
            ids = {r.get("kernel_id") for r in results if r.get("kernel_id")}
            memory = kernel_memory(server.kernel_processes(), ids)
            await browser.close()
            return results, memory

        results, memory = asyncio.run(go())
    finally:
        server.stop()
    ok = [r["tti"] for r in results if r["ok"]]
    return {"n": n, "warm_up_s": round(warm_up, 1), "failures": n - len(ok), "tti_s": summary(ok),
            "kernel_rss_mib": summary(memory), "third_party_requests": sum(r["third_party"] for r in results)}


def run_plain(chromium: str, n: int) -> dict:
    plain = PlainVoila(Path(tempfile.mkdtemp(prefix=f"hs-plain-{n}-")))
    try:
        plain.wait()

        async def go():
            results, browser = await storm(chromium, n, plain.url("00_welcome.ipynb"), f"127.0.0.1:{plain.port}",
                                           plain.url("01_the_pain_behind_the_request.ipynb"))
            memory = kernel_memory(plain.kernels(), set())
            await browser.close()
            return results, memory

        results, memory = asyncio.run(go())
    finally:
        plain.stop()
    ok = [r["tti"] for r in results if r["ok"]]
    nxt = [r["next_theme"] for r in results if r.get("next_theme") is not None]
    return {"n": n, "failures": n - len(ok), "tti_s": summary(ok), "next_theme_s": summary(nxt),
            "kernel_rss_mib": summary(memory), "third_party_requests": sum(r["third_party"] for r in results)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1, 10, 30, 60])
    parser.add_argument("--no-plain", action="store_true", help="skip the plain Voila comparison")
    parser.add_argument("--out", type=Path, default=KIT / "benchmarks" / "results" / "join_storm.json")
    args = parser.parse_args()
    chromium = chromium_or_exit()
    runs = []
    for n in args.n:
        row = {"n": n, "kit": run_kit(chromium, n)}
        if not args.no_plain:
            row["plain_voila"] = run_plain(chromium, n)
        runs.append(row)
        kit = row["kit"]
        line = f"N={n:>3}  kit: p95 TTI {kit['tti_s']['p95']} s, failures {kit['failures']}, kernel RSS p50 {kit['kernel_rss_mib']['p50']} MiB"
        if "plain_voila" in row:
            plain = row["plain_voila"]
            line += f" | plain Voila: p95 TTI {plain['tti_s']['p95']} s, failures {plain['failures']}, next theme p95 {plain['next_theme_s']['p95']} s"
        print(line, flush=True)
    one = next((r for r in runs if r["n"] == 1), None)
    result = {
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "machine": {"cpus": psutil.cpu_count(), "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
                    "python": platform.python_version()},
        "baseline_tti_s": one["kit"]["tti_s"]["p50"] if one else None,
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
