"""The projector view beside the console, with five participants (issue 17): the QR code while people
join, the theme as the facilitator moves, the group picture only when chosen and only at k, a shared
text only when chosen and never once hidden; axe and type sizes for a screen six metres away, light and
dark; screenshots at 1920×1080 in docs/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from workshop import content

from ..conftest import start_room
from .helpers import open_console
from .test_group_session import heading, join, start_session

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
HOSTILE = '<img src=x onerror="window.__pwned = 1">kind <b>words</b>'


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("projector")
    participant, console = start_room(tmp, pool_size=5)
    yield participant, console
    console.stop()
    participant.stop()


def open_projector(browser: Browser, console, look: str = "") -> Page:
    page = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    page.goto(f"{console.settings.local_url}projector?token={console.settings.token}{'&look=' + look if look else ''}")
    return page


def serious_axe(page: Page) -> list[str]:
    found = Axe().run(page, options={"resultTypes": ["violations"]}).response["violations"]
    return [f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes'][:3]]}" for v in found
            if v["impact"] in ("serious", "critical")]


def px(page: Page, selector: str) -> float:
    return page.locator(selector).evaluate("e => parseFloat(getComputedStyle(e).fontSize)")


def test_the_projector_follows_the_facilitator_and_shows_only_what_the_room_should_see(browser: Browser, servers):
    participant, console = servers
    texts, themes = content.ui_text(), content.load_themes()
    projector = open_projector(browser, console)
    expect(projector.locator("#hs-p-waiting")).to_be_visible(timeout=30_000)
    assert projector.evaluate("() => document.documentElement.scrollWidth <= innerWidth")

    facilitator = open_console(browser, console)
    expect(facilitator.locator(".hs-projector-link")).to_be_hidden()  # no session: no projector controls yet
    url = start_session(facilitator, "group", k=3)
    expect(facilitator.locator(".hs-projector-link")).to_be_visible()

    # while people arrive: the QR code and the code, large, and how many are here
    expect(projector.locator("#hs-p-qr svg")).to_be_visible(timeout=10_000)
    shown_code = projector.locator("#hs-p-code").inner_text()
    assert url.split("s=")[-1] in shown_code.replace("-", "")
    assert px(projector, "#hs-p-code") >= 90 and px(projector, "body") >= 40  # read from the back of a room
    assert not serious_axe(projector), serious_axe(projector)
    projector.screenshot(path=str(SHOTS / "projector-arriving.png"))

    people = [join(browser, url) for _ in range(5)]
    for person in people:
        expect(person.locator(".hs-consent")).to_be_visible(timeout=15_000)
        person.get_by_role("button", name=texts["consent_share"]).click()
    expect(projector.locator("#hs-p-here")).to_have_text(texts["projector_here"].format(n=5), timeout=30_000)

    # the facilitator moves everyone: the projector follows by itself
    facilitator.get_by_role("button", name=f"1. {themes[1].title}").click()
    expect(projector.locator("#hs-p-title")).to_have_text(themes[1].title, timeout=6_000)
    expect(projector.locator("#hs-p-arrive")).to_be_hidden()
    assert projector.locator("#hs-p-key").inner_text().strip()
    assert px(projector, "#hs-p-title") >= 90
    for person in people:
        expect(heading(person)).to_have_text(themes[1].title, timeout=5_000)

    # the group picture: only once chosen, and only at k = 3
    items = content.stirs_up()
    for person in people[:2]:
        person.get_by_role("button", name=items[0].text).click()
    expect(facilitator.locator(".hs-waiting")).to_contain_text("2 shared so far", timeout=10_000)
    projector.wait_for_timeout(2_000)
    expect(projector.locator("#hs-p-pictures")).to_be_hidden()  # not chosen yet
    facilitator.get_by_role("button", name=texts["console_projector_picture_off"]).click()
    expect(projector.locator(".picture .waiting")).to_be_visible(timeout=6_000)  # chosen, below k: a line, no chart
    expect(projector.locator(".picture .bars")).to_have_count(0)
    people[2].get_by_role("button", name=items[0].text).click()
    summary = projector.locator(".picture .summary").first
    expect(summary).to_contain_text(f"{items[0].text}: 3", timeout=10_000)
    assert projector.locator(".picture .bars").first.get_attribute("aria-label").endswith(".")
    assert not serious_axe(projector), serious_axe(projector)
    projector.screenshot(path=str(SHOTS / "projector-picture.png"))
    facilitator.get_by_role("button", name=texts["console_projector_picture_on"]).click()
    expect(projector.locator("#hs-p-pictures")).to_be_hidden(timeout=6_000)

    # shared texts: only the one chosen in the console after reading it; never a hidden one
    closing = themes[-1]
    facilitator.get_by_role("button", name=f"{closing.number}. {closing.title}").click()
    for n, person in enumerate(people[:3]):
        expect(heading(person)).to_have_text(closing.title, timeout=20_000)  # a jump: the budget is benchmarks/follow.py's
        note = person.locator(".hs-writing")
        note.locator("textarea").fill(HOSTILE if n == 0 else f"takeaway {n}")
        note.locator(".hs-share input").check()
    rows = facilitator.locator(".hs-shared-row")
    expect(rows).to_have_count(3, timeout=15_000)
    projector.wait_for_timeout(2_000)
    expect(projector.locator("#hs-p-shared")).to_be_hidden()
    rows.filter(has_text="window.__pwned").get_by_role("button", name=texts["console_projector_text_on"]).click()
    expect(projector.locator("#hs-p-shared")).to_have_text(HOSTILE, timeout=6_000)  # as text: nothing runs
    assert projector.evaluate("() => window.__pwned") is None and projector.locator("#hs-p-shared img").count() == 0
    rows.filter(has_text="window.__pwned").get_by_role("button", name=texts["console_hide"]).click()
    expect(projector.locator("#hs-p-shared")).to_be_hidden(timeout=6_000)  # hidden in the console: off the screen
    rows.filter(has_text="takeaway 1").get_by_role("button", name=texts["console_projector_text_on"]).click()
    expect(projector.locator("#hs-p-shared")).to_have_text("takeaway 1", timeout=6_000)

    dark = open_projector(browser, console, look="dark")
    expect(dark.locator("#hs-p-shared")).to_have_text("takeaway 1", timeout=6_000)
    assert dark.evaluate("() => getComputedStyle(document.body).backgroundColor") != \
        projector.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert not serious_axe(dark), serious_axe(dark)
    dark.screenshot(path=str(SHOTS / "projector-dark.png"))
    for page in (dark, projector, facilitator, *people):
        assert "Traceback" not in page.locator("body").inner_text()
        page.context.close()


def test_the_projector_needs_the_consoles_access(servers):
    import requests

    _participant, console = servers
    assert requests.get(f"{console.settings.local_url}projector/state", timeout=30, allow_redirects=False).status_code == 302
    with_participants_token = requests.get(
        f"{console.settings.local_url}projector/state?token={_participant.settings.token}", timeout=30, allow_redirects=False)
    assert with_participants_token.status_code == 302
    assert requests.get(f"{_participant.settings.local_url}projector?token={_participant.settings.token}",
                        timeout=30).status_code in (403, 404)  # not on the participants' server
