"""Turn a theme notebook's markdown cell into safe HTML for the participant app.

Raw HTML in a markdown cell is shown as text, not rendered: a pasted snippet can never run
script or load anything from another site in a participant's browser.
"""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "typographer": True})
    parser.enable(["table", "strikethrough", "replacements", "smartquotes"])

    def link_open(renderer, tokens, idx, options, env):
        # links open in a new tab so the workshop page is never navigated away from
        tokens[idx].attrSet("target", "_blank")
        tokens[idx].attrSet("rel", "noopener noreferrer")
        return renderer.renderToken(tokens, idx, options, env)

    def image(renderer, tokens, idx, options, env):
        # images are not part of the content model: show their description only
        return f"<span>[{escapeHtml(tokens[idx].content)}]</span>"

    parser.add_render_rule("link_open", link_open)
    parser.add_render_rule("image", image)
    return parser


def to_html(source: str) -> str:
    """Render markdown to HTML with raw HTML escaped."""
    return _parser().render(source)
