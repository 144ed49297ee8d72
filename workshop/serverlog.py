"""Write to the server's log from inside a participant kernel, never to the participant's page.

ipykernel forwards everything written to file descriptor 2 (and so to ``sys.__stderr__``) to
the page as cell output. ``sys.stderr.fileno()`` of ipykernel's stream is a copy of the real
stderr taken before that redirect: writing there reaches the terminal and the launcher's log
file only.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

WARM_MARKER = "holding-space: seat ready"

_stream: TextIO | None = None


def stream() -> TextIO:
    """A text stream to the kernel's real stderr (the server log)."""
    global _stream
    if _stream is None:
        try:
            fd = sys.stderr.fileno()
        except (AttributeError, OSError, ValueError):
            fd = 2
        _stream = open(os.dup(fd), "w", buffering=1, encoding="utf-8", errors="replace", closefd=True)  # noqa: SIM115
    return _stream


def logger() -> logging.Logger:
    """The ``holding_space`` logger, writing to the server log."""
    log = logging.getLogger("holding_space")
    if not log.handlers:
        handler = logging.StreamHandler(stream())
        handler.setFormatter(logging.Formatter("[holding-space %(levelname)s] %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    return log


def announce(line: str) -> None:
    """Write one line to the server log (read by the launcher, e.g. :data:`WARM_MARKER`)."""
    stream().write(line + "\n")
