"""A therapist's edit to a markdown cell or a content file shows in the app on the next load,
against a real server whose kernels were warmed up before the edit."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml
from playwright.sync_api import Page, expect

from ..conftest import FIXED_POOL, KIT, start_server
from .helpers import open_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def editable(tmp_path_factory: pytest.TempPathFactory):
    """A server on a copy of the notebooks and content files, which the tests edit."""
    tmp = tmp_path_factory.mktemp("editable")
    notebooks, content = tmp / "notebooks", tmp / "content"
    shutil.copytree(KIT / "notebooks", notebooks, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(KIT / "workshop" / "content", content)
    # a pool that does not grow with arrivals: the second test counts which seat warmed after which edit
    server = start_server(tmp, notebooks=notebooks, content=content, pool_size=1, extra_args=FIXED_POOL)
    yield server, notebooks, content
    server.stop()


def test_edits_show_on_the_next_load_without_touching_python(page: Page, editable):
    """After editing a markdown cell, feelings.yaml, ui.yaml and resources.yaml, does a reload show all four changes?"""
    server, notebooks, content = editable
    open_app(page, server.settings.join_url)
    expect(page.get_by_role("button", name="wobbly", exact=True)).to_have_count(0)

    welcome = notebooks / "00_welcome.ipynb"
    notebook = json.loads(welcome.read_text(encoding="utf-8"))
    notebook["cells"][0]["source"] = "# Welcome, edited in JupyterLab\n\n*A line the therapist wrote.*\n"
    welcome.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    feelings = yaml.safe_load((content / "feelings.yaml").read_text(encoding="utf-8"))
    feelings["feelings"].insert(0, "wobbly")
    (content / "feelings.yaml").write_text(yaml.safe_dump(feelings, allow_unicode=True), encoding="utf-8")
    ui = (content / "ui.yaml").read_text(encoding="utf-8").replace("next: Next", "next: Onwards", 1)
    (content / "ui.yaml").write_text(ui, encoding="utf-8")
    resources = (content / "resources.yaml").read_text(encoding="utf-8").replace("country: GB", "country: AU", 1)
    (content / "resources.yaml").write_text(resources, encoding="utf-8")

    page.reload()
    expect(page.locator(".hs-app .hs-next")).to_be_visible(timeout=60_000)
    expect(page.locator(".hs-stage h1")).to_have_text("Welcome, edited in JupyterLab")
    expect(page.get_by_role("button", name="wobbly", exact=True)).to_be_visible()
    expect(page.locator(".hs-nav .hs-next")).to_have_text("Onwards")
    page.locator(".hs-help-button").click()
    expect(page.locator(".hs-help-panel")).to_contain_text("000")
    expect(page.locator(".hs-help-panel")).to_contain_text("Lifeline")


def test_a_broken_edit_keeps_the_working_content_and_logs_why(page: Page, editable):
    """If a content file is broken mid-workshop, does an arriving participant still get the app built
    before the edit (no traceback, no YAML), with the reason in the server log?"""
    server, _notebooks, content = editable
    # the seat this participant will take must have warmed up before the file breaks (a seat that
    # warms up after it rightly shows the "not quite ready" notice instead); one seat at start,
    # and one more after each of the first test's two page loads
    server.wait_until_warm(seats=3, timeout=90)
    original = (content / "feelings.yaml").read_text(encoding="utf-8")
    (content / "feelings.yaml").write_text("feelings: [unclosed\n", encoding="utf-8")
    try:
        page.goto(server.settings.join_url)
        expect(page.locator(".hs-app .hs-next")).to_be_visible(timeout=60_000)
        expect(page.get_by_role("button", name="wobbly", exact=True)).to_be_visible()
        body = page.locator("body").inner_text()
        assert "Traceback" not in body and "yaml" not in body.lower()
        deadline = __import__("time").monotonic() + 10
        while "earlier content stays in use" not in server.log_text() and __import__("time").monotonic() < deadline:
            page.wait_for_timeout(200)
        assert "feelings.yaml" in server.log_text() and "earlier content stays in use" in server.log_text()
    finally:
        (content / "feelings.yaml").write_text(original, encoding="utf-8")
