"""Stores a received message durably, with the outbox message that gets it read, in one commit.

The SMTP gateway calls this before it answers 250; ``koers replies import`` calls it per file.
The raw bytes are kept as received; reading them is the reply processor's job, within bounds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from schema import outbox
from schema.runtime_models import InboundMessage
from workers import queues


def _clean(text: str | None, limit: int = 300) -> str | None:
    return text.replace("\x00", "")[:limit] if text else None


def store_inbound(session: Session, raw: bytes, *, source: str, envelope_from: str | None,
                  envelope_to: Sequence[str], now: datetime) -> int:  # fmt: skip
    row = InboundMessage(
        received_at=now, source=source, envelope_from=_clean(envelope_from),
        envelope_to=[_clean(a) for a in envelope_to][:20], raw=raw, size=len(raw), state="received", details={},
    )  # fmt: skip
    session.add(row)
    session.flush()
    outbox.enqueue(session, queues.PROCESS_INBOUND_MAIL, queues.INBOUND_REPLIES, [(row.id,)], now)
    return row.id
