"""Who may open the servers: the participants' token, and online, each facilitator's own secret.

- :class:`FriendlyIdentityProvider` (both servers on a laptop; participant servers online): Jupyter's
  token check, with the login form replaced by a short "ask your facilitator" page.
- :class:`FacilitatorIdentityProvider` (the console when the kit runs online, ``holding-space online``):
  a sign-in form; the name and secret are checked against the store's salted scrypt hashes
  (:mod:`workshop.facilitators`), and the console's page then tells its kernel who signed in, so it
  shows that facilitator's sessions only.
- :class:`FailedAttempts`: a wrong token or secret from the same address is answered more slowly each
  time, and past a limit not checked at all for a while. Caddy 2.6 (Debian's) has no rate limiter
  without a custom build, so this lives here, behind the proxy, keyed by the address the proxy
  forwards (the server trusts ``X-Forwarded-For`` only when started ``--behind-proxy``). Addresses
  are kept in memory only, hashed, and never logged.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict, deque
from urllib.parse import urlsplit

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.auth.identity import IdentityProvider, PasswordIdentityProvider, User
from jupyter_server.base.handlers import JupyterHandler
from markupsafe import Markup
from traitlets import default

from .. import content, facilitators, templating


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


class FailedAttempts:
    """Failed tokens and secrets per client address, over the last ``window`` seconds.

    The first ``free`` failures are answered at once (a mistyped link or secret); each one after that
    waits twice as long as the one before, from ``base`` up to ``ceiling`` seconds; past ``limit``
    failures the address is refused without a check until its oldest failure leaves the window.
    Ten guesses a minute at most, against a token of 96 random bits or a 12-character secret.
    """

    def __init__(self, free: int = 5, window: float = 600, base: float = 0.5, ceiling: float = 8,
                 limit: int = 30, addresses: int = 10_000) -> None:
        self.free, self.window, self.base, self.ceiling, self.limit = free, window, base, ceiling, limit
        self.addresses = addresses
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    @staticmethod
    def key(handler) -> str | None:
        """The client's address, hashed (behind the proxy: the address it forwards); None for the laptop
        itself (a direct connection from loopback), which is never slowed: guesses come from the room's
        network or, online, through the proxy."""
        address = handler.request.remote_ip or ""
        if address in LOOPBACK and not handler.settings.get("holding_space_behind_proxy"):
            return None
        return hashlib.sha256(address.encode()).hexdigest()[:16]

    def _recent(self, key: str, now: float) -> deque[float]:
        seen = self._failures.get(key)
        if seen is None:
            return deque()
        while seen and seen[0] < now - self.window:
            seen.popleft()
        if not seen:
            del self._failures[key]
        return seen

    def blocked_for(self, key: str, now: float | None = None) -> float:
        """Seconds until this address may try again (0: it may now)."""
        now = time.monotonic() if now is None else now
        seen = self._recent(key, now)
        if len(seen) < self.limit:
            return 0.0
        return max(0.0, seen[-self.limit] + self.window - now)

    def failed(self, key: str, now: float | None = None) -> float:
        """Record a failure; the seconds to wait before answering it."""
        now = time.monotonic() if now is None else now
        seen = self._recent(key, now)
        seen.append(now)
        self._failures[key] = seen
        self._failures.move_to_end(key)
        while len(self._failures) > self.addresses:  # bounded, whoever sends
            self._failures.popitem(last=False)
        extra = len(seen) - self.free
        return 0.0 if extra <= 0 else min(self.ceiling, self.base * 2 ** (extra - 1))

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)


#: one per server process: the participants' tokens and the facilitators' secrets alike
FAILED = FailedAttempts()
LOOPBACK = {"127.0.0.1", "::1"}


class FriendlyIdentityProvider(PasswordIdentityProvider):
    """Jupyter's token check, with the login form replaced by :class:`AskFacilitatorHandler`, and a
    wrong token answered more slowly each time (:class:`FailedAttempts`)."""

    def get_handlers(self) -> list:
        return [(r"/login", AskFacilitatorHandler)]

    async def get_user(self, handler):
        user = super().get_user(handler)
        if asyncio.iscoroutine(user) or isinstance(user, asyncio.Future):
            user = await user
        key = FailedAttempts.key(handler) if user is None and self.get_token(handler) else None
        if key is not None:
            wait = FAILED.failed(key)
            if wait:
                await asyncio.sleep(wait)
        return user


class FacilitatorLoginHandler(JupyterHandler):
    """The console's sign-in form (online): name and secret, checked against the store's hashes."""

    def _next(self) -> str:
        wanted = self.get_argument("next", "") or self.base_url
        parts = urlsplit(wanted)
        # only a path on this server: never another site, never //host
        if parts.scheme or parts.netloc or not wanted.startswith(self.base_url) or wanted.startswith("//"):
            return self.base_url
        return wanted

    def _page(self, status: int = 200, error: str = "", name: str = "") -> None:
        texts = content.ui_text()
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(templating.render(
            "login.html", t=texts, action=self.request.path, next=self._next(),
            xsrf=Markup(self.xsrf_form_html()), typed=name[:40], error=error))

    @allow_unauthenticated
    def get(self) -> None:
        self._page()

    def write_error(self, status_code: int, **kwargs) -> None:
        """A refused form (an old page's expired _xsrf, say) gets the form again, never Jupyter's error page
        (which Voila's server cannot draw) or a traceback."""
        self._page(status_code, content.ui_text().get("login_expired", ""))

    @allow_unauthenticated
    async def post(self) -> None:
        texts = content.ui_text()
        key = FailedAttempts.key(self)
        blocked = FAILED.blocked_for(key) if key is not None else 0
        name = self.get_argument("name", "")[:200]
        if blocked:
            minutes = max(1, round(blocked / 60))
            self._page(429, texts["login_slow"].format(minutes=minutes), name)
            return
        provider: FacilitatorIdentityProvider = self.identity_provider  # type: ignore[assignment]
        try:
            who = facilitators.check_name(name)
        except facilitators.FacilitatorError:
            who = None
        secret = self.get_argument("secret", "")
        ok = await asyncio.get_running_loop().run_in_executor(None, provider.check, who, secret)
        if not ok:
            wait = FAILED.failed(key) if key is not None else 0
            if wait:
                await asyncio.sleep(wait)
            self.log.warning("a facilitator sign-in failed")
            self._page(403, texts["login_wrong"], name)
            return
        if key is not None:
            FAILED.succeeded(key)
        provider.set_login_cookie(self, User(username=who, name=who, display_name=who))
        self.log.info("facilitator %s signed in", who)
        self.redirect(self._next())


class FacilitatorLogoutHandler(JupyterHandler):
    @allow_unauthenticated
    def get(self) -> None:
        self.identity_provider.clear_login_cookie(self)
        self.redirect(self.base_url + "login")


#: a facilitator stays signed in this long (then signs in again)
SIGNED_IN_DAYS = 0.5


class FacilitatorIdentityProvider(IdentityProvider):
    """The console online: no token; each facilitator signs in with their own secret.

    The login cookie is signed with the server's cookie secret (``HOLDING_SPACE_COOKIE_SECRET``)
    and holds only the name; a facilitator removed with ``holding-space facilitator remove`` is
    signed out at their next request.
    """

    # its own cookie (not the participants' "username-<host>"), good for a working day
    @default("cookie_name")
    def _cookie_name_default(self) -> str:
        return "hs-facilitator"

    @default("cookie_options")
    def _cookie_options_default(self) -> dict:
        return {"expires_days": SIGNED_IN_DAYS, "samesite": "Strict"}

    @default("get_secure_cookie_kwargs")
    def _get_secure_cookie_kwargs_default(self) -> dict:
        return {"max_age_days": SIGNED_IN_DAYS}

    @property
    def auth_enabled(self) -> bool:
        return True

    @property
    def login_available(self) -> bool:
        return True

    def get_handlers(self) -> list:
        # Voila adds these routes as given, without its base_url (the console's is /console/)
        from jupyter_server.utils import url_path_join

        app = self.parent
        prefix = (getattr(app, "server_url", None) or getattr(app, "base_url", None) or "/") if app is not None else "/"
        return [(url_path_join(prefix, "/login"), FacilitatorLoginHandler),
                (url_path_join(prefix, "/logout"), FacilitatorLogoutHandler)]

    def _store(self):
        store = getattr(self, "_hs_store", None)
        if store is None:
            from ..store import Store

            store = self._hs_store = Store()
        return store

    def check(self, name: str | None, secret: str) -> bool:
        """Does ``secret`` open ``name``? (Blocking, ~0.08 s: run it off the server's loop.)"""
        stored = self._store().facilitator_hash(name) if name else None
        return facilitators.verify(secret, stored)

    def get_user_token(self, handler):
        return None  # a token in a link opens nothing here

    def get_user_cookie(self, handler):
        user = super().get_user_cookie(handler)
        if asyncio.iscoroutine(user):
            raise TypeError("a synchronous cookie check was expected")
        if user is None:
            return None
        try:
            known = self._store().facilitator_hash(facilitators.check_name(user.username)) is not None
        except Exception:  # a wrong name in the cookie, or an unreadable store: no one in
            known = False
        return user if known else None
