"""The projector view (issue 17): what the room sees on a big screen, beside the facilitator's console.

Two addresses on the console's server, with the console's own access rules (its token on a laptop,
a facilitator's sign-in online): ``projector`` (a self-contained page: no kernel, nothing loaded from
elsewhere) and ``projector/state`` (JSON the page asks for every 1.5 s, so it follows the facilitator's
moves by itself). The state comes from the store alone:

- no session yet: a waiting line;
- while people arrive (the session has not moved from its first theme): the join QR code, the session
  code and how many have joined;
- then the current theme's title and key line (the italic line under the title in the theme notebook,
  which the therapist edits in JupyterLab), and, only when the facilitator chooses, the live anonymous
  group picture of the theme's exercises: only at k or more, only in group sessions; and the one shared
  text the facilitator chose after reading it in the console, never a hidden one.

Nothing in the state names or counts a person beyond "how many are here"; pseudonyms never leave the
store.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from functools import lru_cache

import tornado.web
from jupyter_server.base.handlers import JupyterHandler

from .. import aggregate, content, exercises, templating
from ..text import t

#: how often the page asks (ms): a move reaches the screen within about this long plus a store read
POLL_MS = 1500
_ITALIC = re.compile(r"^\*(?!\*)(.+?)(?<!\*)\*$")


def key_line(theme: content.Theme) -> str:
    """The theme's key line: the first line written in italics (``*…*``) in its first text cell."""
    for cell in theme.cells:
        if cell.kind != "markdown":
            continue
        for line in cell.source.splitlines():
            found = _ITALIC.match(line.strip())
            if found:
                return found.group(1).strip()
        return ""
    return ""


@lru_cache(maxsize=4)
def _themes(fingerprint: tuple) -> tuple[dict, dict]:
    themes = content.load_themes()
    return ({theme.key: theme for theme in themes}, {theme.key: exercises.find(theme) for theme in themes})


def join_url(base: str, code: str) -> str:
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}s={code}"


def _qr_svg(url: str) -> str:
    """The join address as an SVG QR code (segno: drawn here, nothing fetched)."""
    import segno

    return segno.make(url, error="m").svg_inline(scale=10, border=2, dark="#000", light="#fff", omitsize=True)


#: bars a chart shows on the projector: the answers chosen most (its text summary keeps every one)
PROJECTOR_BARS = 6


def _chart(chart: aggregate.Chart) -> dict:
    """A chart for a screen across a room: only answers someone chose, the most chosen first, no more than
    fit at a size readable from the back; the summary says it all in words."""
    chosen = sorted((bar for bar in chart.bars if bar[1]), key=lambda bar: -bar[1])[:PROJECTOR_BARS]
    return {"title": chart.title, "bars": [[label, count] for label, count in chosen],
            "respondents": chart.respondents, "summary": chart.summary()}


def projector_state(store, facilitator: str | None, join_base: str) -> dict:
    """What the projector shows now, for this facilitator's latest session (None: the laptop's)."""
    session = store.latest_session(facilitator=facilitator)
    if session is None:
        return {"phase": "none"}
    by_key, specs = _themes(content.fingerprint())
    moves = len(store.theme_times(session))
    present = store.present(session)
    state: dict = {"phase": "arriving" if moves <= 1 else "theme", "code": session.display_code, "present": present,
                   "kind": session.kind}
    if state["phase"] == "arriving":
        url = join_url(join_base, session.code)
        state["join"] = url
        state["qr"] = _qr_svg(url)
    theme = by_key.get(session.theme)
    if theme is not None:
        state["theme"] = {"number": theme.number, "title": theme.title, "key_line": key_line(theme)}
    pictures = []
    if session.show_picture and session.aggregates_allowed and theme is not None:
        for spec in specs.get(theme.key, []):
            if not spec.shareable:
                continue
            rows = store.shares(session, spec.key)
            gate = aggregate.gate(session, rows)
            if not gate.open:
                pictures.append({"title": spec.title, "waiting": t("projector_waiting_k", needed=gate.needed)})
                continue
            parts, _held = aggregate.shown(spec.picture(rows), gate.k)
            charts = [_chart(p) for p in parts if isinstance(p, aggregate.Chart)]
            if charts:
                pictures.append({"title": spec.title, "charts": charts})
    state["pictures"] = pictures
    if session.shown_text is not None and session.aggregates_allowed:
        chosen = next((s for s in store.shares(session) if s.id == session.shown_text and not s.hidden), None)
        if chosen is not None:
            state["text"] = chosen.value
    return state


class ProjectorHandler(JupyterHandler):
    """``projector``: the page; ``projector/state``: what it shows now (JSON)."""

    def _facilitator(self) -> str | None:
        from .auth import FacilitatorIdentityProvider

        if isinstance(self.identity_provider, FacilitatorIdentityProvider) and self.current_user is not None:
            return self.current_user.username
        return None

    def _store(self):
        store = self.settings.get("holding_space_store")
        if store is None:
            from ..store import Store

            store = self.settings["holding_space_store"] = Store()
        return store

    @tornado.web.authenticated
    async def get(self, which: str = "") -> None:
        self.set_header("Cache-Control", "no-store")
        if which == "/state":
            join_base = os.environ.get("HOLDING_SPACE_JOIN_BASE", "")
            loop = asyncio.get_running_loop()
            try:
                state = await loop.run_in_executor(None, projector_state, self._store(), self._facilitator(), join_base)
            except Exception:  # the screen keeps its last picture and says nothing alarming
                self.log.exception("the projector could not read the store")
                self.set_status(503)
                state = {"phase": "unavailable"}
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(state))
            return
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        texts = content.ui_text()
        self.finish(templating.render("projector.html", t=texts, state_url=self.request.path.rstrip("/") + "/state",
                                      poll_ms=POLL_MS))

    def write_error(self, status_code: int, **kwargs) -> None:
        self.finish(f'{{"phase": "unavailable", "status": {int(status_code)}}}')
