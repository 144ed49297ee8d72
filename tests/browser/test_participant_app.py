"""A participant, in a real Chromium at phone size, against a real participant server."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from workshop import content

from .helpers import open_app, page_heading, sideways, watch

pytestmark = pytest.mark.browser


def kernels_handed_out(server) -> int:
    return server.log_text().count("Using pre-heated kernel")


def test_join_check_in_navigate_and_resume(page: Page, participant_server):
    """Can a participant join, check in, go Next and Back, reload, and find their answers still there?"""
    traffic = watch(page)
    open_app(page, participant_server.settings.join_url)
    themes = content.load_themes()
    expect(page_heading(page)).to_have_text(themes[0].title)
    expect(page.locator(".hs-progress-text")).to_contain_text(f"1 of {len(themes)}")

    words = content.feelings()
    page.get_by_role("button", name=words[0], exact=True).click()
    page.get_by_role("button", name=words[4], exact=True).click()
    page.locator(".hs-scale button", has_text=re.compile(r"^6$")).click()
    page.get_by_label(content.ui_text()["checkin_other_label"]).fill("wobbly")
    summary = page.locator(".hs-summary")
    expect(summary).to_contain_text(words[0])
    expect(summary).to_contain_text(words[4])
    expect(summary).to_contain_text("wobbly")
    expect(summary).to_contain_text("6/10")

    page.get_by_role("button", name="Next").click()
    expect(page_heading(page)).to_have_text(themes[1].title)
    expect(page.locator(".hs-progress-text")).to_contain_text(f"2 of {len(themes)}")
    page.get_by_role("button", name="Back").click()
    expect(page_heading(page)).to_have_text(themes[0].title)
    expect(page.get_by_role("button", name=words[0], exact=True)).to_have_class(re.compile("mod-active"))

    page.get_by_role("button", name="Next").click()
    expect(page_heading(page)).to_have_text(themes[1].title)
    time.sleep(0.5)  # the browser's copy is written on change; give it a beat before the reload
    page.reload()
    expect(page.locator(".hs-app .hs-next")).to_be_visible(timeout=60_000)
    expect(page_heading(page)).to_have_text(themes[1].title, timeout=15_000)
    expect(page.locator(".hs-notice")).to_contain_text(content.ui_text()["resumed"][:30])
    page.get_by_role("button", name="Back").click()
    expect(page.get_by_role("button", name=words[0], exact=True)).to_have_class(re.compile("mod-active"))
    expect(page.get_by_role("button", name=words[4], exact=True)).to_have_class(re.compile("mod-active"))
    expect(page.get_by_role("button", name=words[1], exact=True)).not_to_have_class(re.compile("mod-active"))
    expect(page.locator(".hs-summary")).to_contain_text("6/10")
    expect(page.get_by_label(content.ui_text()["checkin_other_label"])).to_have_value("wobbly")

    server_host = participant_server.settings.base_url.split("/")[2]
    assert traffic.hosts() == {server_host}, f"requests left the server: {traffic.hosts()}"
    body = page.locator("body").inner_text()
    assert "Traceback" not in body and "Error" not in body


def test_moving_between_themes_uses_one_kernel_and_no_page_load(page: Page, participant_server):
    """Is moving between themes a widget change in one kernel: no new page load, one kernel channel?"""
    before = kernels_handed_out(participant_server)
    traffic = watch(page)
    open_app(page, participant_server.settings.join_url)
    time.sleep(participant_server.settings.pool_size + 3)  # let the warm pool refill first
    kernels = {p.pid for p in participant_server.kernel_processes()}
    for _ in range(3):
        page.get_by_role("button", name="Next").click()
        expect(page.locator(".hs-progress-text")).to_contain_text("2 of")
        page.get_by_role("button", name="Back").click()
        expect(page.locator(".hs-progress-text")).to_contain_text("1 of")
    assert len(traffic.navigations) == 1, traffic.navigations
    assert len(traffic.kernel_channels()) == 1, traffic.websockets
    assert kernels_handed_out(participant_server) - before == 1
    started = {p.pid for p in participant_server.kernel_processes()} - kernels  # (an earlier test's may have ended)
    assert not started, "navigation started a kernel"


def test_moving_back_and_forth_leaves_no_layout_or_style_views_behind(page: Page, participant_server):
    """ipywidgets leaves a removed view's Layout and Style views listening to their models; with the models
    shared (widgets/looks.py) every move left hundreds on them and each move was slower than the last (57 ms,
    then 118 ms after 80 moves). bridge.js removes them with their view: the count ipywidgets keeps of those
    views (model.views) is the same after 20 more moves."""
    open_app(page, participant_server.settings.join_url)

    def move(times: int) -> None:
        for _ in range(times):
            page.get_by_role("button", name="Next").click()
            expect(page.locator(".hs-progress-text")).to_contain_text("2 of")
            page.get_by_role("button", name="Back").click()
            expect(page.locator(".hs-progress-text")).to_contain_text("1 of")

    move(2)
    settled = page.evaluate("() => window.__hsLookViews()")
    assert settled > 20, f"the probe sees the pages' Layout and Style views ({settled})"
    move(10)
    after = page.evaluate("() => window.__hsLookViews()")
    assert after <= settled + 10, f"{after - settled} Layout and Style views left behind by 20 moves"


def test_help_is_one_tap_away(page: Page, participant_server):
    """Does "Help now" open the resources for the facilitator's country, and close again?"""
    open_app(page, participant_server.settings.join_url)
    resources = content.resources()
    page.get_by_role("button", name=content.ui_text()["help_button"]).click()
    panel = page.locator(".hs-help-panel")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text(resources.services[0].name)
    expect(panel).to_contain_text(resources.emergency)
    page.get_by_role("button", name=content.ui_text()["help_close"]).click()
    expect(panel).to_have_count(0)


def test_passing_on_the_check_in(page: Page, participant_server):
    """Can a participant pass on the check-in and then answer after all?"""
    open_app(page, participant_server.settings.join_url)
    texts = content.ui_text()
    page.get_by_role("button", name=texts["pass_button"]).click()
    expect(page.locator(".hs-checkin")).to_contain_text(texts["passed_note"])
    expect(page.locator(".hs-checkin .hs-chip")).to_have_count(0)
    page.get_by_role("button", name=texts["unpass_button"]).click()
    expect(page.locator(".hs-checkin .hs-chip").first).to_be_visible()


@pytest.mark.parametrize("width", [320, 375])
def test_phone_layout_has_no_sideways_scrolling(page: Page, participant_server, width: int):
    """At 320 and 375 px, does every page fit the width, with nothing cut off at the edge? (In a
    group session, with its share rows: test_group_session.py.)"""
    page.set_viewport_size({"width": width, "height": 667})
    open_app(page, participant_server.settings.join_url)
    themes = content.load_themes()
    for n in range(len(themes)):
        expect(page.locator(f'[data-hs-page="{n}"]')).to_be_visible()
        assert not (found := sideways(page)), f"{width} px, {themes[n].key}: {found}"
        if n < len(themes) - 1:
            page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("button", name="Next")).to_be_disabled()


def test_without_the_link_a_visitor_sees_the_friendly_page(page: Page, participant_server):
    """Does a browser without the join link's token see "ask your facilitator", not a login form?"""
    page.goto(participant_server.settings.base_url)
    expect(page.get_by_role("heading")).to_have_text(content.ui_text()["no_token_title"])
    expect(page.locator("input")).to_have_count(0)
