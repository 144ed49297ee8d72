"""HTML escaped by construction: the widgets' markup is built with :func:`el`, never by hand.

``el("p", text, cls="hs-note", role="status")`` is ``<p class="hs-note" role="status">…</p>``. Every
child that is not :class:`~markupsafe.Markup` is escaped, every attribute value is escaped, and the
result is ``Markup``, so it nests in another ``el`` (or :func:`join`) as it is. Markup from a trusted
renderer (:func:`workshop.markdown.to_html`, an SVG library) is wrapped in ``Markup(...)`` at the one
place it is made, with a comment saying why it can be trusted; no other text is.

Attribute names: ``cls`` is ``class``, an underscore is a hyphen (``aria_label`` is ``aria-label``,
``data_hs_page`` is ``data-hs-page``); a value of ``None`` or ``False`` leaves the attribute out and
``True`` writes it bare; attributes keep the order they are given in.

Text is escaped as :func:`html.escape` escapes it (``&#x27;`` and ``&quot;`` for quotes), as the
hand-written markup was. Give an ipywidgets ``HTML`` ``str(...)`` of the result: ``Markup``'s own
string methods escape their arguments (``value.replace("&#x27;", "'")`` would put ``&#39;`` back).
"""

from __future__ import annotations

import html
import re
from typing import Any

from markupsafe import Markup

__all__ = ["Markup", "el", "escape", "join"]

#: the elements widgets draw: HTML text, and inline SVG for the charts and pictures
TAGS = frozenset({
    "a", "b", "blockquote", "br", "code", "dd", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4",
    "i", "li", "ol", "p", "section", "small", "span", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
    "svg", "g", "text", "tspan", "title", "line", "rect", "circle", "path",
})
#: written without an end tag, and never with children
VOID = frozenset({"br"})
#: SVG shapes, closed with ``/>`` when they have no children
SHAPES = frozenset({"line", "rect", "circle", "path"})
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*")


def escape(value: Any) -> Markup:
    """``value`` as text in markup: ``Markup`` (anything with ``__html__``) as it is, the rest escaped."""
    if hasattr(value, "__html__"):
        return Markup(value.__html__())
    return Markup(html.escape(str(value)))


def join(*parts: Any, sep: Any = "") -> Markup:
    """The parts one after another (``None`` left out), each escaped unless it is ``Markup``."""
    return Markup(str(escape(sep)).join(str(escape(part)) for part in parts if part is not None))


def _attribute(name: str, value: Any) -> str:
    if value is None or value is False:
        return ""
    name = "class" if name == "cls" else name.replace("_", "-")
    if not _NAME.fullmatch(name):
        raise ValueError(f"not an attribute name: {name!r}")
    return f" {name}" if value is True else f' {name}="{escape(value)}"'


def el(tag: str, *children: Any, **attrs: Any) -> Markup:
    """The element ``tag`` holding ``children`` (``None`` left out), with ``attrs`` (see the module)."""
    if tag not in TAGS:
        raise ValueError(f"not an element the widgets draw: {tag!r}")
    start = tag + "".join(_attribute(name, value) for name, value in attrs.items())
    body = join(*children)
    if tag in VOID:
        if body:
            raise ValueError(f"<{tag}> holds nothing")
        return Markup(f"<{start}>")
    if tag in SHAPES and not body:
        return Markup(f"<{start}/>")
    return Markup(f"<{start}>{body}</{tag}>")
