"""The facilitator console, without a browser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ipywidgets import Widget

from widgets.base import Exercise
from widgets.charts import LABEL_CHARS, bar_chart
from widgets.console import FacilitatorConsole, join_url
from widgets.console_panels import AnswersPanel, DataPanel, JoinPanel, NotesPanel, SessionLine, SetupPanel, ThemesPanel
from workshop import content
from workshop.aggregate import Chart
from workshop.exercises import ExerciseSpec
from workshop.store import Session, Store, pseudonym

THEME1 = "01_the_pain_behind_the_request"


@pytest.fixture
def console(tmp_path: Path) -> FacilitatorConsole:
    return FacilitatorConsole(store=Store(f"sqlite:///{tmp_path / 'c.sqlite'}"), join_base="http://192.0.2.1:8866/?token=abc")


def share(console: FacilitatorConsole, n: int, exercise: str, rows) -> None:
    console.store.replace_shares(console.session, pseudonym(console.session.code, f"{n:032x}"), exercise, rows)


def test_starting_a_session_shows_its_code_qr_and_join_address(console: FacilitatorConsole):
    """Does a new session show its code, a QR code and a join address carrying token and code?"""
    session = console.start_session("group", k=5)
    assert session.display_code in console.session_line.line.value
    assert "<svg" in console.join_panel.qr.value
    svg = re.search(r"<svg[^>]*>", console.join_panel.qr.value).group(0)
    assert "viewBox=" in svg and " width=" not in svg and " height=" not in svg  # CSS can scale it
    assert join_url(console.join_base, session.code) == f"http://192.0.2.1:8866/?token=abc&s={session.code}"
    assert console.setup_panel.layout.display == "none"


def test_moving_everyone_updates_the_session_and_the_notes(console: FacilitatorConsole):
    """Does choosing a theme store it for participants and show that theme's notes?"""
    console.start_session()
    console.themes_panel.buttons[1].click()
    assert console.store.session(console.session.code).theme == THEME1
    assert console.themes_panel.buttons[1].button_style == "primary"
    assert "h2" in console.notes_panel.value


def test_answers_show_only_at_k(console: FacilitatorConsole):
    """With k = 3, is there a waiting line at 2 answers and a chart with counts at 3?"""
    console.start_session("group", k=3)
    console.move_everyone(THEME1)
    item = content.stirs_up()[0]
    for n in range(2):
        share(console, n, f"{THEME1}/stirs-up", [("item", item.id)])
    console.refresh()
    text = str([c.value for c in console.answers_panel.children[1].children])
    assert "1 more needed" in text and "<svg" not in text
    share(console, 2, f"{THEME1}/stirs-up", [("item", item.id)])
    console.refresh()
    chart = console.answers_panel.children[1].children[1].value
    assert "<svg" in chart and f"{item.text}: 3" in chart


def test_couple_sessions_never_show_answers(console: FacilitatorConsole):
    """In a couple session, does the console say answers are never shown, whatever was shared?"""
    console.start_session("couple")
    console.move_everyone(THEME1)
    for n in range(6):
        share(console, n, f"{THEME1}/stirs-up", [("item", content.stirs_up()[0].id)])
    console.refresh(force=True)
    text = str([c.value for c in console.answers_panel.children if hasattr(c, "value")])
    assert content.ui_text()["console_no_aggregates"][:40] in text and "<svg" not in text


def test_shared_text_is_escaped_and_can_be_hidden(console: FacilitatorConsole):
    """Is shared HTML shown as text, and does Hide take it off the screen?"""
    console.start_session("group", k=2)
    console.move_everyone("07_closing")
    share(console, 0, "07_closing/takeaway", [("text", "<script>alert(1)</script>")])
    share(console, 1, "07_closing/takeaway", [("text", "kind words")])
    console.refresh()
    rows = [c for c in console.answers_panel.children[-1].children if "hs-shared-row" in c._dom_classes]
    assert "&lt;script&gt;" in rows[0].children[0].value and "<script>" not in rows[0].children[0].value
    rows[0].children[1].click()
    rows = [c for c in console.answers_panel.children[-1].children if "hs-shared-row" in c._dom_classes]
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
    console.data_panel.purge_button.click()
    assert console.store.session(session.code) is not None
    console.data_panel.purge_button.click()
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
    console.session_line.end_button.click()
    assert console.store.session(session.code).ended
    assert not console.data_panel.export_button.disabled and "being_left" in console.export_csv()
    assert console.setup_panel.layout.display is None and console.themes_panel.buttons[0].disabled
    console.data_panel.purge_button.click()
    console.data_panel.purge_button.click()
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
    assert {spec.kind for specs in again.answers_panel.exercises.values() for spec in specs} >= {"CheckIn", "StirsUp", "Takeaway"}
    console.start_session("group", k=2)
    console.move_everyone(THEME1)
    for n in range(2):
        share(console, n, f"{THEME1}/stirs-up", [("item", content.stirs_up()[0].id)])
    console.refresh(force=True)
    assert "<svg" in str([getattr(c, "value", "") for c in console.answers_panel.children[1].children])
    assert console.comm is not None and console.answers_panel.comm is not None


# ---------------------------------------------------------------------- each panel on its own
def a_session(**changes) -> Session:
    fields = dict(id=1, code="KXR4PM", kind="group", k=3, created=0.0, theme=THEME1, follow=True, ended=False)
    return Session(**{**fields, **changes})


def test_the_answers_panel_draws_a_chart_at_k_and_a_waiting_line_below(tmp_path: Path):
    """Given only a store and an exercise spec, does the answers panel wait below k and draw a chart at k?"""
    store = Store(f"sqlite:///{tmp_path / 'a.sqlite'}")
    session = store.create_session("group", k=2, theme=THEME1)
    spec = ExerciseSpec(theme=THEME1, cell_id="stirs-up", kind="StirsUp", params={"prompt": "What does it stir up?"})
    hidden = []
    panel = AnswersPanel(store, content.load_themes(), {THEME1: [spec]}, on_hide=lambda *a: hidden.append(a))
    assert content.ui_text()["console_no_session"][:30] in panel.children[0].value
    item = content.stirs_up()[0]
    store.replace_shares(session, pseudonym(session.code, "a" * 32), spec.key, [("item", item.id)])
    panel.session, panel.theme = session, THEME1
    block = panel.children[1]
    assert block.children[0].value == "<h3>What does it stir up?</h3>"
    assert "hs-waiting" in block.children[1].value and "1 more needed" in block.children[1].value
    store.replace_shares(session, pseudonym(session.code, "b" * 32), spec.key, [("item", item.id)])
    panel.activity = tuple(store.signature(session))  # the console's poll: redrawn because the store changed
    block = panel.children[1]
    assert "hs-console-exercise" in block._dom_classes and f"{item.text}: 2" in block.children[1].value
    assert not hidden


def test_the_data_panel_purges_only_on_the_second_click():
    """Does the first click on purge only ask (and warn), the second purge, and another session ask again?"""
    texts = content.ui_text()
    purged, exported = [], []
    panel = DataPanel(on_export=lambda: exported.append(1), on_purge=lambda: purged.append(1))
    assert panel.purge_button.disabled and panel.export_button.disabled  # no session yet
    panel.session = a_session()
    panel.purge_button.click()
    assert not purged and panel.purge_button.description == texts["console_purge_confirm"]
    assert 'role="alert"' in panel.note.value
    panel.session = a_session(theme="07_closing")  # everyone moved on: still asking
    assert panel.purge_button.description == texts["console_purge_confirm"]
    panel.session = a_session(ended=True)  # the session ended: ask again
    panel.purge_button.click()
    assert not purged
    panel.purge_button.click()
    assert purged == [1]
    panel.export_button.click()
    assert exported == [1]


def test_the_setup_panel_asks_k_for_groups_only_and_hides_while_a_session_runs():
    started = []
    panel = SetupPanel(on_start=lambda kind, k: started.append((kind, k)))
    assert not panel.k.disabled
    panel.kind.value = "couple"
    assert panel.k.disabled
    panel.kind.value = "group"
    panel.k.value = 4
    panel.start_button.click()
    assert started == [("group", 4)]
    panel.session = a_session()
    assert panel.layout.display == "none"
    panel.session = a_session(ended=True)
    assert panel.layout.display is None


def test_the_themes_panel_moves_highlights_and_mirrors_follow():
    """Does a theme button ask to move everyone, the current theme stand out, and the follow toggle
    show the session's follow and ask to change it?"""
    texts = content.ui_text()
    themes = content.load_themes()
    chosen, follows = [], []
    panel = ThemesPanel(themes, on_choose=chosen.append, on_follow=follows.append)
    assert all(b.disabled for b in panel.buttons) and panel.follow.disabled  # no session
    panel.session = a_session(follow=False)
    assert not panel.buttons[0].disabled and panel.follow.value is False
    assert panel.follow.description == texts["console_follow_off"]
    panel.buttons[1].click()
    assert chosen == [themes[1].key]
    panel.theme = themes[1].key
    assert [b.button_style for b in panel.buttons[:3]] == ["", "primary", ""]
    panel.follow.value = True
    assert follows[-1] is True and panel.follow.description == texts["console_follow_on"]
    panel.session = None  # purged: the toggle keeps what it showed
    assert panel.follow.value is True and panel.follow.disabled


def test_the_join_panel_shows_the_code_large_until_the_session_changes():
    texts = content.ui_text()
    panel = JoinPanel("http://192.0.2.1:8866/?token=abc")
    assert panel.layout.display == "none"
    panel.session = a_session()
    assert panel.layout.display is None and "KXR-4PM" in panel.qr.value and 'role="img"' in panel.qr.value
    panel.large.value = True
    assert "hs-console-join-large" in panel._dom_classes and panel.large.description == texts["console_qr_small"]
    panel.session = a_session(theme="07_closing")  # the same session moved on: still large
    assert panel.large.value
    panel.session = a_session(ended=True)
    assert not panel.large.value and "hs-console-join-large" not in panel._dom_classes
    assert panel.layout.display == "none" and panel.qr.value == ""


def test_the_session_line_and_the_notes_follow_their_traits():
    texts = content.ui_text()
    ended = []
    line = SessionLine("http://x/?token=a", on_end=lambda: ended.append(1))
    assert line.layout.display == "none"
    line.session = a_session()
    assert "KXR-4PM" in line.line.value and "http://x/?token=a&amp;s=KXR4PM" in line.line.value
    line.activity = (3, 9, 0, 1, 4)  # shares, top id, hidden, quiet words, present
    assert texts["console_present"].format(n=4) in line.present.value
    assert texts["console_quiet_words"].format(n=1) in line.present.value
    line.end_button.click()
    assert ended == [1]
    line.session = a_session(ended=True)
    assert line.end_button.disabled and texts["console_ended_note"][:20] in line.line.value

    notes = NotesPanel(lambda key: f"<p>notes of {key}</p>")
    assert notes.layout.display == "none"
    notes.theme = THEME1
    assert notes.layout.display is None and notes.value.endswith(f"<p>notes of {THEME1}</p>")


def test_the_panels_follow_the_consoles_session_and_theme(console: FacilitatorConsole):
    """Do the panels take the console's session and theme, with no call from the console to each?"""
    session = console.start_session("group", k=3)
    console.move_everyone("07_closing")
    for panel in (
        console.setup_panel,
        console.session_line,
        console.join_panel,
        console.themes_panel,
        console.data_panel,
        console.answers_panel,
    ):
        assert panel.session == console.session and panel.session.theme == "07_closing"
    for panel in (console.themes_panel, console.notes_panel, console.answers_panel):
        assert panel.theme == "07_closing"
    assert console.session_line.activity == tuple(console.store.signature(session))


def test_a_signed_in_facilitators_console_shows_only_their_sessions(tmp_path: Path, monkeypatch):
    """Online, does the console's kernel take the facilitator the server names, start sessions under
    that name, and never pick up another facilitator's (or a laptop's) session?"""
    from workshop import facilitators

    store = Store(f"sqlite:///{tmp_path / 'c.sqlite'}")
    kims = store.create_session("group", facilitator="kim")
    monkeypatch.setenv(facilitators.FACILITATOR_ENV, "sam")
    sams_console = FacilitatorConsole(store=store, join_base="https://example.org/?token=abc")
    assert sams_console.facilitator == "sam" and sams_console.session is None
    started = sams_console.start_session()
    assert started.facilitator == "sam" and started.code != kims.code
    monkeypatch.setenv(facilitators.FACILITATOR_ENV, "kim")
    assert FacilitatorConsole(store=store, join_base="x").session.code == kims.code
    monkeypatch.setenv(facilitators.FACILITATOR_ENV, "not a name!")  # never a scope the server did not set
    assert facilitators.from_environment() is None
    monkeypatch.delenv(facilitators.FACILITATOR_ENV)
    assert FacilitatorConsole(store=store, join_base="x").session is None  # the laptop's console: its own only


def test_a_chart_resting_on_fewer_than_k_people_stays_hidden_in_an_open_exercise(console: FacilitatorConsole, tmp_path):
    """Five people share their check-in words, one of them also a rating: the words' chart opens at k = 5,
    but the rating's chart (one person) is held back in the console, the report and the projector."""
    from workshop import aggregate
    from workshop.report import build_report
    from workshop.serving.projector import projector_state

    session = console.start_session("group", k=5)
    key = "00_welcome/" + next(spec.cell_id for spec in console.answers_panel.exercises["00_welcome"] if spec.kind == "CheckIn")
    word = content.feelings()[0]
    for n in range(5):
        share(console, n, key, [("feeling", word)] + ([("intensity", "9")] if n == 0 else []))
    rows = console.store.shares(console.session, key)
    spec = next(s for s in console.answers_panel.exercises["00_welcome"] if s.key == key)
    parts, held = aggregate.shown(spec.picture(rows), 5)
    assert held == 1 and all(p.respondents >= 5 for p in parts)
    console.refresh(force=True)
    drawn = " ".join(getattr(child, "value", "") for child in _walk(console.answers_panel))
    assert f"{word}: 5" in drawn and "hs-held-back" in drawn
    assert ": 9" not in drawn  # the one rating is not drawn
    report = build_report(console.store, console.session)
    (rating_chart,) = [p for p in spec.picture(rows) if isinstance(p, aggregate.Chart) and p.respondents == 1]
    assert f"{word}: 5" in report and rating_chart.summary() not in report and rating_chart.title not in drawn
    console.store.update_session(session.code, show_picture=True)
    state = projector_state(console.store, None, console.join_base)
    assert all(chart["respondents"] >= 5 for p in state.get("pictures", []) for chart in p.get("charts", []))


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)


def test_the_report_button_downloads_the_printable_report(console: FacilitatorConsole, monkeypatch):
    """Does "Download the session report" send this session's report (HTML, named by its code) and say so?"""
    sent = {}
    monkeypatch.setattr(console.data_panel.downloader, "download",
                        lambda filename, text, mime: sent.update(filename=filename, text=text, mime=mime))
    session = console.start_session("group", k=3)
    console.data_panel.report_button.click()
    assert sent["filename"] == f"holding-space-report-{session.code}.html" and sent["mime"] == "text/html"
    assert sent["text"].lstrip().startswith("<!DOCTYPE html>") and session.display_code in sent["text"]
    assert "report was downloaded" in console.data_panel.note.value


def test_the_closing_theme_shows_the_groups_before_and_after_only_at_k(console: FacilitatorConsole):
    """On the closing theme, the console shows the check-in and check-out ratings as two group pictures,
    each once k people rated; below k, how many more are needed; never a pairing of one person's two."""
    themes = content.load_themes()
    specs = console.answers_panel.exercises
    check_in = next(s.key for s in specs[themes[0].key] if s.kind == "CheckIn")
    check_out = next(s.key for s in specs[themes[-1].key] if s.kind == "CheckIn")
    console.start_session("group", k=3)
    console.move_everyone(themes[-1].key)
    for n in range(3):
        share(console, n, check_in, [("intensity", "7")])
    for n in range(2):
        share(console, n, check_out, [("intensity", "3")])
    console.refresh(force=True)
    block = next(w for w in _walk(console.answers_panel) if "hs-before-after" in getattr(w, "_dom_classes", ()))
    drawn = " ".join(getattr(child, "value", "") for child in _walk(block))
    assert "7: 3" in drawn and "3: 2" not in drawn  # the check-out rests on two people: not drawn
    share(console, 2, check_out, [("intensity", "4")])
    console.refresh(force=True)
    block = next(w for w in _walk(console.answers_panel) if "hs-before-after" in getattr(w, "_dom_classes", ()))
    drawn = " ".join(getattr(child, "value", "") for child in _walk(block))
    assert "3: 2" in drawn and "4: 1" in drawn
