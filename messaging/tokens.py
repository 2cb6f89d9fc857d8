"""The signed reply token that ties an emailed reply to its case.

Every case notification carries ``Reply-To: <token>@<reply_domain>`` (or ``<local>+<token>@<domain>``).
The token is ``zm{case_id}-{cbs code}-{mac}``, e.g. ``zm42-gm0080-4w3kq...``, where ``mac`` is the first
26 base32 characters (130 bits) of HMAC-SHA256 over the case id and the CBS code, keyed with
``KOERS_SECRET_KEY``.

Invariants:

- The token carries no personal data: only the case id and the municipality's CBS code, both of which
  already appear in the subject line and routing.
- It is case-insensitive, because mail systems may lowercase or uppercase local parts; tokens are
  always issued in lowercase and compared after lowercasing.
- The whole local part is at most 64 characters (RFC 5321); ``reply_address`` refuses to build more.
- Verification uses ``hmac.compare_digest`` and never raises on foreign input: anything that is not a
  valid token for this key yields ``None``.

Key rotation: verification accepts a sequence of secrets, the first of which signs. There is no key id in
the token; each secret is tried in turn, which is cheap for the two or three keys a rotation needs and
keeps tokens issued before the rotation valid until the old key is dropped.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.utils import getaddresses

MIN_SECRET_BYTES = 16
MAX_LOCAL_PART = 64
MAC_CHARS = 26  # 26 base32 characters carry 130 bits
_MAX_INPUT = 998  # RFC 5322 line limit; longer input is not an address we issued
_DOMAIN_SEPARATION = b"koers-reply-token-v1"

_CBS = re.compile(r"^gm[0-9]{4}$", re.ASCII)
_TOKEN = re.compile(r"^zm([1-9][0-9]{0,17})-(gm[0-9]{4})-([a-z2-7]{26})$", re.ASCII)
_LOCAL_PREFIX = re.compile(r"^[a-z0-9][a-z0-9._-]*$", re.ASCII)

Secrets = bytes | Sequence[bytes]


@dataclass(frozen=True, slots=True)
class TokenClaim:
    """What a verified token says: the case and its municipality (``cbs_code`` upper case, ``GM0080``)."""

    case_id: int
    cbs_code: str


def make_token(secret: bytes, case_id: int, cbs_code: str) -> str:
    """The lowercase token for one case, e.g. ``zm42-gm0080-<26 base32 chars>``.

    Raises:
        ValueError: the secret is shorter than 16 bytes, the case id is not positive, or the CBS code is not
            ``GMnnnn``.
    """
    _check_secret(secret)
    cbs = _normalise_cbs(cbs_code)
    if isinstance(case_id, bool) or not isinstance(case_id, int) or not 0 < case_id < 10**18:
        raise ValueError("case_id must be a positive integer below 10**18")
    return f"zm{case_id}-{cbs}-{_mac(secret, case_id, cbs)}"


def reply_address(secret: bytes, case_id: int, cbs_code: str, domain: str, local_part: str | None = None) -> str:
    """The Reply-To address: ``<token>@<domain>`` or ``<local_part>+<token>@<domain>``.

    Raises:
        ValueError: as ``make_token``, or the local part would exceed 64 characters, or ``local_part`` or
            ``domain`` is not a plain ASCII mail name.
    """
    token = make_token(secret, case_id, cbs_code)
    clean_domain = _normalise_domain(domain)
    if not clean_domain or "@" in clean_domain or not clean_domain.isascii() or any(c.isspace() for c in clean_domain):
        raise ValueError("domain must be a plain ASCII domain name")
    local = token
    if local_part is not None:
        prefix = local_part.strip().lower()
        if not _LOCAL_PREFIX.match(prefix) or "+" in prefix:
            raise ValueError("local_part must be ASCII letters, digits, '.', '_' or '-'")
        local = f"{prefix}+{token}"
    if len(local) > MAX_LOCAL_PART:
        raise ValueError(f"local part would be {len(local)} characters; at most {MAX_LOCAL_PART} allowed")
    return f"{local}@{clean_domain}"


def parse_token(address_or_local_part: str, secret: Secrets, *, domain: str | None = None) -> TokenClaim | None:
    """Verify a token in an address, a bare local part, or a header value such as ``Naam <zm42-...@d>``.

    Returns ``None`` for anything that is not a valid token for one of ``secret`` (tampered, foreign,
    garbled, another domain than ``domain`` when given; a bare local part has no domain to compare). Accepts
    any case and a ``prefix+`` local part.
    """
    keys = _secrets(secret)
    if not isinstance(address_or_local_part, str) or len(address_or_local_part) > _MAX_INPUT:
        return None
    local, addr_domain = _split_address(address_or_local_part)
    if domain is not None and addr_domain is not None and addr_domain != _normalise_domain(domain):
        return None
    match = _TOKEN.match(local.rpartition("+")[2])
    if match is None:
        return None
    case_id, cbs, mac = int(match[1]), match[2], match[3]
    if not any(hmac.compare_digest(_mac(key, case_id, cbs), mac) for key in keys):
        return None
    return TokenClaim(case_id=case_id, cbs_code=cbs.upper())


def find_token(addresses: Iterable[str], secret: Secrets, domain: str | None = None) -> TokenClaim | None:
    """The one valid token among the recipient headers (To, Cc, Delivered-To, X-Original-To).

    Each item may be a header value with several addresses. The same token found twice counts once; two
    different valid tokens make the reply ambiguous and yield ``None``, so a reply is never tied to a case
    by guessing.
    """
    keys = _secrets(secret)
    claims: set[TokenClaim] = set()
    for value in addresses:
        for candidate in _candidates(value):
            claim = parse_token(candidate, keys, domain=domain)
            if claim is not None:
                claims.add(claim)
    return claims.pop() if len(claims) == 1 else None


def _mac(secret: bytes, case_id: int, cbs_lower: str) -> str:
    message = b"|".join((_DOMAIN_SEPARATION, str(case_id).encode("ascii"), cbs_lower.upper().encode("ascii")))
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii")[:MAC_CHARS].lower()


def _check_secret(secret: bytes) -> None:
    if not isinstance(secret, bytes) or len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"geheime sleutel ontbreekt of is te kort: minimaal {MIN_SECRET_BYTES} bytes vereist")


def _secrets(secret: Secrets) -> tuple[bytes, ...]:
    keys = (secret,) if isinstance(secret, bytes) else tuple(secret)
    if not keys:
        raise ValueError("at least one secret is required")
    for key in keys:
        _check_secret(key)
    return keys


def _normalise_cbs(cbs_code: str) -> str:
    cbs = cbs_code.strip().lower() if isinstance(cbs_code, str) else ""
    if not _CBS.match(cbs):
        raise ValueError("cbs_code must look like GM0080")
    return cbs


def _normalise_domain(domain: str) -> str:
    return domain.strip().rstrip(".").lower()


def _split_address(text: str) -> tuple[str, str | None]:
    """The lowercased local part and domain (``None`` for a bare local part) of an address-ish string."""
    value = text.strip()
    if "<" in value:
        value = value.rpartition("<")[2].partition(">")[0]
    value = value.strip().strip("\"'").strip().lower()
    if value.startswith("mailto:"):
        value = value[len("mailto:") :]
    if "@" not in value:
        return value, None
    local, _, domain = value.rpartition("@")
    return local.strip("\"'"), _normalise_domain(domain)


def _candidates(header_value: str) -> list[str]:
    """Each address in one header value; the raw value too, in case the parser mangles it."""
    if not isinstance(header_value, str) or len(header_value) > 10 * _MAX_INPUT:
        return []
    try:
        parsed = [addr for _, addr in getaddresses([header_value]) if addr]
    except Exception:  # noqa: BLE001 - a hostile header must never break reply handling
        parsed = []
    return [*parsed, header_value]
