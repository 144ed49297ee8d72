"""One participant on an idle server: time-to-interactive, next theme, memory, bytes.

A measurement, not a test: it starts the real participant server with the kit's launcher code,
drives the system Chromium with Playwright, and writes figures to
``benchmarks/results/single_participant.json``.

    python benchmarks/single_participant.py [--visits 5] [--clicks 20]
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
from playwright.sync_api import sync_playwright

KIT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(KIT / "benchmarks"))
from common import CHROMIUM_ARGS, chromium_or_exit, percentile  # noqa: E402

from workshop.serving.server import ServerProcess, ServerSettings, free_port  # noqa: E402

MIB = 1024 * 1024

NEXT_AND_WAIT = """async () => {
  const before = document.querySelector('.hs-stage h1')?.dataset.hsPage;
  const button = [...document.querySelectorAll('.hs-nav button')].find(b => !b.disabled && b.classList.contains(%s));
  const t0 = performance.now();
  button.click();
  await new Promise(resolve => {
    const check = () => {
      const h = document.querySelector('.hs-stage h1');
      if (h && h.dataset.hsPage !== before) resolve(); else requestAnimationFrame(check);
    };
    check();
  });
  return performance.now() - t0;
}"""




def kernel_memory(server: ServerProcess, kernel_id: str) -> dict[str, float]:
    for proc in server.kernel_processes():
        if kernel_id in " ".join(proc.cmdline()):
            info = proc.memory_full_info()
            return {"rss_mib": info.rss / MIB, "pss_mib": info.pss / MIB, "uss_mib": info.uss / MIB}
    raise LookupError(f"no kernel process for {kernel_id}")


def idle_pool_memory(server: ServerProcess, busy: set[str]) -> list[float]:
    out = []
    for proc in server.kernel_processes():
        if not any(k in " ".join(proc.cmdline()) for k in busy):
            out.append(proc.memory_full_info().pss / MIB)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=5, help="separate first visits to time (default 5)")
    parser.add_argument("--clicks", type=int, default=20, help="Next/Back clicks to time (default 20)")
    parser.add_argument("--out", type=Path, default=KIT / "benchmarks" / "results" / "single_participant.json")
    args = parser.parse_args()
    chromium = chromium_or_exit()

    tmp = Path(tempfile.mkdtemp(prefix="hs-bench-"))
    # the room as make workshop keeps it: warm seats for the room (auto), four first
    settings = ServerSettings(port=free_port(), bind="127.0.0.1", pool_size=4, room_seats=0, data=tmp / "data")
    server = ServerProcess(settings, tmp / "data" / "participant.log").start()
    tti, first_bytes, requests_count, next_ms, memory = [], [], [], [], []
    try:
        server.wait_until_listening()
        room = server.wait_until_room_size()
        server.wait_until_warm(seats=room, timeout=300)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            for visit in range(args.visits):
                server.wait_until_warm(seats=room + visit, timeout=120)  # an idle server: the taken seat replaced
                time.sleep(1.0)
                context = browser.new_context(viewport={"width": 375, "height": 667})
                page = context.new_page()
                sizes: list[int] = []
                hosts: set[str] = set()

                def on_finished(request, sizes=sizes, hosts=hosts):
                    hosts.add(request.url.split("/")[2] if "://" in request.url else "")
                    try:
                        s = request.sizes()
                        sizes.append(s["responseBodySize"] + s["responseHeadersSize"])
                    except Exception:
                        pass

                page.on("requestfinished", on_finished)
                start = time.perf_counter()
                page.goto(settings.join_url)
                page.locator(".hs-checkin .hs-chip").first.wait_for(state="visible", timeout=60_000)
                page.wait_for_function("() => !document.querySelector('.hs-checkin .hs-chip').disabled")
                tti.append(time.perf_counter() - start)
                page.wait_for_load_state("networkidle")
                first_bytes.append(sum(sizes))
                requests_count.append(len(sizes))
                config = json.loads(page.locator("#jupyter-config-data").text_content())
                kernel_id = config["kernelId"]
                # one exercise done, then Next and Back repeatedly
                page.locator(".hs-chip").first.click()
                page.locator(".hs-scale button", has_text=re.compile(r"^5$")).click()
                if visit == 0:
                    for i in range(args.clicks):
                        direction = '"hs-next"' if i % 2 == 0 else '"hs-back"'
                        next_ms.append(page.evaluate(NEXT_AND_WAIT % direction))
                time.sleep(0.5)
                memory.append(kernel_memory(server, kernel_id))
                page.close(run_before_unload=True)  # as a closing tab: Voila shuts the kernel
                context.close()
            browser.close()
        all_pss = idle_pool_memory(server, busy=set())
        seat_ages = [float(m) for m in re.findall(r"seat ready (\d+\.\d+) s after its kernel started", server.log_text())]
        forked = server.template_process() is not None
    finally:
        server.stop()

    result = {
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "machine": {
            "cpus": psutil.cpu_count(),
            "memory_gib": round(psutil.virtual_memory().total / 1024**3, 1),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "visits": args.visits,
        "time_to_interactive_s": {
            "values": [round(v, 3) for v in tti],
            "median": round(statistics.median(tti), 3),
            "max": round(max(tti), 3),
        },
        "next_theme_ms": {
            "count": len(next_ms),
            "p50": round(percentile(next_ms, 50), 1),
            "p95": round(percentile(next_ms, 95), 1),
            "max": round(max(next_ms), 1),
        },
        "participant_kernel_mib": {
            key: round(statistics.median(m[key] for m in memory), 1) for key in ("rss_mib", "pss_mib", "uss_mib")
        },
        "every_kernel_at_end_pss_mib": [round(v, 1) for v in all_pss],
        # each seat's own words in the server log: from its kernel's start (its fork) until the app was
        # built and it waited for a visitor; the seats here warm one at a time, after each visit
        "seat_ready_s": {
            "values": seat_ages,
            "median": round(statistics.median(seat_ages), 2) if seat_ages else None,
            "max": max(seat_ages) if seat_ages else None,
        },
        "kernels_forked": forked,
        "first_visit": {
            "bytes_median": int(statistics.median(first_bytes)),
            "requests_median": int(statistics.median(requests_count)),
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
