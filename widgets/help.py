"""Crisis and domestic-abuse resources, one tap away on every page."""

from __future__ import annotations

import html
import re
from typing import Any

import traitlets
from ipywidgets import HTML, Button, VBox

from workshop import content, serverlog

from ._text import t

_PHONE = re.compile(r"^\+?[\d][\d\s-]{1,20}$")


def _service_html(service: content.Service) -> str:
    name = html.escape(service.name)
    if service.url:
        name = f'<a href="{html.escape(service.url)}" target="_blank" rel="noopener noreferrer">{name}</a>'
    contact = html.escape(service.contact)
    if service.contact and _PHONE.match(service.contact):
        digits = re.sub(r"[^\d+]", "", service.contact)
        contact = f'<a href="tel:{digits}">{contact}</a>'
    line = f"<strong>{name}</strong>"
    if contact:
        line += f" · {contact}"
    return f"<li>{line}<br><span>{html.escape(service.what)}</span></li>"


def resources_html(res: content.Resources) -> str:
    """The resources as an HTML fragment (every text escaped)."""
    parts = [f'<h2 class="hs-help-title">{html.escape(t("help_title"))}</h2>']
    parts.append(f"<p>{html.escape(t('help_intro'))}</p>")
    if res.emergency:
        parts.append(
            f'<p class="hs-help-emergency"><strong>{html.escape(t("help_emergency", country=res.country_name, number=res.emergency))}</strong>'
            + (f"<br>{html.escape(res.emergency_note)}" if res.emergency_note else "")
            + "</p>"
        )
    if res.services:
        parts.append('<ul class="hs-help-list">' + "".join(_service_html(s) for s in res.services) + "</ul>")
    if res.international:
        parts.append(f"<h3>{html.escape(t('help_international'))}</h3>")
        parts.append('<ul class="hs-help-list">' + "".join(_service_html(s) for s in res.international) + "</ul>")
    return "".join(parts)


class HelpPanel(VBox):
    """The "Help now" panel and the button that opens it (the app puts :attr:`button` in its header).

    The participant sees a button at the top of every page; it opens, below the header, the crisis and
    domestic-abuse services for the facilitator's country (``workshop/content/resources.yaml``)
    and an international directory. Nothing is recorded or shared about opening it.
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
            self._panel.value = resources_html(content.resources())
        except content.ContentError:
            serverlog.logger().exception("the crisis resources could not be read")
            self._panel.value = f"<p>{html.escape(t('help_intro'))}</p>"

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
