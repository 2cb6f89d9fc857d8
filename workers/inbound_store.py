"""Stores a received message durably, with the outbox message that gets it read, in one commit.

The SMTP gateway calls this before it answers 250; ``koers replies import`` calls it per file;
``koers mail-fetch`` before it moves the message out of the inbox (with its ``mailbox_key``).
The raw bytes are kept as received; reading them is the reply processor's job, within bounds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from schema import inbound_rows
from schema.inbound_rows import SmtpSeen
from workers import queues
from workflows.states import InboundSource


def store_inbound(session: Session, raw: bytes, *, source: InboundSource | str, envelope_from: str | None,
                  envelope_to: Sequence[str], now: datetime, smtp: SmtpSeen | None = None,
                  mailbox_key: str | None = None) -> int:  # fmt: skip
    return inbound_rows.store_received(session, raw, source=source, envelope_from=envelope_from,
                                       envelope_to=envelope_to, now=now, nudge=queues.READ_REPLY, smtp=smtp,
                                       mailbox_key=mailbox_key)  # fmt: skip
