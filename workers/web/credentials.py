"""Password and API-token hashing for the console: stdlib only, constant-time comparison.

Passwords are hashed with scrypt and a random salt; the parameters travel in the stored string
(``scrypt$n$r$p$salt$hash``), so they can be raised later without breaking existing users.
API tokens are random and long, so a plain SHA-256 digest is enough to store them: a token is
shown once when it is made and never again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
_DKLEN = 32
_PREFIX = "scrypt"
TOKEN_PREFIX = "koers_"  # noqa: S105 - a prefix that makes tokens recognisable, not a secret


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """A salted scrypt hash of ``password`` with its parameters, ready to store."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=_DKLEN)
    return f"{_PREFIX}${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored``; a malformed stored value never matches."""
    try:
        prefix, n, r, p, salt, expected = stored.split("$")
        if prefix != _PREFIX:
            return False
        digest = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r),
                                p=int(p), dklen=_DKLEN, maxmem=256 * 1024 * 1024)  # fmt: skip
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, base64.b64decode(expected))


# Checked against when the username is unknown, so that a login takes as long either way.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def burn_time(password: str) -> None:
    """Spend as long as one password check, for an unknown or inactive user."""
    verify_password(password, _DUMMY_HASH)


def new_api_token() -> str:
    """A fresh random API token (shown once to whoever makes it)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What is stored for an API token: its SHA-256 digest in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
