"""The kit's kernel manager and static files, without a server: buffering during a shutdown, the room's cap,
the lost-seat watch, and the template static folders looked up once.

``Probe`` puts a stand-in for Jupyter's kernel bookkeeping *under* ``HoldingSpaceKernelManager`` (no kernel
process starts), so the kit's methods run with Jupyter Server's own ``start_buffering``/``stop_buffering``
above the stand-in, as they do under Voila's manager. tests/server and tests/browser run the real thing.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from types import SimpleNamespace

import pytest
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

from workshop.serving.kernels import HoldingSpaceKernelManager


class Stream:
    """A ZMQ stream as Jupyter's buffering sees it."""

    def __init__(self) -> None:
        self.socket = SimpleNamespace(closed=False)
        self.receiver = None

    def on_recv(self, callback) -> None:
        self.receiver = callback

    def close(self) -> None:
        self.socket.closed = True

    def closed(self) -> bool:
        return self.socket.closed


class Bookkeeping(AsyncMappingKernelManager):
    """Kernels as ids only: started, shut down (when ``gate`` opens), restart callbacks recorded."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.live: set[str] = set()
        self.callbacks: dict[tuple[str, str], list] = {}
        self.ids = (f"{n:08d}-0000-0000-0000-000000000000" for n in itertools.count())
        self.gate: asyncio.Event | None = None
        self.shut: list[str] = []

    def __contains__(self, kernel_id) -> bool:
        return kernel_id in self.live

    def list_kernel_ids(self) -> list[str]:
        return sorted(self.live)

    async def start_kernel(self, *, kernel_id=None, **kwargs) -> str:
        kernel_id = kernel_id or next(self.ids)
        self.live.add(kernel_id)
        return kernel_id

    async def shutdown_kernel(self, kernel_id, now=False, restart=False) -> None:
        self.stop_buffering(kernel_id)  # as Jupyter Server's shutdown does first
        if self.gate is not None:
            await self.gate.wait()  # the kernel process takes a moment to stop
        self.live.discard(kernel_id)
        self.shut.append(kernel_id)

    def add_restart_callback(self, kernel_id, callback, event="restart") -> None:
        self.callbacks.setdefault((kernel_id, event), []).append(callback)


class Probe(HoldingSpaceKernelManager, Bookkeeping):
    """HoldingSpaceKernelManager over the stand-in (MRO: Probe, HoldingSpaceKernelManager, Bookkeeping, Jupyter's)."""


class PreheatingProbe(Probe):
    """As Voila's VoilaKernelManager looks to the kit: a ``_pools`` of futures, and ``fill_if_needed``."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._pools: dict[str, list] = {}
        self.refills: list[str] = []

    def fill_if_needed(self, delay=None, notebook_name=None, **kwargs) -> None:
        self.refills.append(notebook_name)

    async def seat(self, notebook: str = "app.ipynb") -> str:
        kernel_id = await self.start_kernel(kernel_name="python3")
        future = asyncio.get_running_loop().create_future()
        future.set_result({"kernel_id": kernel_id})
        self._pools.setdefault(notebook, []).append(future)
        return kernel_id

    def hand_out(self, notebook: str = "app.ipynb") -> str:
        return self._pools[notebook].pop(0).result()["kernel_id"]


def run(coroutine):
    return asyncio.run(coroutine)


def test_buffering_that_begins_during_a_shutdown_is_closed_at_once():
    """A tab's websocket closing while its beacon's shutdown runs: are its channels closed, with no buffer left?"""

    async def scenario():
        manager = Probe()
        kernel_id = await manager.start_kernel(kernel_name="python3")
        manager.gate = asyncio.Event()
        shutdown = asyncio.create_task(manager.shutdown_kernel(kernel_id))
        await asyncio.sleep(0)  # the shutdown has begun and cleared the buffers
        channels = {name: Stream() for name in ("shell", "iopub", "stdin", "control")}
        manager.start_buffering(kernel_id, f"{kernel_id}:session", channels)  # the websocket closes now
        assert all(stream.closed() for stream in channels.values()), "the closing tab's channels were left open"
        assert manager.get_buffer(kernel_id, f"{kernel_id}:session") is None
        manager.gate.set()
        await shutdown
        assert kernel_id not in manager and kernel_id not in manager._hs_shutting_down

    run(scenario())


def test_buffering_for_a_live_kernel_is_kept_for_its_reconnect():
    """A dropped line (no shutdown): are the channels still buffered, for the page to reconnect?"""

    async def scenario():
        manager = Probe()
        kernel_id = await manager.start_kernel(kernel_name="python3")
        channels = {"iopub": Stream()}
        manager.start_buffering(kernel_id, "key", channels)
        assert not channels["iopub"].closed()
        assert manager.get_buffer(kernel_id, "key")["channels"] == channels

    run(scenario())


def test_a_failed_shutdown_does_not_leave_the_kernel_marked():
    async def scenario():
        manager = Probe()
        with pytest.raises(Exception):  # noqa: B017 (Jupyter's 404 for an unknown kernel)
            await manager.shutdown_kernel("no-such-kernel")
        assert not manager._hs_shutting_down

    run(scenario())


def test_the_cap_counts_every_kernel_but_the_warm_seats():
    async def scenario():
        manager = PreheatingProbe(max_participants=2)
        await manager.seat()
        await manager.seat()
        assert manager.kernels_in_use() == 0 and manager.room_is_full() == (False, 0)
        manager.hand_out()
        assert manager.room_is_full() == (False, 1)
        manager.hand_out()
        await manager.seat()  # the pool's refill
        assert manager.room_is_full() == (True, 2)
        manager.max_participants = 0
        assert manager.room_is_full() == (False, 0)  # no cap: never full

    run(scenario())


def test_a_lost_warm_seat_leaves_the_pool_at_once_and_a_fresh_one_is_warmed():
    async def scenario():
        manager = PreheatingProbe()
        lost = await manager.seat()
        other = await manager.seat()
        assert manager.is_warm_seat(lost)
        (callback,) = manager.callbacks[(lost, "dead")]
        callback()
        assert not manager.is_warm_seat(lost) and manager.is_warm_seat(other)  # no newcomer is handed it
        await asyncio.gather(*manager._hs_retiring)
        assert manager.shut == [lost] and manager.refills == ["app.ipynb"]

    run(scenario())


def test_a_participants_lost_kernel_is_shut_down_and_not_replaced():
    async def scenario():
        manager = PreheatingProbe()
        await manager.seat()
        taken = manager.hand_out()
        (callback,) = manager.callbacks[(taken, "dead")]
        callback()
        await asyncio.gather(*manager._hs_retiring)
        assert manager.shut == [taken] and manager.refills == []

    run(scenario())


def test_only_a_server_with_warm_seats_watches_its_kernels_and_never_twice():
    async def scenario():
        console = Probe()  # the console: no pool, its kernel left to Jupyter's restarter
        await console.start_kernel(kernel_name="python3")
        assert console.callbacks == {}
        participants = PreheatingProbe()
        kernel_id = await participants.start_kernel(kernel_name="python3")
        await participants.start_kernel(kernel_id=kernel_id)  # an existing kernel asked for again
        assert {event: len(calls) for (_, event), calls in participants.callbacks.items()} == {"restart": 1, "dead": 1}

    run(scenario())


def test_a_templates_static_folders_are_looked_up_once(monkeypatch):
    from workshop.serving import static

    static.template_static_roots.cache_clear()
    asked = []
    real = static.collect_static_paths

    def counting(app_names, template_name):
        asked.append(template_name)
        return real(app_names, template_name)

    monkeypatch.setattr(static, "collect_static_paths", counting)
    try:
        for _ in range(3):
            roots = static.template_static_roots("lab")
        assert asked == ["lab"] and roots
        path = static.TemplateStaticHandler.get_absolute_path("/unused", os.path.join("lab", "static", "index.css"))
        assert os.path.isfile(path) and path.endswith("index.css")
        assert static.TemplateStaticHandler.get_absolute_path("/unused", "lab/static/../../secret").startswith("/unused")
    finally:
        static.template_static_roots.cache_clear()
