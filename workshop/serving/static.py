"""The kit's static files: gzip with each file compressed once, and the template's folders looked up once.

- Voila applies ``tornado_settings`` after it has built its Tornado application, too late for
  ``compress_response`` (Tornado adds the gzip transform while building the application), so
  ``HoldingSpaceVoila`` adds :class:`CachedGZip` itself (``Application.add_transform``).
- The page's static assets (about 100 files, 5 MB before compression) are the same for every phone,
  so each is compressed once, at gzip's best level, and served from memory after that; gzip on every
  request was about half of the server's work when a room joined at once.
- Voila's handler for ``voila/templates/<template>/static/<path>`` looks for the template's static
  folders on disk at every request (twice); they do not change while the server runs, so
  :class:`TemplateStaticHandler` (which ``HoldingSpaceVoila.init_handlers`` puts in its place) asks
  ``voila.paths.collect_static_paths`` once per template and keeps the answer (a seventh of the
  server's work at a join).

Only Tornado's public parts are used: ``OutputTransform``'s two methods, ``GZipContentEncoding``'s
``CONTENT_TYPES`` and ``StaticFileHandler``'s overridable methods.
"""

from __future__ import annotations

import functools
import gzip
import os
import time
from typing import ClassVar

import tornado.web
from tornado.web import GZipContentEncoding
from voila.paths import collect_static_paths

#: where Voila looks for a template's static folders (as its own handler asks)
TEMPLATE_PREFIXES = ("voila", "nbconvert")


class CachedGZip(GZipContentEncoding):
    """Gzip, with each static file compressed once and kept: static answers carry an ``Etag``.

    A first request goes uncompressed and keeps the raw bytes; when it ends, the whole file is
    compressed at level 9 and kept under its path and ``Etag``. Later requests for
    the same path and ``Etag`` get the kept bytes in one piece and the file handler's own chunks
    are dropped. Anything without an ``Etag`` (the page, API answers) is compressed as before.
    """

    MAX_FILE = 16 * 2**20
    MAX_TOTAL = 96 * 2**20
    #: (path, Etag) -> the file gzipped, shared by every request of this process
    kept: ClassVar[dict[tuple[str, str], bytes]] = {}
    #: files a first request is compressing now: a room arriving at a fresh server asks for the same
    #: hundred files at once, and each request compressed each file again (py-spy: gzip was the
    #: largest part of the server's work in a 30-phone storm); the others get the file uncompressed
    compressing: ClassVar[dict[tuple[str, str], float]] = {}
    #: a first request that has not finished within this many seconds (a phone gone mid-download) no
    #: longer keeps the others from compressing
    COMPRESSING_S = 30.0

    def __init__(self, request) -> None:
        super().__init__(request)
        self.accepts_gzip = "gzip" in request.headers.get("Accept-Encoding", "")
        self.uri = request.uri if request.method == "GET" else None
        self.key: tuple[str, str] | None = None
        self.raw: list[bytes] | None = None
        self.from_memory = False
        self.passing = False
        self.memo: dict[str, str] | None = None

    #: path and query -> the headers of its whole, gzipped 200 answer: the file handler need not look
    #: for, check and hash the file again (see :class:`MemoStatic`)
    answered: ClassVar[dict[str, dict[str, str]]] = {}
    #: headers of a static answer that :class:`MemoStatic` gives again
    MEMO_HEADERS = ("Etag", "Content-Type", "Cache-Control", "Expires", "Last-Modified", "Accept-Ranges")

    @classmethod
    def memo_for(cls, request) -> dict[str, str] | None:
        """The headers to answer ``request`` from memory with, or None (not kept yet, or a request that asks
        more than the whole file gzipped: a revalidation, a range, no gzip)."""
        if request.method != "GET" or "gzip" not in request.headers.get("Accept-Encoding", ""):
            return None
        if any(name in request.headers for name in ("If-None-Match", "If-Modified-Since", "Range")):
            return None
        headers = cls.answered.get(request.uri)
        if headers is None or (request.uri, headers.get("Etag", "")) not in cls.kept:
            return None
        return headers

    def compressible(self, ctype: str) -> bool:
        """As Tornado decides: any ``text/`` type, and its list of others (``CONTENT_TYPES``)."""
        return ctype.startswith("text/") or ctype in self.CONTENT_TYPES

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        etag = headers.get("Etag")
        if self.accepts_gzip and self.uri and status_code == 200 and etag and "Content-Range" not in headers:
            ctype = str(headers.get("Content-Type", "")).split(";")[0]
            if self.compressible(ctype) and "Content-Encoding" not in headers:
                self.key = (self.uri, etag)
                kept = self.kept.get(self.key)
                if kept is not None:
                    self.from_memory = True
                    headers["Vary"] = "Accept-Encoding"
                    headers["Content-Encoding"] = "gzip"
                    headers["Content-Length"] = str(len(kept))
                    return status_code, headers, kept
                began = self.compressing.get(self.key)
                if began is not None and time.monotonic() - began < self.COMPRESSING_S:
                    self.passing = True  # this answer goes as it is, uncompressed
                    headers["Vary"] = "Accept-Encoding"
                    return status_code, headers, chunk
                self.compressing[self.key] = time.monotonic()
                self.memo = {name: str(headers[name]) for name in self.MEMO_HEADERS if name in headers}
                # this first answer goes uncompressed and the file is compressed once, whole, when it
                # ends: compressing it while streaming as well was a fifth of a fresh server's work
                self.raw = [chunk]
                self.passing = True
                headers["Vary"] = "Accept-Encoding"
                return status_code, headers, chunk
        return super().transform_first_chunk(status_code, headers, chunk, finishing)

    def transform_chunk(self, chunk: bytes, finishing: bool) -> bytes:
        if self.from_memory:
            return b""
        if self.raw is not None:
            self.raw.append(chunk)
            if finishing:
                self.keep(b"".join(self.raw))
        if self.passing:
            return chunk
        return super().transform_chunk(chunk, finishing)

    def keep(self, raw: bytes) -> None:
        self.raw = None
        try:
            if len(raw) > self.MAX_FILE or sum(map(len, self.kept.values())) + len(raw) > self.MAX_TOTAL:
                return
            self.kept[self.key] = gzip.compress(raw, compresslevel=9, mtime=0)
            if self.memo is not None:
                self.answered[self.key[0]] = self.memo
        finally:
            self.compressing.pop(self.key, None)


@functools.lru_cache(maxsize=64)
def template_static_roots(template: str) -> tuple[str, ...]:
    """The static folders of ``template`` and the templates it extends, looked up once."""
    return tuple(collect_static_paths(list(TEMPLATE_PREFIXES), template))


def _split(path: str, sep: str) -> tuple[str, str] | None:
    """(template, path inside its static folders) of ``<template>/static/<path>``, or None."""
    parts = path.split(sep, 2)
    if len(parts) != 3 or parts[1] != "static" or not parts[0] or not parts[2]:
        return None
    return parts[0], parts[2]


class TemplateStaticHandler(tornado.web.StaticFileHandler):
    """``voila/templates/<template>/static/<path>``, served as Voila's ``TemplateStaticFileHandler`` does
    (a file from the first of the template's static folders that has it), with the folders kept.

    A path that is not of that form is a 404 (Voila's handler fails an ``assert`` there: a 500).
    """

    def initialize(self) -> None:
        super().initialize(path="/fake-root/voila-template-system/")  # unused: each template has its roots
        self.roots: tuple[str, ...] = ()

    def parse_url_path(self, url_path: str) -> str:
        found = _split(url_path, "/")
        if found is None:
            raise tornado.web.HTTPError(404)
        self.roots = template_static_roots(found[0])
        return super().parse_url_path(url_path)

    @classmethod
    def get_absolute_path(cls, root: str, path: str) -> str:
        found = _split(os.path.normpath(path), os.path.sep)
        if found is None:
            return os.path.join(root, "missing")  # validate_absolute_path answers 404
        template, relpath = found
        abspath = root
        for folder in template_static_roots(template):
            abspath = os.path.abspath(os.path.join(folder, relpath))
            if os.path.exists(abspath):
                return abspath
        return abspath  # not found: validate_absolute_path answers 404

    def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
        refused: tornado.web.HTTPError = tornado.web.HTTPError(404)
        for folder in self.roots:  # the file must lie inside one of the template's folders
            try:
                return super().validate_absolute_path(folder, absolute_path)
            except tornado.web.HTTPError as error:
                refused = error
        raise refused


class MemoStatic:
    """For a static file handler (``class Memo(MemoStatic, StaticFileHandler)``): a file already answered whole
    and gzipped is answered again from memory, without looking for it, checking its path, reading its
    modification time and hashing it. Measured on a fresh server in a 30-phone storm: the 97 static files
    of a page were four fifths of the server's CPU per join (0.25 of 0.31 s); 0.06 s without them.

    Only a request :meth:`CachedGZip.memo_for` accepts takes this way (a plain GET asking for gzip, for a
    path and query answered before); anything else, and every first request, goes to the handler itself.
    """

    def get(self, path: str, include_body: bool = True):
        headers = CachedGZip.memo_for(self.request)
        if headers is None:
            return super().get(path, include_body)
        for name, value in headers.items():
            self.set_header(name, value)
        return self.finish()  # CachedGZip puts the kept bytes in place of the empty body


@functools.lru_cache(maxsize=16)
def memo_handler(handler: type) -> type:
    """``handler`` (a StaticFileHandler class) answering from memory what it answered before.

    Jupyter Server's ``FileFindHandler`` (Voila's ``voila/labextensions``: 20 of a page's 97 files) gives no
    ``Etag`` (its ``compute_etag`` returns None), so those files were gzipped again at every request (an
    eighth of the server's CPU for a page's static files) and a browser could only download them again;
    here they get Tornado's own ``StaticFileHandler.compute_etag`` (the file's hash), so they are kept
    like the others and a browser's revalidation gets a 304."""
    namespace = {"__doc__": handler.__doc__}
    if issubclass(handler, tornado.web.StaticFileHandler) and handler.compute_etag is not tornado.web.StaticFileHandler.compute_etag:
        namespace["compute_etag"] = tornado.web.StaticFileHandler.compute_etag
    return type(f"Memo{handler.__name__}", (MemoStatic, handler), namespace)
