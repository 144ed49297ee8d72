"""The response store: sessions, who is present, and what participants chose to share.

Only shared answers and session state are stored; a private answer never reaches this module.
No names, no IP addresses: a participant is a pseudonym (a hash of the random id their browser
made and the session's code), so the same browser in another session is not linkable.

SQLite by default (a file in the data folder, WAL mode, ``secure_delete`` on so purged rows are
overwritten, a busy timeout for many participant kernels writing at once). Any SQLAlchemy URL
works, e.g. PostgreSQL: ``HOLDING_SPACE_DB=postgresql+psycopg://…``.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

from . import paths

KINDS = ("group", "couple", "one")
CODE_ALPHABET = "ACDEFHJKMNPRTUVWXY3479"  # no 0/O, 1/I/L, 2/Z, 5/S, 6/G, 8/B
CODE_LENGTH = 6
PRESENT_SECONDS = 40
MAX_VALUE = 2000
BUSY_SECONDS = 15

metadata = sa.MetaData()

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(16), nullable=False, unique=True),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("k", sa.Integer, nullable=False),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("theme", sa.String(120), nullable=False, default=""),
    sa.Column("follow", sa.Boolean, nullable=False, default=True),
    sa.Column("ended", sa.Boolean, nullable=False, default=False),
    # who made it, online (a facilitator's login name); None on a laptop, where the console has no login
    sa.Column("facilitator", sa.String(40), nullable=True, index=True),
    # when it ended (the session report's length; None while it runs)
    sa.Column("ended_at", sa.Float, nullable=True),
    # what the projector shows beside the theme: the live group picture (only ever at k), and one
    # shared text the facilitator chose after reading it in the console (never a hidden one)
    sa.Column("show_picture", sa.Boolean, nullable=False, default=False),
    sa.Column("shown_text", sa.Integer, nullable=True),
)

participants = sa.Table(
    "participants",
    metadata,
    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("pseudonym", sa.String(32), primary_key=True),
    sa.Column("last_seen", sa.Float, nullable=False),
)

shares = sa.Table(
    "shares",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("exercise", sa.String(160), nullable=False),
    sa.Column("pseudonym", sa.String(32), nullable=False),
    sa.Column("field", sa.String(60), nullable=False),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("hidden", sa.Boolean, nullable=False, default=False),
    sqlite_autoincrement=True,  # ids only grow, so a changed answer always changes signature()
)


#: "someone would like a quiet word": a participant's anonymous request, shown to the console only
#: as a count (never who, never exported); withdrawn by the participant, deleted with the session
#: each move of everyone to a theme, and the first theme at the start: the report's time per theme
theme_log = sa.Table(
    "theme_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("theme", sa.String(120), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
)

word_requests = sa.Table(
    "word_requests",
    metadata,
    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("pseudonym", sa.String(32), primary_key=True),
)


#: facilitators who log in to the console when the kit runs online: a name and a salted scrypt hash
#: of their secret (workshop.facilitators), never the secret itself
facilitators = sa.Table(
    "facilitators",
    metadata,
    sa.Column("login", sa.String(40), primary_key=True),
    sa.Column("secret_hash", sa.String(200), nullable=False),
    sa.Column("created", sa.Float, nullable=False),
)


class StoreError(RuntimeError):
    """The store could not do what was asked (e.g. the database is unreachable)."""


@dataclass(frozen=True)
class Session:
    """A workshop session as stored."""

    id: int
    code: str
    kind: str
    k: int
    created: float
    theme: str
    follow: bool
    ended: bool
    facilitator: str | None = None
    ended_at: float | None = None
    show_picture: bool = False
    shown_text: int | None = None

    @property
    def display_code(self) -> str:
        """The code as people read it: ``KXR-4PM``."""
        return f"{self.code[:3]}-{self.code[3:]}"

    @property
    def aggregates_allowed(self) -> bool:
        """Only group sessions ever show group answers; couples and one-to-one never do."""
        return self.kind == "group"


@dataclass(frozen=True)
class Share:
    """One shared row: which exercise, which field, which value (and whether it is hidden)."""

    id: int
    exercise: str
    pseudonym: str
    field: str
    value: str
    hidden: bool


def normalise_code(text: str) -> str | None:
    """``"kxr-4pm"`` → ``"KXR4PM"``; ``None`` if it cannot be a session code."""
    if not isinstance(text, str):
        return None
    code = "".join(ch for ch in text.upper() if ch not in " -")
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def pseudonym(session_code: str, participant_id: str) -> str:
    """A participant's name in the store: unlinkable across sessions, stable within one."""
    return hashlib.sha256(f"{session_code}:{participant_id}".encode()).hexdigest()[:32]


def _storable(value: object) -> str:
    """Text any database can hold: no unpaired surrogates, no NUL."""
    return str(value).encode("utf-8", "ignore").decode("utf-8").replace("\x00", "")


def default_url() -> str:
    """``HOLDING_SPACE_DB``, else a SQLite file in the data folder."""
    url = os.environ.get("HOLDING_SPACE_DB")
    if url:
        return url
    return f"sqlite:///{paths.data_dir(create=True) / 'holding-space.sqlite'}"


def _sqlite_pragmas(busy_seconds: float):
    def apply(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return apply


class Store:
    """Sessions, presence and shared answers, in one database."""

    def __init__(self, url: str | None = None, busy_seconds: float = BUSY_SECONDS) -> None:
        """``busy_seconds``: how long a write waits for another writer before it fails (SQLite).
        A participant kernel waits less (see :mod:`widgets.live_session`): it is frozen while it
        waits, and a failed share is kept and tried again."""
        self.url = url or default_url()
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite:
            path = self.url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine = sa.create_engine(self.url, connect_args={"timeout": busy_seconds}, poolclass=sa.pool.NullPool)
            event.listen(self.engine, "connect", _sqlite_pragmas(busy_seconds))
        else:
            self.engine = sa.create_engine(self.url, pool_pre_ping=True)
        metadata.create_all(self.engine)
        self._add_missing_columns()

    #: columns added to ``sessions`` after its first release, with their SQL type and default
    LATER_COLUMNS = {"facilitator": "VARCHAR(40)", "ended_at": "FLOAT", "show_picture": "BOOLEAN NOT NULL DEFAULT FALSE",
                     "shown_text": "INTEGER"}

    def _add_missing_columns(self) -> None:
        """A store made before a column existed gets it (``create_all`` makes only missing tables)."""
        # one look at the table per store (each participant kernel makes one when it joins a session)
        known = {column["name"] for column in sa.inspect(self.engine).get_columns("sessions")}
        for name, kind in self.LATER_COLUMNS.items():
            if name in known:
                continue
            try:
                with self.engine.begin() as db:
                    db.exec_driver_sql(f"ALTER TABLE sessions ADD COLUMN {name} {kind}")
            except sa.exc.DBAPIError:  # another process added it first
                if name not in {c["name"] for c in sa.inspect(self.engine).get_columns("sessions")}:
                    raise

    @property
    def path(self) -> Path | None:
        """The SQLite file, if the store is one."""
        if not self.is_sqlite:
            return None
        return Path(self.url.split("///", 1)[-1])

    # ------------------------------------------------------------------ sessions
    def create_session(self, kind: str = "group", k: int = 5, theme: str = "", facilitator: str | None = None) -> Session:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        if isinstance(k, bool) or not isinstance(k, int) or not 2 <= k <= 100:
            raise ValueError("k must be a whole number from 2 to 100")
        for _ in range(20):
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            try:
                with self.engine.begin() as db:
                    db.execute(
                        sessions.insert().values(
                            code=code, kind=kind, k=k, created=time.time(), theme=theme, follow=True, ended=False,
                            facilitator=facilitator, show_picture=False,
                        )
                    )
                    if theme:
                        made = db.execute(sa.select(sessions.c.id).where(sessions.c.code == code)).scalar_one()
                        db.execute(theme_log.insert().values(session_id=made, theme=theme, at=time.time()))
            except sa.exc.IntegrityError:
                continue
            return self.session(code)  # type: ignore[return-value]
        raise StoreError("could not find a free session code")

    def session(self, code: str) -> Session | None:
        code = normalise_code(code)
        if code is None:
            return None
        with self.engine.connect() as db:
            row = db.execute(sa.select(sessions).where(sessions.c.code == code)).mappings().first()
        return Session(**row) if row else None

    def latest_session(self, facilitator: str | None = None) -> Session | None:
        """The most recently created session of this facilitator (None: the laptop's console, which
        has no login) that has not ended. One facilitator never sees another's sessions."""
        owner = sessions.c.facilitator.is_(None) if facilitator is None else sessions.c.facilitator == facilitator
        with self.engine.connect() as db:
            row = (
                db.execute(sa.select(sessions).where(sessions.c.ended.is_(False), owner).order_by(sessions.c.id.desc()).limit(1))
                .mappings()
                .first()
            )
        return Session(**row) if row else None

    def update_session(self, code: str, **changes: object) -> Session:
        """Change a session; a new theme is logged (the report's time per theme), an end is timed."""
        allowed = {"theme", "follow", "ended", "k", "show_picture", "shown_text"}
        if set(changes) - allowed:
            raise ValueError(f"only {allowed} can change")
        before = self.session(code)
        if before is None:
            raise StoreError(f"no session {code}")
        now = time.time()
        if changes.get("ended") and not before.ended:
            changes["ended_at"] = now
        with self.engine.begin() as db:
            db.execute(sessions.update().where(sessions.c.id == before.id).values(**changes))
            if changes.get("theme") and changes["theme"] != before.theme and not before.ended:
                db.execute(theme_log.insert().values(session_id=before.id, theme=changes["theme"], at=now))
        session = self.session(code)
        if session is None:
            raise StoreError(f"no session {code}")
        return session

    # ------------------------------------------------------------------ presence
    def touch(self, session: Session, who: str) -> None:
        """Record that a participant is here (a refresh or reconnect is the same participant)."""
        now = time.time()
        with self.engine.begin() as db:
            updated = db.execute(
                participants.update()
                .where(participants.c.session_id == session.id, participants.c.pseudonym == who)
                .values(last_seen=now)
            ).rowcount
            if not updated:
                try:
                    with db.begin_nested():
                        db.execute(participants.insert().values(session_id=session.id, pseudonym=who, last_seen=now))
                except sa.exc.IntegrityError:  # the same participant in two tabs at once
                    pass

    def present(self, session: Session, within: float = PRESENT_SECONDS) -> int:
        """How many participants were seen in the last ``within`` seconds."""
        with self.engine.connect() as db:
            return db.execute(
                sa.select(sa.func.count())
                .select_from(participants)
                .where(participants.c.session_id == session.id, participants.c.last_seen >= time.time() - within)
            ).scalar_one()

    # ------------------------------------------------------------------ shares
    def replace_shares(self, session: Session, who: str, exercise: str, rows: Iterable[tuple[str, str]]) -> None:
        """Make ``rows`` this participant's whole shared answer to ``exercise`` (empty: unshare)."""
        clean = [(_storable(f)[:60], _storable(v)[:MAX_VALUE]) for f, v in rows]
        with self.engine.begin() as db:
            db.execute(
                shares.delete().where(
                    shares.c.session_id == session.id, shares.c.pseudonym == who, shares.c.exercise == exercise
                )
            )
            if clean:
                db.execute(
                    shares.insert(),
                    [
                        {"session_id": session.id, "exercise": exercise[:160], "pseudonym": who, "field": f, "value": v, "hidden": False}
                        for f, v in clean
                    ],
                )

    def shares(self, session: Session, exercise: str | None = None) -> list[Share]:
        query = sa.select(shares).where(shares.c.session_id == session.id)
        if exercise is not None:
            query = query.where(shares.c.exercise == exercise)
        with self.engine.connect() as db:
            rows = db.execute(query.order_by(shares.c.id)).mappings().all()
        return [Share(**{k: row[k] for k in ("id", "exercise", "pseudonym", "field", "value", "hidden")}) for row in rows]

    def hide(self, session: Session, share_id: int, hidden: bool = True) -> None:
        with self.engine.begin() as db:
            db.execute(shares.update().where(shares.c.session_id == session.id, shares.c.id == share_id).values(hidden=hidden))

    # ------------------------------------------------------------------ a quiet word
    def ask_for_word(self, session: Session, who: str, asking: bool = True) -> None:
        """Record (or take back) a participant's anonymous wish for a quiet word with the facilitator."""
        with self.engine.begin() as db:
            db.execute(word_requests.delete().where(word_requests.c.session_id == session.id, word_requests.c.pseudonym == who))
            if asking:
                db.execute(word_requests.insert().values(session_id=session.id, pseudonym=who))

    def has_asked_for_word(self, session: Session, who: str) -> bool:
        """Is this participant's request for a quiet word standing (so a reloaded page can show it)?"""
        with self.engine.connect() as db:
            return db.execute(
                sa.select(sa.func.count()).select_from(word_requests).where(
                    word_requests.c.session_id == session.id, word_requests.c.pseudonym == who
                )
            ).scalar_one() > 0

    def words_asked(self, session: Session) -> int:
        """How many participants would like a quiet word (a count: the console never learns who)."""
        with self.engine.connect() as db:
            return db.execute(
                sa.select(sa.func.count()).select_from(word_requests).where(word_requests.c.session_id == session.id)
            ).scalar_one()

    def signature(self, session: Session) -> tuple:
        """Changes whenever the shares, the quiet-word requests or the presence change (cheap to poll).
        Presence is last: the console reads the head count from it."""
        with self.engine.connect() as db:
            count, top, hidden = db.execute(
                sa.select(sa.func.count(), sa.func.max(shares.c.id), sa.func.sum(sa.cast(shares.c.hidden, sa.Integer))).where(
                    shares.c.session_id == session.id
                )
            ).one()
        return (count, top, hidden, self.words_asked(session), self.present(session))

    def theme_times(self, session: Session, now: float | None = None) -> list[tuple[str, float]]:
        """(theme key, seconds spent there) in the order first visited: each move lasts until the
        next, the last until the session ended (or now)."""
        with self.engine.connect() as db:
            moves = db.execute(sa.select(theme_log.c.theme, theme_log.c.at).where(theme_log.c.session_id == session.id)
                               .order_by(theme_log.c.at, theme_log.c.id)).all()
        if not moves:  # a session made without a theme, never moved
            return []
        end = session.ended_at or (now if now is not None else time.time())
        spent: dict[str, float] = {}
        for (theme, at), following in zip(moves, [*moves[1:], None], strict=True):
            until = following[1] if following is not None else end
            spent[theme] = spent.get(theme, 0.0) + max(0.0, until - at)
        return list(spent.items())

    # ------------------------------------------------------------------ facilitators (online)
    def set_facilitator(self, name: str, secret_hash: str) -> None:
        """Add a facilitator, or give one a new secret (``secret_hash`` from ``facilitators.hash_secret``)."""
        with self.engine.begin() as db:
            updated = db.execute(facilitators.update().where(facilitators.c.login == name).values(secret_hash=secret_hash))
            if not updated.rowcount:
                db.execute(facilitators.insert().values(login=name, secret_hash=secret_hash, created=time.time()))

    def facilitator_hash(self, name: str) -> str | None:
        with self.engine.connect() as db:
            return db.execute(sa.select(facilitators.c.secret_hash).where(facilitators.c.login == name)).scalar()

    def facilitator_names(self) -> list[str]:
        with self.engine.connect() as db:
            return list(db.execute(sa.select(facilitators.c.login).order_by(facilitators.c.login)).scalars())

    def remove_facilitator(self, name: str) -> bool:
        """Remove a facilitator's login (their sessions stay until purged); True if there was one."""
        with self.engine.begin() as db:
            return bool(db.execute(facilitators.delete().where(facilitators.c.login == name)).rowcount)

    # ------------------------------------------------------------------ purge
    def purge(self, session: Session) -> None:
        """Delete the session, its participants and its shares; the bytes are overwritten."""
        with self.engine.begin() as db:
            db.execute(shares.delete().where(shares.c.session_id == session.id))
            db.execute(theme_log.delete().where(theme_log.c.session_id == session.id))
            db.execute(word_requests.delete().where(word_requests.c.session_id == session.id))
            db.execute(participants.delete().where(participants.c.session_id == session.id))
            db.execute(sessions.delete().where(sessions.c.id == session.id))
        self._compact()

    def purge_older_than(self, days: float) -> int:
        """Purge every session created more than ``days`` days ago; return how many."""
        cutoff = time.time() - days * 86400
        with self.engine.connect() as db:
            codes = db.execute(sa.select(sessions.c.code).where(sessions.c.created < cutoff)).scalars().all()
        for code in codes:
            session = self.session(code)
            if session is not None:
                self.purge(session)
        return len(codes)

    def _compact(self) -> None:
        """Overwrite what was deleted: SQLite checkpoints and vacuums (with secure_delete on);
        PostgreSQL rewrites the tables (VACUUM FULL), so dead rows leave the data files."""
        if not self.is_sqlite:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
                db.exec_driver_sql("VACUUM FULL shares, theme_log, word_requests, participants, sessions")
            return
        with self.engine.connect() as db:
            db.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        raw = self.engine.raw_connection()
        try:
            raw.execute("VACUUM") if hasattr(raw, "execute") else raw.cursor().execute("VACUUM")
        finally:
            raw.close()
        with self.engine.connect() as db:
            db.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
