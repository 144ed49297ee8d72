"""How a page's websocket reaches its kernel (``kernels.WelcomingConnection``), against real kernels.

Jupyter Server proves every new connection with ``kernel_info`` requests (one on a channel of its own, then
two every half second until a reply and an IOPub message came). The kit's connection takes the kernel's
info from the reply that proved the seat ready, and the IOPub proof from the kernel's welcome (JEP 65).
Each test starts real kernels under Jupyter Server's kernel manager with the kit's ``SeatKernelManager``,
makes them ready as Voila's notebook runner does, and listens on IOPub from before the connection: what
the kernel was asked shows there as the status messages of each request.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

import jupyter_client
import pytest
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

from workshop.serving import kernels as kit_kernels
from workshop.serving.kernels import WelcomingConnection


class Heard:
    """Every message a kernel publishes on IOPub, read by a subscriber of its own."""

    def __init__(self, kernel) -> None:
        self.session = kernel.session
        self.messages: list[dict] = []
        self.stream = kernel.connect_iopub()
        self.stream.on_recv(self._heard)

    def _heard(self, frames: list) -> None:
        _idents, parts = self.session.feed_identities(frames)
        self.messages.append(self.session.deserialize(parts))

    def requests(self, msg_type: str) -> set[str]:
        """The requests of ``msg_type`` the kernel handled (each publishes its busy and idle status)."""
        return {msg["parent_header"]["msg_id"] for msg in self.messages
                if msg["msg_type"] == "status" and msg["parent_header"].get("msg_type") == msg_type}

    def close(self) -> None:
        self.stream.close()


async def ready_kernel(manager: AsyncMappingKernelManager):
    """A kernel started and proven ready as Voila's notebook runner does (its client's ``wait_for_ready``)."""
    kernel_id = await manager.start_kernel(kernel_name="python3")
    kernel = manager.get_kernel(kernel_id)
    client = kernel.client()
    client.start_channels()
    await client.wait_for_ready(timeout=60)
    client.stop_channels()
    return kernel


async def connect(kind: type, kernel, log: logging.Handler | None = None) -> ZMQChannelsWebsocketConnection:
    """What Jupyter Server does for a page's websocket: ``prepare`` (its session key and kernel info;
    tests/unit/test_contracts.py holds that part of it), ``create_stream``, ``nudge``; ``log`` hears
    what the connection logs meanwhile."""
    connection = kind(parent=kernel)
    if log is not None:
        connection.log.addHandler(log)
    try:
        connection.session.session = uuid.uuid4().hex
        await asyncio.wait_for(prepared(connection), 30)
        connection.create_stream()
        await asyncio.wait_for(connection.nudge(), 30)
    finally:
        if log is not None:
            connection.log.removeHandler(log)
    return connection


async def prepared(connection) -> dict:
    """The part of ``prepare`` that speaks to the kernel: the session's key, then the kernel's info."""
    connection.session.key = connection.kernel_manager.session.key
    return await asyncio.wrap_future(connection.request_kernel_info())


async def hears_what_follows(connection) -> bool:
    """Does the connection's IOPub carry the status of a request sent once it was connected?"""
    heard: list[dict] = []
    session = connection.session

    def on_iopub(frames: list) -> None:
        _idents, parts = session.feed_identities(frames)
        heard.append(session.deserialize(parts))

    connection.channels["iopub"].on_recv(on_iopub)
    request = session.send(connection.channels["shell"], "kernel_info_request")["header"]["msg_id"]
    for _ in range(100):
        if any(msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle"
               and msg["parent_header"].get("msg_id") == request for msg in heard):
            return True
        await asyncio.sleep(0.05)
    return False


def close(connection) -> None:
    for stream in connection.channels.values():
        if not stream.closed():
            stream.close()


def with_kernels(scenario):
    """Run ``scenario(manager)`` with a kernel manager as Voila's (SeatKernelManager for each kernel)."""

    async def run() -> None:
        manager = AsyncMappingKernelManager(kernel_manager_class="workshop.serving.kernels.SeatKernelManager")
        try:
            await scenario(manager)
        finally:
            await manager.shutdown_all(now=True)

    asyncio.run(run())


def test_a_seat_proven_ready_is_known_to_welcome_and_keeps_its_kernel_info():
    async def scenario(manager) -> None:
        kernel = await ready_kernel(manager)
        assert kernel.welcomes_subscribers is True, "ipykernel 7's IOPub welcome was not seen by the ready client"
        assert kernel.ready_kernel_info["protocol_version"].startswith("5.")
        assert kernel.ready_kernel_info["language_info"]["name"] == "python"

    with_kernels(scenario)


def test_a_page_connection_asks_a_welcoming_kernel_nothing_and_hears_everything_after_it():
    """The kit's connection sends the kernel no request and still hears what it publishes next; Jupyter
    Server's own, on the same kernel, asks it at least twice (the listener can tell)."""

    async def scenario(manager) -> None:
        kernel = await ready_kernel(manager)
        heard = Heard(kernel)
        await asyncio.sleep(0.3)  # the listener's own subscription in place
        kits = await connect(WelcomingConnection, kernel)
        await asyncio.sleep(0.5)  # anything asked would have been answered by now
        asked_by_kit = heard.requests("kernel_info_request")
        assert await hears_what_follows(kits), "a request sent once connected was not heard on its IOPub"
        close(kits)

        jupyters = await connect(ZMQChannelsWebsocketConnection, kernel)
        await asyncio.sleep(0.5)
        asked_by_jupyter = heard.requests("kernel_info_request") - asked_by_kit
        close(jupyters)
        heard.close()
        assert asked_by_kit == set(), f"the kit's connection asked the kernel {len(asked_by_kit)} kernel_info"
        assert len(asked_by_jupyter) >= 2, "Jupyter Server's nudge went unheard: the listener proves nothing"

    with_kernels(scenario)


async def nudged(manager, *, known_to_welcome: bool = True, log: logging.Handler | None = None) -> None:
    """A page's connection that had to nudge its kernel: the kernel was asked, and the connection hears
    what the kernel publishes next."""
    kernel = await ready_kernel(manager)
    kernel.welcomes_subscribers = known_to_welcome
    heard = Heard(kernel)
    await asyncio.sleep(0.3)
    connection = await connect(WelcomingConnection, kernel, log=log)
    await asyncio.sleep(0.5)
    assert heard.requests("kernel_info_request"), "the kernel was not nudged"
    assert await hears_what_follows(connection)
    close(connection)
    heard.close()


def test_a_kernel_not_known_to_welcome_is_nudged_as_jupyter_server_does():
    """As for a kernel whose IOPub is a plain PUB socket (ipykernel 6): its readiness client saw no welcome."""
    with_kernels(lambda manager: nudged(manager, known_to_welcome=False))


def test_without_a_welcome_in_time_the_connection_nudges_and_says_so(monkeypatch):
    """A kernel known to welcome whose welcome does not come (here: the connection subscribes to no topic
    of its own, so the kernel sees nothing new): after ``WELCOME_WAIT_S``, Jupyter Server's nudge."""
    monkeypatch.setattr(kit_kernels, "WELCOME_WAIT_S", 0.3)
    monkeypatch.setattr(kit_kernels, "welcome_topic", lambda: b"")
    said: list[str] = []

    class Said(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            said.append(record.getMessage())

    with_kernels(lambda manager: nudged(manager, log=Said()))
    assert any("no IOPub welcome" in line for line in said), said


@pytest.mark.parametrize(("kernel_protocol", "adapted"), [(jupyter_client.protocol_version, 0), ("5.3", 5), ("4.1", 4)])
def test_the_kernel_info_that_proved_the_seat_ready_answers_the_connection(kernel_protocol: str, adapted):
    """No request: the reply kept from the readiness proof says the kernel's protocol, and another one than
    the server's is adapted to as Jupyter Server does (ipykernel 7 says 5.3, jupyter_client 8 speaks 5.4)."""

    async def scenario(manager) -> None:
        kernel = await ready_kernel(manager)
        kernel.ready_kernel_info = {**kernel.ready_kernel_info, "protocol_version": kernel_protocol}
        heard = Heard(kernel)
        await asyncio.sleep(0.3)
        connection = WelcomingConnection(parent=kernel)
        connection.session.session = uuid.uuid4().hex
        info = await asyncio.wait_for(prepared(connection), 30)
        await asyncio.sleep(0.3)
        heard.close()
        assert info["protocol_version"] == kernel_protocol
        assert connection.session.adapt_version == adapted
        assert heard.requests("kernel_info_request") == set()

    with_kernels(scenario)
