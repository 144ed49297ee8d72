"""Start, watch and stop the kit's Voila servers as child processes.

Used by the ``holding-space workshop`` command, by the server and browser tests, and by the
benchmarks, so all three meet the same server a facilitator starts.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psutil

from .. import content, paths
from ..facilitators import FACILITATOR_HEADER
from ..serverlog import WARM_MARKER

JUPYTER_DIR = paths.SERVING_DIR / "jupyter"
# Jupyter's request log puts the client's address in brackets: "403 GET /login (192.168.1.5) 1ms"
_CLIENT_ADDRESS = re.compile(r"\((?:\d{1,3}\.){3}\d{1,3}\)|\((?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{0,4}\)")


# A refused request is logged with its query string, which can carry a session code or anything
# else put in a link: "403 GET /voila/files/x?s=ABCDEF&name=… (…)"
_REQUEST_QUERY = re.compile(r"\b(\d{3} (?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) [^\s?]*)\?\S*")


def redact(line: str) -> str:
    """A log line without the address of the phone or laptop that made a request, or its query."""
    return _REQUEST_QUERY.sub(r"\1?(query hidden)", _CLIENT_ADDRESS.sub("(address hidden)", line))
TEMPLATE = "holdingspace"
#: the participant server's line saying how many warm seats it keeps for the room
ROOM_LINE = re.compile(r"warm seats for the room: (\d+)")
#: the seat template's module: kernels forked from it keep its command line
ZYGOTE_MODULE = "workshop.serving.zygote"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_is_free(port: int, host: str = "0.0.0.0") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def room_address() -> str:
    """This machine's address on the room's network (the first non-loopback IPv4)."""
    for _name, addresses in sorted(psutil.net_if_addrs().items()):
        for address in addresses:
            if address.family == socket.AF_INET and not address.address.startswith("127."):
                return address.address
    return "127.0.0.1"


@dataclass
class ServerSettings:
    """What a participant server is started with."""

    port: int
    bind: str = "127.0.0.1"
    public_host: str | None = None
    #: warm seats Voila starts with (the launcher waits for these before it prints the join address)
    pool_size: int = 2
    #: warm seats kept while the room is calm, warmed after the first ones (None: pool_size; 0: as many as
    #: the cap and half the free memory allow)
    room_seats: int | None = None
    token: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    workshop_id: str = field(default_factory=lambda: secrets.token_hex(8))
    notebooks: Path = field(default_factory=paths.notebooks_dir)
    content: Path = field(default_factory=paths.content_dir)
    data: Path = field(default_factory=paths.data_dir)
    cull_idle_seconds: int = 900
    max_participants: int = 60
    #: Voila's delay before it refills the pool after a hand-out. Whether a taken seat is replaced at
    #: all is now the pool's size, set by HoldingSpaceKernelManager (seat_taken, ramp); when it is,
    #: it starts at once
    refill_delay: float = 0
    notebook: str = "app.ipynb"
    preheat: bool = True
    extra_env: dict = field(default_factory=dict)
    #: online: behind the kit's reverse proxy (trusts its forwarded headers; Secure cookies)
    behind_proxy: bool = False
    #: the path the server answers under (online, the console's is ``/console/``)
    url_prefix: str = "/"
    #: the address people use (online: ``https://DOMAIN/``); None: ``http://host:port/``
    public_url: str | None = None
    #: "token" (a token in the link) or "facilitators" (online console: each facilitator signs in)
    identity: str = "token"
    #: share of the free memory this server's warm seats may take (None: the kit's default, a half)
    memory_share: float | None = None
    #: serve the projector view (the console's server)
    projector: bool = False
    #: more Voila options (``--Class.trait=value``), after the kit's own
    extra_args: list = field(default_factory=list)

    @property
    def host(self) -> str:
        return self.public_host or (self.bind if self.bind not in ("0.0.0.0", "") else room_address())

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url
        return f"http://{self.host}:{self.port}{self.url_prefix}"

    @property
    def local_url(self) -> str:
        """The server itself, as the launcher and the proxy reach it."""
        host = "127.0.0.1" if self.bind in ("0.0.0.0", "") else self.bind
        return f"http://{host}:{self.port}{self.url_prefix}"

    @property
    def join_url(self) -> str:
        """The address participants open (and the QR code carries); online, the console's sign-in."""
        if self.identity == "facilitators":
            return self.base_url
        return f"{self.base_url}?token={self.token}"


def console_settings(port: int, data: Path | None = None, **kwargs) -> ServerSettings:
    """The facilitator console: localhost only, its own token, one kernel, no culling. Only a console
    where each facilitator signs in (``identity="facilitators"``, online) may listen elsewhere."""
    bind = kwargs.pop("bind", "127.0.0.1")
    if bind != "127.0.0.1" and kwargs.get("identity") != "facilitators":
        raise TypeError("the console listens on this computer only, unless each facilitator signs in")
    return ServerSettings(
        port=port,
        bind=bind,
        pool_size=0,
        max_participants=0,
        notebook="facilitator.ipynb",
        preheat=False,
        projector=True,
        cull_idle_seconds=0,
        data=data or paths.data_dir(),
        **kwargs,
    )


def voila_command(settings: ServerSettings) -> list[str]:
    """The Voila command line for a server of the kit (participant app or console)."""
    texts = content.ui_text(settings.content)
    # which page this server shows: the template marks its body, so the console's wide layout is in
    # place at the first paint (the page's column is measured once, when it is first drawn)
    kind = "console" if settings.notebook == "facilitator.ipynb" else "app"
    resources = {"hs_loading": texts["loading"], "hs_noscript": texts["noscript"], "hs_page": kind}
    notebook = settings.notebooks / settings.notebook
    culling = (
        [
            f"--MappingKernelManager.cull_idle_timeout={settings.cull_idle_seconds}",
            "--MappingKernelManager.cull_interval=60",
            "--MappingKernelManager.cull_connected=False",
        ]
        if settings.cull_idle_seconds
        else []
    )
    if settings.identity == "facilitators":  # online console: no token; each facilitator signs in
        access = ["--Voila.identity_provider_class=workshop.serving.auth.FacilitatorIdentityProvider",
                  f"--VoilaConfiguration.http_header_envs={FACILITATOR_HEADER}"]
    else:
        access = [f"--Voila.token={settings.token}",
                  "--Voila.identity_provider_class=workshop.serving.auth.FriendlyIdentityProvider"]
    online = [
        *([f"--Voila.base_url={settings.url_prefix}"] if settings.url_prefix != "/" else []),
        *(["--HoldingSpaceVoila.behind_proxy=True"] if settings.behind_proxy else []),
        *(["--HoldingSpaceVoila.projector=True"] if settings.projector else []),
        *([f"--HoldingSpaceKernelManager.memory_share={settings.memory_share}"] if settings.memory_share else []),
    ]
    return [
        sys.executable, "-m", "workshop.serving.voila_app", str(notebook),
        "--no-browser",
        f"--port={settings.port}",
        "--Voila.port_retries=0",
        f"--Voila.ip={settings.bind}",
        f"--Voila.root_dir={settings.notebooks}",
        *access,
        f"--VoilaConfiguration.template={TEMPLATE}",
        "--VoilaConfiguration.theme=light",
        "--VoilaConfiguration.allow_template_override=NO",
        "--VoilaConfiguration.allow_theme_override=NO",
        "--VoilaConfiguration.show_tracebacks=False",
        "--VoilaConfiguration.strip_sources=True",
        f"--VoilaConfiguration.preheat_kernel={settings.preheat}",
        f"--VoilaConfiguration.default_pool_size={settings.pool_size}",
        *(f"--VoilaConfiguration.resources={key}={value}" for key, value in resources.items()),
        # nbclient waits only 4 s for a cell's output after it ran, then drops it: while a room's
        # kernels warm up on two cores, the app's own display can take longer and the page would
        # arrive without the app. Seen in the group-session browser test under load.
        "--VoilaExecutor.iopub_timeout=60",
        # kernels listen on Unix sockets in the server's private connection folder, not on loopback TCP
        # ports: a TCP port is chosen by the server, let go, and bound by the kernel a moment later, and
        # meanwhile the system may give it to one of the server's own connections. Starting 30 and 120
        # seats at once, kernels died on "Address already in use" (benchmarks/join_storm.py, kit kind).
        "--KernelManager.transport=ipc",
        # the kit's kernel manager (HoldingSpaceVoila also sets it when not given): Voila builds its
        # warm-seat pool on it; it frees each shutdown's buffers, replaces lost seats and keeps the cap
        "--VoilaConfiguration.multi_kernel_manager_class=workshop.serving.kernels.HoldingSpaceKernelManager",
        f"--HoldingSpaceKernelManager.max_participants={settings.max_participants}",
        f"--HoldingSpaceKernelManager.room_seats={settings.pool_size if settings.room_seats is None else settings.room_seats}",
        # the pool follows the room (HoldingSpaceKernelManager.seat_taken and ramp set its size)
        f"--VoilaKernelManager.fill_delay={settings.refill_delay}",
        *culling,
        *online,
        *settings.extra_args,
    ]


def server_environment(settings: ServerSettings) -> dict[str, str]:
    env = dict(os.environ)
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(JUPYTER_DIR), env.get("JUPYTER_PATH")]))
    env["HOLDING_SPACE_WORKSHOP_ID"] = settings.workshop_id
    env["HOLDING_SPACE_NOTEBOOKS"] = str(settings.notebooks)
    env["HOLDING_SPACE_CONTENT"] = str(settings.content)
    env["HOLDING_SPACE_DATA"] = str(settings.data)
    # the content files checked here, once: the kernels then load no schema validator for them
    env[content.CHECKED_ENV] = content.vouch(settings.content)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(settings.extra_env)
    env.pop("PYTEST_CURRENT_TEST", None)
    env.pop("HOLDING_SPACE_STRICT", None)  # a served app shows the friendly notice, never raises
    return env


def is_kernel_process(proc: psutil.Process) -> bool:
    """Is ``proc`` a kernel: started as ``ipykernel_launcher``, or forked from the seat template
    (whose children keep its command line)?"""
    try:
        if "ipykernel_launcher" in " ".join(proc.cmdline()):
            return True
        parent = proc.parent()
        return parent is not None and ZYGOTE_MODULE in " ".join(parent.cmdline()) and ZYGOTE_MODULE in " ".join(proc.cmdline())
    except psutil.Error:
        return False


class ServerProcess:
    """A running Voila server: its process, its log, and how many preheated seats are ready.

    Everything the server and its kernels print goes to ``log_path``. ``on_line`` (optional)
    is called from a reader thread with each line.
    """

    def __init__(self, settings: ServerSettings, log_path: Path, on_line: Callable[[str], None] | None = None):
        self.settings = settings
        self.log_path = log_path
        self.on_line = on_line
        self.process: subprocess.Popen | None = None
        self.warm_seats = 0
        #: the warm seats the server keeps for the room, once it said (HoldingSpaceKernelManager.room_size)
        self.room_seats: int | None = None
        self._lines: list[str] = []
        self._reader: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> ServerProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            voila_command(self.settings),
            cwd=str(self.settings.notebooks),
            env=server_environment(self.settings),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,  # Ctrl-C reaches the launcher, which stops this cleanly
        )
        self._reader = threading.Thread(target=self._read, name="server-log", daemon=True)
        self._reader.start()
        return self

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        with open(self.log_path, "a", encoding="utf-8") as log:
            for line in self.process.stdout:
                line = redact(line)  # no participant's IP address is kept, not even in a log
                log.write(line)
                log.flush()
                line = line.rstrip("\n")
                self._lines.append(line)
                if WARM_MARKER in line:
                    self.warm_seats += 1
                room = ROOM_LINE.search(line)
                if room:
                    self.room_seats = int(room.group(1))
                if self.on_line is not None:
                    self.on_line(line)

    def wait_until_listening(self, timeout: float = 60) -> None:
        """Wait until the server accepts connections; raise with the log's tail if it died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._raise_if_dead()
            try:
                with socket.create_connection((urlsplit(self.settings.local_url).hostname, self.settings.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"the server did not start within {timeout:.0f} s\n{self.tail()}")

    def wait_until_room_size(self, timeout: float = 30) -> int:
        """The warm seats the server keeps for the room, once it has said (it works them out at start)."""
        deadline = time.monotonic() + timeout
        while self.room_seats is None:
            self._raise_if_dead()
            if time.monotonic() > deadline:
                raise TimeoutError(f"the server did not say how many seats it keeps within {timeout:.0f} s\n{self.tail()}")
            time.sleep(0.05)
        return self.room_seats

    def wait_until_warm(self, seats: int | None = None, timeout: float = 120, progress: Callable[[int, int], None] | None = None) -> None:
        """Wait until ``seats`` (default: the pool size) preheated kernels are ready."""
        seats = self.settings.pool_size if seats is None else seats
        deadline = time.monotonic() + timeout
        shown = -1
        while self.warm_seats < seats:
            self._raise_if_dead()
            if progress is not None and self.warm_seats != shown:
                shown = self.warm_seats
                progress(shown, seats)
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {self.warm_seats} of {seats} seats warmed up in {timeout:.0f} s\n{self.tail()}")
            time.sleep(0.1)
        if progress is not None:
            progress(self.warm_seats, seats)

    def _raise_if_dead(self) -> None:
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError(f"the server stopped (exit code {self.process and self.process.returncode})\n{self.tail()}")

    def stop(self, timeout: float = 15) -> None:
        """Stop the server and every kernel it started."""
        if self.process is None or self.process.poll() is not None:
            return
        group = os.getpgid(self.process.pid)
        kernels = self.kernel_processes()
        self.process.send_signal(signal.SIGTERM)  # Voila shuts its kernels down on SIGTERM
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        for proc in [*kernels]:
            try:
                proc.kill()
            except psutil.Error:
                pass
        try:
            os.killpg(group, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait(timeout=5)
        if self._reader is not None:
            self._reader.join(timeout=5)

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ inspection
    def kernel_processes(self) -> list[psutil.Process]:
        """The live kernel processes this server started."""
        if self.process is None:
            return []
        try:
            children = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.Error:
            return []
        return [child for child in children if is_kernel_process(child)]

    def template_process(self) -> psutil.Process | None:
        """The seat template that participant kernels are forked from, once started (None before, or
        when kernels start the ordinary way)."""
        if self.process is None:
            return None
        try:
            children = psutil.Process(self.process.pid).children()
        except psutil.Error:
            return None
        for child in children:
            try:
                if ZYGOTE_MODULE in " ".join(child.cmdline()):
                    return child
            except psutil.Error:
                continue
        return None

    def log_text(self) -> str:
        return "\n".join(self._lines)

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self._lines[-lines:])
