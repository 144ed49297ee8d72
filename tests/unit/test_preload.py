"""The preload script (workshop/serving/preload.py): which files go in, which are refused, how it is answered."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import tornado.testing
import tornado.web

from workshop.serving import preload

VOILA_CHUNK = b"(self.webpackChunk_JUPYTERLAB_CORE_OUTPUT=self.webpackChunk_JUPYTERLAB_CORE_OUTPUT||[]).push([[5764],{1:function(){}}]);"
STRICT_CHUNK = b'"use strict";\n(self["webpackChunk_anywidget_monorepo"] = self["webpackChunk_anywidget_monorepo"] || []).push([["2"], {}]);\n//# sourceMappingURL=2.js.map'
RSPACK_CHUNK = b"(self.rspackChunk_jupyter_widgets_jupyterlab_manager=self.rspackChunk_jupyter_widgets_jupyterlab_manager||[]).push([[7],{}]);"
ENTRY = b"var _JUPYTERLAB;(()=>{var e={};_JUPYTERLAB['anywidget']=e})();"


@pytest.fixture
def folders(tmp_path: Path) -> tuple[list[str], list[str]]:
    static = tmp_path / "voila-static"
    second = tmp_path / "voila-static-2"
    labext = tmp_path / "labextensions"
    for folder in (static, second, labext / "anywidget" / "static", labext / "@jupyter-widgets" / "jupyterlab-manager" / "static"):
        folder.mkdir(parents=True)
    (static / "5764.voila.js").write_bytes(VOILA_CHUNK)
    (second / "5764.voila.js").write_bytes(b"(self.webpackChunk_X=self.webpackChunk_X||[]).push([[0],{}]);")  # shadowed
    (second / "voila.js").write_bytes(b"(()=>{var runtime=1})();")
    (labext / "anywidget" / "static" / "2.3dbf81c0.js").write_bytes(STRICT_CHUNK)
    (labext / "anywidget" / "static" / "remoteEntry.698dcaf7.js").write_bytes(ENTRY)
    (labext / "@jupyter-widgets" / "jupyterlab-manager" / "static" / "7.2a0c.js").write_bytes(RSPACK_CHUNK)
    (tmp_path / "secret.js").write_bytes(VOILA_CHUNK)  # outside every folder: never read
    return [str(static), str(second)], [str(labext)]


def test_the_list_reads_paths_in_order_once_each():
    text = "# a comment\n\nstatic/1.voila.js\n  static/2.voila.js  # why\nstatic/1.voila.js\n"
    assert preload.listed(text) == ["static/1.voila.js", "static/2.voila.js"]


def test_chunks_go_in_wrapped_and_the_first_folder_wins(folders):
    static, labext = folders
    built = preload.build(["static/5764.voila.js", "labextensions/anywidget/static/2.3dbf81c0.js",
                           "labextensions/@jupyter-widgets/jupyterlab-manager/static/7.2a0c.js"], static, labext)
    assert built.included == ["static/5764.voila.js", "labextensions/anywidget/static/2.3dbf81c0.js",
                              "labextensions/@jupyter-widgets/jupyterlab-manager/static/7.2a0c.js"]
    assert built.missing == [] and built.refused == []
    assert preload.wrap(VOILA_CHUNK) in built.body and preload.wrap(RSPACK_CHUNK) in built.body
    assert b"webpackChunk_X" not in built.body  # the same path in a later folder is not what the server answers
    # the strict file's directive stays at the top of its own function, and no directive opens the script
    assert b'(function () {\n"use strict";' in built.body
    assert not built.body.lstrip().startswith((b'"use strict"', b"'use strict'"))
    # the source map comment cannot swallow the closing of its function
    assert b"2.js.map\n}).call(self);" in built.body
    assert len(built.version) == 20 and built.url == f"{preload.URL_PATH}?v={built.version}"


def test_entry_points_are_refused_and_missing_files_left_out(folders):
    static, labext = folders
    built = preload.build(["static/voila.js", "labextensions/anywidget/static/remoteEntry.698dcaf7.js",
                           "static/9999.voila.js", "static/5764.voila.js"], static, labext)
    assert built.refused == ["static/voila.js", "labextensions/anywidget/static/remoteEntry.698dcaf7.js"]
    assert built.missing == ["static/9999.voila.js"]
    assert built.included == ["static/5764.voila.js"]
    assert ENTRY not in built.body and b"runtime=1" not in built.body


LICENSED_CHUNK = (b"/*! For license information please see 4041.voila.js.LICENSE.txt */\n"
                  b'"use strict";(self.webpackChunk_JUPYTERLAB_CORE_OUTPUT=self.webpackChunk_JUPYTERLAB_CORE_OUTPUT||[])'
                  b".push([[4041],{}]);")
#: a comment, then code that runs at once: not a chunk
LICENSED_ENTRY = b"/*! For license information please see voila.js.LICENSE.txt */\n(()=>{var runtime=1})();"


def test_a_chunk_that_opens_with_a_licence_comment_goes_in_and_keeps_its_directive(folders):
    """Six of Voila's own chunks open with a minifier's licence comment: they are chunks all the same (the
    page fetched them one by one while the comment made them look like entry points)."""
    static, labext = folders
    (Path(static[0]) / "4041.voila.js").write_bytes(LICENSED_CHUNK)
    (Path(static[0]) / "licensed-entry.js").write_bytes(LICENSED_ENTRY)
    built = preload.build(["static/4041.voila.js", "static/licensed-entry.js"], static, labext)
    assert built.included == ["static/4041.voila.js"] and built.refused == ["static/licensed-entry.js"]
    # a directive may follow a comment: the file's function is still strict, and only it
    assert b'(function () {\n/*! For license information please see 4041.voila.js.LICENSE.txt */\n"use strict";' in built.body
    assert b"runtime=1" not in built.body


@pytest.mark.parametrize("path", ["static/../secret.js", "labextensions/../secret.js", "static//etc/passwd",
                                  "other/5764.voila.js", "static/", "/static/5764.voila.js"])
def test_nothing_outside_the_served_folders_is_read(folders, path):
    static, labext = folders
    built = preload.build([path], static, labext)
    assert built.included == [] and built.body == b"" and built.version == "" and built.url == ""


def test_no_list_or_an_unreadable_one_means_no_script(tmp_path, caplog):
    assert preload.from_handlers([], None).url == ""
    missing = preload.from_handlers([], tmp_path / "nowhere.txt")
    assert missing.url == ""
    assert "could not be read" in caplog.text


def test_the_kits_list_is_all_chunks_of_the_installed_voila(caplog):
    """Contract: every path preload.txt names is a chunk the installed Voila and extensions serve.
    After an upgrade that renamed them, this names what to take out (and the browser test, what to add)."""
    from jupyter_server.base.handlers import FileFindHandler
    from voila.paths import collect_static_paths
    from voila.utils import get_voila_labextensions_path

    static = collect_static_paths(["voila", "nbconvert"], "holdingspace")
    labext = get_voila_labextensions_path()
    # the two handlers Voila's app serves them with, as HoldingSpaceVoila hands them to from_handlers
    handlers = [("/voila/static/(.*)", FileFindHandler, {"paths": static}),
                ("/voila/labextensions/(.*)", FileFindHandler, {"path": labext})]
    built = preload.from_handlers(handlers)
    assert built.missing == [] and built.refused == [], (
        f"preload.txt names files this Voila does not serve as chunks: {built.missing + built.refused}")
    assert len(built.included) == len(preload.listed(preload.LIST.read_text(encoding="utf-8"))) >= 50
    assert "left out" not in caplog.text


class PreloadAnswers(tornado.testing.AsyncHTTPTestCase):
    """The handler: gzip when asked, the version as Etag, 304 for a browser that has it, 404 when empty."""

    def get_app(self):
        self.full = preload.Preload(body=b"(function(){}).call(self);\n" * 2000, included=["static/1.voila.js"])
        self.full.compress()
        return tornado.web.Application([
            (r"/holding-space/preload.js", preload.PreloadHandler, {"preload": self.full}),
            (r"/empty/preload.js", preload.PreloadHandler, {"preload": preload.Preload()}),
        ])

    def test_gzip_etag_and_a_year_of_cache(self):
        response = self.fetch(f"/{self.full.url}", headers={"Accept-Encoding": "gzip"}, decompress_response=False)
        assert response.code == 200
        assert response.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(response.body) == self.full.body
        assert response.headers["Etag"] == f'"{self.full.version}"'
        assert "max-age=31536000" in response.headers["Cache-Control"]
        assert response.headers["Content-Type"].startswith("application/javascript")
        plain = self.fetch(f"/{self.full.url}", headers={"Accept-Encoding": "identity"}, decompress_response=False)
        assert plain.code == 200 and "Content-Encoding" not in plain.headers and plain.body == self.full.body
        again = self.fetch(f"/{self.full.url}", headers={"If-None-Match": f'"{self.full.version}"'})
        assert again.code == 304 and again.body == b""
        # the script is hashed once, not at each request (4.5 MB: milliseconds every time)
        hashed = self.full.version
        self.full.body = b"changed"
        assert self.fetch(f"/{preload.URL_PATH}", headers={"If-None-Match": f'"{hashed}"'}).code == 304

    def test_not_compressed_yet_goes_uncompressed(self):
        self.full.gzipped = None
        response = self.fetch(f"/{self.full.url}", headers={"Accept-Encoding": "gzip"}, decompress_response=False)
        assert response.code == 200 and response.body == self.full.body

    def test_an_empty_script_is_not_found(self):
        assert self.fetch("/empty/preload.js").code == 404
