"""A newcomer on a phone goes through all eight themes, does every exercise, and takes home a
printable page with their answers and agreement."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from workshop import content

from .helpers import open_app, watch

pytestmark = pytest.mark.browser


def stage(page: Page):
    return page.locator(".hs-stage")


def next_theme(page: Page, number: int) -> None:
    page.locator(".hs-nav .hs-next").click()
    expect(page.locator(f'[data-hs-page="{number}"]')).to_be_visible()


def test_a_participant_does_every_exercise_and_takes_it_home(page: Page, participant_server, tmp_path: Path):
    """Can a newcomer at 375×667 do every exercise of all eight themes and download a take-home holding them?"""
    texts = content.ui_text()
    traffic = watch(page)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    open_app(page, participant_server.settings.join_url)
    words = content.feelings()

    # 0 welcome: check-in
    s = stage(page)
    s.get_by_role("button", name=words[0], exact=True).click()
    s.locator(".hs-checkin .hs-scale button", has_text=re.compile(r"^7$")).click()
    expect(s.locator(".hs-summary")).to_contain_text("7/10")

    # 1 the pain: what it stirs up
    next_theme(page, 1)
    items = content.stirs_up()
    s.get_by_role("button", name=items[0].text).click()
    s.get_by_role("button", name=items[3].text).click()
    expect(s.locator(".hs-stirs-up .hs-summary")).to_contain_text("2")

    # 2 threat: beliefs and the story I tell myself
    next_theme(page, 2)
    scale, beliefs = content.beliefs()
    s.locator(".hs-beliefs .hs-belief-row").first.get_by_role("button", name=scale[3]).click()
    expect(s.locator(".hs-reflection").first).to_be_visible()
    s.get_by_label(texts["story_label"]).fill("They are bored with me.\nOr maybe just tired.")
    s.get_by_label(texts["story_else_label"]).fill("They had a long week.")

    # 3 space as care: reframe and which kind of distance
    next_theme(page, 3)
    worries = content.reframes()
    s.locator(".hs-reframe select").select_option(label=worries[0].thought)
    s.get_by_role("button", name=worries[0].readings[0]).click()
    s.locator(".hs-reframe textarea").fill("They need rest, not less of me.")
    kinds, scenarios = content.scenarios()
    first_row = s.locator(".hs-scenario-row").first
    first_row.get_by_role("button", name=kinds[scenarios[0].answer].label).click()
    expect(first_row.locator(".hs-feedback")).to_contain_text(texts["scenarios_fits"].split(":")[0])

    # 4 differences: the closeness line and the loop
    next_theme(page, 4)
    lines = s.locator(".hs-closeness .hs-scale")
    lines.nth(0).locator("button", has_text=re.compile(r"^2$")).click()
    lines.nth(1).locator("button", has_text=re.compile(r"^9$")).click()
    expect(s.locator(".hs-closeness .hs-picture-text")).to_contain_text("2")
    expect(s.locator(".hs-closeness circle")).to_have_count(2)
    for box, text in zip(s.locator(".hs-loop input").all(), ["you go quiet", "scared", "send more texts", "pull away"], strict=False):
        box.fill(text)
    expect(s.locator(".hs-loop .hs-picture-text")).to_contain_text("you go quiet")

    # 5 compassion: a self-compassion pause (start, see it count, stop), a note, an I-statement
    next_theme(page, 5)
    pause = s.locator(".hs-pause").first
    pause.get_by_role("button", name=texts["pause_start"]).click()
    count = pause.locator(".hs-pause-count")
    expect(count).to_have_text(re.compile(r"^\d+$"))
    first = int(count.inner_text())
    expect(count).not_to_have_text(str(first), timeout=3000)
    pause.get_by_role("button", name=texts["pause_stop"]).click()
    expect(pause.locator(".hs-pause-step")).to_have_text(texts["pause_ready"])
    s.locator(".hs-writing textarea").fill("I need quiet to come back to you.")
    for box, text in zip(s.locator(".hs-istatement input").all(), ["you said you needed the evening", "lonely", "to know we're okay", "text me at nine"], strict=False):
        box.fill(text)
    expect(s.locator(".hs-said")).to_contain_text("text me at nine")

    # 6 trust: the space agreement and a breathing pause
    next_theme(page, 6)
    ideas = content.rituals()
    agreement = s.locator(".hs-agreement")
    agreement.get_by_role("button", name=ideas.signals[0], exact=True).click()
    handle = agreement.locator(".noUi-handle").first
    handle.focus()
    for _ in range(3):
        handle.press("ArrowRight")
    agreement.get_by_label(texts["agreement_come_back"]).fill("at 9 pm, in the kitchen")
    agreement.get_by_role("button", name=ideas.after[0], exact=True).click()
    card = agreement.locator(".hs-agreement-card")
    expect(card).to_contain_text("at 9 pm, in the kitchen")
    expect(card).to_contain_text(texts["agreement_minutes_short"])
    breathing = s.locator(".hs-pause").last
    breathing.get_by_role("button", name=texts["pause_start"]).click()
    expect(breathing.locator(".hs-pause-step")).to_have_text(texts["breathe_in"])
    breathing.get_by_role("button", name=texts["pause_stop"]).click()

    # 7 closing: check-out compared with check-in, a takeaway, the take-home
    next_theme(page, 7)
    s.get_by_role("button", name=words[2], exact=True).click()
    s.locator(".hs-checkin .hs-scale button", has_text=re.compile(r"^3$")).click()
    comparison = s.locator(".hs-comparison")
    expect(comparison).to_contain_text("7/10")
    expect(comparison).to_contain_text("3/10")
    s.locator(".hs-writing textarea").fill("Space can be care.")
    takehome = s.locator(".hs-takehome")
    for title in ("story_title", "partner_note_title", "loop_title"):  # the most personal parts stay off unless ticked
        takehome.get_by_label(texts["takehome_include"].format(title=texts[title])).check()
    with page.expect_download() as download_info:
        s.get_by_role("button", name=texts["takehome_button"]).click()
    download = download_info.value
    assert download.suggested_filename == texts["takehome_filename"]
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    home = saved.read_text(encoding="utf-8")
    for expected in [
        "7/10", "3/10", items[0].text, "They are bored with me.", "They had a long week.", "They need rest, not less of me.",
        "you go quiet", "I need quiet to come back to you.", "text me at nine", ideas.signals[0].replace('"', "&quot;"),
        "at 9 pm, in the kitchen", "Space can be care.", texts["agreement_title"],
    ]:
        assert expected in home, f"the take-home lacks {expected!r}"
    helplines = content.resources()
    for contact in helplines.emergency_contacts + helplines.services[0].contacts:  # the helplines, as links
        assert f'href="{html.escape(contact.href)}"' in home, contact
    assert "nobody else gets a copy" not in home.lower()
    expect(s.locator(".hs-takehome .hs-summary")).to_contain_text(texts["takehome_done"][:20])

    body = page.locator("body").inner_text()
    assert "Traceback" not in body
    assert errors == [], errors
    assert traffic.hosts() == {participant_server.settings.base_url.split("/")[2]}


def test_the_take_home_prints_on_one_column(page: Page, participant_server, tmp_path: Path):
    """Does the downloaded page render and print as a page (A4), with nothing cut off sideways?"""
    open_app(page, participant_server.settings.join_url)
    for n in range(1, 8):
        next_theme(page, n)
    with page.expect_download() as download_info:
        stage(page).get_by_role("button", name=content.ui_text()["takehome_button"]).click()
    saved = tmp_path / "home.html"
    download_info.value.save_as(saved)
    page.goto(saved.as_uri())
    page.emulate_media(media="print")
    expect(page.locator("h1")).to_have_text(content.ui_text()["takehome_title"])
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
