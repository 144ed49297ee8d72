"""The facilitator guide: a script for every theme, links that resolve, and a printable build."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.shingles import shingles
from workshop import guide

KIT = Path(__file__).resolve().parents[2]
GUIDE = KIT / "facilitator_guide"
NOTEBOOKS = KIT / "notebooks"
SOURCE = set((KIT / "tests" / "data" / "source_shingles.txt").read_text(encoding="utf-8").split())
THEME_NOTEBOOK = re.compile(r"^\d\d_[a-z0-9_]+\.ipynb$")
THEME_SCRIPT = re.compile(r"^\d\d_.+\.md$")
SCRIPT_SECTIONS = (
    "Aims",
    "Minutes",
    "What to say",
    "Running the exercise",
    "Discussion questions",
    "What to watch for",
    "Closing the theme",
)


def guide_files() -> list[Path]:
    return sorted(GUIDE.glob("*.md"))


def theme_notebooks() -> list[Path]:
    return sorted(p for p in NOTEBOOKS.glob("*.ipynb") if THEME_NOTEBOOK.match(p.name))


def theme_scripts() -> list[Path]:
    return sorted(p for p in GUIDE.glob("*.md") if THEME_SCRIPT.match(p.name))


def h2_headings(markdown: str) -> list[str]:
    return [m.group(1).strip() for m in re.finditer(r"^##\s+(.+?)\s*#*\s*$", markdown, re.M)]


class _Page(HTMLParser):
    """Collects what a printable page loads and links: ids, hrefs, srcs, stylesheet links."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.sections: list[str] = []
        self.hrefs: list[str] = []
        self.srcs: list[str] = []
        self.stylesheets: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "section" and "id" in attrs:
            self.sections.append(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if attrs.get("src"):
            self.srcs.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.stylesheets.append(attrs["href"])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, _Page]:
    folder = tmp_path_factory.mktemp("guide")
    out = guide.build(folder / "facilitator_guide.html")
    text = out.read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    return out, text, page


# ------------------------------------------------------------------ scripts and notebooks


def test_there_are_theme_notebooks_and_scripts():
    """Are there theme notebooks and theme scripts to compare at all?"""
    assert len(theme_notebooks()) >= 8 and len(theme_scripts()) >= 8


@pytest.mark.parametrize("notebook", theme_notebooks(), ids=lambda p: p.stem)
def test_every_theme_notebook_has_a_script(notebook: Path):
    """Does this theme notebook have a script named exactly after it in facilitator_guide/?"""
    assert (GUIDE / f"{notebook.stem}.md").is_file(), f"add facilitator_guide/{notebook.stem}.md"


@pytest.mark.parametrize("script", theme_scripts(), ids=lambda p: p.stem)
def test_every_script_has_a_notebook(script: Path):
    """Does this theme script belong to a theme notebook of the same name?"""
    assert (NOTEBOOKS / f"{script.stem}.ipynb").is_file(), f"no notebooks/{script.stem}.ipynb for {script.name}"


@pytest.mark.parametrize("script", theme_scripts(), ids=lambda p: p.stem)
def test_each_script_starts_with_its_theme_title_and_has_every_section(script: Path):
    """Does this script open with its notebook's title and carry every required section?"""
    from workshop.content import load_theme

    text = script.read_text(encoding="utf-8")
    title = load_theme(NOTEBOOKS / f"{script.stem}.ipynb").title
    assert text.splitlines()[0] == f"# {title}"
    headings = h2_headings(text)
    missing = [s for s in SCRIPT_SECTIONS if s not in headings]
    assert not missing, f"{script.name} lacks: {', '.join(missing)}"
    assert [h for h in headings if h in SCRIPT_SECTIONS] == list(SCRIPT_SECTIONS), "sections out of order"


def test_the_console_shows_each_themes_own_script(tmp_path: Path):
    """For every theme, does the console's notes panel show that theme's script and no other?"""
    from widgets.console import FacilitatorConsole
    from workshop.content import load_themes
    from workshop.markdown import to_html
    from workshop.store import Store

    console = FacilitatorConsole(store=Store(f"sqlite:///{tmp_path / 'c.sqlite'}"), join_base="http://192.0.2.1:8866/?token=a")
    for theme in load_themes():
        notes = console.notes_html(theme.key)
        assert "No script for this theme" not in notes, theme.key
        assert notes.startswith(to_html(f"# {theme.title}")), theme.key


# ------------------------------------------------------------------ links


@pytest.mark.parametrize("path", guide_files(), ids=lambda p: p.name)
def test_every_relative_link_resolves(path: Path):
    """Does every relative link in this guide file lead to a file that exists (and a heading that exists)?"""
    broken = []
    for href in guide.links(path.read_text(encoding="utf-8")):
        target = guide.link_target(href)
        if target is None:
            continue
        file, fragment = target
        dest = (path.parent / file).resolve() if file else path
        if not dest.exists():
            broken.append(href)
            continue
        if fragment and (dest.suffix != ".md" or fragment not in guide.heading_ids(dest.read_text(encoding="utf-8"))):
            broken.append(href)
    assert not broken, f"{path.name}: these links lead nowhere: {broken}"


def test_the_readme_links_every_guide_file():
    """Does the guide's README link every other file of the guide?"""
    linked = set()
    for href in guide.links((GUIDE / "README.md").read_text(encoding="utf-8")):
        target = guide.link_target(href)
        if target and target[0]:
            linked.add((GUIDE / target[0]).resolve())
    missing = [p.name for p in guide_files() if p.name != "README.md" and p.resolve() not in linked]
    assert not missing, f"README.md does not link: {missing}"


def test_the_reading_order_starts_with_the_readme_and_holds_every_file():
    """Does the printable guide read README first and then every guide file exactly once?"""
    order = guide.reading_order(GUIDE)
    assert order[0].name == "README.md"
    assert sorted(p.name for p in order) == sorted(p.name for p in guide_files())


# ------------------------------------------------------------------ the printable guide


def test_the_build_writes_one_html_file_with_every_section(built):
    """Does the build write a single HTML file with one section per guide file, README first?"""
    out, text, page = built
    assert [p.name for p in out.parent.iterdir()] == [out.name]
    assert text.startswith("<!DOCTYPE html>")
    assert page.sections[0] == "README"
    assert sorted(page.sections) == sorted(p.stem for p in guide_files())


def test_the_printable_guide_requests_nothing_from_elsewhere(built):
    """Is the page free of scripts, images and stylesheets that would load from another place?"""
    _out, text, page = built
    assert not [s for s in page.srcs if s.startswith(("http:", "https:", "//"))]
    assert not [h for h in page.stylesheets if h.startswith(("http:", "https:", "//"))]
    assert "script" not in page.tags and "img" not in page.tags and "iframe" not in page.tags
    assert "@import" not in text and not re.search(r"url\(\s*['\"]?(https?:)?//", text)


def test_the_printable_guide_has_a_print_stylesheet_inline(built):
    """Does the page carry its own print stylesheet with a page break between sections?"""
    _out, text, _page = built
    assert "<style>" in text and "@media print" in text and "@page" in text
    assert "break-before: page" in text


def test_links_between_guide_files_become_anchors_in_the_page(built):
    """Does every in-page link of the printable guide point to an id that exists in it?"""
    _out, _text, page = built
    internal = [h for h in page.hrefs if h.startswith("#")]
    assert internal, "expected links between guide files"
    assert not [h for h in internal if h[1:] not in page.ids]
    assert not [h for h in page.hrefs if h.endswith(".md") or ".md#" in h]


def test_raw_html_in_the_guide_is_shown_as_text(tmp_path: Path):
    """Is raw HTML in a guide file escaped rather than rendered?"""
    (tmp_path / "README.md").write_text("# Guide\n\n<script>alert(1)</script>\n\n[More](more.md)\n", encoding="utf-8")
    (tmp_path / "more.md").write_text("# More\n\nText.\n", encoding="utf-8")
    text = guide.build(tmp_path / "out" / "g.html", tmp_path).read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert 'href="#more"' in text and '<section class="guide-file" id="more">' in text


def test_the_command_line_builds_the_guide(tmp_path: Path):
    """Does `python -m workshop.guide OUT`, as `make guide` runs it, write the file?"""
    out = tmp_path / "build" / "facilitator_guide.html"
    result = subprocess.run([sys.executable, "-m", "workshop.guide", str(out)], cwd=KIT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert out.is_file() and "<section" in out.read_text(encoding="utf-8")


def test_make_has_a_guide_target():
    """Does the Makefile have a `guide` target that builds the printable guide like the others?"""
    makefile = (KIT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^guide: \$\(STAMP\)\n\t\$\(PY\) -m workshop\.guide build/facilitator_guide\.html$", makefile, re.M)


def test_the_builder_does_not_import_ipywidgets():
    """Does building the guide stay free of the UI layer (no ipywidgets imported)?"""
    code = "import sys, workshop.guide; sys.exit('ipywidgets' in sys.modules or 'widgets' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=KIT).returncode == 0


# ------------------------------------------------------------------ content


def test_the_safety_file_covers_self_harm_fear_and_emergency():
    """Does the safety part speak of self-harm, fear of a partner and emergency numbers?"""
    text = (GUIDE / "safety_and_referral.md").read_text(encoding="utf-8").lower()
    for word in ("self-harm", "fear", "emergency"):
        assert word in text, word


@pytest.mark.parametrize("path", guide_files(), ids=lambda p: p.name)
def test_no_guide_file_shares_seven_words_with_the_source(path: Path):
    """Does this guide file share no run of seven words with the source text?"""
    assert not (shingles(path.read_text(encoding="utf-8")) & SOURCE), f"{path.name} repeats the source text"


def test_the_90_minute_plan_adds_up_and_its_clock_agrees():
    """Do the 90-minute plan's blocks add up to 90 minutes, each starting when the one before ends, and does
    compassion (theme 5) come before the agreement (theme 6)?"""
    import re

    text = (KIT / "facilitator_guide" / "session_plans.md").read_text(encoding="utf-8")
    plan = text.split("## The 90-minute single session", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d):(\d\d) \| (\d*) \| ([^|]+) \| ([^|]*) \|", plan, re.M)
    assert len(rows) >= 8, rows
    clock = 0
    themes = []
    for hours, minutes, length, block, theme in rows:
        assert int(hours) * 60 + int(minutes) == clock, f"{block.strip()} starts at {hours}:{minutes}, not at minute {clock}"
        clock += int(length or 0)
        themes += [int(n) for n in re.findall(r"\d", theme)]
    assert clock == 90
    assert themes.index(5) < themes.index(6)


# ------------------------------------------------------------------ escaped by construction

#: what a guide file might hold by mistake or by malice: markup, an attribute break-out and
#: right-to-left overrides (a file on disk is UTF-8, so half characters come by file name only)
HOSTILE = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "\u202eevil\u202c and after", "\u202ethe rest")


def _texts_and_tags(text: str) -> tuple[list[str], list[str], list[str]]:
    """The page's texts, tags and event-handler attributes, as a browser reads them."""

    class Reader(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.texts: list[str] = []
            self.tags: list[str] = []
            self.handlers: list[str] = []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)
            self.handlers += [name for name, _ in attrs if name.startswith("on")]

        def handle_data(self, data):
            self.texts.append(data)

    reader = Reader()
    reader.feed(text)
    reader.close()
    return reader.texts, reader.tags, reader.handlers


@pytest.mark.parametrize("hostile", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_in_a_guide_file_is_shown_as_text(tmp_path: Path, hostile: str):
    """Written as a guide file's heading (the contents list's entry), a paragraph, a code span, a
    link's words and a missing file's name, is every piece shown as text and nothing run or loaded?"""
    (tmp_path / "README.md").write_text("# Guide\n\n[More](more.md)\n", encoding="utf-8")
    (tmp_path / "more.md").write_text(
        f"# {hostile}\n\n{hostile}\n\n`{hostile}`\n\n[{hostile}](more.md) [{hostile}](../nowhere.md)\n\n![{hostile}](x.png)\n",
        encoding="utf-8",
    )
    text = guide.build(tmp_path / "out" / "g.html", tmp_path).read_text(encoding="utf-8")
    texts, tags, handlers = _texts_and_tags(text)
    assert "script" not in tags and "img" not in tags and not handlers, (tags, handlers)
    assert texts.count(hostile) >= 3  # the contents list, the code span, and the heading or a link
    assert "<script>" not in text and "<img" not in text


def test_a_guide_file_whose_name_cannot_be_read_still_prints(tmp_path: Path):
    """A file named in another encoding (its name holds half characters, as Python reads it) without
    a heading of its own: does the guide still build, with U+FFFD where the name could not be read?"""
    (tmp_path / "README.md").write_text("# Guide\n\nText.\n", encoding="utf-8")
    odd = tmp_path / os.fsdecode(b"caf\xe9 notes.md")
    odd.write_text("No heading here.\n", encoding="utf-8")
    text = guide.build(tmp_path / "out" / "g.html", tmp_path).read_text(encoding="utf-8")
    assert "caf\ufffd notes" in text
