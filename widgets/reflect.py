"""Exercises for noticing and reflecting: what the request stirs up, beliefs about love,
private writing, and reframing a worry thought."""

from __future__ import annotations

from typing import Any

import traitlets

from workshop import content

from ._text import t
from .base import Exercise, TakeHomeSection
from .fields import LONG, SHORT, Chips, TextBox, label
from .looks import HTML, Dropdown, ToggleButtons, VBox
from .markup import el
from .pages import close_tree


class _Prompted(Exercise):
    """An exercise with a question at the top (``prompt``), shown even after passing."""

    prompt = traitlets.Unicode("")

    def __init__(self, body: list, prompt: str = "", **kwargs: Any) -> None:
        self._prompt = HTML()
        self._prompt.add_class("hs-prompt")
        super().__init__(body, prompt=prompt, **kwargs)
        self.observe(self._on_prompt, names="prompt")
        self._on_prompt()

    def _header(self) -> list:
        return [self._prompt]

    def _on_prompt(self, _change: Any = None) -> None:
        self._prompt.value = str(el("p", self.prompt, cls="hs-question")) if self.prompt else ""


class StirsUp(_Prompted):
    """What a partner's request for space stirs up (theme 1).

    The participant sees the feelings and fears of ``workshop/content/stirs_up.yaml`` as buttons
    to toggle, and a line for something of their own. In a group session, ticking "share
    anonymously" shares the chosen items (never the own line): the group sees only counts.
    """

    chosen = traitlets.Tuple().tag(answer=True)
    own = traitlets.Unicode("").tag(answer=True)

    def __init__(self, prompt: str = "", **kwargs: Any) -> None:
        self._items = content.stirs_up()
        self._chips = Chips([(item.text, item.id) for item in self._items])
        self._own = TextBox(t("stirs_own_label"), limit=SHORT)
        self._summary = HTML()
        super().__init__([label(t("choose_any")), self._chips, self._own, self._summary], prompt=prompt, **kwargs)
        self.add_class("hs-stirs-up")
        self._chips.observe(lambda c: setattr(self, "chosen", c["new"]), names="value")
        self._own.observe(lambda c: setattr(self, "own", c["new"]), names="value")
        self.observe(self._on_answer, names=["chosen", "own"])
        self._on_answer()

    @traitlets.validate("chosen")
    def _valid_chosen(self, proposal: dict) -> tuple[str, ...]:
        return self._chips._valid_value(proposal)

    @traitlets.validate("own")
    def _valid_own(self, proposal: dict) -> str:
        return self._own._valid_value(proposal)

    def _restorable(self, name: str, value: Any) -> Any:
        if name == "chosen" and isinstance(value, (list, tuple)):
            return [key for key in value if key in self._chips.option_keys]
        return value

    def _on_answer(self, _change: Any = None) -> None:
        self._chips.value = self.chosen
        self._own.value = self.own
        count = len(self.chosen) + (1 if self.own.strip() else 0)
        self._summary.value = (
            str(el("p", t("stirs_summary", count=count), cls="hs-summary", role="status")) if count else ""
        )

    def texts(self) -> list[str]:
        """The chosen items as the participant read them, then their own line."""
        out = [self._chips.label_of(key) for key in self.chosen]
        return out + ([self.own.strip()] if self.own.strip() else [])

    def _take_home(self) -> TakeHomeSection | None:
        texts = self.texts()
        return TakeHomeSection(t("stirs_title"), [("", text) for text in texts]) if texts else None


class BeliefRatings(_Prompted):
    """How true common beliefs about love and togetherness feel (theme 2).

    The participant rates each belief of ``beliefs.yaml`` on the file's five-step scale; after
    rating one, a gentler way to hold it appears beneath. In a group session, ticking "share
    anonymously" shares the ratings: the group sees how many rated each belief highly.
    """

    ratings = traitlets.Dict().tag(answer=True)

    def __init__(self, prompt: str = "", **kwargs: Any) -> None:
        self._scale, self._beliefs = content.beliefs()
        self._syncing = False
        self._rows: dict[str, tuple[ToggleButtons, HTML]] = {}
        rows = []
        for belief in self._beliefs:
            buttons = ToggleButtons(options=[(text, n) for n, text in enumerate(self._scale)], value=None)
            buttons.add_class("hs-likert")
            reflection = HTML()
            self._rows[belief.id] = (buttons, reflection)
            buttons.observe(self._on_button, names="value")
            row = VBox([HTML(str(el("p", belief.text, cls="hs-belief"))), buttons, reflection])
            row.add_class("hs-belief-row")
            rows.append(row)
        super().__init__(rows, prompt=prompt, **kwargs)
        self.add_class("hs-beliefs")
        self.observe(self._on_answer, names="ratings")
        self._on_answer()

    @traitlets.validate("ratings")
    def _valid_ratings(self, proposal: dict) -> dict[str, int]:
        value = proposal["value"]
        for key, rating in value.items():
            if key not in self._rows:
                raise traitlets.TraitError(f"not a belief: {key!r}")
            if isinstance(rating, bool) or not isinstance(rating, int) or not 0 <= rating < len(self._scale):
                raise traitlets.TraitError(f"a rating must be 0–{len(self._scale) - 1}")
        return dict(value)

    def _restorable(self, name: str, value: Any) -> Any:
        if name == "ratings" and isinstance(value, dict):
            return {k: v for k, v in value.items() if k in self._rows}
        return value

    def _on_button(self, _change: dict) -> None:
        if not self._syncing:
            self.ratings = {key: b.value for key, (b, _) in self._rows.items() if b.value is not None}

    def _on_answer(self, _change: Any = None) -> None:
        self._syncing = True
        try:
            for belief in self._beliefs:
                buttons, reflection = self._rows[belief.id]
                rating = self.ratings.get(belief.id)
                buttons.value = rating
                reflection.value = (
                    str(el("p", belief.reflection, cls="hs-reflection")) if rating is not None else ""
                )
        finally:
            self._syncing = False

    def _take_home(self) -> TakeHomeSection | None:
        lines = [
            (belief.text, self._scale[self.ratings[belief.id]])
            for belief in self._beliefs
            if belief.id in self.ratings
        ]
        return TakeHomeSection(t("beliefs_title"), lines) if lines else None


class PrivateText(_Prompted):
    """A private piece of writing; subclasses name it. Never shared with anyone."""

    text = traitlets.Unicode("").tag(answer=True)
    label_key = "write_label"
    title_key = "write_title"

    def __init__(self, prompt: str = "", **kwargs: Any) -> None:
        self._box = TextBox(t(self.label_key), limit=LONG, multiline=True)
        super().__init__([self._box, *self._more_body()], prompt=prompt, **kwargs)
        self.add_class("hs-writing")
        self._box.observe(lambda c: setattr(self, "text", c["new"]), names="value")
        self.observe(lambda c: setattr(self._box, "value", c["new"]), names="text")

    @traitlets.validate("text")
    def _valid_text(self, proposal: dict) -> str:
        return self._box._valid_value(proposal)

    def _more_body(self) -> list:
        """Widgets a subclass shows below the main box (none here)."""
        return []

    def _take_home(self) -> TakeHomeSection | None:
        return TakeHomeSection(t(self.title_key), [("", self.text.strip())]) if self.text.strip() else None


class StoryITellMyself(PrivateText):
    """"The story I tell myself" when a partner asks for space (theme 2). Private.

    The participant writes the story their mind tells them, then, in a second box, an answer to
    "what else could be true?": the exercise teaches by asking for another reading, not only the
    first one. Both answers are private and go on the take-home, the second under its own label.
    """

    label_key = "story_label"
    title_key = "story_title"
    what_else = traitlets.Unicode("").tag(answer=True)

    def __init__(self, prompt: str = "", **kwargs: Any) -> None:
        self._else = TextBox(t("story_else_label"), limit=LONG, multiline=True)
        self._else.add_class("hs-story-else")
        super().__init__(prompt=prompt, **kwargs)
        self._else.observe(lambda c: setattr(self, "what_else", c["new"]), names="value")
        self.observe(lambda c: setattr(self._else, "value", c["new"]), names="what_else")

    def _more_body(self) -> list:
        return [label(t("story_else_hint"), "hs-hint"), self._else]

    @traitlets.validate("what_else")
    def _valid_what_else(self, proposal: dict) -> str:
        return self._else._valid_value(proposal)

    def _take_home(self) -> TakeHomeSection | None:
        lines = [("", self.text.strip())] if self.text.strip() else []
        if self.what_else.strip():
            lines.append((t("story_else_label"), self.what_else.strip()))
        return TakeHomeSection(t(self.title_key), lines) if lines else None


class PartnerNote(PrivateText):
    """A note written from the partner's side (theme 5). Private."""

    label_key = "partner_note_label"
    title_key = "partner_note_title"


class Takeaway(PrivateText):
    """One thing to take away from the workshop (closing).

    Private unless the participant ticks "share anonymously" in a group session; then the words
    are shown to the group without a name, once enough people have shared.
    """

    label_key = "takeaway_label"
    title_key = "takeaway_title"
    share_note_key = "share_note_text"


class Reframe(_Prompted):
    """Reframe a worry thought (theme 3).

    The participant picks a worry from ``reframes.yaml``, sees kinder, realistic readings of it
    and marks any that fit, then writes their own. Private unless, in a group session, they tick
    "share anonymously": then only their own kinder reading is shown to the group, without a name.
    """

    worry = traitlets.Unicode("").tag(answer=True)
    readings = traitlets.Tuple().tag(answer=True)
    own = traitlets.Unicode("").tag(answer=True)
    share_note_key = "share_note_reframe"

    def __init__(self, prompt: str = "", **kwargs: Any) -> None:
        self._worries = {w.id: w for w in content.reframes()}
        self._syncing = False
        self._pick = Dropdown(
            options=[(t("reframe_pick"), "")] + [(w.thought, key) for key, w in self._worries.items()],
            value="",
            description=t("reframe_worry_label"),
        )
        self._pick.add_class("hs-stacked")
        self._readings_box = VBox()
        self._chips: Chips | None = None
        self._own = TextBox(t("reframe_own_label"), limit=SHORT * 3, multiline=True)
        super().__init__([self._pick, self._readings_box, self._own], prompt=prompt, **kwargs)
        self.add_class("hs-reframe")
        self._pick.observe(self._on_pick, names="value")
        self._own.observe(lambda c: setattr(self, "own", c["new"]), names="value")
        self.observe(self._on_answer, names=["worry", "readings", "own"])
        self._on_answer()

    @traitlets.validate("worry")
    def _valid_worry(self, proposal: dict) -> str:
        if proposal["value"] and proposal["value"] not in self._worries:
            raise traitlets.TraitError("not one of the worries")
        return proposal["value"]

    @traitlets.validate("readings")
    def _valid_readings(self, proposal: dict) -> tuple[int, ...]:
        value = proposal["value"]
        offered = len(self._worries[self.worry].readings) if self.worry else 0
        if isinstance(value, str) or not all(isinstance(n, int) and not isinstance(n, bool) for n in value):
            raise traitlets.TraitError("readings are numbers")
        if any(not 0 <= n < offered for n in value):
            raise traitlets.TraitError("not one of the readings offered")
        return tuple(sorted(set(value)))

    @traitlets.validate("own")
    def _valid_own(self, proposal: dict) -> str:
        return self._own._valid_value(proposal)

    def restore(self, data: Any) -> list[str]:
        # the worry must be in place before the readings that belong to it
        if isinstance(data, dict) and "worry" in data:
            dropped = super().restore({"worry": data["worry"]})
            return dropped + super().restore({k: v for k, v in data.items() if k != "worry"})
        return super().restore(data)

    def _on_pick(self, change: dict) -> None:
        if not self._syncing:
            self.readings = ()
            self.worry = change["new"]

    def _on_chips(self, change: dict) -> None:
        if not self._syncing:
            self.readings = tuple(int(key) for key in change["new"])

    def _on_answer(self, change: Any = None) -> None:
        self._syncing = True
        try:
            self._pick.value = self.worry
            if change is None or change["name"] == "worry":
                self._build_readings()
            if self._chips is not None:
                self._chips.value = tuple(str(n) for n in self.readings)
            self._own.value = self.own
        finally:
            self._syncing = False

    def _build_readings(self) -> None:
        if self._chips is not None:
            close_tree(self._chips)  # its buttons too, not only the box
            self._chips = None
        if not self.worry:
            self._readings_box.children = []
            return
        readings = self._worries[self.worry].readings
        self._chips = Chips([(text, str(n)) for n, text in enumerate(readings)])
        self._chips.add_class("hs-readings")
        self._chips.observe(self._on_chips, names="value")
        self._readings_box.children = [label(t("reframe_readings_label")), self._chips]

    def _take_home(self) -> TakeHomeSection | None:
        if not self.worry:
            return None
        worry = self._worries[self.worry]
        lines = [(t("reframe_worry_label"), worry.thought)]
        lines += [(t("reframe_reading"), worry.readings[n]) for n in self.readings]
        if self.own.strip():
            lines.append((t("reframe_own_label"), self.own.strip()))
        return TakeHomeSection(t("reframe_title"), lines)
