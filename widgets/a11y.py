"""Accessibility help that ipywidgets does not give by itself (an anywidget that shows nothing)."""

from __future__ import annotations

from pathlib import Path

from .looks import AnyWidget


class SliderNames(AnyWidget):
    """Names the handles of the sliders on the page for screen readers.

    ipywidgets' slider handle (``role="slider"``) has no accessible name, and for a selection
    slider its ``aria-valuetext`` is the option's index. Put one of these beside a slider: in the
    browser it gives every slider handle its label as ``aria-label`` and the value shown next
    to it as ``aria-valuetext``, and keeps them current as the slider moves.
    """

    _esm = Path(__file__).with_name("a11y.js").read_text(encoding="utf-8")
