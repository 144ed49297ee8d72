"""The projector view's state (workshop.serving.projector): what the room's screen shows, read from
the store alone, and the console's controls for it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workshop import content
from workshop.serving.projector import key_line, projector_state
from workshop.store import Store, pseudonym

JOIN = "https://workshop.example.org/?token=abc"
THEME1 = "01_the_pain_behind_the_request"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'p.sqlite'}")


def stirs_up_key() -> str:
    from workshop import exercises

    theme = next(th for th in content.load_themes() if th.key == THEME1)
    return next(spec.key for spec in exercises.find(theme) if spec.kind == "StirsUp")


def share(store: Store, session, n: int, exercise: str, rows) -> None:
    store.replace_shares(session, pseudonym(session.code, f"{n:032x}"), exercise, rows)


def test_every_theme_has_a_key_line_from_its_notebook():
    """The line under each theme's title, written in italics in the notebook, is the projector's key line."""
    for theme in content.load_themes():
        line = key_line(theme)
        assert 20 < len(line) < 200 and not line.startswith("*"), (theme.key, line)


def test_before_a_session_and_while_people_arrive(store: Store):
    assert projector_state(store, None, JOIN) == {"phase": "none"}
    session = store.create_session("group", k=2, theme="00_welcome")
    store.touch(session, pseudonym(session.code, "a" * 32))
    state = projector_state(store, None, JOIN)
    assert state["phase"] == "arriving" and state["code"] == session.display_code and state["present"] == 1
    assert state["join"] == f"{JOIN}&s={session.code}" and state["qr"].startswith("<svg")
    assert "<script" not in state["qr"] and "href" not in state["qr"]  # a drawing, nothing else


def test_after_the_first_move_the_theme_and_only_chosen_pictures_at_k(store: Store):
    session = store.create_session("group", k=2, theme="00_welcome")
    store.update_session(session.code, theme=THEME1)
    state = projector_state(store, None, JOIN)
    assert state["phase"] == "theme" and "qr" not in state and "join" not in state
    assert state["theme"]["title"] == "The pain behind the request" and state["theme"]["key_line"]
    assert state["pictures"] == []  # the facilitator has not chosen to show it
    store.update_session(session.code, show_picture=True)
    key = stirs_up_key()
    item = content.stirs_up()[0].id
    share(store, session, 1, key, [("item", item)])
    waiting = projector_state(store, None, JOIN)["pictures"]
    assert len(waiting) == 1 and "charts" not in waiting[0] and "1 more" in waiting[0]["waiting"]
    share(store, session, 2, key, [("item", item)])
    (picture,) = projector_state(store, None, JOIN)["pictures"]
    (chart,) = picture["charts"]
    assert chart["respondents"] == 2 and [content.stirs_up()[0].text, 2] in chart["bars"]
    assert f"{content.stirs_up()[0].text}: 2" in chart["summary"]
    text = json.dumps(projector_state(store, None, JOIN))
    for n in (1, 2):  # no pseudonym ever leaves the store
        assert pseudonym(session.code, f"{n:032x}") not in text


@pytest.mark.parametrize("kind", ["couple", "one"])
def test_couples_and_one_to_one_never_show_a_picture_or_a_text(store: Store, kind: str):
    session = store.create_session(kind, theme="00_welcome")
    store.update_session(session.code, theme=THEME1, show_picture=True)
    key = stirs_up_key()
    for n in (1, 2):
        share(store, session, n, key, [("item", content.stirs_up()[0].id)])
    store.update_session(session.code, shown_text=store.shares(session)[0].id)
    state = projector_state(store, None, JOIN)
    assert state["pictures"] == [] and "text" not in state


def test_a_shared_text_shows_only_once_chosen_and_never_once_hidden(store: Store):
    session = store.create_session("group", k=2, theme="00_welcome")
    store.update_session(session.code, theme="07_closing")
    share(store, session, 1, "07_closing/takeaway", [("text", "<b>breathe</b> first")])
    share(store, session, 2, "07_closing/takeaway", [("text", "ask when")])
    first, second = store.shares(session)
    assert "text" not in projector_state(store, None, JOIN)
    store.update_session(session.code, shown_text=first.id)
    assert projector_state(store, None, JOIN)["text"] == "<b>breathe</b> first"  # drawn as text by the page
    store.hide(session, first.id)
    assert "text" not in projector_state(store, None, JOIN)
    other = store.create_session("group", k=2, theme="00_welcome", facilitator="kim")
    store.update_session(other.code, shown_text=second.id)  # another session's text id: not shown there
    assert "text" not in projector_state(store, "kim", JOIN)


def test_each_facilitators_projector_shows_their_own_session(store: Store):
    sams = store.create_session("group", theme="00_welcome", facilitator="sam")
    store.create_session("group", theme="00_welcome", facilitator="kim")
    assert projector_state(store, "sam", JOIN)["code"] == sams.display_code
    assert projector_state(store, None, JOIN) == {"phase": "none"}  # the laptop's console made none


def test_the_console_puts_the_picture_and_a_text_on_the_projector(tmp_path: Path):
    from widgets.console import FacilitatorConsole

    console = FacilitatorConsole(store=Store(f"sqlite:///{tmp_path / 'c.sqlite'}"), join_base=JOIN)
    session = console.start_session("group", k=2)
    assert console.projector_panel.layout.display != "none" and console.projector_panel.picture.value is False
    console.projector_panel.picture.value = True
    assert console.store.session(session.code).show_picture is True
    console.project_picture(False)
    assert console.store.session(session.code).show_picture is False and console.projector_panel.picture.value is False
    share(console.store, console.session, 1, "07_closing/takeaway", [("text", "one")])
    console.project_text(console.store.shares(console.session)[0].id)
    assert console.store.session(session.code).shown_text == console.store.shares(console.session)[0].id
    console.project_text(None)
    assert console.store.session(session.code).shown_text is None
    couple = FacilitatorConsole(store=Store(f"sqlite:///{tmp_path / 'd.sqlite'}"), join_base=JOIN)
    couple.start_session("couple")
    assert couple.projector_panel.picture.layout.display == "none"  # no group picture for a couple
