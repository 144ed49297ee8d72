"""The page a visitor sees without the join link's token, instead of Jupyter's login form."""

from __future__ import annotations

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.auth.identity import PasswordIdentityProvider
from jupyter_server.base.handlers import JupyterHandler

from .. import content, templating


def friendly_page(title_key: str = "no_token_title", body_key: str = "no_token_body") -> str:
    """A short self-contained page in the words of ``ui.yaml`` (no script, nothing loaded)."""
    try:
        texts = content.ui_text()
        title, body = texts[title_key], texts[body_key]
    except (content.ContentError, KeyError):
        title, body = "Ask your facilitator for the link", ""
    return templating.render("friendly.html", title=title, body=body)


def ask_facilitator_page() -> str:
    """The page for a visitor without the join link's token."""
    return friendly_page("no_token_title", "no_token_body")


class AskFacilitatorHandler(JupyterHandler):
    """Answers ``/login`` with a short page: ask the facilitator for the join link."""

    def _answer(self) -> None:
        self.set_status(403)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(ask_facilitator_page())

    @allow_unauthenticated
    def get(self) -> None:
        self._answer()

    @allow_unauthenticated
    def post(self) -> None:
        self._answer()

    def check_xsrf_cookie(self) -> None:
        """The page has no form; a POST gets the same page and changes nothing."""


class FriendlyIdentityProvider(PasswordIdentityProvider):
    """Jupyter's token check, with the login form replaced by :class:`AskFacilitatorHandler`."""

    def get_handlers(self) -> list:
        return [(r"/login", AskFacilitatorHandler)]
