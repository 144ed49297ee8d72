"""The kit's one Jinja2 environment: whole HTML documents, escaped by construction.

Every document the kit prints (the take-home, the facilitator guide, the handouts) is a template
in ``workshop/templates/``. The environment escapes every value put into a template; a value
is shown as markup only when it is a :class:`markupsafe.Markup`, and the kit makes one of those
in three ways only:

* a template's own output (a macro's result, a rendered page), which is escaped already;
* HTML made by the kit's Markdown renderers (:func:`workshop.markdown.to_html`, and the guide's
  renderer built the same way): markdown-it with raw HTML switched off, which escapes every
  character of the source. Each place that marks such HTML says so where it does it;
* the session report's tables (:func:`workshop.report._table`): pandas' ``to_html(escape=True)``,
  which escapes every cell and heading.

Nothing is imported from Jinja2 until a document is rendered, and each template is compiled
once per process: a participant's kernel that never prints its take-home pays nothing, and one
that prints it twice compiles it once.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from jinja2 import Environment, Template

TEMPLATES = Path(__file__).resolve().with_name("templates")

#: half of a character (a lone UTF-16 surrogate): no page holding one can be saved or sent as UTF-8
_HALF = re.compile(r"[\ud800-\udfff]")


@cache
def environment() -> Environment:
    """The environment: templates from ``workshop/templates/``, autoescaped, strict about names."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        # on for the .html documents, and on by default for everything else (the .css parts,
        # whose only value is a number): nothing reaches a page unescaped by accident
        autoescape=select_autoescape(enabled_extensions=("html", "css"), default_for_string=True, default=True),
        undefined=StrictUndefined,  # a misspelt name stops the build instead of printing nothing
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # the templates ship with the kit: compiled once, never re-checked on disk
    )


@cache
def template(name: str) -> Template:
    """The compiled template ``name`` (compiled on first use, then kept for the process)."""
    return environment().get_template(name)


def render(name: str, **context: Any) -> str:
    """The template ``name`` rendered with ``context``, every value escaped unless it is Markup.

    A value holding half a character (a lone surrogate, as a YAML or JSON escape or an undecodable
    file name can give) would stop the page from being written or downloaded: the two halves of
    one character are joined into it, and a half on its own becomes U+FFFD, the sign for a
    character that could not be read."""
    page = template(name).render(**context)
    # the same characters, spelt as html.escape spells them (and as the kit's pages always have):
    # MarkupSafe writes " and ' as &#34; and &#39;, html.escape as &quot; and &#x27;
    page = page.replace("&#34;", "&quot;").replace("&#39;", "&#x27;")
    if _HALF.search(page):
        page = page.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return page


def macros(name: str) -> Any:
    """The macros of the template ``name``, to call from Python (each returns escaped Markup)."""
    return template(name).module
