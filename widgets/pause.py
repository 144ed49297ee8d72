"""Guided pauses with a visible timer: self-compassion and paced breathing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import traitlets

from workshop import content

from ._text import t
from .base import Exercise, TakeHomeSection
from .looks import HTML, AnyWidget
from .markup import el, join


class PauseTimer(AnyWidget):
    """The browser side of a pause: shows each step's words with a countdown, and a Start/Stop
    button. It counts in the browser; it tells the kernel only when a pause was completed."""

    _esm = Path(__file__).with_name("pause.js").read_text(encoding="utf-8")
    steps = traitlets.List().tag(sync=True)
    start_label = traitlets.Unicode().tag(sync=True)
    stop_label = traitlets.Unicode().tag(sync=True)
    again_label = traitlets.Unicode().tag(sync=True)
    ready_text = traitlets.Unicode().tag(sync=True)
    done_text = traitlets.Unicode().tag(sync=True)
    completed = traitlets.Int(0).tag(sync=True)

    @traitlets.validate("completed")
    def _valid_completed(self, proposal: dict) -> int:
        value = proposal["value"]
        return max(0, min(int(value), 1000)) if isinstance(value, int) and not isinstance(value, bool) else 0


class Pause(Exercise):
    """A guided pause the participant can start, stop and repeat.

    ``kind="self-compassion"`` walks through the steps of ``pauses.yaml`` (after Kristin Neff);
    ``kind="breathing"`` paces the breath, in for four and out for six by default. A visible
    countdown shows each step; "Stop" ends it at once. Nothing is recorded but that a pause was
    completed, and nothing is shared.
    """

    kind = traitlets.Enum(("self-compassion", "breathing"), default_value="breathing")
    completed = traitlets.Int(0).tag(answer=True)

    def __init__(self, kind: str = "breathing", **kwargs: Any) -> None:
        pauses = content.pauses().by_kind()
        if kind not in pauses:
            raise traitlets.TraitError(f"kind must be one of {', '.join(pauses)}")
        spec = pauses[kind]
        if isinstance(spec, content.BreathingPause):
            steps = []
            for _ in range(spec.rounds):
                steps.append({"seconds": spec.in_seconds, "text": t("breathe_in"), "breath": "in"})
                steps.append({"seconds": spec.out_seconds, "text": t("breathe_out"), "breath": "out"})
            intro = spec.intro
        else:
            steps = [{"seconds": step.seconds, "text": step.text, "breath": ""} for step in spec.steps]
            intro = spec.credit
        self._spec = spec
        self._timer = PauseTimer(
            steps=steps,
            start_label=t("pause_start"),
            stop_label=t("pause_stop"),
            again_label=t("pause_again"),
            ready_text=t("pause_ready"),
            done_text=t("pause_done"),
        )
        minutes = max(1, round(sum(s["seconds"] for s in steps) / 60))
        heading = HTML(str(join(
            el("p", spec.title, cls="hs-question"),
            el("p", intro, cls="hs-hint"),
            el("p", t("pause_length", minutes=minutes), cls="hs-hint"),
        )))
        self._heading = heading
        super().__init__([self._timer], kind=kind, **kwargs)
        self.add_class("hs-pause")
        self._timer.observe(lambda c: setattr(self, "completed", c["new"]), names="completed")

    def _header(self) -> list:
        return [self._heading]

    @traitlets.validate("completed")
    def _valid_completed(self, proposal: dict) -> int:
        value = proposal["value"]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise traitlets.TraitError("completed counts pauses")
        return min(value, 1000)

    @property
    def steps(self) -> list[dict]:
        """The steps the timer walks through: seconds, words, and in/out for breathing."""
        return list(self._timer.steps)

    def _take_home(self) -> TakeHomeSection | None:
        if not self.completed:
            return None
        return TakeHomeSection(t("pause_title"), [(self._spec.title, t("pause_take_home"))])
