"""The kit's Voila: Voila's own application, plus gzip and a cap on participants.

- Voila applies ``tornado_settings`` after it has built its Tornado application, too late for
  ``compress_response`` (Tornado adds the gzip transform while building the application); this
  subclass adds the transform itself.
- The page's static assets (about 100 files, 5 MB before compression) are the same for every
  phone, so each is compressed once, at gzip's best level, and served from memory after that;
  gzip on every request was about half of the server's work when a room joined at once.
- Voila looks for its template's static folders on disk at every request; they do not change
  while the server runs, so the answer is kept (a seventh of the server's work at a join).
- When a tab closes, Voila's beacon shuts the kernel down while its websocket is still closing;
  Jupyter Server then starts buffering the kernel's messages for a reconnect *after* the shutdown
  cleared its buffers, and those four ZMQ channels (four file descriptors and their buffers) were
  never closed: the soak's server grew by about 2.8 descriptors a join. Each shutdown now ends by
  closing the buffers of kernels that no longer exist.
- A warm seat whose kernel dies before anyone takes it (the out-of-memory killer, a stray
  ``kill``) is restarted empty by Jupyter's restarter, and Voila would still hand it out: the
  participant saw "model not found" and "an exception occurred at the server". Such a seat now
  leaves the pool at once and a fresh one is warmed in its place. A participant's kernel that died
  is shut down too: their page already asks them to reload (which brings a new kernel), and the
  empty one would have counted towards the room's cap until culled, 15 minutes later.
- A request body may be at most 1 MiB (Tornado's default is 100 MiB, read into memory before
  the token is checked): one request from anyone on the room's network made the server hold
  about twice its size. Nothing a participant's page sends comes near it; the kernel's messages
  travel over the websocket, which has its own limit.
- Each participant holds about 20 of the server's file descriptors (a dozen ZMQ sockets to their
  kernel, the websocket, the browser's connections), and many systems give a process 1,024 (Linux
  desktops) or 256 (macOS): a room of 50, or of 12 on a Mac, would hit "too many open files". The
  server raises its own soft limit towards the hard one at start-up.
- ``max_participants`` caps the kernels in use: past it, a newcomer gets a short "the room is
  full" page instead of a kernel that would slow everyone down.
- A phone rarely says it is leaving: a tab swiped away or a browser killed fires no
  ``beforeunload``, so Voila's beacon never goes and the kernel lived until the 15-minute cull.
  The page now says when it is hidden (``POST /holding-space/away/<kernel>``, ``state=away``) and
  when it is shown again (``state=back``); a kernel whose page is away *and* has had no websocket
  for ``away_grace_seconds`` is shut down. A page hidden but still connected (a laptop tab in the
  background) keeps its kernel; a participant who comes back after it was freed gets 404, and their
  page reloads by itself and resumes from the answers kept in their browser.

    python -m workshop.serving.voila_app NOTEBOOK [Voila options]
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import logging
import re
import time

import tornado.ioloop
import tornado.web
import voila.static_file_handler
from jupyter_core.utils import ensure_async
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado.web import GZipContentEncoding
from traitlets import Integer
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler

from .auth import friendly_page


class CachedGZip(GZipContentEncoding):
    """Gzip, with each static file compressed once and kept: static answers carry an ``Etag``.

    A first request streams as Tornado's transform does and keeps the raw bytes; when it ends, the
    whole file is compressed at level 9 and kept under its path and ``Etag``. Later requests for
    the same path and ``Etag`` get the kept bytes in one piece and the file handler's own chunks
    are dropped. Anything without an ``Etag`` (the page, API answers) is compressed as before.
    """

    MAX_FILE = 16 * 2**20
    MAX_TOTAL = 96 * 2**20
    _kept: dict[tuple[str, str], bytes] = {}

    def __init__(self, request) -> None:
        super().__init__(request)
        self._uri = request.uri if request.method == "GET" else None
        self._key: tuple[str, str] | None = None
        self._raw: list[bytes] | None = None
        self._from_memory = False

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        etag = headers.get("Etag")
        if self._gzipping and self._uri and status_code == 200 and etag and "Content-Range" not in headers:
            ctype = str(headers.get("Content-Type", "")).split(";")[0]
            if self._compressible_type(ctype) and "Content-Encoding" not in headers:
                self._key = (self._uri, etag)
                kept = self._kept.get(self._key)
                if kept is not None:
                    self._from_memory = True
                    headers["Vary"] = "Accept-Encoding"
                    headers["Content-Encoding"] = "gzip"
                    headers["Content-Length"] = str(len(kept))
                    return status_code, headers, kept
                self._raw = []  # Tornado's transform passes this first chunk on to transform_chunk
        return super().transform_first_chunk(status_code, headers, chunk, finishing)

    def transform_chunk(self, chunk: bytes, finishing: bool) -> bytes:
        if self._from_memory:
            return b""
        if self._raw is not None:
            self._raw.append(chunk)
            if finishing:
                self._keep(b"".join(self._raw))
        return super().transform_chunk(chunk, finishing)

    def _keep(self, raw: bytes) -> None:
        self._raw = None
        if len(raw) > self.MAX_FILE or sum(map(len, self._kept.values())) + len(raw) > self.MAX_TOTAL:
            return
        self._kept[self._key] = gzip.compress(raw, compresslevel=9, mtime=0)


@functools.lru_cache(maxsize=64)
def _static_paths(prefixes: tuple[str, ...], template: str) -> list[str]:
    return _collect_static_paths(list(prefixes), template)


_collect_static_paths = voila.static_file_handler.collect_static_paths


def _kept_static_paths(prefixes, template, *args, **kwargs):
    if args or kwargs:
        return _collect_static_paths(prefixes, template, *args, **kwargs)
    return list(_static_paths(tuple(prefixes), template))


def close_orphaned_buffers(manager, log: logging.Logger | None = None) -> int:
    """Close the message buffers of kernels the manager no longer has; return how many."""
    buffers = getattr(manager, "_kernel_buffers", None) or {}
    closed = 0
    for kernel_id in [k for k in buffers if k not in manager]:
        info = buffers.pop(kernel_id, None) or {}
        for stream in (info.get("channels") or {}).values():
            if stream is not None and not stream.closed():
                stream.on_recv(None)
                stream.close()
        closed += 1
    if closed and log is not None:
        log.debug("closed the message buffers of %s kernels already shut down", closed)
    return closed


def close_buffers_after_shutdown(manager) -> None:
    """Make every shutdown of ``manager`` (a tab's beacon, the culler, the API) end by closing orphaned buffers."""
    if getattr(manager, "_holding_space_buffers_closed", False):
        return
    shutdown = manager.shutdown_kernel

    async def shutdown_kernel(kernel_id, *args, **kwargs):
        try:
            return await ensure_async(shutdown(kernel_id, *args, **kwargs))
        finally:
            close_orphaned_buffers(manager, getattr(manager, "log", None))

    manager.shutdown_kernel = shutdown_kernel
    manager._holding_space_buffers_closed = True


def warm_seats(manager):
    """(notebook, index in its pool, kernel id) of each warm seat Voila 0.5 keeps in ``_pools``."""
    for notebook, pool in getattr(manager, "_pools", {}).items():
        for index, entry in enumerate(pool):
            if entry.done() and not entry.cancelled() and entry.exception() is None:
                yield notebook, index, entry.result().get("kernel_id")


def _pooled_entry(manager, kernel_id: str):
    """(notebook, index) of ``kernel_id``'s warm seat, or None once it was handed out."""
    return next(((notebook, index) for notebook, index, seat in warm_seats(manager) if seat == kernel_id), None)


def replace_lost_seats(manager) -> None:
    """Watch each kernel Voila warms. One that dies (and would restart empty) is shut down; if it was
    still a warm seat in the pool, a fresh seat is warmed in its place."""
    if getattr(manager, "_holding_space_seats_watched", False) or not hasattr(manager, "_initialize"):
        return  # watched already, or no warm seats (the console runs without preheating)
    initialize = manager._initialize
    log = getattr(manager, "log", logging.getLogger(__name__))
    retiring: set[asyncio.Task] = set()

    async def retire(kernel_id: str, restarting: bool, refill: str | None) -> None:
        """Shut down a kernel that lost its state; warm a fresh seat for ``refill``'s pool if given."""
        try:
            if restarting:  # the restarter starts the new process just after telling us: let it, then stop it
                kernel = manager.get_kernel(kernel_id)
                for _ in range(150):
                    await asyncio.sleep(0.2)
                    if await ensure_async(kernel.is_alive()):
                        break
            if kernel_id in manager:
                await ensure_async(manager.shutdown_kernel(kernel_id, now=True))
        except Exception:  # already gone: nothing to free
            log.debug("the lost kernel %s was already gone", kernel_id, exc_info=True)
        if refill is not None:
            manager.fill_if_needed(delay=0, notebook_name=refill)

    def kernel_lost(kernel_id: str, event: str) -> None:
        found = _pooled_entry(manager, kernel_id)
        if found is None:
            # a participant's: their page says to reload, which gives them a new kernel; this one
            # came back empty and would only count towards the room's cap until culled
            log.warning("a participant's kernel stopped; their page asks them to reload")
            refill = None
        else:
            refill, index = found
            manager._pools[refill].pop(index)  # at once, so no newcomer is given it meanwhile
            log.warning("a warm seat's kernel stopped before anyone took it; warming a fresh one")
        task = asyncio.get_running_loop().create_task(retire(kernel_id, event == "restart", refill))
        retiring.add(task)  # the loop keeps only a weak reference to a task
        task.add_done_callback(retiring.discard)

    def watch(kernel_id: str) -> None:
        for event in ("restart", "dead"):
            manager.add_restart_callback(kernel_id, functools.partial(kernel_lost, kernel_id, event), event)

    def watch_when_warm(entry) -> None:
        if not entry.cancelled() and entry.exception() is None:
            watch(entry.result()["kernel_id"])

    async def watched_initialize(notebook_path, kernel_id=None, **kwargs):
        result = await initialize(notebook_path, kernel_id, **kwargs)
        watch(result["kernel_id"])
        return result

    manager._initialize = watched_initialize
    for pool in getattr(manager, "_pools", {}).values():  # the first seats were started before this
        for entry in pool:
            entry.add_done_callback(watch_when_warm)
    manager._holding_space_seats_watched = True


KERNEL_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
#: the most kernels kept as away; only kernels the manager has are recorded, and the room's cap
#: (60) and its warm seats keep far below this: it bounds the book even if the cap is switched off
MAX_AWAY = 1024
#: how often the reaper looks: a tick reads one dict entry per away page (microseconds), and a
#: vanished phone is freed at most two ticks after its grace
REAP_INTERVAL_S = 2.0


class AwayBook:
    """The participants' pages that said they were hidden, and since when each has had no websocket.

    ``mark`` records a page's ``away`` or ``back``; ``reap`` shuts down each kernel whose page is
    away and has been without a connection for ``grace`` seconds (counted from the first moment
    the book saw both, so never early). A kernel still connected is never shut down here, nor is a
    warm seat; entries of kernels that are gone (the tab's beacon, the culler) are dropped.
    """

    def __init__(self, manager, grace: float, log: logging.Logger, limit: int = MAX_AWAY) -> None:
        self.manager = manager
        self.grace = grace
        self.log = log
        self.limit = limit
        #: kernel id of a page away -> since when (monotonic) the book has seen it without a connection, or None
        self.away: dict[str, float | None] = {}
        #: kernels being shut down: a page coming back now is told they are gone (the manager still
        #: has them for the second or so the shutdown takes, and its websocket would be refused)
        self.freeing: set[str] = set()

    def _connections(self, kernel_id: str) -> int | None:
        """Websockets open to ``kernel_id``, or None once the manager no longer has it."""
        if kernel_id not in self.manager:
            return None
        try:
            return int(self.manager.kernel_model(kernel_id)["connections"])
        except Exception:  # shut down between the two reads
            return None

    def is_participants(self, kernel_id: str) -> bool:
        """Does the manager have ``kernel_id``, handed out to a page (not a warm seat)?"""
        return (kernel_id in self.manager and kernel_id not in self.freeing
                and _pooled_entry(self.manager, kernel_id) is None)

    def mark(self, kernel_id: str, state: str) -> bool:
        """Record ``state`` ("away" or "back") for a participant's kernel; False if there is no such kernel."""
        if not self.is_participants(kernel_id):
            self.away.pop(kernel_id, None)
            return False
        if state == "back":
            self.away.pop(kernel_id, None)
            return True
        if kernel_id not in self.away:
            if len(self.away) >= self.limit:
                self._drop_gone()
            if len(self.away) >= self.limit:
                self.log.warning("%s pages are away already; one more is left to the culler", len(self.away))
                return True
            self.away[kernel_id] = time.monotonic() if self._connections(kernel_id) == 0 else None
        return True

    def _drop_gone(self) -> None:
        for kernel_id in [k for k in self.away if not self.is_participants(k)]:
            del self.away[kernel_id]

    async def reap(self) -> list[str]:
        """Shut down the kernels away and alone for the grace; return their ids."""
        now = time.monotonic()
        due: list[tuple[str, float]] = []
        for kernel_id, alone_since in list(self.away.items()):
            connections = self._connections(kernel_id)
            if connections is None or _pooled_entry(self.manager, kernel_id) is not None:
                del self.away[kernel_id]
            elif connections:
                self.away[kernel_id] = None  # a laptop tab in the background, a phone whose socket stayed open
            elif alone_since is None:
                self.away[kernel_id] = now
            elif now - alone_since >= self.grace:
                del self.away[kernel_id]
                due.append((kernel_id, now - alone_since))
        await asyncio.gather(*(self._free(kernel_id, alone) for kernel_id, alone in due))
        return [kernel_id for kernel_id, _ in due]

    async def _free(self, kernel_id: str, alone: float) -> None:
        self.freeing.add(kernel_id)
        try:
            await ensure_async(self.manager.shutdown_kernel(kernel_id))
        except Exception:  # shut down meanwhile by its beacon or the culler: nothing left to free
            self.log.debug("an away kernel was already gone", exc_info=True)
            return
        finally:
            self.freeing.discard(kernel_id)
        self.log.info("a participant's page was away and disconnected for %.0f s; its kernel was freed", alone)


class AwayHandler(APIHandler):
    """``POST /holding-space/away/<kernel id>`` with ``state=away|back``: a participant's page hidden or shown.

    Sent by the page as a beacon (login cookie and ``_xsrf`` field, checked by Jupyter's handler
    before anything runs, as for Voila's own shutdown beacon) or a fetch with the token. 204: the
    kernel is there; 404: it is gone (the page reloads); 400: not a kernel id or not a state.
    ``GET /holding-space/away`` says how many pages are away now, no more.
    """

    @property
    def book(self) -> AwayBook:
        return self.settings["holding_space_away"]

    @tornado.web.authenticated
    def get(self, kernel_id: str = "") -> None:
        if kernel_id:
            raise tornado.web.HTTPError(405)
        self.set_header("Cache-Control", "no-store")
        self.finish({"away": len(self.book.away)})

    @tornado.web.authenticated
    def post(self, kernel_id: str = "") -> None:
        if not KERNEL_ID.fullmatch(kernel_id or ""):
            raise tornado.web.HTTPError(400, "not a kernel id")
        state = self.get_body_argument("state", "")
        if state not in ("away", "back"):
            raise tornado.web.HTTPError(400, "state must be away or back")
        if not self.book.mark(kernel_id, state):
            raise tornado.web.HTTPError(404, "no such kernel")
        self.set_status(204)
        self.finish()


class CappedVoilaHandler(TornadoVoilaHandler):
    """Voila's page handler, which first checks that the room has a free place."""

    @tornado.web.authenticated
    async def get(self, path=None):
        cap = self.settings.get("holding_space_max_participants") or 0
        if cap and not path:
            in_use = self._kernels_in_use()
            if in_use >= cap:
                self.set_status(503)
                self.set_header("Content-Type", "text/html; charset=UTF-8")
                self.set_header("Cache-Control", "no-store")
                self.log.warning("the room is full (%s participants); a newcomer was asked to wait", in_use)
                self.finish(friendly_page("room_full_title", "room_full_body"))
                return
        # Voila's page frees its kernel when the tab closes, with a beacon that must carry the
        # _xsrf cookie; Voila's page never sets it, so every such beacon was refused (403) and a
        # participant who left held a kernel until culling, 15 minutes later. Reading the token
        # sets the cookie.
        self.xsrf_token  # noqa: B018
        await super().get(path)

    def _kernels_in_use(self) -> int:
        """Live kernels that are not waiting, warm, in the pool (Voila 0.5 keeps them in ``_pools``)."""
        manager = self.kernel_manager
        pooled = {seat for notebook, _, seat in warm_seats(manager) if notebook == self.notebook_path}
        return len(set(manager.list_kernel_ids()) - pooled)


class HoldingSpaceVoila(Voila):
    """Voila with gzip (a phone's first visit downloads a third of the bytes) and a participant cap."""

    max_participants = Integer(0, config=True, help="Kernels in use at most (0: no cap).")
    max_body_bytes = Integer(2**20, config=True, help="Largest request body accepted, in bytes.")
    # 60 s without a connection while the page is hidden. A phone put down or switched to another
    # app for a moment may lose its websocket (the system suspends the tab, the network changes):
    # back within the minute, its page says so and reconnects to the same kernel, nothing lost.
    # A minute is also about what Jupyter's own client allows a dropped line (seven tries, random
    # back-off, 60 s expected). Past it, a vanished phone's kernel and its place in the room are
    # freed about a minute after it went (64 s for 5 phones hidden then killed, benchmarks/vanish.py),
    # not 15; a participant who does come back then gets a reload that resumes their answers
    # (tests/browser/test_vanishing.py).
    away_grace_seconds = Integer(
        60, config=True,
        help="Seconds a hidden page's kernel is kept after its last websocket closed (0: only the culler frees it).")

    def init_handlers(self) -> list:
        handlers = [
            (pattern, CappedVoilaHandler, *rest) if handler is TornadoVoilaHandler else (pattern, handler, *rest)
            for pattern, handler, *rest in super().init_handlers()
        ]
        away = [(url_path_join(self.server_url, path), AwayHandler)
                for path in (r"/holding-space/away", r"/holding-space/away/(.*)")]
        # before Voila's page handler, which answers every path left
        last = next((i for i, (_, handler, *_r) in enumerate(handlers) if handler is CappedVoilaHandler), len(handlers))
        return [*handlers[:last], *away, *handlers[last:]]

    def listen(self) -> None:
        voila.static_file_handler.collect_static_paths = _kept_static_paths
        if CachedGZip not in self.app.transforms:
            self.app.add_transform(CachedGZip)
        self.app.settings["holding_space_max_participants"] = self.max_participants
        close_buffers_after_shutdown(self.kernel_manager)
        replace_lost_seats(self.kernel_manager)
        book = AwayBook(self.kernel_manager, self.away_grace_seconds, self.log)
        self.app.settings["holding_space_away"] = book
        if self.away_grace_seconds > 0:
            self._away_reaper = tornado.ioloop.PeriodicCallback(book.reap, REAP_INTERVAL_S * 1000)
            self._away_reaper.start()
            self.log.info("a hidden page's kernel is freed after %s s without a connection", self.away_grace_seconds)
        self.app.listen = functools.partial(self.app.listen, max_body_size=self.max_body_bytes)
        super().listen()


#: the server's file descriptors per participant (a dozen ZMQ sockets, the websocket, connections)
FILES_PER_PARTICIPANT = 20
#: what the server asks for: a full room (60) several times over
OPEN_FILES_WANTED = 8192


def raise_open_file_limit(wanted: int = OPEN_FILES_WANTED) -> tuple[int, int]:
    """Raise this process's soft limit on open files towards ``wanted`` (never above the hard limit).

    Returns (before, after). Where the system refuses (macOS caps it below an unlimited hard
    limit), a smaller step is tried; a limit that stays low is logged, not fatal.
    """
    try:
        import resource
    except ImportError:  # Windows: no such limit
        return (0, 0)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    before = soft
    for target in (wanted, 4096, 2048):
        if hard != resource.RLIM_INFINITY:
            target = min(target, hard)
        if soft != resource.RLIM_INFINITY and soft >= target:
            break
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
            break
        except (ValueError, OSError):
            continue
    if soft != resource.RLIM_INFINITY and soft < FILES_PER_PARTICIPANT * 60 + 200:
        logging.getLogger(__name__).warning(
            "this system lets the server open only %s files; a room of more than about %s participants may fail",
            soft, max((soft - 200) // FILES_PER_PARTICIPANT, 1))
    return (before, soft)


def main(argv=None) -> None:
    raise_open_file_limit()
    HoldingSpaceVoila.launch_instance(argv)


if __name__ == "__main__":
    main()
