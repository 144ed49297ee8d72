"""Helplines that work when tapped: every contact of every country is one working link, every entry
names where and when it was checked, a therapist's slip gets a clear message, and the take-home
ends with the helplines and keeps the most personal answers off the page unless they are ticked."""

from __future__ import annotations

import html
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from widgets import LoopMap, PartnerNote, StoryITellMyself, Takeaway, TakeHome
from widgets import help as help_panel
from widgets.takehome import PRIVATE_PARTS
from workshop import content
from workshop.paths import CONTENT_DIR

ALL = content.all_resources()
COUNTRIES = sorted(ALL)
UI = content.ui_text()


class _Links(HTMLParser):
    """Every <a> of a fragment: its attributes and the words it shows."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[dict, str]] = []
        self._open: dict | None = None
        self._words: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._open, self._words = dict(attrs), []

    def handle_data(self, data):
        if self._open is not None:
            self._words.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._open is not None:
            self.links.append((self._open, "".join(self._words)))
            self._open = None


def links(fragment: str) -> list[tuple[dict, str]]:
    parser = _Links()
    parser.feed(fragment)
    return parser.links


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def assert_works(link: tuple[dict, str], contact: content.Contact, where: str) -> None:
    """One link does what its contact says, and shows the number it dials."""
    attrs, words = link
    href = attrs.get("href", "")
    if contact.kind == "call":
        assert re.fullmatch(r"tel:\+?\d{3,15}", href), (where, href)
        assert digits(words) == digits(href), (where, words, href)
        assert words == UI["help_call"].format(number=contact.value), where
    elif contact.kind == "text":
        match = re.fullmatch(r"sms:(\+?\d{3,15})(?:\?&body=([A-Za-z0-9%._~-]+))?", href)
        assert match, (where, href)
        shown = words.replace(contact.keyword, "") if contact.keyword else words
        assert digits(shown) == digits(match.group(1)), (where, words, href)
        if contact.keyword:
            assert unquote(match.group(2)) == contact.keyword and contact.keyword in words, (where, href)
        else:
            assert match.group(2) is None, (where, href)
    else:
        parts = urlsplit(href)
        assert parts.scheme == "https" and "." in parts.netloc and "@" not in parts.netloc, (where, href)
        assert attrs.get("target") == "_blank", where
        assert set((attrs.get("rel") or "").split()) >= {"noopener", "noreferrer"}, where
        assert words == UI["help_chat" if contact.kind == "chat" else "help_web"], where


# ---------------------------------------------------------------- the Help panel


@pytest.mark.parametrize("code", COUNTRIES)
def test_every_contact_of_every_service_is_one_working_link(code):
    """For every service of this country and every international directory, is each contact exactly
    one link of the right kind (tel:, sms: with the keyword as its body, https), showing the number it dials?"""
    res = ALL[code]
    for service in res.services + res.international:
        found = links(help_panel._service_html(service))
        assert len(found) == len(service.contacts), f"{code} {service.name}"
        for link, contact in zip(found, service.contacts, strict=True):
            assert_works(link, contact, f"{code} {service.name}")


@pytest.mark.parametrize("code", COUNTRIES)
def test_the_emergency_number_is_a_link_to_call(code):
    """Is each emergency number of this country a tel: link that shows the number it dials?"""
    res = ALL[code]
    found = links(help_panel.emergency_html(res))
    assert res.emergency_contacts and len(found) == len(res.emergency_contacts)
    for (attrs, words), contact in zip(found, res.emergency_contacts, strict=True):
        assert re.fullmatch(r"tel:\+?\d{3,15}", attrs["href"])
        assert digits(words) == digits(attrs["href"]) == digits(contact.value)


@pytest.mark.parametrize("code", COUNTRIES)
def test_the_panel_has_one_link_per_contact_under_the_group_headings(code):
    """Does the whole panel hold exactly one link per contact, under the group headings of ui.yaml in order?"""
    res = ALL[code]
    panel = help_panel.resources_html(res)
    expected = len(res.emergency_contacts) + sum(len(s.contacts) for s in res.services + res.international)
    assert len(links(panel)) == expected
    headings = re.findall(r"<h3>(.*?)</h3>", panel)
    groups = [UI[f"help_group_{g}"] for g, _services in res.grouped()]
    assert headings == [*groups, UI["help_international"]]


def test_silent_solution_is_a_call_to_999_with_its_instruction_in_words():
    """Is "999, then press 55" a link that dials 999, with the instruction shown as text beside it?"""
    res = ALL["GB"]
    (call,) = res.emergency_contacts
    assert call.href == "tel:999" and "55" in call.note
    html = help_panel.emergency_html(res)
    assert '<a href="tel:999">999</a>' in html and "press 55" in html


def test_a_text_line_puts_its_keyword_in_a_link_both_phones_read():
    """Is a text line's keyword the encoded body of the sms: link, in the form iOS and Android both read?"""
    assert content.Contact("text", "85258", "SHOUT").href == "sms:85258?&body=SHOUT"
    assert content.Contact("text", "+61 477 13 11 14", "TWO WORDS").href == "sms:+61477131114?&body=TWO%20WORDS"
    assert content.Contact("text", "988").href == "sms:988"


def test_short_codes_and_three_digit_numbers_are_links():
    """Are 999, 000, 911, 988, 116 123 and 13 11 14 all dialled as written?"""
    for number in ("999", "000", "911", "988", "116 123", "13 11 14"):
        assert content.Contact("call", number).href == "tel:" + digits(number)


def test_every_shipped_country_has_a_service_in_every_group():
    """Does every shipped country list crisis, domestic-abuse, text-only, LGBTQ+ and own-behaviour services?"""
    for code, res in ALL.items():
        assert [g for g, _services in res.grouped()] == list(content.SERVICE_GROUPS), code
    international = " ".join(s.what.lower() for s in ALL["GB"].international)
    assert "domestic-abuse" in international or "domestic abuse" in international


def test_every_entry_names_where_and_when_it_was_checked():
    """Does every service, emergency number and directory name the page it was checked on and the month?"""
    for code, res in ALL.items():
        entries = [(s.name, s.source, s.checked) for s in res.services + res.international]
        entries.append(("emergency", res.emergency_source, res.emergency_checked))
        for name, source, checked in entries:
            assert urlsplit(source).scheme in ("http", "https") and urlsplit(source).netloc, (code, name)
            assert re.fullmatch(r"20\d\d-(0[1-9]|1[0-2])", checked), (code, name)


def test_no_verify_marker_is_left_in_the_file():
    """Is every "verify" marker resolved (checked or removed) in resources.yaml?"""
    text = (CONTENT_DIR / "resources.yaml").read_text(encoding="utf-8")
    assert "verify" not in text.lower()


def test_the_old_digits_only_pattern_is_gone():
    """Does the Help panel no longer decide by a digits-only pattern what may be tapped?"""
    source = Path(help_panel.__file__).read_text(encoding="utf-8")
    assert "_PHONE" not in source


# ---------------------------------------------------------------- a therapist's slips

HEAD = """country: GB
countries:
  GB:
    name: UK
    emergency:
{emergency}
    services:
      - name: "Broken Line"
{service}
"""
EMERGENCY = """      contacts:
        - call: "999"
      source: "https://example.org/check"
      checked: "2026-12"
"""
SERVICE = """        group: crisis
        what: "For anyone."
        contacts:
{contacts}
        source: "https://example.org/check"
        checked: "2026-12"
"""


def write(folder: Path, contacts: str = '          - call: "116 123"', service: str | None = None, emergency: str = EMERGENCY) -> Path:
    body = service if service is not None else SERVICE.format(contacts=contacts)
    (folder / "resources.yaml").write_text(HEAD.format(emergency=emergency.rstrip("\n"), service=body.rstrip("\n")), encoding="utf-8")
    return folder


def test_a_small_valid_file_loads(tmp_path):
    """Does the smallest valid file load (so the broken ones below fail for their one mistake)?"""
    res = content.resources(write(tmp_path))
    assert res.services[0].contacts == (content.Contact("call", "116 123"),)


@pytest.mark.parametrize(
    "contacts, expected",
    [
        ("          []", "at least one contact"),
        ('          - fax: "0123 456"', "'fax' is not a kind of contact"),
        ('          - call: "1-800-799-SAFE"', "not a number to call"),
        ('          - call: "999, then press 55"', "note"),
        ("          - call: 000", "in quotes"),
        ('          - text: "12"', "not a number to text"),
        ('          - text: "85258"\n            keyword: "<b>"', "keyword"),
        ('          - call: "116 123"\n            keyword: "HI"', "only a text contact"),
        ('          - web: "http://example.org"', "https"),
        ('          - chat: "javascript:alert(1)"', "https"),
        ('          - web: "https://exa mple.org"', "https"),
        ('          - "116 123"', "kind and its value"),
        ('          - call: "116 123"\n            web: "https://example.org"', "exactly one"),
    ],
)
def test_a_broken_contact_names_the_file_country_and_service(tmp_path, contacts, expected):
    """Is a service with no contact, a contact of unknown kind, a malformed number or a non-https address
    a ContentError that names the file, the country and the service?"""
    with pytest.raises(content.ContentError, match=re.escape(expected)) as info:
        content.resources(write(tmp_path, contacts=contacts))
    message = str(info.value)
    assert "resources.yaml" in message and "GB" in message and "Broken Line" in message


@pytest.mark.parametrize(
    "service, expected",
    [
        ('        group: crisis\n        what: "x"\n        source: "https://e.org/a"\n        checked: "2026-12"', "at least one contact"),
        (SERVICE.format(contacts='          - call: "116 123"').replace('        source: "https://example.org/check"\n', ""), "source"),
        (SERVICE.format(contacts='          - call: "116 123"').replace('        checked: "2026-12"\n', ""), "checked"),
        (SERVICE.format(contacts='          - call: "116 123"').replace('"2026-12"', '"December"'), "checked"),
        (SERVICE.format(contacts='          - call: "116 123"').replace("group: crisis", "group: other"), "group"),
        (SERVICE.format(contacts='          - call: "116 123"').replace('what: "For anyone."', 'what: ""'), "what"),
    ],
)
def test_a_service_without_source_checked_group_or_contacts_is_refused(tmp_path, service, expected):
    """Is a service missing its contacts, source, checked month, group or what refused by name?"""
    with pytest.raises(content.ContentError, match=expected) as info:
        content.resources(write(tmp_path, service=service))
    assert "resources.yaml" in str(info.value) and "GB" in str(info.value) and "Broken Line" in str(info.value)


def test_a_broken_emergency_number_is_refused_by_name(tmp_path):
    """Is an emergency number written with its instruction refused, naming the country and "emergency"?"""
    emergency = EMERGENCY.replace('"999"', '"999, then press 55"')
    with pytest.raises(content.ContentError, match="emergency") as info:
        content.resources(write(tmp_path, emergency=emergency))
    assert "GB" in str(info.value) and "note" in str(info.value)


def test_a_slip_in_another_country_is_found_by_the_check_but_leaves_help_working(tmp_path, monkeypatch):
    """Does the start-up check (`make check`) find a mistake in a country not in use, while the Help
    panel still shows the country in use?"""
    from workshop import cli

    shutil.copytree(CONTENT_DIR, tmp_path / "content")
    path = tmp_path / "content" / "resources.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('call: "000"', 'call: "000 or 112"'), encoding="utf-8")
    monkeypatch.setenv("HOLDING_SPACE_CONTENT", str(tmp_path / "content"))
    assert any("AU" in p and "resources.yaml" in p for p in cli.check_content())
    with pytest.raises(content.ContentError, match="AU"):
        content.all_resources()
    assert content.resources(strict=False).country == "GB"
    panel = help_panel.HelpPanel()
    assert "tel:116123" in panel._panel.value


# ---------------------------------------------------------------- the take-home


@pytest.fixture
def country(tmp_path, monkeypatch):
    """Set the facilitator's country in a copy of the content folder."""

    def choose(code: str) -> content.Resources:
        folder = tmp_path / "content"
        if not folder.exists():
            shutil.copytree(CONTENT_DIR, folder)
        text = (CONTENT_DIR / "resources.yaml").read_text(encoding="utf-8")
        (folder / "resources.yaml").write_text(text.replace("country: GB", f"country: {code}", 1), encoding="utf-8")
        monkeypatch.setenv("HOLDING_SPACE_CONTENT", str(folder))
        return content.resources()

    return choose


@pytest.mark.parametrize("code", COUNTRIES)
def test_the_take_home_ends_with_the_helplines_printed_in_full_and_as_links(country, code):
    """Does the downloaded page end with this country's emergency number and every service, each number
    printed in full (it must work on paper) and each contact a working link?"""
    res = country(code)
    note = Takeaway()
    note.text = "my own takeaway"
    page = TakeHome(collect=lambda: [note]).page()
    start = page.index('<section class="helplines">')
    assert page.index("my own takeaway") < start and page.rindex("<section") == start  # the last section
    helplines = page[start:]
    found = {attrs["href"]: words for attrs, words in links(helplines)}
    for contact in res.emergency_contacts:
        assert found[contact.href] == contact.value
    for service in res.services + res.international:
        escaped = html.escape(service.name)  # an apostrophe is &#x27; (html.escape) or &#39; (Jinja)
        assert escaped in helplines or escaped.replace("&#x27;", "&#39;") in helplines, service.name
        for contact in service.contacts:
            assert contact.href in found, (service.name, contact.href)
            printed = found[contact.href]
            if contact.kind in ("call", "text"):
                assert contact.value in printed and digits(printed.replace(contact.keyword, "")) == digits(contact.href)
            else:
                assert contact.value in printed  # the whole address, readable on paper


def test_the_take_home_loads_nothing_and_links_only_to_calls_texts_and_https():
    """Does the page load nothing from anywhere, with every link a tel:, sms: or https address?"""
    page = TakeHome(collect=lambda: []).page()
    assert not re.search(r"\bsrc\s*=", page)
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs and all(re.match(r"(tel:|sms:|https://)", h) for h in hrefs)


MARKERS = {"story": "marker-story-4417", "partner_note": "marker-note-8821", "loop": "marker-loop-3309"}


def private_exercises():
    story, note, loop = StoryITellMyself(), PartnerNote(), LoopMap()
    story.text = MARKERS["story"]
    note.text = MARKERS["partner_note"]
    loop.when = MARKERS["loop"]
    return [story, note, loop]


def test_the_most_personal_answers_stay_off_the_page_by_default():
    """With the boxes unticked (as they start), does the page hold none of the story, the note from
    the partner's side or the loop map, and are the boxes there, unticked, with words from ui.yaml?"""
    home = TakeHome(collect=private_exercises)
    assert home.include_private == []
    assert all(box.value is False for box in home._boxes.values())
    assert {box.description for box in home._boxes.values()} == {
        UI["takehome_include"].format(title=UI[title]) for _cls, title in PRIVATE_PARTS.values()
    }
    page = home.page()
    assert not any(marker in page for marker in MARKERS.values())


def test_ticking_a_box_puts_that_answer_on_the_page():
    """Ticking each box, does exactly that part appear, and all three when all are ticked?"""
    home = TakeHome(collect=private_exercises)
    for key, marker in MARKERS.items():
        home._boxes[key].value = True
        page = home.page()
        assert marker in page
        assert not any(m in page for k, m in MARKERS.items() if k != key)
        home._boxes[key].value = False
    home.include_private = list(MARKERS)
    page = home.page()
    assert all(marker in page for marker in MARKERS.values())
    assert all(box.value for box in home._boxes.values())


def test_unknown_private_parts_are_dropped():
    """Is a made-up key refused quietly, keeping only the three known parts?"""
    home = TakeHome(collect=private_exercises)
    home.include_private = ["loop", "everything", "story"]
    assert home.include_private == ["story", "loop"]


def test_the_take_home_tells_the_truth_about_privacy():
    """Is the claim "nobody else gets a copy" gone, replaced by: the file stays on this device, and
    anyone who uses the device may see it?"""
    ui_file = (CONTENT_DIR / "ui.yaml").read_text(encoding="utf-8")
    home = TakeHome(collect=lambda: [])
    shown = home.children[0].value  # the hint above the boxes and the button
    for text in (ui_file, home.page(), shown):
        assert "nobody else gets a copy" not in text.lower()
    hint = UI["takehome_hint"].lower()
    assert "stays" in hint and "anyone who uses this device" in hint
    assert UI["takehome_hint"] in shown
