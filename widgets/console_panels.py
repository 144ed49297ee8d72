"""The facilitator console's panels, each a widget that owns its own part of the page.

A panel is given what it needs when it is made (the store, the themes, a function that gives a
theme's notes, the callbacks that act) and follows the console's shared state through its own
traits, linked from the console's: ``session`` (a :class:`workshop.store.Session` or ``None``),
``theme`` (the key of the theme everyone is on) and ``activity`` (the store's signature of the
session: shares, quiet words, presence). No panel reads another's attributes; the console places
them (:class:`ConsoleLayout`) and wires them (:class:`widgets.console.FacilitatorConsole`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import segno
import traitlets

from workshop import aggregate
from workshop.content import Theme
from workshop.exercises import ExerciseSpec
from workshop.store import Session, Store

from ._text import t
from .charts import bar_chart
from .looks import HTML, BoundedIntText, Button, HBox, ToggleButton, ToggleButtons, VBox, show
from .markup import Markup, el, join
from .takehome import Downloader


def join_url(base: str, code: str) -> str:
    """The participants' join address for a session: the server's address, token and code."""
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}s={code}"


def is_live(session: Session | None) -> bool:
    """A session people can still join and be moved in (started, not ended)."""
    return session is not None and not session.ended


def identity(session: Session | None) -> tuple | None:
    """Which session, and whether it ended: what changes on start, end and purge, and not when
    everyone moves to another theme or the follow toggle changes."""
    return None if session is None else (session.code, session.ended)


def _hint(key: str, **values: Any) -> HTML:
    return HTML(str(el("p", t(key, **values), cls="hs-hint")))


def session_line_html(session: Session, url: str) -> str:
    """Code, kind, k and the join address, each kept whole on its line."""
    parts = [join(t("console_code"), " ", el("strong", session.display_code)), t("kind_" + session.kind)]
    if session.kind == "group":
        parts.append(f"k\u00a0=\u00a0{session.k}")
    items = [el("span", part, cls="hs-console-item") for part in parts]
    if session.ended:
        items.append(el("span", t("console_ended_note"), cls="hs-console-item hs-hint"))
    link = el("a", url, href=url, target="_blank", rel="noopener")
    return str(join(el("p", *items, cls="hs-console-code"), el("p", link, cls="hs-console-url")))


def qr_html(session: Session, url: str) -> str:
    """The join address as a QR code that scales with its box (a viewBox, no fixed size), and the
    session code under it for anyone who types the address."""
    # segno writes the SVG itself from the address: markup of its own, with no text of ours in it
    qr = Markup(segno.make(url, error="m").svg_inline(scale=1, dark="#1f2d33", light="#ffffff", omitsize=True))
    return str(
        join(
            el("div", qr, cls="hs-qr", role="img", aria_label=t("console_qr_label")),
            el("p", session.display_code, cls="hs-qr-code"),
        )
    )


def presence_html(activity: tuple) -> str:
    """How many are here and, if any asked, how many asked for a quiet word (never who)."""
    if not activity:
        return ""
    present, words = activity[-1], activity[-2]
    parts = [el("p", t("console_present", n=present), cls="hs-console-present", role="status")]
    if words:
        hint = t("console_quiet_words_hint")
        parts.append(el("p", t("console_quiet_words", n=words), cls="hs-console-words", role="status", title=hint))
        parts.append(el("p", hint, cls="hs-console-words-hint"))
    return str(join(*parts))


# ---------------------------------------------------------------------- the page's frame
class StatusLine(HTML):
    """The line under the title: what just happened, or that the store could not be used.

    ``trouble`` is ``""``, ``"action"`` (an action could not write or read the store; the next
    action clears it) or ``"read"`` (polling could not read the store; the next good read clears it).
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_class("hs-notice")
        self.trouble = ""

    def say(self, text: str) -> None:
        self.value = str(el("p", text, cls="hs-notice-info", role="status"))

    def action_starting(self) -> None:
        """Trying again: the message about the last failed action goes."""
        if self.trouble == "action":
            self.value = ""
            self.trouble = ""

    def action_failed(self) -> None:
        self.value = str(el("p", t("console_store_trouble"), cls="hs-notice-error", role="alert"))
        self.trouble = "action"

    def read_failed(self) -> bool:
        """Say once that the store cannot be read; ``True`` the first time (for the log)."""
        if self.trouble == "read":
            return False
        self.value = str(el("p", t("console_read_trouble"), cls="hs-notice-error", role="status"))
        self.trouble = "read"
        return True

    def read_worked(self) -> None:
        if self.trouble == "read":
            self.value = ""
            self.trouble = ""


class ConsoleLayout(VBox):
    """Where the panels sit; it knows nothing of what they do.

    The console is read on a laptop (1280×800) while people talk: the session line and the group
    answers come first, the QR code and the theme list sit in a narrow column beside them (at
    1280 px the answers used to start 1,319 px down, under everything else). The page: the title,
    the status line, the session line, then two columns, ``main`` and ``side`` (laid out by
    ``holdingspace.css``: ``.hs-console-columns``, ``.hs-console-main``, ``.hs-console-side``).
    """

    def __init__(self, *, status: HTML, session_line: HBox, main: Sequence, side: Sequence, **kwargs: Any) -> None:
        title = HTML(str(el("h1", t("console_title"), cls="hs-console-title")))
        main_column = VBox(list(main))
        main_column.add_class("hs-console-main")
        side_column = VBox(list(side))
        side_column.add_class("hs-console-side")
        columns = HBox([main_column, side_column])
        columns.add_class("hs-console-columns")
        super().__init__([title, status, session_line, columns], **kwargs)
        self.add_class("hs-app")
        self.add_class("hs-console")


# ---------------------------------------------------------------------- the panels
def shown_while(panel: VBox | HBox, when: Callable[[Session | None], bool]) -> None:
    """Show ``panel`` while ``when(panel.session)`` holds, now and whenever its session changes."""
    show(panel, when(panel.session))
    panel.observe(lambda change: show(panel, when(change["new"])), names="session")


class SetupPanel(VBox):
    """Starting a session: its kind, k (groups only) and Start; shown while no session is live."""

    session = traitlets.Instance(Session, allow_none=True)

    def __init__(self, on_start: Callable[[str, int], Any], **kwargs: Any) -> None:
        self.kind = ToggleButtons(options=[(t("kind_group"), "group"), (t("kind_couple"), "couple"), (t("kind_one"), "one")], value="group")
        self.kind.add_class("hs-console-kind")
        self.k = BoundedIntText(value=5, min=2, max=30, description=t("console_k"))
        self.k.add_class("hs-stacked")
        self.k.add_class("hs-console-k")
        self.start_button = Button(description=t("console_start"), button_style="primary")
        super().__init__([HTML(str(el("h2", t('console_new_session')))), self.kind, self.k, self.start_button], **kwargs)
        self.add_class("hs-console-setup")
        traitlets.dlink((self.kind, "value"), (self.k, "disabled"), lambda kind: kind != "group")
        shown_while(self, lambda session: not is_live(session))
        self.start_button.on_click(lambda _b: on_start(self.kind.value, self.k.value))


class SessionLine(HBox):
    """The session above everything: code, kind, k and join address; who is here and how many
    asked for a quiet word; End. Shown while there is a session, ended or not."""

    session = traitlets.Instance(Session, allow_none=True)
    activity = traitlets.Tuple()

    def __init__(self, join_base: str, on_end: Callable[[], Any], **kwargs: Any) -> None:
        self.join_base = join_base
        self.line = HTML()
        self.line.add_class("hs-console-line")
        self.present = HTML()
        self.end_button = Button(description=t("console_end"))
        super().__init__([self.line, self.present, self.end_button], **kwargs)
        self.add_class("hs-console-session")
        shown_while(self, lambda session: session is not None)
        traitlets.dlink((self, "session"), (self.end_button, "disabled"), lambda session: not is_live(session))
        traitlets.dlink((self, "activity"), (self.present, "value"), presence_html)
        self.observe(self._on_session, names="session")
        self.end_button.on_click(lambda _b: on_end())

    def _on_session(self, change: dict) -> None:
        session = change["new"]
        if session is not None:  # after a purge the line is hidden as it was
            self.line.value = session_line_html(session, join_url(self.join_base, session.code))


class JoinPanel(VBox):
    """The join QR code and the session code, and "Show the join code large" for the room to scan;
    shown while a session is live."""

    session = traitlets.Instance(Session, allow_none=True)

    def __init__(self, join_base: str, **kwargs: Any) -> None:
        self.join_base = join_base
        self.qr = HTML()
        self.large = ToggleButton(value=False, description=t("console_qr_large"), tooltip=t("console_qr_large"))
        self.large.add_class("hs-qr-toggle")
        super().__init__([self.qr, self.large], **kwargs)
        self.add_class("hs-console-join")
        shown_while(self, is_live)
        for name in ("description", "tooltip"):
            traitlets.dlink((self.large, "value"), (self.large, name), lambda on: t("console_qr_small") if on else t("console_qr_large"))
        self.large.observe(self._on_large, names="value")
        self.observe(self._on_session, names="session")

    def _on_session(self, change: dict) -> None:
        session = change["new"]
        if identity(session) == identity(change["old"]):  # the same session moved on: nothing to redraw
            return
        self.large.value = False
        if session is not None:
            self.qr.value = qr_html(session, join_url(self.join_base, session.code)) if is_live(session) else ""

    def _on_large(self, change: dict) -> None:
        """Show the join code over the whole console, for the room to scan, and back."""
        if change["new"]:
            self.add_class("hs-console-join-large")
        else:
            self.remove_class("hs-console-join-large")


class ProjectorPanel(VBox):
    """The projector view: a link that opens it (for the screen the room sees), and in a group session
    the choice to show the live group picture there (only ever at k; the facilitator decides when)."""

    session = traitlets.Instance(Session, allow_none=True)

    def __init__(self, on_picture: Callable[[bool], Any], **kwargs: Any) -> None:
        link = HTML(str(el("p", el("a", t("console_projector_open"), href="projector", target="_blank",
                                   rel="noopener", cls="hs-projector-link"))))
        self.picture = ToggleButton(value=False, description=t("console_projector_picture_off"))
        self.picture.add_class("hs-projector-picture")
        super().__init__([HTML(str(el("h2", t("console_projector")))), link, self.picture], **kwargs)
        self.add_class("hs-console-projector")
        shown_while(self, is_live)
        traitlets.dlink((self.picture, "value"), (self.picture, "description"),
                        lambda on: t("console_projector_picture_on") if on else t("console_projector_picture_off"))
        traitlets.dlink((self, "session"), (self.picture, "value"),
                        lambda session: bool(session and session.show_picture))
        self.observe(self._on_session, names="session")
        self.picture.observe(lambda change: on_picture(change["new"]) if change["new"] != self._stored() else None,
                             names="value")

    def _stored(self) -> bool:
        return bool(self.session and self.session.show_picture)

    def _on_session(self, change: dict) -> None:
        session = change["new"]
        show(self.picture, bool(session and session.aggregates_allowed))


class ThemesPanel(VBox):
    """The theme list (a button moves everyone there; the current theme is highlighted) and the
    follow toggle; usable while a session is live."""

    session = traitlets.Instance(Session, allow_none=True)
    theme = traitlets.Unicode("")

    def __init__(
        self,
        themes: Sequence[Theme],
        on_choose: Callable[[str], Any],
        on_follow: Callable[[bool], Any],
        **kwargs: Any,
    ) -> None:
        self.theme_keys = [theme.key for theme in themes]
        self.buttons = [Button(description=f"{th.number}. {th.title}", tooltip=th.title) for th in themes]
        self.follow = ToggleButton(value=True, description=t("console_follow_on"))
        self.follow.add_class("hs-follow-toggle")
        super().__init__([HTML(str(el("h2", t('console_themes')))), self.follow, *self.buttons], **kwargs)
        self.add_class("hs-console-themes")
        for button, key in zip(self.buttons, self.theme_keys, strict=True):
            button.add_class("hs-theme-button")
            button.on_click(lambda _b, key=key: on_choose(key))
        for control in (*self.buttons, self.follow):
            traitlets.dlink((self, "session"), (control, "disabled"), lambda session: not is_live(session))
        traitlets.dlink(
            (self.follow, "value"), (self.follow, "description"), lambda on: t("console_follow_on") if on else t("console_follow_off")
        )
        # the toggle shows the session's follow; with no session it keeps what it showed
        traitlets.dlink(
            (self, "session"), (self.follow, "value"), lambda session: session.follow if session is not None else self.follow.value
        )
        self.follow.observe(lambda change: on_follow(change["new"]), names="value")
        self.observe(self._on_theme, names="theme")

    def _on_theme(self, _change: Any = None) -> None:
        for button, key in zip(self.buttons, self.theme_keys, strict=True):
            button.button_style = "primary" if key == self.theme else ""


class NotesPanel(HTML):
    """The current theme's facilitator script; hidden until a theme is chosen."""

    theme = traitlets.Unicode("")

    def __init__(self, notes: Callable[[str], str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.notes = notes
        self.add_class("hs-console-notes")
        show(self, False)
        self.observe(self._on_theme, names="theme")

    def _on_theme(self, _change: Any = None) -> None:
        # the script is the guide's Markdown rendered by workshop.markdown (escaping), or a hint
        self.value = str(join(el("h2", t("console_notes")), Markup(self.notes(self.theme)))) if self.theme else ""
        show(self, bool(self.theme))


class AnswersPanel(VBox):
    """The current theme's anonymous group answers: for each exercise that can be shared, its
    pictures (charts, and texts with Hide / Show) once ``k`` people shared, a waiting line until
    then; never any in couple and one-to-one sessions.

    The exercises are ``workshop.exercises`` specs (read from each notebook's cells, not built):
    ``exercises`` maps a theme's key to them. Redrawn when the session, the theme or the activity
    changes; :meth:`draw` redraws at once.
    """

    session = traitlets.Instance(Session, allow_none=True)
    theme = traitlets.Unicode("")
    activity = traitlets.Tuple()

    def __init__(
        self,
        store: Store,
        themes: Sequence[Theme],
        exercises: Mapping[str, Sequence[ExerciseSpec]],
        on_hide: Callable[[int, bool], Any],
        on_project: Callable[[int | None], Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.add_class("hs-console-answers")
        self.on_project = on_project
        self.store = store
        self.themes = {theme.key: theme for theme in themes}
        self.exercises = exercises
        self.on_hide = on_hide
        self._drawn: Any = ()
        self.observe(self._on_change, names=["session", "theme", "activity"])
        self.draw()

    def _view(self) -> tuple | None:
        """All that the drawing depends on (besides the store's rows, which ``activity`` tracks)."""
        s = self.session
        return None if s is None else (s.id, s.kind, s.k, self.theme, self.activity, s.shown_text)

    def _on_change(self, _change: Any = None) -> None:
        if self._view() != self._drawn:
            self.draw()

    def draw(self) -> None:
        self._drawn = self._view()
        session = self.session
        if session is None:
            self.children = [_hint("console_no_session")]
            return
        theme = self.themes.get(self.theme)
        heading = HTML(str(el("h2", t('console_answers', title=theme.title if theme else ''))))
        if theme is None:
            self.children = [heading]
            return
        if not session.aggregates_allowed:
            self.children = [heading, _hint("console_no_aggregates")]
            return
        blocks: list = [heading]
        if theme.key == list(self.themes)[-1]:  # the closing theme: the group's before and after, k-gated
            blocks.append(self._before_after(session))
        shareable = [spec for spec in self.exercises.get(theme.key, []) if spec.shareable]
        if not shareable:
            blocks.append(_hint("console_nothing_to_share"))
        for spec in shareable:
            blocks.append(self._exercise_block(session, spec))
        self.children = blocks

    def _before_after(self, session: Session) -> VBox:
        """The "how unsettled" ratings at the check-in and the check-out, each only at k; never per person."""
        from workshop import outcomes

        found = outcomes.before_after(self.store, session, list(self.themes.values()))
        parts: list = [HTML(str(el("h3", t("report_before_after"))))]
        if found is None:
            parts.append(_hint("report_no_before_after"))
        else:
            parts.append(HTML(str(el("p", found.summary(), cls="hs-before-after-summary", role="status"))))
            parts.extend(HTML(bar_chart(chart)) for chart in found.charts())
        box = VBox(parts)
        box.add_class("hs-console-exercise")
        box.add_class("hs-before-after")
        return box

    def _exercise_block(self, session: Session, spec: ExerciseSpec) -> VBox:
        rows = self.store.shares(session, spec.key)
        gate = aggregate.gate(session, rows)
        label = HTML(str(el("h3", spec.title)))
        if not gate.open:
            wait = HTML(
                str(el("p", t("console_waiting", n=gate.respondents, needed=gate.needed, k=gate.k), cls="hs-waiting", role="status"))
            )
            return VBox([label, wait])
        parts: list = [label]
        pictures, held = aggregate.shown(spec.picture(rows), gate.k)
        for picture in pictures:
            if isinstance(picture, aggregate.Chart):
                parts.append(HTML(bar_chart(picture)))
            else:
                parts.extend(self._text_rows(picture))
        if held:
            parts.append(HTML(str(el("p", t("console_held_back", n=held, k=gate.k), cls="hs-waiting hs-held-back"))))
        box = VBox(parts)
        box.add_class("hs-console-exercise")
        return box

    def _text_rows(self, texts: aggregate.Texts) -> list:
        rows: list = [HTML(str(el("h4", texts.title)))]
        for share in texts.items:
            if share.hidden:
                text = HTML(str(el("p", t("console_hidden"), cls="hs-shared-text hs-hidden-text")))
                toggle = Button(description=t("console_show"))
            else:
                text = HTML(str(el("p", share.value, cls="hs-shared-text")))
                toggle = Button(description=t("console_hide"))
            toggle.add_class("hs-hide-button")
            toggle.on_click(lambda _b, sid=share.id, hidden=share.hidden: self.on_hide(sid, not hidden))
            buttons = [toggle]
            if self.on_project is not None and not share.hidden:
                # on the projector only after it was read here, and only this one text at a time
                shown = self.session is not None and self.session.shown_text == share.id
                project = Button(description=t("console_projector_text_off" if shown else "console_projector_text_on"))
                project.add_class("hs-project-button")
                project.on_click(lambda _b, sid=share.id, shown=shown: self.on_project(None if shown else sid))
                buttons.append(project)
            row = HBox([text, *buttons])
            row.add_class("hs-shared-row")
            rows.append(row)
        return rows


class DataPanel(VBox):
    """Export the session's shared answers as CSV, and purge the session (a second click confirms);
    usable while there is a session, ended or not."""

    session = traitlets.Instance(Session, allow_none=True)

    def __init__(self, on_export: Callable[[], Any], on_purge: Callable[[], Any],
                 on_report: Callable[[], Any] | None = None, **kwargs: Any) -> None:
        self.on_purge = on_purge
        self.export_button = Button(description=t("console_export"), tooltip=t("console_export"))
        self.report_button = Button(description=t("console_report"), tooltip=t("console_report"))
        self.purge_button = Button(description=t("console_purge"), tooltip=t("console_purge"), button_style="danger")
        self.note = HTML()
        self.downloader = Downloader()
        buttons = HBox([self.export_button, self.report_button, self.purge_button])
        buttons.add_class("hs-console-data-buttons")
        super().__init__([HTML(str(el("h2", t('console_data')))), buttons, self.note, self.downloader], **kwargs)
        self.add_class("hs-console-data")
        self.confirming = False  # the first click on purge asked; the next one purges
        for button in (self.export_button, self.report_button, self.purge_button):
            traitlets.dlink((self, "session"), (button, "disabled"), lambda session: session is None)
        self.export_button.on_click(lambda _b: on_export())
        if on_report is not None:
            self.report_button.on_click(lambda _b: on_report())
        self.purge_button.on_click(lambda _b: self.purge_clicked())
        self.observe(self._on_session, names="session")

    def _on_session(self, change: dict) -> None:
        if identity(change["new"]) != identity(change["old"]):  # another session, or it ended: ask again
            self.confirming = False
            self.purge_button.description = t("console_purge")

    def purge_clicked(self) -> None:
        """What a click on purge does: the first asks (and warns), the next one purges."""
        if self.session is None:
            return
        if not self.confirming:
            self.confirming = True
            self.purge_button.description = t("console_purge_confirm")
            self.note.value = str(el("p", t("console_purge_warning"), cls="hs-notice-error", role="alert"))
            return
        self.on_purge()

    def deliver(self, filename: str, text: str, mime: str = "text/csv", said: str = "console_exported") -> None:
        """Send the export (or the report) to this browser as a download, and say so."""
        self.downloader.download(filename, text, mime=mime)
        self.note.value = str(el("p", t(said), cls="hs-hint", role="status"))

    def say_purged(self) -> None:
        self.note.value = str(el("p", t("console_purged"), cls="hs-hint", role="status"))
