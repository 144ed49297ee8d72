"""The servers' short pages (no token in the link, the room is full): from a Jinja2 template, escaped by
construction, self-contained."""

from __future__ import annotations

import re

import pytest

from workshop import content
from workshop.serving import auth

HOSTILE = '<script>alert(1)</script> "><img src=x onerror=alert(1)>'


@pytest.mark.parametrize("keys", [("no_token_title", "no_token_body"), ("room_full_title", "room_full_body")])
def test_each_page_says_its_words_and_loads_nothing(keys):
    page = auth.friendly_page(*keys)
    texts = content.ui_text()
    assert f"<h1>{texts[keys[0]]}</h1>" in page.replace("&#x27;", "'")
    assert not re.search(r"<script|<link|<img|src=|@import|url\(", page)


def test_words_from_ui_yaml_are_escaped(monkeypatch):
    monkeypatch.setattr(content, "ui_text", lambda: {"no_token_title": HOSTILE, "no_token_body": HOSTILE})
    page = auth.friendly_page()
    assert "<script>" not in page and "<img" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 3  # the title, the heading, the paragraph


def test_an_unreadable_ui_yaml_still_gives_a_page(monkeypatch):
    def broken():
        raise content.ContentError("ui.yaml: broken")

    monkeypatch.setattr(content, "ui_text", broken)
    assert "<h1>Ask your facilitator for the link</h1>" in auth.friendly_page()
