"""Widgets built before anyone is connected open quietly (in a kernel Voila started).

A warm seat builds the participant app before its participant arrives: about a hundred widget
models, each of which announced itself with a ``comm_open`` message carrying its whole state, and
then a ``comm_msg`` for every change made while the app was put together. Nobody was there to hear
them. The server still received every one, twice (Voila's notebook runner and Jupyter Server's
activity watch each read the whole message), and the kernel wrote them: together more than half of
what warming a seat cost the server.

The page never needed them: when it loads, its widget manager opens the ``jupyter.widget.control``
comm and asks for every model's state in one ``request_states`` message (ipywidgets 8), which is
how Voila's page has always learned the models built while it was rendered. So, in a kernel Voila
started, widget comms made before that control comm opens are registered without a ``comm_open``,
and what they would publish is dropped; once the page's widget manager opens the control comm,
everything is published as usual (a widget built later, such as the next theme, opens as ever).

Only ``comm``'s own extension points are used: ``comm.create_comm`` (which kernels replace with
their own), the comm manager's ``register_comm`` and ``register_target``, and ipywidgets' public
``Widget.handle_control_comm_opened``. JupyterLab and nbval run no Voila kernel, so they see every
``comm_open`` as before (their widget managers build models from it). tests/server/test_quiet_comms.py
runs a real kernel both ways.

**The first answer is prepared while the seat waits.** Answering ``request_states`` was most of what a
participant's kernel did when they joined: ipywidgets 8 works out every model's state twice (once for
``get_manager_state``, whose result it drops, then again for the answer). :func:`prepare_states`, called
while a warm seat waits for its visitor, works out each quiet widget's state once; any message a widget
would send afterwards (a change, a close) drops its prepared state, and a widget built later has none.
The page's first ``request_states`` is answered from what is prepared plus a fresh state for the rest,
in ipywidgets' own order and shape; a later one (a reconnect) is worked out afresh, once. This reads two
of ipywidgets' private names, ``widget._instances`` (every live widget, the list ipywidgets answers
from) and ``widget._remove_buffers``; tests/unit/test_contracts.py holds them to upstream's handler.
"""

from __future__ import annotations

import functools
import os
from typing import Any

#: the target of widget models' comms, and of the page widget manager's control comm
WIDGET_TARGET = "jupyter.widget"
CONTROL_TARGET = "jupyter.widget.control"
#: set by Voila in every kernel it starts ("True" for a warm seat, "False" otherwise)
VOILA_KERNEL = "VOILA_PREHEAT"

_state: dict[str, Any] = {"installed": False, "quiet": False, "held": 0}
#: model id -> its entry in the page's first ``update_states`` (prepare_states; a widget's message drops it)
_prepared: dict[str, dict] = {}
#: set on a comm whose messages pass through this module (so a change drops its prepared state)
WATCHED = "_holding_space_watched"


def is_quiet() -> bool:
    """Are widget comms opening quietly now (installed, and no page has asked for the states)?"""
    return bool(_state["quiet"])


def held() -> int:
    """How many messages were left unsent while quiet (for tests and benchmarks)."""
    return int(_state["held"])


def install(environ: dict[str, str] | None = None) -> bool:
    """In a kernel Voila started, make widget comms quiet until the page's widget manager connects.

    Returns whether it did; once is enough (later calls change nothing). Outside a kernel, or in a
    kernel Voila did not start (JupyterLab, nbval), it does nothing."""
    environ = os.environ if environ is None else environ
    if _state["installed"] or environ.get(VOILA_KERNEL) is None:
        return False
    import comm
    from ipykernel.kernelbase import Kernel
    from IPython import get_ipython
    from ipywidgets import Widget

    if getattr(get_ipython(), "kernel", None) is None:  # not in a kernel: nothing is sent anyway
        return False
    manager = comm.get_comm_manager()
    original = comm.create_comm

    @functools.wraps(original)
    def create_comm(*args: Any, **kwargs: Any):
        if not _state["quiet"] or kwargs.get("target_name") != WIDGET_TARGET or not kwargs.get("primary", True):
            return original(*args, **kwargs)
        made = original(*args, **{**kwargs, "primary": False})  # no comm_open
        comm.get_comm_manager().register_comm(made)  # what opening would have done for its messages
        if getattr(made, "kernel", "") is None and Kernel.initialized():
            made.kernel = Kernel.instance()  # set by its first publish otherwise; ipywidgets sends no change without it
        publish = made.publish_msg

        def publish_unless_quiet(msg_type: str, *a: Any, **k: Any) -> None:
            _prepared.pop(made.comm_id, None)  # it changed (or closed): its prepared state is stale
            if _state["quiet"]:
                _state["held"] += 1
                return
            publish(msg_type, *a, **k)

        made.publish_msg = publish_unless_quiet
        setattr(made, WATCHED, True)
        return made

    def control_opened(control: Any, msg: dict) -> None:
        _state["quiet"] = False  # from now on a page listens: models built later open as usual
        Widget.handle_control_comm_opened(control, msg)  # checks the protocol's version, remembers the comm
        control.on_msg(functools.partial(_answer_control, control))

    comm.create_comm = create_comm
    manager.register_target(CONTROL_TARGET, control_opened)
    _state.update(installed=True, quiet=True)
    return True


def prepare_states() -> int:
    """Work out each quiet widget's state now, while the seat waits, for the page's first ``request_states``.

    Returns how many were prepared (0 when not quiet: outside a Voila kernel, or a page already asked).
    A widget with binary buffers is left to be worked out when asked, as ipywidgets does."""
    _prepared.clear()
    if not _state["quiet"]:
        return 0
    from ipywidgets.widgets.widget import _instances

    for model_id, widget in list(_instances.items()):
        if not getattr(widget.comm, WATCHED, False):
            continue  # built before install(): its changes would not reach this module
        entry, paths, _buffers = _entry_of(widget)
        if not paths:
            _prepared[model_id] = entry
    return len(_prepared)


def prepared() -> int:
    """How many widget states are prepared and still current (for tests and benchmarks)."""
    return len(_prepared)


def _entry_of(widget: Any) -> tuple[dict, list, list]:
    """A widget's entry in ``update_states``, as ipywidgets' control handler makes it, with its buffers."""
    from ipywidgets.widgets.widget import _remove_buffers

    state, paths, buffers = _remove_buffers(widget.get_state(drop_defaults=False))
    entry = {"model_name": widget._model_name, "model_module": widget._model_module,
             "model_module_version": widget._model_module_version, "state": state}
    return entry, paths, buffers


def _answer_control(control: Any, msg: dict) -> None:
    """The page widget manager's control messages: ``request_states`` answered as ipywidgets 8 does, each
    model's state worked out once (prepared ones taken as they are); anything else goes to ipywidgets."""
    from ipywidgets import Widget
    from ipywidgets.widgets.widget import _instances

    if msg["content"]["data"].get("method") != "request_states":
        Widget._handle_control_comm_msg(msg)  # raises for an unknown method, as before
        return
    states: dict[str, dict] = {}
    buffer_paths: list[list] = []
    buffers: list = []
    for model_id, widget in list(_instances.items()):
        entry = _prepared.pop(model_id, None)
        if entry is None:
            entry, paths, found = _entry_of(widget)
            buffer_paths.extend([model_id, "state", *path] for path in paths)
            buffers.extend(found)
        states[model_id] = entry
    _prepared.clear()  # a later request (a reconnect) is answered afresh: browser changes send no message
    control.send({"method": "update_states", "states": states, "buffer_paths": buffer_paths}, buffers=buffers)
