"""Privacy scan of what the real servers write (issue 7, part 4): visitors arrive from a known
address (the request's source is 127.0.0.2, and proxy headers carry another), with a name in the
link; afterwards no file in the data folder (the servers' logs, the store and its -wal/-shm)
holds either address or the name."""

from __future__ import annotations

import socket

import pytest

from workshop.serving.server import ServerProcess, ServerSettings, console_settings, free_port
from workshop.store import Store

from ..conftest import KIT

pytestmark = pytest.mark.server

SOURCE = "127.0.0.2"  # the visitor's own address: loopback, but used by nothing else here
FORWARDED = "203.0.113.77"
NAME = "Magdalena+Wierzbicka"


def request_from(address: str, port: int, target: str, headers: dict) -> tuple[int, bytes]:
    """One HTTP/1.0 request whose source address is ``address``."""
    lines = [f"GET {target} HTTP/1.0", f"Host: 127.0.0.1:{port}", *(f"{k}: {v}" for k, v in headers.items())]
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(90)
        sock.bind((address, 0))
        sock.connect(("127.0.0.1", port))
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    response = b"".join(chunks)
    return int(response.split(b" ", 2)[1]), response


def test_the_servers_keep_no_visitor_address_or_name(tmp_path_factory):
    """After visits to both servers from a known address, with proxy headers and a name in the
    link, do the log files and the store hold neither address nor the name (and were the visits
    really logged and the participant really counted)?"""
    tmp = tmp_path_factory.mktemp("privacy")
    data = tmp / "data"
    participant = ServerSettings(port=free_port(), pool_size=1, notebooks=KIT / "notebooks", data=data, refill_delay=2)
    console = console_settings(free_port(), data=data, extra_env={"HOLDING_SPACE_JOIN_BASE": participant.join_url})
    store = Store(f"sqlite:///{data / 'holding-space.sqlite'}")
    session = store.create_session("group", k=2)
    headers = {
        "X-Forwarded-For": FORWARDED, "X-Real-IP": FORWARDED, "Forwarded": f"for={FORWARDED}",
        "User-Agent": f"Mozilla/5.0 ({NAME})", "Referer": f"http://{FORWARDED}/?name={NAME}",
    }
    servers = [ServerProcess(participant, data / "logs" / "participant.log"), ServerProcess(console, data / "logs" / "console.log")]
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_until_listening()
        servers[0].wait_until_warm(timeout=180)
        p, c = participant.port, console.port
        status, page = request_from(SOURCE, p, f"/?token={participant.token}&s={session.code}&name={NAME}", headers)
        assert status == 200 and b"jupyter-config-data" in page
        for target in ("/?token=guess", "/voila/files/app.ipynb", f"/voila/files/app.ipynb?s={session.code}&name={NAME}", "/api/kernels"):
            request_from(SOURCE, p, target, headers)
        status, _ = request_from(SOURCE, c, f"/?token={console.token}&name={NAME}", headers)
        assert status == 200
        request_from(SOURCE, c, "/?token=guess", headers)
    finally:
        for server in servers:
            server.stop()
    written = {path: path.read_bytes() for path in data.rglob("*") if path.is_file()}
    logs = b"".join(blob for path, blob in written.items() if path.suffix == ".log")
    assert logs.count(b"(address hidden)") >= 3  # the refused requests were logged, without their address
    assert store.present(session) >= 0 and any(path.name.startswith("holding-space.sqlite") for path in written)
    found = {
        str(path.relative_to(data)): [m for m in (SOURCE, FORWARDED, NAME, NAME.replace("+", " ")) if m.encode() in blob]
        for path, blob in written.items()
    }
    assert {path: markers for path, markers in found.items() if markers} == {}
