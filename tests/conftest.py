"""Shared fixtures: a real participant server started by the kit's own launcher code, and the
system Chromium for Playwright (never skipped: a missing browser fails with a one-line fix)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from workshop.serving.server import ServerProcess, ServerSettings, console_settings, free_port

KIT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def find_chromium() -> str | None:
    """The Chromium to drive: $HOLDING_SPACE_CHROMIUM, else the first found on PATH."""
    configured = os.environ.get("HOLDING_SPACE_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


#: a server's warm pool without the growth that follows arrivals (tests that count kernels or descriptors)
FIXED_POOL = ["--HoldingSpaceKernelManager.demand_window_seconds=0"]


def start_server(
    tmp: Path, notebooks: Path | None = None, content: Path | None = None, pool_size: int = 2, extra_args: list | None = None
) -> ServerProcess:
    settings = ServerSettings(
        extra_args=list(extra_args or []),
        port=free_port(),
        bind="127.0.0.1",
        pool_size=pool_size,
        notebooks=notebooks or KIT / "notebooks",
        content=content or KIT / "workshop" / "content",
        data=tmp / "data",
        refill_delay=2,  # tests open many pages one after another from a small pool
    )
    server = ServerProcess(settings, tmp / "data" / "logs" / "participant.log").start()
    try:
        server.wait_until_listening()
        server.wait_until_warm(timeout=120)
    except Exception:
        server.stop()
        raise
    return server


def start_console(tmp: Path, participant: ServerProcess) -> ServerProcess:
    """The facilitator console on localhost, sharing ``tmp``'s data folder with ``participant``."""
    settings = console_settings(
        free_port(), data=tmp / "data", extra_env={"HOLDING_SPACE_JOIN_BASE": participant.settings.join_url}
    )
    console = ServerProcess(settings, tmp / "data" / "logs" / "console.log").start()
    try:
        console.wait_until_listening()
    except BaseException:
        console.stop()
        raise
    return console


def start_room(tmp: Path, pool_size: int) -> tuple[ServerProcess, ServerProcess]:
    """A participant server and its console; if the console fails to start, neither outlives the run."""
    participant = start_server(tmp, pool_size=pool_size)
    try:
        return participant, start_console(tmp, participant)
    except BaseException:
        participant.stop()
        raise


@pytest.fixture(scope="session")
def participant_server(tmp_path_factory: pytest.TempPathFactory):
    """One real participant server (Voila, preheated kernels) for the session's tests."""
    server = start_server(tmp_path_factory.mktemp("server"))
    yield server
    server.stop()


# ------------------------------------------------------------------ pytest-playwright
@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        pytest.fail(
            "Chromium was not found. Install it with: sudo apt-get install chromium "
            "(or set HOLDING_SPACE_CHROMIUM=/path/to/chromium)",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict, chromium_path: str) -> dict:
    return {**browser_type_launch_args, "executable_path": chromium_path, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": {"width": 375, "height": 667}}
