"""A whole group session as a therapist runs it: the workshop started by the README's own command with
its default options, the console at a laptop's 1280×800, and six participants (phones at 320 and
375 px, one laptop) following the facilitator through every theme, answering, sharing, and the data
exported and purged at the end.

Other browser tests start the servers with test settings (a small warm pool refilled at once); a
defect that shows only with the defaults a facilitator gets, or only in a group session, is caught
here.
"""

from __future__ import annotations

import csv
import io
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from playwright.sync_api import Browser, Page, expect

from workshop import content
from workshop.serving.server import free_port

from .helpers import sideways

pytestmark = pytest.mark.browser
#: participants' screens: three phone sizes and a laptop; six people, more than the default k = 5
SCREENS = [(320, 568), (375, 667), (375, 667), (390, 844), (375, 667), (1280, 800)]


class Workshop:
    """``holding-space workshop`` as ``make workshop`` runs it, on free ports, with its own data folder."""

    def __init__(self, tmp: Path) -> None:
        self.data = tmp / "data"
        self.port, self.console_port = free_port(), free_port()
        env = {**os.environ, "HOLDING_SPACE_DATA": str(self.data)}
        env.pop("HOLDING_SPACE_STRICT", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "workshop.cli", "workshop", "--port", str(self.port), "--console-port", str(self.console_port)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.output = ""
        deadline = time.monotonic() + 180
        while "Press Ctrl-C" not in self.output:
            line = self.process.stdout.readline()
            if not line or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"the workshop did not start:\n{self.output}")
            self.output += line
        self.console_url = re.search(rf"http://127\.0\.0\.1:{self.console_port}/\?token=[\w-]+", self.output).group(0)

    def logs(self) -> str:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace") for path in sorted((self.data / "logs").glob("*.log")))

    def stop(self) -> list[psutil.Process]:
        """Ctrl-C; returns the processes it had started that are still running afterwards."""
        try:
            started = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.Error:
            started = []
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
        time.sleep(1)
        return [p for p in started if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


@pytest.fixture
def workshop(tmp_path: Path):
    running = Workshop(tmp_path)
    yield running
    running.stop()


def heading(page: Page):
    return page.locator(".hs-stage h1")


def test_a_group_of_six_follows_the_facilitator_through_every_theme(browser: Browser, workshop: Workshop, tmp_path: Path):
    """With the README's default command: can six people join from the console's link, consent, follow the
    facilitator through all eight themes, with every page fitting their screen, see their
    choices in the console as a chart (k = 5) on the first screen, share takeaways the console shows as
    text, and is the export sorted, the purge complete, no traceback logged, and nothing left running?"""
    texts = content.ui_text()
    themes = content.load_themes()
    words = content.feelings()
    items = content.stirs_up()

    console = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    console.goto(workshop.console_url)
    expect(console.locator(".hs-console")).to_be_visible(timeout=120_000)
    console.get_by_role("button", name=texts["console_start"]).click()  # a group, k = 5: the defaults
    link = console.locator(".hs-console-url a")
    expect(link).to_be_visible(timeout=30_000)
    url = link.get_attribute("href")
    expect(console.locator(".hs-console-code")).to_contain_text("k\u00a0=\u00a05")

    people = [browser.new_context(viewport={"width": w, "height": h}).new_page() for w, h in SCREENS]
    for person in people:  # everyone opens the link at about the same time; the loading page shows at once
        person.goto(url, wait_until="commit", timeout=60_000)
    for person, (width, _) in zip(people, SCREENS, strict=False):
        expect(person.locator(".hs-consent")).to_be_visible(timeout=120_000)
        assert not (found := sideways(person)), f"{width} px, the consent step: {found}"
        person.get_by_role("button", name=texts["consent_share"]).click()
    expect(console.locator(".hs-console-present")).to_contain_text(f"{len(people)} here", timeout=30_000)

    for n, theme in enumerate(themes):  # how fast a move is, benchmarks/follow.py measures; here: that it happens
        if n:
            console.get_by_role("button", name=f"{theme.number}. {theme.title}").click()
        for person, (width, _) in zip(people, SCREENS, strict=False):
            expect(heading(person)).to_have_text(theme.title, timeout=30_000)
            assert not (found := sideways(person)), f"{width} px, {theme.key}: {found}"
        for i, person in enumerate(people):
            if theme.key.startswith("00_"):
                person.get_by_role("button", name=words[i % 3], exact=True).click()
            elif theme.key.startswith("01_"):
                person.get_by_role("button", name=items[i % 2].text).click()
            elif theme.key.startswith("07_"):
                person.locator(".hs-writing textarea").fill(f"<b>one thing</b> from person {i}")
                person.locator(".hs-writing .hs-share input").check()
        if theme.key.startswith("01_"):
            chart = console.locator(".hs-console-answers svg.hs-chart").first
            expect(console.locator(".hs-console-answers .hs-chart-summary").first).to_contain_text(
                f"({len(people)} people)", timeout=30_000)
            assert chart.bounding_box()["y"] < 600, "the chart is not on the console's first screen"
            expect(console.locator(".hs-console-answers .hs-chart-summary").first).to_contain_text(f"{items[0].text}: 3")

    shared = console.locator(".hs-shared-text")
    expect(shared).to_have_count(len(people), timeout=30_000)
    expect(shared.first).to_contain_text("<b>one thing</b>")  # shown as text, never as markup
    assert not (found := sideways(console)), f"the console: {found}"

    with console.expect_download() as download:
        console.get_by_role("button", name=texts["console_export"]).click()
    saved = tmp_path / "export.csv"
    download.value.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
    keys = [(row["exercise"], row["field"], row["value"]) for row in rows]
    assert keys == sorted(keys) and len(rows) >= 3 * len(people)
    console.get_by_role("button", name=texts["console_purge"]).click()
    console.get_by_role("button", name=texts["console_purge_confirm"]).click()
    for person in people:
        expect(person.locator(".hs-notice")).to_contain_text(texts["session_ended"][:30], timeout=15_000)
        assert "Traceback" not in person.locator("body").inner_text()
    raw = b"".join(p.read_bytes() for p in workshop.data.glob("holding-space.sqlite*"))
    assert b"one thing" not in raw

    logs = workshop.logs()
    assert "Traceback" not in logs, logs[logs.index("Traceback") - 500:][:3000]
    for page in [*people, console]:
        page.context.close()
    assert workshop.stop() == [], "the workshop left processes running after Ctrl-C"
