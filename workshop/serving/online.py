"""An online workshop on one server (``holding-space online``, ``make online DOMAIN=…``).

```
 participants' and facilitators' browsers ── HTTPS (HTTP only redirects) ──►  Caddy (Debian's caddy)
                                                                               │  HSTS, 1 MB bodies,
   /console/*  ─► console server (127.0.0.1, facilitators sign in)             │  no access log
   everything else ─► participant replicas (127.0.0.1), sticky by the cookie ◄─┘  "hs_replica"
                         │                                        │
                         └──────── one PostgreSQL (a URL, or the kit's own, Unix socket only) ┘
```

- **Caddy** terminates HTTPS: a certificate from Let's Encrypt for a real domain (ports 80 and 443 must
  reach this machine), or from Caddy's own local authority (``tls internal``) for ``localhost``, an
  address, or ``--local-ca``. It caps request bodies at 1 MB, sends HSTS, keeps no access log, and
  spreads participants over the replicas with its ``cookie`` policy: a participant's page, websocket and
  reloads reach the replica that holds their kernel. When a replica stops answering (its health check
  or a failed connection), its participants are sent to another with a new cookie: their page reloads
  there, gets a fresh kernel and resumes from the answers kept in their browser; what they shared is in
  PostgreSQL and stays.
- **Replicas** are the kit's participant server, ``--behind-proxy``: they trust the proxy's forwarded
  address (for the failed-token slow-down) and scheme (Secure cookies), and all sign cookies with one
  secret. Each takes an equal share of the free memory for its warm seats. A replica that dies is
  started again.
- **The console** signs each facilitator in with their own secret (stored hashed,
  ``holding-space facilitator add``) and shows them their own sessions only.
- **Follow, presence and group answers** go through the store, as on a laptop, so participants of one
  session may sit on different replicas.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from ipaddress import ip_address
from pathlib import Path

CADDY_FIX = "Caddy was not found. Install it with: sudo apt-get install caddy (make online does it for you)"
#: a Content-Length above 1 MiB (1,048,576 bytes): every 7-digit number above it, and any longer one
TOO_BIG = ("[2-9][0-9]{6}|1[1-9][0-9]{5}|10[5-9][0-9]{4}|1049[0-9]{3}|1048[6-9][0-9]{2}|10485[89][0-9]"
           "|104857[7-9]|[0-9]{8,}")
#: the lines of the proxy's log kept in memory for a message
TAIL = 40


def is_local_name(domain: str) -> bool:
    """``localhost`` or an IP address: no public certificate can be had; Caddy's own authority signs."""
    if domain == "localhost" or domain.endswith(".localhost") or domain.endswith(".local"):
        return True
    try:
        ip_address(domain.strip("[]"))
        return True
    except ValueError:
        return False


def check_domain(domain: str) -> str:
    """A host name or address for the site (no scheme, path or port), or ValueError saying what to give."""
    cleaned = (domain or "").strip().lower().rstrip(".")
    allowed = set("abcdefghijklmnopqrstuvwxyz0123456789.-:[]")
    if not cleaned or set(cleaned) - allowed or "//" in cleaned or len(cleaned) > 253:
        raise ValueError("DOMAIN must be a host name such as workshop.example.org (no https://, no path)")
    return cleaned


@dataclass
class ProxyPlan:
    """What Caddy is told: the site, its ports, where the replicas and the console listen."""

    domain: str
    replicas: list[int]
    console_port: int
    storage: Path
    https_port: int = 443
    http_port: int = 80
    local_ca: bool = False
    cookie_secret: str = field(default_factory=lambda: secrets.token_hex(16))

    @property
    def site(self) -> str:
        return f"https://{self.domain}" + ("" if self.https_port == 443 else f":{self.https_port}")

    @property
    def public_url(self) -> str:
        return self.site + "/"


def caddyfile(plan: ProxyPlan) -> str:
    """The proxy's whole configuration (Caddy 2.6's Caddyfile)."""
    upstreams = " ".join(f"127.0.0.1:{port}" for port in plan.replicas)
    tls = "\ttls internal\n" if plan.local_ca else ""
    # on the standard ports Caddy redirects HTTP to HTTPS by itself (and answers Let's Encrypt's
    # challenge there); on others its redirect drops the HTTPS port, so the kit writes its own
    redirect = "" if plan.https_port == 443 else (
        f"\nhttp://{plan.domain}:{plan.http_port} {{\n\tredir {plan.site}{{uri}} 308\n}}\n")
    auto = "" if plan.https_port == 443 else "\tauto_https disable_redirects\n"
    return f"""# Written by holding-space online at each start; edits here are replaced.
{{
\tadmin off
\thttp_port {plan.http_port}
\thttps_port {plan.https_port}
\tstorage file_system {{
\t\troot {plan.storage}
\t}}
\tskip_install_trust
{auto}\tgrace_period 5s
\tservers {{
\t\tprotocols h1 h2
\t}}
}}

{plan.site} {{
{tls}\trequest_body {{
\t\tmax_size 1MB
\t}}
\theader {{
\t\tStrict-Transport-Security "max-age=31536000"
\t\tX-Content-Type-Options "nosniff"
\t\t# same-origin: nothing to other sites; the page's own forms and beacons keep their Origin (with
\t\t# no-referrer, Chromium sends "Origin: null" and Jupyter refuses the sign-in and the leaving beacons)
\t\tReferrer-Policy "same-origin"
\t\t-Server
\t}}
\t# Caddy 2.6 sets its stickiness cookie without these: HTTPS only, out of reach of scripts
\theader {{
\t\tdefer
\t\tSet-Cookie "^(hs_replica=[0-9a-f]+; Path=/)$" "$1; Secure; HttpOnly; SameSite=Lax"
\t}}
\t# Caddy 2.6 cuts a longer body but then answers 502; a declared length above 1 MiB gets 413 first
\t@too_big header_regexp Content-Length ^({TOO_BIG})$
\tredir /console /console/ 308
\thandle /console/* {{
\t\trespond @too_big "Request too large" 413
\t\treverse_proxy 127.0.0.1:{plan.console_port} {{
\t\t\theader_down -Server
\t\t}}
\t}}
\thandle {{
\t\trespond @too_big "Request too large" 413
\t\treverse_proxy {upstreams} {{
\t\t\tlb_policy cookie hs_replica {plan.cookie_secret}
\t\t\tlb_try_duration 10s
\t\t\tlb_try_interval 250ms
\t\t\tfail_duration 20s
\t\t\thealth_uri /holding-space/health
\t\t\thealth_interval 2s
\t\t\thealth_timeout 2s
\t\t\theader_down -Server
\t\t}}
\t}}
}}
{redirect}"""


class CaddyProcess:
    """Caddy running a written Caddyfile; its output goes to ``log_path``."""

    def __init__(self, plan: ProxyPlan, config_dir: Path, log_path: Path, caddy: str | None = None) -> None:
        self.plan = plan
        self.caddy = caddy or shutil.which("caddy")
        if not self.caddy:
            raise RuntimeError(CADDY_FIX)
        self.config_dir = config_dir
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self._lines: list[str] = []

    @property
    def config_path(self) -> Path:
        return self.config_dir / "Caddyfile"

    def start(self) -> CaddyProcess:
        self.config_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.plan.storage.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.config_path.write_text(caddyfile(self.plan), encoding="utf-8")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, XDG_DATA_HOME=str(self.plan.storage), XDG_CONFIG_HOME=str(self.config_dir),
                   HOME=str(self.config_dir))
        self.process = subprocess.Popen(
            [self.caddy, "run", "--config", str(self.config_path), "--adapter", "caddyfile"],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            errors="replace", start_new_session=True)
        threading.Thread(target=self._read, name="proxy-log", daemon=True).start()
        return self

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        with open(self.log_path, "a", encoding="utf-8") as log:
            for line in self.process.stdout:
                log.write(line)
                log.flush()
                self._lines = [*self._lines[-TAIL:], line.rstrip("\n")]

    def tail(self) -> str:
        return "\n".join(self._lines)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_until_listening(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"the proxy stopped\n{self.tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.plan.https_port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"the proxy did not listen within {timeout:.0f} s\n{self.tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def root_certificate(self) -> Path:
        """Caddy's local authority's root (``tls internal``): give it to a browser or client to trust."""
        return self.plan.storage / "pki" / "authorities" / "local" / "root.crt"


def online_secrets(data: Path) -> dict[str, str]:
    """The cookie secrets, kept in the data folder (0600) so a restart signs no one out."""
    path = data / "online.json"
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
        if {"cookie_secret", "proxy_secret"} <= set(kept):
            return {key: str(kept[key]) for key in ("cookie_secret", "proxy_secret")}
    except (OSError, ValueError, TypeError):
        pass
    fresh = {"cookie_secret": secrets.token_hex(32), "proxy_secret": secrets.token_hex(16)}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(fresh, out)
    return fresh


def free_ports(count: int, start: int) -> list[int]:
    """``count`` ports free on loopback, from ``start`` up."""
    from .server import port_is_free

    ports: list[int] = []
    port = start
    while len(ports) < count:
        if port > 65535:
            raise RuntimeError(f"no {count} free ports from {start}")
        if port_is_free(port, "127.0.0.1"):
            ports.append(port)
        port += 1
    return ports
