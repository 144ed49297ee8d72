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

One private part of Voila is still read here, Voila 0.5's pool (``_pools``): nothing public says which
kernels are warm seats, or takes a dead one out of the pool. tests/unit/test_contracts.py holds it.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterator

from jupyter_core.utils import ensure_async
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from traitlets import Integer

#: how long a lost kernel's restart may take before it is shut down anyway (150 looks, 0.2 s apart)
RESTART_WAIT_STEPS = 150
RESTART_WAIT_S = 0.2


class HoldingSpaceKernelManager(AsyncMappingKernelManager):
    """Jupyter Server's kernel manager, with the kit's clean-up after shutdowns, lost-seat watch and cap."""

    max_participants = Integer(0, config=True, help="Kernels in use at most (0: no cap).")

    def __init__(self, **kwargs) -> None:
        #: kernels whose shutdown has begun and not ended (a websocket closing now must not buffer)
        self._hs_shutting_down: set[str] = set()
        #: kernels whose restarter the lost-seat watch listens to
        self._hs_watched: set[str] = set()
        #: the tasks retiring lost kernels (the loop keeps only a weak reference to a task)
        self._hs_retiring: set[asyncio.Task] = set()
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
        """Live kernels that are not warm seats waiting in the pool."""
        return len(set(self.list_kernel_ids()) - {seat for _, _, seat in self.warm_seats()})

    def room_is_full(self) -> tuple[bool, int]:
        """(is the cap reached, kernels in use); never full without a cap."""
        if not self.max_participants:
            return False, 0
        in_use = self.kernels_in_use()
        return in_use >= self.max_participants, in_use

    # ------------------------------------------------------------------ starting: the lost-seat watch
    async def start_kernel(self, *args, **kwargs) -> str:
        """Start a kernel (Voila's pool starts each warm seat here, through ``super().start_kernel``) and
        watch it when this server keeps warm seats."""
        existing = kwargs.get("kernel_id")
        known = existing is not None and existing in self
        kernel_id = await super().start_kernel(*args, **kwargs)
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
            if restarting:  # the restarter starts the new process just after telling us: let it, then stop it
                kernel = self.get_kernel(kernel_id)
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

    # ------------------------------------------------------------------ shutting down: no orphaned buffers
    async def shutdown_kernel(self, kernel_id: str, *args, **kwargs):
        """Shut a kernel down; a websocket that closes meanwhile does not leave its channels buffering."""
        self._hs_shutting_down.add(kernel_id)
        try:
            return await ensure_async(super().shutdown_kernel(kernel_id, *args, **kwargs))
        finally:
            self._hs_shutting_down.discard(kernel_id)
            self._hs_watched.discard(kernel_id)

    def start_buffering(self, kernel_id: str, session_key: str, channels: dict) -> None:
        """Jupyter Server calls this when a kernel's last websocket closes. For a kernel being shut down
        the buffer would outlive it (the shutdown cleared the buffers already): close it at once."""
        super().start_buffering(kernel_id, session_key, channels)
        if kernel_id in self._hs_shutting_down and kernel_id in self:
            self.stop_buffering(kernel_id)
            self.log.debug("stopped buffering for %s: its kernel is being shut down", session_key)

