"""Next theme: time from clicking Next until the next theme is usable, the kit beside plain Voila.

The kit: one participant on an idle server clicks Next and Back (``--clicks`` times), reading
each theme for ``--read`` seconds as a participant would (the kernel builds the next theme out
of sight meanwhile); timed in the page from the click until the new theme's heading is there.
Plain Voila (the theme notebooks one per page): the next theme is the next notebook's page, a
new kernel that runs the notebook; timed from the click on a link to it until its first exercise
is usable. Writes ``benchmarks/results/next_theme.json``.

    python benchmarks/next_theme.py [--clicks 20] [--read 4] [--plain-visits 7]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import psutil
from playwright.sync_api import sync_playwright

KIT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(KIT / "benchmarks"))
from common import CHROMIUM_ARGS, chromium_or_exit, percentile  # noqa: E402
from join_storm import READY, PlainVoila  # noqa: E402
from single_participant import NEXT_AND_WAIT  # noqa: E402

from workshop import content  # noqa: E402
from workshop.serving.server import ServerProcess, ServerSettings, free_port  # noqa: E402

# a plain Voila page is usable when its notebook has run and its widgets are drawn
PLAIN_USABLE = "() => !!document.querySelector('.jupyter-widgets button, .jupyter-widgets textarea')"


def figures(values: list[float]) -> dict:
    return {"count": len(values), "p50": round(percentile(values, 50), 1), "p95": round(percentile(values, 95), 1),
            "max": round(max(values), 1)}


def kit(chromium: str, clicks: int, read: float) -> list[float]:
    tmp = Path(tempfile.mkdtemp(prefix="hs-next-"))
    settings = ServerSettings(port=free_port(), bind="127.0.0.1", pool_size=1, data=tmp / "data")
    times: list[float] = []
    with ServerProcess(settings, tmp / "p.log").start() as server:
        server.wait_until_listening()
        server.wait_until_warm()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 375, "height": 667}).new_page()
            page.goto(settings.join_url)
            page.locator(READY).first.wait_for(timeout=120_000)
            time.sleep(read)
            last = len(content.load_themes()) - 1
            position = 0
            for _ in range(clicks):
                forward = position < last
                times.append(page.evaluate(NEXT_AND_WAIT % ('"hs-next"' if forward else '"hs-back"')))
                position += 1 if forward else -1
                if position == last:  # walk back down, then up again
                    while position > 0:
                        page.evaluate(NEXT_AND_WAIT % '"hs-back"')
                        position -= 1
                time.sleep(read)
            browser.close()
    return times


def plain(chromium: str, visits: int) -> list[float]:
    notebooks = sorted(p.name for p in (KIT / "notebooks").glob("0*.ipynb"))
    server = PlainVoila(Path(tempfile.mkdtemp(prefix="hs-plain-next-"))).start()
    times: list[float] = []
    try:
        server.wait()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 375, "height": 667}).new_page()
            page.goto(server.url(notebooks[0]))
            page.wait_for_function(PLAIN_USABLE, timeout=120_000)
            for name in notebooks[1 : visits + 1]:
                start = time.perf_counter()
                page.evaluate("(url) => { window.location.href = url; }", server.url(name))
                page.wait_for_url(f"**/{name}*", timeout=120_000)
                page.wait_for_function(PLAIN_USABLE, timeout=120_000)
                times.append((time.perf_counter() - start) * 1000)
            browser.close()
    finally:
        server.stop()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=20)
    parser.add_argument("--read", type=float, default=4.0, help="seconds on each theme before moving on (default 4)")
    parser.add_argument("--plain-visits", type=int, default=7, help="next-notebook visits with plain Voila (default 7)")
    parser.add_argument("--out", type=Path, default=KIT / "benchmarks" / "results" / "next_theme.json")
    args = parser.parse_args()
    chromium = chromium_or_exit()
    ours, theirs = kit(chromium, args.clicks, args.read), plain(chromium, args.plain_visits)
    result = {
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "machine": {"cpus": psutil.cpu_count(), "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
                    "python": platform.python_version()},
        "read_s": args.read,
        "kit_ms": figures(ours),
        "plain_voila_ms": figures(theirs),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"next theme, kit: p50 {result['kit_ms']['p50']} ms, p95 {result['kit_ms']['p95']} ms "
          f"| plain Voila: p50 {result['plain_voila_ms']['p50']} ms, p95 {result['plain_voila_ms']['p95']} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
