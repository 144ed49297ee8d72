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
#: after a failed write (store locked by another writer, disk full), wait this long before the
#: next try, doubling up to RETRY_MAX: a participant kernel is frozen while a write waits
RETRY_FIRST = 1.0
RETRY_MAX = 8.0


class ParticipantLink:
    """One participant in one session."""

    def __init__(self, store: Store, session: Session, participant_id: str) -> None:
        self.store = store
        self.session = session
        self.who = pseudonym(session.code, participant_id)
        self._written: dict[str, list[tuple[str, str]]] = {}
        self._last_touch = 0.0
        self._retry_at = 0.0
        self._retry_wait = 0.0
        #: why the last write failed ("" once a write worked again), for the server log
        self.last_error = ""

    def _guard(self, action, *args):
        try:
            return action(*args)
        except sa.exc.SQLAlchemyError as error:
            raise StoreError(str(error).splitlines()[0]) from error

    def _write(self, action, *args):
        """A write, backing off after a failure: until the next try is due, fail at once."""
        now = time.monotonic()
        if now < self._retry_at:
            raise StoreError(f"trying again in {self._retry_at - now:.1f} s ({self.last_error})")
        try:
            result = self._guard(action, *args)
        except StoreError as error:
            self._retry_wait = min(RETRY_MAX, max(RETRY_FIRST, self._retry_wait * 2))
            self._retry_at = time.monotonic() + self._retry_wait
            self.last_error = str(error)
            raise
        self._retry_at = self._retry_wait = 0.0
        self.last_error = ""
        return result

    def heartbeat(self, force: bool = False) -> None:
        """Tell the console this participant is here (at most every 15 s unless forced)."""
        now = time.monotonic()
        if force or now - self._last_touch >= HEARTBEAT_SECONDS:
            self._write(self.store.touch, self.session, self.who)
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
        self._write(self.store.replace_shares, self.session, self.who, exercise, rows)
        self._written[exercise] = rows
        return True

    def ask_for_word(self, asking: bool) -> None:
        """Tell the console, anonymously, that this participant would like a quiet word (or no longer)."""
        self._guard(self.store.ask_for_word, self.session, self.who, asking)

    def has_asked_for_word(self) -> bool:
        """Whether this participant's request for a quiet word stands (read again after a reload)."""
        return bool(self._guard(self.store.has_asked_for_word, self.session, self.who))
