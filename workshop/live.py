"""A participant kernel's link to a live session: presence, the facilitator's theme, shares.

Imported only when a visit carries a session code, so one-to-one and offline use never load the
database layer. Every call is short; errors become :class:`~workshop.store.StoreError` so the
participant app can say "working on your own for now" and try again, never show a traceback.
"""

from __future__ import annotations

import time

import sqlalchemy as sa

from .store import Session, Store, StoreError, pseudonym

HEARTBEAT_SECONDS = 15


class ParticipantLink:
    """One participant in one session."""

    def __init__(self, store: Store, session: Session, participant_id: str) -> None:
        self.store = store
        self.session = session
        self.who = pseudonym(session.code, participant_id)
        self._written: dict[str, list[tuple[str, str]]] = {}
        self._last_touch = 0.0

    def _guard(self, action, *args):
        try:
            return action(*args)
        except sa.exc.SQLAlchemyError as error:
            raise StoreError(str(error).splitlines()[0]) from error

    def heartbeat(self, force: bool = False) -> None:
        """Tell the console this participant is here (at most every 15 s unless forced)."""
        now = time.monotonic()
        if force or now - self._last_touch >= HEARTBEAT_SECONDS:
            self._guard(self.store.touch, self.session, self.who)
            self._last_touch = now

    def refresh(self) -> Session | None:
        """The session as it is now (theme, follow, ended), or ``None`` if it was purged."""
        session = self._guard(self.store.session, self.session.code)
        if session is not None:
            self.session = session
        return session

    def share(self, exercise: str, rows: list[tuple[str, str]]) -> bool:
        """Store this participant's shared answer to ``exercise``; ``False`` if nothing changed."""
        rows = list(rows)
        if self._written.get(exercise, []) == rows:
            return False
        self._guard(self.store.replace_shares, self.session, self.who, exercise, rows)
        self._written[exercise] = rows
        return True
