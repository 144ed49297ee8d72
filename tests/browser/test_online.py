"""An online workshop on loopback, started with the README's command (``holding-space online``): the real
Caddy (HTTPS from its own authority), two participant replicas, the kit's own PostgreSQL, the console
with facilitators' sign-in, and Chromium participants pinned to different replicas in one session.

What issue 16 asks to see: HTTPS only (HTTP redirects; HTTP on the HTTPS port serves nothing), HSTS and
Secure cookies, capped bodies, slowed wrong tokens; participants on two replicas follow the facilitator's
move and count towards k; a replica killed mid-session loses nothing shared and its participant resumes
on the other; the console refuses a wrong secret and never shows another facilitator's session; Ctrl-C
stops every process.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from workshop import content
from workshop.serving.postgres import default_folder
from workshop.serving.server import free_port
from workshop.store import Store

pytestmark = pytest.mark.browser
KIT = Path(__file__).resolve().parents[2]
FACILITATORS = {"sam": "sam's own long secret", "kim": "kim has another secret"}
ACTIVE = re.compile("mod-active")


def text(key: str) -> str:
    return content.ui_text()[key]


class Online:
    """The running ``holding-space online`` and what a test needs to reach it."""

    def __init__(self, data: Path, https: int, http: int, process: subprocess.Popen, lines: list[str]):
        self.data, self.https, self.http, self.process, self.lines = data, https, http, process, lines

    @property
    def base(self) -> str:
        return f"https://localhost:{self.https}/"

    @property
    def ca(self) -> str:
        return str(self.data / "caddy" / "pki" / "authorities" / "local" / "root.crt")

    @property
    def join(self) -> str:
        return next(re.search(r"https://localhost:\d+/\?token=[\w-]+", line).group(0)
                    for line in self.lines if re.search(r"https://localhost:\d+/\?token=", line))

    @property
    def replica_ports(self) -> list[int]:
        caddyfile = (self.data / "proxy" / "Caddyfile").read_text()
        upstreams = re.search(r"reverse_proxy ((?:127\.0\.0\.1:\d+ ?){2,})\{", caddyfile).group(1)
        return [int(part.split(":")[1]) for part in upstreams.split()]

    def sticky_cookie(self, port: int) -> str:
        """Caddy 2.6's ``cookie`` policy: hex HMAC-SHA256 of the upstream's address under the proxy's secret."""
        secret = json.loads((self.data / "online.json").read_text())["proxy_secret"]
        return hmac.new(secret.encode(), f"127.0.0.1:{port}".encode(), hashlib.sha256).hexdigest()

    def store(self) -> Store:
        return Store(f"postgresql+psycopg://postgres@/postgres?host={default_folder(self.data) / 'run'}&port=5433")

    def output(self) -> str:
        return "\n".join(self.lines[-60:])


def cli(env: dict, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workshop.cli", *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=KIT, timeout=180)


def our_processes(data: Path) -> list[psutil.Process]:
    """Servers, kernels, Caddy and PostgreSQL that belong to this data folder."""
    marks = (str(data), str(default_folder(data)))
    found = []
    for proc in psutil.process_iter(["cmdline", "environ"]):
        try:
            line = " ".join(proc.info["cmdline"] or [])
            env = proc.info["environ"] or {}
        except (psutil.Error, TypeError):
            continue
        if any(mark in line for mark in marks) or env.get("HOLDING_SPACE_DATA") == str(data):
            found.append(proc)
    return [p for p in found if p.pid != os.getpid()]


@pytest.fixture(scope="module")
def online(tmp_path_factory: pytest.TempPathFactory):
    data = tmp_path_factory.mktemp("online") / "data"
    env = {key: value for key, value in os.environ.items() if key not in ("HOLDING_SPACE_DB", "PYTEST_CURRENT_TEST")}
    env["HOLDING_SPACE_DATA"] = str(data)
    for name, secret in FACILITATORS.items():
        added = cli(env, "facilitator", "add", name, stdin=secret + "\n")
        assert added.returncode == 0, added.stderr
    https, http = free_port(), free_port()
    command = [sys.executable, "-m", "workshop.cli", "online", "--domain", "localhost", "--https-port", str(https),
               "--http-port", str(http), "--replicas", "2", "--seats", "2", "--replica-port", str(free_port())]
    process = subprocess.Popen(command, env=env, cwd=KIT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(line.rstrip("\n") for line in process.stdout), daemon=True).start()
    site = Online(data, https, http, process, lines)
    try:
        deadline = time.monotonic() + 240
        while not any("Press Ctrl-C" in line for line in lines):
            assert process.poll() is None, f"holding-space online stopped:\n{site.output()}"
            assert time.monotonic() < deadline, f"holding-space online did not start in 240 s:\n{site.output()}"
            time.sleep(0.2)
        yield site
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        left = our_processes(data)
        for proc in left:
            proc.kill()
        shutil.rmtree(default_folder(data), ignore_errors=True)
        assert any("Stopped." in line for line in lines), site.output()
        assert not left, f"still running after Ctrl-C: {[' '.join(p.info['cmdline'] or [])[:120] for p in left]}"


# ---------------------------------------------------------------- HTTPS, headers, limits
def test_the_app_is_served_over_https_only_with_hsts_and_secure_cookies(online: Online):
    """The certificate verifies against Caddy's own authority; HTTP redirects to HTTPS (with its port);
    HTTP sent to the HTTPS port gets no page; every cookie the participant gets is Secure."""
    page = requests.get(online.join, verify=online.ca, timeout=60)
    assert page.status_code == 200 and "hs-page-app" in page.text
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Server" not in page.headers  # neither Caddy nor Tornado says what it is
    cookies = page.raw.headers.getlist("Set-Cookie")
    assert {c.split("=", 1)[0] for c in cookies} >= {"hs_replica", "_xsrf"}
    for cookie in cookies:
        assert "; Secure" in cookie, cookie
    assert any(c.startswith("hs_replica=") and "HttpOnly" in c for c in cookies)

    plain = requests.get(f"http://localhost:{online.http}/?token=x", allow_redirects=False, timeout=30)
    assert plain.status_code == 308 and plain.headers["Location"] == f"https://localhost:{online.https}/?token=x"
    wrong_scheme = requests.get(f"http://localhost:{online.https}/", allow_redirects=False, timeout=30)
    assert wrong_scheme.status_code == 400 and "hs-page-app" not in wrong_scheme.text
    with pytest.raises(requests.exceptions.SSLError):  # not trusted without the authority's root
        requests.get(online.base, timeout=30)


def test_the_proxy_caps_bodies_and_wrong_tokens_are_answered_ever_more_slowly(online: Online):
    big = requests.post(online.base + "holding-space/away/x", data=b"x" * (2 * 2**20), verify=online.ca, timeout=60)
    assert big.status_code == 413
    took = []
    guesser = requests.Session()  # keeps its sticky cookie: each replica keeps its own count
    for _ in range(7):  # five answered at once, then 0.5 s, then 1 s
        start = time.monotonic()
        refused = guesser.get(online.base + "?token=" + secrets.token_urlsafe(12), verify=online.ca, timeout=60)
        took.append(time.monotonic() - start)
        assert refused.status_code == 403 and "Traceback" not in refused.text
    assert max(took[:5]) < 0.5 and took[5] >= 0.5 and took[6] >= 1.0, took


# ---------------------------------------------------------------- the console
def sign_in(browser: Browser, online: Online, name: str, secret: str, width: int = 1280) -> Page:
    page = browser.new_context(ignore_https_errors=True, viewport={"width": width, "height": 800}).new_page()
    page.goto(online.base + "console/")
    expect(page.get_by_role("heading", name=text("login_title"))).to_be_visible(timeout=60_000)
    page.get_by_label(text("login_name")).fill(name)
    page.get_by_label(text("login_secret")).fill(secret)
    page.get_by_role("button", name=text("login_button")).click()
    return page


def test_the_console_refuses_a_visitor_without_the_facilitators_secret(browser: Browser, online: Online):
    anonymous = requests.get(online.base + "console/", verify=online.ca, allow_redirects=False, timeout=60)
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/console/login")
    token_only = requests.get(online.join.replace("/?", "/console/?"), verify=online.ca, allow_redirects=False, timeout=60)
    assert token_only.status_code == 302  # the participants' token opens nothing here
    page = sign_in(browser, online, "sam", "not sam's secret at all", width=375)
    expect(page.locator(".error")).to_have_text(text("login_wrong"))
    expect(page.locator(".hs-console")).to_have_count(0)
    assert page.context.cookies() and not any(c["name"] == "hs-facilitator" for c in page.context.cookies())
    # the sign-in page on a phone: fits its width, readable by a screen reader, typed name kept
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    expect(page.get_by_label(text("login_name"))).to_have_value("sam")
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page, options={"resultTypes": ["violations"]}).response["violations"]
    serious = [f"{v['id']}: {v['help']}" for v in found if v["impact"] in ("serious", "critical")]
    assert not serious, serious
    page.context.close()


# ---------------------------------------------------------------- a session across replicas
def participant(browser: Browser, online: Online, url: str, port: int) -> Page:
    """A phone pinned to the replica on ``port`` (its sticky cookie set as Caddy would), past consent."""
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 375, "height": 667})
    context.add_cookies([{"name": "hs_replica", "value": online.sticky_cookie(port), "url": online.base,
                          "secure": True, "httpOnly": True}])
    page = context.new_page()
    page.goto(url)
    expect(page.locator(".hs-consent")).to_be_visible(timeout=90_000)
    page.get_by_role("button", name=text("consent_share")).click()
    expect(page.locator(".hs-checkin .hs-chip").first).to_be_enabled(timeout=30_000)
    return page


def pinned_to(page: Page, online: Online) -> int | None:
    """The replica whose sticky cookie the page holds now (Caddy replaces it when it sends the page elsewhere)."""
    value = next((c["value"] for c in page.context.cookies() if c["name"] == "hs_replica"), None)
    return next((port for port in online.replica_ports if online.sticky_cookie(port) == value), None)


def test_participants_on_two_replicas_follow_count_and_survive_a_replica_dying(browser: Browser, online: Online):
    """Sam runs a group session (k = 2) with one participant on each replica: both follow the move, both
    count towards k, the chart opens; replica A is killed: nothing shared is lost, A's participant is told,
    reloads onto replica B and resumes with their own answers in the session. Kim, signed in beside Sam,
    never sees Sam's session."""
    texts, themes, words = content.ui_text(), content.load_themes(), content.feelings()
    first, second = online.replica_ports
    sam = sign_in(browser, online, "sam", FACILITATORS["sam"])
    expect(sam.locator(".hs-console")).to_be_visible(timeout=120_000)
    sam.get_by_role("button", name=texts["kind_group"], exact=True).click()
    sam.get_by_label(texts["console_k"]).fill("2")
    sam.get_by_label(texts["console_k"]).press("Enter")
    sam.get_by_role("button", name=texts["console_start"]).click()
    link = sam.locator(".hs-console-url a")
    expect(link).to_be_visible(timeout=30_000)
    url = link.get_attribute("href")
    assert url.startswith(online.base + "?token=") and "s=" in url
    store = online.store()
    session = store.latest_session("sam")
    assert session is not None and session.code in url.replace("-", "")

    on_a = participant(browser, online, url, first)
    on_b = participant(browser, online, url, second)
    assert (pinned_to(on_a, online), pinned_to(on_b, online)) == (first, second)  # each stayed on its replica
    expect(sam.locator(".hs-console-present")).to_contain_text("2", timeout=30_000)

    for page, word in ((on_a, words[2]), (on_b, words[2])):
        page.get_by_role("button", name=word, exact=True).click()
    # both count towards k = 2: the feelings chart opens with both answers
    expect(sam.locator(".hs-console-answers .hs-chart-summary", has_text=f"{words[2]}: 2")).to_be_visible(timeout=20_000)

    sam.get_by_role("button", name=f"1. {themes[1].title}").click()
    for page in (on_a, on_b):
        expect(page.locator(".hs-stage h1")).to_have_text(themes[1].title, timeout=10_000)
    sam.get_by_role("button", name=f"0. {themes[0].title}").click()
    for page in (on_a, on_b):
        expect(page.locator(".hs-stage h1")).to_have_text(themes[0].title, timeout=10_000)

    # Kim signs in beside Sam: the setup panel, not Sam's session
    kim = sign_in(browser, online, "kim", FACILITATORS["kim"])
    expect(kim.locator(".hs-console")).to_be_visible(timeout=120_000)
    expect(kim.get_by_role("button", name=texts["console_start"])).to_be_visible()
    assert session.display_code not in kim.locator("body").inner_text()
    assert session.code not in kim.content()
    kim.context.close()

    # replica A dies (its whole process group: server, template and kernels)
    shared_before = sorted((s.pseudonym, s.value) for s in store.shares(session))
    assert len({who for who, _ in shared_before}) == 2
    victim = next(p for p in psutil.process_iter(["cmdline"])
                  if f"--port={first}" in " ".join(p.info["cmdline"] or []) and "voila_app" in " ".join(p.info["cmdline"] or []))
    os.killpg(os.getpgid(victim.pid), signal.SIGKILL)
    banner = on_a.locator(".hs-connection")
    expect(banner).to_have_attribute("data-state", "lost", timeout=60_000)
    assert sorted((s.pseudonym, s.value) for s in store.shares(session)) == shared_before
    on_a.get_by_role("button", name=texts["connection_reload"]).click()
    expect(on_a.locator(".hs-app .hs-next")).to_be_attached(timeout=120_000)
    expect(on_a.locator(".hs-notice")).to_contain_text(texts["resumed"][:30], timeout=30_000)
    expect(on_a.locator(".hs-consent")).to_have_count(0)
    expect(on_a.get_by_role("button", name=words[2], exact=True)).to_have_class(ACTIVE)
    expect(on_a.locator(".hs-nav .hs-next")).to_be_disabled()  # following the facilitator again
    assert pinned_to(on_a, online) == second  # moved by the proxy, with a new sticky cookie
    sam.get_by_role("button", name=f"1. {themes[1].title}").click()
    for page in (on_a, on_b):
        expect(page.locator(".hs-stage h1")).to_have_text(themes[1].title, timeout=15_000)
    assert sorted((s.pseudonym, s.value) for s in store.shares(session)) == shared_before
    expect(sam.locator(".hs-console-present")).to_contain_text("2", timeout=30_000)
    # the launcher started the dead replica again
    deadline = time.monotonic() + 120
    while not any("Starting it again" in line for line in online.lines):
        assert time.monotonic() < deadline, online.output()
        time.sleep(0.5)
    for page in (on_a, on_b, sam):
        assert "Traceback" not in page.locator("body").inner_text()
        page.context.close()
    store.engine.dispose()
