"""The printed handouts: a paper version of every exercise, the texts to hand out, offline and private."""

from __future__ import annotations

import ast
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.hostile import HOSTILE
from workshop import content, handouts

KIT = Path(__file__).resolve().parents[2]
NOTEBOOKS = KIT / "notebooks"
CONTENT = KIT / "workshop" / "content"
THEME_NOTEBOOK = re.compile(r"^(\d\d)_[a-z0-9_]+\.ipynb$")
#: the text handouts issue 13 asks for, by file name in workshop/content/handouts/
REQUIRED_TEXTS = ("screening_script", "consent_form", "feedback_form", "run_sheet", "safety_plan", "asking_for_space")
VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source", "track", "embed", "param"}


def notebook_exercises() -> list[tuple[int, str, dict]]:
    """Every exercise call in the theme notebooks, counted here without the builder: ``(theme
    number, class, literal keyword arguments)``. A call is an exercise when its name was imported
    from ``widgets``; the take-home download is not one."""
    found = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        match = THEME_NOTEBOOK.match(path.name)
        if not match:
            continue
        imported: set[str] = set()
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            for node in ast.parse(source).body:
                if isinstance(node, ast.ImportFrom) and node.module == "widgets":
                    imported |= {alias.asname or alias.name for alias in node.names}
                call = getattr(node, "value", None)
                exercise = isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in imported
                if exercise and call.func.id != "TakeHome":
                    kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
                    found.append((int(match.group(1)), call.func.id, kwargs))
    return found


class _Page(HTMLParser):
    """What a page is made of: its tags (checked for nesting), links, sources and attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: Counter = Counter()
        self.hrefs: list[str] = []
        self.loads: list[str] = []  # anything that would fetch: src, link href, object data…
        self.handlers: list[str] = []
        self.classes: Counter = Counter()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags[tag] += 1
        for name in attrs:
            if name.startswith("on"):
                self.handlers.append(f"{tag} {name}")
        for css in (attrs.get("class") or "").split():
            self.classes[css] += 1
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        elif attrs.get("href"):
            self.loads.append(f"{tag} href={attrs['href']}")
        for name in ("src", "data", "srcset", "poster", "background"):
            if attrs.get(name):
                self.loads.append(f"{tag} {name}={attrs[name]}")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()


class _Text(HTMLParser):
    """The text of a page, character references read."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def text_of(markup: str) -> str:
    """What a reader sees of ``markup``: its text, with ``&#39;`` and ``&#x27;`` both read as "'".
    A text that is there only as markup (not escaped) is not in it."""
    reader = _Text()
    reader.feed(markup)
    reader.close()
    return "".join(reader.parts)


def parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    page.close()
    return page


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every page of one build of the kit's own content: ``{file name: html}``."""
    out = tmp_path_factory.mktemp("handouts")
    written = handouts.build(out)
    return {path.name: path.read_text(encoding="utf-8") for path in written}


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A copy of the kit's content folder to edit, with an empty handouts folder."""
    folder = tmp_path / "content"
    shutil.copytree(CONTENT, folder)
    shutil.rmtree(folder / "handouts", ignore_errors=True)
    (folder / "handouts").mkdir()
    return folder


# ------------------------------------------------------------------ every exercise, on paper


def test_the_notebooks_have_exercises_to_print():
    """Are there exercises in the theme notebooks to compare with at all?"""
    assert len(notebook_exercises()) >= 12


def test_every_exercise_in_the_notebooks_has_a_handout():
    """Does each exercise cell of each theme notebook (counted here with ast, apart from the
    builder) have exactly one exercise handout, in the right theme, carrying its question?"""
    pages = [h for h in handouts.handouts() if h.kind == "exercise"]
    expected = notebook_exercises()
    assert Counter(n for n, _, _ in expected) == Counter(int(h.filename[:2]) for h in pages)
    assert len(pages) == len(expected)
    for number, name, kwargs in expected:
        prompt = kwargs.get("prompt")
        if prompt:
            mine = [h for h in pages if int(h.filename[:2]) == number and prompt in text_of(h.html)]
            assert mine, f"no handout of theme {number} asks {prompt!r} ({name})"
    assert not any("take-home" in h.filename for h in pages), "TakeHome is a download, not an exercise"


def test_every_exercise_class_has_a_paper_version():
    """Does the builder know every exercise class the notebooks use?"""
    used = {name for _, name, _ in notebook_exercises()}
    assert used <= set(handouts.EXERCISES), f"no paper version for {sorted(used - set(handouts.EXERCISES))}"


def test_the_exercise_handouts_use_the_content_files(built: dict[str, str]):
    """Do the handouts print the lists of the content files the app uses (feelings, items, scenarios…)?"""
    pages = text_of("\n".join(built.values()))
    expect = list(content.feelings()) + [i.text for i in content.stirs_up()]
    expect += [b.text for b in content.beliefs()[1]] + [w.thought for w in content.reframes()]
    expect += [s.text for s in content.scenarios()[1]] + [s.text for s in content.pauses().self_compassion.steps]
    expect += list(content.rituals().signals) + [content.intensity().question]
    missing = [text for text in expect if text not in pages]
    assert not missing, f"not on any handout: {missing[:5]}"


def test_labels_that_follow_ui_yaml_are_printed(built: dict[str, str]):
    """Do the story's second box, the agreement's guardrails and its longer time apart appear on
    paper whenever ui.yaml has their words?"""
    ui = content.ui_text()
    pages = text_of("\n".join(built.values()))
    for key in ("story_else_label", "agreement_kind_longer", "agreement_how_often", "agreement_takehome_guard"):
        if key in ui:
            assert ui[key] in pages, key


def test_an_unknown_exercise_stops_the_build_and_names_the_cell(tmp_path: Path):
    """Does a class the handouts do not know fail the build with the notebook's name and the cell?"""
    notebook = {
        "cells": [
            {"cell_type": "markdown", "id": "title", "metadata": {}, "source": "# A theme"},
            {"cell_type": "code", "id": "imports", "metadata": {}, "source": "from widgets import Mystery", "outputs": [], "execution_count": None},
            {"cell_type": "code", "id": "mystery", "metadata": {}, "source": 'Mystery(prompt="?")', "outputs": [], "execution_count": None},
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (tmp_path / "00_a_theme.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    with pytest.raises(handouts.HandoutError, match=r"00_a_theme\.ipynb, code cell 2.*Mystery"):
        handouts.handouts(notebooks=tmp_path)


def test_a_cell_is_read_and_never_run(tmp_path: Path):
    """Is a computed value in an exercise cell refused rather than run?"""
    canary = tmp_path / "ran"
    source = f"CheckIn(prompt=open({str(canary)!r}, 'w').write('x'))"
    notebook = {
        "cells": [{"cell_type": "code", "id": "canary", "metadata": {}, "source": source, "outputs": [], "execution_count": None}],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (tmp_path / "00_a_theme.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    with pytest.raises(handouts.HandoutError, match="written out"):
        handouts.exercise_cells(tmp_path)
    assert not canary.exists()


def test_a_missing_label_is_a_content_error_naming_the_key(content_copy: Path):
    """Does a ui.yaml without a handout's label stop the build and name the key, not print a default?"""
    ui = content_copy / "ui.yaml"
    ui.write_text(re.sub(r"(?m)^handout_circle:.*\n", "", ui.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(content.ContentError, match="handout_circle"):
        handouts.handouts(folder=content_copy)


# ------------------------------------------------------------------ the texts to hand out


def test_the_text_handouts_the_issue_asks_for_are_there():
    """Are the screening script, consent form, feedback form, run sheet, safety plan and the page
    for the partner who asks for space all in workshop/content/handouts/?"""
    present = {path.stem for path in handouts.text_files()}
    missing = [name for name in REQUIRED_TEXTS if name not in present]
    assert not missing, f"add workshop/content/handouts/{missing[0]}.md"


def test_every_text_file_becomes_a_handout(built: dict[str, str]):
    """Does every Markdown file in workshop/content/handouts/ become a page of its own?"""
    for path in handouts.text_files():
        assert f"{path.stem}.html" in built, path.name


def test_a_line_of_underscores_becomes_a_line_to_write_on(content_copy: Path):
    """Does a line of underscores print as a line to write on, and a run inside a sentence as a blank?"""
    (content_copy / "handouts" / "practice.md").write_text(
        "# Practice\n\nWhat helps:\n\n____________________\n\n____________________\n\n"
        "Name: ____________ Date: ______\n\n- Warning signs\n  ______________\n\n| who | phone |\n| --- | --- |\n| ____ | ____ |\n",
        encoding="utf-8",
    )
    page = next(h for h in handouts.handouts(folder=content_copy) if h.filename == "practice.html").html
    body = page.split("</style>", 1)[1]
    assert body.count('class="write-line"') == 3
    assert body.count('class="blank"') == 2
    assert body.count('class="write-cell"') == 2
    assert "<hr" not in body and "___" not in body


def test_the_safety_plan_ends_with_every_crisis_service(built: dict[str, str]):
    """Does the printed safety plan end with the emergency number and every service of resources.yaml?"""
    if "safety_plan.html" not in built:
        pytest.fail("workshop/content/handouts/safety_plan.md is missing")
    res = content.resources()
    tail = built["safety_plan.html"].split('<section class="resources">', 1)
    assert len(tail) == 2, "the safety plan has no list of services"
    for service in (*res.services, *res.international):
        assert service.name in text_of(tail[1]), service.name
    assert res.emergency in tail[1]


def test_every_handout_carries_the_help_line_and_the_contents_month(built: dict[str, str]):
    """Does every page end with "Help now" (the emergency number and a first service) and the kit's name and month?"""
    res = content.resources()
    ui = content.ui_text()
    month = handouts.content_month(res)
    assert re.match(r"^20\d\d-\d\d$", month)
    first = res.services[0].name
    for name, text in built.items():
        footer = text_of(text.split('<footer class="handout-footer">', 1)[-1])
        assert res.emergency in footer and first in footer, name
        assert ui["app_title"] in footer and month in footer, name


# ------------------------------------------------------------------ pages that print and load nothing


def test_each_handout_is_a_whole_well_formed_page(built: dict[str, str]):
    """Does every page start with a doctype, nest its tags properly and have one heading and a footer?"""
    assert "index.html" in built and len(built) >= 2
    for name, text in built.items():
        assert text.startswith("<!DOCTYPE html>"), name
        page = parse(text)
        assert not page.errors and not page.stack, f"{name}: {page.errors[:3] or page.stack}"
        assert page.tags["h1"] == 1 and page.tags["footer"] == 1, name


def test_no_handout_loads_or_runs_anything(built: dict[str, str]):
    """Does no page carry a script, an event handler, an external stylesheet, an image or a font to fetch?"""
    for name, text in built.items():
        page = parse(text)
        assert page.tags["script"] == 0 and page.tags["link"] == 0 and page.tags["img"] == 0, name
        assert not page.loads and not page.handlers, f"{name}: {page.loads[:3]} {page.handlers[:3]}"
        styles = "".join(re.findall(r"<style>(.*?)</style>", text, re.S))
        assert "@import" not in styles and "url(" not in styles, name
        assert "@page" in styles and "@media print" in styles, name
        for href in page.hrefs:  # links a reader may follow are fine; nothing is fetched by them
            assert href.startswith("https://") or re.match(r"^[a-z0-9_\-]+\.html(#.*)?$", href), f"{name}: {href}"


def test_the_index_links_every_handout_and_only_those(built: dict[str, str]):
    """Does index.html link each handout written, and no file that is not there?"""
    links = {href for href in parse(built["index.html"]).hrefs if not href.startswith("https://")}
    assert links == set(built) - {"index.html"}


# ------------------------------------------------------------------ no participant's answer


def test_the_builder_takes_content_folders_only():
    """Do the builder's public functions take only folders of content (and where to write), never answers?"""
    allowed = {"out", "notebooks", "folder", "argv", "pages"}
    for function in (handouts.build, handouts.handouts, handouts.exercise_cells, handouts.text_files, handouts.main):
        names = set(inspect.signature(function).parameters)
        assert names <= allowed, f"{function.__name__} takes {sorted(names - allowed)}"
    assert set(inspect.signature(handouts.index_html).parameters) == {"pages", "folder"}


def test_no_answer_of_a_participant_reaches_a_handout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """With answers typed into live exercises in this process and shared into a session's store,
    does no built handout carry any of them?"""
    from widgets import CheckIn, SpaceAgreement, StoryITellMyself, Takeaway
    from workshop.store import Store

    marker = "zq-private-answer-7391"
    monkeypatch.setenv("HOLDING_SPACE_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("HOLDING_SPACE_DB", f"sqlite:///{tmp_path / 'data' / 'store.sqlite'}")
    store = Store()
    session = store.create_session()
    store.replace_shares(session, "someone", "07_closing", [("text", f"{marker} shared")])
    checkin, story, agreement, takeaway = CheckIn(), StoryITellMyself(), SpaceAgreement(), Takeaway()
    checkin.other = f"{marker}a"[:40]
    story.text = f"{marker} story"
    agreement.signal = f"{marker} signal"
    takeaway.text = f"{marker} takeaway"
    written = handouts.build(tmp_path / "out")
    leaked = [path.name for path in written if marker in path.read_text(encoding="utf-8")]
    assert not leaked, f"a participant's answer is on {leaked}"
    assert story.text.startswith(marker)  # the answers were there to leak


# ------------------------------------------------------------------ the command and the Makefile


def test_the_command_line_builds_the_handouts(tmp_path: Path):
    """Does ``python -m workshop.handouts OUT`` write index.html and the handouts into OUT?"""
    done = subprocess.run(
        [sys.executable, "-m", "workshop.handouts", str(tmp_path / "out")], capture_output=True, text=True, cwd=KIT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "index.html").is_file()
    assert len(list((tmp_path / "out").glob("*.html"))) > len(notebook_exercises())


def test_the_command_line_reports_a_content_error_in_plain_words(content_copy: Path, tmp_path: Path):
    """Does a broken content file end the command with a message and exit code 1, not a traceback?"""
    (content_copy / "feelings.yaml").write_text("feelings: [", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "workshop.handouts", str(tmp_path / "out")],
        capture_output=True, text=True, cwd=KIT, timeout=120, env={**os.environ, "HOLDING_SPACE_CONTENT": str(content_copy)},
    )
    assert done.returncode == 1 and "feelings.yaml" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists(), "nothing is written when the content is broken"


def test_make_has_a_handouts_target():
    """Does the Makefile have a phony ``handouts`` target that runs the builder into build/handouts/?"""
    makefile = (KIT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^\.PHONY:.*\bhandouts\b", makefile, re.M)
    assert re.search(r"^handouts:.*\n\t.*-m workshop\.handouts build/handouts", makefile, re.M)


def test_the_builder_does_not_import_the_ui_layer():
    """Does building the handouts leave ipywidgets, anywidget and widgets unloaded?"""
    probe = (
        "import sys, tempfile; from workshop import handouts; handouts.build(tempfile.mkdtemp()); "
        "print(sorted(m for m in ('ipywidgets', 'anywidget', 'widgets') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=KIT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


# ------------------------------------------------------------------ escaped by construction



def whole(text: str) -> str:
    """``text`` as a page can hold it: two halves of a character joined, a half alone as U+FFFD."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


@pytest.mark.parametrize("hostile", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_content_is_shown_as_text_on_every_handout(content_copy: Path, tmp_path: Path, hostile: str):
    """Given as the kit's name in ui.yaml, a notebook's heading, instructions and question, and a text
    handout's heading and words, is every value shown as text on the pages written (index included),
    with nothing run or loaded, and half characters made whole or U+FFFD?"""
    plain = whole(hostile) == hostile  # the content folder refuses half characters: only a notebook can give them
    if plain:
        ui = content_copy / "ui.yaml"
        named = re.sub(r"(?m)^app_title:.*$", lambda _: f"app_title: {json.dumps(hostile)}", ui.read_text(encoding="utf-8"))
        ui.write_text(named, encoding="utf-8")
        (content_copy / "handouts" / "practice.md").write_text(f"# {hostile}\n\n{hostile}: ______\n", encoding="utf-8")
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    notebook = {
        "cells": [
            {"cell_type": "markdown", "id": "title", "metadata": {}, "source": "# A theme"},
            {"cell_type": "markdown", "id": "intro", "metadata": {}, "source": f"## {hostile}\n\n{hostile}"},
            {"cell_type": "code", "id": "checkin", "metadata": {}, "source": f"CheckIn(prompt={hostile!r})", "outputs": [],
             "execution_count": None},
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (notebooks / "00_a_theme.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    written = handouts.build(tmp_path / "out", notebooks=notebooks, folder=content_copy)
    assert len(written) == (3 if plain else 2)
    for path in written:
        text = path.read_text(encoding="utf-8")
        page = parse(text)
        assert page.tags["script"] == 0 and page.tags["img"] == 0 and not page.handlers, path.name
        assert not page.errors and not page.stack, f"{path.name}: {page.errors[:3] or page.stack}"
        if plain:  # the kit's name: in the title, the kicker and the footer of every page
            assert text_of(text).count(hostile) >= 3, path.name
    exercise = next(path for path in written if path.name.startswith("00-")).read_text(encoding="utf-8")
    # the notebook's heading (in the title and the h1) and the question, and the kit's name three times
    assert text_of(exercise).count(whole(hostile)) >= 3 + (3 if plain else 0)
