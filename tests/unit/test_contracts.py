"""Contracts with the private parts of Voila, Jupyter Server, Tornado, ipywidgets and IPython that the kit
touches. Each test names one internal and fails loudly, with where the kit uses it, when an upgrade
changes it: the behaviour tests would show the break only as a symptom (a kernel that is never freed,
a page that never loads). docs/architecture.md lists the same internals."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest


def source(obj) -> str:
    return inspect.getsource(obj)


def test_voila_keeps_its_warm_seats_in_pools_of_futures_and_starts_them_in_initialize():
    """Voila 0.5's preheating kernel manager: ``_pools`` (notebook -> list of futures of {"kernel_id": …})
    and ``_initialize(notebook_path, kernel_id, **kwargs)``. Used by voila_app.warm_seats,
    replace_lost_seats, CappedVoilaHandler and AwayBook."""
    from voila import voila_kernel_manager

    code = source(voila_kernel_manager.voila_kernel_manager_factory)
    assert "self._pools: TypeDict[str, List[TypeDict]] = {}" in code or "self._pools" in code
    assert re.search(r"async def _initialize\(\s*self,\s*notebook_path", code), "Voila's _initialize changed"
    assert '"kernel_id"' in code or "'kernel_id'" in code
    assert "def fill_if_needed(" in code and "notebook_name" in code


def test_jupyter_server_keeps_message_buffers_per_kernel_with_their_channels():
    """Jupyter Server's ``MappingKernelManager._kernel_buffers`` (kernel id -> {"channels": {name: stream}})
    and ``kernel_model(id)["connections"]``. Used by voila_app.close_orphaned_buffers and AwayBook."""
    from jupyter_server.services.kernels.kernelmanager import MappingKernelManager

    assert "_kernel_buffers" in MappingKernelManager.class_traits()
    code = source(MappingKernelManager)
    assert '"channels"' in code and "def get_buffer(self, kernel_id, session_key)" in code
    assert '"connections": self._kernel_connections.get(kernel_id, 0)' in source(MappingKernelManager.kernel_model)
    assert inspect.iscoroutinefunction(MappingKernelManager.shutdown_kernel) or "shutdown_kernel" in code


def test_voila_looks_up_template_static_folders_through_a_module_function():
    """``voila.static_file_handler.collect_static_paths(prefixes, template_name)``, replaced by a cached
    copy in HoldingSpaceVoila.listen."""
    import voila.static_file_handler as handler

    parameters = list(inspect.signature(handler.collect_static_paths).parameters)
    assert parameters[:2] == ["app_names", "template_name"], parameters  # (prefixes, template) as the kit calls it
    assert "collect_static_paths(" in source(handler)


def test_tornado_gzip_transform_has_the_parts_cached_gzip_extends():
    """Tornado's ``GZipContentEncoding._gzipping`` and ``_compressible_type``, used by voila_app.CachedGZip."""
    from tornado.web import GZipContentEncoding

    code = source(GZipContentEncoding)
    assert "self._gzipping =" in code and "def _compressible_type(self, ctype" in code
    assert "def transform_first_chunk(" in code and "def transform_chunk(" in code


def test_voila_handlers_are_tuples_with_its_page_handler_last():
    """``Voila.init_handlers()`` returns (pattern, handler, …) tuples, the page handler
    ``TornadoVoilaHandler`` among them and the shutdown beacon at ``voila/api/shutdown/``: HoldingSpaceVoila
    swaps the page handler and puts its away handler before it."""
    from voila.app import Voila

    code = source(Voila.init_handlers)
    assert "TornadoVoilaHandler" in code and "/voila/api/shutdown/(.*)" in code


def test_voilas_page_sends_the_shutdown_beacon_with_the_xsrf_cookie_on_beforeunload():
    """Voila's front end: ``sendBeacon(`${base}voila/api/shutdown/${id}`)`` with an ``_xsrf`` form field on
    ``beforeunload``. bridge.js sends the same on pagehide, and CappedVoilaHandler sets the cookie."""
    import voila

    bundles = list(Path(voila.__file__).parent.glob("labextensions/widgets-manager8/static/*.js"))
    text = "".join(path.read_text(encoding="utf-8", errors="replace") for path in bundles)
    assert 'addEventListener("beforeunload"' in text and "voila/api/shutdown/" in text and '"_xsrf"' in text


def test_a_preheated_kernel_learns_of_its_visitor_as_voila_says():
    """Voila's environment for preheated kernels (VOILA_PREHEAT, VOILA_KERNEL_ID, VOILA_APP_IP,
    VOILA_APP_PORT) and its ``voila/query/<kernel id>`` websocket, used by workshop.visit instead of
    importing voila.utils (46 MiB per kernel)."""
    from voila import utils

    for name in ("VOILA_PREHEAT", "VOILA_KERNEL_ID", "VOILA_APP_IP", "VOILA_APP_PORT"):
        assert getattr(utils.ENV_VARIABLE, name) == name
    code = source(utils.wait_for_request)
    assert "voila/query" in code and 'f"{url}/{kernel_id}"' in code and "VOILA_KERNEL_ID" in code


def test_voilas_lab_template_has_the_blocks_the_kit_template_overrides():
    """The kit's template extends ``lab/index.html.j2`` and overrides ``notebook_css`` and ``body_header``
    (and replaces ``window.voila_process`` to keep its own loading words)."""
    import voila

    roots = [Path(voila.__file__).parent.parent.parent.parent.parent / "share" / "jupyter" / "voila" / "templates" / "lab"]
    template = next((root / "index.html.j2" for root in roots if (root / "index.html.j2").exists()), None)
    assert template is not None, "Voila's lab template was not found where the kit expects it"
    text = template.read_text(encoding="utf-8")
    for block in ("notebook_css", "body_header"):
        assert f"block {block}" in text, f"Voila's lab template has no block {block}"
    assert "voila_process" in "".join(p.read_text(encoding="utf-8", errors="replace") for p in template.parent.glob("*.j2"))


def test_ipywidgets_announces_each_widget_and_applies_browser_state_in_set_state():
    """ipywidgets 8: ``Widget.on_widget_constructed`` (one class-wide callback; console.descriptions) and
    ``Widget.set_state(sync_data)`` followed by the echo (fields._CleanEntry cleans before it)."""
    from ipywidgets import Widget

    assert hasattr(Widget, "_widget_construction_callback") and callable(Widget.on_widget_constructed)
    code = source(Widget.set_state)
    assert "echo_update" in code, "ipywidgets no longer echoes in set_state: fields._CleanEntry's order matters"
    assert list(inspect.signature(Widget.set_state).parameters) == ["self", "sync_data"]


def test_ipywidgets_reports_callback_errors_through_the_shells_showtraceback():
    """ipywidgets calls ``get_ipython().showtraceback()`` for an error in a callback or in applying browser
    state; widgets.errors.install replaces it on the shell so no traceback reaches a participant."""
    from ipywidgets.widgets import widget

    assert "showtraceback" in source(widget)


def test_ipykernel_keeps_the_real_stderr_for_the_server_log():
    """ipykernel's ``OutStream.fileno()`` answers a copy of the real stderr taken before it captured file
    descriptor 2 (``_original_stdstream_copy``); workshop.serverlog writes there, so kernel logs reach the
    server's log, never the page."""
    from ipykernel import iostream

    code = source(iostream.OutStream.fileno)
    assert "_original_stdstream_copy" in code
    assert "self._original_stdstream_copy = os.dup(fno)" in source(iostream.OutStream)


@pytest.mark.parametrize("name", ["_pools", "_kernel_buffers", "on_widget_constructed", "collect_static_paths"])
def test_the_architecture_page_lists_each_internal(name):
    """Does docs/architecture.md name every internal these tests hold the kit to?"""
    page = (Path(__file__).resolve().parents[2] / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert name in page
