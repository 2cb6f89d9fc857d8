"""``koers mail-gateway``: the SMTP server that receives replies (aiosmtpd).

It accepts mail only for the reply addresses (``…@reply_domain``) and for Koers' own sender
address (where delivery reports arrive), refuses anything larger than the size limit, and stores
the raw message in the database **before** it answers 250: a message the gateway accepted is
never lost. A storage failure answers 451, so the sending server tries again later.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import sessionmaker

from workers.inbound_store import store_inbound
from workflows.states import InboundSource

log = logging.getLogger(__name__)
MAX_MESSAGE_BYTES = 10 * 1024 * 1024
MAX_RECIPIENTS = 10


class GatewayHandler:
    """aiosmtpd hooks: check recipients, store DATA durably, then answer."""

    def __init__(self, sessions: sessionmaker[DbSession], clock: Callable[[], datetime], reply_domain: str,
                 own_addresses: tuple[str, ...]) -> None:  # fmt: skip
        self._sessions = sessions
        self._clock = clock
        self._domain = reply_domain.lower()
        self._own = tuple(a.lower() for a in own_addresses)
        self.stored = 0

    def accepts(self, address: str) -> bool:
        address = address.lower().strip()
        return address.endswith("@" + self._domain) or address in self._own

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:  # noqa: N802 (aiosmtpd's hook name)  # fmt: skip
        if not self.accepts(address):
            return "550 5.1.1 Onbekende ontvanger: dit adres ontvangt geen post"
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Te veel ontvangers"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        loop = asyncio.get_running_loop()
        try:
            inbound_id = await loop.run_in_executor(None, self._store, raw, envelope.mail_from, list(envelope.rcpt_tos))
        except Exception:
            log.exception("inbound message not stored; answering 451 so that the sender retries")
            return "451 4.3.0 Tijdelijke fout bij opslaan, probeer het later opnieuw"
        self.stored += 1
        log.info("inbound message %d stored (%d bytes)", inbound_id, len(raw))
        return f"250 2.0.0 Opgeslagen als {inbound_id}"

    def _store(self, raw: bytes, mail_from: str | None, rcpt_tos: list[str]) -> int:
        with self._sessions.begin() as session:
            return store_inbound(session, raw, source=InboundSource.SMTP, envelope_from=mail_from, envelope_to=rcpt_tos,
                                 now=self._clock())  # fmt: skip


def own_address(sender: str) -> str:
    return sender[sender.find("<") + 1 : sender.rfind(">")] if "<" in sender else sender


def start_gateway(handler: GatewayHandler, listen: str, **kwargs: Any) -> Controller:
    """Start the SMTP server in a background thread; ``controller.stop()`` ends it."""
    host, _, port = listen.rpartition(":")
    controller = Controller(
        handler, hostname=host or "127.0.0.1", port=int(port), data_size_limit=MAX_MESSAGE_BYTES,
        decode_data=False, enable_SMTPUTF8=True, ident="Koers mail-gateway", **kwargs,
    )  # fmt: skip
    controller.start()
    return controller
