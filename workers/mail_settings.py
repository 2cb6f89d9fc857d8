"""The ``[inbound]`` and ``[outbound]`` config sections: who may write to Koers, and how Koers sends.

Read only by ``workers.settings``; each key is documented in ``config/koers.example.toml`` and the
README's reply section. Unknown keys and impossible combinations are a ``ValueError`` naming the key
(``settings`` turns it into its ``ConfigError``): a typo must not quietly switch sender checks off.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from messaging.sender_auth import AuthMode, TrustPolicy

INBOUND_KEYS = {
    "listen", "authentication", "authserv_id", "nameservers", "relay_networks", "tls_cert", "tls_key", "require_tls",
    "max_connections_per_ip", "max_messages_per_minute",
}  # fmt: skip
OUTBOUND_KEYS = {"require_tls", "dkim_selector", "dkim_key", "dkim_domain"}
LOOPBACK = ("127.0.0.0/8", "::1/128")


@dataclass(frozen=True)
class InboundConfig:
    """How the gateway receives mail and whose sender checks the reply processor trusts.

    ``authserv_id`` is the id in the ``Authentication-Results`` that count: the relay's in
    ``trusted-relay`` mode (required there), Koers' own in ``verify`` mode (default: the reply domain).
    ``relay_networks``: in ``trusted-relay`` mode only these clients may deliver to the gateway, since
    anyone else could write the relay's header themselves.
    """

    authentication: AuthMode = AuthMode.VERIFY
    authserv_id: str | None = None
    nameservers: tuple[str, ...] = ()
    relay_networks: tuple[str, ...] = LOOPBACK
    tls_cert: Path | None = None
    tls_key: Path | None = None
    require_tls: bool = False
    max_connections_per_ip: int = 10
    max_messages_per_minute: int = 30

    def trust_policy(self, reply_domain: str) -> TrustPolicy:
        return TrustPolicy(self.authentication, (self.authserv_id or reply_domain).lower())


@dataclass(frozen=True)
class OutboundConfig:
    """``require_tls`` for every relay connection; DKIM signing when selector and key file are set."""

    require_tls: bool = False
    dkim_selector: str | None = None
    dkim_key: Path | None = None
    dkim_domain: str | None = None  # default: the sender address's domain


def parse_inbound(table: dict[str, Any]) -> InboundConfig:
    try:
        mode = AuthMode(str(table.get("authentication", AuthMode.VERIFY.value)))
    except ValueError:
        raise ValueError('inbound.authentication: kies "verify" of "trusted-relay"') from None
    authserv_id = _text(table, "authserv_id")
    if mode is AuthMode.TRUSTED_RELAY and not authserv_id:
        raise ValueError('inbound.authserv_id: verplicht bij authentication = "trusted-relay" (de id van de relay)')
    cert, key = _path(table, "tls_cert"), _path(table, "tls_key")
    if (cert is None) != (key is None):
        raise ValueError("inbound.tls_cert en inbound.tls_key: geef beide of geen van beide")
    require_tls = _flag(table, "inbound", "require_tls")
    if require_tls and cert is None:
        raise ValueError("inbound.require_tls: vereist tls_cert en tls_key (anders kan niemand STARTTLS doen)")
    networks = tuple(str(n) for n in table.get("relay_networks", LOOPBACK))
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ValueError(f"inbound.relay_networks: {network!r} is geen netwerk (bijv. 10.0.0.5/32)") from None
    return InboundConfig(
        authentication=mode, authserv_id=authserv_id, nameservers=tuple(str(n) for n in table.get("nameservers", ())),
        relay_networks=networks, tls_cert=cert, tls_key=key, require_tls=require_tls,
        max_connections_per_ip=_positive(table, "max_connections_per_ip", 10),
        max_messages_per_minute=_positive(table, "max_messages_per_minute", 30),
    )  # fmt: skip


def parse_outbound(table: dict[str, Any]) -> OutboundConfig:
    selector, key = _text(table, "dkim_selector"), _path(table, "dkim_key")
    if (selector is None) != (key is None):
        raise ValueError("outbound.dkim_selector en outbound.dkim_key: geef beide of geen van beide")
    return OutboundConfig(require_tls=_flag(table, "outbound", "require_tls"), dkim_selector=selector, dkim_key=key,
                          dkim_domain=_text(table, "dkim_domain"))  # fmt: skip


def _text(table: dict[str, Any], key: str) -> str | None:
    value = table.get(key)
    return str(value).strip() or None if value is not None else None


def _path(table: dict[str, Any], key: str) -> Path | None:
    value = _text(table, key)
    return Path(value) if value else None


def _flag(table: dict[str, Any], section: str, key: str) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise ValueError(f"{section}.{key}: true of false")
    return value


def _positive(table: dict[str, Any], key: str, default: int) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"inbound.{key}: een geheel getal van minstens 1")
    return value
