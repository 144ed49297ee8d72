"""Crisis and domestic-abuse resources, one tap away on every page."""

from __future__ import annotations

from typing import Any

import traitlets

from workshop import content, serverlog

from ._text import t
from .looks import HTML, Button, VBox
from .markup import Markup, el, join

#: opens a website in a new tab that cannot reach back into the workshop page
_NEW_TAB = {"target": "_blank", "rel": "noopener noreferrer"}


def contact_label(contact: content.Contact) -> str:
    """The plain words of a contact's link, from ui.yaml: "Call 116 123", "Text SHOUT to 85258", …"""
    return contact.label(t)


def contact_link(contact: content.Contact, label: str | None = None, note: bool = True) -> Markup:
    """One contact as one link (every text escaped), then its note; websites open in a new tab."""
    extra = _NEW_TAB if contact.kind in ("chat", "web") else {}
    link = el("a", label if label is not None else contact_label(contact), href=contact.href, **extra)
    if note and contact.note:
        return join(link, " ", el("span", contact.note, cls="hs-help-note"))
    return link


def _service_html(service: content.Service) -> Markup:
    contacts = el("ul", *(el("li", contact_link(c)) for c in service.contacts), cls="hs-help-contacts")
    return el("li", el("strong", service.name), el("br"), el("span", service.what), contacts)


def _list(services: tuple[content.Service, ...]) -> Markup:
    return el("ul", *(_service_html(s) for s in services), cls="hs-help-list")


def emergency_html(res: content.Resources) -> Markup:
    """ "Emergency number in {country}: 999", the number a link to call, with its note and the general note."""
    marker = "\x00"  # where the number goes in the ui.yaml sentence; the links replace it
    sentence = t("help_emergency", country=res.country_name, number=marker)
    if marker not in sentence:  # a reworded sentence without {number} still gets the links
        sentence += " " + marker
    links = join(*(contact_link(c, label=c.value, note=False) for c in res.emergency_contacts), sep=", ")
    before, _, after = sentence.partition(marker)
    line = [el("strong", before, links, after)]
    for contact in res.emergency_contacts:
        if contact.note:
            line += [el("br"), el("span", contact.note, cls="hs-help-note")]
    if res.emergency_note:
        line += [el("br"), res.emergency_note]
    return el("p", *line, cls="hs-help-emergency")


def resources_html(res: content.Resources) -> Markup:
    """The resources as an HTML fragment (every text escaped): the emergency number, then the
    services under the group headings of ui.yaml, then the international directories."""
    parts = [el("h2", t("help_title"), cls="hs-help-title"), el("p", t("help_intro"))]
    if res.emergency_contacts:
        parts.append(emergency_html(res))
    for group, services in res.grouped():
        parts += [el("h3", t(f"help_group_{group}")), _list(services)]
    if res.international:
        parts += [el("h3", t("help_international")), _list(res.international)]
    return join(*parts)


class HelpPanel(VBox):
    """The "Help now" panel and the button that opens it (the app puts :attr:`button` in its header).

    The participant sees a button at the top of every page; it opens, below the header, the crisis and
    domestic-abuse services for the facilitator's country (``workshop/content/resources.yaml``),
    grouped so they can find the right one, and international directories. Every number is a link
    that calls or texts it when tapped. Nothing is recorded or shared about opening it.
    """

    expanded = traitlets.Bool(False)

    def __init__(self, **kwargs: Any) -> None:
        self._toggle = Button()
        self._toggle.add_class("hs-help-button")
        self._panel = HTML()
        self._panel.add_class("hs-help-panel")
        self._close = Button()
        self._close.add_class("hs-secondary")
        self.refresh()
        super().__init__([], **kwargs)
        self.add_class("hs-help")
        self._toggle.on_click(self._on_toggle_click)
        self._close.on_click(self._on_close_click)
        self.observe(self._on_expanded, names="expanded")

    def refresh(self) -> None:
        """Read the resources and labels again (after a facilitator edits them)."""
        self._toggle.description = self._toggle.tooltip = t("help_button")
        self._close.description = self._close.tooltip = t("help_close")
        try:
            self._panel.value = str(resources_html(content.resources(strict=False)))
        except content.ContentError:
            serverlog.logger().exception("the crisis resources could not be read")
            self._panel.value = str(el("p", t("help_intro")))

    @property
    def button(self) -> Button:
        """The "Help now" button, for the app's header."""
        return self._toggle

    def _on_toggle_click(self, _button: Button) -> None:
        self.expanded = not self.expanded

    def _on_close_click(self, _button: Button) -> None:
        self.expanded = False

    def _on_expanded(self, _change: Any = None) -> None:
        self.children = [self._panel, self._close] if self.expanded else []
        self._toggle.button_style = "warning" if self.expanded else ""
