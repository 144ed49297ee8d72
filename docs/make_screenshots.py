"""Screenshots of every theme of the participant app at phone size (375×667) for docs/screenshots/.

Starts the real participant server with the kit's launcher code and drives the system Chromium:

    python docs/make_screenshots.py [--out docs/screenshots] [--width 375 --height 667]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

KIT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(KIT / "tests"))
from conftest import CHROMIUM_ARGS, find_chromium  # noqa: E402

from workshop import content  # noqa: E402
from workshop.serving.server import ServerProcess, ServerSettings, free_port  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=KIT / "docs" / "screenshots")
    parser.add_argument("--width", type=int, default=375)
    parser.add_argument("--height", type=int, default=667)
    args = parser.parse_args()
    chromium = find_chromium()
    if chromium is None:
        print("Chromium was not found: sudo apt-get install chromium", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="hs-shots-"))
    settings = ServerSettings(port=free_port(), bind="127.0.0.1", pool_size=1, data=tmp / "data")
    themes = content.load_themes()
    with ServerProcess(settings, tmp / "data" / "participant.log").start() as server:
        server.wait_until_listening()
        server.wait_until_warm()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": args.width, "height": args.height})
            page.goto(settings.join_url)
            page.locator(".hs-app .hs-next").wait_for(timeout=60_000)
            for n, theme in enumerate(themes):
                page.locator(f'[data-hs-page="{n}"]').wait_for()
                page.wait_for_timeout(400)
                page.screenshot(path=str(args.out / f"{theme.key}.png"))
                exercise = page.locator(".hs-stage .hs-exercise").first
                if exercise.count():
                    exercise.scroll_into_view_if_needed()
                    page.evaluate("() => document.getElementById('rendered_cells').scrollBy(0, -110)")
                    page.wait_for_timeout(300)
                    page.screenshot(path=str(args.out / f"{theme.key}-exercise.png"))
                if n < len(themes) - 1:
                    page.locator(".hs-nav .hs-next").click()
            page.locator(".hs-moment-button").click()
            page.locator('[data-hs-page="-1"]').wait_for()
            page.wait_for_timeout(400)
            page.screenshot(path=str(args.out / "i-need-a-moment.png"))
            page.locator(".hs-return").click()
            page.locator(".hs-help-button").click()
            page.wait_for_timeout(400)
            page.screenshot(path=str(args.out / "help-now.png"))
            browser.close()
    print(f"screenshots written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
