"""The participant app's part in a live session: consent, following, presence, sharing.

A mixin of :class:`widgets.app.ParticipantApp`. With no session code in the join link none of
this runs and the database layer is never imported.
"""

from __future__ import annotations

import asyncio
import html
from typing import Any

import traitlets
from ipywidgets import HTML, Button, ToggleButton, VBox

from workshop import serverlog

from ._text import t

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


class LiveSession(traitlets.HasTraits):
    """Mixin: join a session from the link's ``s=`` code and take part in it."""

    #: the participant's answer to the consent step: "", "share", "private" or "seen"
    consent = traitlets.Unicode("")
    #: True while the facilitator moves everyone together
    following = traitlets.Bool(False)

    def _init_live(self) -> None:
        self._store = None
        self._session = None
        self._link = None
        self._poll_task = None
        self._dirty: set[str] = set()
        self._flush_handle = None
        #: a connection notice is showing (the app keeps it when the page changes)
        self._offline = False
        #: "" (all well), "offline" (the session cannot be read) or "unshared" (shares wait to be written)
        self._status = ""
        self._consent_view: VBox | None = None
        self.observe(self._on_following, names="following")
        # "I'd like a quiet word": shown under a high distress rating and on the "I need a moment"
        # page, only in a live session; the console sees a count, never who
        self._quiet = ToggleButton(value=False, description=t("quiet_word_ask"), tooltip=t("quiet_word_ask"))
        self._quiet.add_class("hs-quiet-word")
        self._quiet_note = HTML(f'<p class="hs-hint">{html.escape(t("quiet_word_hint"))}</p>')
        self._quiet_box = VBox([self._quiet, self._quiet_note])
        self._quiet_box.add_class("hs-quiet-box")
        self._quiet_box.layout.display = "none"
        self._quiet_syncing = False
        self._quiet.observe(self._on_quiet, names="value")

    # ------------------------------------------------------------------ joining
    @property
    def session(self):
        """The live session this participant takes part in, or ``None``."""
        return self._session if self._link is not None else None

    def join(self, code: str, store: Any = None) -> bool:
        """Find the session ``code``; connect once the browser has sent the participant's id."""
        from workshop.store import Store, normalise_code  # the database layer, only for sessions

        if normalise_code(code) is None:
            self._say("session_unknown")
            return False
        try:
            store = store or Store(busy_seconds=WRITE_WAIT_SECONDS)
            session = store.session(code)
        except Exception:
            serverlog.logger().exception("the session store could not be reached")
            self._say("session_offline")
            return False
        if session is None or session.ended:
            self._say("session_unknown")
            return False
        self._store, self._session = store, session
        self._maybe_connect()
        return True

    def _maybe_connect(self) -> None:
        if self._session is None or self._link is not None or not self.participant_id or not self._resumed:
            return
        from workshop.live import ParticipantLink
        from workshop.store import StoreError

        self._link = ParticipantLink(self._store, self._session, self.participant_id)
        try:
            self._link.heartbeat(force=True)
        except StoreError:
            pass  # presence is tried again with the next poll
        group = self._session.kind == "group"
        for exercise in self.exercises.values():
            exercise.share_available = group and exercise.shareable is not None
        self._apply_session(self._session)
        self._quiet_box.layout.display = None
        try:
            self._set_quiet(self._link.has_asked_for_word())  # a reloaded page shows a request still standing
        except StoreError:
            pass
        if not self.consent:
            self._consent_view = self._build_consent(group)
            self._render_stage()
            self._bridge.page = -2  # the focus goes to its heading, and to the theme's after consent
        self._queue_shares(list(self.exercises))
        loop = running_loop()
        if loop is not None:
            self._poll_task = loop.create_task(self._poll_forever())

    def _build_consent(self, group: bool) -> VBox:
        title = HTML(f'<h1 data-hs-page="-2">{html.escape(t("consent_title"))}</h1>')
        title.add_class("hs-md")
        if group:
            body = HTML(f"<p>{html.escape(t('consent_body'))}</p>")
            share = Button(description=t("consent_share"), tooltip=t("consent_share"), button_style="primary")
            private = Button(description=t("consent_private"), tooltip=t("consent_private"))
            share.on_click(lambda _b: self.decide_consent("share"))
            private.on_click(lambda _b: self.decide_consent("private"))
            buttons = [share, private]
        else:
            body = HTML(f"<p>{html.escape(t('consent_couple'))}</p>")
            begin = Button(description=t("consent_continue"), tooltip=t("consent_continue"), button_style="primary")
            begin.on_click(lambda _b: self.decide_consent("seen"))
            buttons = [begin]
        for button in buttons:
            button.add_class("hs-consent-button")
        view = VBox([title, body, *buttons])
        view.add_class("hs-page")
        view.add_class("hs-consent")
        return view

    def decide_consent(self, choice: str) -> None:
        """Record the consent step's answer; "share" ticks sharing on the choice exercises."""
        if choice not in ("share", "private", "seen"):
            raise traitlets.TraitError("consent is share, private or seen")
        self.consent = choice
        if choice == "share":
            for exercise in self.exercises.values():
                if exercise.shareable == "choices" and exercise.share_available:
                    exercise.share = True
        if self._consent_view is not None:
            view, self._consent_view = self._consent_view, None
            self._render_stage()
            from .pages import close_tree

            close_tree(view)
        self._bridge.page = self.page
        self._save()

    # ------------------------------------------------------------------ following and presence
    async def _poll_forever(self) -> None:
        while self._link is not None:
            await asyncio.sleep(POLL_SECONDS)
            self.poll_once()

    def poll_once(self) -> None:
        """Read the session once: follow the facilitator, keep presence, retry pending shares."""
        from workshop.store import StoreError

        if self._link is None:
            return
        try:
            session = self._link.refresh()
        except StoreError:
            self._set_status("offline")
            return
        if self._status == "offline":
            self._set_status("")
        if session is None or session.ended:
            self._leave_session()
            return
        self._apply_session(session)
        try:
            self._link.heartbeat()
        except StoreError:
            pass  # a locked or full store: reading still works; shares below say what waits
        if self._dirty:
            self._flush_shares()

    def _apply_session(self, session) -> None:
        self.following = bool(session.follow)
        if session.follow and session.theme:
            index = next((i for i, theme in enumerate(self._themes) if theme.key == session.theme), None)
            if index is not None and index != self.page:
                self.page = index

    def _leave_session(self) -> None:
        self._link = None
        self.following = False
        self._quiet_box.layout.display = "none"
        self._set_quiet(False)
        for exercise in self.exercises.values():
            exercise.share_available = False
        if self._consent_view is not None:
            self._consent_view = None
            self._render_stage()
            self._bridge.page = self.page
        self._say("session_ended")

    def _set_offline(self, offline: bool) -> None:
        self._set_status("offline" if offline else "")

    def _set_status(self, status: str) -> None:
        """Say what changed, once: the group cannot be reached, a share waits, or all is well."""
        if status == self._status:
            return
        previous, self._status = self._status, status
        self._offline = bool(status)
        if status == "offline":
            self._say("session_offline")
        elif status == "unshared":
            reason = self._link.last_error if self._link is not None else ""
            serverlog.logger().warning("a share could not be written yet (%s); it is kept and tried again", reason)
            self._say("share_retrying")
        elif previous == "unshared":
            serverlog.logger().info("the shares that waited were written")
            self._say("share_sent")
        else:
            self._notice.value = ""

    # ------------------------------------------------------------------ a quiet word
    def _set_quiet(self, asking: bool) -> None:
        self._quiet_syncing = True
        try:
            self._quiet.value = asking
        finally:
            self._quiet_syncing = False
        self._quiet.button_style = "primary" if asking else ""
        self._quiet_note.value = f'<p class="hs-hint" role="status">{html.escape(t("quiet_word_asked" if asking else "quiet_word_hint"))}</p>'

    def _on_quiet(self, change: dict) -> None:
        """Ask for (or take back) a quiet word; if the store cannot be reached, say so and undo."""
        from workshop.store import StoreError

        if self._quiet_syncing:
            return
        if self._link is None:
            self._set_quiet(False)
            return
        try:
            self._link.ask_for_word(bool(change["new"]))
        except StoreError:
            serverlog.logger().warning("a request for a quiet word could not be written")
            self._set_quiet(bool(change["old"]))
            self._quiet_note.value = f'<p class="hs-notice-error" role="alert">{html.escape(t("quiet_word_trouble"))}</p>'
            return
        self._set_quiet(bool(change["new"]))

    def _on_following(self, _change: dict) -> None:
        self._update_nav()

    # ------------------------------------------------------------------ sharing
    def _queue_shares(self, keys: list[str]) -> None:
        """Write these exercises' shared rows soon (once per short pause in typing or tapping)."""
        if self._link is None:
            return
        self._dirty.update(keys)
        loop = running_loop()
        if loop is None:
            self._flush_shares()
        elif self._flush_handle is None:
            self._flush_handle = loop.call_later(SHARE_DELAY, self._flush_shares)

    def _flush_shares(self) -> None:
        from workshop.store import StoreError

        self._flush_handle = None
        if self._link is None:
            self._dirty.clear()
            return
        exercises = self.exercises
        for key in sorted(self._dirty):
            exercise = exercises.get(key)
            try:
                self._link.share(key, exercise.shared_rows() if exercise is not None else [])
            except StoreError:
                self._set_status("unshared")
                return  # what is still dirty is retried by the next poll
            self._dirty.discard(key)
        if self._status == "unshared":
            self._set_status("")

    def _say(self, key: str) -> None:
        kind = "hs-notice-error" if key in ("session_offline", "share_retrying") else "hs-notice-info"
        self._notice.value = f'<p class="{kind}" role="status">{html.escape(t(key))}</p>'
