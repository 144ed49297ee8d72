"""The per-visit part of a participant kernel: waiting for the participant's request.

Voila preheats kernels: ``app.ipynb`` runs up to :func:`wait_for_request` before anyone
arrives, then blocks until Voila hands the kernel to a visitor and sends the request's details.
Voila ships ``voila.utils.wait_for_request`` for this, but importing it pulls jupyter_server
and jupyterlab_server into every participant kernel (measured: +46 MiB and 1.8 s per kernel).
This module does the same with tornado's websocket client, which ipykernel has loaded already.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from urllib.parse import parse_qs


def _request_info_url() -> str | None:
    kernel_id = os.environ.get("VOILA_KERNEL_ID")
    if os.environ.get("VOILA_PREHEAT", "False") == "False" or not kernel_id:
        return None
    protocol = os.environ.get("VOILA_WS_PROTOCOL", "ws")
    host = os.environ.get("VOILA_APP_IP", "127.0.0.1")
    port = os.environ.get("VOILA_APP_PORT", "8866")
    base = os.environ.get("VOILA_WS_BASE_URL", os.environ.get("VOILA_SERVER_URL", "/"))
    return f"{protocol}://{host}:{port}{base}voila/query/{kernel_id}"


async def _receive_one(url: str) -> str | None:
    from tornado.websocket import websocket_connect

    connection = await websocket_connect(url, connect_timeout=10)
    try:
        return await connection.read_message()  # waits for as long as nobody has arrived
    finally:
        connection.close()


def seat_age() -> float:
    """Seconds since this kernel's process started (for a forked seat: since its fork).

    On Linux from the process's start in clock ticks since boot (``/proc/self/stat``) against
    ``CLOCK_BOOTTIME``: 10 ms steps. psutil's start time adds the boot time, which Linux gives in whole
    seconds, so an age from it was off by up to a second (0.5 s on this machine, always the same way):
    every "seat ready" figure before this was that much too long."""
    try:
        with open("/proc/self/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()  # after the name, which may hold spaces
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22, starttime
        return max(time.clock_gettime(time.CLOCK_BOOTTIME) - started, 0.0)
    except (OSError, ValueError, IndexError, AttributeError):  # not Linux
        import psutil

        return max(time.time() - psutil.Process().create_time(), 0.0)


def wait_for_request() -> dict[str, str]:
    """Block until a participant's request reaches this preheated kernel.

    Returns the request details Voila sends (``QUERY_STRING``, ``SERVER_NAME``, …) and copies
    them into ``os.environ`` as Voila's own helper does. Outside a preheated Voila kernel
    (JupyterLab, nbval, plain Voila) it returns ``{}`` at once.
    """
    url = _request_info_url()
    if url is None:
        return {}
    result: dict[str, str] = {}
    from .serverlog import WARM_MARKER, announce

    announce(f"{WARM_MARKER} {seat_age():.2f} s after its kernel started")

    def run() -> None:
        message = asyncio.run(_receive_one(url))
        if message:
            result.update({str(k): str(v) for k, v in json.loads(message).items()})

    thread = threading.Thread(target=run, name="holding-space-wait-for-request", daemon=True)
    thread.start()
    thread.join()
    os.environ.update(result)
    return result


def query_parameters(query: str | None = None) -> dict[str, str]:
    """The visit's query string as a dict of first values (``?s=ABCD`` → ``{"s": "ABCD"}``)."""
    if query is None:
        query = os.environ.get("QUERY_STRING", "")
    return {key: values[0] for key, values in parse_qs(query[:2048]).items() if values}
