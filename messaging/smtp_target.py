"""``SmtpTarget``: where and how ``SmtpMailer`` connects, parsed from ``KOERS_SMTP_URL``.

A typo in the URL must fail at start-up with the key named, not silently send mail unencrypted:
unknown query keys and unreadable yes/no values are errors, and ``require_tls`` with
``starttls=no`` is refused as a contradiction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = ["SmtpTarget"]

_YES, _NO = frozenset({"yes", "true", "1", "ja"}), frozenset({"no", "false", "0", "nee"})


@dataclass(frozen=True)
class SmtpTarget:
    """Where and how to connect, parsed from ``smtp://user:pass@host:port?starttls=no&require_tls=yes``.

    Query keys: ``starttls`` (smtp:// only, default yes = when offered), ``require_tls``, ``cafile``
    (CA bundle for an internal relay), ``bounce`` (envelope sender). Unknown keys are an error.
    """

    hostname: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never in logs
    implicit_tls: bool = False
    starttls: bool = True
    require_tls: bool = False
    cafile: str | None = None
    bounce: str | None = None

    @classmethod
    def from_url(cls, url: str, *, require_tls: bool = False) -> SmtpTarget:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("KOERS_SMTP_URL moet de vorm smtp://host:poort of smtps://host:poort hebben")
        query = dict(parse_qsl(parts.query))
        unknown = set(query) - {"starttls", "require_tls", "cafile", "bounce"}
        if unknown:
            raise ValueError(f"onbekende optie(s) in KOERS_SMTP_URL: {', '.join(sorted(unknown))}")
        implicit = parts.scheme == "smtps"
        target = cls(
            hostname=parts.hostname,
            port=parts.port or (465 if implicit else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            implicit_tls=implicit,
            starttls=_flag(query, "starttls", True),
            require_tls=require_tls or _flag(query, "require_tls", False),
            cafile=query.get("cafile"),
            bounce=query.get("bounce"),
        )
        if target.require_tls and not (implicit or target.starttls):
            raise ValueError("KOERS_SMTP_URL: require_tls=yes gaat niet samen met starttls=no")
        return target


def _flag(query: dict[str, str], key: str, default: bool) -> bool:
    value = query.get(key, "").lower()
    if value and value not in _YES | _NO:
        raise ValueError(f"KOERS_SMTP_URL: {key} moet yes of no zijn")
    return value in _YES if value else default
