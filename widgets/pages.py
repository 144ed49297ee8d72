"""Build one page of the participant app from a theme notebook.

A theme's markdown cells become its text; its code cells run, in a namespace of the theme's
own, and the value of a cell's last line, when it is a widget, takes that cell's place on the
page. This is what makes the notebooks the single source of content.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from ipywidgets import Widget

from workshop.content import Theme
from workshop.exercises import exercise_key
from workshop.markdown import to_html

from .base import Exercise
from .looks import HTML, VBox


@dataclass
class Page:
    """A built theme page: the widget to show and its exercises, keyed by ``theme/cell id`` for answers."""

    theme: Theme
    index: int
    view: VBox
    exercises: dict[str, Exercise] = field(default_factory=dict)
    widgets: list[Widget] = field(default_factory=list)

    def close(self) -> None:
        """Close every widget of the page (frees the kernel's and browser's copies)."""
        close_tree(self.view)


def close_tree(widget: Widget) -> None:
    """Close a widget and, first, every widget inside it.

    Not its layout or style: those of the kit's widgets are shared by every page (:mod:`widgets.looks`).
    """
    for child in getattr(widget, "children", ()):
        close_tree(child)
    widget.close()


def run_code_cell(source: str, namespace: dict) -> object:
    """Run a notebook code cell; return the value of its last line if that is an expression."""
    tree = ast.parse(source, mode="exec")
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    if last is not None:
        tree.body = tree.body[:-1]
    exec(compile(tree, "<theme cell>", "exec"), namespace)
    if last is None:
        return None
    return eval(compile(ast.Expression(last.value), "<theme cell>", "eval"), namespace)


def _mark_heading(markup: str, index: int) -> str:
    """Give the page's first heading an anchor the browser bridge can focus."""
    return re.sub(r"<h1>", f'<h1 data-hs-page="{index}">', markup, count=1)


def build_page(theme: Theme, index: int) -> Page:
    """Build the page for ``theme``, the ``index``-th page of the app."""
    namespace: dict = {"__name__": f"theme_{theme.key}"}
    children: list[Widget] = []
    exercises: dict[str, Exercise] = {}
    widgets: list[Widget] = []
    first_markdown = True
    for cell in theme.cells:
        if cell.kind == "markdown":
            markup = to_html(cell.source)
            if first_markdown:
                markup = _mark_heading(markup, index)
                first_markdown = False
            text = HTML(markup)
            text.add_class("hs-md")
            children.append(text)
            continue
        result = run_code_cell(cell.source, namespace)
        if isinstance(result, Widget):
            children.append(result)
            widgets.append(result)
            if isinstance(result, Exercise):
                # named by its cell, never its position: an inserted or reordered cell must not move
                # a participant's answers or the group's shares onto another question
                exercises[exercise_key(theme.key, cell.id)] = result
    view = VBox(children)
    view.add_class("hs-page")
    return Page(theme=theme, index=index, view=view, exercises=exercises, widgets=widgets)
