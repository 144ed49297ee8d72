"""The opening check-in and the closing check-out."""

from __future__ import annotations

import html
import re
from typing import Any

import traitlets
from ipywidgets import HTML, Box, Layout, Text, ToggleButton, ToggleButtons, VBox

from workshop import content

from ._text import t
from .base import Exercise

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class CheckIn(Exercise):
    """Feeling words and a 0–10 intensity, at the start (check-in) or the end (check-out).

    The participant sees the ``prompt``, the feeling words of ``workshop/content/feelings.yaml``
    as buttons to toggle, an optional word of their own, and the numbers 0 to 10 with the kit's
    own anchors from ``intensity.yaml``; a line below says back what they chose. Nothing is
    shared: the answer stays in the participant's kernel and their own browser.

    Parameters
    ----------
    prompt : str
        The question above the words, e.g. "Which words fit how you are arriving today?".
    moment : {"check-in", "check-out"}
        Where in the workshop this is; the closing page compares the two.
    """

    OTHER_LIMIT = 40

    prompt = traitlets.Unicode("")
    moment = traitlets.Enum(("check-in", "check-out"), default_value="check-in")
    feelings = traitlets.Tuple().tag(answer=True)
    other = traitlets.Unicode("").tag(answer=True)
    intensity = traitlets.Int(None, allow_none=True).tag(answer=True)

    def __init__(self, prompt: str = "", moment: str = "check-in", **kwargs: Any) -> None:
        self._syncing = False
        self._words = content.feelings()
        self._scale = content.intensity()
        self._prompt = HTML()
        self._prompt.add_class("hs-prompt")
        self._chips = [ToggleButton(description=word, tooltip=word, value=False) for word in self._words]
        for chip in self._chips:
            chip.add_class("hs-chip")
        chips = Box(self._chips, layout=Layout(flex_flow="row wrap"))
        chips.add_class("hs-chips")
        self._other = Text(
            description=t("checkin_other_label"),
            placeholder=t("checkin_other_placeholder"),
            continuous_update=True,
        )
        self._other.add_class("hs-stacked")
        self._other_note = HTML()
        low, high = self._scale.low, self._scale.high
        self._intensity = ToggleButtons(
            options=[(str(n), n) for n in range(low, high + 1)],
            value=None,
            tooltips=[self._scale.anchor_for(n) or str(n) for n in range(low, high + 1)],
        )
        self._intensity.add_class("hs-scale")
        ends = HTML(
            '<div class="hs-scale-ends" aria-hidden="true">'
            f"<span>{low} · {html.escape(self._scale.min_label)}</span>"
            f"<span>{html.escape(self._scale.max_label)} · {high}</span></div>"
        )
        self._anchor = HTML()
        self._summary = HTML()
        body = [
            HTML(f'<p class="hs-label">{html.escape(t("checkin_feelings_label"))}</p>'),
            chips,
            self._other,
            self._other_note,
            HTML(
                f'<p class="hs-label">{html.escape(self._scale.question)} '
                f'<span class="hs-hint">{html.escape(t("checkin_intensity_hint"))}</span></p>'
            ),
            self._intensity,
            ends,
            self._anchor,
            self._summary,
            HTML(f'<p class="hs-private">{html.escape(t("private_note"))}</p>'),
        ]
        super().__init__(body, prompt=prompt, moment=moment, **kwargs)
        self.add_class("hs-checkin")
        for chip in self._chips:
            chip.observe(self._on_chip, names="value")
        self._other.observe(self._on_other_input, names="value")
        self._intensity.observe(self._on_intensity_input, names="value")
        self.observe(self._on_prompt, names="prompt")
        self.observe(self._on_answer, names=["feelings", "other", "intensity"])
        self._on_prompt()
        self._on_answer()

    def _header(self) -> list:
        return [self._prompt]

    # ------------------------------------------------------------------ validation
    @traitlets.validate("feelings")
    def _valid_feelings(self, proposal: dict) -> tuple[str, ...]:
        chosen = proposal["value"]
        if isinstance(chosen, str) or not all(isinstance(w, str) for w in chosen):
            raise traitlets.TraitError("feelings must be a list of words")
        known = {w.casefold(): w for w in self._words}
        unknown = [w for w in chosen if w.casefold() not in known]
        if unknown:
            raise traitlets.TraitError(f"not in the feelings list: {unknown[:3]}")
        wanted = {known[w.casefold()] for w in chosen}
        return tuple(w for w in self._words if w in wanted)  # list order, no repeats

    @traitlets.validate("intensity")
    def _valid_intensity(self, proposal: dict) -> int | None:
        value = proposal["value"]
        if value is None:
            return None
        if isinstance(value, bool) or not self._scale.low <= value <= self._scale.high:
            raise traitlets.TraitError(f"intensity must be {self._scale.low}–{self._scale.high}")
        return value

    @traitlets.validate("other")
    def _valid_other(self, proposal: dict) -> str:
        return _CONTROL.sub("", proposal["value"])[: self.OTHER_LIMIT]

    def _restorable(self, name: str, value: Any) -> Any:
        if name == "feelings" and isinstance(value, (list, tuple)):
            known = {w.casefold() for w in self._words}
            return [w for w in value if isinstance(w, str) and w.casefold() in known]
        return value

    # ------------------------------------------------------------------ handlers
    def _on_prompt(self, _change: Any = None) -> None:
        self._prompt.value = f'<p class="hs-question">{html.escape(self.prompt)}</p>' if self.prompt else ""

    def _on_chip(self, _change: dict) -> None:
        if self._syncing:  # chips being set from ``feelings``, not tapped
            return
        self.feelings = tuple(chip.description for chip in self._chips if chip.value)

    def _on_other_input(self, change: dict) -> None:
        raw = change["new"]
        self.other = raw
        if len(raw) > self.OTHER_LIMIT:
            self._other_note.value = f'<p class="hs-note">{html.escape(t("checkin_other_too_long", limit=self.OTHER_LIMIT))}</p>'
        if self._other.value != self.other:
            self._other.value = self.other

    def _on_intensity_input(self, change: dict) -> None:
        self.intensity = change["new"]

    def _on_answer(self, _change: Any = None) -> None:
        self._syncing = True
        try:
            for chip in self._chips:
                chip.value = chip.description in self.feelings
        finally:
            self._syncing = False
        if self._other.value != self.other:
            self._other.value = self.other
        self._intensity.value = self.intensity
        anchor = self._scale.anchor_for(self.intensity) if self.intensity is not None else ""
        self._anchor.value = (
            f'<p class="hs-anchor" aria-live="polite"><strong>{self.intensity}</strong> · {html.escape(anchor)}</p>'
            if self.intensity is not None
            else ""
        )
        self._summary.value = f'<p class="hs-summary" role="status">{html.escape(self.summary)}</p>'

    @property
    def summary(self) -> str:
        """One line saying back what the participant chose."""
        words = list(self.feelings)
        own = " ".join(self.other.split())
        if own:
            words.append(own)
        parts = [", ".join(words)] if words else []
        if self.intensity is not None:
            parts.append(f"{self.intensity}/{self._scale.high}")
        if not parts:
            return t("checkin_summary_none")
        return t("checkin_summary", summary=" · ".join(parts))
