"""The printable take-home: own answers only, escaped, printable, delivered to the browser only."""

from __future__ import annotations

import re

from widgets import CheckIn, SpaceAgreement, TakeHome, Takeaway
from workshop import content, takehome


def test_page_is_self_contained_and_printable():
    """Does the page load nothing from anywhere and carry print styles?"""
    page = takehome.render("T", "i", [takehome.Section("S", [("a", "b")])], "f", "Print")
    assert not re.search(r"""(?:src|href)\s*=""", page)
    assert "@page" in page and "@media print" in page
    assert page.startswith("<!DOCTYPE html>")


def test_take_home_holds_answers_in_order_and_leaves_out_passed_and_empty():
    """Are answered exercises included in order, and passed or empty ones left out?"""
    checkin, agreement, note, passed = CheckIn(), SpaceAgreement(), Takeaway(), Takeaway()
    checkin.intensity = 6
    agreement.signal = "pause"
    passed.text = "private thing"
    passed.passed = True
    home = TakeHome(collect=lambda: [checkin, agreement, note, passed])
    titles = [s.title for s in home.sections()]
    assert titles == [content.ui_text()["checkin_title"], content.ui_text()["agreement_title"]]
    assert "private thing" not in home.page()


def test_the_agreement_is_set_off_in_a_box():
    """Is the space agreement highlighted on the page?"""
    agreement = SpaceAgreement()
    agreement.signal = "pause"
    page = TakeHome(collect=lambda: [agreement]).page()
    assert '<section class="agreement">' in page


def test_an_empty_take_home_says_so_kindly():
    """With nothing answered, does the page say so rather than come out blank?"""
    page = TakeHome(collect=lambda: []).page()
    assert content.ui_text()["takehome_nothing"][:20] in page


def test_download_sends_the_page_to_the_browser_only(tmp_path, monkeypatch):
    """Does the button send the page to the browser (a widget message) and write no file?"""
    monkeypatch.chdir(tmp_path)
    sent = []
    home = TakeHome(collect=lambda: [])
    home._downloader.send = lambda message: sent.append(message)
    home._button.click()
    assert len(sent) == 1 and sent[0]["type"] == "download"
    assert sent[0]["filename"].endswith(".html") and "<!DOCTYPE html>" in sent[0]["content"]
    assert list(tmp_path.iterdir()) == []
    assert content.ui_text()["takehome_done"][:20] in home._status.value


def test_standalone_take_home_gathers_the_kernels_exercises():
    """Used alone in a notebook, does the take-home gather exercises made in the same kernel?"""
    note = Takeaway()
    note.text = "a standalone takeaway"
    assert "a standalone takeaway" in TakeHome().page()
