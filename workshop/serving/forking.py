"""Participant kernels forked from a warm template: a kernel provisioner (jupyter_client's extension point).

The servers' ``python3`` kernelspec (``workshop/serving/jupyter/kernels/python3``, first on the
servers' ``JUPYTER_PATH``; JupyterLab and the notebooks keep the ordinary one) names the
``holding-space-fork`` provisioner, registered under the ``jupyter_client.kernel_provisioners``
entry point. It is Jupyter's :class:`LocalProvisioner` (connection file, ports, restart, cleanup:
unchanged) with one step changed: instead of running ``python -m ipykernel_launcher -f FILE``, it
asks the seat template (:mod:`workshop.serving.zygote`, one per server, started at the first
kernel) to fork a child that runs the same kernel. A seat is then ready in a fraction of a second
and shares the imported code's memory with every other seat.

It falls back to the ordinary launch, and says so once in the log, whenever forking cannot work:
a system without ``fork`` (Windows) or not Linux (macOS's system libraries are not fork-safe), a
kernelspec that is not this Python's ipykernel, ``--ForkingProvisioner.enabled=False``, the
template failing to start or a request failing. The kernel is then exactly Jupyter's.

The forked kernel is not this server's child but the template's, so its handle is a
:class:`ForkedProcess` (the ``Popen`` methods Jupyter's provisioner calls: poll, wait, signals),
which knows the process by pid and start time; the template collects it when it exits.
"""

from __future__ import annotations

import asyncio
import json
import os
import select
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Bool

#: how long the template may take to import everything before kernels start the ordinary way
TEMPLATE_START_S = 60.0
#: how long one fork request may take
REQUEST_S = 15.0


class ForkedProcess:
    """A kernel forked by the template, seen through the part of ``subprocess.Popen`` Jupyter uses.

    Jupyter's restarter polls every kernel every few seconds, and the server's thread is the room's
    bottleneck while it joins: asking psutil was two reads of ``/proc`` per kernel and poll (3 % of the
    server's work in a 30-phone storm with 60 seats). Where Linux offers it (5.3 and later) the handle
    holds a pidfd, which becomes readable when the process exits, and a poll is one ``poll(0)`` with no
    wait; psutil otherwise."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._fd: int | None = None
        try:
            self._proc: psutil.Process | None = psutil.Process(pid)
            self._proc.create_time()  # the pid with its start time: a reused pid is not mistaken for it
        except psutil.Error:
            self._proc = None
            self.returncode = -1
            return
        try:
            self._fd = os.pidfd_open(pid)
        except (AttributeError, OSError):  # an older system: psutil it is
            self._fd = None
        else:
            # poll, not select: the server's descriptors pass 1,024 with a full room (Jupyter Server
            # raises its limit to 4,096), past what select() can watch
            self._poller = select.poll()
            self._poller.register(self._fd, select.POLLIN)

    def poll(self) -> int | None:
        if self.returncode is None:
            if self._fd is not None:
                if self._poller.poll(0):
                    self._exited()
                return self.returncode
            try:
                if self._proc is None or not self._proc.is_running() or self._proc.status() == psutil.STATUS_ZOMBIE:
                    self._exited()
            except psutil.Error:
                self._exited()
        return self.returncode

    def _exited(self) -> None:
        self.returncode = 0  # the template collected it; its exit code is not known here
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __del__(self) -> None:
        if getattr(self, "_fd", None) is not None:
            os.close(self._fd)

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"kernel {self.pid} still running")
            time.sleep(0.05)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class SeatTemplate:
    """This server's template process: started at the first kernel, asked for each fork."""

    _instance: SeatTemplate | None = None

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="hs-seats-"))  # mode 0700: only this user reaches the socket
        self.socket = str(self.folder / "template.sock")
        self.process: asyncio.subprocess.Process | None = None
        self.failed: str | None = None
        self._ready: asyncio.Future | None = None

    @classmethod
    def shared(cls) -> SeatTemplate:
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    async def ready(self) -> None:
        """Start the template once; wait until it can fork (raise if it cannot)."""
        if self._ready is None:
            self._ready = asyncio.ensure_future(self._start())
        await asyncio.shield(self._ready)

    async def _start(self) -> None:
        # the template's output is the server's, like an ordinary kernel's; it is in this
        # server's process group, so it stops with it
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "workshop.serving.zygote", self.socket, stdin=asyncio.subprocess.DEVNULL)
        deadline = time.monotonic() + TEMPLATE_START_S
        while not os.path.exists(self.socket):
            if self.process.returncode is not None:
                raise RuntimeError(f"the seat template stopped (exit code {self.process.returncode})")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the seat template was not ready in {TEMPLATE_START_S:.0f} s")
            await asyncio.sleep(0.05)

    async def fork(self, argv: list[str], env: dict[str, str], cwd: str) -> int:
        await self.ready()
        reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(self.socket, limit=1 << 20), REQUEST_S)
        try:
            writer.write(json.dumps({"argv": argv, "env": env, "cwd": cwd}).encode() + b"\n")
            await writer.drain()
            reply = json.loads(await asyncio.wait_for(reader.readline(), REQUEST_S) or b"{}")
        finally:
            writer.close()
        if "pid" not in reply:
            raise RuntimeError(reply.get("error", "no answer from the seat template"))
        return int(reply["pid"])

    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None


def forkable(cmd: list[str]) -> list[str] | None:
    """The ipykernel arguments of ``cmd`` when it is this Python's ``-m ipykernel_launcher``, else None."""
    if len(cmd) >= 3 and cmd[1:3] == ["-m", "ipykernel_launcher"]:
        try:
            same = os.path.samefile(cmd[0], sys.executable)
        except OSError:
            same = False
        if same:
            return cmd[3:]
    return None


class ForkingProvisioner(LocalProvisioner):
    """Jupyter's local provisioner, whose kernels are forked from the seat template where that works."""

    enabled = Bool(True, config=True, help="Fork kernels from a warm template (False: start each the ordinary way).")

    #: why the last fallback happened (logged once per reason)
    _said: set[str] = set()

    def _fallback(self, reason: str) -> None:
        if reason not in ForkingProvisioner._said:
            ForkingProvisioner._said.add(reason)
            self.log.warning("participant kernels start the ordinary way: %s", reason)

    def why_not(self, cmd: list[str]) -> str | None:
        if not self.enabled:
            return "forking is switched off (ForkingProvisioner.enabled=False)"
        if not hasattr(os, "fork") or not sys.platform.startswith("linux"):
            return f"forking kernels is only done on Linux (this is {sys.platform})"
        if forkable(cmd) is None:
            return "the kernelspec does not run this Python's ipykernel"
        template = SeatTemplate.shared()
        if template.failed:
            return template.failed
        return None

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        reason = self.why_not(cmd)
        if reason is None:
            template = SeatTemplate.shared()
            env = dict(kwargs.get("env") or os.environ)
            cwd = str(kwargs.get("cwd") or os.getcwd())
            try:
                pid = await template.fork(forkable(cmd), env, cwd)
            except Exception as error:
                reason = f"the seat template failed ({type(error).__name__}: {error})"
                if template.process is None or template.process.returncode is not None or isinstance(error, TimeoutError):
                    template.failed = reason  # it will not come back: stop asking
            else:
                self.process = ForkedProcess(pid)
                self.pid = self.pgid = pid  # the child runs in its own session, like every kernel Jupyter starts
                self.cwd = cwd
                return self.connection_info
        self._fallback(reason)
        return await super().launch_kernel(cmd, **kwargs)
