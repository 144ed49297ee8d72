"""The tiny browser-side piece of the participant app (an anywidget)."""

from __future__ import annotations

import re
from pathlib import Path

import traitlets

from .looks import AnyWidget

MAX_SNAPSHOT = 256 * 1024
#: the words the browser shows by itself when its line to the kernel breaks (from ui.yaml)
CONNECTION_TEXTS = ("connection_offline", "connection_back", "connection_lost", "connection_reload",
                    "connection_reopening")


def connection_texts() -> dict[str, str]:
    """Those words, from ``ui.yaml``; a missing one is a content error like any other."""
    from ._text import t

    return {key: t(key) for key in CONNECTION_TEXTS}


class BrowserBridge(AnyWidget):
    """Keeps the participant's anonymous id and own answers in their browser's localStorage.

    It shows nothing. On load it sends the kernel the id (32 random hex digits made in the
    browser) and the answers saved there by an earlier page load, so a refresh or a dropped
    connection resumes the same participant. The kernel sends back a snapshot after every
    change. Nothing here reaches the server's disk.

    It also watches the page's connection to its kernel and says plainly, in ``texts``, when the
    network is gone (the page reconnects by itself) or the kernel is lost (killed, or the server
    restarted: only a reload helps, and the reload resumes from localStorage); the kernel cannot
    say so itself then. It tells the server when the page is hidden or closed, so a phone that
    vanishes frees its kernel, and reloads the page by itself if it comes back to a freed one.
    Values the browser sends are checked: an id of the wrong shape becomes ``""`` and an
    oversized snapshot is ignored.
    """

    _esm = Path(__file__).with_name("bridge.js").read_text(encoding="utf-8")

    namespace = traitlets.Unicode("local").tag(sync=True)
    participant_id = traitlets.Unicode("").tag(sync=True)
    restored = traitlets.Unicode("").tag(sync=True)
    snapshot = traitlets.Unicode("").tag(sync=True)
    page = traitlets.Int(0).tag(sync=True)
    texts = traitlets.Dict().tag(sync=True)

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("texts", connection_texts())
        super().__init__(**kwargs)

    @traitlets.validate("participant_id")
    def _valid_participant_id(self, proposal: dict) -> str:
        value = proposal["value"]
        return value if re.fullmatch(r"[0-9a-f]{32}", value) else ""

    @traitlets.validate("restored")
    def _valid_restored(self, proposal: dict) -> str:
        value = proposal["value"]
        return value if len(value) <= MAX_SNAPSHOT else ""
