"""The participant server's away endpoint, over plain HTTP: what a page (or anyone else) can tell it.

``POST /holding-space/away/<kernel id>`` with ``state=away|back`` is sent by a participant's page
when it is hidden (a beacon: the login cookie and an ``_xsrf`` field, as Voila's shutdown beacon)
and shown again (a fetch with the token). A kernel away and without a connection for the grace is
freed; ``tests/browser/test_vanishing.py`` drives that with real phones.
"""

from __future__ import annotations

import re
import uuid

import pytest
import requests

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def server(participant_server):
    return participant_server


def open_page(server) -> tuple[requests.Session, str]:
    """A participant's page as the browser holds it: its cookies (login, _xsrf) and its kernel's id."""
    session = requests.Session()
    page = session.get(server.settings.join_url, timeout=60)
    assert page.status_code == 200 and session.cookies.get("_xsrf")
    return session, re.search(r'"kernelId":\s*"([0-9a-f-]+)"', page.text).group(1)


def close_page(server, session: requests.Session, kernel_id: str) -> None:
    """Voila's own tab-closing beacon: the kernel is freed, not left to the culler."""
    session.post(server.settings.base_url + f"voila/api/shutdown/{kernel_id}",
                 data={"_xsrf": session.cookies["_xsrf"]}, timeout=30)


@pytest.fixture(scope="module")
def visit(server):
    """One page for the module's requests (each page takes a kernel)."""
    session, kernel_id = open_page(server)
    yield session, kernel_id
    close_page(server, session, kernel_id)


def away_url(server, kernel_id: str) -> str:
    return server.settings.base_url + f"holding-space/away/{kernel_id}"


def pages_away(server) -> int:
    response = requests.get(server.settings.base_url + "holding-space/away", params={"token": server.settings.token},
                            timeout=30)
    assert response.status_code == 200
    return response.json()["away"]


def beacon(session: requests.Session, server, kernel_id: str, state: str, **fields) -> requests.Response:
    """What ``navigator.sendBeacon`` sends: the cookies, and a form with the _xsrf cookie's value."""
    data = {"_xsrf": session.cookies["_xsrf"], "state": state, **fields}
    return session.post(away_url(server, kernel_id), data=data, timeout=30)


def no_traceback(response: requests.Response) -> None:
    for marker in ("Traceback", 'File "', "site-packages", ".py"):
        assert marker not in response.text, response.text


def test_a_page_says_it_is_away_then_back(server, visit):
    """Does the page's beacon (cookies, _xsrf) mark its kernel away, and its fetch with the token mark it back?"""
    session, kernel_id = visit
    before = pages_away(server)
    response = beacon(session, server, kernel_id, "away")
    assert response.status_code == 204 and not response.content
    assert pages_away(server) == before + 1
    assert beacon(session, server, kernel_id, "away").status_code == 204  # twice is still one page
    assert pages_away(server) == before + 1
    back = requests.post(away_url(server, kernel_id), params={"token": server.settings.token},
                         data={"state": "back"}, timeout=30)
    assert back.status_code == 204
    assert pages_away(server) == before


def test_without_the_token_nothing_is_recorded(server, visit):
    """Does a visitor without the token or the login cookie get 403, for the count as for a kernel?"""
    session, kernel_id = visit
    before = pages_away(server)
    xsrf = session.cookies["_xsrf"]
    stranger = requests.post(away_url(server, kernel_id), data={"_xsrf": xsrf, "state": "away"},
                             cookies={"_xsrf": xsrf}, timeout=30)
    assert stranger.status_code == 403
    no_traceback(stranger)
    wrong = requests.post(away_url(server, kernel_id), params={"token": "guess"}, data={"state": "away"}, timeout=30)
    assert wrong.status_code == 403
    assert requests.get(server.settings.base_url + "holding-space/away", timeout=30).status_code == 403
    assert pages_away(server) == before


def test_a_beacon_without_its_xsrf_field_is_refused(server, visit):
    """With the login cookie but no _xsrf field (a cross-site form could send that), is the POST refused?"""
    session, kernel_id = visit
    before = pages_away(server)
    missing = session.post(away_url(server, kernel_id), data={"state": "away"}, timeout=30)
    assert missing.status_code == 403
    forged = session.post(away_url(server, kernel_id), data={"state": "away", "_xsrf": "2|00|00|00"}, timeout=30)
    assert forged.status_code == 403
    no_traceback(missing)
    assert pages_away(server) == before


@pytest.mark.parametrize("state", ["", "gone", "AWAY", "away back", "x" * 5000])
def test_a_bad_state_is_a_400_without_traceback(server, visit, state: str):
    """Is a state other than away or back refused with 400 and a short JSON answer, nothing recorded?"""
    session, kernel_id = visit
    before = pages_away(server)
    response = beacon(session, server, kernel_id, state)
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/json")
    no_traceback(response)
    assert pages_away(server) == before


@pytest.mark.parametrize("kernel_id", [
    "abc",
    "not-a-kernel-id-at-all-but-36-chars!",
    "0123456789abcdef0123456789abcdef",
    "ABCDEF01-2345-6789-ABCD-EF0123456789",
    "..%2F..%2Fapi%2Fkernels",
    "%00",
    " 01234567-89ab-cdef-0123-456789abcdef",
    "01234567-89ab-cdef-0123-456789abcdef/extra",
    "01234567-89ab-cdef-0123-456789abcdef%0A",
])
def test_a_malformed_kernel_id_is_a_400_without_traceback(server, visit, kernel_id: str):
    """Is anything but a kernel id's shape refused with 400, no traceback, nothing recorded?"""
    session, _ = visit
    before = pages_away(server)
    response = beacon(session, server, kernel_id, "away")
    assert response.status_code == 400, response.status_code
    no_traceback(response)
    assert pages_away(server) == before


def test_an_unknown_kernel_is_a_404_and_never_recorded(server, visit):
    """For kernel ids the server does not have (freed, or made up), is the answer 404, nothing recorded?"""
    session, _ = visit
    before = pages_away(server)
    for _ in range(50):
        for state in ("away", "back"):
            response = beacon(session, server, str(uuid.uuid4()), state)
            assert response.status_code == 404
            no_traceback(response)
    assert pages_away(server) == before


def test_a_freed_kernel_answers_404_so_the_page_reloads(server):
    """Once the kernel is shut down (here by Voila's own tab-closing beacon), does its page's "back" get 404,
    and is its "away" entry gone?"""
    session, kernel_id = open_page(server)
    before = pages_away(server)
    assert beacon(session, server, kernel_id, "away").status_code == 204
    assert pages_away(server) == before + 1
    shutdown = session.post(server.settings.base_url + f"voila/api/shutdown/{kernel_id}",
                            data={"_xsrf": session.cookies["_xsrf"]}, timeout=30)
    assert shutdown.status_code == 204
    back = requests.post(away_url(server, kernel_id), params={"token": server.settings.token},
                         data={"state": "back"}, timeout=30)
    assert back.status_code == 404
    no_traceback(back)
    assert pages_away(server) == before
