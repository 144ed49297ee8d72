"""Layout and Style models the kit's widgets share, so a page carries a third of the models.

ipywidgets gives every widget a Layout model, and most a Style model, of its own, and a browser
receives each one when a page loads (the widget manager's ``request_states``): 167 of the 260
models of the participant app's first page were Layouts and Styles, nearly all left at their
defaults (the kit styles with CSS classes in ``holdingspace.css``). The classes here are
ipywidgets' own with one difference: unless given a layout or style, a widget takes a shared,
read-only one, one for each distinct set of layout values (:func:`shared_layout`) and one for
each style class (:func:`shared_style`).

A shared model refuses any change (``TraitError``): ``widget.layout.display = "none"`` on one
would hide every widget at once. Hide and show with :func:`show`, which gives the widget the
shared layout with ``display`` set; that keeps the inline ``display: none`` the browser drew
before, also where the kit's CSS is not loaded (JupyterLab, ``make lab``). Closing a shared
model does nothing: a page closing must not take every other widget's layout with it.
"""

from __future__ import annotations

from typing import Any

import anywidget
import ipywidgets
import traitlets

_layouts: dict[tuple, ipywidgets.Layout] = {}
_styles: dict[type, ipywidgets.Widget] = {}
_read_only_classes: dict[type, type] = {}


class _ReadOnly:
    """Mixin for a shared Layout or Style: every synced trait is refused once it is built."""

    _built = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)  # type: ignore[call-arg]
        self._built = True

    def _refuse(self, proposal: dict) -> Any:
        if self._built:
            name = proposal["trait"].name
            raise traitlets.TraitError(
                f"{type(self).__name__} is shared by many widgets and never changes (setting {name!r}): "
                "hide or show with widgets.looks.show(), style with a CSS class, or give the widget its own"
            )
        return proposal["value"]

    def close(self) -> None:
        """Do nothing: other widgets, on this page and others, still use this model."""


def _read_only(klass: type) -> type:
    """``klass`` (a Layout or Style class) made read-only after construction."""
    if klass not in _read_only_classes:
        names = klass.class_trait_names(sync=True)
        namespace = {"__module__": __name__, "__doc__": f"A shared, read-only {klass.__name__}.",
                     "_refuse_changes": traitlets.validate(*names)(_ReadOnly._refuse)}
        _read_only_classes[klass] = type(klass)(f"Shared{klass.__name__}", (_ReadOnly, klass), namespace)
    return _read_only_classes[klass]


def _alive(model: ipywidgets.Widget | None) -> bool:
    return model is not None and model.comm is not None


def shared_layout(**values: Any) -> ipywidgets.Layout:
    """The shared, read-only Layout with these values (the default one when given none)."""
    values = {name: value for name, value in values.items() if value is not None}
    key = tuple(sorted(values.items()))
    if not _alive(_layouts.get(key)):  # e.g. after ipywidgets' Widget.close_all()
        _layouts[key] = _read_only(ipywidgets.Layout)(**values)
    return _layouts[key]


def shared_style(klass: type) -> ipywidgets.Widget:
    """The shared, read-only default Style of class ``klass`` (e.g. ``ButtonStyle``)."""
    if not _alive(_styles.get(klass)):
        _styles[klass] = _read_only(klass)()
    return _styles[klass]


def is_shared(model: ipywidgets.Widget) -> bool:
    """Whether ``model`` is a shared Layout or Style (never to be changed or closed)."""
    return isinstance(model, _ReadOnly)


def layout_values(layout: ipywidgets.Layout) -> dict[str, Any]:
    """The values a Layout sets (those not left at ``None``)."""
    names = [name for name in layout.class_trait_names(sync=True) if not name.startswith("_")]
    return {name: getattr(layout, name) for name in names if getattr(layout, name) is not None}


def show(widget: ipywidgets.DOMWidget, shown: bool) -> None:
    """Show or hide ``widget``: its layout becomes the shared one with ``display`` unset or ``"none"``."""
    values = layout_values(widget.layout)
    values["display"] = None if shown else "none"
    widget.layout = shared_layout(**values)


def is_shown(widget: ipywidgets.DOMWidget) -> bool:
    return widget.layout.display != "none"


class SharedLooks:
    """Mixin for a widget class: an instance takes the shared Layout (and Style) unless given its own."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("layout", shared_layout())
        style = type(self).class_traits().get("style")  # type: ignore[attr-defined]
        if style is not None:
            kwargs.setdefault("style", shared_style(style.klass))
        super().__init__(*args, **kwargs)


# ipywidgets' widgets the kit uses, each taking the shared models
class HTML(SharedLooks, ipywidgets.HTML):
    pass


class Button(SharedLooks, ipywidgets.Button):
    pass


class ToggleButton(SharedLooks, ipywidgets.ToggleButton):
    pass


class ToggleButtons(SharedLooks, ipywidgets.ToggleButtons):
    pass


class Checkbox(SharedLooks, ipywidgets.Checkbox):
    pass


class Text(SharedLooks, ipywidgets.Text):
    pass


class Textarea(SharedLooks, ipywidgets.Textarea):
    pass


class BoundedIntText(SharedLooks, ipywidgets.BoundedIntText):
    pass


class Dropdown(SharedLooks, ipywidgets.Dropdown):
    pass


class SelectionSlider(SharedLooks, ipywidgets.SelectionSlider):
    pass


class Box(SharedLooks, ipywidgets.Box):
    pass


class VBox(SharedLooks, ipywidgets.VBox):
    pass


class HBox(SharedLooks, ipywidgets.HBox):
    pass


class AnyWidget(SharedLooks, anywidget.AnyWidget):
    """anywidget's widget, taking the shared Layout."""
