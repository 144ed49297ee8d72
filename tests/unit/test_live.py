"""Joining a session from the participant app, without a browser: consent, following, sharing."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from widgets import CheckIn, StirsUp, Takeaway
from widgets.app import ParticipantApp
from workshop import content
from workshop.store import Store, pseudonym


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'live.sqlite'}")


def arrive(store: Store, code: str, participant: str = "a" * 32, restored: str = "") -> ParticipantApp:
    app = ParticipantApp.from_notebooks()
    app.join(code, store=store)
    app._bridge.restored = restored
    app._bridge.participant_id = participant
    return app


def exercise(app: ParticipantApp, cls):
    return next(ex for ex in app.all_exercises().values() if isinstance(ex, cls))


def test_a_group_participant_is_asked_for_consent_and_counted(store: Store):
    """Does joining a group session show the consent step and count the participant present?"""
    session = store.create_session("group", k=3)
    app = arrive(store, session.code)
    assert app._stage.children[0] is app._consent_view
    assert app.navigation.bar.layout.display == "none"
    assert store.present(session) == 1
    app.decide_consent("share")
    assert app._stage.children[0] is app.pages[app.page].view
    assert exercise(app, StirsUp).share and not exercise(app, Takeaway).share  # free text stays unticked


def test_keeping_everything_private_shares_nothing(store: Store):
    """After "keep everything private", does answering write nothing to the store?"""
    session = store.create_session("group", k=3)
    app = arrive(store, session.code)
    app.decide_consent("private")
    stirs = exercise(app, StirsUp)
    stirs.chosen = (content.stirs_up()[0].id,)
    assert store.shares(session) == []


def test_shared_choices_reach_the_store_and_private_words_never_do(store: Store):
    """Are ticked choices stored, and are own words and private writing kept out of the store?"""
    session = store.create_session("group", k=3)
    app = arrive(store, session.code)
    app.decide_consent("share")
    stirs = exercise(app, StirsUp)
    stirs.chosen = (content.stirs_up()[1].id,)
    stirs.own = "MY-OWN-LINE"
    checkin = exercise(app, CheckIn)
    checkin.other = "MY-OWN-WORD"
    checkin.intensity = 6
    rows = store.shares(session)
    values = {r.value for r in rows}
    assert content.stirs_up()[1].id in values and "6" in values
    assert "MY-OWN-LINE" not in values and "MY-OWN-WORD" not in values
    raw = b"".join(p.read_bytes() for p in store.path.parent.glob("live.sqlite*"))
    assert b"MY-OWN-LINE" not in raw and b"MY-OWN-WORD" not in raw
    stirs.share = False
    assert not [r for r in store.shares(session) if r.exercise.startswith("01_")]


def test_following_moves_the_participant_and_locks_next(store: Store):
    """When the facilitator moves everyone, does a poll move the participant, with Back/Next locked while following?"""
    session = store.create_session("group")
    app = arrive(store, session.code)
    app.decide_consent("seen")
    assert app.following and app.navigation.next.disabled and app.navigation.back.disabled
    store.update_session(session.code, theme="04_emotional_differences")
    app.poll_once()
    assert app.pages[app.page].theme.key == "04_emotional_differences"
    store.update_session(session.code, follow=False)
    app.poll_once()
    assert not app.following and not app.navigation.next.disabled


def test_a_refresh_is_the_same_participant_and_skips_consent(store: Store):
    """After a reload (same browser id, saved copy), is the participant counted once and not asked again?"""
    session = store.create_session("group")
    first = arrive(store, session.code)
    first.decide_consent("share")
    saved = first._bridge.snapshot
    again = arrive(store, session.code, restored=saved)
    assert again.consent == "share" and again._consent_view is None
    assert store.present(session) == 1


def test_couples_get_no_sharing_at_all(store: Store):
    """In a couple session, is no exercise offered for sharing?"""
    session = store.create_session("couple")
    app = arrive(store, session.code)
    app.decide_consent("seen")
    assert not any(ex.share_available for ex in app.all_exercises().values())
    exercise(app, CheckIn).share = True
    exercise(app, CheckIn).intensity = 3
    assert store.shares(session) == []


@pytest.mark.parametrize("code", ["", "ZZZ", "<script>", "AAAAAA"])
def test_a_wrong_code_works_alone_and_says_so(store: Store, code):
    """With a wrong or unknown code, does the app say so and work on its own, sharing nothing?"""
    app = ParticipantApp.from_notebooks()
    assert app.join(code, store=store) is False
    assert content.ui_text()["session_unknown"][:30] in app._notice.value
    app._bridge.participant_id = "a" * 32
    assert app.session is None and app._consent_view is None


def test_an_ended_session_stops_sharing(store: Store):
    """When the facilitator ends the session, does the participant stop sharing and hear about it?"""
    session = store.create_session("group")
    app = arrive(store, session.code)
    app.decide_consent("share")
    store.update_session(session.code, ended=True)
    app.poll_once()
    assert app.session is None and not app.following
    assert not any(ex.share_available for ex in app.all_exercises().values())
    assert content.ui_text()["session_ended"][:30] in app._notice.value


def test_a_lost_store_is_said_once_and_sharing_resumes(store: Store, monkeypatch):
    """If the store fails (locked, disk full), is the participant told calmly, and are pending shares written later?"""
    from workshop.store import StoreError

    session = store.create_session("group", k=2)
    app = arrive(store, session.code)
    app.decide_consent("share")
    original = app.client.link.share

    def failing(*_args, **_kwargs):
        raise StoreError("database is locked")

    monkeypatch.setattr(app.client.link, "share", failing)
    exercise(app, CheckIn).intensity = 9
    assert content.ui_text()["share_retrying"][:30] in html.unescape(app._notice.value)
    monkeypatch.setattr(app.client.link, "share", original)
    app.poll_once()
    assert "9" in {r.value for r in store.shares(session)}
    assert content.ui_text()["share_sent"][:20] in app._notice.value
    assert pseudonym(session.code, "a" * 32) in {r.pseudonym for r in store.shares(session)}


def test_a_quiet_word_reaches_the_console_as_a_count_never_as_a_person(store: Store, tmp_path: Path):
    """At a high rating in a session, can a participant ask anonymously for a quiet word, does the console show
    only how many asked, does a reload still show the request so it can be taken back, and does purge delete it?"""
    from widgets.console import FacilitatorConsole

    session = store.create_session("group", k=3)
    console = FacilitatorConsole(store=store, join_base="http://192.0.2.1:8866/?token=t")
    apps = [arrive(store, session.code, participant=c * 32) for c in "ab"]
    for app in apps:
        app.decide_consent("private")
        exercise(app, CheckIn).intensity = 9
        assert app.quiet_word in exercise(app, CheckIn)._care.children and app.quiet_word.layout.display is None
    apps[0].quiet_word.button.value = True
    console.refresh(force=True)
    texts = content.ui_text()
    assert texts["console_quiet_words"].format(n=1) in console.session_line.present.value
    apps[1].quiet_word.button.value = True
    console.refresh(force=True)
    assert texts["console_quiet_words"].format(n=2) in console.session_line.present.value
    for app in apps:
        assert pseudonym(session.code, app.participant_id) not in console.session_line.present.value
    again = arrive(store, session.code, participant="a" * 32)  # the first participant reloads
    assert again.quiet_word.button.value is True
    again.quiet_word.button.value = False  # and takes it back
    console.refresh(force=True)
    assert texts["console_quiet_words"].format(n=1) in console.session_line.present.value
    assert "quiet" not in console.export_csv()
    store.purge(session)
    assert store.words_asked(session) == 0


def test_outside_a_session_the_note_offers_no_quiet_word():
    """On one's own (no session), does the gentle note keep "take a moment" and the facilitator's words, but no
    request button?"""
    app = ParticipantApp.from_notebooks()
    app._bridge.participant_id = "c" * 32
    checkin = exercise(app, CheckIn)
    checkin.intensity = 9
    assert app.quiet_word.layout.display == "none"
    checkin._moment.click()
    assert app.moment is True
