"""Every exercise component: what the participant does is what it holds, bad values are refused,
passing works, answers survive a reload, and nothing is marked for sharing."""

from __future__ import annotations

import html
import inspect

import pytest
from traitlets import TraitError

import widgets
from widgets import (
    BeliefRatings,
    ClosenessLine,
    Feedback,
    IStatement,
    LoopMap,
    PartnerNote,
    Pause,
    Reframe,
    SpaceAgreement,
    SpaceOrNot,
    StirsUp,
    StoryITellMyself,
    Takeaway,
)
from widgets.fields import LONG, SHORT
from widgets.markup import escape
from workshop import content

EXERCISES = [
    StirsUp, BeliefRatings, StoryITellMyself, PartnerNote, Takeaway, Reframe, SpaceOrNot,
    ClosenessLine, LoopMap, Pause, IStatement, SpaceAgreement, widgets.CheckIn, Feedback,
]


@pytest.mark.parametrize("cls", EXERCISES, ids=lambda c: c.__name__)
def test_every_exercise_can_be_passed_and_brought_back(cls):
    """Can every exercise be passed (controls hidden, nothing taken home) and answered after all?"""
    exercise = cls()
    exercise._pass.click()
    assert exercise.passed and exercise._body not in exercise.children
    assert exercise.take_home() is None
    exercise._unpass.click()
    assert not exercise.passed and exercise._body in exercise.children


@pytest.mark.parametrize("cls", EXERCISES, ids=lambda c: c.__name__)
def test_every_exercise_says_what_is_shared(cls):
    """Does each docstring tell a therapist what the participant sees and what is shared?"""
    doc = inspect.getdoc(cls) or ""
    assert "share" in doc.lower() or "private" in doc.lower()
    assert "Your answer stays on this device" in cls()._privacy.value or content.ui_text()["private_note"] in cls()._privacy.value


@pytest.mark.parametrize("cls", EXERCISES, ids=lambda c: c.__name__)
def test_every_exercise_answer_round_trips(cls):
    """Does an exercise restored from its own answer give the same answer?"""
    exercise = cls()
    again = cls()
    assert again.restore(exercise.answer) == []
    assert again.answer == exercise.answer


@pytest.mark.parametrize("cls", EXERCISES, ids=lambda c: c.__name__)
def test_every_exercise_ignores_hostile_saved_data(cls):
    """Is a saved answer of the wrong shape dropped without an error?"""
    exercise = cls()
    before = exercise.answer
    hostile = {name: {"<script>": ["x" * 10]} for name in cls.answer_names() if name != "passed"}
    exercise.restore(hostile)
    assert exercise.answer == before


def test_all_exercises_are_exported_and_used_by_a_notebook():
    """Is every exercise exported from widgets and used by at least one theme notebook?"""
    used = " ".join(cell.source for theme in content.load_themes() for cell in theme.cells if cell.kind == "code")
    for cls in EXERCISES:
        assert getattr(widgets, cls.__name__) is cls
        assert f"{cls.__name__}(" in used, f"{cls.__name__} is not used by any theme"
    assert "TakeHome()" in used


@pytest.mark.parametrize("cls", EXERCISES, ids=lambda c: c.__name__)
def test_nothing_leaves_the_device_without_a_session_offering_it(cls):
    """With no group session (sharing not offered), does no exercise give anything to share, even ticked?"""
    exercise = cls()
    exercise.share = True
    assert exercise.shared_rows() == []


# ------------------------------------------------------------------ StirsUp
def test_stirs_up_offers_the_content_items_and_records_choices():
    """Are the items of stirs_up.yaml offered, and do taps record their ids?"""
    items = content.stirs_up()
    ex = StirsUp(prompt="What does it stir up?")
    assert [b.description for b in ex._chips._buttons] == [i.text for i in items]
    ex._chips._buttons[2].value = True
    ex._chips._buttons[0].value = True
    assert ex.chosen == (items[0].id, items[2].id)
    ex._own._input.value = "tight chest"
    assert ex.texts() == [items[0].text, items[2].text, "tight chest"]
    assert "3" in ex._summary.value


def test_stirs_up_refuses_unknown_items():
    """Is an item id that is not in the file refused?"""
    with pytest.raises(TraitError):
        StirsUp().chosen = ("made_up",)


# ------------------------------------------------------------------ BeliefRatings
def test_rating_a_belief_records_it_and_shows_the_gentler_reading():
    """Does rating a belief record it and reveal its reflection?"""
    scale, beliefs = content.beliefs()
    ex = BeliefRatings()
    buttons, reflection = ex._rows[beliefs[1].id]
    assert reflection.value == ""
    buttons.value = 3
    assert ex.ratings == {beliefs[1].id: 3}
    assert beliefs[1].reflection[:30] in html.unescape(reflection.value)
    assert ex.take_home().lines == [(beliefs[1].text, scale[3])]


@pytest.mark.parametrize("bad", [{"nope": 1}, {"always_together": 9}, {"always_together": "2"}, {"always_together": True}])
def test_belief_ratings_refuse_values_a_browser_should_not_send(bad):
    """Are unknown beliefs and out-of-range ratings refused?"""
    with pytest.raises(TraitError):
        BeliefRatings().ratings = bad


# ------------------------------------------------------------------ private writing
@pytest.mark.parametrize("cls", [StoryITellMyself, PartnerNote, Takeaway])
def test_private_writing_keeps_line_breaks_and_bounds_length(cls):
    """Is private writing kept with its line breaks, control characters removed, and cut at the limit with a note?"""
    ex = cls(prompt="Write")
    ex._box._input.value = "first line\nsecond\x07 line"
    assert ex.text == "first line\nsecond line"
    ex._box._input.value = "é" * (LONG + 500)
    assert len(ex.text) == LONG
    assert str(LONG) in ex._box._note.value
    assert ex.take_home().lines[0][1].startswith("é")


def test_story_asks_what_else_could_be_true_and_keeps_the_answer():
    """Does the story exercise hold an answer to "what else could be true?", bounded like the story, shown on the
    take-home under its own label, restored from saved answers, and never shared?"""
    label = content.ui_text()["story_else_label"]
    ex = StoryITellMyself()
    assert label in ex._else._input.description
    ex._box._input.value = "They are bored with me."
    ex._else._input.value = "They had a long week\x07 and are tired."
    assert ex.what_else == "They had a long week and are tired."
    assert ex.take_home().lines == [("", "They are bored with me."), (label, "They had a long week and are tired.")]
    ex._else._input.value = "x" * (LONG + 10)
    assert len(ex.what_else) == LONG and str(LONG) in ex._else._note.value
    again = StoryITellMyself()
    assert again.restore(ex.answer) == [] and again._else._input.value == ex.what_else
    ex.share_available = ex.share = True
    assert ex.shareable is None and ex.shared_rows() == []


def test_story_with_only_the_other_reading_still_goes_home():
    """With only "what else could be true?" answered, does the take-home hold it under its label?"""
    ex = StoryITellMyself()
    assert ex.take_home() is None
    ex.what_else = "  They need quiet.  "
    assert ex.take_home().lines == [(content.ui_text()["story_else_label"], "They need quiet.")]


def test_private_writing_with_html_is_text_on_the_take_home():
    """Is HTML typed into private writing escaped on the printable page?"""
    from widgets import TakeHome

    # the takeaway, because the most personal parts (the partner note among them) stay off the page unless ticked
    note = Takeaway()
    note.text = "<img src=x onerror=alert(1)>"
    page = TakeHome(collect=lambda: [note]).page()
    assert "<img" not in page and "&lt;img" in page


# ------------------------------------------------------------------ Reframe
def test_reframe_shows_readings_for_the_chosen_worry():
    """Does choosing a worry show its readings, and choosing another reset the marks?"""
    worries = content.reframes()
    ex = Reframe()
    ex._pick.value = worries[0].id
    assert [b.description for b in ex._chips._buttons] == list(worries[0].readings)
    ex._chips._buttons[1].value = True
    assert ex.readings == (1,)
    ex._pick.value = worries[1].id
    assert ex.readings == () and ex.worry == worries[1].id


def test_reframe_refuses_a_reading_that_was_not_offered():
    """Is a reading number outside the chosen worry's list refused?"""
    ex = Reframe()
    with pytest.raises(TraitError):
        ex.readings = (0,)  # no worry chosen yet
    ex.worry = content.reframes()[0].id
    with pytest.raises(TraitError):
        ex.readings = (99,)
    with pytest.raises(TraitError):
        ex.worry = "not_a_worry"


def test_reframe_restores_worry_before_readings():
    """Does a saved reframe come back with its worry and marked readings?"""
    ex = Reframe()
    ex.worry = content.reframes()[2].id
    ex.readings = (0, 1)
    ex.own = "they are tired"
    again = Reframe()
    assert again.restore(ex.answer) == []
    assert again.answer == ex.answer
    assert [b.value for b in again._chips._buttons][:2] == [True, True]


# ------------------------------------------------------------------ SpaceOrNot
def test_space_or_not_gives_immediate_feedback_and_points_to_help_for_control():
    """Does each choice get feedback at once, and does coercive control point to Help?"""
    kinds, scenarios = content.scenarios()
    ex = SpaceOrNot()
    first = scenarios[0]
    buttons, feedback = ex._rows[first.id]
    buttons.value = first.answer
    assert kinds[first.answer].label in feedback.value and ex.matched == 1
    control = next(s for s in scenarios if s.answer == "control")
    wrong = next(k for k in kinds if k != "control")
    ex._rows[control.id][0].value = wrong
    text = ex._rows[control.id][1].value
    assert escape(content.ui_text()["scenarios_help"][:20]) in text
    assert ex.matched == 1
    assert "2" in ex._score.value


def test_space_or_not_refuses_unknown_kinds_and_scenarios():
    """Are a made-up kind or scenario refused?"""
    ex = SpaceOrNot()
    with pytest.raises(TraitError):
        ex.answers = {content.scenarios()[1][0].id: "affection"}
    with pytest.raises(TraitError):
        ex.answers = {"made_up": "healthy"}


def test_scenarios_cover_every_kind():
    """Does the scenario file include at least one scenario of each kind?"""
    kinds, scenarios = content.scenarios()
    assert {s.answer for s in scenarios} == set(kinds)


# ------------------------------------------------------------------ pictures
def test_closeness_line_draws_both_people_and_says_it_in_words():
    """Do the two placements appear in the picture and in the sentence beneath it?"""
    ex = ClosenessLine()
    ex._me.value = 2
    ex._partner.value = 9
    assert (ex.me, ex.partner) == (2, 9)
    assert ex._picture.value.count("<circle") == 2
    assert "2" in ex.description() and "9" in ex.description()
    assert 'role="img"' in ex._picture.value and "aria-label" in ex._picture.value


@pytest.mark.parametrize(
    "me, partner, key",
    [(4, 4, "line_near"), (3, 5, "line_near"), (2, 5, "line_apart"), (8, 3, "line_apart"), (2, 9, "line_far"), (10, 0, "line_far")],
)
def test_closeness_line_says_the_difference_in_words_not_as_a_score(me, partner, key):
    """Is the distance between the two places said in words (close, some way, far), with no number for it,
    in the sentence, the picture's label and the take-home?"""
    ex = ClosenessLine()
    ex.me, ex.partner = me, partner
    words = content.ui_text()[key]
    placed = content.ui_text()["line_me_at"].format(n=me) + " " + content.ui_text()["line_partner_at"].format(n=partner)
    assert ex.description() == f"{placed} {words}"
    assert not any(ch.isdigit() for ch in words)
    assert ex.take_home().lines == [("", ex.description())]
    assert escape(words) in ex._picture.value


def test_closeness_line_with_one_place_says_nothing_about_a_difference():
    """With only one person placed, is no distance described?"""
    ex = ClosenessLine()
    ex.me = 3
    assert ex.distance_key() is None
    assert all(content.ui_text()[k] not in ex.description() for k in ("line_near", "line_apart", "line_far"))


def test_closeness_line_shares_only_the_two_places():
    """In a group session, are only the two places shared (never the words about the difference)?"""
    ex = ClosenessLine()
    ex.share_available = True
    ex.share = True
    ex.me, ex.partner = 1, 8
    assert ex.shared_rows() == [("me", "1"), ("partner", "8")]


@pytest.mark.parametrize("bad", [-1, 11, True])
def test_closeness_line_refuses_places_off_the_line(bad):
    """Is a place outside 0–10 refused?"""
    with pytest.raises(TraitError):
        ClosenessLine().me = bad


def test_loop_map_reads_the_loop_back_as_a_sentence():
    """Does the loop map read its four steps back, with … for an empty one, and escape HTML?"""
    ex = LoopMap()
    ex._boxes["when"]._input.value = "you go quiet"
    ex._boxes["do"]._input.value = "<b>text again</b>"
    sentence = ex.sentence()
    assert "you go quiet" in sentence and "…" in sentence
    assert "<b>" not in ex._picture.value and "&lt;b&gt;" in ex._picture.value
    assert ex.take_home() is not None and LoopMap().take_home() is None


def test_loop_map_bounds_each_step():
    """Is each step cut to its limit?"""
    ex = LoopMap()
    ex.they = "x" * 10_000
    assert len(ex.they) == SHORT


# ------------------------------------------------------------------ Pause
def test_breathing_pause_alternates_in_and_out_for_the_configured_rounds():
    """Does the breathing pause pace in and out as pauses.yaml says?"""
    spec = content.pauses().breathing
    steps = Pause(kind="breathing").steps
    assert len(steps) == 2 * spec.rounds
    assert [s["breath"] for s in steps[:2]] == ["in", "out"]
    assert [s["seconds"] for s in steps[:2]] == [spec.in_seconds, spec.out_seconds]


def test_self_compassion_pause_walks_the_content_steps():
    """Does the self-compassion pause show the steps of pauses.yaml, credited?"""
    spec = content.pauses().self_compassion
    pause = Pause(kind="self-compassion")
    assert [s["text"] for s in pause.steps] == [s.text for s in spec.steps]
    assert escape(spec.credit) in pause._heading.value  # shown as text: an apostrophe arrives escaped


def test_pause_completion_comes_from_the_browser_and_is_bounded():
    """Is a completed pause recorded, and a hostile count from the browser bounded?"""
    pause = Pause()
    pause._timer.completed = 1
    assert pause.completed == 1 and pause.take_home() is not None
    pause._timer.completed = 10**9
    assert pause.completed == 1000
    pause._timer.completed = -5
    assert pause._timer.completed == 0


def test_unknown_pause_kind_is_refused():
    """Is a pause kind that does not exist refused with a clear error?"""
    with pytest.raises(TraitError):
        Pause(kind="cold-water")


# ------------------------------------------------------------------ IStatement and SpaceAgreement
def test_i_statement_reads_back_one_sentence():
    """Do the four parts come back as one request without blame?"""
    ex = IStatement()
    for part, text in zip(IStatement.PARTS, ["you left", "lonely", "closeness", "text me"], strict=False):
        ex._boxes[part]._input.value = text
    assert ex.sentence() == content.ui_text()["istatement_sentence"].format(
        happened="you left", feel="lonely", need="closeness", ask="text me"
    )
    assert "you left" in ex._preview.value


def test_space_agreement_offers_ideas_and_keeps_the_length_in_bounds():
    """Do ideas fill the fields, and is a break shorter than the minimum or longer than the maximum refused?"""
    ideas = content.rituals()
    ex = SpaceAgreement()
    suggestion = next(c for c in ex._boxes["signal"].children[-1].children)
    suggestion.click()
    assert ex.signal == ideas.signals[0]
    ex._length.value = 60
    assert ex.minutes == 60
    with pytest.raises(TraitError):
        ex.minutes = ideas.min_minutes - 1
    with pytest.raises(TraitError):
        ex.minutes = ideas.max_minutes + 1
    options = [value for _, value in ex._length.options]
    assert min(options) == ideas.min_minutes and max(options) == ideas.max_minutes


def test_space_agreement_card_and_take_home_hold_what_was_agreed():
    """Does the agreement card (and take-home) list what was filled in, escaped?"""
    ex = SpaceAgreement()
    assert ex.take_home() is None
    ex.signal = "pause <3"
    ex.minutes = 45
    ex.come_back = "at 7 pm"
    assert "pause &lt;3" in ex._card.value and "45" in ex._card.value
    section = ex.take_home()
    assert section.title == content.ui_text()["agreement_title"]
    assert ("Coming back", "at 7 pm") in section.lines or any("at 7 pm" in v for _, v in section.lines)
