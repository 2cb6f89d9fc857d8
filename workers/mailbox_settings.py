"""The ``[mailbox]`` section: where ``koers mail-fetch`` reads replies (mailbox mode).

Mailbox mode exists for organisations whose mail runs in Microsoft 365, Exchange or another
hosted service and that will not point an MX at Koers: the reply addresses are delivered into a
mailbox there, the provider checks SPF, DKIM and DMARC and writes its verdict into an
``Authentication-Results`` header under its own authserv-id, and Koers reads the mailbox over
IMAP. Only that header may be trusted, which is the trusted-relay rule: so ``[mailbox]`` requires
``[inbound] authentication = "trusted-relay"`` with the provider's ``authserv_id``. One rule for
all received mail, defined once (``[inbound]``): a message from the mailbox is never judged by
another rule than the one that says who vouches for it.

The password is never in the config file (it would end up in backups and repositories): it comes
from ``KOERS_IMAP_PASSWORD``, read by ``workers.settings`` like every other variable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from messaging.sender_auth import AuthMode
from workers.mail_settings import InboundConfig
from workflows.durations import DurationError, parse_duration

PASSWORD_VARIABLE = "KOERS_IMAP_PASSWORD"  # noqa: S105  (the name of the variable, not a password)
_KEYS = {"host", "port", "tls", "ca_file", "user", "inbox", "processed", "quarantine", "poll_interval", "idle"}
_REQUIRED = ("host", "user")


@dataclass(frozen=True)
class MailboxSettings:
    """An IMAP mailbox and its folders; the password is kept out of ``repr`` (and so out of logs)."""

    host: str
    user: str
    port: int = 993
    tls: bool = True  # implicit TLS (IMAPS); a plain connection must be asked for explicitly
    ca_file: Path | None = None  # a CA bundle for a server whose certificate the system does not know
    inbox: str = "INBOX"
    processed: str = "Koers-verwerkt"  # stored in Koers, then moved here
    quarantine: str = "Koers-quarantaine"  # refused before storing (too large, unreadable)
    poll_interval: float = 60.0  # seconds between looks when the server offers no IDLE (or idle = false)
    idle: bool = True  # wait with IMAP IDLE where the server offers it
    password: str | None = field(default=None, repr=False)

    @property
    def location(self) -> str:
        """The mailbox as an IMAP URL (RFC 5092) without secrets: names it in keys, logs and messages."""
        return f"imap://{self.user}@{self.host}:{self.port}/"


class MailboxConfigError(ValueError):
    """A ``[mailbox]`` key is wrong; the message names it (``workers.settings`` turns it into a ConfigError)."""


def parse_mailbox(table: dict[str, Any], inbound: InboundConfig) -> MailboxSettings:
    """Check and convert the ``[mailbox]`` table; the password is added by ``load_settings``."""
    if inbound.authentication is not AuthMode.TRUSTED_RELAY:
        raise MailboxConfigError('[mailbox] (postvakmodus) vereist [inbound] authentication = "trusted-relay", '
                                 "met als authserv_id de id die de mailprovider in Authentication-Results "
                                 "schrijft")  # fmt: skip
    if "password" in table:
        raise MailboxConfigError(f"mailbox.password hoort niet in het configuratiebestand: zet {PASSWORD_VARIABLE}")
    for key in table:
        if key not in _KEYS:
            raise MailboxConfigError(f"onbekende sleutel mailbox.{key} in de configuratie")
    for key in _REQUIRED:
        if not str(table.get(key, "")).strip():
            raise MailboxConfigError(f"mailbox.{key} ontbreekt")
    tls = _flag(table, "tls", True)
    values: dict[str, Any] = {key: str(table[key]).strip() for key in (*_REQUIRED, "inbox", "processed", "quarantine")
                              if key in table}  # fmt: skip
    values.update(tls=tls, idle=_flag(table, "idle", True), port=_port(table.get("port", 993 if tls else 143)))
    if "ca_file" in table:
        values["ca_file"] = Path(str(table["ca_file"]))
    if "poll_interval" in table:
        values["poll_interval"] = _seconds(table["poll_interval"])
    settings = MailboxSettings(**values)
    if len({settings.inbox, settings.processed, settings.quarantine}) < 3:
        # A message moved into the folder it is read from would come back with a new UID, and be read again.
        raise MailboxConfigError("mailbox.inbox, mailbox.processed en mailbox.quarantine moeten drie verschillende "
                                 "mappen zijn")  # fmt: skip
    return settings


def _flag(table: dict[str, Any], key: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise MailboxConfigError(f"mailbox.{key}: geef true of false")
    return value


def _port(value: Any) -> int:
    if not isinstance(value, int) or not 0 < value < 65536:
        raise MailboxConfigError("mailbox.port: geef een poortnummer (bijv. 993)")
    return value


def _seconds(value: Any) -> float:
    try:
        duration = parse_duration(str(value))
    except DurationError as exc:
        raise MailboxConfigError(f"mailbox.poll_interval: {exc}") from exc
    if duration.delta is None or duration.delta.total_seconds() <= 0:
        raise MailboxConfigError("mailbox.poll_interval: geef een exacte duur (bijv. PT60S), geen werkdagen")
    return duration.delta.total_seconds()
