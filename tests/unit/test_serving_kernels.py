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
from traitlets import Dict

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
    """As Voila's VoilaKernelManager looks to the kit: a ``_pools`` of futures, ``kernel_pools_config`` and
    ``fill_if_needed``."""

    kernel_pools_config = Dict({"default": {"pool_size": 4, "kernel_env_variables": {}}})

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


def test_a_seat_still_starting_does_not_let_a_newcomer_past_the_cap():
    """Cap 1, the only seat handed out and a replacement starting: is the room full at every step of the
    replacement's start (before its kernel is live, while its start runs, once it waits in the pool)?

    The replacement's pool entry is unfinished from before its kernel exists; counting unfinished
    entries against the live kernels let a second visitor in while it started (CI run of stop 20)."""

    async def scenario():
        manager = PreheatingProbe(max_participants=1)
        await manager.seat()
        manager.hand_out()
        gate = asyncio.Event()
        starting = asyncio.get_running_loop().create_future()  # the replacement's entry, not finished
        manager._pools["app.ipynb"].append(starting)
        assert manager.room_is_full() == (True, 1)  # its kernel not live yet

        real_start = Bookkeeping.start_kernel

        async def slow_start(self, **kwargs):
            kernel_id = await real_start(self, **kwargs)  # listed as live at once, as Jupyter does
            await gate.wait()  # and the start goes on (its kernel's first reply)
            return kernel_id

        Bookkeeping.start_kernel = slow_start
        try:
            replacement = asyncio.create_task(manager.start_kernel(kernel_name="python3"))
            await asyncio.sleep(0)
            assert len(manager.live) == 2 and manager.room_is_full() == (True, 1)  # live, still starting
            gate.set()
            kernel_id = await replacement
        finally:
            Bookkeeping.start_kernel = real_start
        starting.set_result({"kernel_id": kernel_id})
        assert not manager._hs_launching and manager.room_is_full() == (True, 1)  # a warm seat now

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


# ------------------------------------------------------------------ seats that follow demand
class RoomProbe(PreheatingProbe):
    """A preheating probe serving one notebook, whose ``fill_if_needed`` adds seats that start (not done yet)."""

    notebook_path = "app.ipynb"

    def fill_if_needed(self, delay=None, notebook_name=None, **kwargs) -> None:
        pool = self._pools.setdefault(notebook_name, [])
        for _ in range(self.pool_size() - len(pool)):
            pool.append(asyncio.get_running_loop().create_future())

    async def start_all(self) -> list[str]:
        """Every seat's kernel starts (Voila's pool entry is done then); none has built its app yet."""
        started = []
        for entry in self._pools.get("app.ipynb", []):
            if not entry.done():
                entry.set_result({"kernel_id": await self.start_kernel(kernel_name="python3")})
                started.append(entry.result()["kernel_id"])
        return started

    async def warm_all(self) -> None:
        for kernel_id in await self.start_all():
            self.seat_ready(kernel_id)  # its app built: it opened voila/query

    def ready(self) -> int:
        return sum(1 for entry in self._pools.get("app.ipynb", []) if entry.done())


def test_the_room_is_warmed_a_few_seats_at_a_time_up_to_its_size():
    """Auto-sized from the cap (memory allowing); never more than ``concurrent_starts`` starting at once,
    so the first seats are ready first."""

    async def scenario():
        manager = RoomProbe(max_participants=6, room_seats=0, concurrent_starts=2, seat_mib=1)
        assert manager.room_size() == 6
        manager.ramp()
        assert len(manager._pools["app.ipynb"]) == 2 and manager.ready() == 0
        manager.ramp()
        assert len(manager._pools["app.ipynb"]) == 2, "no more than two start at once"
        for _ in range(5):
            await manager.warm_all()
            manager.ramp()
        await manager.warm_all()
        assert manager.ready() == 6 and manager.pool_size() == 6
        manager.ramp()
        assert len(manager._pools["app.ipynb"]) == 6, "never beyond the room's size (the cap)"

    run(scenario())


def test_a_seat_whose_kernel_started_but_whose_app_is_not_built_still_counts_as_warming():
    """Voila's pool entry is done once the kernel has started; the seat is ready only when it opens voila/query."""

    async def scenario():
        manager = RoomProbe(room_seats=6, concurrent_starts=2, seat_mib=1)
        manager.ramp()
        started = await manager.start_all()
        manager.ramp()
        assert len(manager._pools["app.ipynb"]) == 2, "more seats started while two were still building their app"
        manager.seat_ready(started[0])
        manager.ramp()
        assert len(manager._pools["app.ipynb"]) == 3

    run(scenario())


def test_while_a_room_arrives_taken_seats_are_not_replaced_until_it_calms_or_few_are_ready():
    async def scenario():
        manager = RoomProbe(room_seats=5, concurrent_starts=2, calm_seconds=60, seat_mib=1)
        for _ in range(4):
            manager.ramp()
            await manager.warm_all()
        assert manager.ready() == 5
        for _ in range(2):
            manager.seat_taken()  # the handler says so first; then Voila hands out and refills to the size
            manager.hand_out()
            manager.fill_if_needed(notebook_name="app.ipynb")
        assert manager.ready() == 3 and len(manager._pools["app.ipynb"]) == 3, "a taken seat was replaced mid-arrival"
        manager.ramp()
        assert len(manager._pools["app.ipynb"]) == 3, "a seat was warmed while three were ready"
        for _ in range(2):
            manager.seat_taken()
            manager.hand_out()
        manager.ramp()  # one left ready: fewer than two, so warming resumes even while people arrive
        assert len(manager._pools["app.ipynb"]) == 3 and manager.ready() == 1
        manager.calm_seconds = 0
        for _ in range(6):
            manager.ramp()
            await manager.warm_all()
        # the room's five, plus one for each of the four arrivals in the demand window
        assert manager.ready() == 9
        manager._hs_shrink.cancel()

    run(scenario())


def test_the_pool_never_grows_past_the_rooms_cap_or_half_the_free_memory():
    async def scenario():
        capped = RoomProbe(max_participants=5, room_seats=10, seat_mib=1)
        for _ in range(3):
            await capped.start_kernel(kernel_name="python3")  # three participants in the room
        assert capped.seats_wanted() == 2, "only the cap's remaining places are warmed"
        hungry = RoomProbe(room_seats=0, seat_mib=1 << 40)  # a seat "needs" a TiB: memory allows none more
        assert hungry.room_size() == 1 and hungry.seats_wanted() == 1, "at least one seat stays warm"

    run(scenario())


def test_the_demand_window_forgets_old_arrivals_and_a_quiet_spell_frees_the_extra_seats():
    async def scenario():
        manager = RoomProbe(room_seats=4, idle_seconds=0.05, calm_seconds=0, seat_mib=1, concurrent_starts=8)
        for _ in range(2):
            manager.seat_taken()
        assert manager.seats_wanted() == 6
        manager.ramp()
        await manager.warm_all()
        seats = [seat for _n, _i, seat in manager.warm_seats()]
        assert len(seats) == 6
        assert manager.seats_wanted(now=manager._hs_arrivals[-1] + 61) == 4, "a minute on, the arrivals are forgotten"
        await asyncio.sleep(0.2)
        await asyncio.gather(*manager._hs_retiring)
        assert [seat for _n, _i, seat in manager.warm_seats()] == seats[:4]
        assert sorted(manager.shut) == sorted(seats[4:])

    run(scenario())


def test_a_server_without_warm_seats_grows_no_pool():
    async def scenario():
        manager = Probe()
        manager.seat_taken()
        manager.ramp()
        assert not manager._hs_arrivals

    run(scenario())


# ------------------------------------------------------------------ gzip while a room arrives at a fresh server
def test_a_file_asked_for_by_many_at_once_is_compressed_once():
    """The first request for a static file compresses it (and keeps it); requests for the same file
    meanwhile get it uncompressed instead of compressing it again; later ones get the kept bytes."""
    import gzip

    from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine

    from workshop.serving.static import CachedGZip

    body = b"console.log('the same chunk for every phone');\n" * 400
    CachedGZip.kept.clear()
    CachedGZip.compressing.clear()

    def request():
        return CachedGZip(HTTPServerRequest(start_line=RequestStartLine("GET", "/voila/static/1.voila.js", "HTTP/1.1"),
                                            headers=HTTPHeaders({"Accept-Encoding": "gzip", "Host": "127.0.0.1"})))

    def headers():
        return HTTPHeaders({"Etag": '"abc"', "Content-Type": "application/javascript"})

    first, second = request(), request()
    _s, h1, c1 = first.transform_first_chunk(200, headers(), body[:1000], False)
    assert "Content-Encoding" not in h1, "the first answer goes as it is; the file is compressed once, whole, at its end"
    _s, h2, c2 = second.transform_first_chunk(200, headers(), body[:1000], False)
    assert "Content-Encoding" not in h2 and c2 == body[:1000], "a second request compressed the file again"
    assert second.transform_chunk(body[1000:], True) == body[1000:]
    assert c1 + first.transform_chunk(body[1000:], True) == body
    third = request()
    _s, h3, c3 = third.transform_first_chunk(200, headers(), body[:1000], False)
    assert h3["Content-Encoding"] == "gzip" and gzip.decompress(c3) == body and third.transform_chunk(b"x", True) == b""
    assert not CachedGZip.compressing


def test_a_first_request_that_never_finished_does_not_stop_compression_for_good():
    from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine

    from workshop.serving.static import CachedGZip

    CachedGZip.kept.clear()
    CachedGZip.compressing.clear()
    CachedGZip.compressing[("/voila/static/2.voila.js", '"e"')] = 0.0  # began long ago; its phone went away
    later = CachedGZip(HTTPServerRequest(start_line=RequestStartLine("GET", "/voila/static/2.voila.js", "HTTP/1.1"),
                                         headers=HTTPHeaders({"Accept-Encoding": "gzip", "Host": "127.0.0.1"})))
    later.transform_first_chunk(200, HTTPHeaders({"Etag": '"e"', "Content-Type": "application/javascript"}), b"x" * 2000, False)
    later.transform_chunk(b"", True)
    assert ("/voila/static/2.voila.js", '"e"') in CachedGZip.kept, "the later request did not take over compressing it"
    assert not CachedGZip.compressing


@pytest.mark.parametrize("pidfd", [True, False], ids=["pidfd", "psutil"])
def test_a_forked_kernels_handle_sees_it_run_and_exit(monkeypatch, pidfd: bool):
    """``ForkedProcess.poll``: None while the process runs, then its exit, through a pidfd or (on a system
    without one) psutil; the process here is left unreaped, as the template's children are to the server."""
    import signal
    import subprocess
    import sys
    import time

    from workshop.serving.forking import ForkedProcess

    if not pidfd:
        monkeypatch.delattr(os, "pidfd_open", raising=False)
    else:  # as in a full room's server: its descriptors pass select()'s 1,024 (the join storm at 30 found it)
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = 4096 if hard == resource.RLIM_INFINITY else min(hard, 4096)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
        real_open = os.pidfd_open

        def high_pidfd(pid: int, flags: int = 0) -> int:
            low = real_open(pid, flags)
            high = os.dup2(low, 2000)
            os.close(low)
            return high

        monkeypatch.setattr(os, "pidfd_open", high_pidfd)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        handle = ForkedProcess(child.pid)
        assert (handle._fd is not None) == pidfd
        assert not pidfd or handle._fd == 2000
        assert handle.poll() is None and handle.poll() is None
        os.kill(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while handle.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert handle.poll() == 0 and handle._fd is None
        handle.kill()  # an exited kernel is not signalled again (its pid may be another's by now)
    finally:
        child.kill()
        child.wait()
    assert ForkedProcess(child.pid).returncode == -1  # reaped and gone: known as gone at once


def test_a_seats_age_is_measured_from_its_start_to_the_hundredth():
    """``workshop.visit.seat_age`` (the "seat ready … s" figure in the log): a process that sleeps one
    second and then asks is between 1 s and the time its parent saw pass. psutil's start time, used
    before, rests on a boot time in whole seconds and said 0.5 s too much on this machine."""
    import subprocess
    import sys
    import time

    code = "import time; time.sleep(1.0); from workshop.visit import seat_age; print(seat_age())"
    began = time.monotonic()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    elapsed = time.monotonic() - began
    age = float(out.stdout)
    assert 1.0 <= age <= elapsed + 0.02, (age, elapsed)


class FakeChannel:
    """A kernel channel as QuickReadyClient reads it: ``get_msg`` from a queue, Empty after ``timeout``."""

    def __init__(self) -> None:
        self.messages: asyncio.Queue = asyncio.Queue()

    async def get_msg(self, timeout: float | None = None) -> dict:
        import queue

        try:
            return await asyncio.wait_for(self.messages.get(), timeout)
        except TimeoutError:
            raise queue.Empty from None


@pytest.mark.parametrize("welcome", ["none", "late"])
def test_a_seat_is_ready_once_its_kernel_info_is_idle_on_iopub_and_asks_again_when_iopub_missed_it(welcome: str):
    """``QuickReadyClient.wait_for_ready``: the first request's IOPub messages are lost (a new subscription
    may miss them), so it asks again; the second request's reply and idle status end the wait, with a
    stray message before them read through; an older kernel's protocol is adapted to, as jupyter_client does.
    A kernel's welcome that comes just after the idle status (its IOPub thread handled the subscription
    second) still counts; without one, the wait ends a moment after the idle."""
    from workshop.serving.kernels import QuickReadyClient

    class Scripted(QuickReadyClient):
        def __init__(self) -> None:
            super().__init__()
            self._shell, self._iopub, self.asked = FakeChannel(), FakeChannel(), []

        @property
        def shell_channel(self):
            return self._shell

        @property
        def iopub_channel(self):
            return self._iopub

        def kernel_info(self) -> str:
            request = f"request-{len(self.asked)}"
            self.asked.append(request)
            reply = {"msg_type": "kernel_info_reply", "parent_header": {"msg_id": request},
                     "content": {"protocol_version": "4.1"}}
            self._shell.messages.put_nowait(reply)
            if len(self.asked) > 1:  # the first one's IOPub messages went before the subscription
                for state in ("busy", "idle"):
                    self._iopub.messages.put_nowait({"msg_type": "status", "parent_header": {"msg_id": request},
                                                     "content": {"execution_state": state}})
                if welcome == "late":
                    self._iopub.messages.put_nowait({"msg_type": "iopub_welcome", "parent_header": {},
                                                     "content": {"subscription": "holding-space.welcome.x"}})
            return request

        async def is_alive(self) -> bool:
            return True

    async def scenario():
        client = Scripted()
        client._iopub.messages.put_nowait({"msg_type": "stream", "parent_header": {}, "content": {}})
        await client.wait_for_ready(timeout=10)
        assert client.asked == ["request-0", "request-1"]
        assert client._iopub.messages.empty()  # read up to the idle status (and the welcome), nothing left
        assert client.session.adapt_version == 4
        assert client.welcomed is (welcome == "late")

    run(scenario())


def test_a_kernel_that_never_answers_is_reported_within_the_timeout():
    from workshop.serving.kernels import QuickReadyClient

    class Silent(QuickReadyClient):
        shell_channel = iopub_channel = FakeChannel()

        def kernel_info(self) -> str:
            return "unanswered"

        async def is_alive(self) -> bool:
            return True

    with pytest.raises(RuntimeError, match="didn't respond"):
        run(Silent().wait_for_ready(timeout=1.5))


def test_every_kernel_of_the_kits_servers_is_managed_with_the_quick_ready_client():
    """The kit's kernel manager names SeatKernelManager (Jupyter Server's kernel_manager_class setting), whose
    clients (Voila's notebook runner's among them) are QuickReadyClient."""
    from workshop.serving.kernels import QuickReadyClient, SeatKernelManager

    manager = Probe()
    assert manager.kernel_manager_class == "workshop.serving.kernels.SeatKernelManager"
    kernel = SeatKernelManager()
    assert isinstance(kernel.client(), QuickReadyClient)


def test_a_seats_client_starts_no_heartbeat_thread_and_still_knows_the_kernel_is_alive():
    """A real kernel started by the kit's SeatKernelManager: its client (as Voila's notebook runner takes it)
    runs no heartbeat thread, and is_alive still follows the process, through the manager."""
    import asyncio

    from workshop.serving.kernels import SeatKernelManager

    async def run() -> tuple[bool, bool, bool]:
        kernel = SeatKernelManager(kernel_name="python3")
        await kernel.start_kernel()
        client = kernel.client()
        try:
            client.start_channels()
            await client.wait_for_ready(timeout=60)
            beating = client.hb_channel.is_alive()
            alive = await client.is_alive()
        finally:
            client.stop_channels()
            await kernel.shutdown_kernel(now=True)
        return beating, alive, await client.is_alive()

    beating, alive, after = asyncio.run(run())
    assert beating is False, "a heartbeat thread was started"
    assert alive is True and after is False


def test_a_lost_kernel_whose_restart_finishes_after_its_shutdown_is_stopped_again(monkeypatch):
    """Jupyter's restarter can start the new process of a lost seat after the kit shut that kernel down
    (seen once in CI under load): the process then belonged to no one. retire() watches the kernel's own
    manager for a while and stops such a process; the fresh seat is asked for first, without waiting."""
    import asyncio
    import logging

    from workshop.serving import kernels

    monkeypatch.setattr(kernels, "RESTART_WAIT_S", 0.001)
    calls: list[str] = []

    class OwnManager:  # the lost kernel's KernelManager: alive again on the third look
        looks = iter([False, False, True])

        def is_alive(self):
            return next(self.looks, False)

        async def shutdown_kernel(self, now=False):
            calls.append("stopped the late process")

    class Manager:
        log = logging.getLogger("test")
        gone: set = set()

        def get_kernel(self, kernel_id):
            return OwnManager()

        def __contains__(self, kernel_id):
            return kernel_id not in self.gone

        async def shutdown_kernel(self, kernel_id, now=False):
            self.gone.add(kernel_id)
            calls.append("shut down")

        def fill_if_needed(self, delay, notebook_name):
            calls.append(f"fresh seat for {notebook_name}")

    asyncio.run(kernels.HoldingSpaceKernelManager.retire(Manager(), "k", False, "app.ipynb"))
    assert calls == ["shut down", "fresh seat for app.ipynb", "stopped the late process"]


# ------------------------------------------------------------------ the activity watch
class WatchedKernel:
    """What a kernel's activity watch reads of it: its session (key), execution state, its iopub stream."""

    def __init__(self, key: bytes) -> None:
        from jupyter_client.session import Session

        self.session = Session(key=key)
        self.execution_state = "starting"
        self.last_activity = None
        self.reason = None
        self.stream = Stream()

    def connect_iopub(self) -> Stream:
        return self.stream


def watch_both(key: bytes = b"secret-key"):
    """Jupyter Server's own watch and the kit's, each on a kernel of its own; returns (upstream, kit)."""
    from jupyter_server.services.kernels.kernelmanager import MappingKernelManager

    pairs = []
    for start in (MappingKernelManager.start_watching_activity, HoldingSpaceKernelManager.start_watching_activity):
        manager = AsyncMappingKernelManager()
        kernel = WatchedKernel(key)
        manager._kernels["k"] = kernel
        start(manager, "k")
        pairs.append((manager, kernel))
    return pairs


def published(session, msg_type: str, content: dict, parent_type: str | None) -> list[bytes]:
    parent = session.msg(parent_type, {}) if parent_type else {}
    return session.serialize(session.msg(msg_type, content, parent=parent))


SEQUENCE = [  # (msg_type, content, parent's msg_type)
    ("status", {"execution_state": "starting"}, None),
    ("status", {"execution_state": "busy"}, "kernel_info_request"),
    ("status", {"execution_state": "idle"}, "kernel_info_request"),
    ("status", {"execution_state": "busy"}, "execute_request"),
    ("stream", {"name": "stdout", "text": "hello"}, "execute_request"),
    ("comm_open", {"comm_id": "c", "target_name": "jupyter.widget", "data": {"state": {"x": 1}}}, "execute_request"),
    ("status", {"execution_state": "idle"}, "execute_request"),
    ("status", {"execution_state": "busy"}, "comm_msg"),
    ("comm_msg", {"comm_id": "c", "data": {"method": "update", "state": {"x": 2}}}, "comm_msg"),
    ("status", {"execution_state": "idle"}, "comm_msg"),
    ("status", {"execution_state": "busy"}, "comm_info_request"),
    ("status", {"execution_state": "idle"}, "comm_info_request"),
]


def test_the_kits_activity_watch_decides_as_jupyter_servers_on_every_message():
    """The same execution state after every message, and activity recorded on the same messages."""
    (up_manager, upstream), (kit_manager, kit) = watch_both()
    for msg_type, content, parent_type in SEQUENCE:
        frames = published(upstream.session, msg_type, content, parent_type)
        before = (upstream.last_activity, kit.last_activity)
        upstream.stream.receiver(list(frames))
        kit.stream.receiver(list(frames))
        assert kit.execution_state == upstream.execution_state, (msg_type, parent_type)
        moved = (upstream.last_activity != before[0], kit.last_activity != before[1])
        assert moved[0] == moved[1], f"activity recorded differently on {msg_type} (parent {parent_type})"
    assert kit.execution_state == "idle" and kit.last_activity is not None
    assert kit_manager.last_kernel_activity >= up_manager.last_kernel_activity.replace(microsecond=0)


def test_the_kits_activity_watch_ignores_a_message_whose_signature_is_wrong():
    (_, upstream), (_, kit) = watch_both()
    forged = published(__import__("jupyter_client.session").session.Session(key=b"another key"),
                       "status", {"execution_state": "busy"}, "execute_request")
    with pytest.raises(ValueError):  # Jupyter Server's refuses it too (as an exception in the stream's callback)
        upstream.stream.receiver(list(forged))
    kit.stream.receiver(list(forged))
    assert kit.execution_state == "starting" and kit.last_activity is not None  # unchanged since the watch began
