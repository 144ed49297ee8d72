"""The exercise domain without widgets: what each kind shares, how a group's shares are counted, and
which exercises a theme notebook declares, read from its cells without running them."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass

import pytest

from workshop import content, exercises
from workshop.exercises import RULES, ExerciseSpec, find, shared_rows


@dataclass
class Row:  # what the store gives back: the rules read only these fields
    pseudonym: str
    field: str
    value: str
    hidden: bool = False
    id: int = 0


def rows_of(people: list[list[tuple[str, str]]]) -> list[Row]:
    return [Row(f"p{n}", name, value) for n, rows in enumerate(people) for name, value in rows]


def test_the_domain_imports_without_ipywidgets_or_the_store():
    """Can the console, the handouts and the tests use the exercise rules in a process without widgets
    (and without SQLAlchemy, which participant kernels outside a session never load)?"""
    code = "import sys, workshop.exercises; print(sorted(m for m in ('ipywidgets', 'sqlalchemy', 'widgets') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out.replace("'", '"')) == []


@pytest.mark.parametrize(
    "kind, answer, expected",
    [
        ("CheckIn", {"feelings": ["calm", "tired"], "other": "my own word", "intensity": 4}, [("feeling", "calm"), ("feeling", "tired"), ("intensity", "4")]),
        ("CheckIn", {"feelings": [], "other": "only mine", "intensity": None}, []),
        ("StirsUp", {"chosen": ["fear"], "own": "a private line"}, [("item", "fear")]),
        ("BeliefRatings", {"ratings": {"b": 1, "a": 4}}, [("a", "4"), ("b", "1")]),
        ("ClosenessLine", {"me": 0, "partner": None}, [("me", "0")]),
        ("Takeaway", {"text": "  kinder to myself  "}, [("text", "kinder to myself")]),
        ("Takeaway", {"text": "   "}, []),
        ("Reframe", {"worry": "w1", "readings": [0], "own": "they need rest"}, [("text", "they need rest")]),
        ("StoryITellMyself", {"story": "never shared"}, []),
        ("SpaceAgreement", {"signal": "pause"}, []),
    ],
)
def test_each_kind_shares_only_what_its_rule_says(kind, answer, expected):
    """With sharing offered and ticked, is exactly what the rule names shared (never an own word or line,
    never a private exercise)?"""
    assert shared_rows(kind, {**answer, "share": True, "passed": False}, offered=True) == expected


@pytest.mark.parametrize("offered, share, passed", [(False, True, False), (True, False, False), (True, True, True)])
def test_nothing_is_shared_unless_offered_ticked_and_not_passed(offered, share, passed):
    """Does a solo visit, an unticked box or a pass keep everything on the device?"""
    answer = {"feelings": ["calm"], "intensity": 3, "share": share, "passed": passed}
    assert shared_rows("CheckIn", answer, offered=offered) == []


def test_an_unknown_kind_shares_nothing():
    assert exercises.rule("SomethingNew").shareable is None
    assert shared_rows("SomethingNew", {"text": "x", "share": True}, offered=True) == []


def test_the_check_in_picture_counts_ratings_on_the_whole_scale_and_the_top_words():
    scale = content.intensity()
    words = content.feelings()
    shares = rows_of([[("feeling", words[0]), ("intensity", "3")], [("feeling", words[0]), ("feeling", words[1]), ("intensity", "9")]])
    rated, felt = RULES["CheckIn"].picture(shares)
    assert [label for label, _ in rated.bars] == [str(n) for n in range(scale.low, scale.high + 1)]
    assert dict(rated.bars)["3"] == 1 and dict(rated.bars)["9"] == 1 and rated.respondents == 2
    assert felt.bars == [(words[0], 2), (words[1], 1)]  # chosen words only, most chosen first


def test_the_stirs_up_picture_labels_items_with_their_text_and_ignores_unknown_values():
    items = content.stirs_up()
    shares = rows_of([[("item", items[0].id)], [("item", items[0].id), ("item", "<script>")]])
    (chart,) = RULES["StirsUp"].picture(shares)
    assert chart.bars[0] == (items[0].text, 2) and len(chart.bars) == len(items)
    assert all("<script>" not in label for label, _ in chart.bars)


def test_the_beliefs_picture_counts_the_top_two_steps():
    scale, beliefs = content.beliefs()
    top, low = str(len(scale) - 1), "0"
    shares = rows_of([[(beliefs[0].id, top)], [(beliefs[0].id, low)], [(beliefs[0].id, str(len(scale) - 2))]])
    (chart,) = RULES["BeliefRatings"].picture(shares)
    assert chart.bars[0] == (beliefs[0].text, 2) and chart.respondents == 3


def test_the_line_picture_counts_both_places_over_0_to_10():
    me, partner = RULES["ClosenessLine"].picture(rows_of([[("me", "2"), ("partner", "9")], [("me", "2")]]))
    assert dict(me.bars)["2"] == 2 and len(me.bars) == 11 and me.respondents == 2
    assert dict(partner.bars)["9"] == 1 and partner.respondents == 1


def test_text_pictures_keep_texts_as_data():
    (texts,) = RULES["Takeaway"].picture(rows_of([[("text", "<b>kind</b>")]]))
    assert [s.value for s in texts.items] == ["<b>kind</b>"]  # escaped where it is shown, never here


def test_the_shipped_themes_declare_their_exercises_by_cell_id():
    """Are the kit's exercises found from the notebooks' cells, each under its theme and cell id?"""
    themes = content.load_themes()
    found = {spec.key: spec for theme in themes for spec in find(theme)}
    assert found["00_welcome/check-in"].kind == "CheckIn"
    assert found["00_welcome/check-in"].params == {"prompt": "Which words fit how you are arriving today?", "moment": "check-in"}
    assert found["07_closing/takeaway"].shareable == "text"
    assert found["05_compassion_for_both_sides/pause"].params == {"kind": "self-compassion"}
    assert set(exercises.shareable(themes)) == {
        "00_welcome/check-in", "01_the_pain_behind_the_request/stirs-up", "02_why_space_feels_like_a_threat/beliefs",
        "03_space_as_care/reframe", "04_emotional_differences/closeness-line", "07_closing/check-out", "07_closing/takeaway",
        "07_closing/feedback",
    }


def test_a_cell_is_read_never_run(tmp_path):
    """Is a cell's call read without running it: a non-literal argument is left out, other code ignored?"""
    theme = content.Theme(
        9, "t", "T", tmp_path / "09_t.ipynb",
        (
            content.Cell("code", "import os\nos.remove('/nonexistent')\nCheckIn(prompt=os.getcwd(), moment='check-out')", id="c1"),
            content.Cell("code", "x = 1", id="c2"),
            content.Cell("code", "widgets.Takeaway(prompt='Kept')", id="c3"),
            content.Cell("code", "TakeHome()", id="c4"),
            content.Cell("code", "CheckIn(", id="c5"),
        ),
    )
    assert find(theme) == [
        ExerciseSpec("09_t", "c1", "CheckIn", {"moment": "check-out"}),
        ExerciseSpec("09_t", "c3", "Takeaway", {"prompt": "Kept"}),
    ]
    assert find(theme)[0].title == "CheckIn" and find(theme)[1].title == "Kept"


def test_every_widget_exercise_has_a_rule_and_says_the_same():
    """Is each exercise component's sharing the one its rule says (one source of truth)?"""
    import widgets
    from widgets.base import Exercise

    kinds = [getattr(widgets, name) for name in widgets.__all__]
    kinds = [cls for cls in kinds if isinstance(cls, type) and issubclass(cls, Exercise)]
    assert {cls.__name__ for cls in kinds} == set(RULES)
    for cls in kinds:
        assert cls.shareable == RULES[cls.__name__].shareable, cls.__name__
