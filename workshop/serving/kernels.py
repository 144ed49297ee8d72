"""The kit's kernel manager: Jupyter Server's, with the clean-up, the lost-seat watch and the room's cap.

``HoldingSpaceVoila`` hands :class:`HoldingSpaceKernelManager` to Voila as
``VoilaConfiguration.multi_kernel_manager_class``. Voila builds its own manager on top of it
(``voila_kernel_manager_factory(base, preheat_kernel, pool_size)``: with warm seats, the
``VoilaKernelManager`` that keeps the pool; without, a thin ``NormalKernelManager``), so the methods
below run under Voila's through ``super()``: every kernel Voila starts, warm seat or not, goes through
:meth:`start_kernel`, and every shutdown (the tab's beacon, the culler, the away reaper, a lost seat)
through :meth:`shutdown_kernel`. Its settings are traitlets: ``--HoldingSpaceKernelManager.max_participants``.

- **A tab closing during its beacon.** Voila's beacon shuts the kernel down while the tab's websocket
  is still closing; Jupyter Server then starts buffering the kernel's messages for a reconnect *after*
  the shutdown cleared its buffers, and those four ZMQ channels (four file descriptors and their
  buffers) were never closed: the soak's server grew by about 2.8 descriptors a join. Buffering that
  begins for a kernel being shut down is now stopped at once (``stop_buffering``, which closes them).
  Reported upstream: docs/upstream.md.
- **A lost seat.** A warm seat whose kernel dies before anyone takes it (the out-of-memory killer, a
  stray ``kill``) is restarted empty by Jupyter's restarter, and Voila would still hand it out: the
  participant saw "model not found" and "an exception occurred at the server". Such a seat now leaves
  the pool at once and a fresh one is warmed in its place. A participant's kernel that died is shut
  down too: their page already asks them to reload (which brings a new kernel), and the empty one
  would have counted towards the room's cap until culled, 15 minutes later. Only a server with warm
  seats watches (the console's kernel is left to the restarter, as Jupyter does).
- **The room's cap.** ``max_participants`` caps the kernels in use (every kernel but the warm seats);
  the page handler asks :meth:`room_is_full` before Voila hands out a seat.
- **A seat ready sooner.** Each kernel's manager is a :class:`SeatKernelManager` (Jupyter Server's
  ``kernel_manager_class`` setting), whose clients are :class:`QuickReadyClient`: Voila's notebook
  runner waited for every new kernel at least 0.2 s longer than it needed (see there).

One private part of Voila is still read here, Voila 0.5's pool (``_pools``): nothing public says which
kernels are warm seats, or takes a dead one out of the pool. tests/unit/test_contracts.py holds it.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import logging
import os
import queue
import time
import uuid
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime

import jupyter_client
import psutil
import zmq
import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.session import Session
from jupyter_core.utils import ensure_async
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager, ServerKernelManager
from traitlets import Float, Integer, default

MIB = 2**20
#: of the memory free when a seat is added, the share warm seats may take
MEMORY_SHARE = 0.5
#: a seat counts as warming at most this long after its kernel was asked for (its app may never say it is ready)
WARMING_AT_MOST_S = 60.0
#: warm seats for the room when there is no cap (the kit's cap is 60; see ServerSettings.max_participants)
AUTO_SEATS_WITHOUT_CAP = 60
#: how long a lost kernel's restart may take before it is shut down anyway (150 looks, 0.2 s apart)
RESTART_WAIT_STEPS = 150
RESTART_WAIT_S = 0.2
#: how long a retired kernel's manager is watched for a restart that finished after the shutdown
AFTER_RETIRE_WATCH_S = 10.0


#: how long a kernel_info request's idle status may take on IOPub before the request is sent again
#: (a new client's IOPub subscription may miss the first; jupyter_client waits as long)
IOPUB_PROOF_S = 0.2
#: how long a seat's readiness client still listens for the kernel's welcome once its request's idle came
LATE_WELCOME_S = 0.1
#: how long a participant's connection waits for its kernel's welcome before nudging it as Jupyter Server does
WELCOME_WAIT_S = 2.0
#: the IOPub topics the kit subscribes to, one per connection, for the kernel's welcome (none is ever published)
WELCOME_TOPIC = b"holding-space.welcome."


def welcome_topic() -> bytes:
    """A topic no kernel publishes on and no other subscriber has: the kernel sees its subscription."""
    return WELCOME_TOPIC + uuid.uuid4().hex.encode()


def utcnow() -> datetime:
    """Now, in UTC with its zone (as Jupyter Server stamps a kernel's activity)."""
    return datetime.now(UTC)


def activity_recorder(manager, kernel, kernel_id: str, session: Session):
    """The callback of :meth:`HoldingSpaceKernelManager.start_watching_activity` for one kernel."""
    track = manager.track_message_type
    debug = manager.log.isEnabledFor(logging.DEBUG)

    def record_activity(msg_list: list) -> None:
        _idents, parts = session.feed_identities(msg_list)
        if len(parts) < 5:
            return
        if session.auth is not None and not hmac.compare_digest(bytes(parts[0]), session.sign(parts[1:5])):
            manager.log.warning("a message from kernel %s failed its signature check and was not counted", kernel_id)
            return
        header = json.loads(bytes(parts[1]))
        parent = json.loads(bytes(parts[2]))
        msg_type = header.get("msg_type")
        parent_msg_type = parent.get("msg_type") if isinstance(parent, dict) else None
        if track(msg_type) or track(parent_msg_type) or kernel.execution_state == "busy":
            manager.last_kernel_activity = kernel.last_activity = utcnow()
        if msg_type == "status":
            execution_state = json.loads(bytes(parts[4]))["execution_state"]
            if track(parent_msg_type):
                kernel.execution_state = execution_state
            elif kernel.execution_state == "starting" and execution_state != "starting":
                kernel.execution_state = "idle"  # as Jupyter Server: after starting, idle unless tracked
        if debug:
            manager.log.debug("activity on %s: %s (%s)", kernel_id, msg_type, kernel.execution_state)

    return record_activity


class QuickReadyClient(AsyncKernelClient):
    """Jupyter's asynchronous kernel client, whose :meth:`wait_for_ready` ends as soon as the kernel is
    known to be ready on both channels.

    jupyter_client's own, after the ``kernel_info`` reply, takes one IOPub message as the proof that
    IOPub is connected, then reads IOPub until it has been quiet for 0.2 s: every seat (Voila's
    notebook runner calls it for each) waited those 0.2 s, a quarter of a seat's warm-up. Here the
    proof is the ``idle`` status of that very request on IOPub: once it arrived, the request's IOPub
    messages have all been read (the kernel publishes ``idle`` last), and nothing else has run in the
    kernel. Without it within ``IOPUB_PROOF_S`` the request is sent again, as jupyter_client does.
    """

    #: set once an ``iopub_welcome`` for this client's own topic came (see :class:`WelcomingConnection`)
    welcomed = False

    def _context_default(self) -> zmq.asyncio.Context:
        """The ZMQ context of the kernel's manager: the server's one, which Jupyter shares among all its
        kernels. jupyter_client gives each client a context of its own, and a context is two threads:
        with 60 warm seats the server ran 122 of them, and each join destroyed one pair (the client's
        channels close at the join; the shared context stays, as the manager's owner keeps it)."""
        shared = getattr(self.parent, "context", None)
        if isinstance(shared, zmq.asyncio.Context) and not shared.closed:
            return shared
        return super()._context_default()

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            request = self.kernel_info()
            reply = await self._reply_to(request, deadline)
            if reply is not None and await self._idle_after(request):
                version = int(reply["content"].get("protocol_version", "5").split(".")[0])
                if version != jupyter_client.protocol_version_info[0]:
                    self.session.adapt_version = version  # as jupyter_client does for an older kernel
                if not self.welcomed:
                    await self._late_welcome()
                self._tell_manager(reply["content"])
                return
            if not await ensure_async(self.is_alive()):
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    def start_channels(self, shell: bool = True, iopub: bool = True, stdin: bool = True, hb: bool = True,
                       control: bool = True) -> None:
        """jupyter_client's, without the heartbeat when the client has its kernel's manager.

        The heartbeat is a thread per client pinging its kernel every second; it answers only
        :meth:`is_alive`, which asks the kernel's manager instead whenever there is one (always here:
        Voila's notebook runner takes its client from the seat's manager). With a room of warm seats
        those threads were a sixth of the idle server's CPU, and a thread each."""
        from jupyter_client.manager import KernelManager

        hb = hb and not isinstance(self.parent, KernelManager)
        super().start_channels(shell=shell, iopub=iopub, stdin=stdin, hb=hb, control=control)
        if iopub:  # a topic of its own: a kernel that welcomes subscribers (JEP 65) says so at once
            self.iopub_channel.socket.setsockopt(zmq.SUBSCRIBE, welcome_topic())

    def _tell_manager(self, info: dict) -> None:
        """Leave what the readiness proof learnt on the kernel's manager, for :class:`WelcomingConnection`:
        the ``kernel_info`` reply, and whether the kernel welcomed this client's IOPub subscription."""
        from jupyter_client.manager import KernelManager

        if isinstance(self.parent, KernelManager):
            self.parent.ready_kernel_info = info
            self.parent.welcomes_subscribers = self.welcomed

    async def _reply_to(self, request: str, deadline: float) -> dict | None:
        """The ``kernel_info_reply`` to ``request`` on the shell channel, or None after a second."""
        ends = min(time.monotonic() + 1.0, deadline)
        while (left := ends - time.monotonic()) > 0:
            try:
                msg = await self.shell_channel.get_msg(timeout=left)
            except queue.Empty:
                return None
            if msg["msg_type"] == "kernel_info_reply" and msg["parent_header"].get("msg_id") == request:
                return msg
        return None

    async def _late_welcome(self) -> None:
        """Read IOPub a moment longer for the welcome: the kernel's IOPub thread may send the request's idle
        status before it handles this client's subscription (both wait on its loop), and a seat not
        known to welcome costs every join Jupyter Server's nudge. Nothing else runs in the kernel now."""
        ends = time.monotonic() + LATE_WELCOME_S
        while not self.welcomed and (left := ends - time.monotonic()) > 0:
            try:
                msg = await self.iopub_channel.get_msg(timeout=left)
            except queue.Empty:
                return
            self.welcomed = msg["msg_type"] == "iopub_welcome"

    async def _idle_after(self, request: str) -> bool:
        """Has ``request``'s ``idle`` status come on IOPub (reading everything before it)?"""
        ends = time.monotonic() + IOPUB_PROOF_S
        while (left := ends - time.monotonic()) > 0:
            try:
                msg = await self.iopub_channel.get_msg(timeout=left)
            except queue.Empty:
                return False
            if msg["msg_type"] == "iopub_welcome":
                self.welcomed = True
            elif (msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle"
                    and msg["parent_header"].get("msg_id") == request):
                return True
        return False


class SeatKernelManager(ServerKernelManager):
    """Jupyter Server's manager of one kernel, whose clients are :class:`QuickReadyClient`."""

    #: the ``kernel_info`` reply that proved the kernel ready (:meth:`QuickReadyClient.wait_for_ready`)
    ready_kernel_info: dict | None = None
    #: did the kernel welcome that client's IOPub subscription (an XPUB socket, JEP 65: ipykernel 7)?
    welcomes_subscribers = False

    @default("client_class")
    def _default_client_class(self) -> str:
        return f"{QuickReadyClient.__module__}.{QuickReadyClient.__qualname__}"

    @default("client_factory")
    def _default_client_factory(self) -> type:
        return QuickReadyClient


class WelcomingConnection(ZMQChannelsWebsocketConnection):
    """Jupyter Server's connection of a page's websocket to its kernel, without the requests a warm seat
    needs no more (``Voila.kernel_websocket_connection_class``, Jupyter Server's setting for this class).

    Jupyter Server opens every connection with a ``kernel_info`` request on a channel of its own (once per
    kernel; for a seat, that is every participant), then *nudges* the kernel: two more channels, a
    ``kernel_info`` request on each every half second until a reply and one IOPub message have come, the
    proof that the new IOPub subscription is live. Each costs the kernel a reply and two status
    messages, and the page then received the status messages of requests it never sent.

    - **The kernel's info** is the reply that proved the seat ready (``SeatKernelManager.ready_kernel_info``);
      an older protocol is adapted to as Jupyter Server does.
    - **The proof** is the kernel's ``iopub_welcome`` (JEP 65: a kernel whose IOPub is an XPUB socket greets
      each new subscription; ipykernel 7 does). The connection's IOPub subscribes to a topic of its own
      besides everything, since the socket passes on only the first subscription to a topic: the welcome
      to that topic comes once the subscription is in place, and the kernel asked nothing.
    - **Fallback:** a kernel not known to welcome (its readiness client saw no welcome), a connection
      restored from Jupyter Server's buffer (its channels subscribed long ago), or no welcome within
      ``WELCOME_WAIT_S``: Jupyter Server's own nudge.

    Upstream's own handling of the welcome is jupyter-server/jupyter_server#1582 (open).
    """

    def request_kernel_info(self):
        info = getattr(self.kernel_manager, "ready_kernel_info", None)
        if not info:
            return super().request_kernel_info()
        version = info.get("protocol_version", jupyter_client.protocol_version)
        if version != jupyter_client.protocol_version:
            self.session.adapt_version = int(version.split(".")[0])
        known = asyncio.get_running_loop().create_future()
        known.set_result(info)
        return known

    #: the IOPub stream that subscribed to a topic of its own, whose welcome ends the nudge (None: channels
    #: restored from Jupyter Server's buffer, or a kernel not known to welcome)
    _greeted_iopub = None

    def create_stream(self) -> None:
        super().create_stream()
        self._greeted_iopub = None
        if getattr(self.kernel_manager, "welcomes_subscribers", False):
            iopub = self.channels["iopub"]
            iopub.socket.setsockopt(zmq.SUBSCRIBE, welcome_topic())
            self._greeted_iopub = iopub

    def nudge(self) -> asyncio.Future:
        iopub = self.channels.get("iopub")
        if iopub is None or iopub is not self._greeted_iopub:
            return super().nudge()
        return asyncio.ensure_future(self._welcome(iopub))

    async def _welcome(self, iopub) -> None:
        """Wait for the first IOPub message on the new subscription (the welcome, or anything the kernel
        published after it); without one within ``WELCOME_WAIT_S``, nudge as Jupyter Server does."""
        arrived = asyncio.get_running_loop().create_future()

        def on_iopub(_msg: list) -> None:
            if not arrived.done():
                iopub.stop_on_recv()  # what comes next waits in the socket for the page's subscription
                arrived.set_result(None)

        iopub.on_recv(on_iopub)
        try:
            await asyncio.wait_for(asyncio.shield(arrived), WELCOME_WAIT_S)
        except TimeoutError:
            if not iopub.closed():
                iopub.stop_on_recv()
            self.log.warning("kernel %s sent no IOPub welcome within %s s: nudging it", self.kernel_id, WELCOME_WAIT_S)
            await super().nudge()


class HoldingSpaceKernelManager(AsyncMappingKernelManager):
    """Jupyter Server's kernel manager, with the kit's clean-up after shutdowns, lost-seat watch and cap."""

    @default("kernel_manager_class")
    def _default_kernel_manager_class(self) -> str:
        return f"{SeatKernelManager.__module__}.{SeatKernelManager.__qualname__}"

    max_participants = Integer(0, config=True, help="Kernels in use at most (0: no cap).")
    room_seats = Integer(
        0, config=True,
        help="Warm seats kept while the room is calm (0: as many as the cap and half the free memory allow).")
    concurrent_starts = Integer(
        max(os.cpu_count() or 2, 2), config=True, help="Seats warming at once, at most (default: the processors).")
    # ten seconds: a room arriving together comes within a few seconds, and one participant's page has
    # drawn and answered its first clicks by then (warming a seat at once cost a lone participant
    # 0.5 s of time-to-interactive and 24 ms of Next p50 on two cores)
    calm_seconds = Float(
        10.0, config=True, help="While participants arrived within this many seconds, no seat is warmed unless few are ready.")
    demand_window_seconds = Float(
        60.0, config=True, help="Arrivals within this many seconds each add a warm seat to the room's size.")
    idle_seconds = Float(
        300.0, config=True, help="After this long with no arrival, warm seats beyond the room's size are freed.")
    seat_mib = Float(
        45.0, config=True,
        help="Memory a warm seat is counted at, in MiB (a forked seat measured 31-35 MiB PSS; an ordinary one 53).")

    memory_share = Float(
        MEMORY_SHARE, config=True,
        help="Share of the free memory this server's warm seats may take (online, each of N replicas takes 1/N of it).")

    def __init__(self, **kwargs) -> None:
        #: kernels whose shutdown has begun and not ended (a websocket closing now must not buffer)
        self._hs_shutting_down: set[str] = set()
        #: kernels whose restarter the lost-seat watch listens to
        self._hs_watched: set[str] = set()
        #: the tasks retiring lost kernels (the loop keeps only a weak reference to a task)
        self._hs_retiring: set[asyncio.Task] = set()
        #: when participants arrived (monotonic), within the demand window
        self._hs_arrivals: deque[float] = deque()
        #: kernels whose start has not returned yet (live already, and no one's)
        self._hs_launching: set[str] = set()
        #: kernel id -> when it was asked for (monotonic), until its seat is ready
        self._hs_started: dict[str, float] = {}
        #: kernels whose seat said it is ready (see seat_ready)
        self._hs_ready: set[str] = set()
        #: the warm seats kept while the room is calm (``room_seats``, or worked out at the first look)
        self._hs_room: int | None = None
        self._hs_shrink: asyncio.TimerHandle | None = None
        super().__init__(**kwargs)  # Voila's pool starts its first seats in here

    # ------------------------------------------------------------------ warm seats and the cap
    @property
    def preheats(self) -> bool:
        """Does Voila keep warm seats here (``VoilaKernelManager``, not the console's plain manager)?"""
        return callable(getattr(self, "fill_if_needed", None))

    def warm_seats(self) -> Iterator[tuple[str, int, str]]:
        """(notebook, index in its pool, kernel id) of each seat warm and waiting in Voila 0.5's ``_pools``."""
        for notebook, pool in dict(getattr(self, "_pools", None) or {}).items():
            for index, entry in enumerate(pool):
                if entry.done() and not entry.cancelled() and entry.exception() is None:
                    yield notebook, index, entry.result().get("kernel_id")

    def warm_seat(self, kernel_id: str) -> tuple[str, int] | None:
        """(notebook, index) of ``kernel_id``'s warm seat, or None once it was handed out (or never was one)."""
        return next(((notebook, index) for notebook, index, seat in self.warm_seats() if seat == kernel_id), None)

    def is_warm_seat(self, kernel_id: str) -> bool:
        return self.warm_seat(kernel_id) is not None

    def kernels_in_use(self) -> int:
        """Live kernels that are neither warm seats waiting in the pool nor still starting.

        A kernel is listed as live before its start returns (Jupyter registers it first), and a pool
        entry is done as soon as its kernel's start returns; so the kernels still inside
        :meth:`start_kernel` are the ones of unfinished entries that are live already. Counting the
        unfinished entries instead would also subtract one whose kernel is not live yet, and let a
        newcomer past the cap while a seat starts."""
        live = set(self.list_kernel_ids()) - {seat for _, _, seat in self.warm_seats()} - self._hs_launching
        return len(live)

    def room_is_full(self) -> tuple[bool, int]:
        """(is the cap reached, kernels in use); never full without a cap."""
        if not self.max_participants:
            return False, 0
        in_use = self.kernels_in_use()
        return in_use >= self.max_participants, in_use

    # ------------------------------------------------------------------ seats that follow demand
    def pool_size(self) -> int:
        """The size Voila keeps its pool at now (``kernel_pools_config``, Voila's public setting): Voila
        refills up to it after each hand-out."""
        return int(self.kernel_pools_config.get("default", {}).get("pool_size", 0))

    def _set_pool_size(self, size: int) -> None:
        config = dict(self.kernel_pools_config)
        config["default"] = {**config.get("default", {}), "pool_size": size}
        self.kernel_pools_config = config

    def _pool(self) -> list:
        return (getattr(self, "_pools", None) or {}).get(getattr(self, "notebook_path", None), [])

    def room_size(self) -> int:
        """The warm seats kept while the room is calm: ``room_seats``, or when 0 (auto) as many as the
        room's cap and half the memory free at the first look allow."""
        if self._hs_room is None:
            if self.room_seats:
                self._hs_room = self.room_seats
                self.log.info("warm seats for the room: %s", self._hs_room)
            else:
                by_memory = int(psutil.virtual_memory().available * self.memory_share / (self.seat_mib * MIB))
                self._hs_room = max(min(self.max_participants or AUTO_SEATS_WITHOUT_CAP, by_memory), 1)
                self.log.info("warm seats for the room: %s (the room's cap %s; memory for %s)",
                              self._hs_room, self.max_participants or "none", by_memory)
        return self._hs_room

    def seats_wanted(self, now: float | None = None) -> int:
        """The room's warm seats plus one per arrival in the demand window; never more than the room's
        cap leaves, nor than half the memory free now allows."""
        now = time.monotonic() if now is None else now
        while self._hs_arrivals and now - self._hs_arrivals[0] > self.demand_window_seconds:
            self._hs_arrivals.popleft()
        wanted = self.room_size() + len(self._hs_arrivals)
        warm = sum(1 for _ in self.warm_seats())
        limits = [warm + int(psutil.virtual_memory().available * self.memory_share / (self.seat_mib * MIB))]
        if self.max_participants:
            limits.append(max(self.max_participants - self.kernels_in_use(), 0))
        return max(min(wanted, *limits), 1)

    def seat_taken(self) -> None:
        """A participant is about to be given a seat (the page handler says so before Voila hands one
        out). Voila would start a replacement at once; while a room is arriving that replacement only
        slows the hand-outs, so the pool's size is lowered to what will be left, and :meth:`ramp`
        warms seats again once the arrivals calm down (or the ready seats run low)."""
        if not self.preheats:
            return
        self._hs_arrivals.append(time.monotonic())
        self._set_pool_size(max(len(self._pool()) - 1, 0))
        if self._hs_shrink is not None:
            self._hs_shrink.cancel()
        self._hs_shrink = asyncio.get_running_loop().call_later(self.idle_seconds, self.shrink_if_idle)

    def seat_ready(self, kernel_id: str) -> None:
        """A seat's app is built and it waits for its visitor (it opened Voila's ``voila/query`` socket)."""
        started = self._hs_started.pop(kernel_id, None)
        self._hs_ready.add(kernel_id)
        if started is not None:
            self.log.debug("seat %s ready %.2f s after its kernel was asked for", kernel_id, time.monotonic() - started)

    def _warming(self, entry) -> bool:
        """Is this pool entry a seat still warming: its kernel starting, or started and its app not yet
        built (for at most WARMING_AT_MOST_S: a seat that never says so does not hold a place for good)?"""
        if not entry.done():
            return True
        if entry.cancelled() or entry.exception() is not None:
            return False
        kernel_id = entry.result().get("kernel_id")
        if kernel_id in self._hs_ready:
            return False
        began = self._hs_started.get(kernel_id)
        return began is not None and time.monotonic() - began < WARMING_AT_MOST_S

    def ramp(self) -> None:
        """Called every quarter second: grow the pool towards :meth:`seats_wanted`, at most
        ``concurrent_starts`` seats warming at once (so the first are ready first), and not while a
        room is arriving unless fewer than ``concurrent_starts`` seats are ready."""
        if not self.preheats or getattr(self, "notebook_path", None) is None:
            return
        pool = self._pool()
        starting = sum(1 for entry in pool if self._warming(entry))
        ready = len(pool) - starting
        now = time.monotonic()
        arriving = bool(self._hs_arrivals) and now - self._hs_arrivals[-1] < self.calm_seconds
        if arriving and ready >= self.concurrent_starts:
            return
        target = self.seats_wanted(now)
        room = self.concurrent_starts - starting
        if len(pool) >= target or room <= 0:
            if self.pool_size() != len(pool):
                self._set_pool_size(len(pool))  # nothing more to start; Voila's refill starts nothing either
            return
        self._set_pool_size(min(target, len(pool) + room))
        self.fill_if_needed(delay=0, notebook_name=self.notebook_path)

    def shrink_if_idle(self) -> None:
        """No one arrived for ``idle_seconds``: the demand window is forgotten, and warm seats beyond the
        room's size are freed."""
        self._hs_shrink = None
        self._hs_arrivals.clear()
        keep = self.seats_wanted()
        extra = [seat for _notebook, _index, seat in self.warm_seats()][keep:]
        if not extra:
            return
        for notebook, pool in dict(getattr(self, "_pools", None) or {}).items():
            self._pools[notebook] = [entry for entry in pool if not (
                entry.done() and not entry.cancelled() and entry.exception() is None
                and entry.result().get("kernel_id") in extra)]
        self._set_pool_size(len(self._pool()))
        self.log.info("no one arrived for %.0f s: %s warm seats freed", self.idle_seconds, len(extra))
        for kernel_id in extra:
            task = asyncio.get_running_loop().create_task(self.retire(kernel_id, False, None))
            self._hs_retiring.add(task)
            task.add_done_callback(self._hs_retiring.discard)

    # ------------------------------------------------------------------ starting: the lost-seat watch
    async def start_kernel(self, *args, **kwargs) -> str:
        """Start a kernel (Voila's pool starts each warm seat here, through ``super().start_kernel``) and
        watch it when this server keeps warm seats."""
        existing = kwargs.get("kernel_id")
        known = existing is not None and existing in self
        asked = time.monotonic()
        if not known:  # its id is chosen here, so the cap knows it is starting (see kernels_in_use)
            kwargs["kernel_id"] = existing or str(uuid.uuid4())
            self._hs_launching.add(kwargs["kernel_id"])
        try:
            kernel_id = await super().start_kernel(*args, **kwargs)
        finally:
            self._hs_launching.discard(kwargs.get("kernel_id"))
        if not known:
            self._hs_started[kernel_id] = asked
        if self.preheats and not known:
            self.watch(kernel_id)
        return kernel_id

    def watch(self, kernel_id: str) -> None:
        """Hear when ``kernel_id`` dies: the restarter's "restart" (it will come back empty) or "dead"."""
        if kernel_id in self._hs_watched:
            return
        self._hs_watched.add(kernel_id)
        for event in ("restart", "dead"):
            self.add_restart_callback(kernel_id, functools.partial(self.kernel_lost, kernel_id, event), event)

    def kernel_lost(self, kernel_id: str, event: str) -> None:
        """A watched kernel died. A warm seat leaves the pool at once (no newcomer is given it) and is
        replaced; a participant's is shut down (their page says to reload)."""
        found = self.warm_seat(kernel_id)
        if found is None:
            # a participant's: their page says to reload, which gives them a new kernel; this one
            # came back empty and would only count towards the room's cap until culled
            self.log.warning("a participant's kernel stopped; their page asks them to reload")
            refill = None
        else:
            refill, index = found
            self._pools[refill].pop(index)  # at once, so no newcomer is given it meanwhile
            self.log.warning("a warm seat's kernel stopped before anyone took it; warming a fresh one")
        task = asyncio.get_running_loop().create_task(self.retire(kernel_id, event == "restart", refill))
        self._hs_retiring.add(task)
        task.add_done_callback(self._hs_retiring.discard)

    async def retire(self, kernel_id: str, restarting: bool, refill: str | None) -> None:
        """Shut down a kernel that lost its state; warm a fresh seat for ``refill``'s pool if given."""
        try:
            kernel = self.get_kernel(kernel_id)
        except Exception:  # no manager for it any more
            kernel = None
        try:
            if restarting and kernel is not None:  # the restarter starts the new process just after telling us: let it, then stop it
                for _ in range(RESTART_WAIT_STEPS):
                    await asyncio.sleep(RESTART_WAIT_S)
                    if await ensure_async(kernel.is_alive()):
                        break
            if kernel_id in self:
                await ensure_async(self.shutdown_kernel(kernel_id, now=True))
        except Exception:  # already gone: nothing to free
            self.log.debug("the lost kernel %s was already gone", kernel_id, exc_info=True)
        if refill is not None:
            self.fill_if_needed(delay=0, notebook_name=refill)
        # a restart still under way when it was shut down can start its process afterwards (seen once in
        # CI, under load): that process would belong to no one and live on. Stop it if it comes.
        for _ in range(int(AFTER_RETIRE_WATCH_S / RESTART_WAIT_S)):
            if kernel is None:
                break
            await asyncio.sleep(RESTART_WAIT_S)
            try:
                if await ensure_async(kernel.is_alive()):
                    self.log.warning("the lost kernel %s came back after its shutdown; stopping it", kernel_id)
                    await ensure_async(kernel.shutdown_kernel(now=True))
                    break
            except Exception:  # gone for good: nothing left to stop
                break

    # ------------------------------------------------------------------ shutting down: no orphaned buffers
    async def shutdown_kernel(self, kernel_id: str, *args, **kwargs):
        """Shut a kernel down; a websocket that closes meanwhile does not leave its channels buffering."""
        self._hs_shutting_down.add(kernel_id)
        try:
            return await ensure_async(super().shutdown_kernel(kernel_id, *args, **kwargs))
        finally:
            self._hs_shutting_down.discard(kernel_id)
            self._hs_watched.discard(kernel_id)
            self._hs_ready.discard(kernel_id)
            self._hs_started.pop(kernel_id, None)

    def start_watching_activity(self, kernel_id: str) -> None:
        """Jupyter Server's watch on a kernel's activity (``last_activity``, ``execution_state``: what the
        culler and the kernels API read), the same decisions made from less of each message.

        Jupyter Server's watch decodes every message a kernel publishes into a full message: its
        signature checked, header, parent header and metadata parsed, and every date in them parsed by
        dateutil. Of that it reads two message types and, for a status message, its state: a fifth of
        the server's CPU while a seat was warming. Here the signature is checked as before (a message
        that fails it is ignored, as one the session would refuse), the two headers are read with
        ``json.loads`` alone and a status message's content too. ``kernel._activity_stream`` is where
        ``stop_watching_activity`` (Jupyter Server's, unchanged) finds the stream to close.
        tests/unit/test_contracts.py holds the upstream method this replaces to the copy it was made
        from; tests/unit/test_serving_kernels.py compares the two on the same messages."""
        kernel = self.get_kernel(kernel_id)
        kernel.reason = ""
        kernel.last_activity = utcnow()
        kernel._activity_stream = kernel.connect_iopub()
        session = Session(config=kernel.session.config, key=kernel.session.key)
        kernel._activity_stream.on_recv(activity_recorder(self, kernel, kernel_id, session))

    def start_buffering(self, kernel_id: str, session_key: str, channels: dict) -> None:
        """Jupyter Server calls this when a kernel's last websocket closes. For a kernel being shut down
        the buffer would outlive it (the shutdown cleared the buffers already): close it at once."""
        super().start_buffering(kernel_id, session_key, channels)
        if kernel_id in self._hs_shutting_down and kernel_id in self:
            self.stop_buffering(kernel_id)
            self.log.debug("stopped buffering for %s: its kernel is being shut down", session_key)

