"""The transactional outbox: messages written with the state change that causes them.

``enqueue`` adds rows in the caller's transaction; ``claim_unpublished`` and ``mark_published``
are used by the relay, which publishes after commit. Arguments are ids and primitives only.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, select, update
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


_OUTBOX = cast(Table, OutboxMessage.__table__)
_UNPUBLISHED = (
    select(_OUTBOX.c.id, _OUTBOX.c.message_id, _OUTBOX.c.queue_name, _OUTBOX.c.actor_name, _OUTBOX.c.args)
    .where(_OUTBOX.c.published_at.is_(None))
    .order_by(_OUTBOX.c.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)


class Unpublished(NamedTuple):
    """What the relay needs of an outbox row to publish it."""

    id: int
    message_id: str
    queue_name: str
    actor_name: str
    args: list[Any]


def claim_unpublished(session: Session, limit: int) -> list[Unpublished]:
    """The oldest unpublished rows, locked so that a second relay skips them (PostgreSQL)."""
    return [Unpublished._make(row) for row in session.connection().execute(_UNPUBLISHED, {"limit": limit})]


_MARK_PUBLISHED = update(_OUTBOX).where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)))


def mark_published(session: Session, ids: Sequence[int], now: datetime) -> None:
    if ids:
        session.connection().execute(_MARK_PUBLISHED, {"ids": list(ids), "published_at": now})


def record_failure(session: Session, ids: Sequence[int], error: str) -> None:
    if ids:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(attempts=OutboxMessage.attempts + 1, last_error=error[:500])
        )
