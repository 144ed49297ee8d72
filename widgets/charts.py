"""Charts for the facilitator console: SVG bars with their text summary under them."""

from __future__ import annotations

import textwrap

from workshop.aggregate import Chart

from .markup import Markup, el

#: the chart's width in SVG units; it scales with the console's column
WIDTH = 560
#: characters on one line of a label (13-unit type, a little under the width at its widest)
LABEL_CHARS = 62
#: lines a label may take; a longer one ends in "…" (the text summary always has it whole)
LABEL_LINES = 3
LINE, BAR, GAP = 17, 14, 12


def label_lines(label: str) -> list[str]:
    """A bar's label, wrapped to the chart's width: nothing is cut off at its edges."""
    lines = textwrap.wrap(label, LABEL_CHARS, break_long_words=True, break_on_hyphens=False) or [""]
    if len(lines) > LABEL_LINES:
        lines = lines[:LABEL_LINES]
        lines[-1] = lines[-1][: LABEL_CHARS - 1].rstrip() + "…"
    return lines


def bar_chart(chart: Chart) -> Markup:
    """A horizontal bar chart as inline SVG (no script, no external files), plus its summary.

    Each label sits on its own line(s) above its bar, starting at the left edge: labels drawn to
    the left of the bars were cut off at the chart's edge ("trong need to hear that we are…").
    """
    bars = chart.bars
    if not bars:
        return el("p", chart.summary(), cls="hs-chart-summary")
    top = max((count for _, count in bars), default=0) or 1
    bar_w = WIDTH - 48  # room for the count after the longest bar
    parts = []
    y = 4
    for label, count in bars:
        for line in label_lines(label):
            y += LINE
            parts.append(el("text", line, x=0, y=y - 4, cls="hs-chart-label"))
        width = 0 if not count else max(4, bar_w * count / top)
        parts.append(el("rect", x=0, y=y, width=f"{width:.1f}", height=BAR, rx=4, cls="hs-chart-bar"))
        parts.append(el("text", count, x=f"{width + 6:.1f}", y=y + BAR - 2, cls="hs-chart-count"))
        y += BAR + GAP
    svg = el("svg", *parts, viewBox=f"0 0 {WIDTH} {y}", role="img", aria_label=chart.summary(), cls="hs-chart")
    return el(
        "figure",
        el("figcaption", chart.title),
        svg,
        el("p", chart.summary(), cls="hs-chart-summary"),
        cls="hs-figure",
    )
