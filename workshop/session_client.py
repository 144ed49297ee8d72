"""A participant kernel's part in a live session, without any widget (see :class:`SessionClient`).

Every participant kernel imports this module; the database layer (:mod:`workshop.store`,
:mod:`workshop.live`, SQLAlchemy: 12 MiB) is imported only when a join link carries a session code.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .live import ParticipantLink
    from .store import Session, Store

Rows = list[tuple[str, str]]



class Joined(Enum):
    """What came of looking up a join link's session code."""

    JOINED = "joined"
    UNKNOWN = "unknown"  # no such session, or it has ended: the participant works on their own
    OFFLINE = "offline"  # the store cannot be reached


class Status(Enum):
    """How the participant's part in the session stands, as the app tells them."""

    WELL = "well"
    OFFLINE = "offline"  # the session cannot be read: working on your own for now
    UNSHARED = "unshared"  # a share waits to be written; it is kept and tried again


class SessionClient:
    """A participant kernel's part in a live session, without any widget: join from the link's
    code, connect once the browser has sent the participant's anonymous id, follow the
    facilitator's theme, keep presence, write shares (kept and retried while the store is busy)
    and the anonymous request for a quiet word.

    The app is told through two callbacks: ``on_status(status)`` when :class:`Status` changes,
    ``on_session(session)`` when the session is read (``None`` once it ended or was purged, after
    which the client has left it). Every store error becomes a status, never an exception,
    except from :meth:`ask_for_word`, whose caller undoes the button.
    """

    def __init__(
        self,
        store: Store | None = None,
        on_status: Callable[[Status], None] | None = None,
        on_session: Callable[[Session | None], None] | None = None,
        busy_seconds: float = 2.0,
    ) -> None:
        self.store = store
        self.busy_seconds = busy_seconds
        self.on_status = on_status or (lambda status: None)
        self.on_session = on_session or (lambda session: None)
        self.status = Status.WELL
        self.link: ParticipantLink | None = None
        self._found: Session | None = None  # joined, not connected yet
        self.dirty: set[str] = set()

    # ------------------------------------------------------------------ joining
    @property
    def session(self) -> Session | None:
        """The session this participant takes part in (connected), or ``None``."""
        return self.link.session if self.link is not None else None

    @property
    def joined(self) -> bool:
        """A session was found for the link's code (connected or about to be)."""
        return self._found is not None

    @property
    def is_group(self) -> bool:
        """Connected to a group session (couples and one-to-one never share)."""
        return self.session is not None and self.session.kind == "group"

    def join(self, code: str) -> Joined:
        """Find the session ``code``; :meth:`connect` follows once the browser sent the participant's id."""
        from .store import Store, normalise_code  # the database layer, only for sessions

        if normalise_code(code) is None:
            return Joined.UNKNOWN
        try:
            self.store = self.store or Store(busy_seconds=self.busy_seconds)
            session = self.store.session(code)
        except Exception:  # a store that cannot even be opened (a missing folder, a broken file)
            return Joined.OFFLINE
        if session is None or session.ended:
            return Joined.UNKNOWN
        self._found = session
        return Joined.JOINED

    def connect(self, participant_id: str) -> bool:
        """Take part as ``participant_id`` (anonymous: only a pseudonym is stored). True if newly connected."""
        if self._found is None or self.link is not None or not participant_id:
            return False
        from .live import ParticipantLink
        from .store import StoreError

        self.link = ParticipantLink(self.store, self._found, participant_id)
        try:
            self.link.heartbeat(force=True)
        except StoreError:
            pass  # presence is tried again with the next poll
        return True

    def leave(self) -> None:
        self.link = None
        self._found = None
        self.dirty.clear()
        self._set_status(Status.WELL)

    # ------------------------------------------------------------------ polling
    def poll(self, rows_of: Callable[[str], Rows]) -> None:
        """Read the session once: tell the app, keep presence, write the shares that wait.

        ``rows_of(key)`` gives the rows an exercise shares now (``[]`` for none).
        """
        if self.link is None:
            return
        from .store import StoreError

        try:
            session = self.link.refresh()
        except StoreError:
            self._set_status(Status.OFFLINE)
            return
        if self.status is Status.OFFLINE:
            self._set_status(Status.WELL)
        if session is None or session.ended:
            self.leave()
            self.on_session(None)
            return
        self.on_session(session)
        try:
            self.link.heartbeat()
        except StoreError:
            pass  # a locked or full store: reading still works; shares below say what waits
        if self.dirty:
            self.flush(rows_of)

    # ------------------------------------------------------------------ sharing
    def queue(self, keys) -> None:
        """Mark these exercises' shares to be written by the next :meth:`flush`."""
        if self.link is not None:
            self.dirty.update(keys)

    def flush(self, rows_of: Callable[[str], Rows]) -> None:
        """Write every marked exercise's rows; on a store error keep the rest for the next poll."""
        if self.link is None:
            self.dirty.clear()
            return
        from .store import StoreError

        for key in sorted(self.dirty):
            try:
                self.link.share(key, rows_of(key))
            except StoreError:
                self._set_status(Status.UNSHARED)
                return
            self.dirty.discard(key)
        if self.status is Status.UNSHARED:
            self._set_status(Status.WELL)

    # ------------------------------------------------------------------ a quiet word
    def ask_for_word(self, asking: bool) -> None:
        """Ask anonymously for a quiet word, or take it back; raises :class:`StoreError`."""
        from .store import StoreError

        if self.link is None:
            raise StoreError("not in a session")
        self.link.ask_for_word(asking)

    def has_asked_for_word(self) -> bool:
        from .store import StoreError

        try:
            return self.link is not None and self.link.has_asked_for_word()
        except StoreError:
            return False

    @property
    def last_error(self) -> str:
        return self.link.last_error if self.link is not None else ""

    def _set_status(self, status: Status) -> None:
        if status is not self.status:
            self.status = status
            self.on_status(status)
