"""Every place a participant or facilitator types, fed the hostile corpus (tests/data/hostile_strings.json):
each value is bounded, holds no control characters, and is shown as text wherever it appears."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from widgets import (
    CheckIn,
    Feedback,
    IStatement,
    LoopMap,
    PartnerNote,
    Reframe,
    SpaceAgreement,
    StirsUp,
    StoryITellMyself,
    Takeaway,
    TakeHome,
)
from widgets.fields import TextBox
from workshop import content
from workshop.store import Store, pseudonym

CORPUS = json.loads((Path(__file__).resolve().parents[1] / "data" / "hostile_strings.json").read_text(encoding="utf-8"))
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
MARKUP = re.compile(r"<(script|img|svg|iframe|style|a|b|i)\b", re.I)


def text_boxes(widget) -> list[TextBox]:
    found = [widget] if isinstance(widget, TextBox) else []
    for child in getattr(widget, "children", ()):
        found.extend(text_boxes(child))
    return found


def exercises():
    reframe = Reframe()
    reframe.worry = content.reframes()[0].id
    return [
        CheckIn(), StirsUp(), StoryITellMyself(), PartnerNote(), Takeaway(), reframe, LoopMap(), IStatement(), SpaceAgreement(),
        Feedback(),
    ]


def test_the_corpus_has_at_least_fifty_strings():
    """Is the hostile corpus at least 50 strings long, with script, SQL, RTL, emoji and control characters?"""
    joined = "".join(CORPUS)
    assert len(CORPUS) >= 50
    for needle in ("<script>", "DROP TABLE", "\u202e", "😀", "\x00", "../"):
        assert needle in joined


@pytest.mark.parametrize("text", CORPUS, ids=range(len(CORPUS)))
def test_every_text_field_bounds_and_cleans_hostile_input(text):
    """Typed into every text field of every exercise, is the value bounded and free of control characters,
    and is nothing of it rendered as markup in the exercise or on the take-home page?"""
    all_exercises = exercises()
    for exercise in all_exercises:
        boxes = text_boxes(exercise)
        assert boxes, type(exercise).__name__
        for box in boxes:
            box._input.value = text
            assert len(box.value) <= box._limit
            assert not CONTROL.search(box.value)
        for child in text_boxes(exercise):
            assert child.value == child._input.value  # what the participant sees is what is kept
        rendered = " ".join(getattr(w, "value", "") for w in _html_widgets(exercise))
        assert not MARKUP.search(_strip_kit_markup(rendered)), type(exercise).__name__
    home = TakeHome(collect=lambda: all_exercises)
    home.include_private = ["story", "partner_note", "loop"]  # the most personal parts go on the page too
    body = home.page().split("<body>", 1)[1]
    body = re.sub(r'<section class="helplines">.*?</section>', "", body, flags=re.S)  # the kit's links, from resources.yaml
    assert not MARKUP.search(_strip_kit_markup(body.replace('<button class="print"', ""))), "take-home"


@pytest.mark.parametrize("text", [*CORPUS, "half \ud83d of an emoji", "\udfff", "pair \ud83d\ude00 and \udc80 lone"])
def test_what_a_browser_sends_into_a_text_field_can_always_be_echoed_back(text):
    """Sent by a browser (ipywidgets' set_state, as from the websocket), is every string, half characters
    included, kept in a form that can travel back to the browser, with a note when a character was replaced?"""
    from jupyter_client.session import json_packer

    for exercise in exercises():
        for box in text_boxes(exercise):
            box._input.set_state({"value": text})
            json_packer(box._input.get_state())  # the echo and every later update: raised on half a character
            json_packer({"value": box.value})
            assert not re.search("[\ud800-\udfff]", box.value)
            broken = bool(re.search("[\ud800-\udfff]", text))
            assert ("\ufffd" in box.value) == broken or len(text) > box._limit
            assert (content.ui_text()["text_replaced"][:30] in box._note.value) == broken


def _html_widgets(widget):
    from ipywidgets import HTML

    found = [widget] if isinstance(widget, HTML) else []
    for child in getattr(widget, "children", ()):
        found.extend(_html_widgets(child))
    return found


def _strip_kit_markup(markup: str) -> str:
    """Remove the kit's own tags (p, strong, span, …) so only injected ones would remain."""
    return re.sub(r"</?(p|strong|span|div|dl|dt|dd|br|blockquote|svg|circle|line|text|section|h\d|ul|li|em|figure|figcaption|rect|footer|button)\b[^>]*>", "", markup)


def test_hostile_shared_text_is_stored_bounded_and_shown_as_text_in_the_console(tmp_path):
    """Shared to a group session, is every corpus string stored within bounds and shown in the console as text?"""
    from widgets.console import FacilitatorConsole

    store = Store(f"sqlite:///{tmp_path / 'hostile.sqlite'}")
    console = FacilitatorConsole(store=store, join_base="http://192.0.2.1:8866/?token=t")
    session = console.start_session("group", k=2)
    console.move_everyone("07_closing")
    for n, text in enumerate(CORPUS):
        store.replace_shares(session, pseudonym(session.code, f"{n:032x}"), "07_closing/takeaway", [("text", text)])
    console.refresh(force=True)
    shown = [w.value for w in _html_widgets(console.answers_panel) if "hs-shared-text" in w.value]
    assert len(shown) == len([t for t in CORPUS])
    for markup in shown:
        assert not MARKUP.search(_strip_kit_markup(markup))
    assert all(len(s.value) <= 2000 for s in store.shares(session))
