"""A participant without a browser: the requests and kernel messages a phone sends on joining.

A room's phones each bring their own processor; on one benchmark machine, N Chromium pages share
its cores with the server, so a browser join storm measures the browsers as much as the server.
This client replays, over plain HTTP and the kernel websocket, what one Chromium visit asked of
the server (recorded once per run with :func:`record_assets`): the page, every static asset with
``Accept-Encoding: gzip`` and six connections at a time (a new connection for each request, as
Tornado's client makes them: a browser keeps its six open, which costs the server a little less),
the kernel check, then the widget
manager's ``request_states`` and the bridge's first update with the participant's id. What is
left out is what happens on the phone itself: parsing, layout, drawing.

Past the room's cap the kit answers the join address with 503 and a "the room is full" page: the
phone then returns ``{"ok": False, "room_full": True}``, an answer rather than a failure.

It speaks the kernel websocket's ``v1.kernel.websocket.jupyter.org`` protocol, as Chromium on the
kit's page does (JupyterLab's services offer it, Jupyter Server picks it): the server relays a
kernel message's parts without decoding them. A server that does not pick it gets the older JSON
protocol, whose buffers come as binary frames in their legacy layout.

Behind a proxy (``holding-space online``, ``benchmarks/online_storm.py``) a phone speaks HTTPS with
its own ``ssl_options`` (an :class:`ssl.SSLContext` trusting the proxy's authority) and, as a browser
does, keeps the cookies every answer sets (:attr:`Phone.cookies`: the proxy's stickiness cookie
``hs_replica`` among them) and sends them with each later request and its websocket. Each phone has
its own jar: no cookie is shared between phones.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import ssl
import struct
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

CONFIG = re.compile(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', re.S)
HEADERS = {"Accept-Encoding": "gzip", "User-Agent": "holding-space-benchmark-phone"}
#: past the room's cap the kit answers the join address with 503 and a short "the room is full" page
ROOM_FULL_STATUS = 503


def is_room_full(status: int | None, body: bytes | str | None) -> bool:
    """Is this answer the kit's "the room is full" page (503), not a failure?"""
    if status != ROOM_FULL_STATUS:
        return False
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    return "full" in text.lower() or not text  # the page's title: "The room is full right now"


async def record_assets(chromium: str, join_url: str, ignore_https_errors: bool = False) -> list[str]:
    """The same-host static URLs one real Chromium visit fetches (paths with query), in order.

    ``ignore_https_errors``: a proxy whose certificate comes from an authority Chromium does not know
    (Caddy's own, ``tls internal``)."""
    from common import CHROMIUM_ARGS
    from playwright.async_api import async_playwright

    host = urlsplit(join_url).netloc
    seen: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = await browser.new_page(ignore_https_errors=ignore_https_errors)

        def on_request(request) -> None:
            parts = urlsplit(request.url)
            if parts.netloc == host and not parts.path.startswith("/api/") and parts.path != "/":
                seen.append(urlunsplit(("", "", parts.path, parts.query, "")))

        page.on("request", on_request)
        await page.goto(join_url)
        await page.locator(".hs-checkin .hs-chip").first.wait_for(timeout=120_000)
        await page.wait_for_load_state("networkidle")
        await page.close(run_before_unload=True)
        await browser.close()
    return list(dict.fromkeys(seen))


V1 = "v1.kernel.websocket.jupyter.org"


def _encode_v1(msg: dict) -> bytes:
    """A message as the v1 protocol's binary frame: its channel, then header, parent header,
    metadata and content as JSON (the layout of Jupyter Server's ``serialize_msg_to_ws_v1``)."""
    parts = [json.dumps(msg[key]).encode("utf-8") for key in ("header", "parent_header", "metadata", "content")]
    channel = msg["channel"].encode("utf-8")
    offsets = [8 * (1 + 1 + len(parts) + 1)]
    offsets.append(offsets[-1] + len(channel))
    for part in parts:
        offsets.append(offsets[-1] + len(part))
    head = len(offsets).to_bytes(8, "little") + b"".join(o.to_bytes(8, "little") for o in offsets)
    return head + channel + b"".join(parts)


def _decode_v1(frame: bytes) -> dict:
    count = int.from_bytes(frame[:8], "little")
    offsets = [int.from_bytes(frame[8 * (i + 1) : 8 * (i + 2)], "little") for i in range(count)]
    parts = [frame[offsets[i] : offsets[i + 1]] for i in range(1, count - 1)]
    keys = ("header", "parent_header", "metadata", "content")  # then the buffers, left unread
    msg = {key: json.loads(part) for key, part in zip(keys, parts[:4], strict=True)}
    msg["channel"] = frame[offsets[0] : offsets[1]].decode("utf-8")
    return msg


def _decode(frame: str | bytes, protocol: str | None = None) -> dict:
    if protocol == V1:
        return _decode_v1(frame)
    if isinstance(frame, str):
        return json.loads(frame)
    # legacy binary layout: nbufs, offsets[nbufs], then the JSON message and its buffers
    (nbufs,) = struct.unpack("!I", frame[:4])
    offsets = struct.unpack(f"!{nbufs}I", frame[4 : 4 + 4 * nbufs])
    end = offsets[1] if nbufs > 1 else len(frame)
    return json.loads(frame[offsets[0] : end].decode("utf-8"))


@dataclass
class Phone:
    """One browserless participant; :meth:`join` returns its figures."""

    join_url: str
    assets: list[str]
    connections: int = 6
    timeout: float = 180.0
    kernel_id: str | None = None
    bytes_received: int = 0
    models: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    #: HTTPS: the context that checks the server's certificate (None: plain HTTP, or the system's authorities)
    ssl_options: ssl.SSLContext | None = None
    #: this phone's own cookie jar (name: value), filled from every answer's Set-Cookie
    cookies: dict[str, str] = field(default_factory=dict)
    #: the kernel websocket's protocol the server picked: "v1.kernel.websocket.jupyter.org" or "json"
    protocol: str | None = None

    def _remember(self, response) -> None:
        """Keep the cookies an answer sets, as a browser does, for this phone's later requests."""
        for header in response.headers.get_list("Set-Cookie"):
            name, _, value = header.split(";", 1)[0].partition("=")
            if name.strip():
                self.cookies[name.strip()] = value.strip()

    def _headers(self) -> dict:
        cookies = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        return {**HEADERS, **({"Cookie": cookies} if cookies else {})}

    async def join(self) -> dict:
        start = self._start = time.perf_counter()
        client = AsyncHTTPClient(force_instance=True, max_clients=self.connections)
        try:
            try:
                page = await client.fetch(HTTPRequest(self.join_url, headers=self._headers(), decompress_response=True,
                                                      request_timeout=self.timeout, connect_timeout=self.timeout,
                                                      ssl_options=self.ssl_options))
            except HTTPClientError as error:  # past the cap: "the room is full" is an answer, not a failure
                body = error.response.body if error.response is not None else b""
                if error.response is not None:
                    self._remember(error.response)
                if is_room_full(error.code, body):
                    return {"ok": False, "room_full": True, "room_full_s": round(time.perf_counter() - start, 3)}
                raise
            self._remember(page)
            self.bytes_received += len(page.body)
            self.timings["page_s"] = time.perf_counter() - start
            config = json.loads(CONFIG.search(page.body.decode("utf-8")).group(1))
            self.kernel_id = config["kernelId"]
            parts = urlsplit(self.join_url)
            base = f"{parts.scheme}://{parts.netloc}"  # recorded paths are absolute
            token = dict(p.split("=", 1) for p in urlsplit(self.join_url).query.split("&") if "=" in p).get("token", "")

            async def get(path: str) -> None:
                response = await client.fetch(HTTPRequest(base + path, headers=self._headers(), decompress_response=False,
                                                          request_timeout=self.timeout, connect_timeout=self.timeout,
                                                          ssl_options=self.ssl_options))
                self._remember(response)
                self.bytes_received += len(response.body)

            await asyncio.gather(*(get(path) for path in self.assets))
            await get(f"{parts.path.split('/voila/')[0].rstrip('/')}/api/kernels/{self.kernel_id}?{int(time.time() * 1000)}")
            self.timings["assets_s"] = time.perf_counter() - start
            await self._widgets(base, token, self._headers())
            self.timings["tti_s"] = time.perf_counter() - start
            return {"ok": True, "tti": self.timings["tti_s"], "kernel_id": self.kernel_id, "models": self.models,
                    "protocol": self.protocol,
                    "bytes": self.bytes_received, **{k: round(v, 3) for k, v in self.timings.items()}}
        except Exception as error:  # a failure is a figure
            return {"ok": False, "error": f"{type(error).__name__}: {str(error)[:120]}", "kernel_id": self.kernel_id,
                    "reached": sorted(self.timings)}
        finally:
            client.close()

    async def _widgets(self, base: str, token: str, headers: dict) -> None:
        session = uuid.uuid4().hex
        url = base.replace("http", "ws", 1) + f"/api/kernels/{self.kernel_id}/channels?session_id={session}&token={token}"
        ws = await asyncio.wait_for(websocket_connect(HTTPRequest(url, headers=headers, ssl_options=self.ssl_options),
                                                      max_message_size=64 * 2**20, subprotocols=[V1]), self.timeout)
        self.protocol = ws.selected_subprotocol or "json"
        try:
            def message(msg_type: str, content: dict, metadata: dict | None = None) -> tuple[str, str | bytes]:
                msg_id = uuid.uuid4().hex
                msg = {
                    "header": {"msg_id": msg_id, "msg_type": msg_type, "username": "", "session": session,
                               "version": "5.3", "date": ""},
                    "parent_header": {}, "metadata": metadata or {}, "content": content, "channel": "shell", "buffers": [],
                }
                return msg_id, (_encode_v1(msg) if self.protocol == V1 else json.dumps(msg))

            async def reply_to(msg_id: str, wanted: str) -> dict:
                while True:
                    frame = await asyncio.wait_for(ws.read_message(), self.timeout)
                    if frame is None:
                        raise ConnectionError("kernel websocket closed")
                    msg = _decode(frame, self.protocol)
                    if msg.get("parent_header", {}).get("msg_id") == msg_id and msg["header"]["msg_type"] == wanted:
                        return msg

            msg_id, text = message("kernel_info_request", {})
            await ws.write_message(text, binary=isinstance(text, bytes))
            await reply_to(msg_id, "kernel_info_reply")
            comm_id = secrets.token_hex(16)
            _, text = message("comm_open", {"comm_id": comm_id, "target_name": "jupyter.widget.control", "data": {}},
                              {"version": "1.0.0"})
            await ws.write_message(text, binary=isinstance(text, bytes))
            msg_id, text = message("comm_msg", {"comm_id": comm_id, "data": {"method": "request_states"}})
            await ws.write_message(text, binary=isinstance(text, bytes))
            states = (await reply_to(msg_id, "comm_msg"))["content"]["data"]["states"]
            self.models = len(states)
            self.timings["states_s"] = time.perf_counter() - self._start
            bridge = next((k for k, v in states.items() if "namespace" in v.get("state", {}) and "participant_id" in v["state"]), None)
            if bridge is None:  # a theme notebook on its own (plain Voila) has no bridge: usable once drawn
                return
            msg_id, text = message("comm_msg", {"comm_id": bridge, "data": {
                "method": "update", "state": {"restored": "", "participant_id": secrets.token_hex(16)}, "buffer_paths": []}})
            await ws.write_message(text, binary=isinstance(text, bytes))
            while True:  # the kernel has handled the bridge's update when it goes idle after it
                frame = await asyncio.wait_for(ws.read_message(), self.timeout)
                if frame is None:
                    raise ConnectionError("kernel websocket closed")
                msg = _decode(frame, self.protocol)
                if (msg.get("parent_header", {}).get("msg_id") == msg_id and msg["header"]["msg_type"] == "status"
                        and msg["content"].get("execution_state") == "idle"):
                    break
        finally:
            ws.close()
