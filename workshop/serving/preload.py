"""One script in place of the 88 code chunks a participant's first page fetches one by one.

Voila's page (``voila.js``) and its widget extensions load their code in webpack (or rspack) chunks,
each its own request: 97 static requests a join, of which 88 are chunks. A room joining at once
made the participant server's one thread answer all of them (0.9 ms of Tornado's HTTP handling
each, about two thirds of its CPU per join), and a browser fetched them in waves, each chunk
asking for the next.

A chunk file only registers its modules: it pushes ``[[ids], {modules}]`` onto an array on
``self`` (``self.webpackChunk_JUPYTERLAB_CORE_OUTPUT``, ``self.rspackChunk_…`` for an extension),
and the bundler's runtime, when it starts, takes every entry already on that array and marks those
chunks installed (webpack 5's ``chunkLoadingGlobal.forEach(webpackJsonpCallback)``; rspack's the
same). So the chunks a first page needs, pushed by one script before ``voila.js`` runs, are never
asked for again. Nothing is executed early: modules run only when the runtime requires them.

- Which chunks: ``preload.txt`` beside this file, paths under ``voila/`` as the page asks for them.
  ``tests/browser/test_preload.py`` loads the participant app and fails, naming them, if the page
  still asks for a chunk (a Voila or widgets upgrade changes them); it is then added to the list.
- Each file is read from the folders the server itself serves it from (the ``paths``/``path`` of
  Voila's static and labextensions handlers), so the script holds exactly what those requests
  would have answered. A file the list names that is not there (an upgrade renamed it) is left
  out and the page fetches what it needs as before: never worse than without the script.
- Only files that are chunks go in: a file must begin by pushing onto ``self.webpackChunk…`` or
  ``self.rspackChunk…`` (after block comments and an optional ``"use strict"``; six of Voila's own
  chunks begin with a licence comment, and were fetched one by one until the comment was allowed).
  An entry point (``voila.js``, a ``remoteEntry``) would run its code early and is refused.
- Each file is wrapped in its own function, so a file's ``"use strict"`` stays its own, as it was
  when it was a script of its own (a ``"use strict"`` at the top of the joined script would have
  made every file strict).
- It is compressed once, when the server starts (in a thread: zlib lets go of the interpreter),
  and answered from memory with an ``Etag`` (a browser that has it gets 304) under a URL that
  carries its version, so it may be kept for a year.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import logging
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import tornado.web

LIST = Path(__file__).with_name("preload.txt")
#: where the page asks for it, under the server's base URL
URL_PATH = "holding-space/preload.js"
#: a chunk: it begins by pushing onto the bundler's array on ``self`` (after block comments, such as
#: the ``/*! For license information … */`` line a minifier leaves, and an optional ``"use strict"``)
CHUNK = re.compile(rb"""\A\s*(?:/\*.*?\*/\s*)*(?:(["'])use strict\1;?\s*)?\(\s*self(?:\.|\[["'])(?:webpack|rspack)Chunk""",
                   re.DOTALL)
LOG = logging.getLogger(__name__)


def listed(text: str) -> list[str]:
    """The paths a list like ``preload.txt`` names (blank lines and ``#`` comments left out), in order, once each."""
    seen: dict[str, None] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            seen.setdefault(line, None)
    return list(seen)


def _inside(root: str, relative: str) -> Path | None:
    """``root/relative`` if it is a file inside ``root`` (no way out through ``..`` or a link)."""
    base = Path(root).resolve()
    candidate = (base / relative).resolve()
    if candidate.is_file() and candidate.is_relative_to(base):
        return candidate
    return None


def locate(path: str, static_paths: list[str], labextension_paths: list[str]) -> Path | None:
    """The file the server answers ``voila/<path>`` with, looked up as its own handlers do: the first of
    their folders that has it."""
    for prefix, roots in (("static/", static_paths), ("labextensions/", labextension_paths)):
        if path.startswith(prefix):
            relative = path[len(prefix):]
            for root in roots:
                found = _inside(root, relative)
                if found is not None:
                    return found
    return None


def wrap(source: bytes) -> bytes:
    """A chunk file as one part of the joined script: in a function of its own, called with ``self``."""
    return b"(function () {\n" + source + b"\n}).call(self);\n"


@dataclass
class Preload:
    """The joined script, its version and what went into it."""

    body: bytes = b""
    included: list[str] = field(default_factory=list)
    #: listed but not found where the server serves from
    missing: list[str] = field(default_factory=list)
    #: found but not a chunk (refused)
    refused: list[str] = field(default_factory=list)
    gzipped: bytes | None = None

    @functools.cached_property
    def version(self) -> str:
        """A short hash of the script: part of its URL and its ``Etag``; empty when nothing went in. Hashed
        once (the body never changes once built): the handler gives it at every request, twice."""
        return hashlib.sha256(self.body).hexdigest()[:20] if self.included else ""

    @property
    def url(self) -> str:
        """The path, under the base URL, the page asks for (empty when nothing went in)."""
        return f"{URL_PATH}?v={self.version}" if self.version else ""

    def compress(self) -> None:
        self.gzipped = gzip.compress(self.body, compresslevel=9, mtime=0)

    def compress_in_background(self) -> None:
        if self.included:
            threading.Thread(target=self.compress, name="holding-space-preload-gzip", daemon=True).start()


def build(paths: list[str], static_paths: list[str], labextension_paths: list[str]) -> Preload:
    """The joined script of the chunks ``paths`` names, each read from where the server serves it."""
    preload = Preload()
    parts = [b"/* Holding Space: the code chunks of a first page, in one request (workshop/serving/preload.py) */\n;\n"]
    for path in paths:
        found = locate(path, static_paths, labextension_paths)
        if found is None:
            preload.missing.append(path)
            continue
        source = found.read_bytes()
        if not CHUNK.match(source):
            preload.refused.append(path)
            continue
        parts.append(wrap(source))
        preload.included.append(path)
    if preload.included:
        preload.body = b"".join(parts)
    return preload


def from_handlers(handlers: list, chunk_list: Path | None = LIST, log: logging.Logger = LOG) -> Preload:
    """The script for a Voila server, from the folders its ``voila/static`` and ``voila/labextensions``
    handlers serve (their ``paths`` and ``path``), of the chunks ``chunk_list`` names; an empty one (the
    page then fetches its chunks itself) when there is no list, or, logged, when it cannot be read."""
    if chunk_list is None:
        return Preload()
    static_paths: list[str] = []
    labextension_paths: list[str] = []
    for pattern, _handler, *rest in handlers:
        options = rest[0] if rest and isinstance(rest[0], dict) else {}
        if pattern.endswith("/voila/static/(.*)"):
            static_paths = list(options.get("paths") or [])
        elif pattern.endswith("/voila/labextensions/(.*)"):
            found = options.get("path") or []
            labextension_paths = [found] if isinstance(found, str | os.PathLike) else list(found)
    try:
        names = listed(chunk_list.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        log.warning("no preload script: %s could not be read (%s); each page fetches its code chunks itself",
                    chunk_list, error)
        return Preload()
    preload = build(names, static_paths, labextension_paths)
    if preload.missing or preload.refused:
        log.warning("preload script: %d of %d listed chunks left out (not found: %s; not chunks: %s); "
                    "a page fetches those itself", len(preload.missing) + len(preload.refused), len(names),
                    ", ".join(preload.missing[:5]) or "none", ", ".join(preload.refused[:5]) or "none")
    return preload


class PreloadHandler(tornado.web.RequestHandler):
    """``holding-space/preload.js``: the joined chunks, gzipped when the browser takes it, kept a year.

    Like Voila's own static files it needs no sign-in: it holds only the public code the page runs."""

    def initialize(self, preload: Preload) -> None:
        self.preload = preload

    def compute_etag(self) -> str | None:
        return f'"{self.preload.version}"' if self.preload.version else None

    def get(self) -> None:
        if not self.preload.included:
            raise tornado.web.HTTPError(404)
        self.set_header("Content-Type", "application/javascript; charset=UTF-8")
        self.set_header("Cache-Control", "public, max-age=31536000, immutable")
        self.set_header("Vary", "Accept-Encoding")
        self.set_etag_header()
        if self.check_etag_header():
            self.set_status(304)
            return
        body = self.preload.body
        if "gzip" in self.request.headers.get("Accept-Encoding", ""):
            gzipped = self.preload.gzipped  # None only while the server is still starting: then uncompressed
            if gzipped is not None:
                self.set_header("Content-Encoding", "gzip")
                body = gzipped
        self.write(body)
