"""The participant app: every theme notebook as a page of one app, in one kernel."""

from __future__ import annotations

import html
import json
import os
import random
from typing import Any

import traitlets
from ipywidgets import HTML, Button, HBox, VBox

from workshop import content, serverlog
from workshop.markdown import to_html
from workshop.visit import query_parameters, wait_for_request

from . import _text, errors
from ._text import t
from .base import QuietRepr
from .bridge import BrowserBridge, connection_texts
from .checkin import CheckIn
from .help import HelpPanel
from .live_session import LiveSession, running_loop
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


class ParticipantApp(LiveSession, QuietRepr, VBox):
    """What a participant sees: a header with progress, one theme at a time, Back and Next.

    Every theme notebook is a page; the first is built when the kernel starts (before anyone
    arrives), the others when first shown or out of sight beforehand (see :meth:`_prebuild_soon`);
    moving to another theme swaps the page shown, in the same kernel. A hidden
    :class:`BrowserBridge` keeps the participant's anonymous id and their own answers in their
    browser, so a reload comes back to the same page with the same answers. Nothing is written
    to the server's disk unless the join link names a group session and the participant chooses
    to share an answer anonymously (see :class:`~widgets.live_session.LiveSession`).
    """

    page = traitlets.Int(0)
    #: True while the participant is on the "I need a moment" page
    moment = traitlets.Bool(False)
    participant_id = traitlets.Unicode("")
    query = traitlets.Dict()

    def __init__(self, themes: list[content.Theme], namespace: str = "local", **kwargs: Any) -> None:
        self._themes = themes
        self._fingerprint = content.fingerprint()
        self._pages: list[Page | None] = []
        self._pending: dict[str, dict] = {}  # saved answers for themes not built yet
        self._resumed = False
        self._key_of: dict[int, str] = {}
        self._init_live()
        self._bridge = BrowserBridge(namespace=namespace)
        self._title = HTML()
        self._title.add_class("hs-title")
        self._progress = HTML()
        self._progress.add_class("hs-progress")
        self._help = HelpPanel()
        self._moment_button = Button()
        self._moment_button.add_class("hs-moment-button")
        header = VBox([self._title, self._moment_button, self._help.button, self._progress])
        header.add_class("hs-header")
        self._notice = HTML()
        self._notice.add_class("hs-notice")
        self._stage = VBox()
        self._stage.add_class("hs-stage")
        self._back = Button()
        self._back.add_class("hs-back")
        self._next = Button(button_style="primary")
        self._next.add_class("hs-next")
        self._end = HTML()
        self._follow_note = HTML()
        nav = HBox([self._back, self._next])
        nav.add_class("hs-nav")
        self._nav = nav
        self._return = Button(button_style="primary")
        self._return.add_class("hs-return")
        self._moment_page = self._build_moment_page()
        self._prebuild_handle = None
        super().__init__(
            [self._bridge, header, self._help, self._notice, self._stage, self._end, self._follow_note, nav], **kwargs
        )
        self.add_class("hs-app")
        self._set_texts()
        self._build_pages()
        self._back.on_click(self._on_back_click)
        self._next.on_click(self._on_next_click)
        self._moment_button.on_click(self._on_moment_click)
        self._return.on_click(self._on_return_click)
        self.observe(self._on_moment, names="moment")
        self._bridge.observe(self._resume_then_connect, names=["participant_id", "restored"])
        self.observe(self._on_page, names="page")
        errors.install(self.show_error)
        self._on_page()

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_notebooks(cls, folder: os.PathLike | None = None) -> "ParticipantApp | NotReady":
        """Build the app from the theme notebooks; a friendly notice if content is broken."""
        namespace = os.environ.get("HOLDING_SPACE_WORKSHOP_ID", "local")
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
        group = self._session is not None and self._session.kind == "group" and self._link is not None
        for key, exercise in page.exercises.items():
            self._key_of[id(exercise)] = key
            saved = self._pending.pop(key, None)
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
            if ex.care_extras != [self._quiet_box]:
                ex.care_extras = [self._quiet_box]
        for widget in page.widgets:
            if isinstance(widget, TakeHome):
                widget.collect = lambda: list(self.all_exercises().values())

    def _build_moment_page(self) -> VBox:
        """The grounding page behind "I need a moment" (``workshop/content/grounding.md``)."""
        try:
            text = to_html(content.grounding())
        except content.ContentError:
            serverlog.logger().exception("the grounding page could not be read")
            text = f"<p>{html.escape(t('moment_fallback'))}</p>"
        text = text.replace("<h1>", "<h1 data-hs-page=\"-1\">", 1)
        page_text = HTML(text)
        page_text.add_class("hs-md")
        try:
            breathing = [Pause(kind="breathing")]
        except (content.ContentError, traitlets.TraitError):
            breathing = []
        view = VBox([page_text, *breathing, self._quiet_box, self._return])
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
            if child is not self._return and child is not self._quiet_box:  # these live on
                close_tree(child)
        self._moment_page.close()
        self._moment_page = moment
        self._install_pages(built)
        self._on_page()
        return True

    def _set_texts(self) -> None:
        """Every label of the app's own chrome, from ui.yaml."""
        self._title.value = f'<div class="hs-brand">{html.escape(t("app_title"))}</div>'
        for button, key in (
            (self._back, "back"),
            (self._next, "next"),
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
        """Every exercise of the pages built so far, by key (``"00_welcome/0"``, …)."""
        return {key: ex for page in self._pages if page is not None for key, ex in page.exercises.items()}

    def all_exercises(self) -> dict[str, Any]:
        """Every exercise of every theme (for the take-home), building what is not built yet."""
        return {key: ex for page in self.pages for key, ex in page.exercises.items()}

    def snapshot(self) -> dict[str, Any]:
        """The participant's place and own answers, as kept in their browser."""
        answers = dict(self._pending)  # saved answers of themes not opened in this kernel yet
        answers.update({key: ex.answer for key, ex in self.exercises.items()})
        return {"page": self.page, "consent": self.consent, "answers": answers}

    def restore(self, data: Any) -> bool:
        """Apply a snapshot from the browser; invalid parts are dropped. True if anything applied."""
        if not isinstance(data, dict):
            return False
        applied = False
        answers = data.get("answers")
        if isinstance(answers, dict):
            exercises = self.exercises
            themes = {theme.key for theme in self._themes}
            for key, answer in list(answers.items())[:500]:
                if not isinstance(answer, dict) or not isinstance(key, str):
                    continue
                if key in exercises:
                    dropped = exercises[key].restore(answer)
                    applied = applied or len(dropped) < len(answer)
                elif "/" in key and len(key) <= 200:
                    # applied when its theme is built, if a cell still has this id; otherwise kept
                    # aside (and kept in the browser), never given to another exercise: a therapist
                    # may have removed the exercise, or renamed a theme, since this was saved
                    self._pending[key] = answer
                    applied = applied or key.split("/", 1)[0] in themes
        page = data.get("page")
        if isinstance(page, int) and not isinstance(page, bool) and 0 < page < len(self._themes):
            self.page = page
            applied = True
        if data.get("consent") in ("share", "private", "seen"):
            self.consent = data["consent"]
        return applied

    def show_error(self) -> None:
        """Show the short friendly message that replaces any traceback."""
        self._notice.value = f'<p class="hs-notice-error" role="alert">{html.escape(t("friendly_error"))}</p>'

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
            self._notice.value = f'<p class="hs-notice-info" role="status">{html.escape(t("resumed"))}</p>'

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
        self._nav.layout.display = None if chrome else "none"
        self._moment_button.disabled = self.moment
        self._update_nav()

    def _update_nav(self) -> None:
        total = len(self._themes)
        self._back.disabled = self.page == 0 or self.following
        self._next.disabled = self.page == total - 1 or self.following
        last = self.page == total - 1 and not self.moment and self._consent_view is None
        self._end.value = f'<p class="hs-note">{html.escape(t("last_page"))}</p>' if last else ""
        self._follow_note.value = (
            f'<p class="hs-note hs-following" role="status">{html.escape(t("following_note"))}</p>'
            if self.following and self._consent_view is None
            else ""
        )

    def _on_following(self, change: dict) -> None:
        super()._on_following(change)
        if change["new"] and self._prebuild_handle is None:  # the facilitator may now jump anywhere
            self._prebuild_soon(PREBUILD_AFTER_MOVE)

    def _on_back_click(self, _button: Button) -> None:
        self.page -= 1

    def _on_next_click(self, _button: Button) -> None:
        self.page += 1

    def _on_page(self, change: dict | None = None) -> None:
        if not self._pages:
            return
        current = self._page(self.page)
        total = len(self._themes)
        number = self.page + 1
        if change is not None:
            self.moment = False
        self._render_stage()
        percent = round(100 * number / total)
        label = t("progress_label", current=number, total=total, title=current.theme.title)
        self._progress.value = (
            f'<div class="hs-progress-text" aria-hidden="true">{html.escape(t("progress", current=number, total=total))}'
            f' · {html.escape(current.theme.title)}</div>'
            f'<div class="hs-progress-bar" role="progressbar" aria-valuemin="1" aria-valuemax="{total}" '
            f'aria-valuenow="{number}" aria-label="{html.escape(label)}">'
            f'<div class="hs-progress-fill" style="width:{percent}%"></div></div>'
        )
        if change is not None:
            if not self._offline:
                self._notice.value = ""
            self._bridge.page = self.page
            self._save()
            self._prebuild_soon(PREBUILD_AFTER_MOVE)


class NotReady(QuietRepr, HTML):
    """The friendly page shown instead of the app when the content cannot be built.

    The server log has the detail; the participant reads that the facilitator should know.
    """

    def __init__(self, **kwargs: Any) -> None:
        try:
            message = t("not_ready")
        except Exception:  # ui.yaml itself is unreadable: the one text that cannot live in a file
            message = "The workshop is not quite ready yet. Please let your facilitator know."
        super().__init__(f'<p class="hs-notice-error" role="alert">{html.escape(message)}</p>', **kwargs)
        self.add_class("hs-app")

    def bind_visit(self) -> None:
        """Wait for the visitor like the app does, so preheating behaves the same."""
        wait_for_request()
