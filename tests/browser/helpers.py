"""What the browser tests share: opening the app as a participant and watching its traffic."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Page, expect

APP_READY = ".hs-app .hs-next"


@dataclass
class Traffic:
    """Every request and websocket a page opened."""

    requests: list[str] = field(default_factory=list)
    websockets: list[str] = field(default_factory=list)
    navigations: list[str] = field(default_factory=list)

    def hosts(self) -> set[str]:
        """The hosts reached over the network (data: and blob: URLs stay in the browser)."""
        urls = [u for u in self.requests + self.websockets if not u.startswith(("data:", "blob:", "about:"))]
        return {urlsplit(url).netloc for url in urls}

    def in_browser(self) -> list[str]:
        return [u[:40] for u in self.requests if u.startswith(("data:", "blob:", "about:"))]

    def kernel_channels(self) -> list[str]:
        return [url for url in self.websockets if "/api/kernels/" in url and url.split("?")[0].endswith("/channels")]


def watch(page: Page) -> Traffic:
    traffic = Traffic()
    page.on("request", lambda request: traffic.requests.append(request.url))
    page.on("websocket", lambda ws: traffic.websockets.append(ws.url))
    page.on("framenavigated", lambda frame: traffic.navigations.append(frame.url) if frame == page.main_frame else None)
    return traffic


def open_app(page: Page, url: str) -> None:
    """Open the join address and wait until the first theme can be used."""
    page.goto(url)
    expect(page.locator(APP_READY)).to_be_visible(timeout=60_000)
    expect(page.locator(".hs-checkin .hs-chip").first).to_be_enabled(timeout=30_000)


def page_heading(page: Page):
    return page.locator(".hs-stage h1")


def open_console(browser: Browser, console, width: int = 1280, height: int = 900) -> Page:
    """The facilitator console (a ``ServerProcess``) in a new context, once it has drawn."""
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.goto(console.settings.join_url)
    try:  # the console's kernel starts on this first visit (no preheating): slow on a loaded machine
        expect(page.locator(".hs-console")).to_be_visible(timeout=120_000)
    except AssertionError as error:
        raise AssertionError(f"{error}\n--- the console server's log ---\n{console.tail(40)}") from None
    return page


#: how far the page reaches past the window's right edge, and the first elements that do: the
#: scrolling column's width (a page that scrolls sideways) and every drawn element of the app (one
#: that is cut off at the edge although nothing scrolls)
SIDEWAYS = """() => {
  const width = window.innerWidth;
  const column = document.getElementById('rendered_cells');
  const scroll = Math.max(document.documentElement.scrollWidth, column ? column.scrollWidth : 0) - width;
  const out = [];
  for (const el of document.querySelectorAll('.hs-app *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.right > width + 0.5 || r.left < -0.5) {
      out.push(`${el.tagName.toLowerCase()}.${String(el.className.baseVal ?? el.className).trim().split(/\\s+/).slice(0, 3).join('.')}`
               + ` [${Math.round(r.left)}, ${Math.round(r.right)}] "${(el.innerText || el.textContent || '').trim().slice(0, 30)}"`);
    }
  }
  return {scroll, out};
}"""


def sideways(page: Page) -> str:
    """'' if the page fits the window's width; otherwise what reaches past its edge."""
    found = page.evaluate(SIDEWAYS)
    if found["scroll"] <= 0 and not found["out"]:
        return ""
    return f"{found['scroll']}px of sideways scrolling; past the edge: " + "; ".join(found["out"][:6])
