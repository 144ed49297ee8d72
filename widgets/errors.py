"""Errors inside a participant's kernel reach the log, never the participant's screen.

ipywidgets reports an exception raised in a widget callback or while applying a value sent by
the browser through ``get_ipython().showtraceback()``, which would send a traceback to the
page. :func:`install` replaces that method in the running kernel: the full traceback goes to
the server log (see :mod:`workshop.serverlog`; the launcher keeps it in ``data/logs``), and the
participant app shows its short friendly message instead.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from workshop import serverlog


def install(on_error: Callable[[], None]) -> bool:
    """Route the kernel's tracebacks to the log and call ``on_error`` instead.

    Returns ``False`` when there is no running IPython kernel (plain Python, tests).
    """
    log = serverlog.logger()
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is always there with ipykernel
        return False
    shell = get_ipython()
    if shell is None:
        return False

    def showtraceback(exc_tuple=None, *args, **kwargs):
        etype, value, tb = exc_tuple if exc_tuple else sys.exc_info()
        if etype is not None and issubclass(etype, KeyboardInterrupt):  # the server is stopping this kernel
            log.info("a participant kernel was stopped")
            return
        log.error("an error in a participant's page (hidden from them)", exc_info=(etype, value, tb))
        try:
            on_error()
        except Exception:  # the error display itself must never raise into the page
            log.exception("could not show the friendly error message")

    shell.showtraceback = showtraceback
    return True
