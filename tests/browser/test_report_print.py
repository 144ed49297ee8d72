"""The session report (issue 17), opened from disk in Chromium and printed on A4: a PDF is made,
no element is wider than the text area between the margins, and each picture is kept whole."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page

from workshop import content, exercises, report
from workshop.store import Store, pseudonym

from .test_handouts_print import OVERFLOW, PX_PER_MM

pytestmark = pytest.mark.browser

A4_MM = 210.0
#: a word with no place to break, and long labels: what could push a table past the margin
UNBROKEN = "Unbroken" + "x" * 300
LONG = "a takeaway that goes on and on, " * 12


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A group session of six with every kind of picture, some hostile text, saved as the facilitator would."""
    folder = tmp_path_factory.mktemp("report")
    store = Store(f"sqlite:///{folder / 'store.sqlite'}")
    session = store.create_session("group", k=3, theme="00_welcome")
    words = content.feelings()
    beliefs = content.beliefs()[1]
    items = [item.id for item in content.stirs_up()]
    for theme in ("01_the_pain_behind_the_request", "02_why_space_feels_like_a_threat", "03_space_as_care",
                  "04_emotional_differences", "07_closing"):
        store.update_session(session.code, theme=theme)
    for n in range(6):
        who = pseudonym(session.code, f"{n:02d}" + "b" * 30)
        store.touch(session, who)
        store.replace_shares(session, who, "00_welcome/check-in",
                             exercises.RULES["CheckIn"].rows({"feelings": list(words[n : n + 4]), "intensity": 3 + n}))
        store.replace_shares(session, who, "01_the_pain_behind_the_request/stirs-up", [("item", key) for key in items[: n + 2]])
        store.replace_shares(session, who, "02_why_space_feels_like_a_threat/beliefs",
                             [(belief.id, str(n % 5)) for belief in beliefs])
        store.replace_shares(session, who, "03_space_as_care/reframe", [("text", [UNBROKEN, "<script>x</script>", LONG][n % 3])])
        store.replace_shares(session, who, "04_emotional_differences/closeness-line", [("me", str(n)), ("partner", str(10 - n))])
        store.replace_shares(session, who, "07_closing/check-out", [("feeling", words[0]), ("intensity", str(n))])
        store.replace_shares(session, who, "07_closing/takeaway", [("text", LONG if n % 2 else UNBROKEN)])
    store.update_session(session.code, ended=True)
    path = folder / report.report_filename(session)
    path.write_text(report.build_report(store, session), encoding="utf-8")
    return path


def test_the_report_prints_on_a4_within_the_margins(page: Page, report_file: Path):
    """Printed on A4, does the report make a PDF of a few pages, with no element wider than the text
    area between the margins, and every chart drawn and kept whole across pages?"""
    width = round((A4_MM - 2 * report.SIDE_MARGIN_MM) * PX_PER_MM)
    page.set_viewport_size({"width": width, "height": 1000})
    page.emulate_media(media="print")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(report_file.as_uri())
    assert requests == [report_file.as_uri()], f"the report loaded something else: {requests[1:]}"
    body = page.evaluate("() => document.body.getBoundingClientRect().width")
    assert abs(body - width) <= 2, f"the body is {body}px wide in print, not the page's {width}px"
    problems = page.evaluate(OVERFLOW)
    assert not problems, "\n".join(problems[:20])
    charts = page.evaluate("""() => [...document.querySelectorAll('figure.chart')].map(f => ({
        avoid: getComputedStyle(f).breakInside,
        bars: [...f.querySelectorAll('svg.bar rect')].filter(r => r.getBoundingClientRect().width > 0).length,
        summary: (f.querySelector('p.summary') || {}).textContent || ''}))""")
    assert len(charts) >= 7, charts
    for chart in charts:
        assert chart["avoid"] == "avoid" and chart["summary"], chart
    assert any(chart["bars"] for chart in charts), "no bar was drawn"
    assert page.evaluate("() => document.querySelectorAll('script, img, link, iframe').length") == 0
    pdf = page.pdf(format="A4", print_background=False)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pdf.startswith(b"%PDF") and 1 <= pages <= 12, pages
