"""The session report (issue 17): one printable page built from the store alone, with the group
pictures through the k gate, the time per theme, before and after, and the shared texts not hidden;
nothing in it can identify a participant."""

from __future__ import annotations

import dataclasses
import html
import re
import types
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

import workshop.store as store_module
from workshop import aggregate, content, exercises, outcomes, report
from workshop.content import Cell, Theme
from workshop.store import Store, pseudonym
from workshop.text import t

START = datetime(2025, 3, 4, 18, 30).timestamp()
MINUTE = 60.0
K = 5
#: six browsers' own ids (as bridge.js makes them: 32 hex digits)
IDS = [f"{n:02d}" + "5eed" * 7 + "ab" for n in range(6)]
BEFORE = [7, 6, 8, 5, 7, 6]  # median 6.5, mean 6.5
AFTER = [3, 4, 2, 5, 3, 4]  # median 3.5, mean 3.5
HOSTILE = "<script>alert(1)</script> I can ask for a pause"
BREAKOUT = '"><img src=x onerror=alert(1)> a kinder reading'
HIDDEN = "HIDDENTEXT that names someone"
TAKEAWAYS = ["Zebra steps, slowly", "asking is allowed", "Breathing first", "my pace matters", "Not every silence is a no", "Time apart can be care"]


class Clock:
    """The store's clock, set by the test: theme moves an exact number of minutes apart."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@dataclasses.dataclass
class Built:
    store: Store
    session: store_module.Session
    url: str
    pseudonyms: list[str]
    end: float


def group_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Built:
    """A group session of six (k = 5) over four themes, as the participants' kernels would write it."""
    clock = Clock(START)
    monkeypatch.setattr(store_module, "time", types.SimpleNamespace(time=clock.time))
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    store = Store(url)
    session = store.create_session("group", k=K, theme="00_welcome")
    names = [pseudonym(session.code, browser) for browser in IDS]
    words = content.feelings()
    for n, who in enumerate(names):
        store.touch(session, who)
        felt = [words[0]] if n < 4 else [words[0], words[1]]
        rows = exercises.RULES["CheckIn"].rows({"feelings": felt, "intensity": BEFORE[n]})
        store.replace_shares(session, who, "00_welcome/check-in", rows)
    clock.now = START + 12 * MINUTE
    store.update_session(session.code, theme="01_the_pain_behind_the_request")
    stirs = content.stirs_up()[0].id
    for who in names[:3]:  # below k: the picture stays closed
        store.replace_shares(session, who, "01_the_pain_behind_the_request/stirs-up", [("item", stirs)])
    clock.now = START + 30 * MINUTE
    store.update_session(session.code, theme="03_space_as_care")
    reframes = [HOSTILE, BREAKOUT, HIDDEN, "It may be rest, not rejection", "Space can hold us both"]
    for who, text in zip(names, reframes, strict=False):
        store.replace_shares(session, who, "03_space_as_care/reframe", exercises.RULES["Reframe"].rows({"own": text}))
    hidden = next(share for share in store.shares(session, "03_space_as_care/reframe") if share.value == HIDDEN)
    store.hide(session, hidden.id)
    clock.now = START + 75 * MINUTE
    store.update_session(session.code, theme="07_closing")
    for n, who in enumerate(names):
        store.replace_shares(session, who, "07_closing/check-out", [("feeling", words[2]), ("intensity", str(AFTER[n]))])
        store.replace_shares(session, who, "07_closing/takeaway", [("text", TAKEAWAYS[n])])
    clock.now = START + 90 * MINUTE
    store.update_session(session.code, ended=True)
    return Built(store, store.session(session.code), url, names, START + 90 * MINUTE)


@pytest.fixture
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Built:
    return group_session(tmp_path, monkeypatch)


@pytest.fixture
def made(built: Built) -> str:
    """The report, made five minutes after the session ended."""
    return report.build_report(built.store, built.session, now=built.end + 5 * MINUTE)


class Figures(HTMLParser):
    """The report's charts as read back from the page: caption, (label, count) rows, summary."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: list[dict] = []
        self._cell: str | None = None
        self._row: list[str] = []
        self._text = ""
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        cls = dict(attrs).get("class", "")
        if tag == "figure":
            self.figures.append({"caption": "", "rows": [], "summary": ""})
        elif self.figures and tag == "figcaption":
            self._in, self._text = "caption", ""
        elif self.figures and tag == "p" and cls == "summary":
            self._in, self._text = "summary", ""
        elif self.figures and tag == "td":
            self._in, self._text = "cell", ""
        elif tag == "tr":
            self._row = []

    def handle_endtag(self, tag):
        if self._in == "caption" and tag == "figcaption":
            self.figures[-1]["caption"] = self._text
        elif self._in == "summary" and tag == "p":
            self.figures[-1]["summary"] = self._text
        elif self._in == "cell" and tag == "td":
            self._row.append(self._text)
        elif tag == "tr" and self.figures and len(self._row) == 3:
            self.figures[-1]["rows"].append((self._row[0], int(self._row[2])))
        if tag in ("figcaption", "p", "td"):
            self._in = None

    def handle_data(self, data):
        if self._in:
            self._text += data


def figures(page: str) -> list[dict]:
    parser = Figures()
    parser.feed(page)
    return parser.figures


def text_of(page: str) -> str:
    """The page's text as a reader sees it (tags dropped, entities read)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


# ---------------------------------------------------------------------------- what it says


def test_the_header_says_when_what_kind_and_how_many_took_part(built: Built, made: str):
    """Does the report give the session's date and times, its kind and k, the code, and six people?"""
    words = text_of(made)
    assert "Session report" in words and t("app_title") in words
    assert "4 March 2025, 18:30 to 20:00 (90 minutes)" in words
    assert built.session.display_code in words
    assert re.search(r"People who took part\s+6\b", words)
    assert re.search(r"Kind of session\s+Group", words) and re.search(r"Smallest group shown\s+5 people", words)


def test_someone_who_shared_without_a_presence_row_still_counts(built: Built):
    """Is the head count every distinct person seen by the store or sharing, not just the present?"""
    late = pseudonym(built.session.code, "f" * 32)
    built.store.replace_shares(built.session, late, "07_closing/takeaway", [("text", "arrived late")])
    words = text_of(report.build_report(built.store, built.session, now=built.end))
    assert re.search(r"People who took part\s+7\b", words)


def test_themes_are_listed_in_order_with_their_minutes(made: str):
    """Are the themes covered listed in the order visited, with the minutes spent on each and in all?"""
    words = text_of(made)
    found = re.findall(r"(\d)\s+([A-Z][^\n<]*?)\s+(\d+)\s", words[words.index("Themes covered"): words.index("Before and after")])
    assert found == [
        ("0", "Welcome", "12"),
        ("1", "The pain behind the request", "18"),
        ("3", "Space as care, not coldness", "45"),
        ("7", "Closing", "15"),
    ]
    assert re.search(r"Total\s+90\b", words)
    assert '<table class="dataframe data themes">' in made  # the table is pandas'


def test_a_session_still_running_counts_its_last_theme_until_now(built: Built):
    """Before the session ends, does the last theme run until the report is made, and does the
    header say the session is still running?"""
    session = built.store.create_session("group", k=K, theme="00_welcome")  # at the clock's time
    words = text_of(report.build_report(built.store, session, now=built.end + 7 * MINUTE))
    assert re.search(r"Welcome\s+7\s", words) and "still running" in words


def test_every_open_picture_has_its_counts_and_its_summary(built: Built, made: str):
    """Is each chart of an open exercise on the page with the counts the rule gives and its
    summary in words beside it, as the console would draw it?"""
    drawn = {(f["caption"], f["summary"]): f["rows"] for f in figures(made)}
    expected = []
    for key, kind in (("00_welcome/check-in", "CheckIn"), ("07_closing/check-out", "CheckIn")):
        rows = built.store.shares(built.session, key)
        assert aggregate.gate(built.session, rows).open
        expected += [p for p in exercises.RULES[kind].picture(rows) if isinstance(p, aggregate.Chart)]
    assert len(expected) == 4
    for chart in expected:
        assert drawn[(chart.title, chart.summary())] == [(label, n) for label, n in chart.bars]
    words = content.feelings()
    assert f"Feeling words chosen (6 people): {words[0]}: 6; {words[1]}: 2." in text_of(made)


def test_a_picture_below_k_stays_closed_and_says_so_in_words(made: str):
    """Is the exercise only three people shared closed, with 'fewer than k' in words and no bars?"""
    words = text_of(made)
    assert t("report_closed", k=K, n=3) in words
    label = content.stirs_up()[0].text
    assert label not in words  # the item's bar would name it
    assert len(figures(made)) == 4  # two check-ins' charts; none for the closed exercise


def test_before_and_after_gives_each_moments_median_and_mean(made: str):
    """Does the report give the check-in and check-out medians and means, and a sentence that says them?"""
    words = text_of(made)
    assert "the middle rating was 6.5 at the check-in (6 people) and 3.5 at the check-out (6 people)" in words
    assert re.search(r"At the check-in\s+6\s+6\.5\s+6\.5", words)
    assert re.search(r"At the check-out\s+6\s+3\.5\s+3\.5", words)
    spread = re.search(r"At the check-in((?:\s+\d+){11})", words[words.index("Rating"):])
    assert [int(n) for n in spread.group(1).split()] == [0, 0, 0, 0, 0, 1, 2, 2, 1, 0, 0]


def test_shared_texts_show_escaped_and_sorted_and_hidden_ones_not_at_all(made: str):
    """Are shared texts on the page as text (markup escaped, never a tag), in sorted order, with
    the hidden one left out and counted?"""
    assert HIDDEN not in made and "HIDDENTEXT" not in made
    assert t("report_texts_hidden", n=1) in text_of(made)
    assert html.escape(HOSTILE) in made and HOSTILE not in made
    assert html.escape(BREAKOUT) in made and "<img" not in made
    shown = [text_of(item).strip() for item in re.findall(r"<li>(.*?)</li>", made)]
    takeaways = [text for text in shown if text in TAKEAWAYS]
    assert takeaways == sorted(TAKEAWAYS, key=str.casefold) != TAKEAWAYS


def test_the_report_holds_nothing_that_identifies_anyone(built: Built, made: str):
    """The privacy scan: no pseudonym, no browser id, no address, no script, nothing loaded from
    anywhere (no URL at all, no image)."""
    assert len(built.pseudonyms) == 6
    for who in built.pseudonyms:
        assert who not in made and who[:12] not in made
    for browser in IDS:
        assert browser not in made
    lowered = made.lower()
    assert "<script" not in lowered and "javascript:" not in lowered and " on" + "click" not in lowered
    assert "http://" not in lowered and "https://" not in lowered and "//" not in made
    assert "<img" not in lowered and "<link" not in lowered and "<iframe" not in lowered and "url(" not in lowered
    assert not re.search(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])", made)  # nothing like an IP address


def test_the_report_prints_on_a4_by_its_own_rules(made: str):
    """Does the page carry an @page rule, keep pictures whole across pages and let long words wrap?"""
    assert re.search(r"@page \{ margin: [^}]*\}", made)
    assert re.search(r"figure\.chart \{[^}]*page-break-inside: avoid", made)
    assert "overflow-wrap: anywhere" in made


# ---------------------------------------------------------------------------- from the store alone


def test_the_report_is_the_same_after_a_restart(built: Built, made: str):
    """Built from a new Store object on the same file (the console restarted), is it the same page?"""
    again = Store(built.url)
    assert report.build_report(again, built.session.code, now=built.end + 5 * MINUTE) == made


def test_a_purged_session_gives_a_clear_error(built: Built):
    """Once the session is purged, does asking for its report raise an error that says why?"""
    built.store.purge(built.session)
    for asked in (built.session, built.session.code):
        with pytest.raises(report.ReportError, match="purged") as raised:
            report.build_report(built.store, asked)
        assert built.session.display_code in str(raised.value) or built.session.code in str(raised.value)


def test_a_couple_session_shows_no_picture_and_no_before_after_numbers(tmp_path: Path):
    """In a couple session, even with rows in the store, is no picture, no rating and no text shown?"""
    store = Store(f"sqlite:///{tmp_path / 'couple.sqlite'}")
    session = store.create_session("couple", k=2, theme="00_welcome")
    for n in range(2):
        who = pseudonym(session.code, IDS[n])
        store.touch(session, who)
        store.replace_shares(session, who, "00_welcome/check-in", [("feeling", "hurt"), ("intensity", str(9 - n))])
        store.replace_shares(session, who, "07_closing/check-out", [("intensity", str(1 + n))])
        store.replace_shares(session, who, "07_closing/takeaway", [("text", f"COUPLETEXT{n}")])
    page = report.build_report(store, session)
    words = text_of(page)
    assert not figures(page) and 'class="bars"' not in page and "data before-after" not in page and "data spread" not in page
    assert "COUPLETEXT" not in page and "hurt" not in words
    assert t("console_no_aggregates") in words and t("report_ba_private") in words
    assert "Median" not in words and "middle rating" not in words
    assert re.search(r"People who took part\s+2\b", words) and t("report_k_unused") in words


def test_a_new_exercise_kind_is_pictured_and_an_unknown_one_skipped(built: Built, monkeypatch: pytest.MonkeyPatch):
    """Is an exercise kind the report has never heard of (the feedback being written now, say)
    pictured through its rule like the rest, and a kind with no rule left out without an error?"""

    class LastWordsRule(exercises.Rule):
        shareable = "choices"

        def picture(self, shares):
            return [aggregate.Chart("How was today", aggregate.count(shares, "mood", ["good", "hard"]), aggregate.respondents(shares))]

    monkeypatch.setitem(exercises.RULES, "LastWords", LastWordsRule())
    themes = content.load_themes()
    closing = themes[-1]
    extra = Theme(closing.number, closing.slug, closing.title, closing.path,
                  (*closing.cells, Cell("code", 'LastWords(prompt="One word for today?")', "last-words"),
                   Cell("code", 'NotYetWritten(prompt="later")', "not-yet")))
    for n, who in enumerate(built.pseudonyms):
        built.store.replace_shares(built.session, who, f"{closing.key}/last-words", [("mood", "good" if n < 5 else "hard")])
    page = report.build_report(built.store, built.session, themes=[*themes[:-1], extra], now=built.end)
    assert "One word for today?" in page and "How was today (6 people): good: 5; hard: 1." in page
    assert "later" not in text_of(page)


# ---------------------------------------------------------------------------- before and after


def test_before_after_counts_each_moment_and_never_pairs_people(built: Built):
    """Does the object carry each moment's distribution, people, median and mean, and nothing that
    names or pairs a person?"""
    found = outcomes.before_after(built.store, built.session)
    assert found is not None
    assert found.before.exercise == "00_welcome/check-in" and found.after.exercise == "07_closing/check-out"
    assert (found.before.respondents, found.before.median, found.before.mean) == (6, 6.5, 6.5)
    assert (found.after.respondents, found.after.median, found.after.mean) == (6, 3.5, 3.5)
    assert dict(found.before.counts) == {n: BEFORE.count(n) for n in range(11)}
    assert {f.name for f in dataclasses.fields(outcomes.Moment)} == {"name", "exercise", "respondents", "k", "allowed", "counts", "median", "mean"}
    assert not any(who in repr(found) for who in built.pseudonyms)
    assert [chart.summary() for chart in found.charts()][0].endswith("(6 people): 6: 2; 7: 2; 5: 1; 8: 1.")


def test_before_after_below_k_says_how_many_more_are_needed(tmp_path: Path):
    """With six ratings at the check-in and three at the check-out (k = 5), is only the check-in
    shown, and does the sentence say the check-out needs two more?"""
    store = Store(f"sqlite:///{tmp_path / 'few.sqlite'}")
    session = store.create_session("group", k=5)
    for n in range(6):
        who = pseudonym(session.code, IDS[n])
        store.replace_shares(session, who, "00_welcome/check-in", [("intensity", str(BEFORE[n]))])
        if n < 3:
            store.replace_shares(session, who, "07_closing/check-out", [("intensity", str(AFTER[n]))])
    found = outcomes.before_after(store, session)
    assert found.before.open and not found.after.open
    assert found.after.counts == () and found.after.median is None and found.after.mean is None
    assert found.after.needed == 2 and len(found.charts()) == 1
    assert "6.5 (6 people)" in found.summary() and "2 more people" in found.summary()
    words = text_of(report.build_report(store, session))
    assert t("report_not_shown", needed=2) in words


def test_before_after_is_none_without_the_two_moments(built: Built):
    """With themes that ask neither moment, is there nothing to compare (None)?"""
    themes = [theme for theme in content.load_themes() if theme.key not in ("00_welcome", "07_closing")]
    assert outcomes.before_after(built.store, built.session, themes) is None
    page = report.build_report(built.store, built.session, themes=themes, now=built.end)
    assert t("report_no_before_after") in text_of(page)


def test_before_after_reads_ratings_only_from_the_scale(tmp_path: Path):
    """Are ratings that are not whole numbers on the scale (a hostile row) ignored, not counted?"""
    store = Store(f"sqlite:///{tmp_path / 'odd.sqlite'}")
    session = store.create_session("group", k=2)
    for n, value in enumerate(["4", "6", "11", "-1", "<b>5</b>"]):
        store.replace_shares(session, pseudonym(session.code, IDS[n]), "00_welcome/check-in", [("intensity", value)])
    found = outcomes.before_after(store, session)
    assert found.before.respondents == 2 and found.before.median == 5.0
