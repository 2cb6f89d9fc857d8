"""The write path of received mail: stored raw first, judged once, resolved by a person.

The gateway (or an import, or the mailbox reader) stores a message before it answers 250, with the
outbox message that gets it read; the reply processor records its verdict once; a person in the
console resolves what waited for them (recorded by hand, or discarded with a reason). ``details``
holds what the console and the ask-back need (the unreadable lines, the fields needed) — never
more of the message than that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, select
from sqlalchemy.orm import Session

from schema import outbox
from schema.runtime_models import InboundMessage
from workflows.states import InboundSource, InboundState

INBOUND = cast(Table, InboundMessage.__table__)
_DETAILS = select(INBOUND.c.details).where(INBOUND.c.id == bindparam("inbound_id"))


@dataclass(frozen=True)
class SmtpSeen:
    """What the gateway saw of the sending host: its IP, its HELO name, and Koers' own
    ``Authentication-Results`` value (verify mode); all ``None`` for mail that came another way."""

    peer_ip: str | None = None
    helo: str | None = None
    auth_results: str | None = None


def _clean(text: str | None, limit: int = 300) -> str | None:
    return text.replace("\x00", "")[:limit] if text else None


def store_received(session: Session, raw: bytes, *, source: InboundSource | str, envelope_from: str | None,
                   envelope_to: Sequence[str], now: datetime, nudge: tuple[str, str],
                   smtp: SmtpSeen | None = None, mailbox_key: str | None = None) -> int:  # fmt: skip
    """Keep ``raw`` as received (with what the gateway saw of the sender), and queue the message that gets
    it read; returns its id.

    ``mailbox_key`` (mailbox mode) is unique: storing the same mailbox message twice fails on commit.
    """
    seen = smtp or SmtpSeen()
    row = InboundMessage(
        received_at=now, source=str(source), envelope_from=_clean(envelope_from),
        envelope_to=[_clean(a) for a in envelope_to][:20], raw=raw, size=len(raw),
        state=InboundState.RECEIVED.value, details={}, peer_ip=_clean(seen.peer_ip, 64),
        helo=_clean(seen.helo, 255), smtp_auth=_clean(seen.auth_results, 4000), sender_verified=False,
        mailbox_key=mailbox_key,
    )  # fmt: skip
    session.add(row)
    session.flush()
    outbox.enqueue(session, *nudge, [(row.id,)], now)
    return row.id


def stored_from_mailbox(session: Session, mailbox_keys: Sequence[str]) -> dict[str, int]:
    """The ids of the messages stored from these mailbox locations, by key (keys not stored are absent)."""
    if not mailbox_keys:
        return {}
    found = session.execute(select(INBOUND.c.mailbox_key, INBOUND.c.id).where(INBOUND.c.mailbox_key.in_(mailbox_keys)))
    return {str(key): int(inbound_id) for key, inbound_id in found}


def lock(session: Session, inbound_id: int) -> InboundMessage | None:
    return session.get(InboundMessage, inbound_id, with_for_update=True)


def details_of(connection: Connection, inbound_id: int) -> dict[str, Any]:
    found = connection.execute(_DETAILS, {"inbound_id": inbound_id}).scalar()
    return dict(found or {})


def resolve(row: InboundMessage, state: InboundState, *, by: str, now: datetime, action: str,
            case_id: int | None = None, reason: str | None = None) -> None:  # fmt: skip
    """A person settled a message that waited for them; its previous state is kept in ``details``."""
    previous = {"state": row.state, "reason": row.reason}
    row.details = {**(row.details or {}), "resolution": {"action": action, "previous": previous}}
    row.state, row.resolved_by, row.processed_at = state.value, by[:200], now
    if case_id is not None:
        row.case_id = case_id
    if reason is not None:
        row.reason = reason[:500]
