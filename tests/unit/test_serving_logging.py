"""The participant server's logger builds no record its handler would drop (workshop/serving/voila_app.py)."""

from __future__ import annotations

import logging

from workshop.serving.voila_app import HoldingSpaceVoila


def test_the_servers_logger_is_at_the_level_its_handler_shows():
    """Traitlets leaves an application's logger at DEBUG and filters at the handler: every debug call in
    Jupyter Server built a record nobody saw. At INFO none is built; --log-level=DEBUG still shows them."""
    app = HoldingSpaceVoila(log_level=logging.INFO)
    try:
        assert not app.log.isEnabledFor(logging.DEBUG)
        assert app.log.isEnabledFor(logging.INFO)
        app.log_level = logging.DEBUG
        assert app.log.isEnabledFor(logging.DEBUG), "a facilitator asking for debug logs gets them"
    finally:
        HoldingSpaceVoila.clear_instance()
