"""The printable take-home: own answers only, escaped, printable, delivered to the browser only."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.hostile import HOSTILE
from widgets import CheckIn, SpaceAgreement, Takeaway, TakeHome
from workshop import content, takehome

KIT = Path(__file__).resolve().parents[2]


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


# ------------------------------------------------------------------ escaped by construction

#: the markup of the page's own Python modules: none, every tag is in workshop/templates/
DOCUMENT_MODULES = ("takehome.py", "guide.py", "handouts.py")
HTML_TAG = re.compile(
    r"<\s*/?\s*(?:!doctype|html|head|body|main|header|footer|nav|section|div|span|p|h[1-6]|ul|ol|li|dl|dt|dd|table|"
    r"thead|tbody|tr|th|td|a|strong|em|br|code|pre|button|style|title|meta|script|img|link)\b",
    re.IGNORECASE,
)
#: functions whose string arguments are patterns that read HTML (never write it)
READERS = {"compile", "sub", "subn", "match", "fullmatch", "search", "finditer", "findall", "split"}


class _Reader(HTMLParser):
    """A page as a browser reads it: its tags, its event-handler attributes, and each text with its element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.handlers: list[str] = []
        self.stack: list[str] = []
        self.texts: list[tuple[str, str]] = []  # (element, text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.handlers += [f"{tag} {name}" for name, _ in attrs if name.startswith("on") and name != "onclick"]
        if tag not in ("br", "meta"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_data(self, data):
        self.texts.append((self.stack[-1] if self.stack else "", data))


def read(page: str) -> _Reader:
    reader = _Reader()
    reader.feed(page)
    reader.close()
    return reader


def whole(text: str) -> str:
    """``text`` as a page can hold it: two halves of a character joined, a half alone as U+FFFD."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def assert_shown_as_text(page: str, hostile: str) -> _Reader:
    """Is ``hostile`` on the page as text only: nothing of it read as a tag or an attribute, and the
    page whole (it can be saved and sent as UTF-8)?"""
    page.encode("utf-8")  # raises on half a character
    reader = read(page)
    assert "script" not in reader.tags and "img" not in reader.tags, reader.tags
    assert not reader.handlers, reader.handlers
    assert whole(hostile) in "".join(text for _, text in reader.texts)
    return reader


@pytest.mark.parametrize("hostile", HOSTILE, ids=range(len(HOSTILE)))
def test_a_hostile_answer_is_shown_as_text_in_its_own_block(hostile: str):
    """Typed as a participant's answer (a takeaway, a word of their own at check-in, the agreement's signal),
    is the text on the page as text, and a right-to-left override held inside the answer's own block?"""
    takeaway, checkin, agreement = Takeaway(), CheckIn(), SpaceAgreement()
    takeaway.text = hostile
    checkin.other = hostile[:40]
    checkin.intensity = 4
    agreement.signal = hostile
    page = TakeHome(collect=lambda: [checkin, agreement, takeaway]).page()
    reader = assert_shown_as_text(page, whole(takeaway.text))
    for element, text in reader.texts:
        if "\u202e" in text:  # a block of its own ends the override: it cannot turn the page's words around
            assert element in ("p", "dd"), element


@pytest.mark.parametrize("hostile", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_content_is_shown_as_text_on_the_take_home(hostile: str):
    """Given as every content value of the page (titles, labels, the helplines' names, notes and
    link words), is each shown as text, half characters included, and only a safe link followed?"""
    link = takehome.Link(hostile, "tel:116123", hostile)
    helplines = takehome.Helplines(
        title=hostile, intro=hostile, emergency_lead=hostile, emergency=[link], emergency_notes=[hostile],
        groups=[(hostile, [takehome.Helpline(hostile, hostile, [link, takehome.Link(hostile, "https://example.org/a?b=1&c=2")])])],
    )
    sections = [takehome.Section(hostile, [(hostile, hostile), ("", hostile)])]
    page = takehome.render(hostile, hostile, sections, hostile, hostile, highlight=hostile, language=hostile, helplines=helplines)
    reader = assert_shown_as_text(page, hostile)
    assert sum(whole(hostile) in text for _, text in reader.texts) >= 14
    assert 'href="https://example.org/a?b=1&amp;c=2"' in page
    with pytest.raises(ValueError, match="not a tel:, sms: or https link"):
        takehome.render("T", "i", [], "f", "P", helplines=takehome.Helplines("t", "i", groups=[("g", [
            takehome.Helpline("n", "w", [takehome.Link("x", 'https://x" onmouseover="alert(1)')])])]))


def _html_in_string_literals(path: Path) -> list[str]:
    """Every string literal of a module (f-strings' parts included) that writes an HTML tag; docstrings
    and the patterns given to ``re`` (which read HTML) are left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skip.add(id(first.value))
        function = node.func if isinstance(node, ast.Call) else None
        if isinstance(function, ast.Attribute) and function.attr in READERS and node.args and (
            isinstance(function.value, ast.Name) and function.value.id == "re"
        ):
            skip.update(id(n) for n in ast.walk(node.args[0]))
    found = []
    for node in ast.walk(tree):
        literal = isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
        if literal and HTML_TAG.search(node.value):
            found.append(f"{path.name}:{node.lineno}: {node.value[:60]!r}")
    return found


@pytest.mark.parametrize("module", DOCUMENT_MODULES)
def test_no_python_string_writes_html(module: str):
    """Does this document's module write no tag in a Python string (f-string or not), leaving all
    markup to its templates in workshop/templates/, where every value is escaped?"""
    path = KIT / "workshop" / module
    assert not _html_in_string_literals(path)
    assert "templating." in path.read_text(encoding="utf-8")


def test_the_scan_finds_html_in_a_string(tmp_path: Path):
    """Would the scan above catch markup written in an f-string, a plain string or a concatenation?"""
    source = 'x = 1\ny = f"<p class=\\"a\\">{x}</p>"\nz = "<div>" + str(x)\nw = re.sub(r"<td>", "", "")\n'
    (tmp_path / "m.py").write_text('"""<section> in a docstring is fine."""\nimport re\n' + source, encoding="utf-8")
    found = _html_in_string_literals(tmp_path / "m.py")
    assert len(found) == 3, found  # the f-string's two parts and the "<div>"; not the docstring, not the pattern


def test_a_kernel_that_never_prints_loads_no_template_engine():
    """Does a participant's kernel load Jinja2 only when the take-home is built, and compile its
    templates once however many times it is built?"""
    probe = (
        "import sys\n"
        "from widgets import TakeHome, Takeaway\n"
        "from workshop import templating\n"
        "home = TakeHome(collect=lambda: [])\n"
        "assert 'jinja2' not in sys.modules, 'Jinja2 loaded before any take-home'\n"
        "home.page()\n"
        "assert 'jinja2' in sys.modules\n"
        "compiled = templating.template.cache_info().misses\n"
        "home.page(); home.page()\n"
        "assert templating.template.cache_info().misses == compiled, 'compiled again'\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=KIT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
