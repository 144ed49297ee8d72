"""Form pieces the exercises share: a bounded text box and a set of choice chips."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import traitlets

from ._text import t
from .looks import HTML, Box, Text, Textarea, ToggleButton, VBox, shared_layout
from .markup import el

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BLOCK = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # keeps line breaks

SHORT = 120
LONG = 2000


def clean_text(value: str, limit: int, multiline: bool = False) -> str:
    """Drop control characters (line breaks stay in multi-line text) and unpaired UTF-16
    surrogates (a browser can send one; no database can store it), and cut to ``limit``."""
    pattern = _CONTROL_BLOCK if multiline else _CONTROL_LINE
    value = value.encode("utf-8", "ignore").decode("utf-8")
    return pattern.sub("", value.replace("\r\n", "\n"))[:limit]


def replace_broken(value: str) -> tuple[str, int]:
    """``value`` with each unpaired UTF-16 surrogate (half a character) replaced by U+FFFD, and how many.

    JSON from a browser can carry one (pasted text cut in the middle of an emoji, or a page that
    sends it on purpose); Python keeps it in a ``str``, but no message holding it can be sent
    back, so ipywidgets' echo of the value failed and the field stopped working.
    """
    return _LONE_SURROGATE.subn("\ufffd", value)


class _CleanEntry(traitlets.HasTraits):
    """Mixin for ipywidgets' text inputs: text from the browser is cleaned where it enters the kernel.

    ``set_state`` is where ipywidgets applies what the browser sent, and echoes it back at once;
    a broken character is replaced there, before the echo, so the echo (and the field in the
    browser) carry the replacement. ``replaced`` counts the characters replaced.
    """

    replaced = traitlets.Int(0)

    def set_state(self, sync_data: dict) -> None:
        cleaned, count = {}, 0
        for name, value in sync_data.items():
            if isinstance(value, str):
                value, n = replace_broken(value)
                count += n
            cleaned[name] = value
        super().set_state(cleaned)  # type: ignore[misc]
        if count:
            self.replaced += count


class CleanText(_CleanEntry, Text):
    """A one-line text input whose browser-sent text is cleaned on arrival."""


class CleanTextarea(_CleanEntry, Textarea):
    """A multi-line text input whose browser-sent text is cleaned on arrival."""


def label(text: str, css: str = "hs-label") -> HTML:
    """A short escaped line of text above a control."""
    return HTML(str(el("p", text, cls=css)))


class TextBox(VBox):
    """A labelled text field whose ``value`` is bounded text.

    The participant sees the label above the field. Text longer than ``limit`` is cut, with a
    note saying so; control characters are removed.
    """

    value = traitlets.Unicode("")

    def __init__(self, label: str, limit: int = SHORT, multiline: bool = False, placeholder: str = "", **kwargs: Any):
        self._limit = limit
        self._multiline = multiline
        if multiline:
            self._input = CleanTextarea(description=label, placeholder=placeholder, rows=4, continuous_update=True)
        else:
            self._input = CleanText(description=label, placeholder=placeholder, continuous_update=True)
        self._input.add_class("hs-stacked")
        self._note = HTML()
        super().__init__([self._input, self._note], **kwargs)
        self.add_class("hs-textbox")
        self._input.observe(self._on_input, names="value")
        self._input.observe(self._on_replaced, names="replaced")
        self.observe(self._on_value, names="value")

    @traitlets.validate("value")
    def _valid_value(self, proposal: dict) -> str:
        return clean_text(proposal["value"], self._limit, self._multiline)

    def _on_input(self, change: dict) -> None:
        raw = change["new"]
        self.value = raw
        if len(raw) > self._limit:
            self._note.value = str(el("p", t("text_too_long", limit=self._limit), cls="hs-note", role="status"))
        if self._input.value != self.value:
            self._input.value = self.value

    def _on_replaced(self, _change: dict) -> None:
        self._note.value = str(el("p", t("text_replaced"), cls="hs-note", role="status"))

    def _on_value(self, _change: dict) -> None:
        if self._input.value != self.value:
            self._input.value = self.value


class Chips(Box):
    """Choices shown as buttons to toggle; ``value`` holds the chosen keys in option order.

    ``options`` is a list of ``(label, key)``. A key a browser sends that is not an option is
    refused.
    """

    value = traitlets.Tuple()

    def __init__(self, options: Sequence[tuple[str, str]], **kwargs: Any) -> None:
        self._options = list(options)
        self._keys = [key for _, key in self._options]
        self._syncing = False
        self._buttons = [ToggleButton(description=text, tooltip=text, value=False) for text, _ in self._options]
        for button in self._buttons:
            button.add_class("hs-chip")
            button.observe(self._on_button, names="value")
        super().__init__(self._buttons, layout=shared_layout(flex_flow="row wrap"), **kwargs)
        self.add_class("hs-chips")
        self.observe(self._on_value, names="value")

    @property
    def option_keys(self) -> list[str]:
        """The keys of the options, in order."""
        return list(self._keys)

    def label_of(self, key: str) -> str:
        return dict((k, text) for text, k in self._options)[key]

    @traitlets.validate("value")
    def _valid_value(self, proposal: dict) -> tuple[str, ...]:
        chosen = proposal["value"]
        if isinstance(chosen, str) or not all(isinstance(k, str) for k in chosen):
            raise traitlets.TraitError("choices must be a list of keys")
        unknown = [k for k in chosen if k not in self._keys]
        if unknown:
            raise traitlets.TraitError(f"not an option: {unknown[:3]}")
        return tuple(k for k in self._keys if k in set(chosen))

    def _on_button(self, _change: dict) -> None:
        if not self._syncing:
            self.value = tuple(k for k, b in zip(self._keys, self._buttons, strict=True) if b.value)

    def _on_value(self, _change: dict) -> None:
        self._syncing = True
        try:
            for key, button in zip(self._keys, self._buttons, strict=True):
                button.value = key in self.value
        finally:
            self._syncing = False
