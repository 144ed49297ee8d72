"""`make workshop` as a facilitator meets it: the command prints both addresses, serves the app,
and Ctrl-C (even pressed twice) stops every server and kernel it started."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import psutil
import pytest
import requests

from workshop.serving.server import free_port

pytestmark = pytest.mark.server


def test_the_workshop_command_starts_both_servers_and_ctrl_c_stops_everything(tmp_path):
    """Does `holding-space workshop` print the console and join addresses with a QR code, serve the app,
    and leave no server or kernel behind after Ctrl-C pressed twice?"""
    port, console_port = free_port(), free_port()
    env = {**os.environ, "HOLDING_SPACE_DATA": str(tmp_path / "data")}
    env.pop("HOLDING_SPACE_STRICT", None)
    command = [sys.executable, "-m", "workshop.cli", "workshop", "--seats", "1", "--port", str(port),
               "--console-port", str(console_port), "--bind", "127.0.0.1"]
    # started with SIGINT ignored, as under a parent that ignores it: Ctrl-C must still work
    launcher = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    lines: list[str] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = launcher.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "Press Ctrl-C" in line:
            break
    output = "".join(lines)
    assert "Press Ctrl-C" in output, output
    assert "Warming up participant seats" in output
    assert "█" in output or "▀" in output  # the QR code
    join = re.search(rf"http://127\.0\.0\.1:{port}/\?token=[\w-]+", output).group(0)
    console = re.search(rf"http://127\.0\.0\.1:{console_port}/\?token=[\w-]+", output).group(0)
    assert requests.get(join, timeout=60).status_code == 200
    assert requests.get(console, timeout=90).status_code == 200
    started = [p for p in psutil.Process(launcher.pid).children(recursive=True)]
    assert len(started) >= 3  # two servers and at least one kernel

    launcher.send_signal(signal.SIGINT)
    time.sleep(0.3)
    launcher.send_signal(signal.SIGINT)  # impatient second Ctrl-C
    rest, _ = launcher.communicate(timeout=60)
    assert launcher.returncode == 0, rest
    assert "Stopped." in rest
    time.sleep(1)
    alive = [p for p in started if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert alive == [], [p.cmdline()[:4] for p in alive]
