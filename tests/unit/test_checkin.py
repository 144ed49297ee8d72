"""CheckIn: what a participant chooses is what the component holds, and bad values are refused."""

from __future__ import annotations

import pytest
from traitlets import TraitError

from widgets import CheckIn
from workshop import content


@pytest.fixture
def checkin() -> CheckIn:
    return CheckIn(prompt="Which words fit how you are arriving?")


def chip(checkin: CheckIn, word: str):
    return next(c for c in checkin._chips._buttons if c.description == word)


def test_offers_every_word_of_the_content_file(checkin: CheckIn):
    """Are exactly the words of feelings.yaml offered, in file order?"""
    assert tuple(c.description for c in checkin._chips._buttons) == content.feelings()


def test_toggling_words_sets_feelings_in_list_order(checkin: CheckIn):
    """Does tapping words record them, in the list's order, and tapping again remove one?"""
    words = content.feelings()
    chip(checkin, words[3]).value = True
    chip(checkin, words[0]).value = True
    assert checkin.feelings == (words[0], words[3])
    chip(checkin, words[0]).value = False
    assert checkin.feelings == (words[3],)


def test_choosing_a_number_sets_intensity_and_shows_its_anchor(checkin: CheckIn):
    """Does choosing 7 record 7 and show the kit's anchor for it?"""
    assert checkin.intensity is None
    checkin._intensity.value = 7
    assert checkin.intensity == 7
    assert content.intensity().anchor_for(7) in checkin._anchor.value


def test_summary_says_back_what_was_chosen(checkin: CheckIn):
    """Does the summary line name the chosen words, the participant's own word and the number?"""
    word = content.feelings()[1]
    chip(checkin, word).value = True
    checkin._other._input.value = "wobbly"
    checkin._intensity.value = 4
    assert word in checkin._summary.value and "wobbly" in checkin._summary.value and "4/10" in checkin._summary.value


@pytest.mark.parametrize("bad", [-1, 11, 1000, True])
def test_out_of_range_intensity_is_refused(checkin: CheckIn, bad):
    """Is an intensity a browser should not be able to send refused?"""
    with pytest.raises(TraitError):
        checkin.intensity = bad


def test_unknown_feeling_is_refused(checkin: CheckIn):
    """Is a word that is not in the list refused?"""
    with pytest.raises(TraitError):
        checkin.feelings = ("not-a-listed-feeling",)


def test_a_string_is_not_taken_as_a_list_of_letters(checkin: CheckIn):
    """Is a plain string refused rather than read letter by letter?"""
    with pytest.raises(TraitError):
        checkin.feelings = "sad"


def test_own_word_is_bounded_and_stripped_of_control_characters(checkin: CheckIn):
    """Is a 100,000-character own word cut to the limit with a message, and are control characters removed?"""
    checkin._other._input.value = "a\x00b\x1bc" + "x" * 100_000
    assert len(checkin.other) == CheckIn.OTHER_LIMIT
    assert checkin.other.startswith("abc")
    assert str(CheckIn.OTHER_LIMIT) in checkin._other._note.value
    assert checkin._other._input.value == checkin.other


def test_own_word_with_html_is_escaped_in_the_summary(checkin: CheckIn):
    """Is HTML typed as an own word shown as text, not markup?"""
    checkin._other._input.value = "<b>x</b>"
    assert "<b>x</b>" not in checkin._summary.value
    assert "&lt;b&gt;" in checkin._summary.value


def test_passing_hides_the_controls_and_answering_after_all_brings_them_back(checkin: CheckIn):
    """Can a participant pass, and then answer after all with nothing lost?"""
    chip(checkin, content.feelings()[0]).value = True
    checkin._pass.click()
    assert checkin.passed and checkin._body not in checkin.children
    checkin._unpass.click()
    assert not checkin.passed and checkin._body in checkin.children
    assert checkin.feelings == (content.feelings()[0],)


def test_answer_round_trips_through_restore():
    """Does restoring a saved answer give the same answer back?"""
    first = CheckIn()
    words = content.feelings()
    first.feelings = (words[2], words[5])
    first.other = "steady-ish"
    first.intensity = 3
    assert first.answer == {
        "feelings": [words[2], words[5]], "other": "steady-ish", "intensity": 3, "passed": False, "share": False
    }
    second = CheckIn()
    assert second.restore(first.answer) == []
    assert second.answer == first.answer
    assert [c.description for c in second._chips._buttons if c.value] == [words[2], words[5]]


def test_restore_drops_what_fails_and_keeps_the_rest():
    """Are invalid saved values dropped (and named) while valid ones are kept?"""
    words = content.feelings()
    checkin = CheckIn()
    dropped = checkin.restore({"feelings": [words[0], "gone-from-the-list"], "intensity": 99, "other": ["x"]})
    assert checkin.feelings == (words[0],)
    assert checkin.intensity is None
    assert set(dropped) == {"intensity", "other"}
    assert checkin.restore("not a mapping") == ["(not a mapping)"]


def test_prompt_is_escaped(checkin: CheckIn):
    """Is a prompt containing HTML shown as text?"""
    checkin.prompt = "<script>x</script>"
    assert "<script>" not in checkin._prompt.value


def test_nothing_is_shared_unless_offered_and_ticked():
    """Is nothing shared without a group session offering it and the participant ticking it, and never the own word?"""
    checkin = CheckIn()
    checkin.feelings, checkin.intensity, checkin.other = (content.feelings()[0],), 4, "my own word"
    assert checkin.shared_rows() == []
    assert checkin._share_row.layout.display == "none"
    checkin.share_available = True
    assert checkin._share_row.layout.display is None and checkin.shared_rows() == []
    checkin._share_box.value = True
    assert checkin.share and set(checkin.shared_rows()) == {("feeling", content.feelings()[0]), ("intensity", "4")}
    assert "my own word" not in str(checkin.shared_rows())
    checkin.passed = True
    assert checkin.shared_rows() == []


def test_check_out_compares_with_the_check_in():
    """Does a check-out show the check-in's words and number beside its own, updating live?"""
    start, end = CheckIn(), CheckIn(moment="check-out")
    words = content.feelings()
    start.feelings, start.intensity = (words[0],), 8
    assert end.comparison == ""
    end.compare_with = start
    end.intensity = 4
    assert words[0] in end.comparison and "8/10" in end.comparison and "4/10" in end.comparison
    start.intensity = 9
    assert "9/10" in end._comparison.value
    assert "4/10" in end.take_home().lines[-1][1]


def test_take_home_holds_the_answer_unless_passed():
    """Does the take-home carry the chosen words and number, and nothing after passing?"""
    checkin = CheckIn()
    assert checkin.take_home() is None
    checkin.feelings, checkin.intensity = (content.feelings()[0],), 2
    section = checkin.take_home()
    assert content.feelings()[0] in section.lines[0][1] and "2/10" in section.lines[0][1]
    checkin.passed = True
    assert checkin.take_home() is None


def test_check_in_and_check_out_ask_the_same_distress_question_and_compare_like_with_like():
    """Do both moments ask "how unsettled do you feel right now", and does the closing page put the two
    ratings side by side, and the words side by side, not one mixed phrase against another?"""
    words = content.feelings()
    start, end = CheckIn(moment="check-in"), CheckIn(moment="check-out")
    assert content.intensity().question.lower().startswith("how unsettled")
    for ex in (start, end):
        assert content.intensity().question in str([getattr(c, "value", "") for c in ex._body.children])
    start.intensity, start.feelings = 7, (words[1],)
    end.compare_with = start
    end.intensity, end.feelings = 3, (words[2],)
    texts = content.ui_text()
    rating = texts["checkout_rating_comparison"].format(question=content.intensity().question, start="7/10", now="3/10")
    assert rating in end.comparison
    assert texts["checkout_words_comparison"].format(start=words[1], now=words[2]) in end.comparison


@pytest.mark.parametrize("rating, shown", [(None, False), (0, False), (7, False), (8, True), (10, True)])
def test_a_high_rating_brings_a_private_gentle_note(rating, shown):
    """From 8 up (care_from in intensity.yaml), does a note only the participant sees offer a moment and the
    app's extras (the quiet word), and does "Take a moment now" open it? Below 8, nothing."""
    from ipywidgets import HTML

    checkin = CheckIn()
    opened = []
    extra = HTML("the quiet-word box")
    checkin.open_moment = lambda: opened.append(True)
    checkin.care_extras = [extra]
    checkin.intensity = rating
    checkin.share, checkin.share_available = True, True
    assert checkin.shared_rows() == ([("intensity", str(rating))] if rating is not None else [])  # the note shares nothing
    assert content.intensity().care_from == 8
    assert bool(checkin._care.children) is shown
    if shown:
        assert content.ui_text()["care_note"][:30] in checkin._care.children[0].value
        assert extra in checkin._care.children
        checkin._moment.click()
        assert opened == [True]
        checkin.intensity = 2
        assert checkin._care.children == ()
