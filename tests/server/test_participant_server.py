"""A real participant server, started by the kit's launcher: what a visitor can and cannot get."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def server(participant_server):
    return participant_server


@pytest.fixture(scope="module")
def app_html(server) -> str:
    response = requests.get(server.settings.join_url, timeout=60)
    assert response.status_code == 200
    return response.text


def test_page_carries_no_source_code(app_html: str):
    """Is the notebook's code stripped from the page a participant receives?"""
    assert "ParticipantApp" not in app_html
    assert "from widgets" not in app_html
    assert "bind_visit" not in app_html


def test_page_carries_no_traceback(app_html: str):
    """Is there no traceback or Python error text in the page?"""
    for marker in ("Traceback", "Error:", "ipykernel", "site-packages"):
        assert marker not in app_html


def test_page_links_nothing_outside_the_server(app_html: str):
    """Does the page reference no other host (no CDN, fonts or analytics)?"""
    external = re.findall(r"""(?:src|href)\s*=\s*["'](?:https?:)?//[^"']+""", app_html)
    assert external == []
    assert "cdn.jsdelivr" not in app_html and "fontawesome" not in app_html.lower()


def test_page_uses_the_kit_template_and_loading_words(app_html: str):
    """Does the page come from the kit's template, with its own loading message?"""
    assert "holdingspace.css" in app_html
    assert "Getting your space ready" in app_html


@pytest.mark.parametrize(
    "path",
    [
        "voila/files/app.ipynb",
        "voila/files/00_welcome.ipynb",
        "voila/files/../workshop/content/feelings.yaml",
        "voila/files/..%2Fworkshop%2Fcontent%2Ffeelings.yaml",
        "voila/files/../workshop/cli.py",
        "voila/files/../pyproject.toml",
        "voila/files/../data/logs/participant.log",
        "voila/files/../data/holding-space.sqlite",
        "voila/files/export.csv",
        "voila/files/../README.md",
        "00_welcome.ipynb",
        "../workshop/content/resources.yaml",
    ],
)
def test_kit_files_are_not_downloadable(server, path: str):
    """Can no notebook, Python, YAML, data or log file of the kit be downloaded, even with the token?"""
    cookies = requests.get(server.settings.join_url, timeout=60).cookies
    response = requests.get(server.settings.base_url + path, cookies=cookies, timeout=30, allow_redirects=True)
    body = response.text
    assert response.status_code in (403, 404), (path, response.status_code)
    assert "feelings:" not in body and "import" not in body and "cells" not in body


def test_without_the_token_the_app_does_not_open(server):
    """Does a visitor without the token get the friendly page, not the app or Jupyter's login form?"""
    response = requests.get(server.settings.base_url, timeout=30)
    assert response.status_code == 403
    assert "Ask your facilitator for the link" in response.text
    assert "password" not in response.text.lower() and "token" not in response.text.lower()
    assert "hs-app" not in response.text and "jupyter-config-data" not in response.text


def test_a_wrong_token_opens_nothing(server):
    """Does a guessed token get the same friendly page?"""
    response = requests.get(server.settings.base_url + "?token=guess", timeout=30)
    assert response.status_code == 403 and "Ask your facilitator" in response.text


def test_template_and_theme_overrides_are_refused(server):
    """Does asking for another template or theme in the URL change nothing?"""
    response = requests.get(server.settings.join_url + "&template=classic&theme=dark", timeout=60)
    assert response.status_code == 200
    assert "holdingspace.css" in response.text and "theme-dark" not in response.text


def test_the_kernel_api_needs_the_token(server):
    """Is the kernel API closed to a visitor without the token?"""
    response = requests.get(server.settings.base_url + "api/kernels", timeout=30)
    assert response.status_code in (403, 404)


def test_preheated_seats_were_ready_before_anyone_arrived(server):
    """Did the app's kernels build every page before any visit (the seats announced ready)?"""
    assert server.warm_seats >= server.settings.pool_size


def test_the_log_keeps_no_client_address(server):
    """After requests that Jupyter logs with the client's address, does the kit's log file hold none?"""
    requests.get(server.settings.base_url + "?token=guess", timeout=30)
    requests.get(server.settings.base_url + "voila/files/app.ipynb", timeout=30)
    text = server.log_path.read_text(encoding="utf-8")
    assert "(127.0.0.1)" not in text and "(::1)" not in text
    assert "(address hidden)" in text  # the requests were logged, without the address


@pytest.mark.parametrize("behind_proxy", [False, True])
def test_past_the_cap_a_newcomer_gets_the_room_is_full_page(tmp_path_factory, behind_proxy: bool):
    """With a cap of one participant, does a second visitor get a short "room is full" page (no kernel)?
    Online, the page also clears the proxy's sticky cookie, so trying again may reach a replica with room."""
    from ..conftest import KIT, ServerProcess, ServerSettings, free_port

    tmp = tmp_path_factory.mktemp("capped")
    settings = ServerSettings(port=free_port(), pool_size=1, max_participants=1, notebooks=KIT / "notebooks", data=tmp,
                              behind_proxy=behind_proxy)
    with ServerProcess(settings, tmp / "capped.log").start() as capped:
        capped.wait_until_listening()
        capped.wait_until_warm()
        first = requests.get(settings.join_url, timeout=60)
        assert first.status_code == 200 and "hs-app" in first.text or "jupyter-config-data" in first.text
        second = requests.get(settings.join_url, timeout=60)
        assert second.status_code == 503
        assert "The room is full" in second.text and "jupyter-config-data" not in second.text
        cleared = [c for c in second.raw.headers.getlist("Set-Cookie") if c.startswith("hs_replica=")]
        assert bool(cleared) is behind_proxy and all("expires=" in c.lower() for c in cleared)


@pytest.fixture(scope="module")
def visitor(server) -> requests.Session:
    """A participant's browser: it opened the join page, so it carries the server's cookie."""
    session = requests.Session()
    assert session.get(server.settings.join_url, timeout=60).status_code == 200
    return session


def labextension_url(server, page: str, name: str) -> str:
    """The address of extension ``name``'s entry file, as the page's own configuration gives it."""
    config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                                  page, re.S).group(1))
    (entry,) = [ext["load"] for ext in config["federated_extensions"] if ext["name"] == name]
    return f"{server.settings.base_url}voila/labextensions/{name}/{entry}"


@pytest.mark.parametrize("path", ["voila/static/voila.js", "voila/templates/holdingspace/static/index.css",
                                  "labextension:@jupyter-widgets/jupyterlab-manager"])
def test_static_files_are_compressed_once_and_served_whole(server, visitor, app_html: str, path: str):
    """Is a static file gzipped, the same bytes every time after the first, and does it unpack to the file?

    The first answer that asks for gzip may come whole and uncompressed (the file is compressed once,
    at its end); later ones come gzipped from memory (``MemoStatic``) with the handler's own headers.
    The labextensions' files (Jupyter Server's ``FileFindHandler``, which gives no ``Etag`` of its own)
    were gzipped again at every request, a fifth of a page's files."""
    import gzip

    if path.startswith("labextension:"):
        url = labextension_url(server, app_html, path.split(":", 1)[1])
    else:
        url = server.settings.base_url + path
    plain = visitor.get(url, headers={"Accept-Encoding": "identity"}, timeout=30)
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers and len(plain.content) > 1000
    first = visitor.get(url, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=30)
    body = first.raw.read(decode_content=False)
    assert (gzip.decompress(body) if first.headers.get("Content-Encoding") == "gzip" else body) == plain.content
    bodies = []
    for _ in range(2):
        response = visitor.get(url, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=30)
        body = response.raw.read(decode_content=False)
        assert response.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(body) == plain.content
        for name in ("Etag", "Content-Type", "Cache-Control"):
            assert response.headers.get(name) == plain.headers.get(name), name
        bodies.append((body, response.headers.get("Content-Length")))
    assert bodies[0] == bodies[1]  # served from memory: identical bytes, with their length
    assert bodies[1][1] == str(len(bodies[1][0]))
    assert len(bodies[1][0]) < len(plain.content) / 2
    ranged = visitor.get(url, headers={"Accept-Encoding": "gzip", "Range": "bytes=0-9"}, timeout=30)
    assert ranged.status_code == 206 and ranged.content == plain.content[:10], "a range is the handler's, not memory's"
    again = visitor.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": plain.headers["Etag"]}, timeout=30)
    assert again.status_code == 304 and not again.content


def test_the_page_itself_is_compressed_fresh_each_time(server):
    """Is the page (different for every visitor) still compressed, and never served from the static memory?"""
    first = requests.get(server.settings.join_url, headers={"Accept-Encoding": "gzip"}, timeout=60)
    assert first.headers.get("Content-Encoding") == "gzip" and "Etag" not in first.headers
    assert "jupyter-config-data" in first.text


def test_closing_the_tab_frees_the_participants_kernel(server):
    """Does the page's shutdown beacon (sent as the tab closes, with the _xsrf cookie) free the kernel, and only with the token?"""
    session = requests.Session()
    page = session.get(server.settings.join_url, timeout=60)
    assert page.status_code == 200 and session.cookies.get("_xsrf")
    kernel_id = re.search(r'"kernelId":\s*"([0-9a-f-]+)"', page.text).group(1)
    assert any(kernel_id in " ".join(p.cmdline()) for p in server.kernel_processes())
    shutdown = server.settings.base_url + f"voila/api/shutdown/{kernel_id}"
    stranger = requests.post(shutdown, data={"_xsrf": session.cookies["_xsrf"]},
                             cookies={"_xsrf": session.cookies["_xsrf"]}, timeout=30)
    assert stranger.status_code in (403, 404)  # no login cookie, no token: nothing happens
    beacon = session.post(shutdown, data={"_xsrf": session.cookies["_xsrf"]}, timeout=30)
    assert beacon.status_code == 204
    import time

    deadline = time.monotonic() + 30
    while any(kernel_id in " ".join(p.cmdline()) for p in server.kernel_processes()):
        assert time.monotonic() < deadline, "the kernel was still running 30 s after the beacon"
        time.sleep(0.2)



def open_page(server) -> tuple[requests.Session, str, str]:
    """A participant's page, as a browser opens it: its session, its kernel and the cookies for the websocket."""
    session = requests.Session()
    page = session.get(server.settings.join_url, timeout=60)
    kernel_id = re.search(r'"kernelId":\s*"([0-9a-f-]+)"', page.text).group(1)
    return session, kernel_id, "; ".join(f"{k}={v}" for k, v in session.cookies.items())


async def ask_kernel_info(server, kernel_id: str, cookies: str):
    """The page's kernel websocket, opened as the page does, with its first request (``kernel_info``) sent:
    the websocket and the request's id."""
    import uuid

    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    url = server.settings.base_url.replace("http", "ws", 1) + (
        f"api/kernels/{kernel_id}/channels?session_id={uuid.uuid4().hex}&token={server.settings.token}")
    ws = await websocket_connect(HTTPRequest(url, headers={"Cookie": cookies}))
    msg_id = uuid.uuid4().hex
    await ws.write_message(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "kernel_info_request", "username": "", "session": "t",
                   "version": "5.3", "date": ""},
        "parent_header": {}, "metadata": {}, "content": {}, "channel": "shell", "buffers": []}))
    return ws, msg_id


def test_a_participants_page_hears_only_of_its_own_requests(server):
    """Does the page's websocket carry no answer to a request the page never sent? Jupyter Server proved each
    connection with three kernel_info requests of its own, and the page received three status messages of
    them at every join; the kit's WelcomingConnection asks the kernel nothing."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    session, kernel_id, cookies = open_page(server)

    async def tab() -> tuple[str, list[dict]]:
        ws, msg_id = await ask_kernel_info(server, kernel_id, cookies)
        heard = []
        try:
            while True:  # everything the page hears for a second after its request's idle status
                message = await asyncio.wait_for(ws.read_message(), 1.0 if any(
                    m["msg_type"] == "status" and m["content"]["execution_state"] == "idle" and
                    m["parent_header"].get("msg_id") == msg_id for m in heard) else 60)
                if message is None:
                    break
                heard.append(json.loads(message))
        except TimeoutError:
            pass
        ws.close()
        return msg_id, heard

    with ThreadPoolExecutor(1) as thread:  # a loop of its own: Playwright's may be running in this one
        msg_id, heard = thread.submit(asyncio.run, tab()).result(timeout=120)
    session.post(server.settings.base_url + f"voila/api/shutdown/{kernel_id}",
                 data={"_xsrf": session.cookies["_xsrf"]}, timeout=30)
    assert any(m["msg_type"] == "kernel_info_reply" for m in heard), heard
    # what the app itself sends meanwhile (its widgets' updates after the visit) may come too: only the
    # answers to kernel_info requests the page did not send are foreign
    foreign = [(m["msg_type"], m["parent_header"].get("msg_type")) for m in heard
               if m["parent_header"].get("msg_type") == "kernel_info_request" and m["parent_header"].get("msg_id") != msg_id]
    assert foreign == [], f"the page heard of requests it never sent: {foreign}"


def _zmq_descriptors(pid: int) -> int:
    """The server's eventfds: each ZMQ socket it holds to a kernel has one (its mailbox)."""
    import os

    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            count += os.readlink(f"/proc/{pid}/fd/{fd}") == "anon_inode:[eventfd]"
        except OSError:
            continue
    return count



def _settle(server, timeout: float = 90) -> None:
    """Wait until the server runs just its warm pool: no kernel starting, stopping or in use, for 3 s."""
    import time

    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while True:
        state = (len(server.kernel_processes()), server.warm_seats)
        if state != last:
            last, since = state, time.monotonic()
        elif state[0] == server.settings.pool_size and time.monotonic() - since > 3:
            return
        assert time.monotonic() < deadline, f"the server did not settle back to its pool: {state}"
        time.sleep(0.2)


@pytest.fixture
def own_server(tmp_path_factory):
    """A server of its own: the shared one keeps the kernels of earlier tests' pages until culling."""
    from ..conftest import FIXED_POOL, start_server

    server = start_server(tmp_path_factory.mktemp("own-server"), pool_size=1, extra_args=FIXED_POOL)
    yield server
    server.stop()


def test_a_tab_closing_during_its_beacon_leaves_no_descriptor_behind(own_server):
    """Does a kernel shut down by the tab's beacon, while its websocket closes, leave no ZMQ socket open?

    The race the soak found: Jupyter Server started buffering the closing websocket's channels
    after the shutdown had cleared the buffers, and nothing closed them again (four descriptors
    a tab; 450 after two hours).
    """
    import asyncio
    import json
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    server = own_server
    _settle(server)
    before = _zmq_descriptors(server.process.pid)
    raced = 0
    # the websocket closes this long after the beacon: the race needs the close to come while the
    # shutdown runs, and a forked kernel stops sooner than an ordinary one, so several gaps are tried
    for gap in (0.15, 0.05, 0.3, 0.02, 0.1, 0.01):
        if raced >= 2:
            break
        session, kernel_id, cookies = open_page(server)

        async def tab(kernel_id: str = kernel_id, cookies: str = cookies, session: requests.Session = session,
                      gap: float = gap) -> None:
            ws, msg_id = await ask_kernel_info(server, kernel_id, cookies)
            while True:  # the server's channels to the kernel are open once the kernel has answered
                message = await asyncio.wait_for(ws.read_message(), 60)
                if isinstance(message, str) and json.loads(message).get("parent_header", {}).get("msg_id") == msg_id:
                    break
            beacon = threading.Thread(target=session.post, daemon=True, args=(
                server.settings.base_url + f"voila/api/shutdown/{kernel_id}",),
                kwargs={"data": {"_xsrf": session.cookies["_xsrf"]}, "timeout": 30})
            beacon.start()  # the tab's beacon, then the tab goes: as Chromium does on closing
            await asyncio.sleep(gap)
            ws.close()
            await asyncio.get_running_loop().run_in_executor(None, beacon.join, 30)

        with ThreadPoolExecutor(1) as thread:  # a loop of its own: Playwright's may be running in this one
            thread.submit(asyncio.run, tab()).result(timeout=120)
        deadline = time.monotonic() + 30
        while f"Starting buffering for {kernel_id}" not in server.log_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        log = server.log_text()
        shut = log.find(f"Kernel shutdown: {kernel_id}")
        raced += 0 <= shut < log.find(f"Starting buffering for {kernel_id}")
    assert raced, "the race (buffering begun after the shutdown) never happened: the test proves nothing"
    _settle(server)
    assert _zmq_descriptors(server.process.pid) <= before, (
        f"{raced} tabs closed during their shutdown left ZMQ sockets open: "
        f"{_zmq_descriptors(server.process.pid) - before} eventfds more than before")


def test_the_server_raises_a_low_open_file_limit(tmp_path):
    """Started where a process may open only 256 files (macOS's default; Linux desktops give 1,024,
    about 50 participants), does the server raise its own limit so a full room fits?"""
    import resource
    import subprocess
    import time

    from workshop.serving.server import ServerSettings, free_port, server_environment, voila_command

    from ..conftest import KIT

    settings = ServerSettings(port=free_port(), pool_size=0, preheat=False, data=tmp_path / "data",
                              notebooks=KIT / "notebooks", content=KIT / "workshop" / "content")
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    process = subprocess.Popen(
        voila_command(settings), cwd=settings.notebooks, env=server_environment(settings),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard)))
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = requests.get(settings.join_url, timeout=30)
                break
            except requests.ConnectionError:
                assert process.poll() is None, "the server did not start with a limit of 256 files"
                assert time.monotonic() < deadline, "the server did not answer within 60 s"
                time.sleep(0.2)
        assert response.status_code == 200
        limits = Path(f"/proc/{process.pid}/limits").read_text()
        soft = int(re.search(r"Max open files\s+(\d+)", limits).group(1))
        assert soft >= min(4096, hard), f"the server kept a soft limit of {soft} open files"
    finally:
        import os
        import signal

        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_kernels_are_reached_over_unix_sockets_not_tcp_ports(server):
    """Does every warm seat's connection file say ``ipc``, with its sockets in the server's private connection
    folder? A TCP port is chosen by the server and bound by the kernel a moment later, and meanwhile the
    system may hand it to another connection (kernels died of it when 30 or 120 seats started at once).
    (ipykernel's own output pipe still binds a loopback port of its choosing, atomically: not one of these.)"""
    import psutil

    files = []
    for child in psutil.Process(server.process.pid).children(recursive=True):
        try:
            command = child.cmdline()
        except psutil.NoSuchProcess:
            continue
        if "-f" in command and command[command.index("-f") + 1].endswith(".json"):
            files.append(Path(command[command.index("-f") + 1]))
    assert len(files) >= 2, "no warm seat found"
    for path in files:
        info = json.loads(path.read_text(encoding="utf-8"))
        assert info["transport"] == "ipc", info
        for name in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"):
            socket_file = Path(f"{info['ip']}-{info[name]}")
            assert socket_file.parent == path.parent and socket_file.is_socket(), socket_file
        assert oct(path.parent.stat().st_mode & 0o777) == "0o700"


def test_the_server_talks_to_all_its_seats_through_one_zmq_context(server):
    """Does the server run one pair of ZMQ threads, however many warm seats it keeps? Each seat's client
    (Voila's notebook runner's) had a context of its own: two threads a seat, 122 with a room of 60."""
    import collections
    import time

    deadline = time.monotonic() + 60
    while server.warm_seats < 2:
        assert time.monotonic() < deadline, "no two warm seats: the test proves nothing"
        time.sleep(0.2)
    threads = collections.Counter()
    for task in Path(f"/proc/{server.process.pid}/task").iterdir():
        try:
            threads[(task / "comm").read_text(encoding="utf-8").strip()] += 1
        except OSError:
            continue
    assert threads["ZMQbg/IO/0"] == 1 and threads["ZMQbg/Reaper"] == 1, (server.warm_seats, dict(threads))
