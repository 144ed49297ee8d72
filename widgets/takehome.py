"""The take-home: a participant downloads their own answers and space agreement."""

from __future__ import annotations

import html
import time
from pathlib import Path
from typing import Any, Callable

import anywidget
from ipywidgets import HTML, Button, VBox

from workshop import takehome

from ._text import t
from .base import QuietRepr, TakeHomeSection, live_exercises


class Downloader(anywidget.AnyWidget):
    """Sends a file from the kernel to this browser as a download (no server disk involved)."""

    _esm = Path(__file__).with_name("download.js").read_text(encoding="utf-8")

    def download(self, filename: str, content: str, mime: str = "text/html") -> None:
        self.send({"type": "download", "filename": filename, "content": content, "mime": mime})


class TakeHome(QuietRepr, VBox):
    """"Download my take-home": a printable page of the participant's own answers.

    It holds every exercise the participant answered and did not pass, in workshop order, with
    the space agreement set off in a box. The page is made in the participant's kernel and goes
    straight to their browser; it is never stored on the server and nothing is shared.
    In the participant app the app supplies the exercises; used alone in a notebook, it takes
    every exercise made in the same kernel.
    """

    def __init__(self, collect: Callable[[], list] | None = None, **kwargs: Any) -> None:
        self.collect = collect
        self._button = Button(description=t("takehome_button"), tooltip=t("takehome_button"), button_style="primary")
        self._button.add_class("hs-takehome-button")
        self._status = HTML()
        self._downloader = Downloader()
        intro = HTML(f'<p class="hs-hint">{html.escape(t("takehome_hint"))}</p>')
        super().__init__([intro, self._button, self._status, self._downloader], **kwargs)
        self.add_class("hs-takehome")
        self._button.on_click(self._on_button_click)

    def sections(self) -> list[TakeHomeSection]:
        exercises = self.collect() if self.collect is not None else live_exercises()
        return [section for ex in exercises if (section := ex.take_home()) is not None]

    def page(self) -> str:
        """The printable page as HTML."""
        sections = [takehome.Section(s.title, s.lines) for s in self.sections()]
        if not sections:
            sections = [takehome.Section(t("takehome_nothing_title"), [("", t("takehome_nothing"))])]
        return takehome.render(
            title=t("takehome_title"),
            intro=t("takehome_intro", date=time.strftime("%d %B %Y")),
            sections=sections,
            footer=t("takehome_footer"),
            print_label=t("takehome_print"),
            highlight=t("agreement_title"),
        )

    def _on_button_click(self, _button: Button) -> None:
        self._downloader.download(t("takehome_filename"), self.page())
        self._status.value = f'<p class="hs-summary" role="status">{html.escape(t("takehome_done"))}</p>'
