"""The periodic jobs the scheduler leader triggers: timer sweep, outbox relay, reconciler.

Each is one short transaction (or a few), safe to run concurrently with a second copy (rows are
claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), and records a heartbeat so operators can
see when it last ran. The sweep's query uses the (state, due_at) index: its cost grows with the
number of due timers, not with the number waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import dramatiq
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from schema import case_store, email_store, outbox, timer_store
from schema.runtime_models import Heartbeat
from workers import queues


def sweep_timers(sessions: sessionmaker[Session], now: datetime, batch: int = 1000) -> int:
    """Claim due timers and queue ``handle_timer`` for each; returns how many were claimed."""
    total = 0
    while True:
        with sessions.begin() as session:
            claimed = timer_store.claim_due(session, now, batch, queues.FIRE_TIMER)
        total += claimed
        if claimed < batch:
            return total


def relay_outbox(sessions: sessionmaker[Session], broker: dramatiq.Broker, now: Callable[[], datetime],
                 batch: int = 500) -> int:  # fmt: skip
    """Publish committed outbox rows (publisher confirms on RabbitMQ); returns how many."""
    total = 0
    while True:
        with sessions.begin() as session:
            rows = outbox.claim_unpublished(session, batch)
            published: list[int] = []
            try:
                for row in rows:
                    broker.enqueue(dramatiq.Message(queue_name=row.queue_name, actor_name=row.actor_name,
                                                    args=tuple(row.args), kwargs={}, options={},
                                                    message_id=row.message_id))  # fmt: skip
                    published.append(row.id)
            except Exception as exc:
                # Keep what went out; the rest stays unpublished and is tried on the next run.
                outbox.record_failure(session, [r.id for r in rows if r.id not in published], type(exc).__name__)
                outbox.mark_published(session, published, now())
                raise
            outbox.mark_published(session, published, now())
        total += len(published)
        if len(rows) < batch:
            return total


@dataclass(frozen=True)
class ReconcileWindows:
    """How long something may stay pending before the reconciler nudges it again."""

    start: timedelta = timedelta(minutes=2)
    timer: timedelta = timedelta(minutes=5)
    email: timedelta = timedelta(minutes=10)
    stale_sending: timedelta = timedelta(minutes=10)


def reconcile(sessions: sessionmaker[Session], now: datetime, windows: ReconcileWindows = ReconcileWindows()
              ) -> dict[str, int]:  # fmt: skip
    """Re-nudge work that stayed pending too long; a lost message or a broker restart heals itself.

    What was nudged is moved out of its window, so it is nudged once per window, not on every run.
    """
    with sessions.begin() as session:
        unstarted = case_store.renudge_unstarted(session, now, now - windows.start, queues.START)
        timers = timer_store.renudge_stuck(session, now, now - windows.timer, queues.FIRE_TIMER)
        emails = email_store.renudge_queued(session, now, now - windows.email, queues.SEND)
        stale = email_store.review_stale_sending(session, now, now - windows.stale_sending, actor="reconciler")
    return {"unstarted": unstarted, "timers": timers, "emails": emails, "stale_sending": stale}


def beat(sessions: sessionmaker[Session], name: str, now: datetime, details: dict[str, Any]) -> None:
    """Record that a periodic job ran (upsert on both databases)."""
    with sessions.begin() as session:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(Heartbeat).values(name=name, last_run_at=now, details=details)
        session.execute(statement.on_conflict_do_update(index_elements=["name"],
                                                        set_={"last_run_at": now, "details": details}))  # fmt: skip
