"""The content loaders: the shipped files load, and a therapist's mistake gets a clear message."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from workshop import content
from workshop.paths import CONTENT_DIR

KIT = Path(__file__).resolve().parents[2]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the shipped content folder to break."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def test_shipped_feelings_are_distinct_short_words():
    """Do the shipped feeling words load, with no duplicate and none too long?"""
    words = content.feelings()
    assert len(words) >= 12
    assert len({w.casefold() for w in words}) == len(words)
    assert all(0 < len(w) <= content.MAX_WORD for w in words)


def test_shipped_intensity_scale_has_anchors_at_both_ends():
    """Does the 0–10 scale have our own anchors at 0 and 10?"""
    scale = content.intensity()
    assert (scale.low, scale.high) == (0, 10)
    assert 0 in scale.anchors and 10 in scale.anchors
    assert scale.anchor_for(6) == scale.anchors[max(k for k in scale.anchors if k <= 6)]


def test_shipped_resources_cover_the_configured_country_and_a_directory():
    """Do the shipped resources name services for the set country and an international directory?"""
    res = content.resources()
    assert res.services and res.international
    assert res.emergency
    assert all(c.value.startswith("https://") for s in res.services + res.international for c in s.contacts if c.kind in ("chat", "web"))


def test_feelings_edit_changes_the_list(folder: Path):
    """Does editing feelings.yaml change the words offered, with no Python touched?"""
    (folder / "feelings.yaml").write_text("feelings:\n  - wobbly\n  - steady\n", encoding="utf-8")
    assert content.feelings(folder) == ("wobbly", "steady")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("feelings: [a, A]\n", "appears twice"),
        ("feelings: []\n", "at least one entry"),
        ("feelings:\n  - " + "x" * 60 + "\n", "longer than"),
        ("feelings: [ok, {a: b}]\n", "write a feeling word"),
        ("words: [a]\n", "has no 'feelings'"),
        ("feelings: [a\n", "not valid YAML"),
    ],
)
def test_broken_feelings_file_names_the_problem(folder: Path, text: str, expected: str):
    """Does a broken feelings file raise ContentError naming the file and the fix?"""
    (folder / "feelings.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(content.ContentError, match=expected) as info:
        content.feelings(folder)
    assert "feelings.yaml" in str(info.value)


def test_missing_file_is_reported(folder: Path):
    """Is a missing content file reported as missing, not as a traceback deep in YAML?"""
    (folder / "intensity.yaml").unlink()
    with pytest.raises(content.ContentError, match="missing"):
        content.intensity(folder)


def test_intensity_anchor_out_of_range_is_refused(folder: Path):
    """Is an anchor for 11 refused with a message?"""
    (folder / "intensity.yaml").write_text(
        "question: q\nmin_label: a\nmax_label: b\nanchors:\n  11: too high\n", encoding="utf-8"
    )
    with pytest.raises(content.ContentError, match="0 to 10"):
        content.intensity(folder)


def test_resources_for_an_unknown_country_are_refused(folder: Path):
    """Does setting a country with no entry say which countries exist?"""
    text = (folder / "resources.yaml").read_text(encoding="utf-8")
    (folder / "resources.yaml").write_text(text.replace("country: GB", "country: XX", 1), encoding="utf-8")
    with pytest.raises(content.ContentError, match="not one of"):
        content.resources(folder)


def test_resources_refuse_a_plain_http_link(folder: Path):
    """Is a non-https link refused (no page may point participants at plain http)?"""
    (folder / "resources.yaml").write_text(
        "country: GB\ncountries:\n  GB:\n    name: UK\n"
        "    emergency: {contacts: [{call: '999'}], source: 'https://example.org', checked: '2026-12'}\n    services:\n"
        "      - {name: X, what: y, group: crisis, contacts: [{web: 'http://example.org'}],"
        " source: 'https://example.org', checked: '2026-12'}\n",
        encoding="utf-8",
    )
    with pytest.raises(content.ContentError, match="https"):
        content.resources(folder)


def test_ui_text_values_must_be_text(folder: Path):
    """Is a ui.yaml key without text reported by name?"""
    (folder / "ui.yaml").write_text("next: Next\nback:\n", encoding="utf-8")
    with pytest.raises(content.ContentError, match="back"):
        content.ui_text(folder)


def test_themes_are_read_in_number_order_with_titles():
    """Are the theme notebooks found in order, each with the title of its first heading?"""
    themes = content.load_themes()
    assert [t.number for t in themes] == sorted(t.number for t in themes)
    assert themes[0].key == "00_welcome"
    assert themes[0].title == "Welcome"
    assert all(t.cells and t.cells[0].kind == "markdown" for t in themes)


def test_theme_with_duplicate_number_is_refused(tmp_path: Path):
    """Do two notebooks sharing a number give a clear message?"""
    for name in ("01_a.ipynb", "01_b.ipynb"):
        (tmp_path / name).write_text(json.dumps({"cells": [], "metadata": {}}), encoding="utf-8")
    with pytest.raises(content.ContentError, match="share a number"):
        content.load_themes(tmp_path)


def test_unreadable_theme_is_reported(tmp_path: Path):
    """Is a damaged notebook reported with its name?"""
    (tmp_path / "00_welcome.ipynb").write_text("{not json", encoding="utf-8")
    with pytest.raises(content.ContentError, match="00_welcome.ipynb"):
        content.load_themes(tmp_path)


def test_fingerprint_changes_when_a_theme_is_edited(tmp_path: Path):
    """Does editing a theme notebook change the content fingerprint (so preheated kernels rebuild)?"""
    shutil.copy(KIT / "notebooks" / "00_welcome.ipynb", tmp_path / "00_welcome.ipynb")
    before = content.fingerprint(tmp_path)
    notebook = json.loads((tmp_path / "00_welcome.ipynb").read_text(encoding="utf-8"))
    notebook["cells"][0]["source"] = "# Welcome, edited\n"
    (tmp_path / "00_welcome.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    assert content.fingerprint(tmp_path) != before


@pytest.mark.parametrize("name", ["ui.yaml", "grounding.md"])
def test_fingerprint_changes_when_a_content_file_is_edited(tmp_path: Path, name: str):
    """Does editing a content file, the "I need a moment" page included, change the fingerprint (so warm
    seats show the edit to the next person who joins)?"""
    folder = tmp_path / "content"
    shutil.copytree(KIT / "workshop" / "content", folder)
    before = content.fingerprint(KIT / "notebooks", folder)
    (folder / name).write_text((folder / name).read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert content.fingerprint(KIT / "notebooks", folder) != before
