"""The tiny browser-side piece of the participant app (an anywidget)."""

from __future__ import annotations

import re
from pathlib import Path

import anywidget
import traitlets

MAX_SNAPSHOT = 256 * 1024


class BrowserBridge(anywidget.AnyWidget):
    """Keeps the participant's anonymous id and own answers in their browser's localStorage.

    It shows nothing. On load it sends the kernel the id (32 random hex digits made in the
    browser) and the answers saved there by an earlier page load, so a refresh or a dropped
    connection resumes the same participant. The kernel sends back a snapshot after every
    change. Nothing here reaches the server's disk. Values the browser sends are checked: an id
    of the wrong shape becomes ``""`` and an oversized snapshot is ignored.
    """

    _esm = Path(__file__).with_name("bridge.js").read_text(encoding="utf-8")

    namespace = traitlets.Unicode("local").tag(sync=True)
    participant_id = traitlets.Unicode("").tag(sync=True)
    restored = traitlets.Unicode("").tag(sync=True)
    snapshot = traitlets.Unicode("").tag(sync=True)
    page = traitlets.Int(0).tag(sync=True)

    @traitlets.validate("participant_id")
    def _valid_participant_id(self, proposal: dict) -> str:
        value = proposal["value"]
        return value if re.fullmatch(r"[0-9a-f]{32}", value) else ""

    @traitlets.validate("restored")
    def _valid_restored(self, proposal: dict) -> str:
        value = proposal["value"]
        return value if len(value) <= MAX_SNAPSHOT else ""
