"""The opening check-in and the closing check-out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import traitlets

from workshop import content

from ._text import t
from .base import Exercise, TakeHomeSection
from .fields import Chips, TextBox, clean_text, label
from .looks import HTML, Button, ToggleButtons, VBox
from .markup import el, join


class CheckIn(Exercise):
    """Feeling words and a 0–10 intensity, at the start (check-in) or the end (check-out).

    The participant sees the ``prompt``, the feeling words of ``workshop/content/feelings.yaml``
    as buttons to toggle, an optional word of their own, and the numbers 0 to 10 with the kit's
    own anchors from ``intensity.yaml`` ("how unsettled do you feel right now", the same question
    at the start and the end, so the closing page compares like with like); a line below says
    back what they chose. From ``care_from`` (8) up, a gentle note only they see offers "I need a
    moment", says how to reach the facilitator and, in a live session, holds whatever the app
    puts in :attr:`care_extras` (the anonymous "quiet word" request). The answer stays in the
    participant's kernel and their own browser; in a group session, ticking "share anonymously"
    shares the words and the number (never the own word): the group sees counts.

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
    #: the opening check-in this check-out is compared with (set by the participant app)
    compare_with = traitlets.Instance("widgets.checkin.CheckIn", allow_none=True)
    #: widgets shown in the gentle note at a high rating (set by the participant app)
    care_extras = traitlets.List()
    #: what "I need a moment" in the note does (set by the participant app; hidden without it)
    open_moment: Callable[[], None] | None = None

    def __init__(self, prompt: str = "", moment: str = "check-in", **kwargs: Any) -> None:
        self._words = content.feelings()
        self._scale = content.intensity()
        self._prompt = HTML()
        self._prompt.add_class("hs-prompt")
        self._chips = Chips([(word, word) for word in self._words])
        self._other = TextBox(
            t("checkin_other_label"), limit=self.OTHER_LIMIT, placeholder=t("checkin_other_placeholder")
        )
        low, high = self._scale.low, self._scale.high
        self._intensity = ToggleButtons(
            options=[(str(n), n) for n in range(low, high + 1)],
            value=None,
            tooltips=[self._scale.anchor_for(n) or str(n) for n in range(low, high + 1)],
        )
        self._intensity.add_class("hs-scale")
        ends = HTML(str(el(
            "div", el("span", f"{low} · {self._scale.min_label}"), el("span", f"{self._scale.max_label} · {high}"),
            cls="hs-scale-ends", aria_hidden="true",
        )))
        self._anchor = HTML()
        self._care_note = HTML(str(join(el("p", t("care_note"), cls="hs-care-text"), el("p", t("care_reach"), cls="hs-care-text"))))
        self._moment = Button(description=t("care_moment"), tooltip=t("care_moment"))
        self._moment.add_class("hs-secondary")
        self._moment.on_click(self._on_moment_click)
        self._care = VBox()
        self._care.add_class("hs-care")
        self._summary = HTML()
        self._comparison = HTML()
        body = [
            label(t("checkin_feelings_label")),
            self._chips,
            self._other,
            HTML(str(el("p", self._scale.question, " ", el("span", t("checkin_intensity_hint"), cls="hs-hint"), cls="hs-label"))),
            self._intensity,
            ends,
            self._anchor,
            self._care,
            self._summary,
            self._comparison,
        ]
        super().__init__(body, prompt=prompt, moment=moment, **kwargs)
        self.add_class("hs-checkin")
        # each control and its answer trait mirror each other (a restored answer shows in the control)
        for control, name in ((self._chips, "feelings"), (self._other, "other"), (self._intensity, "intensity")):
            traitlets.link((self, name), (control, "value"))
        self.observe(self._on_prompt, names="prompt")
        self.observe(self._on_answer, names=["feelings", "other", "intensity"])
        self.observe(self._on_compare_with, names="compare_with")
        self.observe(self._show_care, names="care_extras")
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
        return clean_text(proposal["value"], self.OTHER_LIMIT)

    def _restorable(self, name: str, value: Any) -> Any:  # words no longer offered are dropped
        if name == "feelings" and isinstance(value, (list, tuple)):
            known = {w.casefold() for w in self._words}
            return [w for w in value if isinstance(w, str) and w.casefold() in known]
        return value

    # ------------------------------------------------------------------ handlers
    def _on_prompt(self, _change: Any = None) -> None:
        self._prompt.value = str(el("p", self.prompt, cls="hs-question")) if self.prompt else ""

    def _on_answer(self, _change: Any = None) -> None:
        anchor = self._scale.anchor_for(self.intensity) if self.intensity is not None else ""
        self._anchor.value = (
            str(el("p", el("strong", self.intensity), " · ", anchor, cls="hs-anchor", aria_live="polite"))
            if self.intensity is not None
            else ""
        )
        self._summary.value = str(el("p", self.summary, cls="hs-summary", role="status"))
        self._show_care()
        self._show_comparison()

    @property
    def needs_care(self) -> bool:
        """Did the participant rate themselves at or above ``care_from``?"""
        return self.intensity is not None and self.intensity >= self._scale.care_from

    def _show_care(self, _change: Any = None) -> None:
        """The gentle note under a high rating: only this participant sees it; nothing is recorded."""
        if not self.needs_care:
            self._care.children = []
            return
        moment = [self._moment] if self.open_moment is not None else []
        self._care.children = [self._care_note, *moment, *self.care_extras]

    def _on_moment_click(self, _button: Button) -> None:
        if self.open_moment is not None:
            self.open_moment()

    def _on_compare_with(self, change: dict) -> None:
        names = ["feelings", "other", "intensity", "passed"]
        if change["old"] is not None:
            change["old"].unobserve(self._show_comparison, names=names)
        if change["new"] is not None:
            change["new"].observe(self._show_comparison, names=names)
        self._show_comparison()

    def _show_comparison(self, _change: Any = None) -> None:
        self._comparison.value = (
            str(el("p", self.comparison, cls="hs-comparison", role="status")) if self.comparison else ""
        )

    @property
    def comparison(self) -> str:
        """For a check-out: the check-in's words and number next to these, or ``""``."""
        start = self.compare_with
        if self.moment != "check-out" or start is None or start.passed:
            return ""
        if start.intensity is None and not start.feelings and not start.other.strip():
            return ""
        parts = []
        if start.intensity is not None or self.intensity is not None:  # the same question, both times
            rated = lambda ex: f"{ex.intensity}/{ex._scale.high}" if ex.intensity is not None else t("checkout_not_yet")  # noqa: E731
            parts.append(t("checkout_rating_comparison", question=self._scale.question, start=rated(start), now=rated(self)))
        if start.words() or self.words():
            parts.append(t("checkout_words_comparison", start=start.words() or t("checkout_not_yet"),
                           now=self.words() or t("checkout_not_yet")))
        return " ".join(parts)

    def words(self) -> str:
        """The chosen feeling words and the participant's own word, or ``""``."""
        words = list(self.feelings)
        own = " ".join(self.other.split())
        if own:
            words.append(own)
        return ", ".join(words)

    def said(self) -> str:
        """The chosen words and number in one short phrase, or ``""``."""
        words = self.words()
        parts = [words] if words else []
        if self.intensity is not None:
            parts.append(f"{self.intensity}/{self._scale.high}")
        return " · ".join(parts)

    def _take_home(self) -> TakeHomeSection | None:
        said = self.said()
        if not said:
            return None
        title = t("checkout_title") if self.moment == "check-out" else t("checkin_title")
        lines = [(t("takehome_felt"), said)]
        if self.comparison:
            lines.append((t("takehome_compared"), self.comparison))
        return TakeHomeSection(title, lines)

    @property
    def summary(self) -> str:
        """One line saying back what the participant chose."""
        said = self.said()
        return t("checkin_summary", summary=said) if said else t("checkin_summary_none")
