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

import html
import os
import re
import sys
import time
from pathlib import Path
from urllib.parse import unquote

from markdown_it import MarkdownIt

from .paths import KIT_ROOT

DEFAULT_OUT = KIT_ROOT / "build" / "facilitator_guide.html"
EXTERNAL = ("http://", "https://", "mailto:", "tel:")

STYLE = """
:root { color-scheme: light; }
html { font-size: 16px; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: #1f2d33; background: #fffdf9; line-height: 1.55; margin: 0 auto; max-width: 46rem;
       padding: 1.5rem 1.25rem 4rem; }
h1, h2, h3, h4 { line-height: 1.25; color: #1f3d44; break-after: avoid; page-break-after: avoid; }
h1 { font-size: 1.75rem; margin: 0 0 0.75rem; border-bottom: 2px solid #2d6a6a; padding-bottom: 0.3rem; }
h2 { font-size: 1.3rem; margin-top: 1.6rem; }
h3 { font-size: 1.1rem; margin-top: 1.2rem; }
p, li { orphans: 3; widows: 3; }
a { color: #1f5f8b; }
code { font-family: ui-monospace, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.92em;
       background: #f1ede6; padding: 0.05em 0.3em; border-radius: 3px; }
pre { background: #f1ede6; padding: 0.6rem 0.8rem; border-radius: 6px; white-space: pre-wrap;
      overflow-wrap: anywhere; break-inside: avoid; page-break-inside: avoid; }
pre code { background: none; padding: 0; }
table { border-collapse: collapse; width: 100%; margin: 0.8rem 0; font-size: 0.94rem; }
th, td { border: 1px solid #cfc6b8; padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #efe9df; }
tr { break-inside: avoid; page-break-inside: avoid; }
blockquote { margin: 1rem 0; padding: 0.6rem 1rem; border-left: 4px solid #2d6a6a; background: #eef5f3; }
.cover { margin-bottom: 2rem; }
.cover .kit { font-size: 0.95rem; letter-spacing: 0.04em; text-transform: uppercase; color: #5b6b70; margin: 0; }
.cover .title { font-size: 2.1rem; border: none; margin: 0.2rem 0 0.4rem; }
.cover .built { color: #5b6b70; font-size: 0.9rem; }
.toc ol { padding-left: 1.4rem; }
.toc li { margin: 0.15rem 0; }
.file-ref { font-style: italic; }
section.guide-file { margin-top: 3rem; }
@page { margin: 16mm 15mm 18mm; }
@media print {
  html { font-size: 10.5pt; }
  body { background: #fff; max-width: none; padding: 0; }
  section.guide-file { margin-top: 0; break-before: page; page-break-before: always; }
  a { color: inherit; text-decoration: none; }
  a[href^="http"]::after { content: " (" attr(href) ")"; font-size: 0.85em; color: #5b6b70; overflow-wrap: anywhere; }
  blockquote, table, pre { break-inside: avoid; page-break-inside: avoid; }
}
"""


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
    """Renders one guide file after another, with anchors unique across the whole page."""

    def __init__(self, folder: Path, files: list[Path]) -> None:
        self.folder = folder.resolve()
        self.stems = {p.resolve(): p.stem for p in files}
        self.parser = _parser()
        # markdown-it binds a rule to its renderer, so each rule is a plain function of it
        for name, rule in (
            ("heading_open", self._heading_open),
            ("link_open", self._link_open),
            ("link_close", self._link_close),
            ("image", self._image),
        ):
            self.parser.add_render_rule(name, lambda renderer, *args, _rule=rule: _rule(renderer, *args))

    def render(self, path: Path) -> str:
        env = {"stem": path.stem, "source": path.resolve(), "seen": {}, "closers": []}
        return self.parser.render(path.read_text(encoding="utf-8"), env)

    # -- rules
    def _heading_open(self, renderer, tokens, idx, options, env):
        slug = slugify(_inline_text(tokens[idx + 1].children))
        n = env["seen"].get(slug, 0)
        env["seen"][slug] = n + 1
        tokens[idx].attrSet("id", f"{env['stem']}--{slug if n == 0 else f'{slug}-{n}'}")
        return renderer.renderToken(tokens, idx, options, env)

    def _link_open(self, renderer, tokens, idx, options, env):
        token = tokens[idx]
        href = token.attrGet("href") or ""
        target = link_target(href)
        if target is None:
            if href.startswith(("http://", "https://")):
                token.attrSet("rel", "noopener noreferrer")
            env["closers"].append("</a>")
            return renderer.renderToken(tokens, idx, options, env)
        path, fragment = target
        dest = env["source"] if not path else (env["source"].parent / path).resolve()
        stem = self.stems.get(dest)
        if stem is None:
            # a kit file outside the guide, or a file that is not there: text, not a dead link
            env["closers"].append("</span>")
            return f'<span class="file-ref" title="{html.escape(path or href)}">'
        token.attrSet("href", f"#{stem}--{fragment}" if fragment else f"#{stem}")
        env["closers"].append("</a>")
        return renderer.renderToken(tokens, idx, options, env)

    def _link_close(self, renderer, tokens, idx, options, env):
        return env["closers"].pop() if env["closers"] else "</a>"

    def _image(self, renderer, tokens, idx, options, env):
        # no images: nothing is fetched from anywhere; the description stands in
        return f"<span>[{html.escape(tokens[idx].content)}]</span>"


def render_html(folder: Path | None = None) -> str:
    """The whole guide as one HTML document."""
    folder = Path(folder) if folder is not None else guide_dir()
    files = reading_order(folder)
    renderer = _Renderer(folder, files)
    sections, contents = [], []
    for path in files:
        text = path.read_text(encoding="utf-8")
        title = _title(text, path.stem.replace("_", " "))
        number = re.match(r"^(\d\d)_", path.stem)
        if number:  # a theme script: "3. Space as care, not coldness", as the console numbers it
            title = f"{int(number.group(1))}. {title}"
        contents.append(f'<li><a href="#{html.escape(path.stem)}">{html.escape(title)}</a></li>')
        sections.append(
            f'<section class="guide-file" id="{html.escape(path.stem)}">\n{renderer.render(path)}</section>'
        )
    built = time.strftime("%Y-%m-%d")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>Holding Space: facilitator guide</title>\n"
        f"<style>{STYLE}</style>\n</head>\n<body>\n"
        '<header class="cover">\n<p class="kit">Holding Space</p>\n'
        '<h1 class="title">Facilitator guide</h1>\n'
        f'<p class="built">Printed from the kit\'s <code>facilitator_guide/</code> folder, built {built}. '
        "Print it, or save it as PDF, from your browser.</p>\n"
        '<nav class="toc" aria-label="Contents">\n<h2>Contents</h2>\n<ol>\n'
        + "\n".join(contents)
        + "\n</ol>\n</nav>\n</header>\n"
        + "\n".join(sections)
        + "\n</body>\n</html>\n"
    )


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
