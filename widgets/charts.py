"""Charts for the facilitator console: SVG bars with their text summary beside them."""

from __future__ import annotations

import html

from workshop.aggregate import Chart


def bar_chart(chart: Chart) -> str:
    """A horizontal bar chart as inline SVG (no script, no external files), plus its summary."""
    bars = chart.bars
    if not bars:
        return f'<p class="hs-chart-summary">{html.escape(chart.summary())}</p>'
    top = max((count for _, count in bars), default=0) or 1
    row, label_w, bar_w = 30, 220, 260
    height = row * len(bars) + 10
    parts = []
    for i, (label, count) in enumerate(bars):
        y = 5 + i * row
        width = 0 if not count else max(4, bar_w * count / top)
        short = label if len(label) <= 34 else label[:33] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 19}" text-anchor="end" class="hs-chart-label">{html.escape(short)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{width:.1f}" height="{row - 10}" rx="4" class="hs-chart-bar"/>'
            f'<text x="{label_w + width + 6:.1f}" y="{y + 19}" class="hs-chart-count">{count}</text>'
        )
    svg = (
        f'<svg viewBox="0 0 {label_w + bar_w + 40} {height}" role="img" aria-label="{html.escape(chart.summary())}" '
        f'class="hs-chart">{"".join(parts)}</svg>'
    )
    return (
        f'<figure class="hs-figure"><figcaption>{html.escape(chart.title)}</figcaption>{svg}'
        f'<p class="hs-chart-summary">{html.escape(chart.summary())}</p></figure>'
    )
