"""Operators' handling of dead letters: list, replay (through the outbox), discard with a reason.

Replaying writes a new outbox message with the same actor and arguments; the handlers are
idempotent, so a replay of something that meanwhile succeeded does nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema import audit, outbox
from schema.runtime_models import DeadLetter
from workers.queues import ACTOR_QUEUES
from workflows.states import AuditKind, DeadLetterState


class DeadLetterError(ValueError):
    """A dead letter that does not exist or was already handled."""


def list_dead_letters(session: Session, state: str | None = DeadLetterState.DEAD,
                      limit: int = 500) -> list[dict[str, Any]]:  # fmt: skip
    query = select(DeadLetter).order_by(DeadLetter.failed_at.desc()).limit(limit)
    if state is not None:
        query = query.where(DeadLetter.state == state)
    return [
        {"id": d.id, "message_id": d.message_id, "queue": d.queue_name, "actor": d.actor_name, "args": d.args,
         "error": d.error, "retries": d.retries, "failed_at": d.failed_at.isoformat(), "state": d.state,
         "resolved_by": d.resolved_by, "note": d.note}  # fmt: skip
        for d in session.scalars(query)
    ]


def _open(session: Session, dead_letter_id: int) -> DeadLetter:
    row = session.get(DeadLetter, dead_letter_id, with_for_update=True)
    if row is None:
        raise DeadLetterError(f"dead letter {dead_letter_id} bestaat niet")
    if row.state != DeadLetterState.DEAD:
        raise DeadLetterError(f"dead letter {dead_letter_id} is al {row.state}")
    return row


def replay(session: Session, dead_letter_id: int, actor: str, now: datetime) -> None:
    row = _open(session, dead_letter_id)
    queue = ACTOR_QUEUES.get(row.actor_name, row.queue_name)
    outbox.enqueue(session, row.actor_name, queue, [tuple(row.args)], now)
    row.state, row.resolved_at, row.resolved_by = DeadLetterState.REPLAYED.value, now, actor
    audit.record(session, AuditKind.DEAD_LETTER_REPLAYED, actor=actor, at=now,
                 details={"dead_letter_id": row.id, "actor": row.actor_name, "args": row.args})


def discard(session: Session, dead_letter_id: int, actor: str, reason: str, now: datetime) -> None:
    if not reason.strip():
        raise DeadLetterError("geef een reden om een dead letter weg te gooien")
    row = _open(session, dead_letter_id)
    row.state, row.resolved_at, row.resolved_by = DeadLetterState.DISCARDED.value, now, actor
    row.note = reason.strip()[:500]
    details = {"dead_letter_id": row.id, "actor": row.actor_name, "reason": row.note}
    audit.record(session, AuditKind.DEAD_LETTER_DISCARDED, actor=actor, at=now, details=details)
