"""The participant app's views of a live session: the consent step and the quiet-word request.

What a session does (join, connect, follow, presence, shares, retries) is
:class:`workshop.live.SessionClient`'s, without widgets; the app places these views and wires
them to its client. With no session code in the join link, none of it runs and the database
layer is never imported.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import traitlets

from ._text import t
from .looks import HTML, Button, ToggleButton, VBox, show
from .markup import el

POLL_SECONDS = 0.5
SHARE_DELAY = 0.6
#: how long a participant's write waits for another writer (the kernel is frozen meanwhile); a
#: share that fails is kept and tried again (see workshop.live.RETRY_FIRST)
WRITE_WAIT_SECONDS = 2.0


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The kernel's running event loop, inside Voila and JupyterLab; ``None`` anywhere else.

    Only a kernel counts: in a plain process another library's loop can look "running" in this
    thread (Playwright's sync API does) while its callbacks never come, and a share scheduled
    there would never be written.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return None
    if getattr(get_ipython(), "kernel", None) is None:
        return None
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def consent_view(group: bool, decide: Callable[[str], None]) -> VBox:
    """The consent step shown on joining: in a group, share anonymously or keep everything private;
    in a couple or one-to-one session, a word that nothing is shown to anyone, and Continue."""
    title = HTML(str(el("h1", t("consent_title"), data_hs_page="-2")))
    title.add_class("hs-md")
    if group:
        body = HTML(str(el("p", t("consent_body"))))
        choices = [("consent_share", "share", "primary"), ("consent_private", "private", "")]
    else:
        body = HTML(str(el("p", t("consent_couple"))))
        choices = [("consent_continue", "seen", "primary")]
    buttons = []
    for key, choice, style in choices:
        button = Button(description=t(key), tooltip=t(key), button_style=style)
        button.add_class("hs-consent-button")
        button.on_click(lambda _b, choice=choice: decide(choice))
        buttons.append(button)
    view = VBox([title, body, *buttons])
    view.add_class("hs-page")
    view.add_class("hs-consent")
    return view


class QuietWord(VBox):
    """"I'd like a quiet word": shown under a high distress rating and on the "I need a moment" page,
    only in a live session. The console sees how many asked, never who.

    ``ask(asking)`` stores the request and returns whether it could; if not, the button goes back
    and the note says so. ``asking`` is the request as it stands.
    """

    asking = traitlets.Bool(False)

    def __init__(self, ask: Callable[[bool], bool]) -> None:
        self._ask = ask
        self.button = ToggleButton(value=False, description=t("quiet_word_ask"), tooltip=t("quiet_word_ask"))
        self.button.add_class("hs-quiet-word")
        self._note = HTML()
        super().__init__([self.button, self._note])
        self.add_class("hs-quiet-box")
        show(self, False)
        # the button shows the request as it stands; a click asks, and a refused ask goes back
        traitlets.dlink((self, "asking"), (self.button, "value"))
        self.observe(self._show, names="asking")
        self.button.observe(self._on_click, names="value")
        self._show()

    def show(self, shown: bool) -> None:
        show(self, shown)

    def _on_click(self, change: dict) -> None:
        if change["new"] == self.asking:
            return  # the link setting the button from ``asking``
        if self._ask(bool(change["new"])):
            self.asking = bool(change["new"])
            return
        self.button.value = self.asking
        self._note.value = str(el("p", t("quiet_word_trouble"), cls="hs-notice-error", role="alert"))

    def _show(self, _change: object = None) -> None:
        self.button.button_style = "primary" if self.asking else ""
        key = "quiet_word_asked" if self.asking else "quiet_word_hint"
        self._note.value = str(el("p", t(key), cls="hs-hint", role="status"))
