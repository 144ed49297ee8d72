"""The participant app: every theme notebook as a page of one app, in one kernel."""

from __future__ import annotations

import asyncio
import json
import os
import random
from typing import Any

import traitlets

from workshop import content, serverlog
from workshop.answers import AnswerBook
from workshop.markdown import to_html
from workshop.session_client import Joined, SessionClient, Status
from workshop.visit import query_parameters, wait_for_request

from . import _text, errors, quiet_comms
from ._text import t
from .base import QuietRepr
from .bridge import BrowserBridge, connection_texts
from .checkin import CheckIn
from .help import HelpPanel
from .live_session import POLL_SECONDS, SHARE_DELAY, WRITE_WAIT_SECONDS, QuietWord, consent_view, running_loop
from .looks import HTML, Button, VBox
from .markup import Markup, el
from .navigation import Navigation
from .pages import Page, build_page, close_tree
from .pause import Pause
from .takehome import TakeHome

#: how long after joining the second theme is built, out of sight (seconds): long enough that a
#: room joining at once has drawn the first page before any kernel adds to it
PREBUILD_AFTER_JOIN = 10.0
#: how long after moving to a theme the next one is built: once the move itself has been drawn
PREBUILD_AFTER_MOVE = 2.0
#: while the facilitator moves everyone, the seconds between building two further themes: they may
#: jump to any theme, and a jump to one not built took 3.2-4.2 s for six phones (the budget is 2 s)
PREBUILD_GAP = 3.0
#: each wait is longer by up to this share, at random, so a room that joined or moved at the same
#: moment does not build at the same moment
PREBUILD_JITTER = 0.5


class ParticipantApp(QuietRepr, VBox):
    """What a participant sees: a header with progress, one theme at a time, Back and Next.

    Every theme notebook is a page; the first is built when the kernel starts (before anyone
    arrives), the others when first shown or out of sight beforehand (see :meth:`_prebuild_soon`);
    moving to another theme swaps the page shown, in the same kernel. A hidden
    :class:`BrowserBridge` keeps the participant's anonymous id and their own answers in their
    browser, so a reload comes back to the same page with the same answers. Nothing is written
    to the server's disk unless the join link names a group session and the participant chooses
    to share an answer anonymously. The app is the view and the coordinator: moving through the
    themes is its :class:`~widgets.navigation.Navigation`'s, the answers kept for a reload its
    :class:`~workshop.answers.AnswerBook`'s, taking part in a live session its
    :class:`~workshop.session_client.SessionClient`'s (injected, so a test or another server can
    give its own).
    """

    page = traitlets.Int(0)
    #: True while the participant is on the "I need a moment" page
    moment = traitlets.Bool(False)
    participant_id = traitlets.Unicode("")
    query = traitlets.Dict()
    #: the participant's answer to the consent step: "", "share", "private" or "seen"
    consent = traitlets.Unicode("")
    #: True while the facilitator moves everyone together
    following = traitlets.Bool(False)

    def __init__(
        self, themes: list[content.Theme], namespace: str = "local", client: SessionClient | None = None, **kwargs: Any
    ) -> None:
        self._themes = themes
        self._fingerprint = content.fingerprint()
        self._pages: list[Page | None] = []
        self._answers = AnswerBook()  # saved answers for exercises not built yet, or no longer there
        self._resumed = False
        self._key_of: dict[int, str] = {}
        self.client = client or SessionClient(busy_seconds=WRITE_WAIT_SECONDS)
        self.client.on_status = self._on_status
        self.client.on_session = self._on_session
        self._poll_task = None
        self._flush_handle = None
        #: a connection notice is showing (the app keeps it when the page changes)
        self._offline = False
        self._status = Status.WELL  # what the notice last said of the session
        self._consent_view: VBox | None = None
        self.quiet_word = QuietWord(ask=self._ask_for_word)
        self._bridge = BrowserBridge(namespace=namespace)
        self._title = HTML()
        self._title.add_class("hs-title")
        self.navigation = Navigation(titles=[theme.title for theme in themes])
        self._help = HelpPanel()
        self._moment_button = Button()
        self._moment_button.add_class("hs-moment-button")
        header = VBox([self._title, self._moment_button, self._help.button, self.navigation.progress])
        header.add_class("hs-header")
        self._notice = HTML()
        self._notice.add_class("hs-notice")
        self._stage = VBox()
        self._stage.add_class("hs-stage")
        self._return = Button(button_style="primary")
        self._return.add_class("hs-return")
        self._moment_page = self._build_moment_page()
        self._prebuild_handle = None
        nav = self.navigation
        super().__init__(
            [self._bridge, header, self._help, self._notice, self._stage, nav.end_note, nav.follow_note, nav.bar], **kwargs
        )
        self.add_class("hs-app")
        self._set_texts()
        self._build_pages()
        self._moment_button.on_click(self._on_moment_click)
        self._return.on_click(self._on_return_click)
        self.observe(self._on_moment, names="moment")
        self._bridge.observe(self._resume_then_connect, names=["participant_id", "restored"])
        self.observe(self._on_page, names="page")
        # linked after _on_page observes the page: on a move the new theme goes to the browser first,
        # then the progress line (benchmarks/follow.py, six phones: all switched in 0.56 s median and
        # 0.61 s p95 in this order, 0.60 s and 0.69 s in the other)
        traitlets.link((self, "page"), (self.navigation, "page"))
        traitlets.dlink((self, "following"), (self.navigation, "following"))
        self.observe(self._on_following, names="following")
        errors.install(self.show_error)
        self._on_page()

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_notebooks(cls, folder: os.PathLike | None = None) -> ParticipantApp | NotReady:
        """Build the app from the theme notebooks; a friendly notice if content is broken."""
        namespace = os.environ.get("HOLDING_SPACE_WORKSHOP_ID", "local")
        quiet_comms.install()  # in a Voila kernel: no one hears the build, so it sends nothing
        try:
            return cls(content.load_themes(folder), namespace=namespace)
        except Exception:
            if os.environ.get("HOLDING_SPACE_STRICT"):  # tests: a broken notebook must fail loudly
                raise
            serverlog.logger().exception("the participant app could not be built from the content")
            return NotReady()

    def _build_pages(self) -> None:
        """Build the first theme now; the others when first shown.

        Every widget a kernel holds is sent to the participant's browser when the page loads:
        all eight themes at once came to 1,446 widget models and 1 MB of state per phone.
        """
        self._install_pages([None] * len(self._themes))
        self._page(0)

    def _install_pages(self, pages: list[Page | None]) -> None:
        """Use ``pages`` from now on (``None`` for a theme not built yet); close the ones replaced."""
        for page in self._pages:
            if page is not None:
                for exercise in page.exercises.values():  # the quiet-word box lives on in the app
                    if isinstance(exercise, CheckIn):
                        exercise.care_extras = []
                page.close()
        self._pages = list(pages)
        self._key_of = {}
        for page in self._pages:
            if page is not None:
                self._wire(page)

    def _page(self, index: int) -> Page:
        """The built page for theme ``index``, building it on first use."""
        page = self._pages[index]
        if page is None:
            page = build_page(self._themes[index], index)
            self._pages[index] = page
            self._wire(page)
        return page

    def _prebuild_soon(self, delay: float) -> None:
        """Build the next theme not built yet ``delay`` seconds from now, while the participant reads.

        Moving on (alone, or the whole room when the facilitator moves everyone) then only swaps
        what is shown; building a theme's widgets was most of a move's work in the kernel. Only
        once the participant's browser has drawn the app (its bridge reported): a preheated kernel
        waiting for someone keeps just the first theme, and a room joining at once is not slowed.
        Alone, a participant only goes Next or Back, so only the next theme is built; while the
        facilitator moves everyone, every theme is built, one at a time, because they may jump.
        """
        loop = running_loop()
        if loop is None:
            return
        if self._prebuild_handle is not None:
            self._prebuild_handle.cancel()
            self._prebuild_handle = None
        if self._next_to_build() is not None:
            wait = delay * (1 + PREBUILD_JITTER * random.random())
            self._prebuild_handle = loop.call_later(wait, self._prebuild)

    def _next_to_build(self) -> int | None:
        """The theme to build next: the one after this; while following, the first not built after it."""
        total = len(self._themes)
        ahead = range(1, total) if self.following else range(1, 2)
        for step in ahead:
            index = self.page + step
            if self.following:
                index %= total  # on to the end, then the earlier themes
            if 0 <= index < total and self._pages[index] is None:
                return index
        return None

    def _prebuild(self) -> None:
        self._prebuild_handle = None
        index = self._next_to_build()
        if index is None:
            return
        try:
            self._page(index)
        except Exception:  # the page is built again when shown; the participant sees nothing
            serverlog.logger().exception("building theme %s ahead of time failed", index)
            return
        if self.following:
            self._prebuild_soon(PREBUILD_GAP)

    def _wire(self, page: Page) -> None:
        group = self.client.is_group
        for key, exercise in page.exercises.items():
            self._key_of[id(exercise)] = key
            saved = self._answers.take(key)
            if saved is not None:
                exercise.restore(saved)
            exercise.share_available = group and exercise.shareable is not None
            if saved is None and self.consent == "share" and exercise.shareable == "choices" and exercise.share_available:
                exercise.share = True  # the consent step's answer, for a theme opened after it
            exercise.observe(self._on_answer, names=exercise.answer_names())
        exercises = list(self.exercises.values())
        checkins = [ex for ex in exercises if isinstance(ex, CheckIn)]
        start = next((ex for ex in checkins if ex.moment == "check-in"), None)
        for ex in checkins:
            if ex.moment == "check-out":
                ex.compare_with = start
            ex.open_moment = self._open_moment
            if ex.care_extras != [self.quiet_word]:
                ex.care_extras = [self.quiet_word]
        for widget in page.widgets:
            if isinstance(widget, TakeHome):
                widget.collect = lambda: list(self.all_exercises().values())

    def _build_moment_page(self) -> VBox:
        """The grounding page behind "I need a moment" (``workshop/content/grounding.md``)."""
        try:
            # trusted: to_html renders markdown with any raw HTML in it escaped (workshop.markdown)
            text = Markup(to_html(content.grounding()))
        except content.ContentError:
            serverlog.logger().exception("the grounding page could not be read")
            text = el("p", t("moment_fallback"))
        page_text = HTML(str(text).replace("<h1>", '<h1 data-hs-page="-1">', 1))
        page_text.add_class("hs-md")
        try:
            breathing = [Pause(kind="breathing")]
        except (content.ContentError, traitlets.TraitError):
            breathing = []
        view = VBox([page_text, *breathing, self.quiet_word, self._return])
        view.add_class("hs-page")
        view.add_class("hs-moment-page")
        return view

    @traitlets.validate("page")
    def _valid_page(self, proposal: dict) -> int:
        return max(0, min(proposal["value"], len(self._themes) - 1))

    # ------------------------------------------------------------------ the visit
    def bind_visit(self) -> None:
        """Wait for the participant's request (preheated kernels), then bind it to this app.

        Content edited since this kernel was preheated is read again, so a change to a theme
        notebook or content file shows on the next page load.
        """
        quiet_comms.prepare_states()  # while the seat waits: the page's first answer, worked out now
        info = wait_for_request()
        self.query = query_parameters(info.get("QUERY_STRING", os.environ.get("QUERY_STRING", "")))
        if content.fingerprint() != self._fingerprint:
            self.reload_content()
        if self.query.get("s"):
            self.join(self.query["s"])

    def reload_content(self) -> bool:
        """Read the theme notebooks and content files again and rebuild everything built from them.

        All or nothing: if an edited file is broken, the participant keeps the content this
        kernel already built, the server log says what is wrong, and ``False`` is returned.
        """
        fingerprint = content.fingerprint()
        built: list[Page] = []
        try:
            _text.reload()
            themes = content.load_themes()
            for i, theme in enumerate(themes):
                built.append(build_page(theme, i))
            moment = self._build_moment_page()
        except Exception:
            serverlog.logger().exception("edited content could not be read; the earlier content stays in use")
            for page in built:
                page.close()
            return False
        self._fingerprint, self._themes = fingerprint, themes
        self._set_texts()
        self._help.refresh()
        for child in self._moment_page.children:
            if child is not self._return and child is not self.quiet_word:  # these live on
                close_tree(child)
        self._moment_page.close()
        self._moment_page = moment
        self._install_pages(built)
        self._on_page()
        return True

    def _set_texts(self) -> None:
        """Every label of the app's own chrome, from ui.yaml."""
        self._title.value = str(el("div", t("app_title"), cls="hs-brand"))
        self.navigation.titles = [theme.title for theme in self._themes]
        self.navigation.set_texts()
        for button, key in (
            (self._moment_button, "moment_button"),
            (self._return, "moment_return"),
        ):
            button.description = button.tooltip = t(key)
        self._bridge.texts = connection_texts()

    # ------------------------------------------------------------------ state
    @property
    def pages(self) -> list[Page]:
        """Every page, in theme order (building the ones not built yet)."""
        return [self._page(i) for i in range(len(self._themes))]

    @property
    def exercises(self) -> dict[str, Any]:
        """Every exercise of the pages built so far, by key (``"00_welcome/check-in"``, …)."""
        return {key: ex for page in self._pages if page is not None for key, ex in page.exercises.items()}

    def all_exercises(self) -> dict[str, Any]:
        """Every exercise of every theme (for the take-home), building what is not built yet."""
        return {key: ex for page in self.pages for key, ex in page.exercises.items()}

    def snapshot(self) -> dict[str, Any]:
        """The participant's place and own answers, as kept in their browser."""
        return {"page": self.page, "consent": self.consent, "answers": self._answers.snapshot(self.exercises)}

    def restore(self, data: Any) -> bool:
        """Apply a snapshot from the browser; invalid parts are dropped. True if anything applied."""
        if not isinstance(data, dict):
            return False
        themes = [theme.key for theme in self._themes]
        applied = self._answers.restore(data.get("answers"), self.exercises, themes)
        page = data.get("page")
        if isinstance(page, int) and not isinstance(page, bool) and 0 < page < len(self._themes):
            self.page = page
            applied = True
        if data.get("consent") in ("share", "private", "seen"):
            self.consent = data["consent"]
        return applied

    def show_error(self) -> None:
        """Show the short friendly message that replaces any traceback."""
        self._notice.value = str(el("p", t("friendly_error"), cls="hs-notice-error", role="alert"))

    # ------------------------------------------------------------------ handlers
    def _on_bridge_identity(self, _change: dict) -> None:
        self.participant_id = self._bridge.participant_id
        if self._resumed or not self.participant_id:
            return
        self._resumed = True
        raw = self._bridge.restored
        if not raw:
            return
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            serverlog.logger().warning("a browser sent a snapshot that is not JSON; ignored")
            return
        if self.restore(data):
            self._notice.value = str(el("p", t("resumed"), cls="hs-notice-info", role="status"))

    def _resume_then_connect(self, change: dict) -> None:
        self._on_bridge_identity(change)
        self._maybe_connect()
        self._prebuild_soon(PREBUILD_AFTER_JOIN)  # the browser has drawn the app

    def _on_answer(self, change: dict) -> None:
        self._save()
        key = self._key_of.get(id(change["owner"]))
        if key is not None:
            self._queue_shares([key])

    def _save(self) -> None:
        if self._resumed:  # never overwrite the browser's copy before it was read
            self._bridge.snapshot = json.dumps(self.snapshot(), ensure_ascii=False)

    def _on_moment_click(self, _button: Button) -> None:
        self.moment = True

    def _open_moment(self) -> None:
        """ "Take a moment now" in the gentle note under a high rating."""
        self.moment = True

    def _on_return_click(self, _button: Button) -> None:
        self.moment = False

    def _on_moment(self, _change: dict) -> None:
        self._render_stage()
        self._bridge.page = -1 if self.moment else self.page

    def _render_stage(self) -> None:
        """Show the consent step, the grounding page or the current theme, and the matching chrome."""
        if self._consent_view is not None:
            shown, chrome = self._consent_view, False
        elif self.moment:
            shown, chrome = self._moment_page, False
        else:
            shown, chrome = self._page(self.page).view, True
        if self._stage.children != (shown,):
            self._stage.children = [shown]
        self.navigation.shown = chrome
        self._moment_button.disabled = self.moment

    def _on_page(self, change: dict | None = None) -> None:
        if not self._pages:
            return
        self._page(self.page)
        if change is not None:
            self.moment = False
        self._render_stage()
        if change is not None:
            if not self._offline:
                self._notice.value = ""
            self._bridge.page = self.page
            self._save()
            self._prebuild_soon(PREBUILD_AFTER_MOVE)

    # ------------------------------------------------------------------ a live session
    @property
    def session(self):
        """The live session this participant takes part in, or ``None``."""
        return self.client.session

    def join(self, code: str, store: Any = None) -> bool:
        """Find the session ``code``; connect once the browser has sent the participant's id."""
        if store is not None:
            self.client.store = store
        joined = self.client.join(code)
        if joined is Joined.OFFLINE:
            serverlog.logger().error("the session store could not be reached")
            self._say("session_offline")
        elif joined is Joined.UNKNOWN:
            self._say("session_unknown")
        else:
            self._maybe_connect()
        return joined is Joined.JOINED

    def _maybe_connect(self) -> None:
        if not self._resumed or not self.client.connect(self.participant_id):
            return
        group = self.client.is_group
        for exercise in self.exercises.values():
            exercise.share_available = group and exercise.shareable is not None
        self._on_session(self.client.session)
        self.quiet_word.show(True)
        self.quiet_word.asking = self.client.has_asked_for_word()  # a reloaded page shows a request still standing
        if not self.consent:
            self._consent_view = consent_view(group, self.decide_consent)
            self._render_stage()
            self._bridge.page = -2  # the focus goes to its heading, and to the theme's after consent
        self._queue_shares(list(self.exercises))
        loop = running_loop()
        if loop is not None:
            self._poll_task = loop.create_task(self._poll_forever())

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
            close_tree(view)
        self._bridge.page = self.page
        self._save()

    async def _poll_forever(self) -> None:
        while self.client.session is not None:
            await asyncio.sleep(POLL_SECONDS)
            self.poll_once()

    def poll_once(self) -> None:
        """Read the session once: follow the facilitator, keep presence, retry pending shares."""
        self.client.poll(self._rows_of)

    def _on_session(self, session) -> None:
        """The session as just read: follow the facilitator's theme, or leave an ended session."""
        if session is None:
            self._leave_session()
            return
        self.following = bool(session.follow)
        if session.follow and session.theme:
            index = next((i for i, theme in enumerate(self._themes) if theme.key == session.theme), None)
            if index is not None and index != self.page:
                self.page = index

    def _leave_session(self) -> None:
        self.following = False
        self.quiet_word.show(False)
        self.quiet_word.asking = False
        for exercise in self.exercises.values():
            exercise.share_available = False
        if self._consent_view is not None:
            self._consent_view = None
            self._render_stage()
            self._bridge.page = self.page
        self._say("session_ended")

    def _on_status(self, status: Status) -> None:
        """Say what changed, once: the group cannot be reached, a share waits, or all is well."""
        previous, self._status = self._status, status
        self._offline = status is not Status.WELL
        if status is Status.OFFLINE:
            self._say("session_offline")
        elif status is Status.UNSHARED:
            serverlog.logger().warning("a share could not be written yet (%s); it is kept and tried again", self.client.last_error)
            self._say("share_retrying")
        elif previous is Status.UNSHARED:
            serverlog.logger().info("the shares that waited were written")
            self._say("share_sent")
        else:
            self._notice.value = ""

    def _ask_for_word(self, asking: bool) -> bool:
        """Ask for (or take back) a quiet word; False if the store cannot be reached."""
        from workshop.store import StoreError

        try:
            self.client.ask_for_word(asking)
        except StoreError:
            serverlog.logger().warning("a request for a quiet word could not be written")
            return False
        return True

    def _on_following(self, change: dict) -> None:
        if change["new"] and self._prebuild_handle is None:  # the facilitator may now jump anywhere
            self._prebuild_soon(PREBUILD_AFTER_MOVE)

    # ------------------------------------------------------------------ sharing
    def _rows_of(self, key: str) -> list[tuple[str, str]]:
        exercise = self.exercises.get(key)
        return exercise.shared_rows() if exercise is not None else []

    def _queue_shares(self, keys: list[str]) -> None:
        """Write these exercises' shared rows soon (once per short pause in typing or tapping)."""
        if self.client.session is None:
            return
        self.client.queue(keys)
        loop = running_loop()
        if loop is None:
            self._flush_shares()
        elif self._flush_handle is None:
            self._flush_handle = loop.call_later(SHARE_DELAY, self._flush_shares)

    def _flush_shares(self) -> None:
        self._flush_handle = None
        self.client.flush(self._rows_of)

    def _say(self, key: str) -> None:
        kind = "hs-notice-error" if key in ("session_offline", "share_retrying") else "hs-notice-info"
        self._notice.value = str(el("p", t(key), cls=kind, role="status"))


class NotReady(QuietRepr, HTML):
    """The friendly page shown instead of the app when the content cannot be built.

    The server log has the detail; the participant reads that the facilitator should know.
    """

    def __init__(self, **kwargs: Any) -> None:
        try:
            message = t("not_ready")
        except Exception:  # ui.yaml itself is unreadable: the one text that cannot live in a file
            message = "The workshop is not quite ready yet. Please let your facilitator know."
        super().__init__(str(el("p", message, cls="hs-notice-error", role="alert")), **kwargs)
        self.add_class("hs-app")

    def bind_visit(self) -> None:
        """Wait for the visitor like the app does, so preheating behaves the same."""
        wait_for_request()
