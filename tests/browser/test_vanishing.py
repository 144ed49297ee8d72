"""Phones that vanish without saying goodbye, against a real participant server and Chromium.

A phone rarely fires ``beforeunload`` (the tab is swiped away, the browser is killed), so Voila's
shutdown beacon never goes and the kernel used to live until the 15-minute cull. The page now
sends the same beacon on ``pagehide``, and tells the server when it is hidden; the server frees a
kernel whose page is hidden and has had no connection for the grace (5 s here, 60 s by default).

Hidden is simulated as Chromium's own tab switch would show it to the page (``visibilityState``
and the ``visibilitychange`` event); a vanished phone is a renderer killed through CDP, so no
further event reaches the page. Playwright's ``set_offline`` does not close an open websocket (the
server still counted the connection 20 s later), so a dropped network is a relay between the
browser and the server that is cut, as a phone leaving the Wi-Fi is.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time

import psutil
import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from workshop import content
from workshop.serving.server import ServerProcess, ServerSettings, free_port
from workshop.serving.voila_app import REAP_INTERVAL_S

from ..conftest import KIT
from .helpers import APP_READY, watch

pytestmark = pytest.mark.browser
GRACE_S = 5
#: a kernel freed by the reaper is gone by then: two reaper ticks past the grace, and its shutdown
FREED_WITHIN_S = GRACE_S + 2 * REAP_INTERVAL_S + 10
ACTIVE = re.compile("mod-active")

# A mobile browser that never fires beforeunload: listeners for it are never registered (Voila's
# shutdown beacon is one); the count shows the page did try.
NO_BEFOREUNLOAD = """(() => {
  const add = window.addEventListener;
  window.__hsBlockedUnload = 0;
  window.addEventListener = function (type, ...rest) {
    if (type === "beforeunload") { window.__hsBlockedUnload += 1; return; }
    return add.call(this, type, ...rest);
  };
})()"""

# Every state the connection banner takes, kept across the page's own reload (sessionStorage)
BANNER_HISTORY = """(() => {
  let last = null;
  new MutationObserver(() => {
    const banner = document.querySelector(".hs-connection");
    const state = banner && !banner.hidden ? banner.dataset.state + ":" + banner.textContent : null;
    if (state && state !== last) {
      last = state;
      const seen = JSON.parse(sessionStorage.getItem("hs-banners") || "[]");
      seen.push(state);
      sessionStorage.setItem("hs-banners", JSON.stringify(seen));
    }
  }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
})()"""


def set_visibility(page: Page, state: str) -> None:
    """What the page sees when the phone switches to another app (hidden) or back (visible)."""
    page.evaluate(
        """state => {
            Object.defineProperty(document, "visibilityState", { value: state, configurable: true });
            Object.defineProperty(document, "hidden", { value: state === "hidden", configurable: true });
            document.dispatchEvent(new Event("visibilitychange"));
        }""",
        state,
    )


def crash(page: Page) -> None:
    """Kill the page's renderer, as the system killing the browser would: no pagehide, nothing more."""
    try:
        page.context.new_cdp_session(page).send("Page.crash", timeout=1_000)
    except Exception:
        pass


class Relay:
    """The phone's network: a TCP relay between the browser and the server that the test can cut.

    ``cut()`` closes every connection (the websocket among them) and refuses new ones, as a phone
    that leaves the Wi-Fi; ``restore()`` lets connections through again.
    """

    def __init__(self, port: int) -> None:
        self.target = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = True
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets |= {client, upstream}
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for sock in (src, dst):
            self._close(sock)

    def _close(self, sock: socket.socket) -> None:
        with self.lock:
            self.sockets.discard(sock)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()

    def cut(self) -> None:
        self.open = False
        with self.lock:
            live = list(self.sockets)
        for sock in live:
            self._close(sock)

    def restore(self) -> None:
        self.open = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """A participant server whose hidden, disconnected pages free their kernel after 5 s.

    The grace is set as a facilitator would, in a ``voila.json`` on Jupyter's config path (the
    launcher's command line is the same as for every other server)."""
    tmp = tmp_path_factory.mktemp("vanishing")
    config = tmp / "jupyter-config"
    config.mkdir()
    (config / "voila.json").write_text(json.dumps({"HoldingSpaceVoila": {"away_grace_seconds": GRACE_S}}))
    settings = ServerSettings(
        port=free_port(), pool_size=2, notebooks=KIT / "notebooks", content=KIT / "workshop" / "content",
        data=tmp / "data", refill_delay=2, extra_env={"JUPYTER_CONFIG_PATH": str(config)})
    server = ServerProcess(settings, tmp / "data" / "logs" / "participant.log").start()
    try:
        server.wait_until_listening()
        server.wait_until_warm(timeout=120)
        wait_for(lambda: f"freed after {GRACE_S} s" in server.log_text(), what="the server taking the 5 s grace")
    except BaseException:
        server.stop()
        raise
    yield server
    server.stop()


def wait_for(condition, timeout: float = 30, what: str = "the condition") -> float:
    """Wait until ``condition()``; return when it held (monotonic)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} never happened"
        time.sleep(0.1)
    return time.monotonic()


def join(browser: Browser, server: ServerProcess, *, init_scripts: tuple[str, ...] = (), via: Relay | None = None):
    """A phone (375×667) with the first theme ready; returns the page and its kernel's id."""
    context = browser.new_context(viewport={"width": 375, "height": 667})
    for script in init_scripts:
        context.add_init_script(script)
    page = context.new_page()
    traffic = watch(page)
    url = server.settings.join_url
    if via is not None:
        url = url.replace(f":{server.settings.port}/", f":{via.port}/")
    page.goto(url)
    expect(page.locator(APP_READY)).to_be_visible(timeout=60_000)
    expect(page.locator(".hs-checkin .hs-chip").first).to_be_enabled(timeout=30_000)
    kernel_id = traffic.kernel_channels()[-1].split("/api/kernels/")[1].split("/")[0]
    return page, kernel_id


def api(server: ServerProcess, path: str) -> requests.Response:
    return requests.get(server.settings.base_url + path, params={"token": server.settings.token}, timeout=10)


def pages_away(server: ServerProcess) -> int:
    return api(server, "holding-space/away").json()["away"]


def connections(server: ServerProcess, kernel_id: str) -> int | None:
    """Websockets the server holds to the kernel; None once it no longer has the kernel."""
    response = api(server, f"api/kernels/{kernel_id}")
    return response.json()["connections"] if response.status_code == 200 else None


def kernel_alive(server: ServerProcess, kernel_id: str) -> bool:
    """Is the kernel's process still running (a zombie, exited but not yet reaped, is not)?"""
    for process in server.kernel_processes():
        try:
            if kernel_id in " ".join(process.cmdline()) and process.status() != psutil.STATUS_ZOMBIE:
                return True
        except psutil.Error:
            continue
    return False


def feeling(page: Page, word: str):
    return page.get_by_role("button", name=word, exact=True)


def kept_in_browser(page: Page, needle: str) -> bool:
    return page.evaluate(
        """needle => Object.keys(localStorage).some(k => k.startsWith("holding-space:")
                     && (localStorage.getItem(k) || "").includes(needle))""",
        needle,
    )


def test_a_phone_that_fires_only_pagehide_frees_its_kernel_at_once(browser: Browser, server):
    """A mobile browser that never fires beforeunload closes the tab: is the kernel gone within seconds
    (the pagehide beacon), not kept until the 15-minute cull?"""
    page, kernel_id = join(browser, server, init_scripts=(NO_BEFOREUNLOAD,))
    assert page.evaluate("window.__hsBlockedUnload") >= 1, "Voila's beforeunload listener was not blocked"
    assert kernel_alive(server, kernel_id)
    closed = time.monotonic()
    page.close()  # Chromium fires pagehide (persisted: false) as the tab closes
    gone = wait_for(lambda: not kernel_alive(server, kernel_id), timeout=15,
                    what="the end of the closed tab's kernel (it lived until the cull)")
    assert gone - closed < 10
    assert f"Kernel shutdown: {kernel_id}" in server.log_text()
    page.context.close()


def test_a_hidden_phone_that_vanishes_is_freed_after_the_grace_and_not_before(browser: Browser, server):
    """A phone switched to another app, then killed (no pagehide, nothing more): is its kernel kept for the
    grace after its websocket closed, and gone soon after it, not 15 minutes later?"""
    page, kernel_id = join(browser, server)
    before = pages_away(server)
    set_visibility(page, "hidden")
    wait_for(lambda: pages_away(server) == before + 1, what="the server recording the page as away")
    crashed = time.monotonic()
    crash(page)
    wait_for(lambda: connections(server, kernel_id) in (0, None), what="the server noticing the closed websocket")
    while kernel_alive(server, kernel_id):
        lived = time.monotonic() - crashed
        assert lived < FREED_WITHIN_S, f"the vanished phone's kernel still ran {lived:.0f} s after the crash"
        time.sleep(0.1)
    lived = time.monotonic() - crashed
    assert lived >= GRACE_S, f"the kernel was freed {lived:.1f} s after the crash, before the {GRACE_S} s grace"
    wait_for(lambda: "was away and disconnected for" in server.log_text(), timeout=10, what="the server saying why")
    assert pages_away(server) == before
    page.context.close()


def test_a_participant_who_comes_back_after_their_kernel_was_freed_resumes_by_itself(browser: Browser, server):
    """Hidden, their network gone past the grace, then back: does the page say so and reload by itself, with
    their earlier answer, and no traceback anywhere?"""
    relay = Relay(server.settings.port)
    try:
        words = content.feelings()
        page, kernel_id = join(browser, server, init_scripts=(BANNER_HISTORY,), via=relay)
        feeling(page, words[3]).click()
        expect(feeling(page, words[3])).to_have_class(ACTIVE)
        wait_for(lambda: kept_in_browser(page, words[3]), what="the browser's copy of the answer")

        before = pages_away(server)
        set_visibility(page, "hidden")
        wait_for(lambda: pages_away(server) == before + 1, what="the server recording the page as away")
        page.context.set_offline(True)
        relay.cut()  # the phone leaves the Wi-Fi: its websocket closes
        wait_for(lambda: connections(server, kernel_id) in (0, None), what="the websocket closing")
        wait_for(lambda: not kernel_alive(server, kernel_id), timeout=FREED_WITHIN_S, what="the away kernel's end")

        relay.restore()
        page.context.set_offline(False)
        with page.expect_event("framenavigated", predicate=lambda frame: frame == page.main_frame, timeout=20_000):
            set_visibility(page, "visible")  # the page reloads by itself
        expect(page.locator(APP_READY)).to_be_visible(timeout=60_000)
        expect(page.locator(".hs-notice")).to_contain_text(content.ui_text()["resumed"][:30], timeout=30_000)
        expect(feeling(page, words[3])).to_have_class(ACTIVE)
        seen = page.evaluate("JSON.parse(sessionStorage.getItem('hs-banners') || '[]')")
        assert f"reopening:{content.ui_text()['connection_reopening']}" in seen, seen
        assert "Traceback" not in page.locator("body").inner_text()
        assert "Traceback" not in page.content()
        page.context.close()
    finally:
        relay.close()


def test_a_hidden_page_that_stays_connected_keeps_its_kernel(browser: Browser, server):
    """A laptop tab in the background (hidden, websocket open): is its kernel kept past the grace, and does the
    page still work when shown again?"""
    words = content.feelings()
    page, kernel_id = join(browser, server)
    before = pages_away(server)
    set_visibility(page, "hidden")
    wait_for(lambda: pages_away(server) == before + 1, what="the server recording the page as away")
    page.wait_for_timeout((GRACE_S + 3 * REAP_INTERVAL_S) * 1000)  # the fault itself: hidden past the grace
    assert kernel_alive(server, kernel_id), "a hidden page that was still connected lost its kernel"
    assert connections(server, kernel_id) == 1
    set_visibility(page, "visible")
    wait_for(lambda: pages_away(server) == before, what="the server recording the page as back")
    feeling(page, words[1]).click()
    expect(feeling(page, words[1])).to_have_class(ACTIVE)
    assert kernel_alive(server, kernel_id)
    page.context.close()
