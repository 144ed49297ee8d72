"""The printed handouts, opened from disk in Chromium and printed: nothing runs off the page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page

from workshop import handouts

pytestmark = pytest.mark.browser

#: paper widths in millimetres; the text is what is left inside the handouts' side margins
PAPER_MM = {"A4": 210.0, "Letter": 215.9}
PX_PER_MM = 96 / 25.4

#: every element whose right edge passes the body's, with the text it starts with
OVERFLOW = """() => {
  const limit = document.body.getBoundingClientRect().right + 1;
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > limit) out.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(box.right - limit)}px: ${(el.textContent || '').trim().slice(0, 40)}`);
  }
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth + 1) out.push(`the page scrolls sideways by ${root.scrollWidth - root.clientWidth}px`);
  return out;
}"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return handouts.build(tmp_path_factory.mktemp("handouts"))


@pytest.mark.parametrize("paper", sorted(PAPER_MM))
def test_every_handout_prints_within_the_page(page: Page, built: list[Path], paper: str):
    """Printed on this paper size, does every handout make a PDF, with no element wider than the
    text area between the margins?"""
    width = round((PAPER_MM[paper] - 2 * handouts.SIDE_MARGIN_MM) * PX_PER_MM)
    page.set_viewport_size({"width": width, "height": 1000})
    page.emulate_media(media="print")
    problems = []
    for path in built:
        page.goto(path.as_uri())
        body = page.evaluate("() => document.body.getBoundingClientRect().width")
        assert abs(body - width) <= 2, f"{path.name}: the body is {body}px wide in print, not the page's {width}px"
        problems += [f"{path.name}: {p}" for p in page.evaluate(OVERFLOW)]
        pdf = page.pdf(format=paper, print_background=False)
        assert pdf.startswith(b"%PDF") and len(pdf) > 2000, path.name
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize("paper", sorted(PAPER_MM))
def test_the_one_page_sheets_print_on_one_page(page: Page, built: list[Path], paper: str):
    """Does each handout meant for one sheet (the facilitator's run sheet) print on a single page of this paper?"""
    sheets = [path for path in built if path.stem in handouts.ONE_PAGE]
    assert sheets, f"none of {sorted(handouts.ONE_PAGE)} was built"
    for path in sheets:
        page.goto(path.as_uri())
        pdf = page.pdf(format=paper, print_background=False)
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        assert pages == 1, f"{path.name} prints on {pages} pages of {paper}"
