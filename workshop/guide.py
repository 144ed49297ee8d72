"""The facilitator guide as one printable HTML file, built offline (``make guide``).

    python -m workshop.guide [OUT]        # default: build/facilitator_guide.html

Reads ``facilitator_guide/README.md``, then every guide file it links to, in the order of its
links (any guide file it does not link comes last). Each file becomes a
``<section id="file-stem">``; a link from one guide file to another becomes a link inside the
page (``#file-stem``, or ``#file-stem--heading`` for a link to a heading). A link to a kit file
outside the guide (``../Makefile``) is kept as plain text, since it cannot be followed on paper.

The page makes no request to any other place: no web fonts, no CDN, no images; the print
stylesheet is inside the file. Raw HTML in the guide's Markdown is shown as text.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

from . import templating
from .paths import KIT_ROOT

DEFAULT_OUT = KIT_ROOT / "build" / "facilitator_guide.html"
EXTERNAL = ("http://", "https://", "mailto:", "tel:")


def guide_dir() -> Path:
    """The guide's folder: ``$HOLDING_SPACE_GUIDE`` (as the console reads it), else the kit's."""
    return Path(os.environ.get("HOLDING_SPACE_GUIDE", KIT_ROOT / "facilitator_guide")).resolve()


def slugify(text: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "typographer": True})
    parser.enable(["table", "strikethrough", "replacements", "smartquotes"])
    return parser


def link_target(href: str) -> tuple[str, str] | None:
    """``"privacy.md#the-notice"`` → ``("privacy.md", "the-notice")``; ``None`` for an external link."""
    if href.startswith(EXTERNAL) or not href:
        return None
    path, _, fragment = href.partition("#")
    return unquote(path), unquote(fragment)


def _inline_text(tokens) -> str:
    """The plain text of an inline token's children (what a reader sees in a heading)."""
    out = []
    for token in tokens or []:
        if token.type in ("text", "code_inline"):
            out.append(token.content)
        elif token.children:
            out.append(_inline_text(token.children))
    return "".join(out)


def heading_ids(markdown: str) -> list[str]:
    """The anchor of every heading in ``markdown``, in order (repeats numbered as GitHub does)."""
    tokens = _parser().parse(markdown)
    seen: dict[str, int] = {}
    ids = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            slug = slugify(_inline_text(tokens[i + 1].children))
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            ids.append(slug if n == 0 else f"{slug}-{n}")
    return ids


def links(markdown: str) -> list[str]:
    """Every link address in ``markdown``, in order."""
    out = []

    def walk(tokens):
        for token in tokens:
            if token.type == "link_open":
                out.append(token.attrGet("href") or "")
            if token.children:
                walk(token.children)

    walk(_parser().parse(markdown))
    return out


def reading_order(folder: Path | None = None) -> list[Path]:
    """README.md first, then the guide files in the order README links them, then the rest."""
    folder = Path(folder) if folder is not None else guide_dir()
    readme = folder / "README.md"
    order = [readme]
    for href in links(readme.read_text(encoding="utf-8")):
        target = link_target(href)
        if target is None or not target[0]:
            continue
        path = (folder / target[0]).resolve()
        if path.suffix == ".md" and path.parent == folder.resolve() and path.is_file() and path not in order:
            order.append(path)
    rest = sorted(p.resolve() for p in folder.glob("*.md") if p.resolve() not in {q.resolve() for q in order})
    return [p.resolve() for p in order] + rest


def _title(markdown: str, fallback: str) -> str:
    for line in markdown.splitlines():
        match = re.match(r"^#\s+(.+?)\s*#*\s*$", line)
        if match:
            return match.group(1)
    return fallback


class _Renderer:
    """Renders one guide file after another, with anchors unique across the whole page.

    The Markdown is parsed with raw HTML off and rendered by markdown-it, which escapes every
    character of the source; the guide's own changes (heading ids, in-page links, a file outside
    the guide as plain text, an image as its description) are made to the parsed tokens, so
    every tag and attribute is still written, and escaped, by markdown-it."""

    def __init__(self, folder: Path, files: list[Path]) -> None:
        self.folder = folder.resolve()
        self.stems = {p.resolve(): p.stem for p in files}
        self.parser = _parser()

    def render(self, path: Path) -> str:
        env = {"stem": path.stem, "source": path.resolve(), "seen": {}}
        tokens = self.parser.parse(path.read_text(encoding="utf-8"), env)
        for i, token in enumerate(tokens):
            if token.type == "heading_open":
                self._heading(token, tokens[i + 1], env)
            elif token.type == "inline" and token.children:
                token.children = self._inline(token.children, env)
        return self.parser.renderer.render(tokens, self.parser.options, env)

    def _heading(self, token: Token, inline: Token, env: dict) -> None:
        slug = slugify(_inline_text(inline.children))
        n = env["seen"].get(slug, 0)
        env["seen"][slug] = n + 1
        token.attrSet("id", f"{env['stem']}--{slug if n == 0 else f'{slug}-{n}'}")

    def _inline(self, children: list[Token], env: dict) -> list[Token]:
        out: list[Token] = []
        open_tags: list[str] = []  # the tag each open link became, for its closing token
        for token in children:
            if token.type == "link_open":
                self._link(token, env)
                open_tags.append(token.tag)
            elif token.type == "link_close":
                token.tag = open_tags.pop() if open_tags else "a"
            elif token.type == "image":
                # no images: nothing is fetched from anywhere; the description stands in
                described = Token("text", "", 0, content=f"[{token.content}]")
                out += [Token("span_open", "span", 1), described, Token("span_close", "span", -1)]
                continue
            if token.children:
                token.children = self._inline(token.children, env)
            out.append(token)
        return out

    def _link(self, token: Token, env: dict) -> None:
        href = token.attrGet("href") or ""
        target = link_target(href)
        if target is None:
            if href.startswith(("http://", "https://")):
                token.attrSet("rel", "noopener noreferrer")
            return
        path, fragment = target
        dest = env["source"] if not path else (env["source"].parent / path).resolve()
        stem = self.stems.get(dest)
        if stem is None:
            # a kit file outside the guide, or a file that is not there: text, not a dead link
            token.tag = "span"
            token.attrs = {"class": "file-ref", "title": path or href}
            return
        token.attrSet("href", f"#{stem}--{fragment}" if fragment else f"#{stem}")


def render_html(folder: Path | None = None) -> str:
    """The whole guide as one HTML document (``templates/guide.html``)."""
    folder = Path(folder) if folder is not None else guide_dir()
    files = reading_order(folder)
    renderer = _Renderer(folder, files)
    shown = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        title = _title(text, path.stem.replace("_", " "))
        number = re.match(r"^(\d\d)_", path.stem)
        if number:  # a theme script: "3. Space as care, not coldness", as the console numbers it
            title = f"{int(number.group(1))}. {title}"
        # Safe to mark: markdown-it's output for this file, raw HTML off, every character of
        # the source escaped by markdown-it (see _Renderer). Titles and ids stay plain text.
        shown.append({"stem": path.stem, "title": title, "html": Markup(renderer.render(path))})
    return templating.render("guide.html", built=time.strftime("%Y-%m-%d"), files=shown)


def build(out: Path, folder: Path | None = None) -> Path:
    """Write the printable guide to ``out`` (folders made as needed); return its path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(folder), encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or (args and args[0] in ("-h", "--help")):
        print("usage: python -m workshop.guide [OUT]   (default: build/facilitator_guide.html)")
        return 0 if args and args[0] in ("-h", "--help") else 2
    out = build(Path(args[0]) if args else DEFAULT_OUT)
    print(f"The printable guide is at {out}. Open it in a browser to read it or to print it.")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
