"""The page a visitor sees without the join link's token, instead of Jupyter's login form."""

from __future__ import annotations

import html

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.auth.identity import PasswordIdentityProvider
from jupyter_server.base.handlers import JupyterHandler

from .. import content

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; background: #f5f2ec;
       color: #1f2d33; margin: 0; display: flex; min-height: 100vh; align-items: center; justify-content: center; }}
main {{ max-width: 28rem; margin: 1.5rem; padding: 1.5rem; background: #fffdf9; border: 1px solid #d8d0c4;
        border-radius: 14px; line-height: 1.6; font-size: 1.0625rem; }}
h1 {{ font-size: 1.4rem; margin-top: 0; }}
</style></head>
<body><main><h1>{title}</h1><p>{body}</p></main></body></html>
"""


def friendly_page(title_key: str = "no_token_title", body_key: str = "no_token_body") -> str:
    """A short self-contained page in the words of ``ui.yaml`` (no script, nothing loaded)."""
    try:
        texts = content.ui_text()
        title, body = texts[title_key], texts[body_key]
    except (content.ContentError, KeyError):
        title, body = "Ask your facilitator for the link", ""
    return _PAGE.format(title=html.escape(title), body=html.escape(body))


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
