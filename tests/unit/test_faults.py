"""Faults in the store, without a browser: another writer holding the lock, and a full disk.

Each: the participant reads a clear "not shared yet" message and is never frozen for long, the
share is kept and lands once the store works again, and the facilitator console keeps going.
The browser-level faults (a killed kernel, a reload, a dropped network, a restarted server) are
in ``tests/browser/test_faults.py``.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event

from widgets import CheckIn, Takeaway
from widgets.app import ParticipantApp
from widgets.console import FacilitatorConsole
from workshop import content, live
from workshop.store import Store, pseudonym

THEME7 = "07_closing"


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    """Retry after 0.05 s instead of 1 s, so the tests wait on conditions, not on the clock."""
    monkeypatch.setattr(live, "RETRY_FIRST", 0.05)
    monkeypatch.setattr(live, "RETRY_MAX", 0.2)


def text(key: str) -> str:
    return content.ui_text()[key]


def shown(widget) -> str:
    return widget.value.replace("&#x27;", "'").replace("&quot;", '"')


def arrive(store: Store, code: str, participant: str = "b" * 32) -> ParticipantApp:
    app = ParticipantApp.from_notebooks()
    app.join(code, store=store)
    app._bridge.participant_id = participant
    app.decide_consent("share")
    return app


def checkin(app: ParticipantApp) -> CheckIn:
    return next(ex for ex in app.all_exercises().values() if isinstance(ex, CheckIn))


def values(store: Store, session) -> set[str]:
    return {row.value for row in store.shares(session)}


def poll_until(app: ParticipantApp, condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never came true"
        app.poll_once()


@contextmanager
def exclusive_lock(path: Path):
    """Another program holding the database's write lock (``BEGIN EXCLUSIVE``) until the block ends."""
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    other.execute("BEGIN EXCLUSIVE")
    try:
        yield other
    finally:
        other.execute("ROLLBACK")
        other.close()


def disk_full(store: Store):
    """Every write to ``store`` fails as SQLite fails on a full disk; reading still works.
    Returns a function that frees the disk again."""
    writes = ("INSERT", "UPDATE", "DELETE", "VACUUM", "PRAGMA WAL_CHECKPOINT")

    def refuse(cursor, statement, parameters, context):
        if statement.lstrip().upper().startswith(writes):
            raise sqlite3.OperationalError("database or disk is full")

    event.listen(store.engine, "do_execute", refuse)
    event.listen(store.engine, "do_executemany", refuse)

    def free() -> None:
        event.remove(store.engine, "do_execute", refuse)
        event.remove(store.engine, "do_executemany", refuse)

    return free


# ---------------------------------------------------------------------- another writer holds the lock
def test_a_locked_store_says_not_shared_yet_and_the_share_lands_after(tmp_path: Path):
    """With another program holding BEGIN EXCLUSIVE well past the participant's wait: is the participant
    told "not shared yet", never frozen for long, is the console's refresh unharmed, and does the share
    land once the lock goes?"""
    path = tmp_path / "locked.sqlite"
    url = f"sqlite:///{path}"
    participant_store = Store(url, busy_seconds=0.3)
    console = FacilitatorConsole(store=Store(url, busy_seconds=0.3), join_base="http://192.0.2.1:8866/?token=a")
    session = console.start_session("group", k=2)
    app = arrive(participant_store, session.code)
    checkin(app).intensity = 4
    assert "4" in values(console.store, session)

    with exclusive_lock(path):
        started = time.monotonic()
        checkin(app).intensity = 9  # the share is attempted now, and waits 0.3 s at most
        assert time.monotonic() - started < 3, "the participant's kernel was frozen waiting for the lock"
        assert text("share_retrying")[:40] in shown(app._notice)
        assert "session_offline" not in app._notice.value and text("session_offline")[:30] not in shown(app._notice)
        # polling keeps following the facilitator (reading works) and does not wait on each poll
        started = time.monotonic()
        for _ in range(5):
            app.poll_once()
        assert time.monotonic() - started < 3
        assert app.session is not None and app.following
        # the console reads through the lock: its refresh works and shows what was stored
        console.poll_once()
        assert console.status_line.trouble == "" and text("console_read_trouble")[:30] not in console.status_line.value
        assert values(console.store, session) == {"4"}
        # a console action that writes says plainly that it could not, and nothing breaks
        console.move_everyone(THEME7)
        assert text("console_store_trouble")[:40] in console.status_line.value
        assert console.store.session(session.code).theme != THEME7
        time.sleep(0.6)  # held well past both busy timeouts (0.3 s), and past several retries

    poll_until(app, lambda: "9" in values(console.store, session))
    assert values(console.store, session) == {"9"}
    assert text("share_sent")[:30] in shown(app._notice)
    console.move_everyone(THEME7)  # tried again: it works, and the message goes
    assert console.store.session(session.code).theme == THEME7 and console.status_line.value == ""
    app.poll_once()
    assert app._pages[app.page].theme.key == THEME7


def test_the_participants_wait_for_a_lock_is_short_and_the_consoles_long():
    """Is the participant kernel's wait for another writer short (it is frozen meanwhile) while the
    console and the launcher keep SQLite's long wait?"""
    from widgets import live_session
    from workshop import store

    assert live_session.WRITE_WAIT_SECONDS <= 3
    assert store.BUSY_SECONDS >= 10


def test_retries_back_off_so_a_long_lock_does_not_freeze_the_kernel(tmp_path: Path):
    """While the lock is held, do retries space out (each real try waits), rather than waiting on every poll?"""
    path = tmp_path / "backoff.sqlite"
    store = Store(f"sqlite:///{path}", busy_seconds=0.2)
    session = store.create_session("group", k=2)
    link = live.ParticipantLink(store, session, "c" * 32)
    with exclusive_lock(path):
        with pytest.raises(live.StoreError):
            link.share("00_welcome/check-in", [("intensity", "3")])
        started = time.monotonic()
        with pytest.raises(live.StoreError, match="trying again"):
            link.share("00_welcome/check-in", [("intensity", "3")])
        assert time.monotonic() - started < 0.1  # no second wait before the retry is due
    deadline = time.monotonic() + 5
    while True:
        try:
            assert link.share("00_welcome/check-in", [("intensity", "3")])
            break
        except live.StoreError:
            assert time.monotonic() < deadline
    assert [r.value for r in store.shares(session)] == ["3"] and link.last_error == ""


# ---------------------------------------------------------------------- the disk is full
def test_a_full_disk_keeps_the_share_and_writes_it_when_space_is_back(tmp_path: Path):
    """When every write fails with "database or disk is full": is the participant told "not shared yet",
    their earlier shares intact, and is the share (free text too) written once space is back?"""
    url = f"sqlite:///{tmp_path / 'full.sqlite'}"
    store = Store(url)
    session = store.create_session("group", k=2)
    app = arrive(store, session.code)
    checkin(app).intensity = 2
    free = disk_full(store)
    checkin(app).intensity = 7
    takeaway = next(ex for ex in app.all_exercises().values() if isinstance(ex, Takeaway))
    takeaway.text, takeaway.share = "a thing I keep", True
    assert text("share_retrying")[:40] in shown(app._notice)
    app.poll_once()
    assert values(store, session) == {"2"}, "a failed write must leave the earlier share as it was"
    free()
    poll_until(app, lambda: {"7", "a thing I keep"} <= values(store, session))
    assert "2" not in values(store, session)
    assert text("share_sent")[:30] in shown(app._notice)
    assert {r.pseudonym for r in store.shares(session)} == {pseudonym(session.code, "b" * 32)}


def test_a_full_disk_stops_the_purge_cleanly_and_export_still_works(tmp_path: Path):
    """On a full disk: does export still give the CSV, does purge say plainly that it could not (the
    session and its answers intact, nothing half-done), and does purge work when tried again later?"""
    store = Store(f"sqlite:///{tmp_path / 'purge.sqlite'}")
    console = FacilitatorConsole(store=store, join_base="http://192.0.2.1:8866/?token=a")
    session = console.start_session("group", k=2)
    store.replace_shares(session, pseudonym(session.code, "d" * 32), "07_closing/takeaway", [("text", "kept through it all")])
    free = disk_full(store)
    assert "kept through it all" in console.export_csv()
    console.export()
    assert text("console_exported")[:30] in console.data_panel.note.value and console.status_line.value == ""
    console.data_panel.purge_clicked()
    console.data_panel.purge_clicked()  # confirmed
    assert text("console_store_trouble")[:40] in console.status_line.value
    assert console.session is not None and store.session(session.code) is not None
    assert values(store, session) == {"kept through it all"}
    console.poll_once()  # the console's refresh carries on: reading works on a full disk
    assert console.status_line.trouble == "action" and text("console_read_trouble")[:30] not in console.status_line.value
    free()
    console.data_panel.purge_clicked()  # tried again later (the purge is still being confirmed)
    assert console.session is None and store.session(session.code) is None
    assert text("console_purged")[:30] in console.data_panel.note.value and console.status_line.value == ""


def test_a_console_that_cannot_read_says_so_once_and_recovers(tmp_path: Path, monkeypatch):
    """If the store cannot even be read, does the console say so (once) and clear it when reading works again?"""
    import sqlalchemy as sa

    store = Store(f"sqlite:///{tmp_path / 'read.sqlite'}")
    console = FacilitatorConsole(store=store, join_base="http://192.0.2.1:8866/?token=a")
    console.start_session("group", k=2)
    original = store.signature

    def unreadable(*_a, **_k):
        raise sa.exc.OperationalError("SELECT", {}, sqlite3.OperationalError("disk I/O error"))

    monkeypatch.setattr(store, "signature", unreadable)
    console.poll_once()
    console.poll_once()
    assert text("console_read_trouble")[:30] in console.status_line.value
    monkeypatch.setattr(store, "signature", original)
    console.poll_once()
    assert console.status_line.value == ""


# ---------------------------------------------------------------------- a real full disk (root only)
@pytest.fixture
def tiny_disk(tmp_path: Path):
    """An 8 MB filesystem (tmpfs), where root may mount one; skipped elsewhere (the simulated full disk
    above runs everywhere)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small filesystem needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> Path:
    """Fill the filesystem to the last byte."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as out:
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    out.write(b"\0" * size)
            except OSError:
                continue
    return filler


def test_a_really_full_disk_keeps_the_share_until_space_is_freed(tiny_disk: Path):
    """On a filesystem filled to the last byte: is the participant told the share waits, and does the share
    land (a long free text, needing new pages) once space is freed?"""
    store = Store(f"sqlite:///{tiny_disk / 'holding-space.sqlite'}")
    session = store.create_session("group", k=2)
    app = arrive(store, session.code)
    checkin(app).intensity = 1
    filler = fill(tiny_disk)
    takeaway = next(ex for ex in app.all_exercises().values() if isinstance(ex, Takeaway))
    long_text = "words that need new pages " * 70
    takeaway.text, takeaway.share = long_text, True
    for _ in range(3):
        app.poll_once()
    # on a really full disk even reading can fail ("disk I/O error" opening the WAL index): then
    # the participant reads that the group's connection is interrupted; either way, kept and retried
    assert any(text(key)[:40] in shown(app._notice) for key in ("share_retrying", "session_offline")), app._notice.value
    filler.unlink()
    assert long_text[:2000] not in values(store, session)
    poll_until(app, lambda: any(v.startswith("words that need new pages") for v in values(store, session)))
    assert "1" in values(store, session)
    app.poll_once()
    assert not any(text(key)[:40] in shown(app._notice) for key in ("share_retrying", "session_offline"))


# ---------------------------------------------------------------------- the launcher restarted
def test_a_restart_the_same_day_keeps_the_join_link_and_the_phones_answers(tmp_path: Path):
    """Does ``make workshop`` run again within the day keep the token (the QR code still works) and the workshop id
    (phones keep their saved answers), kept readable only by the facilitator; and does the next day start fresh?"""
    from workshop import cli

    first = cli.workshop_identity(tmp_path)
    assert cli.workshop_identity(tmp_path) == first
    path = tmp_path / "workshop.json"
    assert path.stat().st_mode & 0o077 == 0
    old = time.time() - (cli.SAME_WORKSHOP_HOURS + 1) * 3600
    os.utime(path, (old, old))
    later = cli.workshop_identity(tmp_path)
    assert later["token"] != first["token"] and later["workshop_id"] != first["workshop_id"]
    path.write_text("not json", encoding="utf-8")
    assert cli.workshop_identity(tmp_path)["token"]
