"""Telling healthy space from stonewalling, the silent treatment and coercive control."""

from __future__ import annotations

from typing import Any

import traitlets

from workshop import content

from ._text import t
from .base import TakeHomeSection
from .looks import HTML, ToggleButtons, VBox
from .markup import Markup, el
from .reflect import _Prompted


class SpaceOrNot(_Prompted):
    """Short scenarios; the participant says which kind of distance each one shows (theme 3).

    After each choice they see at once whether it fits, why, and what that kind of distance is.
    Whenever coercive control is the answer or the choice, a line points to "Help now". Nothing
    is shared; the choices stay on the device.
    """

    answers = traitlets.Dict().tag(answer=True)

    def __init__(self, prompt: str = "", **kwargs: Any) -> None:
        self._kinds, self._scenarios = content.scenarios()
        self._syncing = False
        self._rows: dict[str, tuple[ToggleButtons, HTML]] = {}
        rows = []
        for n, scenario in enumerate(self._scenarios, 1):
            buttons = ToggleButtons(
                options=[(kind.label, key) for key, kind in self._kinds.items()],
                value=None,
            )
            buttons.add_class("hs-kinds")
            feedback = HTML()
            buttons.observe(self._on_button, names="value")
            self._rows[scenario.id] = (buttons, feedback)
            row = VBox(
                [
                    HTML(str(el("p", el("span", f"{n}.", cls="hs-scenario-n"), " ", scenario.text, cls="hs-scenario"))),
                    buttons,
                    feedback,
                ]
            )
            row.add_class("hs-scenario-row")
            rows.append(row)
        self._score = HTML()
        super().__init__([*rows, self._score], prompt=prompt, **kwargs)
        self.add_class("hs-space-or-not")
        self.observe(self._on_answer, names="answers")
        self._on_answer()

    @traitlets.validate("answers")
    def _valid_answers(self, proposal: dict) -> dict[str, str]:
        for key, kind in proposal["value"].items():
            if key not in self._rows:
                raise traitlets.TraitError(f"not a scenario: {key!r}")
            if kind not in self._kinds:
                raise traitlets.TraitError(f"not a kind of distance: {kind!r}")
        return dict(proposal["value"])

    def _restorable(self, name: str, value: Any) -> Any:
        if name == "answers" and isinstance(value, dict):
            return {k: v for k, v in value.items() if k in self._rows and v in self._kinds}
        return value

    def _on_button(self, _change: dict) -> None:
        if not self._syncing:
            self.answers = {key: b.value for key, (b, _) in self._rows.items() if b.value is not None}

    def _on_answer(self, _change: Any = None) -> None:
        self._syncing = True
        try:
            for scenario in self._scenarios:
                buttons, feedback = self._rows[scenario.id]
                choice = self.answers.get(scenario.id)
                buttons.value = choice
                feedback.value = str(self._feedback(scenario, choice))
        finally:
            self._syncing = False
        done = len(self.answers)
        score = t("scenarios_score", matched=self.matched, done=done, total=len(self._scenarios))
        self._score.value = str(el("p", score, cls="hs-summary", role="status")) if done else ""

    @property
    def matched(self) -> int:
        """How many choices match the kit's reading of the scenario."""
        return sum(1 for s in self._scenarios if self.answers.get(s.id) == s.answer)

    def _feedback(self, scenario: content.Scenario, choice: str | None) -> Markup | str:
        if choice is None:
            return ""
        answer = self._kinds[scenario.answer]
        if choice == scenario.answer:
            head = t("scenarios_fits", kind=answer.label)
            css = "hs-feedback hs-feedback-fit"
        else:
            head = t("scenarios_closer", kind=answer.label)
            css = "hs-feedback hs-feedback-closer"
        parts = [el("strong", head), " ", scenario.feedback, el("br"), el("span", answer.explain, cls="hs-kind-explain")]
        if "control" in (choice, scenario.answer):
            parts += [el("br"), el("span", t("scenarios_help"), cls="hs-help-pointer")]
        return el("p", *parts, cls=css, role="status")

    def _take_home(self) -> TakeHomeSection | None:
        if not self.answers:
            return None
        lines = [(kind.label, kind.explain) for kind in self._kinds.values()]
        return TakeHomeSection(t("scenarios_title"), lines)
