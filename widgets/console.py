"""The facilitator console: run a session, move everyone, see anonymous group answers, export, purge.

:class:`FacilitatorConsole` places the panels of :mod:`widgets.console_panels` and wires them: it
holds the shared state as traits (``session``, ``theme`` and ``activity``), linked one way to each
panel that shows it, and does every action that writes to the store (guarded by :func:`store_action`),
which the panels ask for through the callbacks they were given.
"""

from __future__ import annotations

import asyncio
import functools
import os
from pathlib import Path
from typing import Any

import traitlets

from workshop import content, exercises, export, facilitators, serverlog
from workshop.markdown import to_html
from workshop.paths import KIT_ROOT
from workshop.store import Session, Store

from ._text import t
from .base import QuietRepr
from .console_panels import (
    AnswersPanel,
    ConsoleLayout,
    DataPanel,
    JoinPanel,
    NotesPanel,
    ProjectorPanel,
    SessionLine,
    SetupPanel,
    StatusLine,
    ThemesPanel,
    join_url,
)
from .live_session import running_loop
from .looks import HTML
from .markup import el

__all__ = ["FacilitatorConsole", "POLL_SECONDS", "guide_dir", "join_url", "notes_html", "store_action"]

POLL_SECONDS = 1.0


def store_action(method):
    """A console action that writes or reads the store: if the store fails (locked by another
    writer, disk full), the facilitator reads a short message, the log has the detail, and the
    console carries on; the action can simply be tried again."""

    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        self.status_line.action_starting()  # trying again: the old message goes
        try:
            return method(self, *args, **kwargs)
        except Exception:
            serverlog.logger().exception("a console action failed (%s)", method.__name__)
            self.status_line.action_failed()
            return None

    return guarded


def guide_dir() -> Path:
    return Path(os.environ.get("HOLDING_SPACE_GUIDE", KIT_ROOT / "facilitator_guide"))


def notes_html(theme_key: str) -> str:
    """A theme's facilitator script (``facilitator_guide/<theme key>.md``) as HTML, read afresh."""
    path = guide_dir() / f"{theme_key}.md"
    try:
        return to_html(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return str(el("p", t("console_no_notes", name=path.name), cls="hs-hint"))


class FacilitatorConsole(QuietRepr, ConsoleLayout):
    """What the facilitator sees on their own laptop (and may project).

    Start a group, couple or one-to-one session; show its join QR code; move every participant
    to a theme or let them browse; see how many are here; for the current theme, see the
    anonymous group answers as charts with a text summary, only once at least ``k`` people shared
    (never in couple and one-to-one sessions); hide any shared text; read the theme's script from
    ``facilitator_guide/``; export the shared answers to CSV and purge the session.
    """

    #: the session shown (the latest one not ended when the console starts), or ``None``
    session = traitlets.Instance(Session, allow_none=True)
    #: the key of the theme everyone is moved to, whose answers and notes are shown
    theme = traitlets.Unicode("")
    #: the store's signature of the session (shares, quiet words, presence); polled
    activity = traitlets.Tuple()

    def __init__(self, store: Store | None = None, join_base: str | None = None, facilitator: str | None = None,
                 **kwargs: Any) -> None:
        self.store = store or Store()
        # online, who signed in (the server tells the page's kernel); each sees their own sessions only.
        # None on a laptop, whose console has no sign-in and sees the sessions made without one
        self.facilitator = facilitator or facilitators.from_environment()
        self.join_base = join_base or os.environ.get("HOLDING_SPACE_JOIN_BASE", "http://127.0.0.1:8866/")
        self.themes = content.load_themes()
        self._poll_task = None
        # Each theme's exercises, read from its notebook's cells without running them: what they
        # share and how shares are counted is workshop.exercises'; no participant widget is built
        # (built and closed, they once sent the console's page 1,471 widget models).
        specs = {theme.key: exercises.find(theme) for theme in self.themes}

        self.status_line = StatusLine()
        self.setup_panel = SetupPanel(on_start=self.start_session)
        self.session_line = SessionLine(self.join_base, on_end=self.end_session)
        self.join_panel = JoinPanel(self.join_base)
        self.themes_panel = ThemesPanel(self.themes, on_choose=self.move_everyone, on_follow=self.set_follow)
        self.answers_panel = AnswersPanel(self.store, self.themes, specs, on_hide=self.hide, on_project=self.project_text)
        self.projector_panel = ProjectorPanel(on_picture=self.project_picture)
        self.notes_panel = NotesPanel(self.notes_html)
        self.data_panel = DataPanel(on_export=self.export, on_purge=self.purge, on_report=self.report)
        super().__init__(
            status=self.status_line,
            session_line=self.session_line,
            main=[self.setup_panel, self.answers_panel, self.notes_panel],
            side=[self.join_panel, self.projector_panel, self.themes_panel, self.data_panel],
            **kwargs,
        )
        # The answers panel is linked last: it reads the store, and if that fails the other
        # panels have already followed the change.
        for name, panels in (
            ("session", [self.setup_panel, self.session_line, self.join_panel, self.projector_panel, self.themes_panel,
                         self.data_panel, self.answers_panel]),
            ("theme", [self.themes_panel, self.notes_panel, self.answers_panel]),
            ("activity", [self.session_line, self.answers_panel]),
        ):
            for panel in panels:
                traitlets.dlink((self, name), (panel, name))
        self._attach(self.store.latest_session(facilitator=self.facilitator))

    # ------------------------------------------------------------------ sessions
    @store_action
    def start_session(self, kind: str = "group", k: int = 5) -> Session:
        """Start a session; participants join by its QR code."""
        session = self.store.create_session(kind=kind, k=k, theme=self.themes[0].key, facilitator=self.facilitator)
        self._attach(session)
        return session

    @store_action
    def end_session(self) -> None:
        """End the session: participants keep their own answers; nothing more is shared.

        The ended session stays here so its shared answers can still be exported and purged.
        """
        if self.session is not None:
            self._attach(self.store.update_session(self.session.code, ended=True))
            self.status_line.say(t("console_ended"))

    @store_action
    def move_everyone(self, theme_key: str) -> None:
        """Move every following participant to ``theme_key``."""
        if self.session is not None:
            self.session = self.store.update_session(self.session.code, theme=theme_key)
        self.theme = theme_key

    @store_action
    def set_follow(self, follow: bool) -> None:
        """Let participants follow the facilitator's moves (``True``) or browse on their own."""
        if self.session is not None and self.session.follow != follow:
            self.session = self.store.update_session(self.session.code, follow=follow)

    def _attach(self, session: Session | None) -> None:
        """Show ``session`` (or none): the panels follow ``session``, ``theme`` and ``activity``."""
        with self.answers_panel.hold_trait_notifications():  # the answers redrawn once, not once for each
            self.session = session
            if session is not None:
                self.theme = session.theme or self.themes[0].key
            self.refresh()
        self._ensure_polling()

    # ------------------------------------------------------------------ live view
    def _ensure_polling(self) -> None:
        loop = running_loop()
        if self._poll_task is None and loop is not None:
            self._poll_task = loop.create_task(self._poll_forever())

    async def _poll_forever(self) -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            self.poll_once()

    def poll_once(self) -> None:
        """Refresh once; if the store cannot be read, say so once and keep trying."""
        try:
            self.refresh()
        except Exception:
            if self.status_line.read_failed():
                serverlog.logger().exception("the console could not refresh")
            return
        self.status_line.read_worked()

    def refresh(self, force: bool = False) -> None:
        """Read the session's activity from the store; the panels redraw if it changed (the group
        answers also if ``force``)."""
        activity = () if self.session is None else tuple(self.store.signature(self.session))
        if activity != self.activity:
            self.activity = activity
        elif force:
            self.answers_panel.draw()

    @store_action
    def hide(self, share_id: int, hidden: bool = True) -> None:
        """Hide (or show again) one shared text."""
        if self.session is not None:
            self.store.hide(self.session, share_id, hidden)
            self.refresh(force=True)

    # ------------------------------------------------------------------ the projector
    @store_action
    def project_picture(self, on: bool) -> None:
        """Show the live group picture on the projector view (only ever at k, group sessions only), or not."""
        if self.session is not None and self.session.show_picture != on:
            self.session = self.store.update_session(self.session.code, show_picture=bool(on))

    @store_action
    def project_text(self, share_id: int | None) -> None:
        """Put one shared text, read here first, on the projector view (None: take it off)."""
        if self.session is not None:
            self.session = self.store.update_session(self.session.code, shown_text=share_id)
            self.refresh(force=True)

    # ------------------------------------------------------------------ notes
    def notes_html(self, theme_key: str) -> str:
        return notes_html(theme_key)

    # ------------------------------------------------------------------ data
    def export_csv(self) -> str:
        """The session's shared answers as CSV (see :func:`workshop.export.shares_csv`)."""
        return export.shares_csv(self.store, self.session, self.themes)

    @store_action
    def export(self) -> None:
        if self.session is None:
            return
        self.data_panel.deliver(f"holding-space-{self.session.code}.csv", self.export_csv(), mime="text/csv")

    @store_action
    def report(self) -> None:
        """The printable session report (from the store alone: counts, k-gated pictures, shared texts)."""
        if self.session is None:
            return
        from workshop.report import build_report, report_filename

        self.data_panel.deliver(report_filename(self.session), build_report(self.store, self.session, self.themes),
                                mime="text/html", said="console_reported")

    @store_action
    def purge(self) -> None:
        """Delete the session and everything shared in it, for good."""
        if self.session is not None:
            self.store.purge(self.session)
            self._attach(None)
            self.data_panel.say_purged()

    @classmethod
    def start(cls) -> FacilitatorConsole | HTML:
        """The console for ``facilitator.ipynb``; a short notice if it cannot start."""
        try:
            return cls()
        except Exception:
            if os.environ.get("HOLDING_SPACE_STRICT"):
                raise
            serverlog.logger().exception("the facilitator console could not start")
            return HTML(str(el("p", t("console_broken"), cls="hs-notice-error", role="alert")))
