"""The printable take-home: a participant's own answers and space agreement as one HTML page.

The page is built in the participant's kernel and handed straight to their browser as a
download; it is never written to the server's disk. It prints on A4 and Letter (``@page`` with
margins only, no fixed size) and needs nothing from any server once saved. It ends with the
helplines of the facilitator's country, each number printed in full (it must work on paper) and
as a link that calls or texts it when tapped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# cheap to import: Jinja2 itself is imported on the first page, not with the kernel
from . import templating


@dataclass
class Section:
    """A heading and its label–text lines (an empty label prints the text alone)."""

    title: str
    lines: Sequence[tuple[str, str]]


@dataclass
class Link:
    """A link whose words carry what it does in full ("Call 116 123"), so it works on paper too."""

    label: str
    href: str
    note: str = ""


@dataclass
class Helpline:
    """One service: its name, who it is for, and its links."""

    name: str
    what: str
    links: Sequence[Link]


@dataclass
class Helplines:
    """The closing section: the emergency number, then the services under their group headings."""

    title: str
    intro: str
    emergency_lead: str = ""
    emergency: Sequence[Link] = field(default_factory=list)
    emergency_notes: Sequence[str] = field(default_factory=list)
    groups: Sequence[tuple[str, Sequence[Helpline]]] = field(default_factory=list)


#: the only links the page may carry: a number to call or text, or an https address
_SAFE_HREF = re.compile(r"^(tel:\+?\d{3,15}|sms:\+?\d{3,15}(\?&body=[A-Za-z0-9%._~-]+)?|https://[^\s\"'<>`\\]+)$")


def render(
    title: str,
    intro: str,
    sections: Iterable[Section],
    footer: str,
    print_label: str,
    highlight: str = "",
    language: str = "en",
    helplines: Helplines | None = None,
) -> str:
    """The whole page (``templates/takehome.html``). Every text is escaped by the template; the
    page loads nothing from anywhere (its only links are the helplines', which a reader follows:
    tel:, sms: and https)."""
    shown = []
    for section in sections:
        lines = list(section.lines)
        shown.append(
            {
                "title": section.title,
                "plain": [text for label, text in lines if not label],
                "labelled": [(label, text) for label, text in lines if label],
            }
        )
    if helplines is not None:
        _check_links(helplines)
    return templating.render(
        "takehome.html",
        lang=language,
        title=title,
        intro=intro,
        sections=shown,
        footer=footer,
        print_label=print_label,
        highlight=highlight,
        helplines=helplines,
    )


def _check_links(helplines: Helplines) -> None:
    """Refuse any link but a number to call or text, or an https address."""
    for link in [*helplines.emergency, *(k for _, services in helplines.groups for s in services for k in s.links)]:
        if not _SAFE_HREF.match(link.href):
            raise ValueError(f"not a tel:, sms: or https link: {link.href[:60]!r}")
