"""The facilitator console: run a session, move everyone, see anonymous group answers, export, purge."""

from __future__ import annotations

import asyncio
import functools
import html
import os
from pathlib import Path
from typing import Any

import segno
import traitlets
from ipywidgets import HTML, BoundedIntText, Button, HBox, ToggleButton, ToggleButtons, VBox

from workshop import aggregate, content, exercises, export, serverlog
from workshop.markdown import to_html
from workshop.paths import KIT_ROOT
from workshop.store import Session, Store

from ._text import t
from .base import QuietRepr
from .charts import bar_chart
from .live_session import running_loop
from .takehome import Downloader

POLL_SECONDS = 1.0


def store_action(method):
    """A console action that writes or reads the store: if the store fails (locked by another
    writer, disk full), the facilitator reads a short message, the log has the detail, and the
    console carries on; the action can simply be tried again."""

    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        if self._trouble == "action":  # trying again: the old message goes
            self._status.value = ""
            self._trouble = ""
        try:
            return method(self, *args, **kwargs)
        except Exception:
            serverlog.logger().exception("a console action failed (%s)", method.__name__)
            self._status.value = f'<p class="hs-notice-error" role="alert">{html.escape(t("console_store_trouble"))}</p>'
            self._trouble = "action"
            return None

    return guarded


def guide_dir() -> Path:
    return Path(os.environ.get("HOLDING_SPACE_GUIDE", KIT_ROOT / "facilitator_guide"))


def join_url(base: str, code: str) -> str:
    """The participants' join address for a session: the server's address, token and code."""
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}s={code}"


class FacilitatorConsole(QuietRepr, VBox):
    """What the facilitator sees on their own laptop (and may project).

    Start a group, couple or one-to-one session; show its join QR code; move every participant
    to a theme or let them browse; see how many are here; for the current theme, see the
    anonymous group answers as charts with a text summary, only once at least ``k`` people shared
    (never in couple and one-to-one sessions); hide any shared text; read the theme's script from
    ``facilitator_guide/``; export the shared answers to CSV and purge the session.
    """

    theme = traitlets.Unicode("")

    def __init__(self, store: Store | None = None, join_base: str | None = None, **kwargs: Any) -> None:
        self.store = store or Store()
        self.join_base = join_base or os.environ.get("HOLDING_SPACE_JOIN_BASE", "http://127.0.0.1:8866/")
        self._themes = content.load_themes()
        # Each theme's exercises, read from its notebook's cells without running them: what they
        # share and how shares are counted is workshop.exercises'; no participant widget is built
        # (built and closed, they once sent the console's page 1,471 widget models).
        self._exercises = {theme.key: exercises.find(theme) for theme in self._themes}
        self.session: Session | None = None
        self._signature: tuple | None = None
        self._poll_task = None
        self._confirming_purge = False
        self._trouble = ""  # "", "action" or "read": what the status line reports

        # The console is read on a laptop (1280×800) while people talk: the session line and the
        # group answers come first, the QR code and the theme list sit in a narrow column beside
        # them (at 1280 px the answers used to start 1,319 px down, under everything else).
        title = HTML(f'<h1 class="hs-console-title">{html.escape(t("console_title"))}</h1>')
        self._status = HTML()
        self._status.add_class("hs-notice")
        # starting a session
        self._kind = ToggleButtons(
            options=[(t("kind_group"), "group"), (t("kind_couple"), "couple"), (t("kind_one"), "one")], value="group"
        )
        self._kind.add_class("hs-console-kind")
        self._k = BoundedIntText(value=5, min=2, max=30, description=t("console_k"))
        self._k.add_class("hs-stacked")
        self._k.add_class("hs-console-k")
        self._start = Button(description=t("console_start"), button_style="primary")
        self._setup = VBox([HTML(f"<h2>{html.escape(t('console_new_session'))}</h2>"), self._kind, self._k, self._start])
        self._setup.add_class("hs-console-setup")
        # a running session: one line above everything, and the join code beside the answers
        self._code = HTML()
        self._code.add_class("hs-console-line")
        self._present = HTML()
        self._end = Button(description=t("console_end"))
        self._running = HBox([self._code, self._present, self._end])
        self._running.add_class("hs-console-session")
        self._qr = HTML()
        self._qr_large = ToggleButton(value=False, description=t("console_qr_large"), tooltip=t("console_qr_large"))
        self._qr_large.add_class("hs-qr-toggle")
        self._join = VBox([self._qr, self._qr_large])
        self._join.add_class("hs-console-join")
        # themes
        self._theme_buttons = [Button(description=f"{th.number}. {th.title}", tooltip=th.title) for th in self._themes]
        for button, theme in zip(self._theme_buttons, self._themes):
            button.add_class("hs-theme-button")
            button.on_click(lambda _b, key=theme.key: self.move_everyone(key))
        self._follow = ToggleButton(value=True, description=t("console_follow_on"))
        self._follow.add_class("hs-follow-toggle")
        self._themes_box = VBox([HTML(f"<h2>{html.escape(t('console_themes'))}</h2>"), self._follow, *self._theme_buttons])
        self._themes_box.add_class("hs-console-themes")
        # answers, notes, data
        self._answers = VBox()
        self._answers.add_class("hs-console-answers")
        self._notes = HTML()
        self._notes.add_class("hs-console-notes")
        self._notes.layout.display = "none"  # until a theme is chosen
        self._export = Button(description=t("console_export"), tooltip=t("console_export"))
        self._purge = Button(description=t("console_purge"), tooltip=t("console_purge"), button_style="danger")
        self._data_note = HTML()
        self._downloader = Downloader()
        data_buttons = HBox([self._export, self._purge])
        data_buttons.add_class("hs-console-data-buttons")
        data = VBox([HTML(f"<h2>{html.escape(t('console_data'))}</h2>"), data_buttons, self._data_note, self._downloader])
        data.add_class("hs-console-data")
        main = VBox([self._setup, self._answers, self._notes])
        main.add_class("hs-console-main")
        side = VBox([self._join, self._themes_box, data])
        side.add_class("hs-console-side")
        columns = HBox([main, side])
        columns.add_class("hs-console-columns")
        super().__init__([title, self._status, self._running, columns], **kwargs)
        self.add_class("hs-app")
        self.add_class("hs-console")

        self._kind.observe(self._on_kind, names="value")
        self._start.on_click(lambda _b: self.start_session(self._kind.value, self._k.value))
        self._end.on_click(lambda _b: self.end_session())
        self._follow.observe(self._on_follow, names="value")
        self._qr_large.observe(self._on_qr_large, names="value")
        self._export.on_click(lambda _b: self.export())
        self._purge.on_click(lambda _b: self._on_purge_click())
        self.observe(self._on_theme, names="theme")
        self._attach(self.store.latest_session())

    # ------------------------------------------------------------------ sessions
    @store_action
    def start_session(self, kind: str = "group", k: int = 5) -> Session:
        """Start a session; participants join by its QR code."""
        session = self.store.create_session(kind=kind, k=k, theme=self._themes[0].key)
        self._attach(session)
        return session

    @store_action
    def end_session(self) -> None:
        """End the session: participants keep their own answers; nothing more is shared.

        The ended session stays here so its shared answers can still be exported and purged.
        """
        if self.session is not None:
            self._attach(self.store.update_session(self.session.code, ended=True))
            self._say(t("console_ended"))

    @store_action
    def move_everyone(self, theme_key: str) -> None:
        """Move every following participant to ``theme_key``."""
        if self.session is not None:
            self.session = self.store.update_session(self.session.code, theme=theme_key)
        self.theme = theme_key

    def _attach(self, session: Session | None) -> None:
        self.session = session
        self._confirming_purge = False
        self._purge.description = t("console_purge")
        live = session is not None and not session.ended
        self._setup.layout.display = "none" if live else None
        self._running.layout.display = None if session is not None else "none"
        self._join.layout.display = None if live else "none"
        self._qr_large.value = False
        for button in (self._export, self._purge):
            button.disabled = session is None
        for button in (*self._theme_buttons, self._follow, self._end):
            button.disabled = not live
        if session is not None:
            url = join_url(self.join_base, session.code)
            self._code.value = self._session_line(session, url)
            self._qr.value = self._qr_html(session, url) if live else ""
            self._follow.value = session.follow
            self.theme = session.theme or self._themes[0].key
        self._signature = None
        self.refresh()
        self._ensure_polling()

    @staticmethod
    def _session_line(session: Session, url: str) -> str:
        """Code, kind, k and the join address, each kept whole on its line."""
        parts = [
            f'{html.escape(t("console_code"))} <strong>{html.escape(session.display_code)}</strong>',
            html.escape(t("kind_" + session.kind)),
        ]
        if session.kind == "group":
            parts.append(f"k\u00a0=\u00a0{session.k}")
        items = "".join(f'<span class="hs-console-item">{part}</span>' for part in parts)
        note = "" if not session.ended else f'<span class="hs-console-item hs-hint">{html.escape(t("console_ended_note"))}</span>'
        return (
            f'<p class="hs-console-code">{items}{note}</p>'
            f'<p class="hs-console-url"><a href="{html.escape(url)}" target="_blank" rel="noopener">{html.escape(url)}</a></p>'
        )

    @staticmethod
    def _qr_html(session: Session, url: str) -> str:
        """The join address as a QR code that scales with its box (a viewBox, no fixed size), and the
        session code under it for anyone who types the address."""
        qr = segno.make(url, error="m").svg_inline(scale=1, dark="#1f2d33", light="#ffffff", omitsize=True)
        return (
            f'<div class="hs-qr" role="img" aria-label="{html.escape(t("console_qr_label"))}">{qr}</div>'
            f'<p class="hs-qr-code">{html.escape(session.display_code)}</p>'
        )

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
            if self._trouble != "read":
                serverlog.logger().exception("the console could not refresh")
                self._status.value = f'<p class="hs-notice-error" role="status">{html.escape(t("console_read_trouble"))}</p>'
                self._trouble = "read"
            return
        if self._trouble == "read":
            self._status.value = ""
            self._trouble = ""

    def refresh(self, force: bool = False) -> None:
        """Redraw presence and group answers if anything changed."""
        if self.session is None:
            self._present.value = ""
            self._answers.children = [HTML(f'<p class="hs-hint">{html.escape(t("console_no_session"))}</p>')]
            return
        signature = (self.theme, *self.store.signature(self.session))
        if signature == self._signature and not force:
            return
        self._signature = signature
        present, words = signature[-1], signature[-2]
        asked = (
            f'<p class="hs-console-words" role="status" title="{html.escape(t("console_quiet_words_hint"))}">'
            f'{html.escape(t("console_quiet_words", n=words))}</p>'
            f'<p class="hs-console-words-hint">{html.escape(t("console_quiet_words_hint"))}</p>'
            if words
            else ""
        )
        self._present.value = (
            f'<p class="hs-console-present" role="status">{html.escape(t("console_present", n=present))}</p>' + asked
        )
        self._draw_answers()

    def _draw_answers(self) -> None:
        session = self.session
        theme = next((th for th in self._themes if th.key == self.theme), None)
        heading = HTML(f"<h2>{html.escape(t('console_answers', title=theme.title if theme else ''))}</h2>")
        if theme is None:
            self._answers.children = [heading]
            return
        if not session.aggregates_allowed:
            self._answers.children = [heading, HTML(f'<p class="hs-hint">{html.escape(t("console_no_aggregates"))}</p>')]
            return
        blocks: list = [heading]
        shareable = [spec for spec in self._exercises.get(theme.key, []) if spec.shareable]
        if not shareable:
            blocks.append(HTML(f'<p class="hs-hint">{html.escape(t("console_nothing_to_share"))}</p>'))
        for spec in shareable:
            blocks.append(self._exercise_block(spec))
        self._answers.children = blocks

    def _exercise_block(self, spec: exercises.ExerciseSpec) -> VBox:
        rows = self.store.shares(self.session, spec.key)
        gate = aggregate.gate(self.session, rows)
        label = HTML(f"<h3>{html.escape(spec.title)}</h3>")
        if not gate.open:
            wait = HTML(
                f'<p class="hs-waiting" role="status">{html.escape(t("console_waiting", n=gate.respondents, needed=gate.needed, k=gate.k))}</p>'
            )
            return VBox([label, wait])
        parts: list = [label]
        for picture in spec.picture(rows):
            if isinstance(picture, aggregate.Chart):
                parts.append(HTML(bar_chart(picture)))
            else:
                parts.extend(self._text_rows(picture))
        box = VBox(parts)
        box.add_class("hs-console-exercise")
        return box

    def _text_rows(self, texts: aggregate.Texts) -> list:
        rows: list = [HTML(f"<h4>{html.escape(texts.title)}</h4>")]
        for share in texts.items:
            if share.hidden:
                text = HTML(f'<p class="hs-shared-text hs-hidden-text">{html.escape(t("console_hidden"))}</p>')
                toggle = Button(description=t("console_show"))
            else:
                text = HTML(f'<p class="hs-shared-text">{html.escape(share.value)}</p>')
                toggle = Button(description=t("console_hide"))
            toggle.add_class("hs-hide-button")
            toggle.on_click(lambda _b, sid=share.id, hidden=share.hidden: self.hide(sid, not hidden))
            row = HBox([text, toggle])
            row.add_class("hs-shared-row")
            rows.append(row)
        return rows

    @store_action
    def hide(self, share_id: int, hidden: bool = True) -> None:
        """Hide (or show again) one shared text."""
        if self.session is not None:
            self.store.hide(self.session, share_id, hidden)
            self.refresh(force=True)

    # ------------------------------------------------------------------ notes
    def notes_html(self, theme_key: str) -> str:
        path = guide_dir() / f"{theme_key}.md"
        try:
            return to_html(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            return f'<p class="hs-hint">{html.escape(t("console_no_notes", name=path.name))}</p>'

    # ------------------------------------------------------------------ data
    def export_csv(self) -> str:
        """The session's shared answers as CSV (see :func:`workshop.export.shares_csv`)."""
        return export.shares_csv(self.store, self.session, self._themes)

    @store_action
    def export(self) -> None:
        if self.session is None:
            return
        self._downloader.download(f"holding-space-{self.session.code}.csv", self.export_csv(), mime="text/csv")
        self._data_note.value = f'<p class="hs-hint" role="status">{html.escape(t("console_exported"))}</p>'

    def _on_purge_click(self) -> None:
        if self.session is None:
            return
        if not self._confirming_purge:
            self._confirming_purge = True
            self._purge.description = t("console_purge_confirm")
            self._data_note.value = f'<p class="hs-notice-error" role="alert">{html.escape(t("console_purge_warning"))}</p>'
            return
        self.purge()

    @store_action
    def purge(self) -> None:
        """Delete the session and everything shared in it, for good."""
        if self.session is not None:
            self.store.purge(self.session)
            self._attach(None)
            self._data_note.value = f'<p class="hs-hint" role="status">{html.escape(t("console_purged"))}</p>'

    # ------------------------------------------------------------------ handlers
    def _on_kind(self, change: dict) -> None:
        self._k.disabled = change["new"] != "group"

    @store_action
    def _on_follow(self, change: dict) -> None:
        self._follow.description = t("console_follow_on") if change["new"] else t("console_follow_off")
        if self.session is not None and self.session.follow != change["new"]:
            self.session = self.store.update_session(self.session.code, follow=change["new"])

    def _on_theme(self, _change: Any = None) -> None:
        for button, theme in zip(self._theme_buttons, self._themes):
            button.button_style = "primary" if theme.key == self.theme else ""
        self._notes.value = (
            f'<h2>{html.escape(t("console_notes"))}</h2>' + self.notes_html(self.theme) if self.theme else ""
        )
        self._notes.layout.display = None if self.theme else "none"
        self.refresh(force=True)

    def _on_qr_large(self, change: dict) -> None:
        """Show the join code over the whole console, for the room to scan, and back."""
        if change["new"]:
            self._join.add_class("hs-console-join-large")
            self._qr_large.description = self._qr_large.tooltip = t("console_qr_small")
        else:
            self._join.remove_class("hs-console-join-large")
            self._qr_large.description = self._qr_large.tooltip = t("console_qr_large")

    def _say(self, text: str) -> None:
        self._status.value = f'<p class="hs-notice-info" role="status">{html.escape(text)}</p>'

    @classmethod
    def start(cls) -> "FacilitatorConsole | HTML":
        """The console for ``facilitator.ipynb``; a short notice if it cannot start."""
        try:
            return cls()
        except Exception:
            if os.environ.get("HOLDING_SPACE_STRICT"):
                raise
            serverlog.logger().exception("the facilitator console could not start")
            return HTML(f'<p class="hs-notice-error" role="alert">{html.escape(t("console_broken"))}</p>')
