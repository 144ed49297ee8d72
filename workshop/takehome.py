"""The printable take-home: a participant's own answers and space agreement as one HTML page.

The page is built in the participant's kernel and handed straight to their browser as a
download; it is never written to the server's disk. It prints on A4 and Letter (``@page`` with
margins only, no fixed size) and needs nothing from any server once saved. It ends with the
helplines of the facilitator's country, each number printed in full (it must work on paper) and
as a link that calls or texts it when tapped.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Iterable, Sequence


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


_STYLE = """
@page { margin: 16mm 15mm; }
* { box-sizing: border-box; }
body { font-family: Georgia, "Times New Roman", serif; color: #1f2d33; max-width: 44rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.5; font-size: 12pt; }
h1 { font-size: 20pt; margin: 0 0 0.2rem; }
.intro { color: #475a61; margin: 0 0 1.2rem; }
section { border-top: 1px solid #d8d0c4; padding: 0.6rem 0 0.2rem; break-inside: avoid; page-break-inside: avoid; }
h2 { font-size: 13pt; margin: 0.2rem 0 0.4rem; }
dl { margin: 0; display: grid; grid-template-columns: minmax(7rem, 30%) 1fr; gap: 0.25rem 1rem; }
dt { font-weight: bold; }
dd { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
p.line { margin: 0.2rem 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.agreement { border: 2px solid #2b6660; border-radius: 10px; padding: 0.6rem 1rem; }
footer { margin-top: 1.5rem; color: #475a61; font-size: 10pt; border-top: 1px solid #d8d0c4; padding-top: 0.6rem; }
.print { font: inherit; padding: 0.4rem 1rem; margin: 0 0 1rem; }
a { color: inherit; overflow-wrap: anywhere; }
section.helplines { break-inside: auto; page-break-inside: auto; }
.helplines h3 { font-size: 12pt; margin: 0.6rem 0 0.2rem; }
.helplines ul { margin: 0.1rem 0 0.4rem; padding-left: 1.2rem; }
.helplines li { break-inside: avoid; page-break-inside: avoid; }
.helplines .what { display: block; color: #475a61; }
@media print { .print { display: none; } body { margin: 0 auto; } }
"""


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
    """The whole page. Every text is escaped; the page loads nothing from anywhere (its only
    links are the helplines', which a reader follows: tel:, sms: and https)."""
    parts = []
    for section in sections:
        lines = list(section.lines)
        labelled = [(k, v) for k, v in lines if k]
        plain = [v for k, v in lines if not k]
        body = "".join(f'<p class="line">{html.escape(v)}</p>' for v in plain)
        if labelled:
            body += "<dl>" + "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in labelled) + "</dl>"
        css = ' class="agreement"' if highlight and section.title == highlight else ""
        parts.append(f"<section{css}><h2>{html.escape(section.title)}</h2>{body}</section>")
    if helplines is not None:
        parts.append(_helplines_html(helplines))
    return (
        f'<!DOCTYPE html><html lang="{html.escape(language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body><main>"
        f'<button class="print" type="button" onclick="window.print()">{html.escape(print_label)}</button>'
        f"<h1>{html.escape(title)}</h1><p class=\"intro\">{html.escape(intro)}</p>"
        + "".join(parts)
        + f"</main><footer>{html.escape(footer)}</footer></body></html>"
    )


def _link(link: Link) -> str:
    if not _SAFE_HREF.match(link.href):
        raise ValueError(f"not a tel:, sms: or https link: {link.href[:60]!r}")
    new_tab = ' target="_blank" rel="noopener noreferrer"' if link.href.startswith("https://") else ""
    note = f" {html.escape(link.note)}" if link.note else ""
    return f'<a href="{html.escape(link.href)}"{new_tab}>{html.escape(link.label)}</a>{note}'


def _helplines_html(helplines: Helplines) -> str:
    parts = [f"<h2>{html.escape(helplines.title)}</h2>"]
    if helplines.intro:
        parts.append(f'<p class="line">{html.escape(helplines.intro)}</p>')
    if helplines.emergency:
        line = f"<strong>{html.escape(helplines.emergency_lead)}{', '.join(_link(k) for k in helplines.emergency)}</strong>"
        line += "".join(f"<br>{html.escape(note)}" for note in helplines.emergency_notes)
        parts.append(f'<p class="line emergency">{line}</p>')
    for heading, services in helplines.groups:
        items = "".join(
            f"<li><strong>{html.escape(s.name)}</strong>"
            f'<span class="what">{html.escape(s.what)}</span>'
            "<ul>" + "".join(f"<li>{_link(k)}</li>" for k in s.links) + "</ul></li>"
            for s in services
        )
        parts.append(f"<h3>{html.escape(heading)}</h3><ul>{items}</ul>")
    return '<section class="helplines">' + "".join(parts) + "</section>"
