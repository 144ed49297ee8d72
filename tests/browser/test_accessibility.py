"""Accessibility: axe-core on every page of the participant app and the facilitator console, a
keyboard-only walk through all eight themes, charts with a text alternative, and the console at
phone width. axe-core comes bundled with the axe-playwright-python package, so nothing is fetched."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from workshop import content

from ..conftest import start_room
from .helpers import open_console

pytestmark = pytest.mark.browser

#: impacts that fail a test (axe also reports "moderate" and "minor")
FAILING = {"serious", "critical"}
#: rules switched off, each with the reason. Keep this empty unless a rule fires on markup the kit
#: cannot change (Voila's or JupyterLab's own), and say which markup.
EXCLUDED: dict[str, str] = {}

FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return {body: true};
  const cs = getComputedStyle(el);
  const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0;
  const shadow = cs.boxShadow && cs.boxShadow !== 'none';
  const name = el.innerText || el.getAttribute('aria-label') || el.getAttribute('title') || el.value || '';
  return {body: false, visible: Boolean(outline || shadow), tag: el.tagName.toLowerCase(),
          cls: el.getAttribute('class') || '', name: String(name).trim().slice(0, 60),
          page: el.getAttribute('data-hs-page')};
}"""


# ------------------------------------------------------------------ servers and pages
@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("a11y")
    participant, console = start_room(tmp, pool_size=3)
    yield participant, console
    console.stop()
    participant.stop()


def start_group(console: Page, k: int = 2, follow: bool = False) -> str:
    """Start a group session with minimum size ``k``; participants browse freely unless ``follow``."""
    texts = content.ui_text()
    if console.locator(".hs-console-url").is_visible():  # a session left by a test that failed
        end_and_purge(console)
    console.get_by_role("button", name=texts["kind_group"], exact=True).click()
    console.get_by_label(texts["console_k"]).fill(str(k))
    console.get_by_label(texts["console_k"]).press("Enter")
    console.get_by_role("button", name=texts["console_start"]).click()
    link = console.locator(".hs-console-url a")
    expect(link).to_be_visible()
    if not follow:
        console.get_by_role("button", name=texts["console_follow_on"]).click()
        expect(console.get_by_role("button", name=texts["console_follow_off"])).to_be_visible()
    return link.get_attribute("href")


def end_and_purge(console: Page) -> None:
    """Leave the store as it was: no session (the console shows its "before a session" state)."""
    texts = content.ui_text()
    console.get_by_role("button", name=texts["console_purge"]).click()
    console.get_by_role("button", name=texts["console_purge_confirm"]).click()
    expect(console.locator(".hs-console-url")).to_be_hidden()


def join(browser: Browser, url: str) -> Page:
    page = browser.new_context(viewport={"width": 375, "height": 667}).new_page()
    page.goto(url)
    expect(page.locator(".hs-consent")).to_be_visible(timeout=60_000)
    return page


# ------------------------------------------------------------------ axe
class Audit:
    """Runs axe on page states and keeps the serious and critical violations, by where they were."""

    def __init__(self) -> None:
        self.axe = Axe()
        self.found: dict[str, list[str]] = {}
        self.audited: list[str] = []

    def __call__(self, page: Page, where: str) -> None:
        options = {"resultTypes": ["violations"], "rules": {rule: {"enabled": False} for rule in EXCLUDED}}
        results = self.axe.run(page, options=options).response
        self.audited.append(where)
        for violation in results["violations"]:
            if violation["impact"] not in FAILING:
                continue
            nodes = "; ".join(
                f"{' '.join(node['target'])} → {node.get('failureSummary', '').splitlines()[-1].strip()}"
                for node in violation["nodes"][:5]
            )
            self.found.setdefault(where, []).append(
                f"{violation['id']} ({violation['impact']}): {violation['help']} [{len(violation['nodes'])}×] {nodes}"
            )

    def report(self) -> str:
        lines = [f"serious or critical axe violations on {len(self.found)} of {len(self.audited)} page states:"]
        for where, problems in self.found.items():
            lines.append(f"  {where}:")
            lines.extend(f"    - {problem}" for problem in problems)
        return "\n".join(lines)


def test_the_audit_itself_catches_low_contrast_and_an_unnamed_control(page: Page):
    """Does the axe audit used below report what it is meant to (so a clean result means something)?"""
    page.set_content(
        '<html lang="en"><title>t</title><main><p style="color:#aaa;background:#fff">faint words</p>'
        '<div role="slider" tabindex="0" aria-valuenow="1"></div></main></html>'
    )
    audit = Audit()
    audit(page, "a page made to fail")
    report = audit.report()
    assert "color-contrast (serious)" in report and "aria-input-field-name (serious)" in report, report


def test_axe_finds_no_serious_violation_on_any_participant_page(browser: Browser, servers, tmp_path: Path):
    """Consent, all eight themes, "I need a moment", "Help now", the take-home button and the downloaded
    take-home: does axe-core find no serious or critical violation (colour contrast included)?"""
    _participant, console_server = servers
    texts = content.ui_text()
    themes = content.load_themes()
    console = open_console(browser, console_server)
    url = start_group(console)
    page = join(browser, url)
    audit = Audit()

    audit(page, "consent step")
    page.get_by_role("button", name=texts["consent_share"]).click()
    expect(page.locator(".hs-checkin .hs-chip").first).to_be_enabled(timeout=30_000)
    expect(page.locator(".hs-nav .hs-next")).to_be_enabled(timeout=15_000)  # browsing freely
    page.get_by_role("button", name=content.feelings()[0], exact=True).click()
    expect(page.locator(".hs-checkin .hs-summary")).to_contain_text(content.feelings()[0])
    audit(page, f"theme 0 ({themes[0].key}), after a feeling word")
    for n in range(1, len(themes)):
        page.locator(".hs-nav .hs-next").click()
        expect(page.locator(f'[data-hs-page="{n}"]')).to_be_visible()
        audit(page, f"theme {n} ({themes[n].key})")

    page.get_by_role("button", name=texts["moment_button"]).click()
    expect(page.locator('[data-hs-page="-1"]')).to_be_visible()
    audit(page, "I need a moment")
    page.get_by_role("button", name=texts["moment_return"]).click()
    expect(page.locator(f'[data-hs-page="{len(themes) - 1}"]')).to_be_visible()

    page.get_by_role("button", name=texts["help_button"]).click()
    expect(page.locator(".hs-help-panel")).to_be_visible()
    audit(page, "Help now panel open")
    page.get_by_role("button", name=texts["help_close"]).click()

    with page.expect_download() as download_info:
        page.get_by_role("button", name=texts["takehome_button"]).click()
    expect(page.locator(".hs-takehome .hs-summary")).to_be_visible()
    audit(page, "closing, after the take-home download")
    saved = tmp_path / "take-home.html"
    download_info.value.save_as(saved)
    page.goto(saved.as_uri())
    expect(page.locator("h1")).to_have_text(texts["takehome_title"])
    audit(page, "the downloaded take-home page")

    page.context.close()
    end_and_purge(console)
    console.context.close()
    assert len(audit.audited) == len(themes) + 5
    assert not audit.found, audit.report()


def test_axe_finds_no_serious_violation_in_the_console(browser: Browser, servers):
    """Before a session, with a group session running, and with a chart of shared answers: does
    axe-core find no serious or critical violation in the facilitator console?"""
    _participant, console_server = servers
    texts = content.ui_text()
    console = open_console(browser, console_server)
    audit = Audit()
    expect(console.locator(".hs-console-answers")).to_contain_text(texts["console_no_session"][:30])
    audit(console, "console before a session")

    url = start_group(console, k=2, follow=True)
    audit(console, "console with a group session running")
    words = content.feelings()
    people = [join(browser, url) for _ in range(2)]
    for person in people:
        person.get_by_role("button", name=texts["consent_share"]).click()
        person.get_by_role("button", name=words[1], exact=True).click()
    chart = console.locator(".hs-console-answers .hs-figure")
    expect(chart.first).to_be_visible(timeout=20_000)
    audit(console, "console showing a chart")

    for person in people:
        person.context.close()
    end_and_purge(console)
    console.context.close()
    assert not audit.found, audit.report()


def test_every_console_chart_has_a_text_alternative(browser: Browser, servers):
    """Is every picture in the console (charts, QR code) an image with a name, and does each chart
    have its counts in words beside it?"""
    _participant, console_server = servers
    texts = content.ui_text()
    console = open_console(browser, console_server)
    url = start_group(console, k=2, follow=True)
    words = content.feelings()
    people = [join(browser, url) for _ in range(2)]
    for person in people:
        person.get_by_role("button", name=texts["consent_share"]).click()
        person.get_by_role("button", name=words[2], exact=True).click()
        person.locator(".hs-checkin .hs-scale button", has_text=re.compile(r"^4$")).click()
    figures = console.locator(".hs-console-answers .hs-figure")
    expect(figures).to_have_count(2, timeout=20_000)  # feeling words and the 0–10 number
    # the console refreshes on its own clock: wait until both answers are counted in both charts
    expect(figures.filter(has_text="(2 people)")).to_have_count(2, timeout=30_000)
    pictures = console.evaluate(
        """() => Array.from(document.querySelectorAll('.hs-console svg')).map(svg => {
             const named = svg.closest('[role="img"]');
             const title = svg.querySelector(':scope > title');
             return {chart: svg.classList.contains('hs-chart'), role: named ? named.getAttribute('role') : null,
                     name: (named && named.getAttribute('aria-label')) || (title && title.textContent) || ''};
           })"""
    )
    assert sum(p["chart"] for p in pictures) == 2, pictures
    for picture in pictures:
        assert picture["role"] == "img" and picture["name"].strip(), f"a picture without a text alternative: {picture}"
    for n in range(2):
        figure = figures.nth(n)
        expect(figure.locator(".hs-chart-summary")).not_to_have_text("")
        name = figure.locator("svg.hs-chart").get_attribute("aria-label")
        summary = figure.locator(".hs-chart-summary")
        expect(summary).to_be_visible()
        expect(summary).to_have_text(name)
        assert "(2 people)" in name, name
    expect(figures.filter(has_text=f"{words[2]}: 2")).to_have_count(1)
    expect(figures.filter(has_text="4: 2")).to_have_count(1)
    for person in people:
        person.context.close()
    end_and_purge(console)
    console.context.close()


def test_the_console_fits_a_phone_width_without_sideways_scrolling(browser: Browser, servers):
    """At 375×667 (a phone, or a projector at high zoom), does the console fit the width, before and
    during a session? (The participant app's pages are checked in test_participant_app.py.)"""
    _participant, console_server = servers
    console = open_console(browser, console_server, 375, 667)
    overflow = "() => document.documentElement.scrollWidth - window.innerWidth"
    width = (
        "() => { const s = document.getElementById('rendered_cells');"
        " return Math.max(document.documentElement.scrollWidth, s ? s.scrollWidth : 0) - window.innerWidth; }"
    )
    assert console.evaluate(width) <= 0, f"before a session: {console.evaluate(width)}px of sideways scrolling"
    start_group(console, follow=True)
    expect(console.locator(".hs-qr svg")).to_be_visible()
    assert console.evaluate(width) <= 0, f"during a session: {console.evaluate(width)}px of sideways scrolling"
    assert console.evaluate(overflow) <= 0
    end_and_purge(console)
    console.context.close()


# ------------------------------------------------------------------ keyboard only
class Keyboard:
    """Moves through a page with Tab only, and notes every stop whose focus cannot be seen."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.unseen: list[str] = []
        self.stops = 0

    def tab_to(self, wanted, what: str, limit: int = 200, backwards: bool = False) -> dict:
        for _ in range(limit):
            self.page.keyboard.press("Shift+Tab" if backwards else "Tab")
            self.stops += 1
            info = self.page.evaluate(FOCUS)
            if not info["body"] and not info["visible"]:
                self.unseen.append(f"<{info['tag']} class={info['cls'][:60]!r}> {info['name']!r}")
            if not info["body"] and wanted(info):
                return info
        raise AssertionError(f"{what} could not be reached with the keyboard in {limit} presses of Tab")

    def tab_to_button(self, name: str, **kwargs) -> dict:
        return self.tab_to(lambda i: i["tag"] == "button" and i["name"] == name, f"the button {name!r}", **kwargs)


def wait_for_focus_on(page: Page, selector: str, what: str) -> None:
    try:
        page.wait_for_function("s => document.activeElement && document.activeElement.matches(s)", arg=selector, timeout=10_000)
    except Exception:
        raise AssertionError(f"after {what}, the focus is on {page.evaluate(FOCUS)}, not on {selector}") from None


def test_a_participant_can_do_everything_with_the_keyboard_alone(browser: Browser, servers, tmp_path: Path):
    """From the join page, with Tab, Shift+Tab, Enter, Space and arrow keys only: consent, check in (a
    feeling word and a number), go Next through all eight themes and download the take-home, with the
    focus always visible and never dropped to the page's body when the theme changes."""
    _participant, console_server = servers
    texts = content.ui_text()
    themes = content.load_themes()
    words = content.feelings()
    console = open_console(browser, console_server)
    url = start_group(console)
    page = join(browser, url)
    keys = Keyboard(page)

    wait_for_focus_on(page, '[data-hs-page="-2"]', "joining")  # the consent step's heading
    keys.tab_to_button(texts["consent_share"])
    page.keyboard.press("Enter")
    expect(page.locator(".hs-checkin .hs-chip").first).to_be_enabled(timeout=30_000)
    expect(page.locator(".hs-nav .hs-next")).to_be_enabled(timeout=15_000)
    wait_for_focus_on(page, '[data-hs-page="0"]', "the consent step")

    keys.tab_to_button(words[0])
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name=words[0], exact=True)).to_have_class(re.compile("mod-active"))
    keys.tab_to_button("7")
    page.keyboard.press("Enter")
    expect(page.locator(".hs-checkin .hs-summary")).to_contain_text("7/10")
    keys.tab_to_button(words[0], backwards=True)  # Shift+Tab goes back up the page
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name=words[0], exact=True)).not_to_have_class(re.compile("mod-active"))
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name=words[0], exact=True)).to_have_class(re.compile("mod-active"))

    for n in range(1, len(themes)):
        keys.tab_to_button(texts["next"])
        page.keyboard.press("Enter")
        expect(page.locator(".hs-progress-text")).to_contain_text(f"{n + 1} of {len(themes)}")
        wait_for_focus_on(page, f'[data-hs-page="{n}"]', f"Next to theme {n}")
        if themes[n].key.startswith("06"):
            # the space agreement's break length is a slider: arrow keys move it
            keys.tab_to(lambda i: "noUi-handle" in i["cls"], "the break-length slider")
            for _ in range(2):
                page.keyboard.press("ArrowRight")
            expect(page.locator(".hs-agreement-card")).to_contain_text(texts["agreement_minutes_short"])

    with page.expect_download() as download_info:
        keys.tab_to_button(texts["takehome_button"])
        page.keyboard.press("Enter")
    assert download_info.value.suggested_filename == texts["takehome_filename"]
    expect(page.locator(".hs-takehome .hs-summary")).to_be_visible()
    assert not keys.unseen, f"the focus could not be seen on {len(keys.unseen)} of {keys.stops} stops: " + "; ".join(
        dict.fromkeys(keys.unseen)
    )
    page.context.close()
    end_and_purge(console)
    console.context.close()
