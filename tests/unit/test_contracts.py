"""Contracts with the parts of Voila, Jupyter Server, Tornado, ipywidgets and IPython that the kit touches.

Each contract test names one internal, where the kit uses it and why it must stay, and fails loudly when an
upgrade changes it: the behaviour tests would show the break only as a symptom (a kernel that is never freed,
a page that never loads). docs/architecture.md ("Private internals touched") lists the same internals.

The inventory is data, below:

- ``BEFORE``: the thirteen Voila / Jupyter Server / Tornado internals the serving code used before issue 14.
- ``INTERNALS``: those still used (six), each with where and why, and the strings that show the use in the
  kit's files (``test_each_listed_internal_is_still_used`` fails when one is no longer used: drop it then).
- ``RETIRED``: those replaced by an extension point, and what replaced them (``test_no_retired_internal_is_used_again``).
- ``EXTENSION_POINTS``: public parts the kit builds on whose behaviour it relies on; each has a test too.
- ``OTHER_INTERNALS``: ipywidgets, IPython and ipykernel internals of the widgets layer (not serving).

``test_every_private_name_the_serving_code_touches_is_its_own_or_listed`` reads every ``._name`` in
workshop/serving/*.py: each is the kit's own or listed here, so a new one cannot slip in unlisted.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVING = ROOT / "workshop" / "serving"


def source(obj) -> str:
    return inspect.getsource(obj)


@dataclass(frozen=True)
class Internal:
    name: str
    owner: str
    #: file (from the checkout's root) -> a string that shows the kit uses the internal there
    used_in: dict
    why: str


#: before issue 14 (point 4): the serving code's Voila / Jupyter Server / Tornado internals
BEFORE = (
    "voila.static_file_handler.collect_static_paths replaced (module global)",
    "MappingKernelManager._kernel_buffers (read, entries popped, streams closed)",
    "VoilaKernelManager._pools (read; a dead seat popped)",
    "VoilaKernelManager._initialize (wrapped on the instance)",
    "shutdown_kernel replaced on the kernel manager instance",
    "GZipContentEncoding._gzipping",
    "GZipContentEncoding._compressible_type",
    "the shape of Voila.init_handlers()'s list (page handler swapped, away handler put before it)",
    "app.listen wrapped on Voila's Tornado application (max_body_size)",
    "VOILA_PREHEAT / VOILA_KERNEL_ID / VOILA_APP_IP / VOILA_APP_PORT and the voila/query/<kernel> websocket",
    "voila/api/shutdown/<kernel> beacon with an _xsrf form field",
    "the lab template's blocks (notebook_css, body_header, super.super()) and window.voila_process",
    "model.widget_manager.kernel (statusChanged, connectionStatusChanged, reconnect, serverSettings)",
)

INTERNALS = (
    Internal(
        "VoilaKernelManager._pools (read; a dead seat popped) and fill_if_needed",
        "Voila 0.5",
        {"workshop/serving/kernels.py": "._pools"},
        "Nothing public says which kernels are warm seats waiting in the pool, or takes a dead seat out of it: "
        "HoldingSpaceKernelManager.warm_seats (the cap, the away book) reads it, kernel_lost pops a dead seat "
        "at once so no newcomer is handed it, and fill_if_needed warms a fresh one.",
    ),
    Internal(
        "the shape of Voila.init_handlers()'s list: (pattern, handler, kwargs) tuples, the page handler "
        "TornadoVoilaHandler last, TemplateStaticFileHandler at voila/templates/",
        "Voila",
        {"workshop/serving/voila_app.py": "super().init_handlers()"},
        "Voila has no setting for its page or template static handler, and its page handler answers every "
        "path left: HoldingSpaceVoila.init_handlers swaps in CappedVoilaHandler (the room's cap, the _xsrf "
        "cookie) and TemplateStaticHandler (cached folders), and puts AwayHandler before the page handler.",
    ),
    Internal(
        "VOILA_PREHEAT, VOILA_KERNEL_ID, VOILA_APP_IP, VOILA_APP_PORT and the voila/query/<kernel> websocket",
        "Voila",
        {"workshop/visit.py": "voila/query/"},
        "A warm seat learns of its visitor only this way; workshop.visit speaks it instead of importing "
        "voila.utils (46 MiB and 1.8 s a kernel).",
    ),
    Internal(
        "the shutdown beacon POST voila/api/shutdown/<kernel> with an _xsrf form field",
        "Voila",
        {"widgets/bridge.js": "voila/api/shutdown/", "workshop/serving/voila_app.py": "self.xsrf_token"},
        "It is how a closed tab frees its kernel: bridge.js sends it on pagehide (phones fire no "
        "beforeunload), and CappedVoilaHandler sets the _xsrf cookie Voila's page never sets "
        "(docs/upstream.md, report 1).",
    ),
    Internal(
        "the lab template's blocks notebook_css and body_header (super.super()) and window.voila_process",
        "Voila templates",
        {"workshop/serving/jupyter/voila/templates/holdingspace/index.html.j2": "super.super()"},
        "The kit's template must drop the lab block's CDN link (Font Awesome) and keep its own loading words; "
        "Voila's template has no option for either.",
    ),
    Internal(
        "model.widget_manager.kernel (statusChanged, connectionStatusChanged, reconnect, id, serverSettings)",
        "Voila's widget manager, @jupyterlab/services",
        {"widgets/bridge.js": "manager.kernel"},
        "The page can tell a lost kernel from a dropped line, reconnect at once, and address the away and "
        "shutdown beacons only through the kernel connection; anywidget exposes no other. JavaScript: "
        "test_voilas_widget_manager_still_hands_its_kernel_to_the_widgets checks the bundle; tests/browser/"
        "test_faults.py and test_vanishing.py fail on a break.",
    ),
)

#: internals issue 15 added (forked seats, seats that follow the room, templates compiled once), each held below
ADDED_BY_ISSUE_15 = (
    Internal(
        "voila.notebook_renderer.VoilaExporter (module global replaced by rendering.CachedVoilaExporter)",
        "Voila 0.5",
        {"workshop/serving/rendering.py": "notebook_renderer.VoilaExporter = CachedVoilaExporter"},
        "Voila builds every seat's page with a new exporter, whose new Jinja environment compiled the whole chain "
        "of templates again (37 % of the server's CPU while warming seats), and offers no setting for the exporter. "
        "The subclass gives each environment a shared bytecode cache through public parts only (nbconvert's "
        "environment property, Jinja's Environment.bytecode_cache).",
    ),
    Internal(
        "VoilaKernelManager.notebook_path and kernel_pools_config[\"default\"][\"pool_size\"] changed while running",
        "Voila 0.5",
        {"workshop/serving/kernels.py": "kernel_pools_config"},
        "The pool's size is a setting Voila reads at each fill_if_needed; HoldingSpaceKernelManager.ramp changes "
        "it as the room arrives and calms (nothing public resizes a pool), for the notebook Voila serves.",
    ),
    Internal(
        "the code chunks of Voila's and the widget extensions' builds: webpack/rspack chunks pushed onto "
        "self.webpackChunk…/self.rspackChunk… before a runtime starts are installed by it and not fetched; "
        "the lab template's body_footer block; the folders of Voila's voila/static and voila/labextensions handlers",
        "Voila 0.5's and the extensions' webpack and rspack builds, Voila templates",
        {"workshop/serving/preload.py": "Chunk", "workshop/serving/voila_app.py": "preload.from_handlers(handlers",
         "workshop/serving/jupyter/voila/templates/holdingspace/index.html.j2": "block body_footer"},
        "A first page fetched 88 chunks one by one (97 static requests a join; two thirds of the participant "
        "server's CPU per join in a storm). Neither Voila nor the bundles offer a joined build; preload.py joins "
        "the chunks a first page needs into one script the template runs before voila.js. A chunk the script "
        "lacks is fetched as before; tests/browser/test_preload.py names it.",
    ),
    Internal(
        "MappingKernelManager.start_watching_activity's kernel._activity_stream (the stream "
        "stop_watching_activity closes)",
        "Jupyter Server 2",
        {"workshop/serving/kernels.py": "kernel._activity_stream = kernel.connect_iopub()"},
        "Jupyter Server's activity watch decoded every message a kernel published in full (dates parsed by "
        "dateutil) to read two message types: a fifth of the server's CPU while a seat warmed. "
        "HoldingSpaceKernelManager.start_watching_activity, a public method of the class Voila builds on, makes "
        "the same decisions from the headers alone and leaves the stream where Jupyter Server's "
        "stop_watching_activity closes it. test_serving_kernels.py compares the two on the same messages.",
    ),
)

#: retired internal -> (what replaced it, strings that must not come back in workshop/serving/*.py)
RETIRED = {
    BEFORE[0]: ("static.TemplateStaticHandler, a Tornado StaticFileHandler in Voila's handler's place, "
                "asking the public voila.paths.collect_static_paths once per template",
                ("static_file_handler.collect_static_paths",)),
    BEFORE[1]: ("HoldingSpaceKernelManager.start_buffering: buffering begun during a shutdown is stopped "
                "(the public stop_buffering closes the channels)", ("_kernel_buffers",)),
    BEFORE[3]: ("HoldingSpaceKernelManager.start_kernel: Voila starts each warm seat through the base "
                "class's start_kernel", ("_initialize",)),
    BEFORE[4]: ("HoldingSpaceKernelManager.shutdown_kernel, a method of the class Voila builds on",
                (".shutdown_kernel =", "manager.shutdown_kernel=")),
    BEFORE[5]: ("static.CachedGZip reads Accept-Encoding itself", ("_gzipping",)),
    BEFORE[6]: ("static.CachedGZip.compressible, from Tornado's public CONTENT_TYPES", ("_compressible_type",)),
    BEFORE[8]: ("HTTPServer.configure(None, max_body_size=…), Tornado's documented defaults", (".listen =", "app.listen=")),
}


@dataclass(frozen=True)
class ExtensionPoint:
    name: str
    used_in: str


#: public parts the kit builds on, whose behaviour (not only their names) it relies on
EXTENSION_POINTS = (
    ExtensionPoint("VoilaConfiguration.multi_kernel_manager_class, the base of voila_kernel_manager_factory's class",
                   "HoldingSpaceVoila.initialize, server.voila_command"),
    ExtensionPoint("VoilaKernelManager starts warm seats with super().start_kernel and frees them with "
                   "super().shutdown_kernel", "HoldingSpaceKernelManager.start_kernel, shutdown_kernel"),
    ExtensionPoint("MappingKernelManager.start_buffering / stop_buffering: called when a kernel's last websocket "
                   "closes; stop_buffering closes the channels", "HoldingSpaceKernelManager.start_buffering"),
    ExtensionPoint("--VoilaKernelManager.fill_delay, --MappingKernelManager.cull_*: configuration by class name",
                   "server.voila_command"),
    ExtensionPoint("Voila.listen() runs once Voila built self.app (Application.add_transform, settings)",
                   "HoldingSpaceVoila.listen"),
    ExtensionPoint("tornado.httpserver.HTTPServer.configure(None, max_body_size=…)", "HoldingSpaceVoila.listen"),
    ExtensionPoint("GZipContentEncoding.CONTENT_TYPES and OutputTransform.transform_first_chunk / transform_chunk",
                   "static.CachedGZip"),
    ExtensionPoint("voila.paths.collect_static_paths(prefixes, template)", "static.template_static_roots"),
    ExtensionPoint("Voila.kernel_websocket_connection_class (Jupyter Server's setting): prepare() awaits "
                   "request_kernel_info(), connect() awaits nudge() after create_stream() before forwarding; "
                   "ipykernel 7's IOPub welcome (JEP 65)", "kernels.WelcomingConnection, QuickReadyClient"),
)

#: the widgets layer's internals (ipywidgets, IPython, ipykernel); tested at the end of this file
OTHER_INTERNALS = (
    "Widget.set_state overridden: widgets.fields._CleanEntry",
    "shell.showtraceback replaced: widgets.errors.install",
    "ipykernel's sys.stderr.fileno() is the real stderr: workshop.serverlog.stream",
    "ipywidgets.widgets.widget._instances and _remove_buffers, request_states answered: widgets.quiet_comms",
)


def _read(relative: str) -> str:
    return (ROOT / relative).read_text(encoding="utf-8")


def _serving_code() -> dict[str, str]:
    return {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8") for path in sorted(SERVING.glob("*.py"))}


# ------------------------------------------------------------------ the inventory
def test_fewer_internals_than_before_and_each_says_why():
    """Is the serving code down from thirteen internals, with a reason for each that stays?"""
    assert len(BEFORE) == 13
    assert len(INTERNALS) < len(BEFORE), "issue 14 asked for fewer Voila / Jupyter Server internals than 13"
    assert len(INTERNALS) + len(RETIRED) == len(BEFORE), "each internal of BEFORE is either kept or retired"
    assert len(INTERNALS) + len(ADDED_BY_ISSUE_15) < len(BEFORE), "still fewer than before issue 14"
    kept = {BEFORE[i] for i in range(len(BEFORE)) if BEFORE[i] not in RETIRED}
    assert len(kept) == len(INTERNALS)
    for internal in (*INTERNALS, *ADDED_BY_ISSUE_15):
        assert internal.why and internal.used_in, internal.name


@pytest.mark.parametrize("internal", (*INTERNALS, *ADDED_BY_ISSUE_15), ids=lambda internal: internal.name.split()[0])
def test_each_listed_internal_is_still_used(internal: Internal):
    """Does the kit still use each internal listed (else the list is stale: remove it)?"""
    for relative, marker in internal.used_in.items():
        assert marker in _read(relative), (
            f"{relative} no longer uses {internal.name!r} ({marker!r}): take it out of INTERNALS in "
            f"tests/unit/test_contracts.py and docs/architecture.md")


@pytest.mark.parametrize("retired", list(RETIRED), ids=lambda name: name.split()[0])
def test_no_retired_internal_is_used_again(retired: str):
    """Is each internal replaced by an extension point gone from the serving code for good?"""
    replacement, markers = RETIRED[retired]
    for relative, text in _serving_code().items():
        for marker in markers:
            assert marker not in text, (
                f"{relative} uses {retired!r} again ({marker!r}); it was replaced by {replacement}. "
                "Use that, or list the internal in INTERNALS with why it must stay.")


# names of Voila's, Jupyter Server's and Tornado's own private parts the listed internals cover
LISTED_PRIVATE_NAMES = {"_pools", "_activity_stream"}
#: Python's own documented functions whose names begin with an underscore (not another package's internals)
DOCUMENTED_STDLIB = {"_exit"}  # os._exit: how a forked child ends without running the parent's clean-up


def _kit_defined_private_names(text: str) -> set[str]:
    """Private names the kit's own code defines: methods, functions, attributes it assigns, class attributes."""
    defined = set(re.findall(r"\bdef (_\w+)", text))
    defined |= set(re.findall(r"\bself\.(_\w+)\s*(?::[^=\n]+)?=(?!=)", text))
    defined |= set(re.findall(r"^\s*(_\w+)\s*(?::[^=\n]+)?=(?!=)", text, re.M))
    return defined


def test_every_private_name_the_serving_code_touches_is_its_own_or_listed():
    """Is each ``._name`` in workshop/serving/*.py defined by the kit itself or listed in INTERNALS?"""
    code = _serving_code()
    own = set().union(*(_kit_defined_private_names(text) for text in code.values()))
    unlisted = {}
    for relative, text in code.items():
        for name in set(re.findall(r"\.(_[A-Za-z]\w*)", text)):
            if name.startswith("__") or name in own or name in LISTED_PRIVATE_NAMES | DOCUMENTED_STDLIB:
                continue
            unlisted.setdefault(relative, []).append(name)
    assert not unlisted, (
        f"private names of another package used in the serving code: {unlisted}. Use an extension point, or "
        "add the internal to INTERNALS (and LISTED_PRIVATE_NAMES) with where and why, and a contract test.")


@pytest.mark.parametrize("name", ["_pools", "init_handlers", "voila/query", "voila/api/shutdown", "super.super()",
                                  "widget_manager.kernel", "set_state", "HoldingSpaceKernelManager",
                                  "notebook_renderer.VoilaExporter", "kernel_pools_config", "ForkingProvisioner",
                                  "webpackChunk", "body_footer", "_activity_stream",
                                  "kernel_websocket_connection_class"])
def test_the_architecture_page_lists_each_internal(name):
    """Does docs/architecture.md name every internal these tests hold the kit to?"""
    page = _read("docs/architecture.md")
    assert name in page, f"docs/architecture.md does not mention {name}"


# ------------------------------------------------------------------ the internals that stay
def test_voila_keeps_its_warm_seats_in_pools_of_futures():
    """INTERNAL ``VoilaKernelManager._pools``: notebook -> list of futures of {"kernel_id": …}, popped from the front
    when a page takes a seat; ``fill_if_needed(delay=…, notebook_name=…)`` tops a pool up. Used by
    HoldingSpaceKernelManager.warm_seats (the cap, the away book) and kernel_lost (a dead seat leaves the pool)."""
    from voila import voila_kernel_manager

    code = source(voila_kernel_manager.voila_kernel_manager_factory)
    assert "self._pools: TypeDict[str, List[TypeDict]] = {}" in code or "self._pools = {}" in code, (
        "Voila's VoilaKernelManager no longer keeps its warm seats in self._pools: "
        "HoldingSpaceKernelManager.warm_seats cannot tell warm seats from participants' kernels (cap, away book)")
    assert "self._pools[notebook_name].pop(0)" in code, "Voila no longer hands out the first seat of a pool"
    assert re.search(r'return \{"task": task, "renderer": renderer, "kernel_id": kernel_id\}', code), (
        "a pool's futures no longer resolve to a dict with 'kernel_id'")
    parameters = inspect.signature(_factory_class(True).fill_if_needed).parameters
    assert {"delay", "notebook_name"} <= set(parameters), "VoilaKernelManager.fill_if_needed changed its arguments"


def test_voila_routes_are_tuples_with_the_handlers_the_kit_replaces():
    """INTERNAL the shape of ``Voila.init_handlers()``: (pattern, handler, kwargs…) tuples, the page handler
    ``TornadoVoilaHandler`` answering every path left, ``TemplateStaticFileHandler`` at voila/templates/, the
    beacon at ``voila/api/shutdown/``. HoldingSpaceVoila.init_handlers swaps two handlers and inserts AwayHandler."""
    from voila.app import Voila

    code = source(Voila.init_handlers)
    assert "TornadoVoilaHandler" in code and r'r"/(.*)"' in code, "Voila's page handler is no longer TornadoVoilaHandler at /(.*)"
    assert 'r"/voila/templates/(.*)"' in code and "TemplateStaticFileHandler" in code, (
        "Voila no longer serves template static files with TemplateStaticFileHandler: TemplateStaticHandler is not used")
    assert "/voila/api/shutdown/(.*)" in code, "Voila's shutdown beacon moved"
    assert "self.app.add_handlers" in source(Voila.start), "Voila no longer adds init_handlers() to its application"


def test_a_preheated_kernel_learns_of_its_visitor_as_voila_says():
    """INTERNAL Voila's environment for preheated kernels (VOILA_PREHEAT, VOILA_KERNEL_ID, VOILA_APP_IP,
    VOILA_APP_PORT) and its ``voila/query/<kernel id>`` websocket, used by workshop.visit instead of
    importing voila.utils (46 MiB per kernel)."""
    from voila import utils

    for name in ("VOILA_PREHEAT", "VOILA_KERNEL_ID", "VOILA_APP_IP", "VOILA_APP_PORT"):
        assert getattr(utils.ENV_VARIABLE, name) == name, f"Voila renamed {name}: workshop.visit would never hear its visitor"
    code = source(utils.wait_for_request)
    assert "voila/query" in code and 'f"{url}/{kernel_id}"' in code and "VOILA_KERNEL_ID" in code, (
        "Voila changed how a preheated kernel hears of its request (voila/query/<kernel>): update workshop.visit")


def test_voilas_page_sends_the_shutdown_beacon_with_the_xsrf_cookie_on_beforeunload():
    """INTERNAL Voila's front end: ``sendBeacon(`${base}voila/api/shutdown/${id}`)`` with an ``_xsrf`` form field
    on ``beforeunload``, and its handler, an authenticated POST. bridge.js sends the same on pagehide, and
    CappedVoilaHandler sets the cookie Voila's page never sets (docs/upstream.md, report 1)."""
    import voila
    from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler

    bundles = list(Path(voila.__file__).parent.glob("labextensions/widgets-manager8/static/*.js"))
    text = "".join(path.read_text(encoding="utf-8", errors="replace") for path in bundles)
    assert 'addEventListener("beforeunload"' in text and "voila/api/shutdown/" in text and '"_xsrf"' in text, (
        "Voila's page no longer sends its shutdown beacon with _xsrf: check bridge.js's pagehide beacon")
    assert "shutdown_kernel(kernel_id)" in source(VoilaShutdownKernelHandler.post)


def test_voilas_lab_template_has_the_blocks_the_kit_template_overrides():
    """INTERNAL the kit's template extends ``lab/index.html.j2`` and overrides ``notebook_css`` (``super.super()``
    skips the lab block's CDN link), ``body_header`` and ``body_footer`` (the preload script before voila.js), and
    replaces ``window.voila_process`` (its own loading words)."""
    import voila

    roots = [Path(voila.__file__).parent.parent.parent.parent.parent / "share" / "jupyter" / "voila" / "templates" / "lab"]
    template = next((root / "index.html.j2" for root in roots if (root / "index.html.j2").exists()), None)
    assert template is not None, "Voila's lab template was not found where the kit expects it"
    text = template.read_text(encoding="utf-8")
    for block in ("notebook_css", "body_header", "body_footer"):
        assert f"block {block}" in text, f"Voila's lab template has no block {block}"
    assert "voila_process" in "".join(p.read_text(encoding="utf-8", errors="replace") for p in template.parent.glob("*.j2"))
    # the kit's body_footer repeats the lab block's (the preload script goes just before voila.js)
    footer = text.split("block body_footer", 1)[1].split("endblock body_footer", 1)[0]
    for line in ("window.voila_finish();", "{{ voila_setup_labextensions(resources.base_url, resources.labextensions) }}",
                 "{{ super() }}"):
        assert line in footer, f"Voila's lab template's body_footer changed ({line!r}): update the kit's copy"


def test_jupyter_servers_activity_watch_is_the_one_the_kits_copies():
    """INTERNAL ``kernel._activity_stream``, and the decisions of Jupyter Server's ``start_watching_activity``
    that HoldingSpaceKernelManager.start_watching_activity makes from less of each message. A change here
    (a new message type read, a new state, the stream kept elsewhere) must be made in the kit's copy too."""
    from jupyter_server.services.kernels.kernelmanager import MappingKernelManager

    watch = source(MappingKernelManager.start_watching_activity)
    for line in ("kernel._activity_stream = kernel.connect_iopub()",
                 "msg = session.deserialize(fed_msg_list, content=False)",
                 'msg_type = msg["header"]["msg_type"]',
                 "self.track_message_type(msg_type)",
                 "or self.track_message_type(parent_msg_type)",
                 'or kernel.execution_state == "busy"',
                 'if msg_type == "status":',
                 'execution_state = msg["content"]["execution_state"]',
                 'elif kernel.execution_state == "starting" and execution_state != "starting":',
                 'kernel.execution_state = "idle"',
                 "kernel._activity_stream.on_recv(record_activity)"):
        assert line in watch, f"Jupyter Server's activity watch changed ({line!r} is gone): update the kit's copy"
    assert watch.count("kernel.") == 13 and watch.count("self.") == 8, (
        "Jupyter Server's activity watch reads or sets something new: update HoldingSpaceKernelManager's copy")
    assert "kernel._activity_stream" in source(MappingKernelManager.stop_watching_activity), (
        "stop_watching_activity no longer closes kernel._activity_stream: the kit's watch would never be closed")


def test_voilas_bundles_install_the_chunks_pushed_before_their_runtime_starts():
    """INTERNAL webpack 5's and rspack's JSONP chunk loading, as Voila's ``voila.js`` and each extension's
    ``remoteEntry`` are built: the runtime takes every entry already pushed onto its chunk array on ``self``
    (``chunkLoadingGlobal.forEach(webpackJsonpCallback…)``, minified) and marks those chunks installed, so the
    preload script's chunks are never fetched. Voila's handlers serve them from ``paths`` / ``path`` folders."""
    import voila
    from voila.app import Voila

    from workshop.serving import preload

    share = Path(voila.__file__).parent.parent.parent.parent.parent / "share" / "jupyter"
    runtimes = [share / "voila" / "templates" / "base" / "static" / "voila.js",
                *share.glob("labextensions/**/static/remoteEntry.*.js"),
                *Path(voila.__file__).parent.glob("labextensions/*/static/remoteEntry.*.js")]
    assert len(runtimes) >= 4
    for runtime in runtimes:
        text = runtime.read_text(encoding="utf-8", errors="replace")
        array = re.search(r"""self(?:\.|\[["'])((?:webpack|rspack)Chunk[\w@/.-]*)""", text)
        assert array, f"{runtime.name} loads no chunks from an array on self: the preload script's chunks would be fetched again"
        # the array's entries already there are handed to the chunk callback when the runtime starts
        assert re.search(r"\.forEach\(\w+\.bind\(null,\s*0\)\)", text), (
            f"{runtime.name}: the runtime no longer installs chunks pushed before it started (preload.py)")
    for name in preload.listed(preload.LIST.read_text(encoding="utf-8")):
        assert name.startswith(("static/", "labextensions/")), name
    code = source(Voila.init_handlers)
    assert '"paths": self.static_paths' in code and '"path": self.labextensions_path' in code, (
        "Voila's static and labextensions handlers no longer take their folders as paths / path: preload.from_handlers "
        "finds no chunk")


def test_voilas_widget_manager_still_hands_its_kernel_to_the_widgets():
    """INTERNAL ``model.widget_manager.kernel``: Voila's widget manager is built on a @jupyterlab/services
    ``KernelConnection`` (statusChanged, connectionStatusChanged, reconnect). bridge.js watches it."""
    import voila

    bundles = list(Path(voila.__file__).parent.glob("labextensions/widgets-manager8/static/*.js"))
    text = "".join(path.read_text(encoding="utf-8", errors="replace") for path in bundles)
    assert "get kernel()" in text, "Voila's widget manager no longer has a kernel property: bridge.js finds no kernel"
    assert "KernelConnection(" in text, (
        "Voila's widget manager no longer holds a KernelConnection: bridge.js's connection watch and beacons break")
    for name in ("connectionStatusChanged", "statusChanged", "reconnect"):
        assert name in text, f"the kernel connection has no {name}: bridge.js uses it"


def test_ipywidgets_draws_layouts_as_child_views_through_the_managers_create_view():
    """INTERNAL (of @jupyter-widgets/base, as the page runs it): a widget view draws its Layout and Style
    through ``create_child_view``, which calls the page widget manager's public ``create_view(model,
    {parent: view, ...})``, and a removed view triggers ``remove``. bridge.js wraps ``create_view`` on the
    page's manager to remove each Layout and Style view when its parent view goes (ipywidgets leaves them
    listening to their models, which the kit shares: each move was slower than the last)."""
    import re

    from voila.utils import get_voila_labextensions_path

    bundles = [path for folder in get_voila_labextensions_path()
               for path in Path(folder).glob("@jupyter-widgets/jupyterlab-manager/static/*.js")]
    text = "".join(path.read_text(encoding="utf-8", errors="replace") for path in bundles)
    assert re.search(r"create_child_view\((\w+),(\w+)=\{\}\)\{return \2=Object\.assign\(\{parent:this\},\2\),"
                     r"this\.model\.widget_manager\.create_view\(\1,\2\)", text), (
        "create_child_view no longer goes through widget_manager.create_view with the parent view: see bridge.js")
    assert re.search(r"setLayout\(\w+,\w+\)\{[^}]*this\.create_child_view\(", text), "layouts are no longer child views"
    assert 'remove(){return super.remove(),this.trigger("remove"),this}' in text, "a removed view no longer says so"


# ------------------------------------------------------------------ the extension points relied on
def _factory_class(preheat: bool):
    from voila.voila_kernel_manager import voila_kernel_manager_factory

    from workshop.serving.kernels import HoldingSpaceKernelManager

    return voila_kernel_manager_factory(HoldingSpaceKernelManager, preheat, 1)


def test_voila_builds_its_kernel_manager_on_the_configured_class():
    """EXTENSION POINT ``VoilaConfiguration.multi_kernel_manager_class`` is the base of the class Voila makes
    (``voila_kernel_manager_factory``), with warm seats or without, and its config keeps the name
    ``VoilaKernelManager`` (``--VoilaKernelManager.fill_delay``)."""
    from voila.app import Voila

    from workshop.serving.kernels import HoldingSpaceKernelManager

    assert "self.voila_configuration.multi_kernel_manager_class" in source(Voila.init_settings)
    for preheat in (True, False):
        assert issubclass(_factory_class(preheat), HoldingSpaceKernelManager)
    assert _factory_class(True).__name__ == "VoilaKernelManager", "--VoilaKernelManager.fill_delay no longer applies"
    assert _factory_class(True).__mro__[1] is HoldingSpaceKernelManager


def test_voila_starts_and_frees_warm_seats_through_the_base_class():
    """EXTENSION POINT Voila's pool starts each seat with ``super().start_kernel`` and frees kernels with
    ``super().shutdown_kernel``: HoldingSpaceKernelManager watches every seat and closes buffers from there."""
    from voila import voila_kernel_manager

    code = source(voila_kernel_manager.voila_kernel_manager_factory)
    assert "await super().start_kernel(" in code, (
        "Voila no longer starts its warm seats through the base class: HoldingSpaceKernelManager.start_kernel "
        "would not watch them (a dead seat would be handed out)")
    assert "super().shutdown_kernel(kernel_id" in code
    preheating = _factory_class(True)
    for name in ("start_kernel", "start_buffering"):
        assert name not in vars(preheating), f"Voila's manager overrides {name} itself now: the kit's would not run"


def test_jupyter_server_buffers_a_closed_websocket_through_start_buffering():
    """EXTENSION POINT Jupyter Server calls ``start_buffering(kernel_id, session_key, channels)`` when a kernel's
    last websocket closes, and ``stop_buffering(kernel_id)`` closes those channels; a shutdown stops buffering
    first (which is why buffering begun during a shutdown outlived it: docs/upstream.md, report 2)."""
    from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
    from jupyter_server.services.kernels.kernelmanager import MappingKernelManager

    assert list(inspect.signature(MappingKernelManager.start_buffering).parameters) == [
        "self", "kernel_id", "session_key", "channels"]
    assert list(inspect.signature(MappingKernelManager.stop_buffering).parameters) == ["self", "kernel_id"]
    assert "stream.close()" in source(MappingKernelManager.stop_buffering), "stop_buffering no longer closes the channels"
    assert "self.multi_kernel_manager.start_buffering(" in source(ZMQChannelsWebsocketConnection.disconnect)
    assert "self.stop_buffering(kernel_id)" in source(MappingKernelManager._async_shutdown_kernel)
    assert '"connections": self._kernel_connections.get(kernel_id, 0)' in source(MappingKernelManager.kernel_model)


def test_jupyter_server_proves_a_websocket_through_request_kernel_info_and_nudge():
    """EXTENSION POINT Voila hands ``kernel_websocket_connection_class`` to Jupyter Server, whose kernel websocket
    handler builds one per page with the kernel's manager as parent; ``prepare()`` awaits
    ``request_kernel_info()`` (a future of the kernel's info) and ``connect()`` makes the channels with
    ``create_stream()``, then forwards the kernel's messages only once ``nudge()``'s future is done. The kit's
    WelcomingConnection answers the first from the readiness proof and ends the second at the kernel's welcome
    (tests/unit/test_welcoming_connection.py runs both against real kernels)."""
    from jupyter_server.services.kernels.connection.base import BaseKernelWebsocketConnection
    from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
    from jupyter_server.services.kernels.websocket import KernelWebsocketHandler
    from voila.app import Voila

    from workshop.serving.kernels import WelcomingConnection
    from workshop.serving.voila_app import HoldingSpaceVoila

    assert Voila.class_traits()["kernel_websocket_connection_class"].klass is BaseKernelWebsocketConnection
    assert '"kernel_websocket_connection_class": self.kernel_websocket_connection_class' in source(Voila.init_settings)
    assert "self.kernel_websocket_connection_class(\n            parent=kernel," in source(KernelWebsocketHandler.pre_get)
    assert HoldingSpaceVoila().kernel_websocket_connection_class is WelcomingConnection
    prepare = source(ZMQChannelsWebsocketConnection.prepare)
    assert "future = self.request_kernel_info()" in prepare and "await asyncio.wrap_future(future)" in prepare
    connect = source(ZMQChannelsWebsocketConnection.connect)
    assert connect.index("self.create_stream()") < connect.index("connected = self.nudge()")
    assert "connected.add_done_callback(subscribe)" in connect
    assert "stream.on_recv_stream(self.handle_outgoing_message)" in connect
    assert 'self.channels[channel] = stream = meth(identity=identity)' in source(ZMQChannelsWebsocketConnection.create_stream)
    assert "protocol_version != client_protocol_version" in source(ZMQChannelsWebsocketConnection._finish_kernel_info)


def test_voila_calls_listen_once_its_application_is_built():
    """EXTENSION POINT ``Voila.start()`` builds ``self.app`` (with init_handlers()) and then calls ``self.listen()``,
    which starts the server with ``self.app.listen``: HoldingSpaceVoila.listen adds the gzip transform and the
    away reaper there, and sets the body limit (``HTTPServer.configure``) before it."""
    import tornado.httpserver
    from voila.app import Voila

    code = source(Voila.start)
    assert code.index("self.app = tornado.web.Application(") < code.index("self.listen()")
    assert "self.app.listen(" in source(Voila.listen)
    assert "max_body_size" in inspect.signature(tornado.httpserver.HTTPServer.initialize).parameters
    assert issubclass(tornado.httpserver.HTTPServer, tornado.util.Configurable)


def test_tornado_gzip_transform_keeps_its_public_parts():
    """EXTENSION POINT ``GZipContentEncoding``: ``CONTENT_TYPES``, ``transform_first_chunk`` and
    ``transform_chunk``, which static.CachedGZip extends."""
    from tornado.web import GZipContentEncoding

    assert "application/javascript" in GZipContentEncoding.CONTENT_TYPES
    assert list(inspect.signature(GZipContentEncoding.transform_first_chunk).parameters) == [
        "self", "status_code", "headers", "chunk", "finishing"]
    assert list(inspect.signature(GZipContentEncoding.transform_chunk).parameters) == ["self", "chunk", "finishing"]


def test_voila_finds_a_templates_static_folders_with_collect_static_paths():
    """EXTENSION POINT ``voila.paths.collect_static_paths(app_names, template_name)``, asked once per template by
    static.template_static_roots (Voila's own handler asks it twice a request)."""
    from voila import paths

    parameters = list(inspect.signature(paths.collect_static_paths).parameters)
    assert parameters[:2] == ["app_names", "template_name"], parameters


# ------------------------------------------------------------------ the widgets layer's internals
def test_ipywidgets_applies_browser_state_in_set_state_before_its_echo():
    """ipywidgets 8: ``Widget.set_state(sync_data)`` followed by the echo (fields._CleanEntry cleans before it).
    (``Widget.on_widget_constructed`` is no longer used: the console builds no participant widget.)"""
    from ipywidgets import Widget

    code = source(Widget.set_state)
    assert "echo_update" in code, "ipywidgets no longer echoes in set_state: fields._CleanEntry's order matters"
    assert list(inspect.signature(Widget.set_state).parameters) == ["self", "sync_data"]


def test_ipywidgets_reports_callback_errors_through_the_shells_showtraceback():
    """ipywidgets calls ``get_ipython().showtraceback()`` for an error in a callback or in applying browser
    state; widgets.errors.install replaces it on the shell so no traceback reaches a participant."""
    from ipywidgets.widgets import widget

    assert "showtraceback" in source(widget)


def test_ipywidgets_answers_request_states_from_its_live_widgets_as_quiet_comms_does():
    """INTERNAL ``ipywidgets.widgets.widget._instances`` (model id -> every live widget) and ``_remove_buffers``
    (state -> state without binary buffers, their paths, the buffers). widgets.quiet_comms answers the page's
    ``request_states`` itself, from states prepared while the seat waited: the same models in the same order
    and shape as ipywidgets 8's handler, whose own answer works every state out twice."""
    from ipywidgets import Button, Widget
    from ipywidgets.widgets import widget

    code = source(Widget._handle_control_comm_msg)
    for part in ("'request_states'", "_instances.values()", "'model_name'", "'model_module'",
                 "'model_module_version'", "get_state(drop_defaults=drop_defaults)", "_remove_buffers(full_state)",
                 "method='update_states'", "buffer_paths=buffer_paths", "buffers=buffers"):
        assert part in code, f"ipywidgets' request_states answer changed ({part!r} is gone): see widgets/quiet_comms.py"
    button = Button(description="contract")
    try:
        assert widget._instances[button.model_id] is button, "_instances no longer maps model ids to live widgets"
        state, paths, buffers = widget._remove_buffers({"b": memoryview(b"xy"), "s": "text"})
        assert state == {"s": "text"} and paths == [["b"]] and len(buffers) == 1
    finally:
        button.close()


def test_ipykernel_keeps_the_real_stderr_for_the_server_log():
    """ipykernel's ``OutStream.fileno()`` answers a copy of the real stderr taken before it captured file
    descriptor 2 (``_original_stdstream_copy``); workshop.serverlog writes there, so kernel logs reach the
    server's log, never the page."""
    from ipykernel import iostream

    code = source(iostream.OutStream.fileno)
    assert "_original_stdstream_copy" in code
    assert "self._original_stdstream_copy = os.dup(fno)" in source(iostream.OutStream)


# ------------------------------------------------------------------ issue 15: forked seats, the room's pool, templates
def test_voila_builds_each_pages_exporter_by_its_modules_global_name():
    """INTERNAL ``voila.notebook_renderer.VoilaExporter``: NotebookRenderer makes its exporter by that module
    global, so rendering.install() putting CachedVoilaExporter there reaches every seat's page."""
    from voila import notebook_renderer
    from voila.exporter import VoilaExporter

    assert "self.exporter = VoilaExporter(" in source(notebook_renderer.NotebookRenderer), (
        "Voila no longer builds its exporter by the name voila.notebook_renderer.VoilaExporter: "
        "workshop/serving/rendering.py no longer reaches it, and each seat compiles the templates again")
    from workshop.serving.rendering import CachedVoilaExporter

    assert notebook_renderer.VoilaExporter in (VoilaExporter, CachedVoilaExporter)
    assert issubclass(CachedVoilaExporter, VoilaExporter)


def test_a_second_exporter_compiles_no_template_again():
    """EXTENSION POINT nbconvert's ``environment`` property and Jinja's ``Environment.bytecode_cache``: a second
    exporter (a second seat's page) loads a template without compiling it; an edited template is compiled afresh."""
    from jinja2 import DictLoader

    from workshop.serving import rendering

    cache = rendering.SHARED_CACHE
    templates = {"probe.j2": "{% for i in range(3) %}{{ i }}{% endfor %}"}

    def environment():
        env = rendering.CachedVoilaExporter(template_name="lab").environment
        assert env.bytecode_cache is cache
        env.loader.loaders.insert(0, DictLoader(templates))
        return env

    compiled, hits = cache.compiled, cache.hits
    assert environment().get_template("probe.j2").render() == "012"
    assert cache.compiled == compiled + 1
    assert environment().get_template("probe.j2").render() == "012"
    assert (cache.compiled, cache.hits) == (compiled + 1, hits + 1), "the second environment compiled it again"
    templates["probe.j2"] = "{{ 'edited' }}"
    assert environment().get_template("probe.j2").render() == "edited"
    assert cache.compiled == compiled + 2


def test_the_kit_kernelspec_names_its_provisioner_and_the_entry_point_finds_it():
    """EXTENSION POINT jupyter_client's ``kernel_provisioners`` entry point and a kernelspec's
    ``metadata.kernel_provisioner``: the servers' python3 kernelspec starts kernels with ForkingProvisioner."""
    import json
    from importlib.metadata import entry_points

    from workshop.serving.forking import ForkingProvisioner
    from workshop.serving.server import JUPYTER_DIR

    spec = json.loads((JUPYTER_DIR / "kernels" / "python3" / "kernel.json").read_text(encoding="utf-8"))
    name = spec["metadata"]["kernel_provisioner"]["provisioner_name"]
    assert spec["argv"][:3] == ["python", "-m", "ipykernel_launcher"]
    found = {ep.name: ep for ep in entry_points(group="jupyter_client.kernel_provisioners")}
    assert name in found, f"{name} is not registered (reinstall the kit: make test installs it)"
    assert found[name].load() is ForkingProvisioner


def test_ipykernel_reads_its_parent_from_the_environment_at_import_and_takes_it_on_the_command_line():
    """The template imports ipykernel before any kernel exists, so JPY_PARENT_PID (read when ipykernel.kernelapp
    is imported) would be the template's; the forked kernel is given ``--IPKernelApp.parent_handle`` instead."""
    from ipykernel.kernelapp import IPKernelApp

    trait = IPKernelApp.class_traits()["parent_handle"]
    assert trait.metadata.get("config"), "IPKernelApp.parent_handle is no longer configurable"
    from ipykernel import kernelapp

    assert "JPY_PARENT_PID" in source(kernelapp)


def test_voila_serves_its_static_files_with_the_handlers_the_kit_answers_from_memory():
    """EXTENSION POINT (Tornado's overridable ``StaticFileHandler.get(path, include_body)``) on the handler classes
    Voila routes its static files to: ``MultiStaticFileHandler`` (voila/static), ``FileFindHandler``
    (labextensions) and the template's (replaced by TemplateStaticHandler). HoldingSpaceVoila.init_handlers gives
    each a MemoStatic subclass; if Voila changes the classes, the static files quietly lose the fast path."""
    import tornado.web
    from voila import app

    from workshop.serving.static import memo_handler
    from workshop.serving.voila_app import MEMO_STATIC

    code = source(app.Voila.init_handlers)
    assert "MultiStaticFileHandler" in code and "FileFindHandler" in code, "Voila routes its static files differently"
    assert list(inspect.signature(tornado.web.StaticFileHandler.get).parameters) == ["self", "path", "include_body"]
    for handler in MEMO_STATIC:
        assert issubclass(handler, tornado.web.StaticFileHandler)
        assert memo_handler(handler).get is not handler.get


def test_voila_routes_voila_query_to_its_request_info_handler_opened_with_the_kernel_id():
    """INTERNAL (held with voila/query above): Voila routes ``voila/query/<kernel>`` to RequestInfoSocketHandler,
    whose ``open(kernel_id)`` a warm seat reaches once its app is built. HoldingSpaceVoila puts SeatReadyHandler
    in its place, so the kernel manager knows which seats are ready and warms a few at a time."""
    from voila import app
    from voila.request_info_handler import RequestInfoSocketHandler

    from workshop.serving.voila_app import REPLACED_HANDLERS, SeatReadyHandler

    assert "RequestInfoSocketHandler" in source(app.Voila.init_handlers) and "voila/query" in source(app.Voila.init_handlers)
    assert list(inspect.signature(RequestInfoSocketHandler.open).parameters) == ["self", "kernel_id"]
    assert REPLACED_HANDLERS[RequestInfoSocketHandler] is SeatReadyHandler
