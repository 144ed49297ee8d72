"""HTML escaped by construction: widgets.markup escapes every text and attribute value, and the widget
modules build their markup with it, never with f-strings around html.escape."""

from __future__ import annotations

import ast
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from widgets.markup import Markup, el, escape, join

WIDGETS = Path(__file__).resolve().parents[2] / "widgets"
#: the widget modules whose markup goes through widgets.markup (pages.py only puts a number into the
#: rendered Markdown's first heading)
CONVERTED = [
    "app.py",
    "console.py",
    "console_panels.py",
    "asking.py",
    "base.py",
    "charts.py",
    "checkin.py",
    "fields.py",
    "help.py",
    "live_session.py",
    "navigation.py",
    "pause.py",
    "pictures.py",
    "reflect.py",
    "scenarios.py",
    "takehome.py",
]
HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' onmouseover='alert(1)",
    "&amp; &lt;b&gt; stays as typed",
    "</p><p>",
    "a lone half \ud800 of an emoji",
]


class _Elements(HTMLParser):
    """The start tags of a fragment, with their attributes, and its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text = ""

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text += data


def parsed(fragment: str) -> _Elements:
    parser = _Elements()
    parser.feed(str(fragment))
    parser.close()
    return parser


# ------------------------------------------------------------------ the helper
@pytest.mark.parametrize("text", HOSTILE)
def test_text_is_shown_as_the_text_it_is(text):
    """Is any text given to an element, and to an attribute, read back by a browser as exactly that
    text, inside the one element it was given to?"""
    made = el("p", text, el("span", text, title=text), cls="hs-note", aria_label=text)
    found = parsed(made)
    assert [tag for tag, _ in found.tags] == ["p", "span"]
    assert found.tags[0][1] == {"class": "hs-note", "aria-label": text}
    assert found.tags[1][1] == {"title": text}
    assert found.text == text + text
    assert "<script" not in made and "<img" not in made


def test_escaping_is_spelled_as_html_escape_spells_it():
    """Are text and attribute values escaped as html.escape escapes them (``&#x27;``, ``&quot;``), as
    the hand-written markup was, so what was compared before compares the same?"""
    text = """it's "quoted" <b> & more"""
    assert escape(text) == html.escape(text)
    assert el("p", text, title=text) == f'<p title="{html.escape(text)}">{html.escape(text)}</p>'


def test_markup_is_kept_and_plain_text_is_escaped_once():
    """Is a child already made by the helper (Markup) kept as it is, never escaped twice, while a plain
    string that looks like markup is escaped?"""
    inner = el("strong", "a & b")
    assert el("p", inner, " <b>") == "<p><strong>a &amp; b</strong> &lt;b&gt;</p>"
    assert el("p", Markup("<em>trusted</em>")) == "<p><em>trusted</em></p>"
    assert isinstance(inner, Markup) and type(str(inner)) is str


def test_attribute_names_and_values():
    """Do cls, underscores, None, False and True become class, hyphens, nothing, nothing and a bare
    attribute, in the order given, with numbers written as numbers?"""
    made = el("div", cls="hs-a hs-b", data_hs_page=-2, aria_label="Label", aria_valuenow=3, hidden=True, title=None, open=False)
    assert made == '<div class="hs-a hs-b" data-hs-page="-2" aria-label="Label" aria-valuenow="3" hidden></div>'
    assert el("svg", viewBox="0 0 10 10") == '<svg viewBox="0 0 10 10"></svg>'


def test_children_none_numbers_void_elements_and_shapes():
    """Is a None child left out, a number written as text, <br> written without an end tag (and refused
    children), and an empty SVG shape closed with />?"""
    assert el("p", "a", None, 7) == "<p>a7</p>"
    assert el("br") == "<br>"
    with pytest.raises(ValueError):
        el("br", "text")
    assert el("rect", x=0, width="4.0", cls="hs-chart-bar") == '<rect x="0" width="4.0" class="hs-chart-bar"/>'
    assert el("text", 3, x=1) == '<text x="1">3</text>'


@pytest.mark.parametrize("tag", ["script", "img", "iframe", "style", "p onclick=alert(1)", "P", ""])
def test_only_known_elements_are_made(tag):
    """Is an element the widgets never draw (or a tag name carrying more than a name) refused?"""
    with pytest.raises(ValueError):
        el(tag, "x")


@pytest.mark.parametrize("name", ['title"', "on click", "a=b", "x>", "_x", "1x", ""])
def test_only_plain_attribute_names_are_written(name):
    """Is an attribute name that could close the tag or add another attribute refused?"""
    with pytest.raises(ValueError):
        el("p", "x", **{name: "v"})


def test_join_escapes_parts_and_separator_unless_markup():
    """Does join escape plain parts and a plain separator, keep Markup ones, and leave None out?"""
    assert join("a<", None, el("b", "c"), sep=", ") == "a&lt;, <b>c</b>"
    assert join("x", "y", sep=el("br")) == "x<br>y"
    assert join("x", "y", sep="<br>") == "x&lt;br&gt;y"
    assert join() == ""


# ------------------------------------------------------------------ the widget modules use it
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*[\s>/]|</?[A-Za-z][A-Za-z0-9-]*$")


def _is_html_escape(call: ast.Call, escape_names: set[str]) -> bool:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "escape" and isinstance(func.value, ast.Name):
        return func.value.id == "html"
    return isinstance(func, ast.Name) and func.id in escape_names


def _has_tag(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(_TAG.search(node.value))


def _built_in_place(node: ast.AST) -> bool:
    """Is ``node`` text put together right here (a literal, an f-string, a sum, a .format or .join)
    rather than what a named renderer returned?"""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in ("format", "join")
    return not isinstance(node, (ast.Name, ast.Call, ast.Attribute))


def hand_written_markup(source: str) -> list[str]:
    """Where ``source`` builds markup by hand: an f-string holding a tag, a tag put together with ``+``,
    ``%``, ``.format`` or ``.join``, a call of html.escape, or Markup() around anything built in place."""
    tree = ast.parse(source)
    escape_names = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "html"
        for alias in node.names
        if alias.name == "escape"
    }
    found = []
    for node in ast.walk(tree):
        where = f"line {getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.JoinedStr) and any(_has_tag(part) for part in node.values):
            found.append(f"{where}: an f-string holding a tag")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)) and (_has_tag(node.left) or _has_tag(node.right)):
            found.append(f"{where}: a tag put together with {type(node.op).__name__}")
        elif isinstance(node, ast.Call):
            func = node.func
            if _is_html_escape(node, escape_names):
                found.append(f"{where}: html.escape (the helper escapes)")
            elif isinstance(func, ast.Attribute) and func.attr in ("format", "join") and _has_tag(func.value):
                found.append(f"{where}: a tag put together with .{func.attr}")
            elif isinstance(func, ast.Name) and func.id == "Markup" and node.args and _built_in_place(node.args[0]):
                found.append(f"{where}: Markup() around markup built in place")
    return found


def test_the_check_finds_hand_written_markup():
    """Does the check below find each way markup used to be written by hand, and pass the helper's way?"""
    old = [
        "f'<p class=\"hs-note\">{html.escape(text)}</p>'",
        "f'<p>{text}</p>'",
        "'<ul class=\"x\">' + items + '</ul>'",
        "'<br>'.join(lines)",
        "'<p>{}</p>'.format(text)",
        "'<p>%s</p>' % text",
        "html.escape(text)",
        "from html import escape as esc\nesc(text)",
        "Markup(f'<p>{text}</p>')",
        "Markup('<p>' + text)",
    ]
    for snippet in old:
        assert hand_written_markup(snippet), snippet
    new = """
from .markup import Markup, el, join
a = str(el("p", text, cls="hs-note"))
b = join(*lines, sep=el("br"))
c = Markup(to_html(source))  # trusted: the renderer escapes
d = f"{width:.1f}"
e = str(page).replace("<h1>", '<h1 data-hs-page="-1">', 1)
"""
    assert hand_written_markup(new) == []


@pytest.mark.parametrize("module", CONVERTED)
def test_widget_markup_goes_through_the_helper(module):
    """Does this widget module build its markup only with widgets.markup: no f-string or string sum
    holding a tag, no html.escape of its own, no Markup() around text put together in place?"""
    source = (WIDGETS / module).read_text(encoding="utf-8")
    assert hand_written_markup(source) == [], module
