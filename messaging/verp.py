"""Signed VERP envelope senders: where the delivery reports of one outgoing email must arrive.

Every email Koers sends has its own envelope sender (``MAIL FROM``), ``bounce+<email id>-<mac>@<reply
domain>``, where ``mac`` is the first 26 base32 characters (130 bits) of HMAC-SHA256 over the email id,
keyed with ``KOERS_SECRET_KEY``. A receiving server sends its delivery report to that address, so a
report that arrives there names the failed email by itself, and nobody without the key can make one:
a forged report to any other address changes nothing.

Invariants:

- The local part is at most 64 characters (RFC 5321): ``bounce+`` (7), an id below 10**18 (18), ``-`` and
  the MAC (26) make 52.
- Case-insensitive (servers may change the case of a local part); issued in lower case.
- ``parse_bounce_address`` never raises on foreign input and compares with ``hmac.compare_digest``;
  every key of a rotation is tried, the first one signs (as for reply tokens).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Sequence

__all__ = ["bounce_address", "find_bounce_claim", "parse_bounce_address"]

PREFIX = "bounce"
MAC_CHARS = 26
_MIN_SECRET_BYTES = 16
_MAX_INPUT = 998
_DOMAIN_SEPARATION = b"koers-verp-v1"
_LOCAL = re.compile(r"^bounce\+([1-9][0-9]{0,17})-([a-z2-7]{26})$", re.ASCII)


def bounce_address(secret: bytes, email_id: int, domain: str) -> str:
    """The envelope sender of email ``email_id``, e.g. ``bounce+42-4w3kq...@antwoord.koers.example``."""
    if len(secret) < _MIN_SECRET_BYTES:
        raise ValueError(f"geheime sleutel ontbreekt of is te kort: minimaal {_MIN_SECRET_BYTES} bytes vereist")
    if isinstance(email_id, bool) or not 0 < email_id < 10**18:
        raise ValueError("email_id must be a positive integer below 10**18")
    clean = domain.strip().rstrip(".").lower()
    if not clean or "@" in clean or not clean.isascii() or any(c.isspace() for c in clean):
        raise ValueError("domain must be a plain ASCII domain name")
    return f"{PREFIX}+{email_id}-{_mac(secret, email_id)}@{clean}"


def parse_bounce_address(address: str, secrets: Sequence[bytes], domain: str) -> int | None:
    """The email id of a valid VERP address at ``domain`` (``<...>`` and any case allowed), else ``None``."""
    if not isinstance(address, str) or len(address) > _MAX_INPUT:
        return None
    value = address.strip()
    if "<" in value:
        value = value.rpartition("<")[2].partition(">")[0]
    local, at, addr_domain = value.strip().lower().rpartition("@")
    if not at or addr_domain.rstrip(".") != domain.strip().rstrip(".").lower():
        return None
    match = _LOCAL.match(local)
    if match is None:
        return None
    email_id = int(match[1])
    if not any(hmac.compare_digest(_mac(key, email_id), match[2]) for key in secrets if len(key) >= _MIN_SECRET_BYTES):
        return None
    return email_id


def find_bounce_claim(addresses: Iterable[str], secrets: Sequence[bytes], domain: str) -> int | None:
    """The one email id named by valid VERP addresses among ``addresses``; two different ones yield ``None``."""
    found = {parse_bounce_address(address, secrets, domain) for address in addresses}
    found.discard(None)
    return found.pop() if len(found) == 1 else None


def _mac(secret: bytes, email_id: int) -> str:
    digest = hmac.new(secret, _DOMAIN_SEPARATION + b"|" + str(email_id).encode("ascii"), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii")[:MAC_CHARS].lower()
