"""Faults during a live group session, against the real participant server and console:
a participant's kernel killed, the page reloaded, the network gone for 30 s, the server restarted.

Each: the participant reads plainly what happened and what to do, resumes with their own answers
(kept in their browser), is back in the session, no shared answer is lost, and the console still
shows them. The store's faults (locked, disk full) are in ``tests/unit/test_faults.py``; a reload
outside a session is in ``test_participant_app.py``.
"""

from __future__ import annotations

import re
import signal
import time

import pytest
from playwright.sync_api import Browser, Page, expect

from workshop import content
from workshop.serving.server import ServerProcess
from workshop.store import Store

from ..conftest import start_room, start_server
from .helpers import open_console, watch

pytestmark = pytest.mark.browser
ACTIVE = re.compile("mod-active")


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory, browser: Browser):
    """One participant server, one console, one group session (k = 2) for the whole module."""
    tmp = tmp_path_factory.mktemp("faults")
    participant, console = start_room(tmp, pool_size=3)
    rig = {"participant": participant, "console": console, "tmp": tmp}
    try:  # a set-up that fails part-way (a slow console) must not leave both servers running
        facilitator = open_console(browser, console, 1280, 900)
        rig["facilitator"] = facilitator
        texts = content.ui_text()
        facilitator.get_by_role("button", name=texts["kind_group"], exact=True).click()
        facilitator.get_by_label(texts["console_k"]).fill("2")
        facilitator.get_by_label(texts["console_k"]).press("Enter")
        facilitator.get_by_role("button", name=texts["console_start"]).click()
        link = facilitator.locator(".hs-console-url a")
        expect(link).to_be_visible(timeout=30_000)
        rig["url"] = link.get_attribute("href")
        rig["store"] = Store(f"sqlite:///{tmp / 'data' / 'holding-space.sqlite'}")
        rig["session"] = rig["store"].session(rig["url"].split("s=")[-1])
        yield rig
    finally:
        if "facilitator" in rig:
            rig["facilitator"].context.close()
        console.stop()
        rig["participant"].stop()


def text(key: str) -> str:
    return content.ui_text()[key]


def join(browser: Browser, url: str) -> tuple[Page, object]:
    """A participant in their own browser, past the consent step (sharing their choices)."""
    page = browser.new_context(viewport={"width": 375, "height": 667}).new_page()
    traffic = watch(page)
    page.goto(url)
    expect(page.locator(".hs-consent")).to_be_visible(timeout=60_000)
    page.get_by_role("button", name=text("consent_share")).click()
    expect(page.locator(".hs-checkin .hs-chip").first).to_be_enabled(timeout=30_000)
    return page, traffic


def shared(rig) -> list[str]:
    return sorted(row.value for row in rig["store"].shares(rig["session"]))


def wait_for(condition, timeout: float = 30, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} never happened"
        time.sleep(0.1)


def kept_in_browser(page: Page, needle: str) -> bool:
    """Is ``needle`` in the participant's own copy in localStorage?"""
    return page.evaluate(
        """needle => Object.keys(localStorage).some(k => k.startsWith("holding-space:")
                     && (localStorage.getItem(k) || "").includes(needle))""",
        needle,
    )


def feeling(page: Page, word: str):
    return page.get_by_role("button", name=word, exact=True)


def own_word(page: Page):
    return page.get_by_label(text("checkin_other_label"))


def banner(page: Page):
    return page.locator(".hs-connection")


def choose_and_type(page: Page, rig, word: str, typed: str) -> list[str]:
    """Share ``word`` and type ``typed`` as one's own word; return the store's shares once both have landed."""
    feeling(page, word).click()
    own_word(page).fill(typed)
    wait_for(lambda: kept_in_browser(page, typed) and word in shared(rig), what="the share and the browser's copy")
    return shared(rig)


def expect_resumed_in_session(page: Page, words: list[str], typed: str) -> None:
    """After a reload: the app is back, with this participant's answers, in the session, no consent again."""
    expect(page.locator(".hs-app .hs-next")).to_be_attached(timeout=90_000)
    expect(page.locator(".hs-notice")).to_contain_text(text("resumed")[:30], timeout=30_000)
    expect(page.locator(".hs-consent")).to_have_count(0)
    for word in words:
        expect(feeling(page, word)).to_have_class(ACTIVE)
    expect(own_word(page)).to_have_value(typed)
    expect(page.locator(".hs-checkin .hs-share input")).to_be_checked()  # still sharing, in the session
    expect(page.locator(".hs-nav .hs-next")).to_be_disabled()  # following the facilitator again
    assert "Traceback" not in page.locator("body").inner_text()


#: (widgets marked disconnected, how many of them draw ipywidgets' "chain-broken" glyph before themselves)
BROKEN_ICONS = """() => {
  const cut = Array.from(document.querySelectorAll('.jupyter-widgets-disconnected'));
  const drawn = cut.filter(e => !['none', 'normal', ''].includes(getComputedStyle(e, '::before').content));
  return [cut.length, drawn.length];
}"""


def expect_no_broken_icons(page: Page) -> None:
    """While the connection is gone, no widget shows the glyph ipywidgets draws in Font Awesome, a
    font the kit does not load: phones drew a broken-image box where every widget was."""
    page.wait_for_function(f"() => ({BROKEN_ICONS})()[0] > 0", timeout=10_000)  # the state under test is there
    cut, drawn = page.evaluate(BROKEN_ICONS)
    assert drawn == 0, f"{drawn} of {cut} disconnected widgets draw a broken-icon glyph"


def console_count(rig, n: int) -> None:
    expect(rig["facilitator"].locator(".hs-waiting, .hs-chart-summary").first).to_contain_text(str(n), timeout=20_000)


def test_a_killed_kernel_says_reload_and_the_participant_resumes_in_the_session(browser: Browser, rig):
    """Kernel SIGKILLed while the participant types: does the page say plainly to reload (Voila alone shows a
    page that silently stops working), and after the reload are their answers, the session and their shares back?"""
    words = content.feelings()
    page, traffic = join(browser, rig["url"])
    feeling(page, words[2]).click()
    wait_for(lambda: words[2] in shared(rig), what="the share")
    own_word(page).fill("shaky")
    wait_for(lambda: kept_in_browser(page, "shaky"), what="the browser's copy")
    console_count(rig, 1)

    kernel_id = traffic.kernel_channels()[-1].split("/api/kernels/")[1].split("/")[0]
    victims = [p for p in rig["participant"].kernel_processes() if kernel_id in " ".join(p.cmdline())]
    assert len(victims) == 1
    victims[0].send_signal(signal.SIGKILL)
    own_word(page).press_sequentially("!!")  # typing on as the kernel dies

    expect(banner(page)).to_have_attribute("data-state", "lost", timeout=30_000)
    expect(banner(page)).to_have_attribute("role", "alert")
    expect(banner(page)).to_contain_text(text("connection_lost")[:40])
    expect_no_broken_icons(page)
    assert words[2] in shared(rig), "the share made before the kernel died is gone"
    wait_for(lambda: all(kernel_id not in " ".join(p.cmdline()) for p in rig["participant"].kernel_processes()),
             what="the end of the restarted, empty kernel (it would count towards the room's cap)")
    page.get_by_role("button", name=text("connection_reload")).click()

    expect_resumed_in_session(page, [words[2]], "shaky")
    assert words[2] in shared(rig)
    console_count(rig, 1)
    feeling(page, words[3]).click()  # and sharing works again from the new kernel
    wait_for(lambda: words[3] in shared(rig), what="a share after the reload")
    page.context.close()


def test_a_warm_seat_whose_kernel_died_is_replaced_before_anyone_gets_it(browser: Browser, tmp_path_factory):
    """A preheated kernel killed before anyone took it (out of memory, a stray kill): Jupyter restarts it empty
    and Voila used to hand it out, so the next participant saw "model not found". Is a fresh seat warmed instead?"""
    server = start_server(tmp_path_factory.mktemp("lost-seat"), pool_size=1)
    try:
        warm = server.warm_seats
        (seat,) = server.kernel_processes()
        lost = re.search(r"kernel-([0-9a-f-]+)\.json", " ".join(seat.cmdline())).group(1)
        seat.send_signal(signal.SIGKILL)
        wait_for(lambda: server.warm_seats > warm, timeout=90, what="a fresh warm seat")
        assert "warming a fresh one" in server.log_text()
        page = browser.new_context(viewport={"width": 375, "height": 667}).new_page()
        page.goto(server.settings.join_url)
        expect(page.locator(".hs-checkin .hs-chip").first).to_be_enabled(timeout=60_000)
        body = page.locator("body").inner_text()
        assert "model not found" not in body and "exception occurred" not in body
        wait_for(lambda: all(lost not in " ".join(p.cmdline()) for p in server.kernel_processes()), what="the lost seat's end")
        page.context.close()
    finally:
        server.stop()


def test_a_reload_mid_exercise_resumes_answers_session_and_shares(browser: Browser, rig):
    """A participant reloads while typing: are their own words, their choices, the session and their shares all back?"""
    words = content.feelings()
    page, _traffic = join(browser, rig["url"])
    before = choose_and_type(page, rig, words[5], "tender")
    page.reload()
    expect_resumed_in_session(page, [words[5]], "tender")
    wait_for(lambda: shared(rig) == before, what="the same shares after the reload")
    page.context.close()


def test_a_30_second_network_drop_says_offline_then_carries_on_and_loses_nothing(browser: Browser, rig):
    """Offline for 30 s: is the participant told plainly, does a choice made while offline reach the store once the
    network is back, and does a share made after reconnecting land?"""
    words = content.feelings()
    page, _traffic = join(browser, rig["url"])
    feeling(page, words[6]).click()
    wait_for(lambda: words[6] in shared(rig), what="the first share")

    page.context.set_offline(True)
    expect(banner(page)).to_have_attribute("data-state", "offline", timeout=10_000)
    expect(banner(page)).to_contain_text(text("connection_offline")[:40])
    feeling(page, words[7]).click()  # shared while offline
    page.wait_for_timeout(30_000)  # the fault itself: 30 s without a network
    expect(banner(page)).to_have_attribute("data-state", "offline")
    page.context.set_offline(False)

    expect(banner(page)).to_have_attribute("data-state", "back", timeout=20_000)
    expect(banner(page)).to_contain_text(text("connection_back")[:30])
    wait_for(lambda: words[7] in shared(rig), what="the share made while offline")
    feeling(page, words[8]).click()
    wait_for(lambda: words[8] in shared(rig), timeout=15, what="a share after reconnecting")
    assert words[6] in shared(rig)
    expect(banner(page)).to_be_hidden(timeout=15_000)
    page.context.close()


def test_a_restarted_server_says_reload_and_participants_resume(browser: Browser, rig):
    """The participant server stops and starts again (same port, token and workshop id): is the participant told
    to reload, and after it are their own answers, the session and every stored share back?"""
    words = content.feelings()
    page, _traffic = join(browser, rig["url"])
    before = choose_and_type(page, rig, words[9], "steady")

    old = rig["participant"]
    old.stop()
    expect(banner(page)).to_have_attribute("data-state", re.compile("offline|lost"), timeout=30_000)
    again = ServerProcess(old.settings, rig["tmp"] / "data" / "logs" / "participant-again.log").start()
    rig["participant"] = again
    again.wait_until_listening()
    again.wait_until_warm(timeout=180)
    assert shared(rig) == before, "a shared answer was lost in the restart"
    expect(banner(page)).to_have_attribute("data-state", "lost", timeout=30_000)
    expect(banner(page)).to_contain_text(text("connection_lost")[:40])

    page.get_by_role("button", name=text("connection_reload")).click()
    expect_resumed_in_session(page, [words[9]], "steady")
    wait_for(lambda: shared(rig) == before, what="the same shares after the restart")
    # the console, which ran on, still shows every feeling shared before the restart (or, run alone
    # with fewer than k = 2 people, how many shared)
    answers = rig["facilitator"].locator(".hs-console-answers")
    people = {row.pseudonym for row in rig["store"].shares(rig["session"]) if row.exercise.startswith("00_")}
    if len(people) < 2:
        expect(answers).to_contain_text(text("console_waiting").split("{n}")[1][:12], timeout=20_000)
    for word in sorted(set(before) & set(words)) if len(people) >= 2 else []:
        expect(answers).to_contain_text(word, timeout=20_000)
    page.context.close()
