"""Screenshots for docs/screenshots/: every theme of the participant app at phone size (375×667),
and a live group session (a participant's phone with its share rows, the console at 1280×800).

Starts the real participant server and console with the kit's launcher code and drives the system
Chromium:

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
from workshop.serving.server import ServerProcess, ServerSettings, console_settings, free_port  # noqa: E402

#: people in the group session shown (more than the default k = 5, so the console shows charts)
GROUP = 6


def group_session(browser, out: Path, tmp: Path, width: int = 375, height: int = 667) -> None:
    """A participant's phone (``width``×``height``) and the facilitator's console at 1280×800 during a group
    session, on a participant server with the README's defaults (warm seats for the room, as
    ``make workshop`` starts it)."""
    texts = content.ui_text()
    themes = content.load_themes()
    items = content.stirs_up()
    participant = ServerSettings(port=free_port(), bind="127.0.0.1", pool_size=4, room_seats=0, data=tmp / "data")
    console = console_settings(free_port(), data=tmp / "data", extra_env={"HOLDING_SPACE_JOIN_BASE": participant.join_url})
    with ServerProcess(participant, tmp / "data" / "group.log").start() as server, \
            ServerProcess(console, tmp / "data" / "console.log").start() as console_server:
        server.wait_until_listening()
        console_server.wait_until_listening()
        server.wait_until_warm(seats=server.wait_until_room_size(), timeout=300)
        facilitator = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        facilitator.goto(console.join_url)
        facilitator.locator(".hs-console").wait_for(timeout=120_000)
        facilitator.get_by_role("button", name=texts["console_start"]).click()
        url = facilitator.locator(".hs-console-url a").get_attribute("href", timeout=30_000)
        people = [browser.new_context(viewport={"width": width, "height": height}).new_page() for _ in range(GROUP)]
        for page in people:
            page.goto(url, wait_until="commit")
        for page in people:
            page.get_by_role("button", name=texts["consent_share"]).click(timeout=120_000)
        facilitator.get_by_role("button", name=f"1. {themes[1].title}").click()
        for n, page in enumerate(people):
            page.locator('[data-hs-page="1"]').wait_for(timeout=30_000)
            for item in (items[n % 3], items[5 + n % 2]):
                page.get_by_role("button", name=item.text).click()
        facilitator.locator(".hs-chart-summary", has_text=f"({GROUP} people)").wait_for(timeout=30_000)
        facilitator.wait_for_timeout(800)
        facilitator.screenshot(path=str(out / "console-group-session.png"))
        phone = people[0]
        phone.locator(".hs-stage .hs-share-row").first.evaluate("row => row.scrollIntoView({block: 'end'})")
        phone.evaluate("() => document.getElementById('rendered_cells').scrollBy(0, 90)")
        phone.wait_for_timeout(400)
        phone.screenshot(path=str(out / "group-participant.png"))
        for page in [*people, facilitator]:
            page.context.close()


def top(page, locator) -> None:
    """Scroll so ``locator`` starts just under the app's sticky header."""
    locator.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.evaluate("() => document.getElementById('rendered_cells').scrollBy(0, -110)")
    page.wait_for_timeout(300)


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
                    top(page, exercise)
                    page.screenshot(path=str(args.out / f"{theme.key}-exercise.png"))
                if n == 0:  # a high rating: the note only the participant sees
                    page.locator(".hs-checkin .hs-scale button", has_text="9").first.click()
                    page.locator(".hs-care").first.wait_for()
                    top(page, page.locator(".hs-scale").first)
                    page.screenshot(path=str(args.out / "check-in-high-rating.png"))
                if n == len(themes) - 1:
                    top(page, page.locator(".hs-takehome").first)
                    page.screenshot(path=str(args.out / "take-home.png"))
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
            top(page, page.locator(".hs-help-panel h3").first)
            page.screenshot(path=str(args.out / "help-now-services.png"))
            group_session(browser, args.out, tmp / "group", args.width, args.height)
            browser.close()
    print(f"screenshots written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
