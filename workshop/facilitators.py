"""Facilitators' logins for the console when the kit runs online (``holding-space facilitator add``).

A secret is kept only as a salted scrypt hash (the standard library's ``hashlib.scrypt``, memory-hard,
so a stolen database is slow to guess from); checking one takes about 0.08 s on purpose (on this
project's 2-core machine), in a thread off the server's loop. On a laptop
none of this is used: the console listens on the laptop alone and opens with its own token.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets

#: scrypt's cost: n=2**14, r=8 uses 16 MiB (n × r × 128 bytes) and about 0.08 s a check here; stored with
#: each hash, so a later, costlier setting still reads the secrets set before it
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_SECRET = 12
MAX_SECRET = 1024
NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,39}")


#: the header through which the console's page tells its kernel who signed in (Voila's
#: ``http_header_envs`` puts it in the kernel's environment as HTTP_X_HOLDING_SPACE_FACILITATOR);
#: the server always sets or removes it itself, whatever the browser sent
FACILITATOR_HEADER = "X-Holding-Space-Facilitator"
FACILITATOR_ENV = "HTTP_X_HOLDING_SPACE_FACILITATOR"


def from_environment() -> str | None:
    """In the console's kernel: the facilitator who opened this page online (None on a laptop)."""
    value = os.environ.get(FACILITATOR_ENV) or None
    try:
        return check_name(value) if value else None
    except FacilitatorError:
        return None


class FacilitatorError(ValueError):
    """A name or secret that cannot be used, with what to do instead."""


def check_name(name: str) -> str:
    """A facilitator's login name: 1–40 lower-case letters, digits, ``.``, ``_`` or ``-``."""
    cleaned = (name or "").strip().lower()
    if not NAME.fullmatch(cleaned):
        raise FacilitatorError("A name is 1 to 40 characters: letters, digits, '.', '_' or '-', "
                               "starting with a letter or digit (for example: sam or j.okafor).")
    return cleaned


def check_secret(secret: str) -> str:
    if not isinstance(secret, str) or len(secret) < MIN_SECRET:
        raise FacilitatorError(f"A secret needs at least {MIN_SECRET} characters; a few unrelated words work well.")
    if len(secret) > MAX_SECRET:
        raise FacilitatorError(f"A secret can be at most {MAX_SECRET} characters.")
    return secret


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * 2**20, dklen=32)


def hash_secret(secret: str) -> str:
    """``scrypt$n$r$p$salt$hash`` (hex); a new salt each time."""
    check_secret(secret)
    salt = secrets.token_bytes(16)
    digest = _scrypt(secret, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


#: checked against when a name is unknown, so an unknown name costs as long as a wrong secret
_DUMMY = f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${'00' * 16}${'00' * 32}"


def verify(secret: str, stored: str | None) -> bool:
    """Does ``secret`` match ``stored``? Takes as long for an unknown name (``stored`` None)."""
    if not isinstance(secret, str) or len(secret) > MAX_SECRET:
        return False
    try:
        scheme, n, r, p, salt, digest = (stored or _DUMMY).split("$")
        if scheme != "scrypt":
            return False
        expected = bytes.fromhex(digest)
        actual = _scrypt(secret, bytes.fromhex(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return stored is not None and hmac.compare_digest(actual, expected)
