"""Asking well: the I-statement builder and the space agreement."""

from __future__ import annotations

from typing import Any

import traitlets

from workshop import content

from ._text import t
from .a11y import SliderNames
from .base import TakeHomeSection
from .fields import SHORT, TextBox, label
from .looks import HTML, Box, Button, SelectionSlider, ToggleButtons, VBox, shared_layout, show
from .markup import Markup, el, join
from .reflect import _Prompted


class IStatement(_Prompted):
    """Build a request without blame: what happened, what I feel, what I need, what I ask (theme 5).

    The four answers are read back as one sentence the participant could say. Private.
    """

    PARTS = ("happened", "feel", "need", "ask")
    happened = traitlets.Unicode("").tag(answer=True)
    feel = traitlets.Unicode("").tag(answer=True)
    need = traitlets.Unicode("").tag(answer=True)
    ask = traitlets.Unicode("").tag(answer=True)

    def __init__(self, prompt: str = "", **kwargs: Any) -> None:
        self._boxes = {
            part: TextBox(t(f"istatement_{part}"), limit=SHORT, placeholder=t(f"istatement_{part}_example"))
            for part in self.PARTS
        }
        self._preview = HTML()
        super().__init__([*self._boxes.values(), self._preview], prompt=prompt, **kwargs)
        self.add_class("hs-istatement")
        for part, box in self._boxes.items():
            box.observe(lambda c, part=part: setattr(self, part, c["new"]), names="value")
        self.observe(self._on_answer, names=list(self.PARTS))
        self._on_answer()

    @traitlets.validate(*PARTS)
    def _valid_part(self, proposal: dict) -> str:
        return self._boxes[proposal["trait"].name]._valid_value(proposal)

    def _on_answer(self, _change: Any = None) -> None:
        for part, box in self._boxes.items():
            box.value = getattr(self, part)
        self._preview.value = str(join(
            el("p", t("istatement_preview"), cls="hs-label"),
            el("blockquote", self.sentence(), cls="hs-said", role="status"),
        ))

    def sentence(self) -> str:
        parts = {part: " ".join(getattr(self, part).split()) or "…" for part in self.PARTS}
        return t("istatement_sentence", **parts)

    def _take_home(self) -> TakeHomeSection | None:
        if not any(getattr(self, part).strip() for part in self.PARTS):
            return None
        return TakeHomeSection(t("istatement_title"), [("", self.sentence())])


class SuggestBox(TextBox):
    """A text box with suggestions beneath it; tapping a suggestion fills the box."""

    def __init__(self, label_text: str, suggestions: tuple[str, ...], limit: int = SHORT, **kwargs: Any):
        super().__init__(label_text, limit=limit, **kwargs)
        buttons = []
        for text in suggestions:
            button = Button(description=text, tooltip=text)
            button.add_class("hs-suggestion")
            button.on_click(lambda _b, text=text: setattr(self, "value", text))
            buttons.append(button)
        row = Box(buttons, layout=shared_layout(flex_flow="row wrap"))
        row.add_class("hs-suggestions")
        self.children = [*self.children, label(t("suggestions_label"), "hs-hint"), row]


def _duration_label(minutes: int) -> str:
    return content.duration_text(minutes, t)


class SpaceAgreement(_Prompted):
    """The participant's own draft of a space agreement, to talk over (theme 6).

    Above the fields, always, the guardrails: the draft is a proposal the partner may change or
    decline; it is never a reason to check on, follow or punish anyone; and if raising it would
    not be safe, keep it to yourself ("Help now"). The participant first chooses what the draft
    is for (``kind``):

    - ``"break"``, a break in a heated moment (after Gottman's agreed breaks): a signal, how long a
      break lasts (the minimum and maximum of ``rituals.yaml``, 20 minutes to 24 hours by default,
      presented as a rule of thumb), how to check in, when and how to come back, a ritual before
      and after, and what they will do while they wait;
    - ``"longer"``, a longer time apart (days or weeks): how often and how to check in, what to
      tell others, when to look at it again, and how they will look after themselves.

    Each field offers ideas from ``rituals.yaml``. Switching kind hides the other kind's fields
    and keeps what was typed in them. The card, :meth:`lines` and the take-home show only the
    chosen kind; the take-home section starts with the guardrails, and an empty draft puts no
    section on the take-home. Private: never shared with the group.
    """

    KINDS = ("break", "longer")
    BREAK_FIELDS = ("signal", "minutes", "check_in", "come_back", "before", "after", "while_waiting")
    LONGER_FIELDS = ("how_often", "longer_check_in", "tell_others", "review", "self_care")
    TEXTS = ("signal", "check_in", "come_back", "before", "after", "while_waiting", *LONGER_FIELDS)
    STEPS = (20, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720, 1440)
    #: saved answers from before there were two kinds have no ``kind``: they restore as a break
    kind = traitlets.Enum(KINDS, default_value="break").tag(answer=True)
    signal = traitlets.Unicode("").tag(answer=True)
    minutes = traitlets.Int(None, allow_none=True).tag(answer=True)
    check_in = traitlets.Unicode("").tag(answer=True)
    come_back = traitlets.Unicode("").tag(answer=True)
    before = traitlets.Unicode("").tag(answer=True)
    after = traitlets.Unicode("").tag(answer=True)
    while_waiting = traitlets.Unicode("").tag(answer=True)
    how_often = traitlets.Unicode("").tag(answer=True)
    longer_check_in = traitlets.Unicode("").tag(answer=True)
    tell_others = traitlets.Unicode("").tag(answer=True)
    review = traitlets.Unicode("").tag(answer=True)
    self_care = traitlets.Unicode("").tag(answer=True)

    def __init__(self, prompt: str = "", **kwargs: Any) -> None:
        ideas = content.rituals()
        self._low, self._high = ideas.min_minutes, ideas.max_minutes
        steps = sorted({m for m in self.STEPS if self._low <= m <= self._high} | {self._low, self._high})
        self._syncing = False
        self._boxes = {
            "signal": SuggestBox(t("agreement_signal"), ideas.signals),
            "check_in": SuggestBox(t("agreement_check_in"), ideas.check_ins),
            "come_back": TextBox(t("agreement_come_back"), limit=SHORT, placeholder=t("agreement_come_back_example")),
            "before": SuggestBox(t("agreement_before"), ideas.before),
            "after": SuggestBox(t("agreement_after"), ideas.after),
            "while_waiting": SuggestBox(t("agreement_while_waiting"), ideas.while_waiting),
            "how_often": SuggestBox(t("agreement_how_often"), ideas.how_often),
            "longer_check_in": SuggestBox(t("agreement_longer_check_in"), ideas.longer_check_ins),
            "tell_others": SuggestBox(t("agreement_tell_others"), ideas.tell_others),
            "review": SuggestBox(t("agreement_review"), ideas.review),
            "self_care": SuggestBox(t("agreement_self_care"), ideas.self_care),
        }
        # always in view, above the fields, so the draft is never mistaken for a rule to enforce
        guards = [t(f"agreement_guard_{part}") for part in ("proposal", "control", "safety")]
        self._guard = HTML(str(el(
            "p", el("strong", t("agreement_guard_title")), el("br"), join(*guards, sep=el("br")),
            cls="hs-notice-info", role="note",
        )))
        self._guard.add_class("hs-notice")
        self._guard.add_class("hs-agreement-guard")
        self._kind = ToggleButtons(
            options=[(t(f"agreement_kind_{k}"), k) for k in self.KINDS],
            value=self.kind,
            tooltips=[t(f"agreement_kind_{k}") for k in self.KINDS],
        )
        self._kind.add_class("hs-kinds")
        self._kind_hint = HTML()
        self._length = SelectionSlider(
            options=[(_duration_label(m), m) for m in steps],
            value=steps[0],
            description=t("agreement_length"),
            continuous_update=False,
        )
        self._length.add_class("hs-stacked")
        length_hint = t("agreement_length_hint", low=_duration_label(self._low), high=_duration_label(self._high))
        self._length_note = HTML(str(el("p", length_hint, cls="hs-hint")))
        # both kinds' fields stay in the page; the one not chosen is hidden, so nothing typed is lost
        self._groups = {
            "break": VBox([
                self._boxes["signal"],
                self._length,
                SliderNames(layout=shared_layout(display="none")),  # names the slider's handle for screen readers
                self._length_note,
                self._boxes["check_in"],
                self._boxes["come_back"],
                self._boxes["before"],
                self._boxes["after"],
                self._boxes["while_waiting"],
            ]),
            "longer": VBox([self._boxes[name] for name in self.LONGER_FIELDS]),
        }
        self._card = HTML()
        body = [label(t("agreement_kind_question")), self._kind, self._kind_hint, *self._groups.values(), self._card]
        super().__init__(body, prompt=prompt, **kwargs)
        self.add_class("hs-agreement")
        for name, box in self._boxes.items():
            box.observe(lambda c, name=name: setattr(self, name, c["new"]), names="value")
        self._length.observe(self._on_length, names="value")
        self._kind.observe(self._on_kind, names="value")
        self.observe(self._on_answer, names=["kind", *self.TEXTS, "minutes"])
        self._on_answer()

    def _header(self) -> list:
        return [*super()._header(), self._guard]

    @traitlets.validate(*TEXTS)
    def _valid_text(self, proposal: dict) -> str:
        return self._boxes[proposal["trait"].name]._valid_value(proposal)

    @traitlets.validate("minutes")
    def _valid_minutes(self, proposal: dict) -> int | None:
        value = proposal["value"]
        if value is None:
            return None
        if isinstance(value, bool) or not self._low <= value <= self._high:
            raise traitlets.TraitError(f"a break lasts {self._low}–{self._high} minutes")
        return value

    def _on_length(self, change: dict) -> None:
        if not self._syncing:
            self.minutes = change["new"]

    def _on_kind(self, change: dict) -> None:
        if not self._syncing and change["new"] is not None:
            self.kind = change["new"]

    def _on_answer(self, _change: Any = None) -> None:
        self._syncing = True
        try:
            self._kind.value = self.kind
            for name, box in self._boxes.items():
                box.value = getattr(self, name)
            if self.minutes is not None and self.minutes in [v for _, v in self._length.options]:
                self._length.value = self.minutes
        finally:
            self._syncing = False
        for kind, group in self._groups.items():
            show(group, kind == self.kind)
        self._kind_hint.value = str(el("p", t(f"agreement_kind_{self.kind}_hint"), cls="hs-hint"))
        self._card.value = str(self.card())

    def lines(self) -> list[tuple[str, str]]:
        """The chosen kind's fields as label–text lines; empty fields are left out."""
        lines = []
        for name in self.BREAK_FIELDS if self.kind == "break" else self.LONGER_FIELDS:
            value = _duration_label(self.minutes) if name == "minutes" and self.minutes else getattr(self, name)
            if isinstance(value, str) and value.strip():
                lines.append((t(f"agreement_{name}_short"), " ".join(value.split())))
        return lines

    def card(self) -> Markup:
        lines = self.lines()
        if not lines:
            return el("p", t("agreement_empty"), cls="hs-hint")
        lines = [(t("agreement_kind_short"), t(f"agreement_kind_{self.kind}")), *lines]
        rows = join(*(join(el("dt", k), el("dd", v)) for k, v in lines))
        return el(
            "div",
            el("p", t("agreement_title"), cls="hs-card-title"),
            el("dl", rows),
            cls="hs-agreement-card", role="region", aria_label=t("agreement_title"),
        )

    def _take_home(self) -> TakeHomeSection | None:
        # an empty draft has nothing to talk over; any filled field brings the guardrails with it
        lines = self.lines()
        if not lines:
            return None
        return TakeHomeSection(
            t("agreement_title"),
            [("", t("agreement_takehome_guard")), (t("agreement_kind_short"), t(f"agreement_kind_{self.kind}")), *lines],
        )
