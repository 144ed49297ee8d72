"""Access probes at the raw HTTP level (issue 7, part 3).

Paths go out byte for byte on a raw socket, so nothing on the client side normalises ``..``,
``%2e`` or ``//`` away. The server under test is the kit's own, started on a temporary copy of the
notebooks with secret files planted around it (and symlinked into it), laid out like the kit's
checkout: ``notebooks/`` next to ``data/``, ``workshop/``, ``README.md`` and config files.
Every probe asserts on the response body: no planted marker, and nothing that looks like a
notebook, Python, YAML, SQLite, config or log file.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import socket
import time
from pathlib import Path

import psutil
import pytest
import websocket  # websocket-client
from jupyter_client.session import Session
from jupyter_server.services.kernels.connection.base import deserialize_msg_from_ws_v1, serialize_msg_to_ws_v1

from workshop.serving.server import ServerProcess, ServerSettings, console_settings, free_port, voila_command

from ..conftest import KIT

pytestmark = pytest.mark.server

SECRET = "hs-secret-7f3a9c"
# what a kit file looks like, whichever file it is: a leak of any of them shows one of these
KIT_FILE_MARKERS = [
    SECRET,
    '"nbformat"',  # a notebook
    "from widgets",  # notebook or Python source
    "from __future__",  # Python source
    "[project]",  # pyproject.toml
    "SQLite format 3",  # the store
    "seat ready",  # the server log
    "Voila.token",  # the server's command line in a log
    "base_template",  # the template's conf.json
    "{%",  # a Jinja template
    "feelings:",  # a content YAML file
    "# Holding Space",  # README.md
]


# ------------------------------------------------------------------ raw HTTP
def raw_request(port: int, target: str | bytes, headers: dict | None = None, method: str = "GET") -> tuple[int, dict, bytes]:
    """Send one HTTP/1.0 request with ``target`` exactly as given; return status, headers, body."""
    target = target.encode("latin-1") if isinstance(target, str) else target
    lines = [method.encode() + b" " + target + b" HTTP/1.0", f"Host: 127.0.0.1:{port}".encode()]
    lines += [f"{key}: {value}".encode() for key, value in (headers or {}).items()]
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(b"\r\n".join(lines) + b"\r\n\r\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    response = b"".join(chunks)
    head, _, body = response.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parsed = {}
    for line in header_lines:
        key, _, value = line.partition(":")
        parsed[key.strip().lower()] = value.strip()
    return int(status_line.split()[1]), parsed, body


def fetch(port: int, target: str | bytes, headers: dict | None = None) -> list[tuple[str, int, bytes]]:
    """``target`` and every redirect after it (at most five): (target, status, body) for each."""
    seen = []
    for _ in range(6):
        status, response_headers, body = raw_request(port, target, headers)
        seen.append((target if isinstance(target, str) else target.decode("latin-1"), status, body))
        location = response_headers.get("location")
        if status not in (301, 302, 303, 307, 308) or not location:
            break
        target = re.sub(r"^https?://[^/]+", "", location)
    return seen


def leaks(body: bytes) -> list[str]:
    text = body.decode("utf-8", errors="replace")
    return [marker for marker in KIT_FILE_MARKERS if marker in text]


def assert_nothing_leaks(port: int, targets: list[str | bytes], headers: dict | None = None) -> None:
    problems = []
    for target in targets:
        for hop, status, body in fetch(port, target, headers):
            found = leaks(body)
            if found or status == 200 and body.strip():
                problems.append(f"{target!r} -> {hop!r}: {status} {found or body[:80]!r}")
    assert problems == [], "\n".join(problems)


# ------------------------------------------------------------------ a kit-like tree with planted secrets
def plant(tmp: Path) -> dict[str, Path]:
    """Copy the notebooks, lay secrets around them like the kit's checkout, symlink some in."""
    notebooks = tmp / "notebooks"
    shutil.copytree(KIT / "notebooks", notebooks)
    outside = tmp / "outside"
    outside.mkdir()
    files = {
        "README.md": "# Holding Space\n",
        "pyproject.toml": "[project]\nname = 'holding-space'\n",
        "workshop/cli.py": "from __future__ import annotations\n",
        "workshop/content/feelings.yaml": "feelings:\n  - calm\n",
        "jupyter_server_config.json": '{"ServerApp": {"token": "x"}}\n',
        "jupyter_server_config.py": "c.ServerApp.token = 'x'\n",
        "voila.json": '{"VoilaConfiguration": {"template": "lab"}}\n',
        "data/holding-space.sqlite": "SQLite format 3\x00",
        "data/holding-space.sqlite-wal": "wal frames\n",
        "data/export.csv": "code,answer\n",
        "data/logs/participant.log": "[Voila] holding-space: seat ready\n",
        "outside/secret.png": "not an image\n",
        "outside/secret.txt": "plain\n",
    }
    for relative, text in files.items():
        path = tmp / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{SECRET} {relative}\n{text}", encoding="utf-8")
    # symlinks a careless copy or an attacker with a shell could leave in the served folder
    (notebooks / "leak.png").symlink_to(outside / "secret.png")
    (notebooks / "store.png").symlink_to(tmp / "data" / "holding-space.sqlite")
    (notebooks / "answers.csv").symlink_to(tmp / "data" / "export.csv")
    (notebooks / "shared").symlink_to(outside, target_is_directory=True)
    (notebooks / "kit").symlink_to(tmp, target_is_directory=True)
    # a real image in the served folder: the control that shows the probes can see a served file
    (notebooks / "fine.png").write_bytes(b"\x89PNG\r\n\x1a\n hs-allowed-image")
    return {"notebooks": notebooks, "data": tmp / "data", "secret": outside / "secret.txt"}


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> dict[str, Path]:
    return plant(tmp_path_factory.mktemp("access"))


@pytest.fixture(scope="module")
def server(planted):
    settings = ServerSettings(
        port=free_port(), pool_size=1, notebooks=planted["notebooks"], data=planted["data"], refill_delay=2
    )
    with ServerProcess(settings, planted["data"] / "logs" / "server-under-test.log").start() as running:
        running.wait_until_listening()
        running.wait_until_warm(timeout=180)
        yield running


@pytest.fixture(scope="module")
def token_header(server) -> dict:
    """The participants' token, sent as a header (opens no kernel, unlike ``?token=``)."""
    return {"Authorization": f"token {server.settings.token}"}


# ------------------------------------------------------------------ the probes
DOTDOT = ["..", "%2e%2e", "%2E%2E", ".%2e", "%252e%252e", "%c0%ae%c0%ae", "%e0%80%ae%e0%80%ae", "..%00"]
SEP = ["/", "%2f", "%2F", "\\", "%5c", "//", "%252f", "%c0%af", ";/"]
BASES = [
    "/",
    "//",
    "/voila/files/",
    "/voila/static/",
    "/voila/templates/holdingspace/static/",
    "/voila/templates/",
    "/voila/labextensions/",
    "/voila/api/themes/",
    "/files/",
    "/static/",
]
KIT_TARGETS = [
    "README.md",
    "pyproject.toml",
    "workshop/cli.py",
    "workshop/content/feelings.yaml",
    "jupyter_server_config.json",
    "jupyter_server_config.py",
    "voila.json",
    "data/holding-space.sqlite",
    "data/holding-space.sqlite-wal",
    "data/export.csv",
    "data/logs/participant.log",
    "outside/secret.txt",
]


@pytest.mark.parametrize("base", BASES)
def test_no_traversal_reaches_a_kit_file(server, planted, token_header, base: str):
    """From each served prefix, does no spelling of ``..`` and ``/`` reach a file next to the notebooks
    (relative) or anywhere on disk (absolute), with the participants' token?"""
    root = str(planted["notebooks"].parent).lstrip("/")
    targets = []
    for dotdot in DOTDOT:
        for sep in SEP:
            targets.append(base + dotdot + sep + KIT_TARGETS[len(targets) % len(KIT_TARGETS)])
            targets.append(base + (dotdot + sep) * 16 + root + "/" + KIT_TARGETS[len(targets) % len(KIT_TARGETS)])
    targets += [base + "../" + target for target in KIT_TARGETS]
    targets += [base + "../" * 16 + str(KIT).lstrip("/") + "/" + name for name in ("pyproject.toml", "README.md", "notebooks/app.ipynb")]
    assert_nothing_leaks(server.settings.port, targets, token_header)


NOTEBOOK_TRICKS = [
    "{nb}",
    "./{nb}",
    ".//{nb}",
    "{nb}%00.png",
    "{nb}%00",
    "{nb};.png",
    "{nb};jsessionid=1",
    "{nb}%3f.png",
    "{nb}%23.png",
    "{nb}/",
    "{nb}.",
    "{nb}%20",
    "{nb}::$DATA",
    "{upper}",
    "{nb_dot}",
    "fine.png/..%2f{nb}",
]
NOTEBOOK_BASES = [
    "/", "//", "/voila/files/", "/voila/files//", "/VOILA/FILES/", "/voila/render/", "/voila/tree/", "/voila/api/contents/",
    "/files/", "/tree/", "/lab/tree/", "/notebooks/", "/edit/", "/view/", "/api/contents/", "/nbconvert/html/",
]


@pytest.mark.parametrize("notebook", ["app.ipynb", "facilitator.ipynb", "02_why_space_feels_like_a_threat.ipynb"])
def test_no_notebook_is_served_under_any_name(server, token_header, notebook: str):
    """Is no notebook (the app, the console, a theme) served under any handler, case, suffix or encoding?"""
    upper = notebook.upper()
    nb_dot = notebook.replace(".", "%2e")
    targets = [base + trick.format(nb=notebook, upper=upper, nb_dot=nb_dot) for base in NOTEBOOK_BASES for trick in NOTEBOOK_TRICKS]
    assert_nothing_leaks(server.settings.port, targets, token_header)
    assert_nothing_leaks(server.settings.port, targets)  # and without the token


def test_no_api_lists_or_opens_anything(server, token_header):
    """With the token, do Jupyter's contents, sessions, kernel lists, kernelspecs, config and the
    Lab/tree/notebook pages open nothing?"""
    targets = [
        "/api/contents", "/api/contents/", "/api/contents/app.ipynb", "/api/contents/app.ipynb?content=1",
        "/api/sessions", "/api/kernels", "/api/kernelspecs", "/api/config/notebook", "/api/nbconvert", "/api/status",
        "/api/me", "/api/terminals", "/api/settings", "/voila/api/contents", "/voila/tree", "/tree", "/lab",
        "/notebooks", "/voila/render/facilitator.ipynb", "/voila/render/app.ipynb", "/kernelspecs/python3/kernel.json",
        "/voila/static/../../", "/voila/static/..%2f..%2f", "/voila/templates/holdingspace/conf.json",
        "/voila/templates/holdingspace/index.html.j2", "/voila/templates/holdingspace/static/../conf.json",
        "/voila/templates/holdingspace/static/..%2fconf.json", "/voila/templates/holdingspace/static/..%2findex.html.j2",
        "/voila/templates/../static/x", "/voila/templates/lab/static/..%2f..%2fconf.json",
    ]
    problems = []
    for target in targets:
        for hop, status, body in fetch(server.settings.port, target, token_header):
            text = body.decode("utf-8", errors="replace")
            if leaks(body) or status == 200 or '"kernels"' in text or '"content"' in text or "Traceback" in text:
                problems.append(f"{target} -> {hop}: {status} {leaks(body)} {text[:80]!r}")
    assert problems == [], "\n".join(problems)


def test_symlinks_in_the_served_folder_lead_nowhere(server, planted, token_header):
    """A symlink planted in the notebooks folder (named like an image, or a folder) serves nothing
    from outside it; a real image next to it is served (the control)."""
    port = server.settings.port
    control = fetch(port, "/voila/files/fine.png", token_header)[-1]
    assert control[1] == 200 and b"hs-allowed-image" in control[2]
    via_catch_all = fetch(port, "/fine.png", token_header)[-1]
    assert via_catch_all[1] == 200 and b"hs-allowed-image" in via_catch_all[2]
    assert_nothing_leaks(port, [
        "/voila/files/leak.png", "/leak.png", "/voila/files/store.png", "/store.png", "/voila/files/answers.csv",
        "/voila/files/shared/secret.png", "/voila/files/shared/secret.txt", "/voila/files/kit/outside/secret.png",
        "/voila/files/kit/data/holding-space.sqlite", "/voila/files/kit/README.md", "/kit/pyproject.toml",
        "/voila/files/Leak.PNG", "/voila/files/leak.png%00", "/voila/files/./leak.png", "/voila/files/shared%2fsecret.png",
    ], token_header)


def test_error_pages_carry_no_traceback_or_path(server, planted, token_header):
    """Do the answers to malformed paths (that make Voila's handlers stumble) show no traceback,
    Python error or folder of the machine?"""
    targets = [
        "/voila/templates/x", "/voila/templates/holdingspace/static/../../../x", "/voila/templates/../../x/static/y",
        "/voila/templates/holdingspace/notstatic/x", "/voila/static/%00", "/voila/files/%00.png", "/%ff%fe",
        "/voila/api/themes/..%2f..%2f", "/api/kernels/not-a-kernel", "/voila/api/shutdown/nope",
    ]
    problems = []
    for target in targets:
        for hop, status, body in fetch(server.settings.port, target, token_header):
            text = body.decode("utf-8", errors="replace")
            bad = [m for m in ("Traceback", "Error:", "site-packages", str(planted["notebooks"]), "/tmp/", "File \"") if m in text]
            if bad or status == 200 or status >= 500 and "Traceback" in text:
                problems.append(f"{target} -> {hop}: {status} {bad} {text[:120]!r}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("target", ["/voila/api/shutdown/x", "/api/kernels", "/"])
def test_a_huge_request_body_is_refused_before_it_is_held(server, token_header, target: str):
    """Does a 64 MiB body, with or without the token, get the connection closed after at most 1 MiB,
    instead of being read into the server's memory (Tornado's default limit is 100 MiB)?"""
    process = psutil.Process(server.process.pid)
    before = process.memory_info().rss
    accepted = 0
    for headers in ({}, token_header):
        head = [f"POST {target} HTTP/1.1", f"Host: 127.0.0.1:{server.settings.port}", f"Content-Length: {64 * 2**20}"]
        head += [f"{key}: {value}" for key, value in headers.items()]
        with socket.create_connection(("127.0.0.1", server.settings.port), timeout=30) as sock:
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
            sent = 0
            try:
                while sent < 64 * 2**20:
                    sock.sendall(b"x" * 2**18)
                    sent += 2**18
                reply = sock.recv(200)  # the whole body went in: the server read it all
            except OSError:
                reply = b""  # closed while the body was still coming: refused
            accepted = max(accepted, sent)
            assert not reply.startswith(b"HTTP/1.1 2"), reply
    assert accepted < 16 * 2**20, f"the server took {accepted >> 20} MiB of a body it should refuse at 1 MiB"
    assert (process.memory_info().rss - before) < 32 * 2**20
    status, _, _ = raw_request(server.settings.port, "/", token_header)
    assert status in (200, 302)  # and the server still answers


# ------------------------------------------------------------------ tokens
def kernel_id_of(page: str) -> str:
    match = re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', page, re.S)
    assert match, "the page carries no jupyter-config-data"
    return json.loads(html.unescape(match.group(1)))["kernelId"]


def open_page(server) -> tuple[str, str]:
    """Open the app (or console) as a visitor with the join link; return its page and kernel id."""
    status, _headers, body = raw_request(server.settings.port, f"/?token={server.settings.token}")
    assert status == 200, body[:300]
    page = body.decode("utf-8")
    return page, kernel_id_of(page)


@pytest.fixture(scope="module")
def app_kernel(server) -> str:
    return open_page(server)[1]


@pytest.fixture(scope="module")
def console(tmp_path_factory, server):
    tmp = tmp_path_factory.mktemp("access-console")
    settings = console_settings(free_port(), data=tmp / "data", extra_env={"HOLDING_SPACE_JOIN_BASE": server.settings.join_url})
    with ServerProcess(settings, tmp / "data" / "logs" / "console.log").start() as running:
        running.wait_until_listening()
        yield running


@pytest.fixture(scope="module")
def console_kernel(console) -> str:
    return open_page(console)[1]


def ws_url(server, kernel_id: str, token: str | None) -> str:
    query = "session_id=probe" + (f"&token={token}" if token is not None else "")
    return f"ws://127.0.0.1:{server.settings.port}/api/kernels/{kernel_id}/channels?{query}"


def closed_doors(server, kernel_id: str, headers: dict) -> list[str]:
    """Every way into a server that must stay shut for these credentials: what opened anyway."""
    opened = []
    port = server.settings.port
    for target in ["/", "/api/kernels", "/api/sessions", "/api/kernelspecs", f"/api/kernels/{kernel_id}",
                   "/api/contents", "/voila/render/app.ipynb", f"/api/kernels/{kernel_id}/channels?session_id=x"]:
        for hop, status, body in fetch(port, target, headers):
            text = body.decode("utf-8", errors="replace")
            if status == 200 or kernel_id in text or "jupyter-config-data" in text or leaks(body):
                opened.append(f"{target} -> {hop}: {status}")
    status, _, _ = raw_request(port, f"/voila/api/shutdown/{kernel_id}", headers, method="POST")
    if status < 400:
        opened.append(f"POST shutdown: {status}")
    return opened


WRONG = [
    {},  # no token at all
    {"Authorization": "token guess"},
    {"Authorization": "token "},
    {"Authorization": "Bearer guess"},
    {"Cookie": "username-127-0-0-1-{port}=forged; _xsrf=x"},
]


@pytest.mark.parametrize("credentials", range(len(WRONG)))
def test_a_wrong_or_missing_token_opens_nothing_on_the_participant_server(server, app_kernel, credentials: int):
    """Without the token (or with a guessed one, or a forged cookie), do the page, the kernel API,
    the sessions and kernelspecs lists, the kernel websocket and the shutdown endpoint all stay shut?"""
    headers = {k: v.format(port=server.settings.port) for k, v in WRONG[credentials].items()}
    assert closed_doors(server, app_kernel, headers) == []
    for query in ("token=guess", "token=", f"token={server.settings.token[:-1]}", f"token={server.settings.token.upper()}"):
        *_, (_hop, status, body) = fetch(server.settings.port, f"/?{query}", headers)
        assert status == 403 and b"jupyter-config-data" not in body and b"Ask your facilitator" in body, query
    assert server.process.poll() is None and app_kernel in {k for k in kernel_ids(server)}


def kernel_ids(server) -> set[str]:
    """The kernel ids alive in ``server`` (from its kernels' connection-file arguments)."""
    ids = set()
    for proc in server.kernel_processes():
        match = re.search(r"kernel-([0-9a-f-]{36})\.json", " ".join(proc.cmdline()))
        if match:
            ids.add(match.group(1))
    return ids


@pytest.mark.parametrize("token", [None, "guess", "participant"])
def test_a_wrong_or_missing_token_opens_no_kernel_websocket(server, console, app_kernel, console_kernel, token):
    """Does the kernel websocket refuse the upgrade without the right token, on both servers
    (the participants' token does not open the console's kernel)?"""
    for target, kernel in ((server, app_kernel), (console, console_kernel)):
        if token == "participant" and target is server:
            continue
        sent = server.settings.token if token == "participant" else token
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            websocket.create_connection(ws_url(target, kernel, sent), timeout=30)
        assert refused.value.status_code in (403, 401)


@pytest.mark.parametrize("credentials", range(len(WRONG)))
def test_a_wrong_or_missing_token_opens_nothing_on_the_console(console, console_kernel, server, credentials: int):
    """The same doors on the facilitator console, also with the participants' token."""
    headers = {k: v.format(port=console.settings.port) for k, v in WRONG[credentials].items()}
    assert closed_doors(console, console_kernel, headers) == []
    participant = {"Authorization": f"token {server.settings.token}"}
    assert closed_doors(console, console_kernel, participant) == []


# ------------------------------------------------------------------ the console stays on this computer
def test_the_console_is_not_reachable_on_the_room_network(console):
    """Does a connection to the console's port on this machine's non-loopback addresses fail
    (the socket listens on 127.0.0.1 only), while loopback connects?"""
    port = console.settings.port
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    outside = [
        a.address for addrs in psutil.net_if_addrs().values() for a in addrs
        if a.family in (socket.AF_INET, socket.AF_INET6) and not a.address.startswith(("127.", "::1", "fe80"))
    ]
    if not outside:
        pytest.skip("this machine has no non-loopback address to try")
    for address in outside:
        with pytest.raises(OSError):
            socket.create_connection((address, port), timeout=5).close()
    listening = {c.laddr.ip for c in psutil.Process(console.process.pid).net_connections("tcp") if c.status == psutil.CONN_LISTEN}
    assert listening == {"127.0.0.1"}


def test_the_launcher_binds_the_console_to_loopback_whatever_the_room_binding():
    """However the participant server is bound (0.0.0.0 for a room), is the console's command bound
    to 127.0.0.1?"""
    room = ServerSettings(port=8866, bind="0.0.0.0")
    console = console_settings(8867)
    assert "--Voila.ip=0.0.0.0" in voila_command(room)
    assert console.bind == "127.0.0.1" and "--Voila.ip=127.0.0.1" in voila_command(console)
    with pytest.raises(TypeError):
        console_settings(8867, bind="0.0.0.0")
    # online (a container behind the proxy), only where each facilitator signs in with a secret
    signed_in = console_settings(8867, bind="0.0.0.0", identity="facilitators")
    assert "--Voila.ip=0.0.0.0" in voila_command(signed_in) and not any("Voila.token=" in a for a in voila_command(signed_in))


# ------------------------------------------------------------------ no code runs from a client
def execute_attempts(marker: Path) -> tuple[list[tuple[str, str]], str]:
    """Channel and message type of each attempt to run code that writes ``marker``."""
    code = f"open({str(marker)!r}, 'w').write('ran')"
    return [("shell", "execute_request"), ("control", "execute_request"), ("shell", "Execute_request"),
            ("shell", "inspect_request"), ("shell", "complete_request"), ("control", "debug_request")], code


def talk(ws, session: Session, channel: str, msg_type: str, content: dict, v1: bool) -> str:
    msg = session.msg(msg_type, content)
    if v1:
        parts = [json.dumps(msg[part], default=str).encode() for part in ("header", "parent_header", "metadata", "content")]
        ws.send_binary(serialize_msg_to_ws_v1(parts, channel))
    else:
        ws.send(json.dumps({**msg, "channel": channel}, default=str))
    return msg["header"]["msg_id"]


def read(ws, v1: bool) -> dict:
    frame = ws.recv()
    if v1:
        channel, parts = deserialize_msg_from_ws_v1(frame)
        header, parent, _metadata, content = (json.loads(p) for p in parts[:4])
        return {"channel": channel, "header": header, "parent_header": parent, "content": content}
    return json.loads(frame)


@pytest.mark.parametrize("v1", [False, True], ids=["json-protocol", "v1-binary-protocol"])
def test_a_client_cannot_run_code_in_its_kernel(server, tmp_path, v1: bool):
    """With the participants' token and its own kernel's websocket, does an execute_request (on any
    channel, any spelling, and the other code-running requests) never reach the kernel, while
    kernel_info still answers (so the socket was really open)?"""
    _page, kernel = open_page(server)
    marker = tmp_path / "executed"
    attempts, code = execute_attempts(marker)
    subprotocols = ["v1.kernel.websocket.jupyter.org"] if v1 else None
    ws = websocket.create_connection(ws_url(server, kernel, server.settings.token), timeout=60, subprotocols=subprotocols)
    try:
        assert (ws.getsubprotocol() == "v1.kernel.websocket.jupyter.org") == v1
        session = Session(key=b"", username="probe")
        sent = set()
        for channel, msg_type in attempts:
            content = {"code": code, "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False,
                       "stop_on_error": True, "cursor_pos": len(code), "detail_level": 0, "command": "evaluate",
                       "arguments": {"expression": code}}
            sent.add(talk(ws, session, channel, msg_type, content, v1))
        # the shell channel answers in order: once kernel_info is answered, an execute_request sent
        # before it would have run
        probe = talk(ws, session, "shell", "kernel_info_request", {}, v1)
        replies = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            msg = read(ws, v1)
            replies.append(msg)
            if msg["header"]["msg_type"] == "kernel_info_reply" and msg["parent_header"].get("msg_id") == probe:
                break
        else:
            pytest.fail("the kernel never answered kernel_info: the socket was not really open")
    finally:
        ws.close()
    answered = [m["header"]["msg_type"] for m in replies if m["parent_header"].get("msg_id") in sent]
    assert answered == [], answered
    assert not marker.exists(), "code sent by a client ran in the kernel"
    assert 'Received message of type "execute_request", which is not allowed' in server.log_text()


# ------------------------------------------------------------------ template and theme overrides
def test_template_and_theme_overrides_in_the_query_are_ignored(server):
    """Do ``voila-template``, ``voila-theme``, ``template`` and ``theme`` (and a template path that
    climbs out) in the join link change nothing: the kit's template, light theme, no traceback?"""
    token = server.settings.token
    for query in ("voila-template=classic&voila-theme=dark&template=lab&theme=dark",
                  "template=..%2f..%2f..%2fetc&voila-template=..%2f..%2fnbconvert&theme=..%2fdark"):
        status, _, body = raw_request(server.settings.port, f"/?token={token}&{query}")
        page = body.decode("utf-8", errors="replace")
        assert status == 200, page[:300]
        assert "holdingspace.css" in page and "Getting your space ready" in page, query
        assert "theme-dark" not in page and "jp-mod-dark" not in page and 'data-jp-theme-light="false"' not in page
        assert "Traceback" not in page and "TemplateNotFound" not in page
