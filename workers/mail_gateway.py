"""``koers mail-gateway``: the SMTP server that receives replies and delivery reports (aiosmtpd).

Only Koers' own addresses: at ``RCPT TO`` it accepts a valid reply token (``<token>@reply_domain``), a
valid signed VERP address (``bounce+<id>-<mac>@reply_domain``) and Koers' own sender address, and answers
550 to everything else before ``DATA``. Per client IP it limits open connections (421) and messages per
minute (451); a message over the size limit is refused by aiosmtpd (552). With ``tls_cert``/``tls_key``
it offers STARTTLS, and with ``require_tls`` it refuses mail before it (530).

Sender checks, by ``[inbound] authentication``: in ``verify`` mode it checks SPF, DKIM and DMARC itself
before answering ``DATA`` (``messaging.smtp_checks``), refuses a DMARC failure under ``p=reject`` (550)
and stores its result with the message; in ``trusted-relay`` mode only clients in ``relay_networks`` may
deliver (anyone else could write the relay's ``Authentication-Results`` header themselves).

Every accepted message is stored in the database **before** the 250: a message the gateway accepted is
never lost. A storage failure answers 451, so the sending server tries again later.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import sessionmaker

from messaging.sender_auth import AuthMode
from messaging.smtp_checks import SenderCheck, check_sender, use_nameservers
from messaging.tokens import parse_token
from messaging.verp import parse_bounce_address
from schema.inbound_rows import SmtpSeen
from workers.bootstrap import App
from workers.gateway_limits import TOO_MANY_MESSAGES, ClientLimits, GatewayController, peer_ip
from workers.inbound_store import store_inbound
from workers.mail_settings import InboundConfig
from workers.services import secret_key
from workflows.states import InboundSource

log = logging.getLogger(__name__)
MAX_MESSAGE_BYTES = 10 * 1024 * 1024
MAX_RECIPIENTS = 10
UNKNOWN_RECIPIENT = "550 5.1.1 Onbekende ontvanger: dit adres ontvangt geen post"


@dataclass(frozen=True)
class GatewayRules:
    """Whom the gateway accepts mail for, and how it checks senders."""

    reply_domain: str
    own_addresses: tuple[str, ...]
    secrets: tuple[bytes, ...]
    inbound: InboundConfig = InboundConfig()

    @property
    def authserv_id(self) -> str:
        return self.inbound.trust_policy(self.reply_domain).authserv_id


class GatewayHandler:
    """aiosmtpd hooks: check client and recipients, check the sender (verify mode), store, then answer."""

    def __init__(self, sessions: sessionmaker[DbSession], clock: Callable[[], datetime], rules: GatewayRules,
                 limits: ClientLimits | None = None) -> None:  # fmt: skip
        self._sessions = sessions
        self._clock = clock
        self.rules = rules
        self.limits = limits or ClientLimits(rules.inbound.max_connections_per_ip,
                                             rules.inbound.max_messages_per_minute)  # fmt: skip
        self._domain = rules.reply_domain.lower()
        self._own = tuple(a.lower() for a in rules.own_addresses)
        self._relays = tuple(ipaddress.ip_network(n, strict=False) for n in rules.inbound.relay_networks)
        self.stored = 0
        self.rejected_by_dmarc = 0

    def accepts(self, address: str) -> bool:
        """A valid reply token, a valid VERP address, or Koers' own sender address."""
        address = address.lower().strip()
        if address in self._own:
            return True
        if parse_bounce_address(address, self.rules.secrets, self._domain) is not None:
            return True
        return parse_token(address, self.rules.secrets, domain=self._domain) is not None and address.endswith(
            "@" + self._domain
        )

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          mail_options: list[str]) -> str:  # noqa: N802 (aiosmtpd's hook name)  # fmt: skip
        ip = peer_ip(session.peer)
        if self.rules.inbound.authentication is AuthMode.TRUSTED_RELAY and not self._is_relay(ip):
            return "550 5.7.1 Alleen de eigen mailserver van de organisatie mag hier afleveren"
        if not self.limits.allow_message(ip):
            return TOO_MANY_MESSAGES
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:  # noqa: N802 (aiosmtpd's hook name)  # fmt: skip
        if not self.accepts(address):
            return UNKNOWN_RECIPIENT
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Te veel ontvangers"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        loop = asyncio.get_running_loop()
        seen = SmtpSeen(peer_ip(session.peer), session.host_name or None)
        if self.rules.inbound.authentication is AuthMode.VERIFY:
            try:
                check = await loop.run_in_executor(None, self._check, raw, seen, envelope.mail_from or "")
            except Exception as exc:  # its text may quote the message's headers: the type only, never the text
                log.error("sender checks failed (%s); answering 451 so that the sender retries", type(exc).__name__)
                return "451 4.7.0 Afzender kon niet worden gecontroleerd; probeer het later opnieuw"
            refusal = self._refusal(check, envelope)
            if refusal is not None:
                return refusal
            seen = SmtpSeen(seen.peer_ip, seen.helo, check.header)
        try:
            inbound_id = await loop.run_in_executor(None, self._store, raw, envelope.mail_from,
                                                    list(envelope.rcpt_tos), seen)  # fmt: skip
        except Exception:
            log.exception("inbound message not stored; answering 451 so that the sender retries")
            return "451 4.3.0 Tijdelijke fout bij opslaan, probeer het later opnieuw"
        self.stored += 1
        log.info("inbound message %d stored (%d bytes)", inbound_id, len(raw))
        return f"250 2.0.0 Opgeslagen als {inbound_id}"

    def _check(self, raw: bytes, seen: SmtpSeen, mail_from: str) -> SenderCheck:
        return check_sender(raw, ip=seen.peer_ip or "", mail_from=mail_from, helo=seen.helo or "",
                            authserv_id=self.rules.authserv_id)  # fmt: skip

    def _refusal(self, check: SenderCheck, envelope: Envelope) -> str | None:
        # A delivery report to a signed VERP address is authenticated by that address; the reporting
        # server's own domain policy (null sender, From: MAILER-DAEMON@host) must not refuse it.
        is_report = not envelope.mail_from and all(
            parse_bounce_address(r, self.rules.secrets, self._domain) is not None for r in envelope.rcpt_tos
        )
        if check.must_reject and not is_report:
            self.rejected_by_dmarc += 1
            log.info("message refused at DATA: DMARC fail under p=reject")
            return "550 5.7.1 Afzender niet geverifieerd: het DMARC-beleid van het afzenderdomein weigert dit bericht"
        if check.must_retry:
            return "451 4.7.0 Afzender kon (nog) niet worden gecontroleerd; probeer het later opnieuw"
        return None

    def _is_relay(self, ip: str) -> bool:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in network for network in self._relays)

    def _store(self, raw: bytes, mail_from: str | None, rcpt_tos: list[str], seen: SmtpSeen) -> int:
        with self._sessions.begin() as session:
            return store_inbound(session, raw, source=InboundSource.SMTP, envelope_from=mail_from, envelope_to=rcpt_tos,
                                 now=self._clock(), smtp=seen)  # fmt: skip


def gateway_handler(app: App) -> GatewayHandler:
    """The gateway of this process, from its settings: reply domain, sender address, key, ``[inbound]``."""
    settings = app.settings
    rules = GatewayRules(settings.reply_domain, (own_address(settings.sender),), (secret_key(settings),),
                         settings.inbound)  # fmt: skip
    return GatewayHandler(app.sessions, app.clock, rules)


def own_address(sender: str) -> str:
    return sender[sender.find("<") + 1 : sender.rfind(">")] if "<" in sender else sender


def tls_context(inbound: InboundConfig) -> ssl.SSLContext | None:
    """The server-side TLS context for STARTTLS, from ``tls_cert``/``tls_key``; ``None`` without them."""
    if inbound.tls_cert is None or inbound.tls_key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(inbound.tls_cert), str(inbound.tls_key))
    return context


def start_gateway(handler: GatewayHandler, listen: str, **kwargs: Any) -> GatewayController:
    """Start the SMTP server in a background thread; ``controller.stop()`` ends it."""
    inbound = handler.rules.inbound
    if inbound.authentication is AuthMode.VERIFY:
        use_nameservers(inbound.nameservers)
    context = tls_context(inbound)
    host, _, port = listen.rpartition(":")
    controller = GatewayController(
        handler, handler.limits, hostname=host or "127.0.0.1", port=int(port), data_size_limit=MAX_MESSAGE_BYTES,
        decode_data=False, enable_SMTPUTF8=True, ident="Koers mail-gateway", tls_context=context,
        require_starttls=inbound.require_tls and context is not None, **kwargs,
    )  # fmt: skip
    controller.start()
    return controller
