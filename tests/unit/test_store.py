"""The store: sessions, presence, shares, many writers at once, purge that really deletes."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest

from workshop import aggregate
from workshop.store import CODE_ALPHABET, Store, normalise_code, pseudonym


@pytest.fixture(scope="session")
def postgres_url():
    """A throwaway PostgreSQL (Unix socket only); a missing server fails with the one-line fix."""
    from tests.postgres import TemporaryPostgres

    try:
        server = TemporaryPostgres()
        url = server.start()
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    yield url
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path: Path) -> Store:
    """The same store code on an SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        return Store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    store = Store(request.getfixturevalue("postgres_url"))
    with store.engine.begin() as db:  # a clean slate per test
        db.exec_driver_sql("TRUNCATE shares, theme_log, word_requests, participants, sessions, facilitators RESTART IDENTITY CASCADE")
    return store


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'store.sqlite'}")


def test_session_codes_are_short_readable_and_unique(store: Store):
    """Are codes six unambiguous characters, shown as ABC-DEF, and found however they are typed?"""
    codes = {store.create_session().code for _ in range(40)}
    assert len(codes) == 40
    for code in codes:
        assert len(code) == 6 and set(code) <= set(CODE_ALPHABET)
    session = store.create_session()
    assert store.session(session.display_code.lower()) == session
    assert normalise_code("O0I1-L2") is None and store.session("nope") is None


@pytest.mark.parametrize("kind, k", [("party", 5), ("group", 1), ("group", 0), ("group", True), ("group", 500)])
def test_bad_session_settings_are_refused(store: Store, kind, k):
    """Is an unknown kind or an absurd minimum group size refused?"""
    with pytest.raises(ValueError):
        store.create_session(kind=kind, k=k)


def test_the_sqlite_file_uses_wal(sqlite_store: Store):
    """Is the SQLite file in WAL mode with secure delete on?"""
    with sqlite_store.engine.connect() as db:
        assert db.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert db.exec_driver_sql("PRAGMA secure_delete").scalar() == 1


def test_a_returning_participant_is_counted_once(store: Store):
    """Does a refresh (the same browser id) keep the present count the same?"""
    session = store.create_session()
    one, two = pseudonym(session.code, "a" * 32), pseudonym(session.code, "b" * 32)
    for who in (one, one, two, one):
        store.touch(session, who)
    assert store.present(session) == 2


def test_pseudonyms_do_not_link_sessions():
    """Is the same browser a different pseudonym in another session?"""
    assert pseudonym("AAAAAA", "a" * 32) != pseudonym("CCCCCC", "a" * 32)


def test_replacing_shares_keeps_one_answer_per_participant(store: Store):
    """Does a changed answer replace the old one, and an empty one unshare?"""
    session = store.create_session()
    who = pseudonym(session.code, "a" * 32)
    store.replace_shares(session, who, "01/0", [("item", "x"), ("item", "y")])
    before = store.signature(session)
    store.replace_shares(session, who, "01/0", [("item", "z")])
    assert [s.value for s in store.shares(session, "01/0")] == ["z"]
    assert store.signature(session) != before
    store.replace_shares(session, who, "01/0", [])
    assert store.shares(session) == []


def _writer(url: str, code: str, n: int, rounds: int) -> None:
    store = Store(url)
    session = store.session(code)
    who = pseudonym(code, f"{n:032x}")
    for r in range(rounds):
        store.touch(session, who)
        store.replace_shares(session, who, "01/0", [("item", f"v{r}"), ("item", "same")])
        store.replace_shares(session, who, f"07/{r % 3}", [("text", f"writer {n} round {r}")])


def test_thirty_writer_processes_lose_nothing(tmp_path: Path):
    """With 30 participant processes writing at once, is every last answer there and no write lost to a lock?"""
    url = f"sqlite:///{tmp_path / 'busy.sqlite'}"
    store = Store(url)
    session = store.create_session(k=5)
    rounds = 10
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(url, session.code, n, rounds)) for n in range(30)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0] * 30, "a writer failed (e.g. 'database is locked')"
    rows = store.shares(session, "01/0")
    assert aggregate.respondents(rows) == 30
    assert sorted({r.value for r in rows}) == sorted({f"v{rounds - 1}", "same"})
    texts = [s.value for s in store.shares(session) if s.field == "text"]
    assert len(texts) == 30 * 3
    assert store.present(session) == 30


def test_purge_leaves_no_trace_in_the_file(tmp_path: Path):
    """After purge, can no byte of the session's shared answers be found in the database files?"""
    store = Store(f"sqlite:///{tmp_path / 'p.sqlite'}")
    keep = store.create_session()
    gone = store.create_session()
    store.replace_shares(keep, "k" * 32, "07/0", [("text", "KEEP-THIS-ANSWER")])
    for n in range(50):
        store.replace_shares(gone, f"{n:032x}", "07/0", [("text", f"PURGE-ME-{n}-private words")])
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("p.sqlite*"))
    assert b"PURGE-ME-7" in raw  # the check can see the text before the purge
    store.purge(gone)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("p.sqlite*"))
    assert b"PURGE-ME" not in raw and gone.code.encode() not in raw
    assert b"KEEP-THIS-ANSWER" in raw and store.session(gone.code) is None


def test_old_sessions_are_purged_at_start_up(store: Store):
    """Are sessions older than the retention period deleted, and newer ones kept?"""
    old, new = store.create_session(), store.create_session()
    import sqlalchemy as sa

    with store.engine.begin() as db:
        db.execute(sa.text("UPDATE sessions SET created = :t WHERE code = :c"), {"t": time.time() - 10 * 86400, "c": old.code})
    assert store.purge_older_than(7) == 1
    assert store.session(old.code) is None and store.session(new.code) is not None


def test_the_store_never_holds_an_ip_or_a_name_column(store: Store):
    """Do the tables hold no column for a name, an address or a private answer?"""
    from workshop.store import metadata

    columns = {c.name for table in metadata.tables.values() for c in table.columns}
    assert not columns & {"name", "ip", "address", "email", "participant_id", "private"}


def test_k_gate_and_couples(store: Store):
    """Is a group picture closed below k, open at k, and never open in couple or one-to-one sessions?"""
    group = store.create_session("group", k=5)
    for n in range(4):
        store.replace_shares(group, f"{n:032x}", "01/0", [("item", "x")])
    gate = aggregate.gate(group, store.shares(group, "01/0"))
    assert not gate.open and gate.needed == 1
    store.replace_shares(group, f"{4:032x}", "01/0", [("item", "x")])
    assert aggregate.gate(group, store.shares(group, "01/0")).open
    for kind in ("couple", "one"):
        session = store.create_session(kind, k=2)
        for n in range(10):
            store.replace_shares(session, f"{n:032x}", "01/0", [("item", "x")])
        assert not aggregate.gate(session, store.shares(session, "01/0")).open


def test_chart_summary_reads_the_counts():
    """Does a chart's text alternative give every non-zero count, largest first?"""
    chart = aggregate.Chart("Feelings", [("calm", 1), ("sad", 3), ("numb", 0)], respondents=4)
    assert chart.summary() == "Feelings (4 people): sad: 3; calm: 1."


def test_quiet_word_requests_are_a_count_per_session_taken_back_and_purged(store: Store):
    """Does each participant's anonymous request count once, only in its own session, change the console's
    signature, go when taken back, and go with the session on purge?"""
    one, other = store.create_session(), store.create_session()
    before = store.signature(one)
    for who in ("a" * 32, "b" * 32, "a" * 32):  # asking twice is still one request
        store.ask_for_word(one, who)
    store.ask_for_word(other, "c" * 32)
    assert store.words_asked(one) == 2 and store.words_asked(other) == 1
    assert store.has_asked_for_word(one, "a" * 32) and not store.has_asked_for_word(one, "c" * 32)
    assert store.signature(one) != before
    store.ask_for_word(one, "a" * 32, asking=False)
    assert store.words_asked(one) == 1 and not store.has_asked_for_word(one, "a" * 32)
    store.purge(one)
    assert store.words_asked(one) == 0 and store.words_asked(other) == 1


def test_facilitators_see_only_their_own_sessions(store: Store):
    """Online, does each facilitator's console pick up only the sessions they made, and a laptop's
    console (no sign-in) only those made without one?"""
    sams = store.create_session("group", k=3, facilitator="sam")
    kims = store.create_session("couple", facilitator="kim")
    laptop = store.create_session("group")
    assert store.latest_session("sam").code == sams.code
    assert store.latest_session("kim").code == kims.code
    assert store.latest_session().code == laptop.code
    assert store.latest_session("someone-else") is None
    store.update_session(sams.code, ended=True)
    assert store.latest_session("sam") is None  # an ended session is not picked up again
    assert store.session(kims.code).facilitator == "kim"


def test_a_facilitators_secret_is_kept_only_as_its_hash(store: Store):
    """Is a facilitator kept as a login and a scrypt hash, never the secret, and removable?"""
    from workshop import facilitators
    from workshop.store import facilitators as table

    secret = "correct horse battery"
    store.set_facilitator("sam", facilitators.hash_secret(secret))
    stored = store.facilitator_hash("sam")
    assert secret not in stored and stored.startswith("scrypt$")
    assert facilitators.verify(secret, stored) and not facilitators.verify(secret + "!", stored)
    store.set_facilitator("sam", facilitators.hash_secret("another long secret"))  # a new secret replaces the old
    assert not facilitators.verify(secret, store.facilitator_hash("sam"))
    assert store.facilitator_names() == ["sam"]
    assert {c.name for c in table.columns} == {"login", "secret_hash", "created"}
    assert store.remove_facilitator("sam") and not store.remove_facilitator("sam")
    assert store.facilitator_hash("sam") is None


def test_a_store_made_before_facilitators_gets_the_column(tmp_path: Path):
    """Does a data file from before issue 16 (sessions without a facilitator column) open, keep its
    sessions for the laptop's console, and take new ones?"""
    import sqlite3

    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE sessions (id INTEGER PRIMARY KEY, code VARCHAR(16) NOT NULL UNIQUE, kind VARCHAR(8) NOT NULL,"
                   " k INTEGER NOT NULL, created FLOAT NOT NULL, theme VARCHAR(120) NOT NULL, follow BOOLEAN NOT NULL,"
                   " ended BOOLEAN NOT NULL)")
        db.execute("INSERT INTO sessions VALUES (1, 'ACDEFH', 'group', 5, ?, '', 1, 0)", (time.time(),))
    store = Store(f"sqlite:///{path}")
    assert store.latest_session().code == "ACDEFH"
    assert store.create_session(facilitator="sam").facilitator == "sam"
    assert Store(f"sqlite:///{path}").latest_session().code == "ACDEFH"  # a second open adds nothing twice


def test_each_move_is_logged_and_the_time_per_theme_adds_up(store: Store, monkeypatch):
    """Does the store keep when everyone was moved (the report's time per theme), count a theme
    visited twice once with both stays, stop the clock at the end, and log nothing after it?"""
    import workshop.store as module

    clock = {"now": 1000.0}
    monkeypatch.setattr(module.time, "time", lambda: clock["now"])
    session = store.create_session("group", theme="00_welcome")
    for at, change in ((1600.0, {"theme": "01_the_pain_behind_the_request"}), (1900.0, {"theme": "00_welcome"}),
                       (2500.0, {"theme": "00_welcome"}),  # no move: nothing logged
                       (3000.0, {"ended": True}), (3500.0, {"theme": "07_closing"})):  # after the end: no stay
        clock["now"] = at
        store.update_session(session.code, **change)
    ended = store.session(session.code)
    assert ended.ended_at == 3000.0
    assert store.theme_times(ended) == [("00_welcome", 600.0 + 1100.0), ("01_the_pain_behind_the_request", 300.0)]
    store.purge(ended)
    with store.engine.connect() as db:
        assert db.execute(module.sa.select(module.theme_log)).all() == []
    assert store.theme_times(store.create_session("group")) == []  # no theme yet: no stay, no error
