"""What every exercise component shares: the right to pass, and its answer as plain data."""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import traitlets

from workshop import exercises

from ._text import t
from .looks import HTML, Button, Checkbox, VBox, show
from .markup import el

_live: list[weakref.ref] = []


@dataclass
class TakeHomeSection:
    """What one exercise puts on the printable take-home: a heading and label–value lines."""

    title: str
    lines: list[tuple[str, str]] = field(default_factory=list)


def live_exercises() -> list[Exercise]:
    """Exercises created in this kernel and not closed, oldest first."""
    alive = [ref() for ref in _live]
    return [ex for ex in alive if ex is not None and ex.comm is not None]


class QuietRepr:
    """Mixin: a widget's plain-text form is a short title, not its class and trait values.

    Voila puts a displayed widget's ``text/plain`` form into the page; the default names
    internal classes and shows current values.
    """

    _plain_text = ""

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        bundle = super()._repr_mimebundle_(**kwargs)  # type: ignore[misc]
        if isinstance(bundle, tuple):  # (data, metadata)
            bundle[0]["text/plain"] = self._plain_text
        elif isinstance(bundle, dict):
            bundle["text/plain"] = self._plain_text
        return bundle

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class Exercise(QuietRepr, VBox):
    """Base of every exercise: a container whose answer lives in traits tagged ``answer=True``.

    The participant sees the exercise and, below it, "I'd rather pass". Passing hides the
    controls and says that passing is fine; "Answer after all" brings them back with nothing
    lost. ``answer`` is the exercise's state as JSON-ready data (kept in the participant's own
    browser for resume); :meth:`restore` applies such data back, dropping whatever fails
    validation. What, if anything, is shared with a group, and how a group's shares are counted,
    is the exercise's rule in :mod:`workshop.exercises` (found under the class's name).
    """

    passed = traitlets.Bool(False).tag(answer=True)
    #: the participant ticked "share anonymously" (remembered with the answer, on their device)
    share = traitlets.Bool(False).tag(answer=True)
    #: set by the participant app when a group session lets this exercise be shared
    share_available = traitlets.Bool(False)

    #: the ui.yaml key of the sentence saying what the group will see
    share_note_key = "share_note_choices"

    def __init__(self, body: list, **kwargs: Any) -> None:
        self._privacy = HTML()
        # only an exercise that can be shared carries the row: a private one would never show it
        self._share_box: Checkbox | None = None
        self._share_row: VBox | None = None
        if self.shareable is not None:
            self._share_box = Checkbox(value=False, description=t("share_label"), indent=False)
            self._share_box.add_class("hs-share")
            self._share_row = VBox([self._share_box, HTML(str(el("p", t(self.share_note_key), cls="hs-hint")))])
            self._share_row.add_class("hs-share-row")
        sharing = [self._share_row] if self._share_row is not None else []
        self._body = VBox([*body, *sharing, self._privacy])
        self._body.add_class("hs-exercise-body")
        self._pass = Button(description=t("pass_button"), tooltip=t("pass_button"))
        self._pass.add_class("hs-pass")
        self._passed_note = HTML(str(el("p", t("passed_note"), cls="hs-note")))
        self._unpass = Button(description=t("unpass_button"), tooltip=t("unpass_button"))
        self._unpass.add_class("hs-secondary")
        super().__init__(**kwargs)
        self.add_class("hs-exercise")
        self._pass.on_click(self._on_pass_click)
        self._unpass.on_click(self._on_unpass_click)
        self.observe(self._on_passed, names="passed")
        if self._share_box is not None:
            self._share_box.observe(self._on_share_box, names="value")
        self.observe(self._on_share, names=["share", "share_available"])
        self._on_passed()
        self._on_share()
        _live.append(weakref.ref(self))

    # ------------------------------------------------------------------ answer as data
    @classmethod
    def answer_names(cls) -> list[str]:
        """The names of the traits that make up the answer."""
        return sorted(cls.class_trait_names(answer=True))

    @property
    def answer(self) -> dict[str, Any]:
        """The answer as JSON-ready data (tuples become lists)."""
        data = {}
        for name in self.answer_names():
            value = getattr(self, name)
            data[name] = list(value) if isinstance(value, tuple) else value
        return data

    def restore(self, data: Mapping[str, Any]) -> list[str]:
        """Apply saved answer data; return the names of entries dropped as invalid."""
        dropped = []
        if not isinstance(data, Mapping):
            return ["(not a mapping)"]
        for name in self.answer_names():
            if name not in data:
                continue
            try:
                setattr(self, name, self._restorable(name, data[name]))
            except (traitlets.TraitError, TypeError, ValueError):
                dropped.append(name)
        return dropped

    def _restorable(self, name: str, value: Any) -> Any:
        """Clean a saved value before it is set (e.g. drop words no longer offered)."""
        return value

    # ------------------------------------------------------------------ sharing
    def _on_share_box(self, change: dict) -> None:
        self.share = change["new"]

    def _on_share(self, _change: Any = None) -> None:
        offered = self.shareable is not None and self.share_available
        if self._share_row is not None and self._share_box is not None:
            show(self._share_row, offered)
            self._share_box.value = self.share
        key = "shared_note" if offered and self.share else "private_note"
        self._privacy.value = str(el("p", t(key), cls="hs-private"))

    #: what sharing offers: ``None`` (never shared), ``"choices"`` or ``"text"``; said for each kind
    #: by its rule in :mod:`workshop.exercises`, found under the class's name
    shareable: str | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.shareable = exercises.rule(cls.__name__).shareable

    def shared_rows(self) -> list[tuple[str, str]]:
        """What goes to the group store: nothing unless sharing is offered, ticked and not passed."""
        return exercises.shared_rows(type(self).__name__, self.answer, self.share_available)

    # ------------------------------------------------------------------ take-home
    def take_home(self) -> TakeHomeSection | None:
        """This exercise's part of the printable take-home, or ``None`` if nothing was answered.

        A participant who passed takes nothing home from the exercise.
        """
        if self.passed:
            return None
        return self._take_home()

    def _take_home(self) -> TakeHomeSection | None:
        return None

    # ------------------------------------------------------------------ pass
    def _on_pass_click(self, _button: Button) -> None:
        self.passed = True

    def _on_unpass_click(self, _button: Button) -> None:
        self.passed = False

    def _on_passed(self, _change: Any = None) -> None:
        if self.passed:
            self.children = [*self._header(), self._passed_note, self._unpass]
        else:
            self.children = [*self._header(), self._body, self._pass]

    def _header(self) -> list:
        """Widgets shown above the body whether or not the participant passed."""
        return []
