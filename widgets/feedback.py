"""The anonymous feedback at the end of the workshop."""

from __future__ import annotations

from typing import Any

import traitlets

from workshop import content
from workshop.exercises import FEEDBACK_WORD_LIMIT, RECOMMEND

from ._text import t
from .base import TakeHomeSection
from .fields import Chips, TextBox, clean_text, label
from .looks import HTML, Checkbox, ToggleButtons, show
from .markup import el
from .reflect import _Prompted


class Feedback(_Prompted):
    """Anonymous feedback on the workshop, in the kit's own words (closing).

    The participant sees four questions, each optional: "What helped today?" and "What would you
    change?" as buttons to toggle (any number, from ``workshop/content/feedback.yaml``), "Would you
    suggest this workshop to someone in a similar place?" (yes, maybe or no), and one word to take
    with them (at most 40 characters, cleaned as every text field is). "I'd rather pass" passes the
    whole of it. The answers stay in the participant's kernel and their own browser and go on their
    take-home. In a group session, ticking "share anonymously" shares the choices (the facilitator
    sees only counts, once enough people have shared); the one word is free text and is shared
    only if the participant also ticks its own box, "Also share my one word", shown under the
    first once it is ticked. Unticking "share anonymously" unticks the word's box too.
    """

    WORD_LIMIT = FEEDBACK_WORD_LIMIT

    helped = traitlets.Tuple().tag(answer=True)
    change = traitlets.Tuple().tag(answer=True)
    recommend = traitlets.Enum(RECOMMEND, default_value=None, allow_none=True).tag(answer=True)
    word = traitlets.Unicode("").tag(answer=True)
    #: the participant's own tick for sharing the word, needed on top of "share anonymously"
    share_word = traitlets.Bool(False).tag(answer=True)

    share_note_key = "share_note_feedback"

    def __init__(self, prompt: str = "", **kwargs: Any) -> None:
        lists = content.feedback()
        self._helped = Chips([(item.text, item.id) for item in lists.helped])
        self._change = Chips([(item.text, item.id) for item in lists.change])
        self._recommend = ToggleButtons(
            options=[(t(f"feedback_recommend_{key}"), key) for key in RECOMMEND],
            value=None,
            tooltips=[t(f"feedback_recommend_{key}") for key in RECOMMEND],
        )
        self._recommend.add_class("hs-likert")  # label buttons that wrap on a phone
        self._word = TextBox(t("feedback_word_label"), limit=self.WORD_LIMIT, placeholder=t("feedback_word_placeholder"))
        # shown inside the share row, under "share anonymously", once that is ticked
        self._word_box = Checkbox(value=False, description=t("feedback_share_word"), indent=False)
        self._word_box.add_class("hs-share")
        self._summary = HTML()
        self._ready = False
        body = [
            label(t("feedback_helped_label")),
            self._helped,
            label(t("feedback_change_label")),
            self._change,
            label(t("feedback_recommend_label")),
            self._recommend,
            self._word,
            self._summary,
        ]
        super().__init__(body, prompt=prompt, **kwargs)
        self.add_class("hs-feedback-form")
        if self._share_row is not None:
            self._share_row.children = [*self._share_row.children, self._word_box]
        # each control and its answer trait mirror each other (a restored answer shows in the control)
        for control, name in ((self._helped, "helped"), (self._change, "change"), (self._recommend, "recommend"), (self._word, "word")):
            traitlets.link((self, name), (control, "value"))
        self._word_box.observe(self._on_word_box, names="value")
        self.observe(self._on_share_word, names="share_word")
        self.observe(self._on_answer, names=["helped", "change", "recommend", "word"])
        self._ready = True
        self._on_answer()
        self._on_share()

    # ------------------------------------------------------------------ validation
    @traitlets.validate("helped")
    def _valid_helped(self, proposal: dict) -> tuple[str, ...]:
        return self._helped._valid_value(proposal)

    @traitlets.validate("change")
    def _valid_change(self, proposal: dict) -> tuple[str, ...]:
        return self._change._valid_value(proposal)

    @traitlets.validate("share_word")
    def _valid_share_word(self, proposal: dict) -> bool:
        return bool(proposal["value"]) and self.share  # only on top of "share anonymously"

    @traitlets.validate("word")
    def _valid_word(self, proposal: dict) -> str:
        return clean_text(proposal["value"], self.WORD_LIMIT)

    def _restorable(self, name: str, value: Any) -> Any:  # answers no longer offered are dropped
        chips = {"helped": self._helped, "change": self._change}.get(name)
        if chips is not None and isinstance(value, (list, tuple)):
            return [key for key in value if isinstance(key, str) and key in chips.option_keys]
        return value

    # ------------------------------------------------------------------ sharing
    def _on_share(self, _change: Any = None) -> None:
        super()._on_share(_change)
        if not self._ready:  # the base class's first call, before this exercise is built
            return
        if not self.share:
            self.share_word = False  # the word's own tick never outlives "share anonymously"
        self._word_box.value = self.share_word
        show(self._word_box, self.shareable is not None and self.share_available and self.share)

    def _on_word_box(self, change: dict) -> None:
        self.share_word = change["new"]
        self._word_box.value = self.share_word  # a tick refused (no "share anonymously") is undone

    def _on_share_word(self, change: dict) -> None:
        self._word_box.value = change["new"]

    # ------------------------------------------------------------------ handlers
    def _on_answer(self, _change: Any = None) -> None:
        answered = bool(self.helped or self.change or self.recommend or self.word.strip())
        self._summary.value = str(el("p", t("feedback_summary"), cls="hs-summary", role="status")) if answered else ""

    def said(self) -> list[tuple[str, str]]:
        """What the participant answered, as (take-home label, text) lines, in question order."""
        lines = []
        for name, chips in (("helped", self._helped), ("change", self._change)):
            chosen = getattr(self, name)
            if chosen:
                lines.append((t(f"feedback_takehome_{name}"), "; ".join(chips.label_of(key) for key in chosen)))
        if self.recommend is not None:
            lines.append((t("feedback_takehome_recommend"), t(f"feedback_recommend_{self.recommend}")))
        word = " ".join(self.word.split())
        if word:
            lines.append((t("feedback_takehome_word"), word))
        return lines

    def _take_home(self) -> TakeHomeSection | None:
        lines = self.said()
        return TakeHomeSection(t("feedback_title"), lines) if lines else None
