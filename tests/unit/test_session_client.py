"""The participant's part in a live session without widgets (workshop.session_client), the answers kept
for a reload (workshop.answers), and the app's small views (navigation, the quiet word)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from workshop.answers import AnswerBook
from workshop.session_client import Joined, SessionClient, Status
from workshop.store import Store, StoreError, pseudonym


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'client.sqlite'}")


def test_the_client_loads_no_database_layer_until_a_code_is_joined():
    code = (
        "import sys; from workshop.session_client import SessionClient; c = SessionClient();"
        "print('sqlalchemy' in sys.modules, c.session, c.status.name)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "None", "WELL"]


@pytest.mark.parametrize("code", ["", "<script>", "ZZZ", "AAAAAA"])
def test_an_unknown_code_is_unknown(store: Store, code):
    client = SessionClient(store)
    assert client.join(code) is Joined.UNKNOWN and not client.joined and not client.connect("a" * 32)


def test_a_store_that_cannot_be_read_is_offline(store: Store, monkeypatch):
    session = store.create_session("group", k=2)

    def broken(_code):
        raise OSError("disk I/O error")

    monkeypatch.setattr(store, "session", broken)
    client = SessionClient(store)
    assert client.join(session.code) is Joined.OFFLINE and not client.joined


def test_joining_connecting_sharing_and_leaving(store: Store):
    session = store.create_session("group", k=2)
    seen, statuses = [], []
    client = SessionClient(store, on_status=statuses.append, on_session=seen.append)
    assert client.join(session.code) is Joined.JOINED and client.session is None  # waits for the browser's id
    assert client.connect("a" * 32) and not client.connect("a" * 32)
    assert client.is_group and store.present(session) == 1
    client.queue(["t/x"])
    client.flush(lambda key: [("item", "one")])
    assert [(s.exercise, s.pseudonym, s.value) for s in store.shares(session)] == [("t/x", pseudonym(session.code, "a" * 32), "one")]
    store.update_session(session.code, theme="t")
    client.poll(lambda key: [])
    assert seen[-1].theme == "t"
    store.update_session(session.code, ended=True)
    client.poll(lambda key: [])
    assert seen[-1] is None and client.session is None and statuses == []


def test_a_failed_write_is_kept_said_once_and_written_later(store: Store, monkeypatch):
    session = store.create_session("group", k=2)
    statuses = []
    client = SessionClient(store, on_status=statuses.append)
    client.join(session.code)
    client.connect("b" * 32)
    original = client.link.share

    def locked(*_args):
        raise StoreError("database is locked")

    monkeypatch.setattr(client.link, "share", locked)
    client.queue(["t/x", "t/y"])
    client.flush(lambda key: [("v", key)])
    client.flush(lambda key: [("v", key)])
    assert statuses == [Status.UNSHARED] and client.dirty == {"t/x", "t/y"}
    monkeypatch.setattr(client.link, "share", original)
    client.poll(lambda key: [("v", key)])
    assert statuses == [Status.UNSHARED, Status.WELL] and not client.dirty
    assert {s.value for s in store.shares(session)} == {"t/x", "t/y"}


def test_a_quiet_word_is_asked_and_taken_back(store: Store):
    session = store.create_session("group", k=2)
    client = SessionClient(store)
    with pytest.raises(StoreError):
        client.ask_for_word(True)  # not in a session
    client.join(session.code)
    client.connect("c" * 32)
    client.ask_for_word(True)
    assert client.has_asked_for_word() and store.words_asked(session) == 1
    client.ask_for_word(False)
    assert store.words_asked(session) == 0


class Answer:
    def __init__(self):
        self.data = {}

    @property
    def answer(self):
        return dict(self.data)

    def restore(self, data):
        self.data.update(data)
        return []


def test_the_answer_book_applies_known_names_and_keeps_the_rest_aside():
    book, built = AnswerBook(), {"t/a": Answer()}
    saved = {"t/a": {"x": 1}, "t/later": {"y": 2}, "gone/z": {"z": 3}, "no-slash": {"w": 4}, "t/bad": "not a dict", 7: {}}
    assert book.restore(saved, built, themes=["t"])
    assert built["t/a"].data == {"x": 1}
    assert book.take("t/later") == {"y": 2} and book.take("t/later") is None
    assert book.snapshot(built) == {"gone/z": {"z": 3}, "t/a": {"x": 1}}
    assert not AnswerBook().restore("junk", built, themes=["t"])
    assert not AnswerBook().restore({"gone/z": {"z": 3}}, {}, themes=["t"])  # nothing of this workshop


def test_navigation_locks_while_following_and_says_where_you_are():
    from widgets.navigation import Navigation

    nav = Navigation(titles=["One", "Two", "Three"])
    assert nav.back.disabled and not nav.next.disabled and "1 of 3" in nav.progress.value
    nav.next.click()
    assert nav.page == 1 and not nav.back.disabled
    nav.following = True
    nav.next.click()
    assert nav.page == 1 and nav.next.disabled and nav.back.disabled and "hs-following" in nav.follow_note.value
    nav.following, nav.page = False, 2
    assert nav.next.disabled and nav.end_note.value
    nav.shown = False
    assert nav.bar.layout.display == "none" and not nav.end_note.value


def test_a_quiet_word_that_cannot_be_stored_goes_back_and_says_so():
    from widgets.live_session import QuietWord

    answers = []
    quiet = QuietWord(ask=lambda asking: answers.append(asking) or False)
    quiet.button.value = True
    assert answers == [True] and quiet.button.value is False and not quiet.asking and "alert" in quiet._note.value
    quiet._ask = lambda asking: answers.append(asking) or True
    quiet.button.value = True
    assert quiet.asking and quiet.button.button_style == "primary"
    quiet.asking = False  # the app, after the session ended: the button follows without asking again
    assert quiet.button.value is False and answers == [True, True]
