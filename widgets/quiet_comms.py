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
            if _state["quiet"]:
                _state["held"] += 1
                return
            publish(msg_type, *a, **k)

        made.publish_msg = publish_unless_quiet
        return made

    def control_opened(control: Any, msg: dict) -> None:
        _state["quiet"] = False  # from now on a page listens: models built later open as usual
        Widget.handle_control_comm_opened(control, msg)

    comm.create_comm = create_comm
    manager.register_target(CONTROL_TARGET, control_opened)
    _state.update(installed=True, quiet=True)
    return True
