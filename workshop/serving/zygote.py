"""The seat template: one warm process that participant kernels are forked from.

A participant kernel started the ordinary way is a new Python that imports IPython, ipykernel,
ipywidgets, anywidget and the kit before it can build the app: about 1.5 CPU seconds and 60 MiB
each, which is what a room joining at once waited for. This process does those imports once,
freezes what it holds (``gc.freeze()``, so the collector never writes to those pages), and then
forks one child per kernel: the child starts at once with everything imported, and shares the
imported modules' memory with the template and every other seat (copy-on-write) until it changes
a page.

The server's :class:`~workshop.serving.forking.ForkingProvisioner` talks to it over a Unix socket
in a folder only this user can open; each request is one JSON line, ``{"argv", "env", "cwd"}``
(the ipykernel arguments Jupyter would have run), and the answer is ``{"pid": N}`` once the child
has started its own session, or ``{"error": "..."}`` (the provisioner then starts the kernel the
ordinary way). A peer that is not this user is refused.

Isolation: nothing of a participant exists here. The template imports code and reads nothing
a participant sends; each child is its own process from the fork on, with its own connection
file, key and sockets, and writes only to its own pages (tests/server/test_isolation.py looks for
one participant's private answer in every other kernel's memory and in this process's).

Single-threaded on purpose: a fork copies only the thread that calls it, so a thread here (and
any lock it held) would be half-copied into every kernel. The template refuses to fork if an
import started one. It exits when the server that started it is gone.

    python -m workshop.serving.zygote SOCKET_PATH
"""

from __future__ import annotations

import gc
import json
import os
import select
import signal
import socket
import struct
import sys
import threading
import time

#: imported once here, before any fork: what every participant kernel needs before its first cell
PRELOAD = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.comm",
    "ipykernel.debugger",  # imported by every kernel at start (0.16 s), though participants never debug
    "IPython.core.interactiveshell",
    "IPython.core.completer",
    "IPython.core.history",
    # what IPKernelApp.initialize imported in every child (15 modules, about a fifth of its time): the
    # debugger it sets up (pdb, bdb, cmd), the inspector and completion helpers, storemagic, the
    # faulthandler it enables and Tornado's asyncio loop
    "IPython.core.debugger",
    "IPython.core.completerlib",
    "IPython.core.oinspect",
    "IPython.extensions.storemagic",
    "IPython.utils.wildcard",
    "faulthandler",
    "tornado.platform.asyncio",
    "ipywidgets",
    "anywidget",
    "widgets.app",
    "setproctitle",
    "psutil",
)
#: how often the template looks whether its server is still there (seconds)
PARENT_CHECK_S = 0.5
#: the longest a request line may be (the kernel's environment is a few KiB)
MAX_REQUEST = 1 << 20
#: how long a new child has to say it is running before the request fails
CHILD_START_S = 10.0


def preload() -> float:
    """Import what every kernel needs; return the seconds it took."""
    started = time.perf_counter()
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    # what the app's first build would otherwise make in every seat, from the kit's code alone (no
    # content a therapist edits, nothing of a participant): the content schemas, compiled, and the
    # Markdown parser with its rules
    from workshop import markdown, schemas

    schemas.compile_all()
    markdown.to_html("*warm*")
    return time.perf_counter() - started


def reap(*_args) -> None:
    """Collect every child that exited (they are kernels; the server learns of it by their pid)."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def peer_is_this_user(conn: socket.socket) -> bool:
    """Is the process at the other end of ``conn`` run by this user? (Linux: SO_PEERCRED.)"""
    peercred = getattr(socket, "SO_PEERCRED", None)
    if peercred is None:  # the folder's 0700 mode is the guard where the system cannot say
        return True
    creds = conn.getsockopt(socket.SOL_SOCKET, peercred, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid == os.getuid()


def read_request(conn: socket.socket) -> dict:
    data = b""
    conn.settimeout(5)
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
        if len(data) > MAX_REQUEST:
            raise ValueError("request too large")
    request = json.loads(data)
    if not (isinstance(request.get("argv"), list) and all(isinstance(a, str) for a in request["argv"])
            and isinstance(request.get("env"), dict) and isinstance(request.get("cwd"), str)):
        raise ValueError("a request is {argv: [str], env: {str: str}, cwd: str}")
    return request


def title(text: str) -> None:
    try:
        import setproctitle
    except ImportError:  # the kernel then shows the template's command line
        return
    setproctitle.setproctitle(text)


def run_kernel(request: dict, ready_fd: int) -> None:
    """In the child: become a kernel as ``python -m ipykernel_launcher ARGV`` would, and never return."""
    code = 1
    try:
        os.setsid()  # its own session and process group, as Jupyter gives every kernel (interrupts, kill)
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGPIPE):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # Python's own default
        # ps, psutil and the kit's own tools see the kernel it is (its connection file); before the
        # environment changes, so the title may use the environment's room as well as the arguments'
        title(" ".join([sys.executable, "-m", "ipykernel_launcher", *request["argv"]]))
        os.chdir(request["cwd"])
        env = {str(k): str(v) for k, v in request["env"].items()}
        # the kernel's parent poller exits when this template goes; the template goes with the server
        env["JPY_PARENT_PID"] = str(os.getppid())
        os.environ.clear()
        os.environ.update(env)
        # Jupyter's launcher tells a kernel its parent through JPY_PARENT_PID, which ipykernel reads when
        # it is imported (here, before the fork): given on the command line instead
        sys.argv = ["ipykernel_launcher", *request["argv"], f"--IPKernelApp.parent_handle={os.getppid()}"]
        sys.path.insert(0, request["cwd"])  # `python -m` puts the working folder first

        import random

        random.seed()  # every child would otherwise draw the same "random" numbers
        # like Popen(close_fds=True): the template's listening socket and this request's connection
        # are not the kernel's
        os.closerange(3, ready_fd)
        os.closerange(ready_fd + 1, 1 << 16)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.write(ready_fd, b"1")
        os.close(ready_fd)
        # the template's objects stay frozen: the child's own are collected as usual, and a full
        # collection never walks (and so never copies) the template's pages. Unfrozen, one full
        # collection in a forked child took it from 22.9 to 32.9 MiB PSS (Python's gc.freeze() docs:
        # freeze before fork, and do not unfreeze in the child)

        from ipykernel.kernelapp import IPKernelApp

        app = IPKernelApp.instance()
        app.initialize(sys.argv[1:])
        # traitlets leaves the kernel's logger at DEBUG for its handler to filter: three records built
        # and dropped for every message the kernel handles; at the handler's own level, none is built
        app.log.setLevel(app.log_level)
        # ipywidgets registers its comm targets on import when a kernel runs; here it was imported
        # before there was one, so it is done now (its public function)
        if "ipywidgets" in sys.modules:
            sys.modules["ipywidgets"].register_comm_target()
        app.start()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 0
    except BaseException:  # a kernel that cannot start says why in the server's log
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def spawn(request: dict) -> int:
    """Fork a kernel for ``request``; return its pid once it runs in its own session."""
    if threading.active_count() != 1:
        raise RuntimeError(f"{threading.active_count()} threads are running here; forking would copy them half")
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        run_kernel(request, write_fd)  # never returns
    os.close(write_fd)
    try:
        ready, _, _ = select.select([read_fd], [], [], CHILD_START_S)
        if not ready or os.read(read_fd, 1) != b"1":
            raise RuntimeError("the forked kernel did not start")
    finally:
        os.close(read_fd)
    return pid


def serve(path: str) -> None:
    parent = os.getppid()
    # debugpy's import warns that Python's frozen modules may hide breakpoints: nobody debugs a seat
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    took = preload()
    gc.collect()
    gc.freeze()  # everything imported so far: the collector never touches (and so never copies) it
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path + ".new")
    os.chmod(path + ".new", 0o600)
    listener.listen(64)
    os.rename(path + ".new", path)  # the path appears only once the template can fork
    signal.signal(signal.SIGCHLD, reap)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.stderr.write(f"holding-space: seat template ready ({took:.2f} s of imports, pid {os.getpid()})\n")
    sys.stderr.flush()
    try:
        while os.getppid() == parent:
            ready, _, _ = select.select([listener], [], [], PARENT_CHECK_S)
            if not ready:
                continue
            conn, _ = listener.accept()
            with conn:
                try:
                    if not peer_is_this_user(conn):
                        conn.sendall(b'{"error": "not this user"}\n')
                        continue
                    reply = {"pid": spawn(read_request(conn))}
                except Exception as error:  # one failed request never stops the template
                    reply = {"error": f"{type(error).__name__}: {error}"[:300]}
                try:
                    conn.sendall(json.dumps(reply).encode() + b"\n")
                except OSError:
                    pass
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.exit("usage: python -m workshop.serving.zygote SOCKET_PATH")
    serve(args[0])


if __name__ == "__main__":
    main()
