"""The facilitator console is its own server: localhost only, its own token, unreachable from
the participant server."""

from __future__ import annotations

import psutil
import pytest
import requests

from workshop.serving.server import ServerProcess, console_settings, free_port

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory, participant_server):
    tmp = tmp_path_factory.mktemp("console")
    settings = console_settings(
        free_port(), data=tmp / "data", extra_env={"HOLDING_SPACE_JOIN_BASE": participant_server.settings.join_url}
    )
    server = ServerProcess(settings, tmp / "data" / "logs" / "console.log").start()
    server.wait_until_listening()
    yield server
    server.stop()


def listening_addresses(server: ServerProcess) -> set[str]:
    process = psutil.Process(server.process.pid)
    return {c.laddr.ip for c in process.net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN}


def test_the_console_listens_on_localhost_only(console):
    """Does the console's server listen on the loopback address and nowhere else?"""
    addresses = listening_addresses(console)
    assert addresses and addresses <= {"127.0.0.1", "::1"}


def test_the_participant_server_listens_for_the_room(participant_server):
    """(Contrast) The participant server of the tests listens where the launcher told it to."""
    assert listening_addresses(participant_server) == {participant_server.settings.bind}


def test_the_console_opens_with_its_own_token(console):
    """Does the console page open with the console's token and show the console?"""
    response = requests.get(console.settings.join_url, timeout=90)
    assert response.status_code == 200 and "facilitator.ipynb" not in response.text
    assert "FacilitatorConsole" not in response.text  # no source


def test_the_console_refuses_no_token_and_the_participant_token(console, participant_server):
    """Does the console refuse a visitor without its token, or with the participants' token?"""
    assert requests.get(console.settings.base_url, timeout=30).status_code == 403
    wrong = f"{console.settings.base_url}?token={participant_server.settings.token}"
    response = requests.get(wrong, timeout=30)
    assert response.status_code == 403 and "Ask your facilitator" in response.text


def test_the_participant_server_does_not_serve_the_console(participant_server):
    """Can a participant reach the console notebook through the participant server? (no)"""
    cookies = requests.get(participant_server.settings.join_url, timeout=60).cookies
    for path in ("facilitator.ipynb", "voila/files/facilitator.ipynb", "voila/render/facilitator.ipynb"):
        response = requests.get(participant_server.settings.base_url + path, cookies=cookies, timeout=30)
        assert response.status_code in (403, 404), path
        assert "FacilitatorConsole" not in response.text and "console" not in response.text.lower()


def _pieces(url: str) -> list[int]:
    """The sizes of the HTTP chunks a page arrives in, as sent (no decompression)."""
    response = requests.get(url, headers={"Accept-Encoding": "gzip"}, timeout=90, stream=True)
    assert response.status_code == 200
    return [len(chunk) for chunk in response.raw.read_chunked(decode_content=False)]


def test_a_warm_seats_page_arrives_in_a_couple_of_pieces(participant_server):
    """Is a warm seat's page, all rendered before anyone asked, sent in at most three pieces? Voila flushed
    after each of its 22 pieces, and each flush compressed and sent a few bytes of its own."""
    pieces = _pieces(participant_server.settings.join_url)
    assert 1 <= len(pieces) <= 3, pieces


def test_a_page_rendered_while_it_is_asked_for_still_comes_piece_by_piece(console):
    """(Contrast) The console's page is rendered as it is asked for (no warm seat): what is ready goes out
    while the next cell runs, so the facilitator sees the loading words first."""
    assert len(_pieces(console.settings.join_url)) >= 3
