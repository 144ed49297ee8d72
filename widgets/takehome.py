"""The take-home: a participant downloads their own answers and space agreement."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import traitlets

from workshop import content, serverlog, takehome

from ._text import t
from .base import QuietRepr, TakeHomeSection, live_exercises
from .help import contact_label
from .looks import HTML, AnyWidget, Button, Checkbox, VBox, shared_layout
from .markup import el
from .pictures import LoopMap
from .reflect import PartnerNote, StoryITellMyself

#: the most personal answers, which stay off the page unless the participant ticks them:
#: key → (exercise class, the ui.yaml key of its title)
PRIVATE_PARTS: dict[str, tuple[type, str]] = {
    "story": (StoryITellMyself, "story_title"),
    "partner_note": (PartnerNote, "partner_note_title"),
    "loop": (LoopMap, "loop_title"),
}


class Downloader(AnyWidget):
    """Sends a file from the kernel to this browser as a download (no server disk involved)."""

    _esm = Path(__file__).with_name("download.js").read_text(encoding="utf-8")

    def download(self, filename: str, content: str, mime: str = "text/html") -> None:
        self.send({"type": "download", "filename": filename, "content": content, "mime": mime})


def _links(contacts: tuple[content.Contact, ...]) -> list[takehome.Link]:
    """Contacts as printed links: a number is in its words already; an address is printed in full."""
    out = []
    for contact in contacts:
        label = contact_label(contact)
        if contact.kind in ("chat", "web"):
            label = t("help_print_address", label=label, address=contact.value)
        out.append(takehome.Link(label, contact.href, contact.note))
    return out


def helplines(res: content.Resources) -> takehome.Helplines:
    """The facilitator's country's services for the end of the page, grouped as in the Help panel."""
    marker = "\x00"
    lead = t("help_emergency", country=res.country_name, number=marker).split(marker)[0]
    groups = [
        (t(f"help_group_{group}"), [takehome.Helpline(s.name, s.what, _links(s.contacts)) for s in services])
        for group, services in res.grouped()
    ]
    if res.international:
        groups.append(
            (t("help_international"), [takehome.Helpline(s.name, s.what, _links(s.contacts)) for s in res.international])
        )
    return takehome.Helplines(
        title=t("takehome_helplines_title"),
        intro=t("takehome_helplines_intro"),
        emergency_lead=lead,
        emergency=[takehome.Link(c.value, c.href) for c in res.emergency_contacts],
        emergency_notes=[c.note for c in res.emergency_contacts if c.note] + ([res.emergency_note] if res.emergency_note else []),
        groups=groups,
    )


class TakeHome(QuietRepr, VBox):
    """"Download my take-home": a printable page of the participant's own answers.

    It holds every exercise the participant answered and did not pass, in workshop order, with
    the space agreement set off in a box, and ends with the helplines of the facilitator's country.
    The most personal answers (the story I tell myself, the note from my partner's side, the loop
    map) stay off the page unless the participant ticks them: a partner may share the device. The
    page is made in the participant's kernel and goes straight to their browser; it is never
    stored on the server. In the participant app the app supplies the exercises; used alone in a
    notebook, it takes every exercise made in the same kernel.
    """

    #: keys of :data:`PRIVATE_PARTS` the participant chose to put on the page (none by default)
    include_private = traitlets.List(traitlets.Unicode(), default_value=[])

    def __init__(self, collect: Callable[[], list] | None = None, **kwargs: Any) -> None:
        self.collect = collect
        self._button = Button(description=t("takehome_button"), tooltip=t("takehome_button"), button_style="primary")
        self._button.add_class("hs-takehome-button")
        self._status = HTML()
        self._downloader = Downloader()
        intro = HTML(str(el("p", t("takehome_hint"), cls="hs-hint")))
        private_intro = HTML(str(el("p", t("takehome_private_intro"), cls="hs-hint")))
        # full width, not ipywidgets' fixed 300 px, so a box never pushes a 320 px phone sideways
        self._boxes = {
            key: Checkbox(
                value=False, description=t("takehome_include", title=t(title_key)), indent=False,
                layout=shared_layout(width="100%", height="auto"),
            )
            for key, (_cls, title_key) in PRIVATE_PARTS.items()
        }
        for box in self._boxes.values():
            box.add_class("hs-takehome-include")
        private = VBox([private_intro, *self._boxes.values()])
        private.add_class("hs-takehome-private")
        super().__init__([intro, private, self._button, self._status, self._downloader], **kwargs)
        self.add_class("hs-takehome")
        for key, box in self._boxes.items():
            box.observe(lambda change, key=key: self._on_box(key, change["new"]), names="value")
        self.observe(self._on_include, names="include_private")
        self._button.on_click(self._on_button_click)

    @traitlets.validate("include_private")
    def _valid_include(self, proposal: dict) -> list[str]:
        chosen = set(proposal["value"])
        return [key for key in PRIVATE_PARTS if key in chosen]  # known keys only, in a fixed order

    def _on_box(self, key: str, ticked: bool) -> None:
        others = [k for k in self.include_private if k != key]
        self.include_private = others + [key] if ticked else others

    def _on_include(self, _change: Any = None) -> None:
        for key, box in self._boxes.items():
            box.value = key in self.include_private

    def _left_out(self, exercise: Any) -> bool:
        return any(
            isinstance(exercise, cls) and key not in self.include_private for key, (cls, _title) in PRIVATE_PARTS.items()
        )

    def sections(self) -> list[TakeHomeSection]:
        exercises = self.collect() if self.collect is not None else live_exercises()
        return [
            section for ex in exercises if not self._left_out(ex) and (section := ex.take_home()) is not None
        ]

    def page(self) -> str:
        """The printable page as HTML."""
        sections = [takehome.Section(s.title, s.lines) for s in self.sections()]
        if not sections:
            sections = [takehome.Section(t("takehome_nothing_title"), [("", t("takehome_nothing"))])]
        try:
            lines = helplines(content.resources(strict=False))
        except content.ContentError:
            serverlog.logger().exception("the crisis resources could not be read for the take-home")
            lines = None  # the page still comes; its footer names the emergency number in words
        return takehome.render(
            title=t("takehome_title"),
            intro=t("takehome_intro", date=time.strftime("%d %B %Y")),
            sections=sections,
            footer=t("takehome_footer"),
            print_label=t("takehome_print"),
            highlight=t("agreement_title"),
            helplines=lines,
        )

    def _on_button_click(self, _button: Button) -> None:
        self._downloader.download(t("takehome_filename"), self.page())
        self._status.value = str(el("p", t("takehome_done"), cls="hs-summary", role="status"))
