"""The console's settings: ``[web]`` and ``[web.oidc]`` of the config file, and the secret key's strength.

Read by ``workers.settings`` (the only module that reads the environment), which hands in the
environment values it needs. ``[web.oidc]`` turns on single sign-on through the organisation's
identity provider; its client secret comes from ``KOERS_OIDC_CLIENT_SECRET`` only.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

MIN_SECRET_BITS = 256  # 32 random bytes
_WEB_KEYS = {"listen", "trusted_proxies", "secure_cookies", "oidc"}
_OIDC_KEYS = {"issuer", "client_id", "scopes", "claim", "username_claim", "name_claim", "label", "roles"}
_CBS_CODE = re.compile(r"^GM\d{4}$")
OPERATOR = "operator"


class WebConfigError(ValueError):
    """A ``[web]`` key or the secret key is not usable; the message is Dutch and names the key."""


@dataclass(frozen=True)
class OidcSettings:
    """Single sign-on: the identity provider and how its claims map to a role and a municipality.

    ``roles`` maps a value of the ``claim`` (a group id or name, an app role) to ``"operator"``
    or to a municipality's CBS code (a municipal user of that municipality).
    """

    issuer: str
    client_id: str
    client_secret: str
    roles: dict[str, str]
    scopes: str = "openid email profile"
    claim: str = "groups"
    username_claim: str = "preferred_username"
    name_claim: str = "name"
    label: str = "Inloggen met uw organisatie"


@dataclass(frozen=True)
class WebSettings:
    """``trusted_proxies``: addresses or networks whose ``X-Forwarded-For``/``-Proto`` are believed.

    ``secure_cookies`` None means: Secure cookies and HSTS unless the console listens on loopback.
    """

    trusted_proxies: tuple[str, ...] = ()
    secure_cookies: bool | None = None
    oidc: OidcSettings | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _check(where: str, table: dict[str, Any], allowed: set[str]) -> None:
    for key in table:
        if key not in allowed:
            raise WebConfigError(f"onbekende sleutel {where}.{key} in de configuratie")


def parse_web(table: dict[str, Any], oidc_secret: str | None) -> WebSettings:
    """``[web]`` (without ``listen``, which ``workers.settings`` reads) into ``WebSettings``."""
    _check("web", table, _WEB_KEYS)
    proxies = table.get("trusted_proxies", [])
    if not isinstance(proxies, list):
        raise WebConfigError("web.trusted_proxies: geef een lijst, bijv. [\"127.0.0.1\", \"10.0.0.0/8\"]")
    for proxy in proxies:
        try:
            ipaddress.ip_network(str(proxy), strict=False)
        except ValueError:
            raise WebConfigError(f"web.trusted_proxies: {proxy!r} is geen IP-adres of netwerk") from None
    secure = table.get("secure_cookies")
    if secure is not None and not isinstance(secure, bool):
        raise WebConfigError("web.secure_cookies: true of false (weglaten: automatisch)")
    oidc = _parse_oidc(table["oidc"], oidc_secret) if "oidc" in table else None
    return WebSettings(tuple(str(p) for p in proxies), secure, oidc)


def _parse_oidc(table: dict[str, Any], secret: str | None) -> OidcSettings:
    _check("web.oidc", table, _OIDC_KEYS)
    for key in ("issuer", "client_id"):
        if not str(table.get(key, "")).strip():
            raise WebConfigError(f"web.oidc.{key} ontbreekt")
    if not secret:
        raise WebConfigError("KOERS_OIDC_CLIENT_SECRET ontbreekt (het clientgeheim van web.oidc komt alleen uit de "
                             "omgeving)")
    roles = {str(k): str(v).strip() for k, v in dict(table.get("roles", {})).items()}
    for value, target in roles.items():
        if target != OPERATOR and not _CBS_CODE.match(target.upper()):
            raise WebConfigError(f"web.oidc.roles.{value}: \"operator\" of een CBS-code (GM0080), niet {target!r}")
    roles = {k: v if v == OPERATOR else v.upper() for k, v in roles.items()}
    optional = {k: str(table[k]) for k in ("scopes", "claim", "username_claim", "name_claim", "label") if k in table}
    return OidcSettings(issuer=str(table["issuer"]).rstrip("/"), client_id=str(table["client_id"]),
                        client_secret=secret, roles=roles, **optional)  # fmt: skip


def secret_bits(secret: str) -> float:
    """A cautious estimate of the entropy of ``secret`` in bits.

    Length times the bits per character of the smallest usual alphabet that holds every
    character (hex, base64url, printable ASCII, …), capped by the string's own character
    statistics times its length, so that ``"x" * 64`` or ``"abab…"`` count as the little they are.
    A password-strength estimator (zxcvbn) is built for the opposite question: it rates a random
    43-character key far below its 256 bits, so it cannot tell a good key from a bad one here.
    """
    if not secret:
        return 0.0
    alphabet = _alphabet_size(secret)
    by_alphabet = len(secret) * math.log2(alphabet)
    counts = Counter(secret)
    shannon = -sum(c / len(secret) * math.log2(c / len(secret)) for c in counts.values())
    # A random key's empirical per-character entropy falls short of log2(alphabet) for short keys;
    # 1.6 covers that for random hex and base64 keys of 32 bytes (checked on 10^5 of each), and still
    # refuses repetition.
    return max(0.0, min(by_alphabet, len(secret) * shannon * 1.6))


_ALPHABETS = (  # the usual alphabets of generated keys, smallest first
    (10, re.compile(r"[0-9]+")),
    (16, re.compile(r"[0-9a-f]+|[0-9A-F]+")),
    (36, re.compile(r"[0-9a-z]+|[0-9A-Z]+")),
    (62, re.compile(r"[0-9a-zA-Z]+")),
    (65, re.compile(r"[0-9a-zA-Z+/=_-]+")),  # base64 and base64url
    (95, re.compile(r"[ -~]+")),  # printable ASCII
)


def _alphabet_size(secret: str) -> int:
    return next((size for size, pattern in _ALPHABETS if pattern.fullmatch(secret)), 256)


def check_secret_key(secret: str) -> None:
    """Refuse a ``KOERS_SECRET_KEY`` weaker than 32 random bytes (it signs reply addresses)."""
    bits = secret_bits(secret)
    if bits < MIN_SECRET_BITS:
        raise WebConfigError(
            f"KOERS_SECRET_KEY is te zwak (ongeveer {bits:.0f} bits, minstens {MIN_SECRET_BITS} nodig: 32 willekeurige "
            "bytes); maak een nieuwe met: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
