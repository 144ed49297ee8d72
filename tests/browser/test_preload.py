"""The participant page with its code chunks in one script (workshop/serving/preload.py), in a real Chromium.

The contract with Voila and the widget extensions: the chunks a first page needs are registered by the
preload script before ``voila.js`` starts, so the page fetches none of them again. After an upgrade that
changes them, the first test fails and names the chunks to add to ``workshop/serving/preload.txt``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from workshop import content
from workshop.serving import preload

from ..conftest import start_server
from .helpers import open_app, watch

pytestmark = pytest.mark.browser

CHUNK = re.compile(r"/voila/(static/\d+\.voila\.js|labextensions/.+/static/(?!remoteEntry)[^/]+\.js)$")
#: a first page's static requests with the script: 4 stylesheets and voila-style.js, the script, voila.js
#: and 4 extension entries (97 without it; 16 while six of Voila's chunks, opening with a licence comment,
#: were taken for entry points and fetched one by one)
MOST_STATIC = 10


def static_requests(requests: list[str]) -> list[str]:
    """Paths under /voila/ and /holding-space/preload.js, in order, without their query."""
    paths = [urlsplit(url).path for url in requests]
    return [p for p in paths if p.startswith("/voila/") and p.endswith((".js", ".css", ".woff", ".woff2"))
            or p.endswith("/" + preload.URL_PATH)]


def test_a_first_page_fetches_its_chunks_in_one_script(page: Page, participant_server):
    """Does the page load the preload script once, fetch no listed chunk again, and work?"""
    traffic = watch(page)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    open_app(page, participant_server.settings.join_url)
    requested = static_requests(traffic.requests)
    chunks = [p for p in requested if CHUNK.search(p)]
    listed = set(preload.listed(preload.LIST.read_text(encoding="utf-8")))
    fetched_again = [p for p in chunks if p.split("/voila/", 1)[1] in listed]
    assert fetched_again == [], f"listed chunks fetched by the page as well: {fetched_again}"
    assert sum(p.endswith("/" + preload.URL_PATH) for p in requested) == 1
    assert chunks == [], (
        "the page fetched code chunks the preload script does not hold; add these to workshop/serving/preload.txt:\n"
        + "\n".join(p.split("/voila/", 1)[1] for p in chunks))
    assert len(requested) <= MOST_STATIC, requested
    assert errors == []
    # the app works: a feeling chosen shows in the summary, and the next theme opens
    feeling = content.feelings()[0]
    page.get_by_role("button", name=feeling, exact=True).click()
    expect(page.locator(".hs-summary")).to_contain_text(feeling)
    page.locator(".hs-app .hs-next").click()
    expect(page.locator(".hs-progress-text")).to_contain_text("2 of")


def test_without_the_script_the_page_fetches_its_chunks_itself(page: Page, tmp_path):
    """The fallback: a server with no list (or one that cannot be read) serves the page as Voila does."""
    server = start_server(tmp_path, pool_size=1, extra_args=["--HoldingSpaceVoila.preload_list="])
    try:
        traffic = watch(page)
        open_app(page, server.settings.join_url)
        requested = static_requests(traffic.requests)
        assert not any(p.endswith("/" + preload.URL_PATH) for p in requested)
        assert len([p for p in requested if CHUNK.search(p)]) > 50
        assert preload.URL_PATH not in page.content()
    finally:
        server.stop()
