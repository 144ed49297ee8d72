"""The space agreement as the participant's own draft: guardrails on the builder and the take-home,
a break in a heated moment or a longer time apart, nothing lost when switching, old answers still restore."""

from __future__ import annotations

import html
import re
import shutil

import pytest
from traitlets import TraitError

from widgets import SpaceAgreement, TakeHome
from widgets.markup import escape
from workshop import content
from workshop.content import LONGER_LISTS

TEXTS = content.ui_text()
GUARDS = [TEXTS[f"agreement_guard_{part}"] for part in ("title", "proposal", "control", "safety")]

BREAK = {"signal": "pause", "minutes": 45, "check_in": "one text", "come_back": "at 7 pm",
         "before": "a hug", "after": "a walk", "while_waiting": "music"}
LONGER = {"how_often": "every few days", "longer_check_in": "a short call", "tell_others": "we are thinking",
          "review": "in two weeks", "self_care": "see a friend"}


def filled(kind: str) -> SpaceAgreement:
    ex = SpaceAgreement()
    for name, value in {**BREAK, **LONGER}.items():
        setattr(ex, name, value)
    ex.kind = kind
    return ex


def shown(widget) -> bool:
    return widget.layout.display != "none"


def test_the_draft_is_titled_as_mine_to_talk_over():
    """Is the card (and the take-home section) titled "My draft, to talk over", not "our agreement"?"""
    assert TEXTS["agreement_title"] == "My draft, to talk over"
    ex = filled("break")
    assert escape(TEXTS["agreement_title"]) in ex._card.value
    assert ex.take_home().title == TEXTS["agreement_title"]


def test_no_agreement_text_presumes_the_partner_agreed():
    """Does every agreement text that speaks of "we" put it as a suggestion, and none say "our"?"""
    agreement = {key: text for key, text in TEXTS.items() if key.startswith("agreement_")}
    assert not [key for key, text in agreement.items() if re.search(r"\bours?\b", text, re.I)]
    presuming = [key for key, text in agreement.items() if re.search(r"\bwe\b", text, re.I) and "I'd suggest" not in text]
    assert presuming == []


def test_the_guardrails_stand_above_the_fields_whatever_the_kind():
    """Are the three guardrails (proposal, never control, not if unsafe, with "Help now") shown above the fields for both kinds?"""
    ex = SpaceAgreement()
    assert "Help now" in TEXTS["agreement_guard_safety"]
    for kind in SpaceAgreement.KINDS:
        ex.kind = kind
        assert ex._guard in ex.children
        assert ex.children.index(ex._guard) < ex.children.index(ex._body)
        for text in GUARDS:
            assert escape(text) in ex._guard.value


def test_the_take_home_carries_the_guardrails_even_with_one_field_filled():
    """With only one field filled, does the take-home page print the guardrails first in the draft's section?"""
    for kind, (name, value) in (("break", ("signal", "pause")), ("longer", ("review", "in a month"))):
        ex = SpaceAgreement(kind=kind)
        setattr(ex, name, value)
        section = ex.take_home()
        assert section.lines[0] == ("", TEXTS["agreement_takehome_guard"])
        page = TakeHome(collect=lambda ex=ex: [ex]).page()
        assert html.escape(TEXTS["agreement_takehome_guard"]) in page
        assert page.index(html.escape(TEXTS["agreement_takehome_guard"])) < page.index(html.escape(value))


def test_an_empty_draft_puts_nothing_on_the_take_home():
    """Is a draft with nothing filled in (whichever kind is chosen) left off the take-home?"""
    for kind in SpaceAgreement.KINDS:
        ex = SpaceAgreement(kind=kind)
        assert ex.take_home() is None
        assert TEXTS["agreement_takehome_guard"][:40] not in TakeHome(collect=lambda ex=ex: [ex]).page()


def test_a_break_shows_the_break_fields_and_says_the_rule_is_gottmans_rule_of_thumb():
    """For a break, are only the break's fields shown, with the slider, and the 20-minute-to-24-hour rule credited to Gottman as a rule of thumb?"""
    ex = SpaceAgreement()
    assert ex.kind == "break"
    assert shown(ex._groups["break"]) and not shown(ex._groups["longer"])
    assert ex._length in ex._groups["break"].children
    note = ex._length_note.value
    assert "Gottman" in note and "rule of thumb" in note and "heated" in note
    assert "20 minutes" in note and "24 hours" in note


def test_a_longer_time_apart_has_its_own_fields_and_ideas():
    """Chosen with its button, does a longer time apart show its own fields (not the slider), with ideas from rituals.yaml?"""
    ex = SpaceAgreement()
    ex._kind.value = "longer"
    assert ex.kind == "longer"
    assert shown(ex._groups["longer"]) and not shown(ex._groups["break"])
    assert TEXTS["agreement_kind_longer_hint"][:30] in ex._kind_hint.value
    rituals = content.rituals()
    for name, key in zip(SpaceAgreement.LONGER_FIELDS, LONGER_LISTS, strict=True):
        first = ex._boxes[name].children[-1].children[0]
        first.click()
        assert getattr(ex, name) == rituals.ideas(key)[0]
    assert [label for label, _ in ex.lines()] == [TEXTS[f"agreement_{n}_short"] for n in SpaceAgreement.LONGER_FIELDS]


def test_switching_kind_loses_nothing():
    """Typed into both kinds, switched back and forth, is every field still there, in the answer and after a restore?"""
    ex = SpaceAgreement()
    for name, value in BREAK.items():
        if name != "minutes":
            ex._boxes[name]._input.value = value
    ex._length.value = 45
    ex._kind.value = "longer"
    for name, value in LONGER.items():
        ex._boxes[name]._input.value = value
    ex._kind.value = "break"
    ex._kind.value = "longer"
    for name, value in {**BREAK, **LONGER}.items():
        assert getattr(ex, name) == value
        assert name == "minutes" or ex._boxes[name].value == value
    again = SpaceAgreement()
    assert again.restore(ex.answer) == []
    assert again.answer == ex.answer and again.kind == "longer"
    assert shown(again._groups["longer"]) and again._kind.value == "longer"


def test_saved_answers_from_before_the_two_kinds_restore_as_a_break():
    """Does a saved answer with no kind (the old format) restore as a break, with its fields?"""
    old = {"signal": "pause", "minutes": 60, "check_in": "", "come_back": "at 8", "before": "", "after": "",
           "while_waiting": "a walk", "passed": False, "share": False}
    ex = SpaceAgreement()
    assert ex.restore(old) == []
    assert ex.kind == "break" and ex._kind.value == "break"
    assert ("Signal", "pause") in ex.lines() and ex._length.value == 60


def test_a_kind_a_browser_should_not_send_is_refused():
    """Is a kind other than "break" or "longer" refused with a TraitError, and dropped (alone) from a saved answer?"""
    ex = SpaceAgreement()
    for bad in ("forever", "", None, 1, ["break"]):
        with pytest.raises(TraitError):
            ex.kind = bad
    assert ex.kind == "break"
    assert ex.restore({"kind": "track-them", "signal": "pause"}) == ["kind"]
    assert ex.kind == "break" and ex.signal == "pause"


def test_card_and_take_home_hold_only_the_chosen_kind():
    """Do the card, lines() and the take-home page hold the chosen kind's fields and none of the other's?"""
    for kind, mine, other in (("break", BREAK, LONGER), ("longer", LONGER, BREAK)):
        ex = filled(kind)
        page = TakeHome(collect=lambda ex=ex: [ex]).page()
        values = [v for _, v in ex.lines()]
        for name, value in mine.items():
            if name != "minutes":
                assert value in values and value in ex._card.value and value in page
        for name, value in other.items():
            if name != "minutes":
                assert value not in values and value not in ex._card.value and value not in page
        assert html.escape(TEXTS[f"agreement_kind_{kind}"]) in page
        assert ("45 minutes" in page) == (kind == "break")


def test_hostile_text_in_the_longer_fields_is_shown_as_text():
    """Typed into a longer time apart's fields, is markup escaped on the card and on the take-home page?"""
    ex = SpaceAgreement(kind="longer")
    for name in SpaceAgreement.LONGER_FIELDS:
        ex._boxes[name]._input.value = "<script>alert(1)</script>" * 10
        assert len(getattr(ex, name)) <= 120
    page = TakeHome(collect=lambda: [ex]).page()
    assert "<script>" not in ex._card.value and "<script>" not in page.split("<body>", 1)[1]


def test_the_agreement_is_never_shared():
    """Is the draft private: nothing offered to the group, nothing in shared rows even if share were ticked?"""
    ex = filled("longer")
    ex.share_available = True
    ex.share = True
    assert SpaceAgreement.shareable is None and ex.shared_rows() == []


def test_longer_ideas_must_be_lists_of_short_texts(tmp_path):
    """Does a rituals.yaml whose longer-time-apart list is missing or holds a non-text stop with a clear ContentError?"""
    def longer(folder=None):
        rituals = content.rituals(folder)
        return {key: rituals.ideas(key) for key in LONGER_LISTS}

    ideas = longer()
    assert set(ideas) == set(LONGER_LISTS) and all(ideas.values())
    source = content.content_dir() / "rituals.yaml"
    text = source.read_text(encoding="utf-8")
    (tmp_path / "rituals.yaml").write_text(text.replace("review:", "reviews:"), encoding="utf-8")
    with pytest.raises(content.ContentError, match="'review'"):
        longer(tmp_path)
    (tmp_path / "rituals.yaml").write_text(text.replace('  - "In one week"', "  - 7"), encoding="utf-8")
    with pytest.raises(content.ContentError, match="'review'"):
        longer(tmp_path)
    shutil.copy(source, tmp_path / "rituals.yaml")
    assert longer(tmp_path) == ideas
