"""A therapist edits a theme notebook between two visits of a live group session (inserts an exercise
before another, reorders two): every answer, resumed from the participant's browser, shared in the store
and drawn on the console, stays with its own question. Exercises are named by their cell id; before,
they were named by their place in the theme and the edit moved answers onto the wrong question."""

from __future__ import annotations

import json
import re
import shutil
import time

import pytest
from playwright.sync_api import Browser, Page, expect

from workshop import content
from workshop.serving.server import ServerProcess, console_settings
from workshop.store import Store

from ..conftest import KIT, free_port, start_server
from .helpers import open_console

pytestmark = pytest.mark.browser

CLOSING = "07_closing"
INSERTED = "A question added before the others: what surprised you today?"


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory):
    """A participant server and a console on one copy of the notebooks, which the test edits."""
    tmp = tmp_path_factory.mktemp("identity")
    notebooks = tmp / "notebooks"
    shutil.copytree(KIT / "notebooks", notebooks, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    participant = start_server(tmp, notebooks=notebooks, pool_size=2)
    settings = console_settings(
        free_port(), data=tmp / "data", notebooks=notebooks, extra_env={"HOLDING_SPACE_JOIN_BASE": participant.settings.join_url}
    )
    console = ServerProcess(settings, tmp / "data" / "logs" / "console.log").start()
    try:
        console.wait_until_listening()
        yield participant, console, notebooks, tmp / "data"
    finally:
        console.stop()
        participant.stop()


def edit_closing(notebooks) -> None:
    """Insert a new exercise before the check-out and put the takeaway before the check-out, as a
    therapist might in JupyterLab (cells keep their ids; the new one gets its own)."""
    path = notebooks / f"{CLOSING}.ipynb"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = notebook["cells"]
    at = {cell.get("id"): n for n, cell in enumerate(cells)}
    check_out, takeaway = cells[at["check-out"]], cells[at["takeaway"]]
    cells[at["check-out"]], cells[at["takeaway"]] = takeaway, check_out
    inserted = {
        "cell_type": "code", "execution_count": None, "id": "surprised", "metadata": {}, "outputs": [],
        "source": f'Takeaway(prompt="{INSERTED}")',
    }
    cells.insert(min(at["check-out"], at["takeaway"]), inserted)
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")


def join(browser: Browser, url: str) -> Page:
    page = browser.new_context(viewport={"width": 375, "height": 667}).new_page()
    page.goto(url)
    expect(page.locator(".hs-app .hs-next")).to_be_attached(timeout=90_000)
    return page


def writing(page: Page, prompt: str):
    return page.locator(".hs-writing").filter(has=page.locator(".hs-question", has_text=prompt))


def block(console: Page, prompt: str):
    return console.locator(".hs-console-answers > .widget-box, .hs-console-answers .hs-console-exercise").filter(
        has=console.locator("h3", has_text=prompt)
    )


def test_inserting_and_reordering_exercise_cells_never_moves_an_answer(browser: Browser, room):
    participant, console_server, notebooks, data = room
    texts = content.ui_text()
    themes = {theme.key: theme for theme in content.load_themes(notebooks)}
    closing = themes[CLOSING]
    prompts = {cell.id: re.search(r'prompt="([^"]+)"', cell.source).group(1) for cell in closing.cells if "prompt=" in cell.source}

    console = open_console(browser, console_server)
    console.get_by_role("button", name=texts["kind_group"], exact=True).click()
    console.get_by_label(texts["console_k"]).fill("2")
    console.get_by_label(texts["console_k"]).press("Enter")
    console.get_by_role("button", name=texts["console_start"]).click()
    url = console.locator(".hs-console-url a").get_attribute("href")
    console.get_by_role("button", name=f"{closing.number}. {closing.title}").click()

    people = [join(browser, url) for _ in range(2)]
    for n, person in enumerate(people):
        person.get_by_role("button", name=texts["consent_share"]).click()
        expect(person.locator(".hs-stage h1")).to_have_text(closing.title, timeout=15_000)
        person.locator(".hs-checkin .hs-scale button", has_text=re.compile(r"^3$")).click()
        takeaway = writing(person, prompts["takeaway"])
        takeaway.locator("textarea").fill(f"takeaway of person {n}")
        takeaway.locator(".hs-share input").check()
    shared = console.locator(".hs-shared-text")
    expect(shared).to_have_count(2, timeout=15_000)
    time.sleep(1)  # each browser writes its own copy on change; give it a beat before the reload

    edit_closing(notebooks)
    for person in people:
        person.reload()
        expect(person.locator(".hs-stage h1")).to_have_text(closing.title, timeout=90_000)
    for n, person in enumerate(people):
        expect(writing(person, prompts["takeaway"]).locator("textarea")).to_have_value(f"takeaway of person {n}")
        expect(writing(person, INSERTED).locator("textarea")).to_have_value("")
        expect(person.locator(".hs-checkin .hs-scale button", has_text=re.compile(r"^3$"))).to_have_class(re.compile("mod-active"))
        expect(person.locator(".hs-checkin .hs-share input")).to_be_checked()

    # the store: every row under its own exercise, nothing under the new one (the reloaded pages
    # share everything again on joining)
    store = Store(f"sqlite:///{data / 'holding-space.sqlite'}")
    session = store.latest_session()
    time.sleep(2)
    rows = {(s.exercise, s.field, s.value) for s in store.shares(session)}
    assert {r for r in rows if r[0] == f"{CLOSING}/takeaway"} == {
        (f"{CLOSING}/takeaway", "text", f"takeaway of person {n}") for n in range(2)
    }
    assert {r[1:] for r in rows if r[0] == f"{CLOSING}/check-out"} == {("intensity", "3")}
    assert not [r for r in rows if r[0] == f"{CLOSING}/surprised"]

    # the console, read again after the edit: each exercise's answers under its own question
    console.reload()
    expect(console.locator(".hs-console")).to_be_visible(timeout=120_000)
    expect(block(console, prompts["takeaway"]).locator(".hs-shared-text")).to_have_count(2, timeout=20_000)
    expect(block(console, INSERTED).locator(".hs-shared-text")).to_have_count(0)
    expect(block(console, INSERTED).locator(".hs-waiting")).to_contain_text("0 shared")
    summary = block(console, prompts["check-out"]).locator(".hs-chart-summary").first
    expect(summary).to_contain_text("3: 2")
    headings = console.locator(".hs-console-answers h3").all_inner_texts()
    # the closing theme opens with the group's before and after (not an exercise of its own)
    assert headings == [content.ui_text()["report_before_after"], INSERTED, prompts["takeaway"], prompts["feedback"],
                        prompts["check-out"]], headings
