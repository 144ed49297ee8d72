"""Moving through the themes: Back and Next, the progress bar, and the notes under a page."""

from __future__ import annotations

from typing import Any

import traitlets

from ._text import t
from .looks import HTML, Button, HBox, show
from .markup import el, join


class Navigation(traitlets.HasTraits):
    """Back and Next (locked while the facilitator moves everyone), the progress line and bar, the
    "last page" note and the "following the facilitator" note: four views the app places.

    ``page`` is linked to the app's page; ``titles`` are the themes' titles, in order; ``shown``
    is False while another view (the consent step, the grounding page) takes the stage.
    """

    page = traitlets.Int(0)
    titles = traitlets.List(traitlets.Unicode())
    following = traitlets.Bool(False)
    shown = traitlets.Bool(True)

    def __init__(self, **kwargs: Any) -> None:
        self.back = Button()
        self.back.add_class("hs-back")
        self.next = Button(button_style="primary")
        self.next.add_class("hs-next")
        self.bar = HBox([self.back, self.next])
        self.bar.add_class("hs-nav")
        self.progress = HTML()
        self.progress.add_class("hs-progress")
        self.end_note = HTML()
        self.follow_note = HTML()
        super().__init__(**kwargs)
        self.back.on_click(lambda _b: self._step(-1))
        self.next.on_click(lambda _b: self._step(+1))
        self.observe(self.update, names=["page", "titles", "following", "shown"])
        self.set_texts()

    def set_texts(self) -> None:
        for button, key in ((self.back, "back"), (self.next, "next")):
            button.description = button.tooltip = t(key)
        self.update()

    def _step(self, step: int) -> None:
        if not self.following:
            self.page = max(0, min(self.page + step, len(self.titles) - 1))

    def update(self, _change: Any = None) -> None:
        total = len(self.titles)
        if not total:
            return
        show(self.bar, self.shown)
        self.back.disabled = self.page == 0 or self.following
        self.next.disabled = self.page == total - 1 or self.following
        last = self.page == total - 1 and self.shown
        self.end_note.value = str(el("p", t("last_page"), cls="hs-note")) if last else ""
        self.follow_note.value = (
            str(el("p", t("following_note"), cls="hs-note hs-following", role="status"))
            if self.following and self.shown
            else ""
        )
        number, title = self.page + 1, self.titles[self.page]
        percent = round(100 * number / total)
        label = t("progress_label", current=number, total=total, title=title)
        text = el("div", t("progress", current=number, total=total), " · ", title, cls="hs-progress-text", aria_hidden="true")
        fill = el("div", cls="hs-progress-fill", style=f"width:{percent}%")
        bar = el(
            "div", fill,
            cls="hs-progress-bar", role="progressbar", aria_valuemin=1, aria_valuemax=total, aria_valuenow=number, aria_label=label,
        )
        self.progress.value = str(join(text, bar))
