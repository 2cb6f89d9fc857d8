"""Password and API-token hashing for the console: stdlib only, constant-time comparison.

Passwords are hashed with scrypt at OWASP's strength (N=2^17, r=8, p=1: 128 MiB and a few
hundred milliseconds per hash) and a random salt; the parameters travel in the stored string
(``scrypt$n$r$p$salt$hash``), so a hash made with weaker ones still verifies, and
``needs_rehash`` tells the login to store a new one. At most ``MAX_PARALLEL_HASHES`` hashes run
at once, so a burst of logins cannot take the memory of the machine (128 MiB each).
API tokens are random and long, so a plain SHA-256 digest is enough to store them: a token is
shown once when it is made and never again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading

SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
MAX_PARALLEL_HASHES = 4
_MAXMEM = 256 * 1024 * 1024  # 128 * N * r = 128 MiB at the current strength, with room for a stronger one
_DKLEN = 32
_PREFIX = "scrypt"
TOKEN_PREFIX = "koers_"  # noqa: S105 - a prefix that makes tokens recognisable, not a secret
_hashing = threading.BoundedSemaphore(MAX_PARALLEL_HASHES)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    with _hashing:
        return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=_DKLEN, maxmem=_MAXMEM)


def hash_password(password: str, *, n: int | None = None, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """A salted scrypt hash of ``password`` with its parameters, ready to store (``n`` default ``SCRYPT_N``)."""
    n = n or SCRYPT_N
    salt = secrets.token_bytes(16)
    return f"{_PREFIX}${n}${r}${p}${_b64(salt)}${_b64(_scrypt(password, salt, n, r, p))}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored``; a malformed stored value never matches."""
    try:
        prefix, n, r, p, salt, expected = stored.split("$")
        if prefix != _PREFIX:
            return False
        digest = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, base64.b64decode(expected))


def needs_rehash(stored: str) -> bool:
    """True when ``stored`` was made with other parameters than today's (checked after a successful login)."""
    parts = stored.split("$")
    return len(parts) != 6 or parts[:4] != [_PREFIX, str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P)]


_dummy_hash: dict[int, str] = {}


def burn_time(password: str) -> None:
    """Spend as long as one password check, for an unknown or inactive user."""
    stored = _dummy_hash.get(SCRYPT_N)
    if stored is None:
        stored = _dummy_hash.setdefault(SCRYPT_N, hash_password(secrets.token_urlsafe(16)))
    verify_password(password, stored)


def new_api_token() -> str:
    """A fresh random API token (shown once to whoever makes it)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What is stored for an API token or a session id: its SHA-256 digest in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
