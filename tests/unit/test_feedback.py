"""The closing feedback (issue 17, point 3): four optional questions in the kit's own words; the
choices are shared as counts when the participant shares, the one word only with its own tick;
hostile text is cleaned and shown as text; the group sees nothing below k."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from jupyter_client.session import json_packer

from tests.hostile import HOSTILE
from widgets import Feedback, TakeHome
from widgets.app import ParticipantApp
from workshop import aggregate, cli, content, exercises, handouts
from workshop.exercises import RECOMMEND, RULES, shared_rows
from workshop.paths import CONTENT_DIR
from workshop.store import Session, Store, pseudonym

UI = content.ui_text()
LISTS = content.feedback()
HELPED = [item.id for item in LISTS.helped]
CHANGE = [item.id for item in LISTS.change]
CLOSING = "07_closing"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass
class Row:  # what the store gives back: the rules read only these fields
    pseudonym: str
    field: str
    value: str
    hidden: bool = False
    id: int = 0


def rows_of(people: list[list[tuple[str, str]]]) -> list[Row]:
    return [Row(f"p{n}", name, value) for n, rows in enumerate(people) for name, value in rows]


def group(k: int = 5, kind: str = "group") -> Session:
    return Session(id=1, code="KXR4PM", kind=kind, k=k, created=0.0, theme=CLOSING, follow=False, ended=False)


@pytest.fixture
def feedback() -> Feedback:
    return Feedback(prompt="How was today for you?")


def offered(exercise: Feedback) -> Feedback:
    """As the app leaves it in a group session after the participant ticked "share anonymously"."""
    exercise.share_available = True
    exercise.share = True
    return exercise


def chip(chips, key: str):
    return chips.children[chips.option_keys.index(key)]


# ---------------------------------------------------------------- the questions and their answers


def test_offers_the_content_lists_and_the_three_answers(feedback: Feedback):
    """Are the helped and change items of feedback.yaml offered as chips, and yes / maybe / no as one choice?"""
    assert [b.description for b in feedback._helped.children] == [i.text for i in LISTS.helped]
    assert [b.description for b in feedback._change.children] == [i.text for i in LISTS.change]
    assert [value for _label, value in feedback._recommend.options] == list(RECOMMEND)
    assert [label for label, _value in feedback._recommend.options] == [UI[f"feedback_recommend_{k}"] for k in RECOMMEND]
    assert all("hs-chip" in b._dom_classes for b in feedback._helped.children)  # the kit's chips, which wrap on a phone
    assert "hs-likert" in feedback._recommend._dom_classes
    assert feedback._word._limit == 40


def test_every_item_is_optional_and_nothing_is_answered_at_first(feedback: Feedback):
    assert feedback.answer == {
        "change": [], "helped": [], "passed": False, "recommend": None, "share": False, "share_word": False, "word": "",
    }
    assert feedback.take_home() is None
    assert offered(feedback).shared_rows() == []


def test_taps_and_typing_become_the_answer(feedback: Feedback):
    """Do chip taps (several), a choice and typing set the answer, in list order, with a thank-you line?"""
    chip(feedback._helped, HELPED[2]).value = True
    chip(feedback._helped, HELPED[0]).value = True
    chip(feedback._change, CHANGE[1]).value = True
    feedback._recommend.value = "maybe"
    feedback._word._input.value = "steadier"
    assert feedback.helped == (HELPED[0], HELPED[2])
    assert feedback.change == (CHANGE[1],)
    assert feedback.recommend == "maybe" and feedback.word == "steadier"
    assert UI["feedback_summary"] in feedback._summary.value


@pytest.mark.parametrize(
    "answer, expected",
    [
        ({"helped": [HELPED[0], HELPED[3]]}, [("helped", HELPED[0]), ("helped", HELPED[3])]),
        ({"change": [CHANGE[4]]}, [("change", CHANGE[4])]),
        ({"recommend": "yes"}, [("recommend", "yes")]),
        ({"recommend": "no"}, [("recommend", "no")]),
        ({"recommend": "perhaps"}, []),
        ({"word": "  hopeful  ", "share_word": True}, [("word", "hopeful")]),
        ({"word": "hopeful", "share_word": False}, []),
        ({"word": "hopeful"}, []),
        ({"word": "hopeful", "share_word": "yes"}, []),  # only the tick itself, not something truthy
        ({"word": "   ", "share_word": True}, []),
        (
            {"helped": [HELPED[1]], "change": [CHANGE[0]], "recommend": "maybe", "word": "lighter", "share_word": True},
            [("helped", HELPED[1]), ("change", CHANGE[0]), ("recommend", "maybe"), ("word", "lighter")],
        ),
    ],
)
def test_the_rule_shares_each_item_as_a_row(answer, expected):
    """With sharing offered and ticked, is each answered item one row, and the word only with its tick?"""
    assert shared_rows("Feedback", {**answer, "share": True, "passed": False}, offered=True) == expected


@pytest.mark.parametrize("offer, share, passed", [(False, True, False), (True, False, False), (True, True, True)])
def test_nothing_is_shared_unless_offered_ticked_and_not_passed(offer, share, passed):
    answer = {"helped": [HELPED[0]], "recommend": "yes", "word": "calm", "share_word": True, "share": share, "passed": passed}
    assert shared_rows("Feedback", answer, offered=offer) == []


def test_the_widget_shares_the_same_rows_and_nothing_after_passing(feedback: Feedback):
    offered(feedback)
    feedback.helped = (HELPED[1],)
    feedback.change = (CHANGE[2],)
    feedback.recommend = "yes"
    assert feedback.shared_rows() == [("helped", HELPED[1]), ("change", CHANGE[2]), ("recommend", "yes")]
    feedback._pass.click()
    assert feedback.passed and feedback.shared_rows() == [] and feedback.take_home() is None
    feedback._unpass.click()
    assert feedback.shared_rows() == [("helped", HELPED[1]), ("change", CHANGE[2]), ("recommend", "yes")]


def test_the_rule_and_the_widget_agree_on_choices():
    """Is the kind's sharing "choices" (ticked by the consent step), the word kept to its own tick?"""
    assert RULES["Feedback"].shareable == Feedback.shareable == "choices"


# ---------------------------------------------------------------- the one word and its own tick


def test_the_word_is_never_shared_without_its_own_tick(feedback: Feedback):
    """Shared choices carry no word; only the word's own box adds it, and unticking "share" takes both back."""
    offered(feedback)
    feedback.word = "kinder"
    feedback.recommend = "yes"
    assert ("word", "kinder") not in feedback.shared_rows()
    feedback._word_box.value = True
    assert feedback.share_word and ("word", "kinder") in feedback.shared_rows()
    feedback._share_box.value = False
    assert feedback.shared_rows() == []
    assert not feedback.share_word and not feedback._word_box.value  # the word's tick went with it
    feedback._share_box.value = True
    assert ("word", "kinder") not in feedback.shared_rows()  # ticking "share" again shares no word


def test_the_words_box_shows_only_under_a_ticked_share_box(feedback: Feedback):
    assert feedback._word_box in feedback._share_row.children
    assert feedback._word_box.layout.display == "none"  # not offered
    feedback.share_available = True
    assert feedback._share_row.layout.display != "none" and feedback._word_box.layout.display == "none"
    feedback.share = True
    assert feedback._word_box.layout.display != "none"
    assert UI["feedback_share_word"] == feedback._word_box.description
    assert UI["share_note_feedback"][:40] in str(feedback._share_row.children[1].value)


def test_the_words_tick_cannot_stand_without_the_share_tick(feedback: Feedback):
    """Set alone, or restored from a saved copy that says so, is the word's tick refused while "share" is off?"""
    feedback.word = "mine"
    feedback.share_available = True
    feedback.share_word = True
    assert not feedback.share_word
    feedback._word_box.value = True  # as a browser could send it for the hidden box
    assert not feedback.share_word and not feedback._word_box.value
    feedback.restore({"share": False, "share_word": True, "word": "mine"})
    assert not feedback.share_word and not feedback._word_box.value
    feedback.share = True
    assert feedback.shared_rows() == []  # the word stays here


def test_the_consent_step_ticks_the_choices_and_never_the_word(tmp_path: Path):
    """In a live group session, after "share my choices", do the choices reach the store and the word only
    once its own box is ticked (and never its bytes before)?"""
    store = Store(f"sqlite:///{tmp_path / 'live.sqlite'}")
    session = store.create_session("group", k=3)
    app = ParticipantApp.from_notebooks()
    app.join(session.code, store=store)
    app._bridge.restored = ""
    app._bridge.participant_id = "f" * 32
    app.decide_consent("share")
    mine = next(ex for ex in app.all_exercises().values() if isinstance(ex, Feedback))
    assert mine.share and not mine.share_word
    mine.helped = (HELPED[0],)
    mine.word = "WORDMARKER"
    values = {(r.field, r.value) for r in store.shares(session, f"{CLOSING}/feedback")}
    assert values == {("helped", HELPED[0])}
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("live.sqlite*"))
    assert b"WORDMARKER" not in raw
    mine._word_box.value = True
    values = {(r.field, r.value) for r in store.shares(session, f"{CLOSING}/feedback")}
    assert values == {("helped", HELPED[0]), ("word", "WORDMARKER")}


# ---------------------------------------------------------------- hostile text


@pytest.mark.parametrize(
    "text", [*HOSTILE, "<b>bold</b><script>x()</script>", "w" * 10_000, "\u202eRTL\u202c word", "a\x00b\x1bc\u0085d"],
    ids=range(len(HOSTILE) + 4),
)
def test_hostile_text_in_the_word_is_cleaned_kept_and_shown_as_text(feedback: Feedback, text: str):
    """Typed into the word (or sent by a browser, half characters included), is the value bounded to 40,
    free of control characters and half characters, kept as the participant sees it, and shown as text
    on the take-home and in the shared rows?"""
    feedback._word._input.set_state({"value": text})  # as ipywidgets applies what a browser sent
    json_packer(feedback._word._input.get_state())  # the echo can travel back
    kept = feedback.word
    assert len(kept) <= 40 and not CONTROL.search(kept) and not re.search("[\ud800-\udfff]", kept)
    assert kept == feedback._word._input.value[:40] or feedback._word._input.value == kept
    assert kept.strip(), "something of it is kept"
    offered(feedback)
    feedback.share_word = True
    assert feedback.shared_rows() == [("word", kept.strip())]
    page = TakeHome(collect=lambda: [feedback]).page()
    body = page.split("<body>", 1)[1]
    assert "<script>x()" not in body and "<b>bold" not in body and "<img" not in body
    if "<" in feedback.word:
        assert "&lt;" in body
    feedback.word = text  # as a restored answer sets it: cleaned the same way
    assert len(feedback.word) <= 40 and not CONTROL.search(feedback.word) and not re.search("[\ud800-\udfff]", feedback.word)


def test_a_right_to_left_word_is_kept_as_written(feedback: Feedback):
    feedback._word._input.value = "שלום"
    assert feedback.word == "שלום"
    assert (UI["feedback_takehome_word"], "שלום") in feedback.take_home().lines


# ---------------------------------------------------------------- a saved answer comes back


def test_a_saved_answer_is_restored_into_the_controls(feedback: Feedback):
    saved = {
        "helped": [HELPED[4], HELPED[0]], "change": [CHANGE[3]], "recommend": "no", "word": "braver",
        "share": True, "share_word": True, "passed": False,
    }
    again = Feedback()
    assert again.restore(saved) == []
    assert again.helped == (HELPED[0], HELPED[4]) and again.change == (CHANGE[3],)
    assert again.recommend == "no" and again.word == "braver" and again.share_word
    assert chip(again._helped, HELPED[4]).value and chip(again._change, CHANGE[3]).value
    assert again._recommend.value == "no" and again._word._input.value == "braver" and again._word_box.value
    again.share_available = True
    assert ("word", "braver") in again.shared_rows()
    copy = Feedback()
    assert copy.restore(again.answer) == [] and copy.answer == again.answer


def test_answers_no_longer_offered_and_bad_values_are_dropped(feedback: Feedback):
    """Is an id removed from feedback.yaml dropped quietly, and an unknown answer or wrong shape refused?"""
    dropped = feedback.restore({"helped": ["gone_since", HELPED[1]], "change": "more_talk", "recommend": "always", "word": ["x"]})
    assert feedback.helped == (HELPED[1],)
    assert set(dropped) == {"change", "recommend", "word"}
    assert feedback.change == () and feedback.recommend is None and feedback.word == ""


# ---------------------------------------------------------------- content file


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


@pytest.mark.parametrize(
    "text, words",
    [
        ("helped:\n  - id: a\n    text: \"fine\"\n", "has no 'change'"),
        ("helped:\n  - id: a\n    text: x\n  - id: a\n    text: y\nchange:\n  - id: b\n    text: z\n", "has the id 'a', which item 1 has too"),
        ("helped:\n  - id: Not An Id\n    text: x\nchange:\n  - id: b\n    text: z\n", "which is not an id"),
        ("helped:\n  - id: a\n    text: " + "z" * 10_000 + "\nchange:\n  - id: b\n    text: z\n", "longer than the 80 that fit"),
        ("helped: []\nchange:\n  - id: b\n    text: z\n", "empty list"),
        ("helped:\n  - id: a\n    text: x\nchange:\n  - id: b\n    text: z\nextra: 1\n", "'extra'"),
    ],
)
def test_a_bad_feedback_file_is_refused_with_its_name(folder: Path, text: str, words: str):
    """Does a slip in feedback.yaml stop the loader with a message naming the file (and line) and the slip?"""
    (folder / "feedback.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(content.ContentError) as info:
        content.feedback(folder)
    message = str(info.value)
    assert "feedback.yaml" in message and words in message, message
    assert "z" * 100 not in message


def test_make_check_reads_the_feedback_file(folder: Path, monkeypatch):
    """Does ``make check`` (cli.check_content) report a broken feedback.yaml, and pass the shipped one?"""
    assert not [p for p in cli.check_content() if "feedback" in p]
    (folder / "feedback.yaml").write_text("helped: [\n", encoding="utf-8")
    monkeypatch.setenv("HOLDING_SPACE_CONTENT", str(folder))
    assert any("feedback.yaml" in p for p in cli.check_content())


def test_the_shipped_lists_are_short_and_in_plain_words():
    assert 4 <= len(LISTS.helped) <= 8 and 4 <= len(LISTS.change) <= 8
    assert all(len(item.text) <= 60 for item in (*LISTS.helped, *LISTS.change))


# ---------------------------------------------------------------- the group picture and the k gate


def test_the_picture_counts_each_question_and_lists_the_shared_words():
    people = [
        [("helped", HELPED[0]), ("helped", HELPED[2]), ("change", CHANGE[0]), ("recommend", "yes"), ("word", "<i>calm</i>")],
        [("helped", HELPED[0]), ("recommend", "yes")],
        [("change", CHANGE[0]), ("change", CHANGE[1]), ("recommend", "maybe"), ("helped", "gone_since")],
        [("word", "hope")],
    ]
    helped, change, recommend, words = RULES["Feedback"].picture(rows_of(people))
    assert isinstance(helped, aggregate.Chart) and helped.title == UI["group_feedback_helped"]
    assert helped.respondents == 3  # who shared anything for this question, unknown ids counted nowhere
    assert dict(helped.bars)[LISTS.helped[0].text] == 2 and dict(helped.bars)[LISTS.helped[2].text] == 1
    assert [label for label, _ in helped.bars] == [i.text for i in LISTS.helped]
    assert change.respondents == 2 and dict(change.bars)[LISTS.change[0].text] == 2
    assert recommend.bars == [(UI["feedback_recommend_yes"], 2), (UI["feedback_recommend_maybe"], 1), (UI["feedback_recommend_no"], 0)]
    assert recommend.summary() == f"{UI['group_feedback_recommend']} (3 people): Yes: 2; Maybe: 1."
    assert isinstance(words, aggregate.Texts) and words.title == UI["group_feedback_words"]
    assert [s.value for s in words.items] == ["<i>calm</i>", "hope"]  # as text: the console escapes and can hide


def test_fewer_than_k_respondents_keep_the_picture_closed():
    """Through aggregate.gate (as the console draws it), is the feedback closed below k, open at k, and never in a couple?"""
    four = rows_of([[("helped", HELPED[0]), ("recommend", "yes")] for _ in range(4)])
    gate = aggregate.gate(group(k=5), four)
    assert not gate.open and gate.needed == 1
    five = rows_of([[("helped", HELPED[0]), ("recommend", "yes")] for _ in range(5)])
    assert aggregate.gate(group(k=5), five).open
    assert not aggregate.gate(group(k=2, kind="couple"), five).open


def test_shared_rows_go_through_the_store_and_the_gate(tmp_path: Path):
    """Written by the store as the app writes them, are the feedback's rows one exercise's shares,
    closed at k - 1 people and open at k?"""
    store = Store(f"sqlite:///{tmp_path / 'g.sqlite'}")
    session = store.create_session("group", k=3)
    key = f"{CLOSING}/feedback"
    answer = {"helped": [HELPED[1]], "recommend": "maybe", "word": "hidden", "share": True, "passed": False}
    for n in range(3):
        rows = shared_rows("Feedback", answer, offered=True)
        store.replace_shares(session, pseudonym(session.code, f"{n:032x}"), key, rows)
        shares = store.shares(session, key)
        assert aggregate.gate(session, shares).open == (n + 1 >= 3)
    assert {s.field for s in store.shares(session, key)} == {"helped", "recommend"}  # no word without its tick
    spec = next(s for s in exercises.shareable(content.load_themes()).values() if s.kind == "Feedback")
    charts = spec.picture(store.shares(session, key))
    assert dict(charts[0].bars)[LISTS.helped[1].text] == 3


def test_the_closing_notebook_declares_the_feedback_before_the_take_home():
    """Is the exercise in the closing notebook, found by exercises.find, before the take-home, and shareable?"""
    theme = next(t for t in content.load_themes() if t.key == CLOSING)
    found = [spec for spec in exercises.find(theme) if spec.kind == "Feedback"]
    assert len(found) == 1 and found[0].key == f"{CLOSING}/feedback" and found[0].shareable == "choices"
    assert found[0].key in exercises.shareable([theme])
    code = [cell for cell in theme.cells if cell.kind == "code"]
    ids = [cell.id for cell in code]
    assert ids.index("feedback") < ids.index("take-home")
    assert "Feedback" in next(cell.source for cell in code if cell.id == "check-out-import")


# ---------------------------------------------------------------- take-home and handout


def test_the_take_home_has_the_participants_own_feedback_escaped(feedback: Feedback):
    feedback.helped = (HELPED[0], HELPED[1])
    feedback.recommend = "yes"
    feedback.word = "<script>alert(1)</script>"[:40]
    section = feedback.take_home()
    assert section.title == UI["feedback_title"]
    assert (UI["feedback_takehome_helped"], f"{LISTS.helped[0].text}; {LISTS.helped[1].text}") in section.lines
    assert (UI["feedback_takehome_recommend"], UI["feedback_recommend_yes"]) in section.lines
    page = TakeHome(collect=lambda: [feedback]).page()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert UI["feedback_title"] in page


def test_the_handout_is_a_paper_version_with_every_item(tmp_path: Path):
    pages = [h for h in handouts.handouts() if h.filename == "07-feedback.html"]
    assert len(pages) == 1
    page = pages[0].html
    for text in [i.text for i in (*LISTS.helped, *LISTS.change)] + [UI[f"feedback_recommend_{k}"] for k in RECOMMEND]:
        assert text.replace("'", "&#x27;") in page or text in page, text
    for key in ("feedback_helped_label", "feedback_change_label", "feedback_recommend_label", "handout_feedback_anonymous"):
        assert UI[key] in page, key


@pytest.mark.parametrize("hostile", ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "\u202eevil\u202c"])
def test_hostile_items_in_the_content_file_are_printed_as_text(tmp_path: Path, hostile: str):
    """Given as an item of feedback.yaml, is a hostile text shown as text on the handout, the app's chips and the picture?"""
    folder = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, folder)
    quoted = hostile.replace("\\", "\\\\").replace('"', '\\"')
    (folder / "feedback.yaml").write_text(
        f'helped:\n  - id: a\n    text: "{quoted}"\nchange:\n  - id: b\n    text: "fine"\n', encoding="utf-8"
    )
    assert content.feedback(folder).helped[0].text == hostile
    page = next(h for h in handouts.handouts(folder=folder) if h.filename == "07-feedback.html").html
    assert "<script>alert" not in page and "<img" not in page
    assert "&lt;" in page or "\u202e" in page
