"""Exercises drawn as pictures: the closeness–autonomy line and the pursue–withdraw loop."""

from __future__ import annotations

from typing import Any

import traitlets

from ._text import t
from .base import TakeHomeSection
from .fields import SHORT, TextBox, label
from .looks import HTML, ToggleButtons
from .markup import Markup, el, join
from .reflect import _Prompted


def _scale_buttons() -> ToggleButtons:
    buttons = ToggleButtons(options=[(str(n), n) for n in range(11)], value=None)
    buttons.add_class("hs-scale")
    return buttons


class ClosenessLine(_Prompted):
    """Where you and your partner sit between closeness and room of one's own (theme 4).

    The participant places "me" and "my partner" on a 0–10 line; the picture shows both dots
    and a sentence says the same in words (for screen readers and for reading), with the
    distance between them in words (close, some way apart, far apart), never as a score. In a group
    session, ticking "share anonymously" shares both places: the group sees only counts.
    """

    me = traitlets.Int(None, allow_none=True).tag(answer=True)
    partner = traitlets.Int(None, allow_none=True).tag(answer=True)
    #: up to this many steps apart the two are "close"; up to SOME_WAY "some way apart"; beyond, "far apart"
    NEAR = 2
    SOME_WAY = 5

    def __init__(self, prompt: str = "", **kwargs: Any) -> None:
        self._me = _scale_buttons()
        self._partner = _scale_buttons()
        ends = HTML(str(el(
            "div", el("span", f"0 · {t('line_left')}"), el("span", f"{t('line_right')} · 10"),
            cls="hs-scale-ends", aria_hidden="true",
        )))
        self._picture = HTML()
        self._picture.add_class("hs-picture")
        body = [label(t("line_me")), self._me, label(t("line_partner")), self._partner, ends, self._picture]
        super().__init__(body, prompt=prompt, **kwargs)
        self.add_class("hs-closeness")
        traitlets.link((self, "me"), (self._me, "value"))
        traitlets.link((self, "partner"), (self._partner, "value"))
        self.observe(self._on_answer, names=["me", "partner"])
        self._on_answer()

    @traitlets.validate("me", "partner")
    def _valid_place(self, proposal: dict) -> int | None:
        value = proposal["value"]
        if value is not None and (isinstance(value, bool) or not 0 <= value <= 10):
            raise traitlets.TraitError("a place on the line is 0–10")
        return value

    def _on_answer(self, _change: Any = None) -> None:
        self._picture.value = str(self.picture())

    def description(self) -> str:
        """The picture in words."""
        if self.me is None and self.partner is None:
            return t("line_empty")
        parts = []
        if self.me is not None:
            parts.append(t("line_me_at", n=self.me))
        if self.partner is not None:
            parts.append(t("line_partner_at", n=self.partner))
        text = " ".join(parts)
        if self.me is not None and self.partner is not None:
            text += " " + t(self.distance_key())
        return text

    def distance_key(self) -> str | None:
        """The ui.yaml key of the words for how far apart the two places are, or ``None``.

        The difference is put in words, never as a number: a number reads as a score of the
        relationship, and the exercise is about understanding a difference, not measuring it.
        """
        if self.me is None or self.partner is None:
            return None
        apart = abs(self.me - self.partner)
        if apart <= self.NEAR:
            return "line_near"
        return "line_apart" if apart <= self.SOME_WAY else "line_far"

    def picture(self) -> Markup:
        """An SVG of the line with a dot for each placed person, and its description."""
        width, left, right, y = 320, 20, 300, 40

        def x(n: int) -> str:
            return f"{left + (right - left) * n / 10:.0f}"

        dots = []
        for value, name, css, dy in ((self.me, t("line_me_short"), "hs-dot-me", -14), (self.partner, t("line_partner_short"), "hs-dot-partner", 28)):
            if value is not None:
                dots.append(el("circle", cls=css, cx=x(value), cy=y, r=9))
                dots.append(el("text", name, x=x(value), y=y + dy, text_anchor="middle", cls="hs-dot-label"))
        svg = el(
            "svg",
            el("line", x1=left, y1=y, x2=right, y2=y, cls="hs-line-axis"),
            *(el("line", x1=x(n), y1=y - 4, x2=x(n), y2=y + 4, cls="hs-line-tick") for n in range(11)),
            *dots,
            viewBox=f"0 0 {width} 80", role="img", aria_label=self.description(), cls="hs-line-svg",
        )
        return join(svg, el("p", self.description(), cls="hs-picture-text", role="status"))

    def _take_home(self) -> TakeHomeSection | None:
        if self.me is None and self.partner is None:
            return None
        return TakeHomeSection(t("line_title"), [("", self.description())])


class LoopMap(_Prompted):
    """The pursue–withdraw loop in four steps: when…, I feel…, I do…, they do… (theme 4).

    The participant fills any of the four boxes; the loop is drawn as a circle of four steps
    and read back as one sentence. Private.
    """

    STEPS = ("when", "feel", "do", "they")
    when = traitlets.Unicode("").tag(answer=True)
    feel = traitlets.Unicode("").tag(answer=True)
    do = traitlets.Unicode("").tag(answer=True)
    they = traitlets.Unicode("").tag(answer=True)

    def __init__(self, prompt: str = "", **kwargs: Any) -> None:
        self._boxes = {step: TextBox(t(f"loop_{step}"), limit=SHORT) for step in self.STEPS}
        self._picture = HTML()
        self._picture.add_class("hs-picture")
        super().__init__([*self._boxes.values(), self._picture], prompt=prompt, **kwargs)
        self.add_class("hs-loop")
        for step, box in self._boxes.items():
            box.observe(lambda c, step=step: setattr(self, step, c["new"]), names="value")
        self.observe(self._on_answer, names=list(self.STEPS))
        self._on_answer()

    @traitlets.validate(*STEPS)
    def _valid_step(self, proposal: dict) -> str:
        return self._boxes[proposal["trait"].name]._valid_value(proposal)

    def _on_answer(self, _change: Any = None) -> None:
        for step, box in self._boxes.items():
            box.value = getattr(self, step)
        self._picture.value = str(self.picture())

    def sentence(self) -> str:
        """The loop read as one sentence, with "…" for an empty step."""
        parts = {step: " ".join(getattr(self, step).split()) or "…" for step in self.STEPS}
        return t("loop_sentence", **parts)

    def picture(self) -> Markup:
        cells = [
            el(
                "div",
                el("span", t(f"loop_{step}_short"), cls="hs-loop-label"),
                " ".join(getattr(self, step).split()) or "…",
                cls=f"hs-loop-step hs-loop-{step}",
            )
            for step in self.STEPS
        ]
        arrow = el("div", "↻", cls="hs-loop-arrow", aria_hidden="true")
        return join(
            el("div", *cells, arrow, cls="hs-loop-picture", role="img", aria_label=self.sentence()),
            el("p", self.sentence(), cls="hs-picture-text", role="status"),
        )

    def _take_home(self) -> TakeHomeSection | None:
        if not any(getattr(self, step).strip() for step in self.STEPS):
            return None
        return TakeHomeSection(t("loop_title"), [("", self.sentence())])
