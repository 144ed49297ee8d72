"""Participant kernels forked from the seat template, and the ordinary launch when forking cannot work.

Real Voila servers started by the kit's launcher code. What is checked is what a participant meets:
a page with a working app, whichever way its kernel was started; and the facts behind the figures
(the kernel's parent, its memory shared with the template, the time a seat took).
"""

from __future__ import annotations

import os
import re
import signal
import time

import psutil
import pytest

from tests.conftest import start_server
from tests.server.test_access import open_page, raw_request
from workshop.serving.server import ServerProcess, is_kernel_process

pytestmark = pytest.mark.server

SEAT_READY = re.compile(r"holding-space: seat ready (\d+\.\d+) s after its kernel started")


def wait_for(check, timeout: float = 60, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {timeout:.0f} s")


def settle(server: ServerProcess, quiet: float = 3.0) -> None:
    """Wait until the number of kernels and of warm seats stayed the same for ``quiet`` seconds."""
    state, since = None, time.monotonic()
    deadline = since + 120
    while time.monotonic() < deadline:
        now = (len(server.kernel_processes()), server.warm_seats)
        if now != state:
            state, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.2)
    raise AssertionError("the pool never settled")


def kernel_of(server: ServerProcess, kernel_id: str) -> psutil.Process:
    return wait_for(lambda: next((p for p in server.kernel_processes() if kernel_id in " ".join(p.cmdline())), None),
                    what=f"kernel {kernel_id}'s process")


def app_answers(server: ServerProcess) -> str:
    """Open the join page and return its kernel id, once the page carries the app."""
    page, kernel_id = open_page(server)
    assert "hs-app" in page or "jupyter-widgets" in page or "application/vnd.jupyter.widget-view+json" in page, page[:500]
    return kernel_id


@pytest.fixture(scope="module")
def forked(tmp_path_factory):
    with start_server(tmp_path_factory.mktemp("forked"), pool_size=2) as server:
        yield server


def test_seats_are_forked_from_one_template_and_show_their_kernel(forked):
    """Is every participant kernel a child of the one seat template (not of the server), shown under
    its own connection file, with the kit imported before it started?"""
    template = forked.template_process()
    assert template is not None, forked.tail()
    kernels = forked.kernel_processes()
    assert len(kernels) >= 2
    for kernel in kernels:
        assert kernel.ppid() == template.pid, (kernel.pid, kernel.ppid(), template.pid)
        assert re.search(r"-m ipykernel_launcher -f \S*kernel-[0-9a-f-]{36}\.json", " ".join(kernel.cmdline()))
        assert os.getpgid(kernel.pid) == kernel.pid, "a kernel runs in its own process group"
    assert not is_kernel_process(template)
    assert "seat template ready" in forked.log_text()
    assert "start the ordinary way" not in forked.log_text()


def test_a_forked_seat_says_when_it_was_ready_and_shares_its_memory_with_the_template(forked):
    """Does each seat log how long after its fork it was ready (the figure benchmarks/ report; not
    judged here), and does it share memory with the template (PSS well under RSS)?"""
    ages = [float(m) for m in SEAT_READY.findall(forked.log_text())]
    assert len(ages) >= forked.settings.pool_size, forked.tail()
    for kernel in forked.kernel_processes():
        info = kernel.memory_full_info()
        assert info.pss < info.rss * 0.85, f"PSS {info.pss >> 20} MiB of RSS {info.rss >> 20} MiB: little is shared"


def test_no_seat_keeps_an_ipython_history_file(forked):
    """The servers' kernelspec turns IPython's history off (``--HistoryManager.enabled=False``): a seat's
    cells were written to ~/.ipython's history.sqlite, one session row per seat, through a thread of its
    own, and a database opened at every fork; no one reads it in a Voila kernel."""
    kernels = forked.kernel_processes()
    assert kernels
    for kernel in kernels:
        opened = [f.path for f in kernel.open_files()]
        assert not [p for p in opened if p.endswith(".sqlite") and "ipython" in p.lower()], opened
        assert kernel.num_threads() > 1, "the probe sees the kernel's threads"


def test_a_forked_kernel_serves_a_participant_interrupts_and_is_freed(forked):
    """A participant's page from a forked seat; the kernel takes Jupyter's interrupt signal (to its own
    process group) and a shutdown ends the process, which the template collects (no zombie)."""
    kernel_id = app_answers(forked)
    proc = kernel_of(forked, kernel_id)
    token = forked.settings.token
    port = forked.settings.port
    status, _h, _b = raw_request(port, f"/api/kernels/{kernel_id}/interrupt?token={token}", method="POST")
    assert status in (204, 403, 404, 405), status  # Voila may refuse the API; the process must survive either way
    assert proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    proc.send_signal(signal.SIGINT)  # what Jupyter's interrupt sends: the kernel lives on
    time.sleep(0.5)
    assert proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    status, _h, _b = raw_request(port, f"/api/kernels/{kernel_id}?token={token}", method="DELETE")
    wait_for(lambda: not psutil.pid_exists(proc.pid), what="the freed kernel's process to be gone (collected)")


def test_a_seat_killed_by_the_system_is_replaced(forked):
    """The out-of-memory killer takes a warm seat: the lost-seat watch sees it through the forked
    kernel's handle, and a fresh seat is warmed."""
    settle(forked)  # (the pool grew when the earlier tests took seats; every taken seat was freed)
    before = forked.warm_seats
    seat = forked.kernel_processes()[0]
    seat.kill()
    wait_for(lambda: "a warm seat's kernel stopped before anyone took it" in forked.log_text(), what="the lost seat seen")
    wait_for(lambda: forked.warm_seats > before, timeout=90, what="a fresh seat after the lost one")
    assert app_answers(forked)


def test_switched_off_every_kernel_starts_the_ordinary_way(tmp_path):
    """``--ForkingProvisioner.enabled=False``: no template, kernels are the server's own children, and
    the page works."""
    with start_server(tmp_path, pool_size=1, extra_args=["--ForkingProvisioner.enabled=False"]) as server:
        assert server.template_process() is None
        kernels = server.kernel_processes()
        assert kernels and all(k.ppid() == server.process.pid for k in kernels)
        assert "forking is switched off" in server.log_text()
        assert app_answers(server)


def test_when_the_template_dies_seats_start_the_ordinary_way(tmp_path):
    """The template killed mid-workshop: its kernels end (their pages ask to reload and resume from the
    browser), and every newcomer still gets a working page, from a kernel started the ordinary way."""
    with start_server(tmp_path, pool_size=1) as server:
        template = server.template_process()
        assert template is not None
        template.kill()
        template.wait(10)
        # the forked seat ends with its template (its parent poller); the lost-seat watch warms another
        wait_for(lambda: "start the ordinary way" in server.log_text(), timeout=90, what="the fallback to the ordinary launch")
        kernel_id = app_answers(server)
        proc = kernel_of(server, kernel_id)
        assert proc.ppid() == server.process.pid
        assert "the seat template failed" in server.log_text()
