"""The facilitator console, without a browser."""

from __future__ import annotations

from pathlib import Path

import pytest

import re

from ipywidgets import Widget

from widgets.base import Exercise
from widgets.charts import LABEL_CHARS, bar_chart
from widgets.console import FacilitatorConsole, join_url
from workshop.aggregate import Chart
from workshop import content
from workshop.store import Store, pseudonym

THEME1 = "01_the_pain_behind_the_request"


@pytest.fixture
def console(tmp_path: Path) -> FacilitatorConsole:
    return FacilitatorConsole(store=Store(f"sqlite:///{tmp_path / 'c.sqlite'}"), join_base="http://192.0.2.1:8866/?token=abc")


def share(console: FacilitatorConsole, n: int, exercise: str, rows) -> None:
    console.store.replace_shares(console.session, pseudonym(console.session.code, f"{n:032x}"), exercise, rows)


def test_starting_a_session_shows_its_code_qr_and_join_address(console: FacilitatorConsole):
    """Does a new session show its code, a QR code and a join address carrying token and code?"""
    session = console.start_session("group", k=5)
    assert session.display_code in console._code.value
    assert "<svg" in console._qr.value
    svg = re.search(r"<svg[^>]*>", console._qr.value).group(0)
    assert "viewBox=" in svg and " width=" not in svg and " height=" not in svg  # CSS can scale it
    assert join_url(console.join_base, session.code) == f"http://192.0.2.1:8866/?token=abc&s={session.code}"
    assert console._setup.layout.display == "none"


def test_moving_everyone_updates_the_session_and_the_notes(console: FacilitatorConsole):
    """Does choosing a theme store it for participants and show that theme's notes?"""
    console.start_session()
    console._theme_buttons[1].click()
    assert console.store.session(console.session.code).theme == THEME1
    assert console._theme_buttons[1].button_style == "primary"
    assert "h2" in console._notes.value


def test_answers_show_only_at_k(console: FacilitatorConsole):
    """With k = 3, is there a waiting line at 2 answers and a chart with counts at 3?"""
    console.start_session("group", k=3)
    console.move_everyone(THEME1)
    item = content.stirs_up()[0]
    for n in range(2):
        share(console, n, f"{THEME1}/stirs-up", [("item", item["id"])])
    console.refresh()
    text = str([c.value for c in console._answers.children[1].children])
    assert "1 more needed" in text and "<svg" not in text
    share(console, 2, f"{THEME1}/stirs-up", [("item", item["id"])])
    console.refresh()
    chart = console._answers.children[1].children[1].value
    assert "<svg" in chart and f"{item['text']}: 3" in chart


def test_couple_sessions_never_show_answers(console: FacilitatorConsole):
    """In a couple session, does the console say answers are never shown, whatever was shared?"""
    console.start_session("couple")
    console.move_everyone(THEME1)
    for n in range(6):
        share(console, n, f"{THEME1}/stirs-up", [("item", content.stirs_up()[0]["id"])])
    console.refresh(force=True)
    text = str([c.value for c in console._answers.children if hasattr(c, "value")])
    assert content.ui_text()["console_no_aggregates"][:40] in text and "<svg" not in text


def test_shared_text_is_escaped_and_can_be_hidden(console: FacilitatorConsole):
    """Is shared HTML shown as text, and does Hide take it off the screen?"""
    console.start_session("group", k=2)
    console.move_everyone("07_closing")
    share(console, 0, "07_closing/takeaway", [("text", "<script>alert(1)</script>")])
    share(console, 1, "07_closing/takeaway", [("text", "kind words")])
    console.refresh()
    rows = [c for c in console._answers.children[-1].children if "hs-shared-row" in c._dom_classes]
    assert "&lt;script&gt;" in rows[0].children[0].value and "<script>" not in rows[0].children[0].value
    rows[0].children[1].click()
    rows = [c for c in console._answers.children[-1].children if "hs-shared-row" in c._dom_classes]
    assert "script" not in rows[0].children[0].value


def test_export_holds_shares_without_pseudonyms(console: FacilitatorConsole):
    """Is the CSV the session's shared answers, with no pseudonym column?"""
    console.start_session()
    share(console, 0, f"{THEME1}/stirs-up", [("item", "being_left")])
    csv = console.export_csv()
    assert csv.splitlines()[0] == "session,theme,exercise,field,value,hidden"
    assert "being_left" in csv and pseudonym(console.session.code, f"{0:032x}") not in csv


def test_the_export_cannot_be_regrouped_per_person(tmp_path: Path):
    """Is the CSV the same whatever order people shared in, so no one's answers sit together in it?"""
    answers = {
        0: [("item", "being_left"), ("item", "not_enough"), ("item", "unseen")],
        1: [("item", "unseen"), ("item", "pushed_away")],
        2: [("item", "being_left"), ("item", "relief")],
    }
    exports = []
    for order in ([0, 1, 2], [2, 0, 1]):
        console = FacilitatorConsole(store=Store(f"sqlite:///{tmp_path / f'{order[0]}.sqlite'}"), join_base="http://x/?token=a")
        console.start_session("group", k=2)
        for n in order:
            share(console, n, f"{THEME1}/stirs-up", answers[n])
        share(console, 1, "07_closing/takeaway", [("text", "kind words")])
        exports.append(console.export_csv().replace(console.session.display_code, "CODE"))
    assert exports[0] == exports[1]
    values = [line.split(",")[4] for line in exports[0].splitlines()[1:]]
    assert values[:7] == sorted(v for rows in answers.values() for _, v in rows)


def test_purge_needs_a_second_click_and_deletes(console: FacilitatorConsole):
    """Does purge ask for confirmation, then delete the session for good?"""
    session = console.start_session()
    console._purge.click()
    assert console.store.session(session.code) is not None
    console._purge.click()
    assert console.store.session(session.code) is None and console.session is None


def test_the_console_picks_up_a_running_session_after_a_restart(console: FacilitatorConsole):
    """If the console restarts mid-workshop, does it come back to the running session?"""
    session = console.start_session()
    again = FacilitatorConsole(store=console.store, join_base=console.join_base)
    assert again.session.code == session.code


def test_an_ended_session_can_still_be_exported_and_purged(console: FacilitatorConsole):
    """After "End the session", can the facilitator still export and then purge it, and start a new one?"""
    session = console.start_session()
    share(console, 0, f"{THEME1}/stirs-up", [("item", "being_left")])
    console._end.click()
    assert console.store.session(session.code).ended
    assert not console._export.disabled and "being_left" in console.export_csv()
    assert console._setup.layout.display is None and console._theme_buttons[0].disabled
    console._purge.click()
    console._purge.click()
    assert console.store.session(session.code) is None


def test_chart_labels_start_at_the_left_edge_and_wrap_whole():
    """Is every bar's label drawn from the chart's left edge, a long one wrapped onto lines that
    together hold all of it, and the counts beside the bars?"""
    long = "A strong need to hear, again and again, that we are okay and that nothing has changed between us"
    svg = bar_chart(Chart(title="What it stirs up", bars=[(long, 3), ("Relief", 0)], respondents=3))
    labels = re.findall(r'<text x="([^"]+)" y="[^"]+" class="hs-chart-label">([^<]*)</text>', svg)
    assert {x for x, _ in labels} == {"0"}
    assert all(len(text) <= LABEL_CHARS for _, text in labels)
    assert " ".join(text for _, text in labels) == f"{long} Relief"
    assert re.findall(r'class="hs-chart-count">(\d+)<', svg) == ["3", "0"]


def test_the_console_builds_no_participant_widget(console: FacilitatorConsole):
    """Does the console find each theme's exercises from the notebook's cells and the content alone,
    building no participant exercise (built, even closed at once, they once sent its page 1,471 widget
    models and showed "model not found" on a busy laptop), while its charts still work?"""
    made = []
    Widget.on_widget_constructed(made.append)
    try:
        again = FacilitatorConsole(store=console.store)
    finally:
        Widget.on_widget_constructed(None)
    assert not [w for w in made if isinstance(w, Exercise)]
    assert {spec.kind for specs in again._exercises.values() for spec in specs} >= {"CheckIn", "StirsUp", "Takeaway"}
    console.start_session("group", k=2)
    console.move_everyone(THEME1)
    for n in range(2):
        share(console, n, f"{THEME1}/stirs-up", [("item", content.stirs_up()[0]["id"])])
    console.refresh(force=True)
    assert "<svg" in str([getattr(c, "value", "") for c in console._answers.children[1].children])
    assert console.comm is not None and console._answers.comm is not None
