"""The transactional outbox: messages written with the state change that causes them.

``enqueue`` adds rows in the caller's transaction; ``claim_unpublished`` and ``mark_published``
are used by the relay, which publishes after commit. Arguments are ids and primitives only.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from schema import bulk
from schema.runtime_models import OutboxMessage


def enqueue(
    session: Session, actor_name: str, queue_name: str, args_list: Sequence[Sequence[Any]], now: datetime
) -> None:
    """One outbox row per argument tuple, e.g. ``[(case_id,), ...]``."""
    rows = [
        {
            "message_id": str(uuid.uuid4()),
            "queue_name": queue_name,
            "actor_name": actor_name,
            "args": list(args),
            "created_at": now,
            "published_at": None,
            "attempts": 0,
        }
        for args in args_list
    ]
    bulk.insert_rows(session, cast(Table, OutboxMessage.__table__), rows)


def claim_unpublished(session: Session, limit: int) -> list[OutboxMessage]:
    """The oldest unpublished rows, locked so that a second relay skips them (PostgreSQL)."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.published_at.is_(None))
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(query))


def mark_published(session: Session, ids: Sequence[int], now: datetime) -> None:
    if ids:
        session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(published_at=now))


def record_failure(session: Session, ids: Sequence[int], error: str) -> None:
    if ids:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(attempts=OutboxMessage.attempts + 1, last_error=error[:500])
        )
