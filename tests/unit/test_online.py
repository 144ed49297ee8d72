"""The online set-up's parts that need no server: facilitators' secrets, the slow-down of wrong
tokens, the proxy's configuration (validated by the real Caddy), and the facilitator command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from workshop import facilitators
from workshop.serving.auth import FailedAttempts
from workshop.serving.online import ProxyPlan, caddyfile, check_domain, is_local_name

KIT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- secrets
def test_a_secret_is_salted_and_checked_in_constant_form():
    """Are two hashes of one secret different (salt), each verifying only that secret, and is a
    tampered or foreign hash refused rather than raising?"""
    one, two = facilitators.hash_secret("a long enough secret"), facilitators.hash_secret("a long enough secret")
    assert one != two and "a long enough secret" not in one
    assert facilitators.verify("a long enough secret", one) and facilitators.verify("a long enough secret", two)
    assert not facilitators.verify("a long enough secreT", one)
    assert not facilitators.verify("a long enough secret", None)  # an unknown name
    for broken in ("", "md5$x", one.replace("scrypt", "bcrypt"), one[:-4] + "zzzz", "scrypt$1$2$3$zz$zz"):
        assert not facilitators.verify("a long enough secret", broken)
    assert not facilitators.verify("x" * 5000, one)  # too long to be one: not even hashed


@pytest.mark.parametrize("name, ok", [("sam", "sam"), (" J.Okafor ", "j.okafor"), ("a" * 40, "a" * 40)])
def test_names_are_cleaned(name, ok):
    assert facilitators.check_name(name) == ok


@pytest.mark.parametrize("name", ["", " ", "a" * 41, "-sam", "sam smith", "<b>", "sa\nm", "sam\x00", "ſam", "../x"])
def test_odd_names_are_refused_with_what_to_write(name):
    with pytest.raises(facilitators.FacilitatorError, match="1 to 40 characters"):
        facilitators.check_name(name)


def test_short_secrets_are_refused_with_what_to_write():
    with pytest.raises(facilitators.FacilitatorError, match="at least 12"):
        facilitators.hash_secret("short")


# ---------------------------------------------------------------- wrong tokens and secrets
def test_repeated_failures_from_one_address_wait_longer_each_time_then_are_refused():
    """The first five failures answer at once; then 0.5, 1, 2, 4, 8, 8 … s; the thirtieth in ten
    minutes blocks the address until the oldest leaves the window; another address is not slowed."""
    book = FailedAttempts()
    waits = [book.failed("a", now=100 + i) for i in range(12)]
    assert waits[:5] == [0.0] * 5 and waits[5:10] == [0.5, 1, 2, 4, 8] and waits[10:] == [8, 8]
    assert book.failed("b", now=112) == 0.0
    assert book.blocked_for("a", now=112) == 0.0
    for i in range(12, 30):
        book.failed("a", now=100 + i)
    assert book.blocked_for("a", now=130) == pytest.approx(600 + 100 - 130)
    assert book.blocked_for("a", now=701) == 0.0  # the oldest failures left the window
    book.succeeded("b")
    assert book.failed("b", now=702) == 0.0


def test_the_failure_book_stays_bounded_whoever_sends():
    book = FailedAttempts(addresses=100)
    for i in range(1000):
        book.failed(f"address-{i}", now=1.0)
    assert len(book._failures) == 100


# ---------------------------------------------------------------- the proxy's configuration
def plan(**changes) -> ProxyPlan:
    values = dict(domain="localhost", replicas=[9101, 9102], console_port=9100, storage=Path("/tmp/hs-caddy"),
                  https_port=8443, http_port=8080, local_ca=True, cookie_secret="0123456789abcdef")
    values.update(changes)
    return ProxyPlan(**values)


def test_the_proxy_serves_https_only_with_hsts_sticky_cookies_and_small_bodies():
    text = caddyfile(plan())
    assert "https://localhost:8443 {" in text and "tls internal" in text
    assert 'Strict-Transport-Security "max-age=31536000"' in text
    assert "max_size 1MB" in text
    assert "reverse_proxy 127.0.0.1:9101 127.0.0.1:9102 {" in text
    assert "lb_policy cookie hs_replica 0123456789abcdef" in text
    assert "health_uri /holding-space/health" in text
    assert "; Secure; HttpOnly; SameSite=Lax" in text
    assert "handle /console/* {\n\t\trespond @too_big \"Request too large\" 413\n\t\treverse_proxy 127.0.0.1:9100" in text
    assert text.count("respond @too_big") == 2  # the console's and the participants' routes
    # HTTP on another port than 80 redirects to HTTPS with its port (Caddy's own would drop it)
    assert "http://localhost:8080 {\n\tredir https://localhost:8443{uri} 308" in text
    assert "\tlog" not in text  # no access log: no participant's address is kept


def test_a_real_domain_gets_lets_encrypt_and_caddys_own_redirect():
    text = caddyfile(plan(domain="workshop.example.org", https_port=443, http_port=80, local_ca=False))
    assert "\nhttps://workshop.example.org {" in text  # always with the scheme
    assert "tls internal" not in text and "disable_redirects" not in text and "http://" not in text


@pytest.mark.parametrize("local", [True, False])
def test_caddy_accepts_the_configuration(tmp_path: Path, local: bool):
    """Debian's Caddy (installed by .ci/run) validates what the kit writes."""
    caddy = shutil.which("caddy")
    assert caddy, "Caddy was not found: sudo apt-get install caddy (.ci/run installs it)"
    path = tmp_path / "Caddyfile"
    path.write_text(caddyfile(plan(storage=tmp_path / "store", local_ca=local,
                                   **({} if local else {"domain": "workshop.example.org", "https_port": 443}))))
    done = subprocess.run([caddy, "validate", "--config", str(path), "--adapter", "caddyfile"],
                          capture_output=True, text=True, env=dict(os.environ, HOME=str(tmp_path)))
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.parametrize("domain, local", [("localhost", True), ("127.0.0.1", True), ("[::1]", True),
                                           ("room.local", True), ("workshop.example.org", False)])
def test_local_names_get_the_machines_own_authority(domain, local):
    assert is_local_name(domain) is local


@pytest.mark.parametrize("domain", ["", "https://x.org", "x.org/path", "x .org", "<script>", "a" * 300])
def test_a_domain_that_is_not_a_host_name_is_refused(domain):
    with pytest.raises(ValueError, match="host name"):
        check_domain(domain)


# ---------------------------------------------------------------- the command
def cli(*args: str, stdin: str = "", db: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, HOLDING_SPACE_DB=db)
    return subprocess.run([sys.executable, "-m", "workshop.cli", *args], input=stdin, capture_output=True,
                          text=True, env=env, cwd=KIT, timeout=120)


def test_facilitators_are_added_listed_and_removed_from_the_command_line(tmp_path: Path):
    """`holding-space facilitator add NAME` reads the secret from standard input when it is not a
    terminal; a short secret or an odd name says what to do and changes nothing."""
    from workshop.store import Store

    db = f"sqlite:///{tmp_path / 's.sqlite'}"
    assert "no facilitator" in cli("facilitator", "list", db=db).stdout.lower()
    added = cli("facilitator", "add", "Sam", stdin="a secret for sam only\n", db=db)
    assert added.returncode == 0 and "sam can sign in" in added.stdout
    short = cli("facilitator", "add", "kim", stdin="short\n", db=db)
    assert short.returncode == 2 and "at least 12" in short.stderr and "Traceback" not in short.stderr
    odd = cli("facilitator", "add", "<kim>", stdin="a secret for kim only\n", db=db)
    assert odd.returncode == 2 and "1 to 40 characters" in odd.stderr
    assert cli("facilitator", "list", db=db).stdout.split() == ["sam"]
    assert facilitators.verify("a secret for sam only", Store(db).facilitator_hash("sam"))
    assert "can no longer sign in" in cli("facilitator", "remove", "sam", db=db).stdout
    assert Store(db).facilitator_names() == []


def test_online_refuses_a_bad_domain_and_starts_nothing(tmp_path: Path):
    done = cli("online", "--domain", "https://x.org/", db=f"sqlite:///{tmp_path / 's.sqlite'}")
    assert done.returncode == 2 and "host name" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("length, refused", [(0, False), (999_999, False), (1_048_576, False), (1_048_577, True),
                                             (1_048_580, True), (1_048_600, True), (1_049_000, True), (1_050_000, True),
                                             (1_100_000, True), (2_000_000, True), (9_999_999, True), (12_345_678, True),
                                             (104_857, False), (10_485_76, False)])
def test_the_proxy_refuses_exactly_the_bodies_declared_above_one_mebibyte(length, refused):
    import re

    from workshop.serving.online import TOO_BIG

    assert bool(re.fullmatch(f"^({TOO_BIG})$", str(length))) is refused


def test_the_laptop_itself_is_never_slowed_but_anyone_through_the_proxy_is():
    """A direct connection from loopback (the facilitator's own laptop, the kit's tests) is never counted;
    a room's address is; behind the proxy, even a loopback address (forwarded by the proxy) is."""
    from types import SimpleNamespace

    def handler(address: str, behind_proxy: bool):
        return SimpleNamespace(request=SimpleNamespace(remote_ip=address),
                               settings={"holding_space_behind_proxy": behind_proxy})

    assert FailedAttempts.key(handler("127.0.0.1", False)) is None
    assert FailedAttempts.key(handler("::1", False)) is None
    room = FailedAttempts.key(handler("192.168.1.20", False))
    assert room and "192.168" not in room  # kept hashed
    assert FailedAttempts.key(handler("127.0.0.1", True)) is not None

