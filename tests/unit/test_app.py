"""The participant app shell, without a browser: pages, navigation, resume, friendly errors."""

from __future__ import annotations

import json

import pytest
from IPython.testing.globalipapp import start_ipython

from widgets import CheckIn
from widgets.app import NotReady, ParticipantApp
from widgets.pages import build_page, run_code_cell
from workshop import content


@pytest.fixture
def app() -> ParticipantApp:
    built = ParticipantApp.from_notebooks()
    assert isinstance(built, ParticipantApp)
    return built


def test_every_theme_notebook_becomes_a_page(app: ParticipantApp):
    """Is there one page per theme notebook, in order, titled from its first heading?"""
    themes = content.load_themes()
    assert [p.theme.key for p in app.pages] == [t.key for t in themes]
    assert f"1 of {len(themes)}" in app.navigation.progress.value
    assert 'data-hs-page="0"' in app.pages[0].view.children[0].value


def test_welcome_page_holds_a_checkin(app: ParticipantApp):
    """Does the welcome notebook's code cell put a CheckIn on the first page?"""
    assert any(isinstance(ex, CheckIn) for ex in app.pages[0].exercises.values())
    assert "00_welcome/check-in" in app.exercises  # built before anyone arrives


def test_next_and_back_move_between_pages_in_the_same_widgets(app: ParticipantApp):
    """Do Next and Back swap the page shown, without rebuilding it, and stop at the ends?"""
    first = app.pages[0].view
    assert app.navigation.back.disabled and app._stage.children == (first,)
    app.navigation.next.click()
    assert app.page == 1 and app._stage.children == (app.pages[1].view,)
    assert "2 of" in app.navigation.progress.value
    app.navigation.back.click()
    assert app.page == 0 and app._stage.children[0] is first
    app.page = 99
    assert app.page == len(app.pages) - 1 and app.navigation.next.disabled
    app.page = -5
    assert app.page == 0


def test_answers_reach_the_browser_copy_only_after_it_was_read(app: ParticipantApp):
    """Is the browser's saved copy never overwritten before it was read (no lost answers on reload)?"""
    checkin = app.exercises["00_welcome/check-in"]
    checkin.intensity = 5
    assert app._bridge.snapshot == ""
    app._bridge.participant_id = "a" * 32
    checkin.intensity = 6
    saved = json.loads(app._bridge.snapshot)
    assert saved["answers"]["00_welcome/check-in"]["intensity"] == 6


def test_reload_resumes_page_and_answers(app: ParticipantApp):
    """Does a new kernel given the browser's copy come back to the same page and answers?"""
    app._bridge.participant_id = "b" * 32
    word = content.feelings()[0]
    app.exercises["00_welcome/check-in"].feelings = (word,)
    app.navigation.next.click()
    kept = app._bridge.snapshot

    again = ParticipantApp.from_notebooks()
    again._bridge.restored = kept
    again._bridge.participant_id = "b" * 32
    assert again.page == 1
    assert again.exercises["00_welcome/check-in"].feelings == (word,)
    assert "Welcome back" in again._notice.value or content.ui_text()["resumed"][:20] in again._notice.value


@pytest.mark.parametrize(
    "restored",
    ["{not json", json.dumps([1, 2]), json.dumps({"page": "x", "answers": "y"}), "[" * 5000 + "]" * 5000],
)
def test_a_hostile_browser_copy_is_ignored(app: ParticipantApp, restored: str):
    """Is a malformed or hostile saved copy ignored without an error, leaving a fresh start?"""
    app._bridge.restored = restored
    app._bridge.participant_id = "c" * 32
    assert app.page == 0
    assert app._notice.value == ""


def test_participant_id_of_the_wrong_shape_is_not_accepted(app: ParticipantApp):
    """Is an id that is not 32 hex digits (e.g. script) refused?"""
    app._bridge.participant_id = "<script>alert(1)</script>"
    assert app._bridge.participant_id == "" and app.participant_id == ""


def test_oversized_browser_copy_is_ignored(app: ParticipantApp):
    """Is a saved copy larger than the bound ignored?"""
    app._bridge.restored = "x" * 300_000
    assert app._bridge.restored == ""


def test_error_in_a_callback_shows_a_friendly_message_not_a_traceback(app: ParticipantApp, caplog):
    """Does an exception inside a widget callback become the friendly notice, with the detail in the log?"""
    shell = start_ipython()
    from widgets import errors

    assert errors.install(app.show_error)

    def broken(_button):
        raise RuntimeError("secret internal detail")

    app.navigation.next.on_click(broken)
    app.navigation.next.click()
    assert content.ui_text()["friendly_error"][:25] in app._notice.value
    assert "secret internal detail" not in app._notice.value
    assert "Traceback" not in app._notice.value
    assert "secret internal detail" in caplog.text
    del shell.showtraceback


def test_broken_content_gives_a_not_ready_notice(tmp_path, monkeypatch):
    """Does a missing or broken theme folder give the friendly not-ready notice, not a traceback?"""
    monkeypatch.setenv("HOLDING_SPACE_NOTEBOOKS", str(tmp_path))
    monkeypatch.delenv("HOLDING_SPACE_STRICT", raising=False)
    built = ParticipantApp.from_notebooks()
    assert isinstance(built, NotReady)
    assert content.ui_text()["not_ready"][:20] in built.value


def test_broken_content_raises_in_strict_mode(tmp_path, monkeypatch):
    """Under the tests' strict mode, does broken content raise (so nbval cannot pass over it)?"""
    monkeypatch.setenv("HOLDING_SPACE_NOTEBOOKS", str(tmp_path))
    monkeypatch.setenv("HOLDING_SPACE_STRICT", "1")
    with pytest.raises(content.ContentError):
        ParticipantApp.from_notebooks()


def test_code_cell_value_is_its_last_expression():
    """Does a code cell give the value of its last line, and nothing for a statement?"""
    namespace: dict = {}
    assert run_code_cell("x = 2\nx * 21", namespace) == 42
    assert run_code_cell("y = 1", namespace) is None


def test_page_keeps_markdown_and_widgets_in_notebook_order():
    """Do a theme's markdown and widget cells appear in the notebook's order?"""
    theme = content.Theme(
        number=9,
        slug="t",
        title="T",
        path=content.Path("09_t.ipynb"),
        cells=(
            content.Cell("markdown", "# T"),
            content.Cell("code", "from widgets import CheckIn", id="imports"),
            content.Cell("code", "CheckIn()", id="how-are-you"),
            content.Cell("markdown", "After"),
        ),
    )
    page = build_page(theme, 3)
    kinds = [type(child).__name__ for child in page.view.children]
    assert kinds == ["HTML", "CheckIn", "HTML"]
    assert list(page.exercises) == ["09_t/how-are-you"]  # named by its cell, not its place
    assert 'data-hs-page="3"' in page.view.children[0].value


def test_edited_content_is_read_again_on_the_next_visit(tmp_path, monkeypatch):
    """Does a kernel built before an edit rebuild its pages when the visit binds?"""
    import shutil

    from workshop.paths import KIT_ROOT

    for path in (KIT_ROOT / "notebooks").glob("0*.ipynb"):
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.setenv("HOLDING_SPACE_NOTEBOOKS", str(tmp_path))
    app = ParticipantApp.from_notebooks()
    notebook = json.loads((tmp_path / "01_the_pain_behind_the_request.ipynb").read_text(encoding="utf-8"))
    notebook["cells"][0]["source"] = "# A title changed in JupyterLab\n"
    (tmp_path / "01_the_pain_behind_the_request.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    app.bind_visit()
    assert app.pages[1].theme.title == "A title changed in JupyterLab"


def test_there_is_a_page_per_theme_of_the_source_text(app: ParticipantApp):
    """Are the eight themes there, welcome first and closing last?"""
    keys = [p.theme.key for p in app.pages]
    assert len(keys) == 8 and keys[0] == "00_welcome" and keys[-1] == "07_closing"


def test_check_out_is_compared_with_the_check_in(app: ParticipantApp):
    """Does the app wire the closing check-out to the opening check-in?"""
    checkins = [ex for ex in app.all_exercises().values() if isinstance(ex, CheckIn)]
    start = next(ex for ex in checkins if ex.moment == "check-in")
    end = next(ex for ex in checkins if ex.moment == "check-out")
    assert end.compare_with is start
    start.intensity, end.intensity = 8, 3
    assert "8/10" in end._comparison.value and "3/10" in end._comparison.value


def test_take_home_gathers_the_apps_exercises(app: ParticipantApp):
    """Does the closing page's take-home gather answers from every theme of this app only?"""
    from widgets import SpaceAgreement, TakeHome

    take_home = next(w for p in app.pages for w in p.widgets if isinstance(w, TakeHome))
    agreement = next(ex for ex in app.all_exercises().values() if isinstance(ex, SpaceAgreement))
    agreement.signal = "our word is pause"
    other = SpaceAgreement()
    other.signal = "a different app's agreement"
    page = take_home.page()
    assert "our word is pause" in page and "a different app" not in page


def test_i_need_a_moment_shows_grounding_and_comes_back(app: ParticipantApp):
    """Does "I need a moment" show the grounding page without Next/Back, and return to the same theme?"""
    app.page = 3
    app._moment_button.click()
    assert app.moment and app._stage.children == (app._moment_page,)
    assert app.navigation.bar.layout.display == "none"
    assert "data-hs-page=\"-1\"" in app._moment_page.children[0].value
    app._return.click()
    assert not app.moment and app.page == 3 and app._stage.children == (app.pages[3].view,)
    assert app.navigation.bar.layout.display is None


def test_moving_to_a_theme_leaves_the_moment_page(app: ParticipantApp):
    """If the page changes (e.g. the facilitator moves everyone), does the grounding page close?"""
    app._moment_button.click()
    app.page = 2
    assert not app.moment and app._stage.children == (app.pages[2].view,)


def test_reloading_content_closes_the_old_pages(app: ParticipantApp):
    """Does rebuilding after an edit close the old pages' widgets (no leak per edit)?"""
    old = app.pages[0].view
    app.reload_content()
    assert old.comm is None and app.pages[0].view.comm is not None


def test_a_broken_edit_keeps_the_content_already_built(tmp_path, monkeypatch):
    """Is a rebuild all or nothing: a broken content file leaves the working pages in place?"""
    import shutil

    from workshop.paths import CONTENT_DIR

    shutil.copytree(CONTENT_DIR, tmp_path / "content")
    monkeypatch.setenv("HOLDING_SPACE_CONTENT", str(tmp_path / "content"))
    app = ParticipantApp.from_notebooks()
    pages = app.pages
    (tmp_path / "content" / "scenarios.yaml").write_text("kinds: {}\n", encoding="utf-8")
    assert app.reload_content() is False
    assert app.pages == pages and pages[0].view.comm is not None
    assert app._stage.children == (pages[0].view,)


def test_only_the_first_theme_is_built_before_anyone_arrives(app: ParticipantApp):
    """Is only the welcome page built at start-up (fewer widgets to send), the next built on Next?"""
    built = [p is not None for p in app._pages]
    assert built[0] and not any(built[1:])
    app.navigation.next.click()
    assert app._pages[1] is not None and app._stage.children == (app._pages[1].view,)


def test_the_next_theme_is_built_out_of_sight_while_this_one_is_read(monkeypatch):
    """In a kernel, is the next theme built some seconds after a page shows (after the browser reported, never in a
    waiting kernel), so moving on only swaps it in?"""
    import asyncio

    import widgets.app as app_module

    loop = asyncio.new_event_loop()
    monkeypatch.setattr(app_module, "running_loop", lambda: loop)
    monkeypatch.setattr(app_module, "PREBUILD_AFTER_JOIN", 0.01)
    monkeypatch.setattr(app_module, "PREBUILD_AFTER_MOVE", 0.01)
    try:
        app = ParticipantApp.from_notebooks()
        loop.run_until_complete(asyncio.sleep(0.05))
        assert app._pages[1] is None  # a preheated kernel waiting for someone: the first theme only
        app._bridge.participant_id = "a" * 32  # the browser has drawn the app and reported
        assert app._pages[1] is None
        loop.run_until_complete(asyncio.sleep(0.05))
        assert app._pages[1] is not None and app._pages[2] is None
        app.page = 1
        assert app._pages[2] is None  # not while the participant waits for this page
        loop.run_until_complete(asyncio.sleep(0.05))
        built = [p is not None for p in app._pages]
        assert built[:3] == [True, True, True] and not any(built[3:])
        prebuilt = app._pages[2]
        app.navigation.next.click()
        assert app._pages[2] is prebuilt and app._stage.children == (prebuilt.view,)
        app.page = len(app._pages) - 1  # the last theme: nothing after it to build
        loop.run_until_complete(asyncio.sleep(0.05))
        assert app._prebuild_handle is None
    finally:
        loop.close()


def test_while_the_facilitator_leads_every_theme_is_built_ahead_one_at_a_time(monkeypatch):
    """While following the facilitator, who may jump to any theme, is every theme built out of sight,
    one at a time and the next ones first, so a jump only swaps a page in?"""
    import asyncio

    import widgets.app as app_module

    loop = asyncio.new_event_loop()
    monkeypatch.setattr(app_module, "running_loop", lambda: loop)
    for name in ("PREBUILD_AFTER_JOIN", "PREBUILD_AFTER_MOVE", "PREBUILD_GAP"):
        monkeypatch.setattr(app_module, name, 0.02)
    try:
        app = ParticipantApp.from_notebooks()
        app._bridge.participant_id = "b" * 32
        app.page = 5
        app.following = True
        order = []
        for _ in range(40):
            loop.run_until_complete(asyncio.sleep(0.01))
            order.extend(i for i, page in enumerate(app._pages) if page is not None and i not in order)
        assert all(page is not None for page in app._pages), order
        assert order[:4] == [0, 5, 6, 7] and sorted(order[4:]) == [1, 2, 3, 4]
        assert app._prebuild_handle is None  # nothing left to build
        app.following = False
        assert app._prebuild_handle is None
    finally:
        loop.close()


def test_saved_answers_of_unopened_themes_survive_a_reload():
    """Are answers to themes this kernel has not built yet kept in the browser copy and applied when opened?"""
    first = ParticipantApp.from_notebooks()
    first._bridge.participant_id = "d" * 32
    first.page = 4
    line = next(ex for ex in first.exercises.values() if type(ex).__name__ == "ClosenessLine")
    line.me = 3
    first.page = 0
    saved = first._bridge.snapshot
    second = ParticipantApp.from_notebooks()
    second._bridge.restored = saved
    second._bridge.participant_id = "d" * 32
    assert second._pages[4] is None  # not opened yet in this kernel
    assert json.loads(second._bridge.snapshot or saved)["answers"]["04_emotional_differences/closeness-line"]["me"] == 3
    second.page = 4
    again = next(ex for ex in second.exercises.values() if type(ex).__name__ == "ClosenessLine")
    assert again.me == 3
