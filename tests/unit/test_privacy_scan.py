"""Privacy scan (issue 7, part 4): a whole group session, driven through the participant app and
the facilitator console as Python objects, then the raw bytes of the SQLite file (with its
-wal and -shm), the kit's log and the console's CSV export searched for what must never be kept.

Each participant types a private answer, with a unique marker, into every text field of every
theme (the story I tell myself, the note from the partner's side, the I-statement, the space
agreement, the reframe, own words in the check-in and "what it stirs up", …), a name, and arrives
from a known address. Only the takeaways they tick to share may reach the store; after the
facilitator purges the session, not even those, nor the session's code, remain in the file.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
import traitlets

from widgets import CheckIn, StirsUp, Takeaway
from widgets.app import ParticipantApp
from widgets.console import FacilitatorConsole
from workshop import content, serverlog
from workshop.store import Store

IP = "203.0.113.77"  # TEST-NET-3: appears nowhere unless the kit copies the visitor's address
NAME = "Magdalena Wierzbicka"
PARTICIPANTS = 3


def raw_bytes(folder: Path) -> bytes:
    """Every byte of the store's files (the database, its write-ahead log and shared memory)."""
    files = sorted(folder.glob("holding-space.sqlite*"))
    assert files, "no store file was written"
    return b"".join(path.read_bytes() for path in files)


def type_everything(app: ParticipantApp, who: int, share_takeaway: bool) -> tuple[set[str], set[str]]:
    """Answer every text field of every exercise; return (private markers, shared markers)."""
    private, shared = set(), set()
    for key, exercise in app.all_exercises().items():
        texts = [name for name, trait in exercise.traits().items()
                 if trait.metadata.get("answer") and isinstance(trait, traitlets.Unicode)]
        for name in texts:
            sharing = isinstance(exercise, Takeaway) and name == "text" and share_takeaway
            marker = f"SHAREDTAKEAWAY{who}x{key.replace('/', 'q')}" if sharing else f"PRIVATE{who}x{key.replace('/', 'q')}x{name}"
            try:
                # the name only in private words: a shared takeaway is the participant's choice to show
                setattr(exercise, name, f"{marker} I can ask for a pause" if sharing else f"{marker} {NAME} said I was too much")
            except traitlets.TraitError:
                continue  # a choice among given options (e.g. which worry), not free text
            (shared if sharing else private).add(marker)
            if sharing:
                exercise.share = True
        if isinstance(exercise, StirsUp):
            exercise.chosen = (content.stirs_up()[0].id,)
            exercise.own = f"PRIVATE{who}xstirsxown {NAME}"
            private.add(f"PRIVATE{who}xstirsxown")
        if isinstance(exercise, CheckIn):
            exercise.other = f"PRIVATE{who}xcheckinxother"
            exercise.intensity = 7
            private.add(f"PRIVATE{who}xcheckinxother")
    return private, shared


@pytest.fixture
def kit_log(tmp_path: Path):
    """The kit's log (what a participant kernel writes to the server log), into a file, at DEBUG."""
    path = tmp_path / "logs" / "kernel.log"
    path.parent.mkdir()
    handler = logging.FileHandler(path, encoding="utf-8")
    log = serverlog.logger()
    log.addHandler(handler)
    level, log.level = log.level, logging.DEBUG
    yield path
    log.removeHandler(handler)
    handler.close()
    log.setLevel(level)


def test_a_whole_session_leaves_no_private_answer_name_or_address_and_purge_leaves_nothing(
    tmp_path: Path, monkeypatch, kit_log: Path
):
    """After a group session where everyone wrote privately in every field, is no private answer,
    name, browser id or address in the store's bytes, the log or the export (while the shared
    takeaways are, so the scan sees text), and after purge nothing of the session at all?"""
    data = tmp_path / "data"
    monkeypatch.setenv("HOLDING_SPACE_DATA", str(data))
    console = FacilitatorConsole(store=Store(), join_base="http://192.0.2.1:8866/?token=abc")
    session = console.start_session("group", k=2)

    private, shared, browser_ids, apps = set(), set(), set(), []
    for who in range(PARTICIPANTS):
        browser_id = f"{who:02d}b70e5e1d" + "c" * 22
        browser_ids.add(browser_id)
        # the request as Voila hands it to a preheated kernel, with the visitor's address in every
        # header a proxy could add
        request = {
            "QUERY_STRING": f"token=abc&s={session.code}&name={NAME.replace(' ', '+')}",
            "REMOTE_ADDR": IP, "HTTP_X_FORWARDED_FOR": IP, "HTTP_X_REAL_IP": IP, "SERVER_NAME": "192.0.2.1",
        }
        monkeypatch.setattr("widgets.app.wait_for_request", lambda request=request: request)
        app = ParticipantApp.from_notebooks()
        app.bind_visit()
        app._bridge.restored = ""
        app._bridge.participant_id = browser_id
        assert app.session is not None, "the visit did not join the session"
        app.decide_consent("share")
        mine, theirs = type_everything(app, who, share_takeaway=who != 0)
        private |= mine
        shared |= theirs
        apps.append(app)
    assert len(private) > 20 * PARTICIPANTS  # every theme's fields were typed in

    # a locked store while a share is written: the log says why, without the answer
    link = apps[1].client.link

    def locked(*_args, **_kwargs):
        raise sa.exc.OperationalError(
            "INSERT INTO shares (value) VALUES (?)", (f"SHAREDTAKEAWAY1 {NAME} {IP}",), Exception("database is locked")
        )

    monkeypatch.setattr(link.store, "replace_shares", locked)
    takeaway = next(ex for ex in apps[1].all_exercises().values() if isinstance(ex, Takeaway))
    takeaway.text = takeaway.text + " and more"
    monkeypatch.undo()  # the store works again; HOLDING_SPACE_DATA is set again below
    monkeypatch.setenv("HOLDING_SPACE_DATA", str(data))
    apps[1].poll_once()

    console.refresh(force=True)
    export = console.export_csv()
    for app in apps:
        app.poll_once()

    raw = raw_bytes(data)
    log = kit_log.read_bytes()
    assert b"could not be written yet" in log  # the failed write was logged
    for marker in shared:
        assert marker.encode() in raw and marker in export  # the scan can see what is shared
    for label, blob in (("store", raw), ("log", log), ("export", export.encode())):
        for marker in sorted(private):
            assert marker.encode() not in blob, f"private answer {marker} found in the {label}"
        assert NAME.encode() not in blob and NAME.replace(" ", "+").encode() not in blob, f"a name in the {label}"
        assert IP.encode() not in blob, f"the visitor's address in the {label}"
        for browser_id in browser_ids:
            assert browser_id.encode() not in blob, f"a browser's own id in the {label}"
    # nothing in the store looks like an IP address at all
    assert not re.search(rb"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])", raw)

    code = session.code
    console.purge()
    for app in apps:
        app.poll_once()  # participants still connected touch the store after the purge
    raw = raw_bytes(data)
    for marker in shared:
        assert marker.encode() not in raw, f"{marker} survived the purge"
    assert code.encode() not in raw and session.display_code.encode() not in raw
    assert b"SHAREDTAKEAWAY" not in raw and b"PRIVATE" not in raw
    assert Store().session(code) is None


def test_a_logged_request_keeps_neither_its_address_nor_its_query():
    """Does a refused request's log line lose the visitor's address and the link's query (session
    code, anything else in the link), keeping the method, path and status?"""
    from workshop.serving.server import redact

    line = f"[Voila] WARNING | 403 GET /voila/files/app.ipynb?s=ABCDEF&name={NAME.replace(' ', '+')} ({IP}) 0.7ms"
    cleaned = redact(line)
    assert cleaned == "[Voila] WARNING | 403 GET /voila/files/app.ipynb?(query hidden) (address hidden) 0.7ms"
    assert redact("Voilà is running at: http://127.0.0.1:8866/?token=...") == "Voilà is running at: http://127.0.0.1:8866/?token=..."
