"""The kit's Voila: Voila's own application, with the kit's kernel manager, static files and away book.

Everything is added through Voila's, Jupyter Server's and Tornado's extension points:

- ``VoilaConfiguration.multi_kernel_manager_class`` is :class:`~.kernels.HoldingSpaceKernelManager`
  (unless configured as a subclass of it): Voila builds its pooling manager on top of it, and it owns
  the clean-up after each shutdown, the lost-seat watch and the room's cap (``max_participants``).
- ``Voila.kernel_websocket_connection_class`` (Jupyter Server's setting) is
  :class:`~.kernels.WelcomingConnection`: a page's websocket is proven by its kernel's IOPub welcome,
  not by three ``kernel_info`` requests.
- ``init_handlers()`` (Voila's list of routes) puts :class:`CappedVoilaHandler` in the place of Voila's
  page handler, :class:`~.static.TemplateStaticHandler` in the place of its template static handler,
  and :class:`AwayHandler` before the page handler, which answers every path left.
- ``listen()`` (called once Voila has built its Tornado application) adds the
  :class:`~.static.CachedGZip` transform, starts the :class:`AwayBook` reaper and limits request
  bodies (``HTTPServer.configure``, Tornado's documented way to set a default for every server).

- A request body may be at most 1 MiB (Tornado's default is 100 MiB, read into memory before
  the token is checked): one request from anyone on the room's network made the server hold
  about twice its size. Nothing a participant's page sends comes near it; the kernel's messages
  travel over the websocket, which has its own limit.
- Each participant holds about 20 of the server's file descriptors (a dozen ZMQ sockets to their
  kernel, the websocket, the browser's connections), and many systems give a process 1,024 (Linux
  desktops) or 256 (macOS): a room of 50, or of 12 on a Mac, would hit "too many open files". The
  server raises its own soft limit towards the hard one at start-up.
- A full room: past ``HoldingSpaceKernelManager.max_participants`` kernels in use, a newcomer gets a
  short "the room is full" page instead of a kernel that would slow everyone down.
- A phone rarely says it is leaving: a tab swiped away or a browser killed fires no
  ``beforeunload``, so Voila's beacon never goes and the kernel lived until the 15-minute cull.
  The page now says when it is hidden (``POST /holding-space/away/<kernel>``, ``state=away``) and
  when it is shown again (``state=back``); a kernel whose page is away *and* has had no websocket
  for ``away_grace_seconds`` is shut down. A page hidden but still connected (a laptop tab in the
  background) keeps its kernel; a participant who comes back after it was freed gets 404, and their
  page reloads by itself and resumes from the answers kept in their browser.

The private parts of Voila this still depends on, and why, are listed (and held) in
tests/unit/test_contracts.py.

    python -m workshop.serving.voila_app NOTEBOOK [Voila options]
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from pathlib import Path

import tornado.ioloop
import tornado.web
from jupyter_core.utils import ensure_async
from jupyter_server.base.handlers import APIHandler, FileFindHandler
from jupyter_server.utils import url_path_join
from tornado.httpserver import HTTPServer
from traitlets import Bool, Integer, Unicode, default
from voila.app import Voila
from voila.request_info_handler import RequestInfoSocketHandler
from voila.static_file_handler import MultiStaticFileHandler, TemplateStaticFileHandler
from voila.tornado.handler import TornadoVoilaHandler

from ..facilitators import FACILITATOR_HEADER
from . import preload, rendering
from .auth import FacilitatorIdentityProvider, friendly_page
from .kernels import HoldingSpaceKernelManager, WelcomingConnection
from .static import CachedGZip, TemplateStaticHandler, memo_handler

__all__ = ["AwayBook", "AwayHandler", "CachedGZip", "CappedVoilaHandler", "HoldingSpaceKernelManager",
           "HoldingSpaceVoila", "TemplateStaticHandler", "main", "raise_open_file_limit"]


def _is_warm_seat(manager, kernel_id: str) -> bool:
    """Is ``kernel_id`` a warm seat still waiting in the pool? (A manager that is not the kit's has none.)"""
    check = getattr(manager, "is_warm_seat", None)
    return bool(check and check(kernel_id))


#: the proxy's sticky cookie online (workshop.serving.online): which replica holds a participant's kernel
PROXY_COOKIE = "hs_replica"
KERNEL_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
#: the most kernels kept as away; only kernels the manager has are recorded, and the room's cap
#: (60) and its warm seats keep far below this: it bounds the book even if the cap is switched off
MAX_AWAY = 1024
#: how often the reaper looks: a tick reads one dict entry per away page (microseconds), and a
#: vanished phone is freed at most two ticks after its grace
REAP_INTERVAL_S = 2.0
#: how often the warm seats are looked at (a few list reads; a newly free seat starts warming within this)
RAMP_INTERVAL_S = 0.25


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
                and not _is_warm_seat(self.manager, kernel_id))

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
            if connections is None or _is_warm_seat(self.manager, kernel_id):
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


class HealthHandler(tornado.web.RequestHandler):
    """``/holding-space/health`` (200 while the server runs: the proxy's and Kubernetes' liveness check) and
    ``/holding-space/ready`` (503 until the first warm seat is ready, then 200). A full room stays ready:
    taken out of a load balancer, its participants' reloads would land on another server and lose their
    kernel; a newcomer there gets the "room is full" page (503), which a proxy may retry elsewhere.
    No token needed; the answer says nothing about anyone."""

    def get(self, which: str) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Type", "application/json")
        if which == "ready" and not self.settings.get("holding_space_ready_once"):
            manager = self.settings.get("holding_space_manager")
            preheats = bool(getattr(manager, "preheats", False))
            if preheats and not any(True for _ in manager.warm_seats()):
                self.set_status(503)
                self.finish('{"ok": false, "reason": "warming"}')
                return
            self.settings["holding_space_ready_once"] = True
        self.finish('{"ok": true}')


class CappedVoilaHandler(TornadoVoilaHandler):
    """Voila's page handler, which first asks the kernel manager whether the room has a free place.

    Online, the console's page also tells its kernel which facilitator signed in, through the
    ``X-Holding-Space-Facilitator`` header that Voila's ``http_header_envs`` passes on; whatever a
    browser sent under that name is replaced or removed first."""

    #: the flush asked for and not yet done (see :meth:`flush`)
    _hs_flush: asyncio.Future | None = None

    def flush(self, include_footers: bool = False) -> asyncio.Future:
        """Tornado's flush, once per turn of the event loop: Voila flushes after each piece of the page
        (22 for a warm seat's page, all ready at once), and each flush compressed and sent a piece of its
        own. A flush asked for now runs when the loop next turns, with whatever was written meanwhile, or
        not at all if the page is finished first; a page still being rendered (a cell running, Voila's
        heartbeat) is sent piece by piece as before. The page's last flush (``finish``) is Tornado's own."""
        if include_footers:
            return super().flush(include_footers=True)
        if self._hs_flush is None:
            self._hs_flush = asyncio.get_running_loop().create_future()
            asyncio.get_running_loop().call_soon(self._flush_now)
        return self._hs_flush

    def _flush_now(self) -> None:
        pending, self._hs_flush = self._hs_flush, None
        if not self._hs_finished:
            # read the outcome, so a closed line is not logged as never retrieved (finish says so)
            super().flush().add_done_callback(lambda sent: sent.cancelled() or sent.exception())
        pending.set_result(None)

    #: set once Tornado finished the page (its last flush sent what was left)
    _hs_finished = False

    def on_finish(self) -> None:
        self._hs_finished = True
        super().on_finish()

    def _tell_kernel_who(self) -> None:
        self.request.headers.pop(FACILITATOR_HEADER, None)
        if isinstance(self.identity_provider, FacilitatorIdentityProvider) and self.current_user is not None:
            self.request.headers[FACILITATOR_HEADER] = self.current_user.username

    @tornado.web.authenticated
    async def get(self, path=None):
        self._tell_kernel_who()
        room_is_full = getattr(self.kernel_manager, "room_is_full", None)
        if room_is_full is not None and not path:
            full, in_use = room_is_full()
            if full:
                self.set_status(503)
                self.set_header("Content-Type", "text/html; charset=UTF-8")
                self.set_header("Cache-Control", "no-store")
                self.log.warning("the room is full (%s participants); a newcomer was asked to wait", in_use)
                if self.settings.get("holding_space_behind_proxy"):
                    # online: forget the replica the proxy chose, so "try again" may land on one with room
                    self.clear_cookie(PROXY_COOKIE, path="/")
                self.finish(friendly_page("room_full_title", "room_full_body"))
                return
        seat_taken = getattr(self.kernel_manager, "seat_taken", None)
        if seat_taken is not None and not path:
            seat_taken()  # before Voila hands out a seat and refills: while a room arrives, no refill
        # Voila's page frees its kernel when the tab closes, with a beacon that must carry the
        # _xsrf cookie; Voila's page never sets it, so every such beacon was refused (403) and a
        # participant who left held a kernel until culling, 15 minutes later. Reading the token
        # sets the cookie. Reported upstream: docs/upstream.md.
        self.xsrf_token  # noqa: B018
        await super().get(path)


class SeatReadyHandler(RequestInfoSocketHandler):
    """Voila's ``voila/query/<kernel>`` websocket, which a warm seat opens once its app is built and it waits
    for its visitor (``workshop.visit.wait_for_request``): the kernel manager hears that the seat is ready,
    so it warms only a few seats at a time (a pool entry is done as soon as its kernel has started)."""

    def open(self, kernel_id: str) -> None:
        super().open(kernel_id)
        manager = self.settings.get("holding_space_manager")
        ready = getattr(manager, "seat_ready", None)
        if ready is not None:
            ready(kernel_id)


#: Voila's handlers the kit puts its own in the place of (in ``HoldingSpaceVoila.init_handlers``)
REPLACED_HANDLERS = {TornadoVoilaHandler: CappedVoilaHandler, TemplateStaticFileHandler: TemplateStaticHandler,
                     RequestInfoSocketHandler: SeatReadyHandler}
#: static handlers (their files never change while the server runs) that answer from memory once served
MEMO_STATIC = (MultiStaticFileHandler, FileFindHandler, TemplateStaticHandler)


class HoldingSpaceVoila(Voila):
    """Voila with the kit's kernel manager, gzip, cached template folders, the away book and a body limit."""

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

    projector = Bool(
        False, config=True, help="Serve the projector view (projector, projector/state): the console's server does.")

    behind_proxy = Bool(
        False, config=True,
        help="Behind the kit's reverse proxy (online): trust its X-Forwarded-For and X-Forwarded-Proto, "
             "and set every cookie Secure.")

    preload_list = Unicode(
        str(preload.LIST), config=True,
        help="The list of code chunks joined into one script for the page (preload.txt); empty: none, "
             "each page fetches its chunks itself.")

    def get_default_logging_config(self) -> dict:
        """Traitlets' logging set-up, with the server's logger at the level its handler shows.

        Traitlets sets an application's logger to DEBUG and lets its console handler drop what is below
        ``log_level``, so every debug call in Jupyter Server and jupyter_client (about 45 a join) built a
        log record nobody saw. ``--log-level=DEBUG`` still shows them."""
        config = super().get_default_logging_config()
        for logger in config.get("loggers", {}).values():
            logger["level"] = logging.getLevelName(self.log_level)
        return config

    @default("kernel_websocket_connection_class")
    def _welcoming_connections(self) -> type:
        """Each page's websocket reaches its kernel without the ``kernel_info`` requests Jupyter Server sends
        to prove a connection (:class:`~.kernels.WelcomingConnection`)."""
        return WelcomingConnection

    @default("cookie_secret")
    def _cookie_secret_from_environment(self) -> bytes:
        """Online, every replica and the console sign cookies with one secret (``HOLDING_SPACE_COOKIE_SECRET``,
        hex): a participant moved to another replica keeps their sign-in, and a restart keeps a facilitator's."""
        shared = os.environ.get("HOLDING_SPACE_COOKIE_SECRET", "")
        try:
            return bytes.fromhex(shared) if len(shared) >= 32 else os.urandom(32)
        except ValueError:
            return os.urandom(32)

    def initialize(self, argv=None) -> None:
        super().initialize(argv)
        rendering.install()  # every seat's page from templates compiled once per server
        # Voila builds its kernel manager on this class (voila_kernel_manager_factory): the kit's,
        # unless a subclass of it was configured
        configured = self.voila_configuration.multi_kernel_manager_class
        if not (isinstance(configured, type) and issubclass(configured, HoldingSpaceKernelManager)):
            if "multi_kernel_manager_class" in self.config.VoilaConfiguration:
                self.log.warning("%s is not a HoldingSpaceKernelManager: the kit's own is used", configured)
            self.voila_configuration.multi_kernel_manager_class = HoldingSpaceKernelManager

    def init_handlers(self) -> list:
        handlers = [
            (pattern, REPLACED_HANDLERS.get(handler, handler), *rest)
            for pattern, handler, *rest in super().init_handlers()
        ]
        # Voila's, the labextensions' and the template's static files, answered from memory once served
        handlers = [(pattern, memo_handler(handler) if handler in MEMO_STATIC else handler, *rest)
                    for pattern, handler, *rest in handlers]
        # the page's code chunks in one script (preload.py): the page asks for it before voila.js
        self.preload = preload.from_handlers(handlers, Path(self.preload_list) if self.preload_list else None, self.log)
        self.preload.compress_in_background()
        self._tell_templates("hs_preload", self.preload.url)
        away = [(url_path_join(self.server_url, path), AwayHandler)
                for path in (r"/holding-space/away", r"/holding-space/away/(.*)")]
        away.append((url_path_join(self.server_url, "/" + preload.URL_PATH), preload.PreloadHandler,
                     {"preload": self.preload}))
        away.append((url_path_join(self.server_url, r"/holding-space/(health|ready)"), HealthHandler))
        if self.projector:  # the console's server: what the room sees, with the console's access rules
            from .projector import ProjectorHandler

            away.append((url_path_join(self.server_url, r"/projector(/state)?/?"), ProjectorHandler))
        # before Voila's page handler, which answers every path left
        last = next((i for i, (_, handler, *_r) in enumerate(handlers) if handler is CappedVoilaHandler), len(handlers))
        return [*handlers[:last], *away, *handlers[last:]]

    def _tell_templates(self, name: str, value: str) -> None:
        """Add ``name`` to the ``resources`` every page's template gets (Voila's notebook renderer reads
        them from the configuration, ``VoilaConfiguration.resources``, at each page)."""
        resources = dict(self.voila_configuration.resources or {})
        resources[name] = value
        self.voila_configuration.resources = resources
        self.config.VoilaConfiguration.resources = resources

    def listen(self) -> None:
        if CachedGZip not in self.app.transforms:
            self.app.add_transform(CachedGZip)
        self.app.settings["holding_space_manager"] = self.kernel_manager  # for SeatReadyHandler
        book = AwayBook(self.kernel_manager, self.away_grace_seconds, self.log)
        self.app.settings["holding_space_away"] = book
        if self.away_grace_seconds > 0:
            self._away_reaper = tornado.ioloop.PeriodicCallback(book.reap, REAP_INTERVAL_S * 1000)
            self._away_reaper.start()
            self.log.info("a hidden page's kernel is freed after %s s without a connection", self.away_grace_seconds)
        ramp = getattr(self.kernel_manager, "ramp", None)
        if ramp is not None and getattr(self.kernel_manager, "preheats", False):
            # the warm seats follow the room (HoldingSpaceKernelManager.ramp): a look every quarter second
            self._seat_ramp = tornado.ioloop.PeriodicCallback(ramp, RAMP_INTERVAL_S * 1000)
            self._seat_ramp.start()
        self.app.settings["holding_space_behind_proxy"] = self.behind_proxy
        if self.behind_proxy:  # reached over HTTPS only, through the proxy: no cookie travels in clear
            self.app.settings["xsrf_cookie_kwargs"] = {"secure": True, "samesite": "Lax"}
        # every HTTP server this process makes (Voila's, through app.listen) refuses a larger body;
        # behind the proxy, it takes the client's address and scheme from the proxy's headers
        HTTPServer.configure(None, max_body_size=self.max_body_bytes, xheaders=self.behind_proxy)
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
