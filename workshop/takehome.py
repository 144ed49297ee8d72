"""The printable take-home: a participant's own answers and space agreement as one HTML page.

The page is built in the participant's kernel and handed straight to their browser as a
download; it is never written to the server's disk. It prints on A4 and Letter (``@page`` with
margins only, no fixed size) and needs nothing from any server once saved.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Iterable, Sequence


@dataclass
class Section:
    """A heading and its label–text lines (an empty label prints the text alone)."""

    title: str
    lines: Sequence[tuple[str, str]]


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
) -> str:
    """The whole page. Every text is escaped; the page loads nothing from anywhere."""
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
    return (
        f'<!DOCTYPE html><html lang="{html.escape(language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body><main>"
        f'<button class="print" type="button" onclick="window.print()">{html.escape(print_label)}</button>'
        f"<h1>{html.escape(title)}</h1><p class=\"intro\">{html.escape(intro)}</p>"
        + "".join(parts)
        + f"</main><footer>{html.escape(footer)}</footer></body></html>"
    )
