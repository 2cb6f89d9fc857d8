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
from sqlalchemy import and_, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from schema import outbox
from schema.models import AuditEvent, CaseRow
from schema.runtime_models import Heartbeat, OutboundEmail, Timer, WorkflowInstance
from workers import queues


def sweep_timers(sessions: sessionmaker[Session], now: datetime, batch: int = 1000) -> int:
    """Claim due timers and queue ``handle_timer`` for each; returns how many were claimed."""
    total = 0
    while True:
        with sessions.begin() as session:
            ids = list(session.scalars(
                select(Timer.id).where(Timer.state == "pending", Timer.due_at <= now)
                .order_by(Timer.due_at).limit(batch).with_for_update(skip_locked=True)
            ))  # fmt: skip
            if ids:
                session.execute(update(Timer).where(Timer.id.in_(ids)).values(state="claimed", claimed_at=now))
                outbox.enqueue(session, queues.HANDLE_TIMER, queues.WORKFLOW, [(i,) for i in ids], now)
        total += len(ids)
        if len(ids) < batch:
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
    """Re-nudge work that stayed pending too long; a lost message or a broker restart heals itself."""
    with sessions.begin() as session:
        unstarted = list(session.scalars(
            select(CaseRow.id).where(CaseRow.state == "accepted", CaseRow.updated_at < now - windows.start,
                                     ~exists().where(WorkflowInstance.case_id == CaseRow.id)).limit(5000)
        ))  # fmt: skip
        stuck_timers = list(session.scalars(
            select(Timer.id).where(Timer.state == "claimed", Timer.claimed_at < now - windows.timer).limit(5000)
        ))  # fmt: skip
        queued = list(session.scalars(
            select(OutboundEmail.id).where(OutboundEmail.state == "queued",
                                           OutboundEmail.updated_at < now - windows.email).limit(5000)
        ))  # fmt: skip
        stale = list(session.scalars(
            select(OutboundEmail).where(and_(OutboundEmail.state == "sending",
                                             OutboundEmail.sending_started_at < now - windows.stale_sending))
        ))  # fmt: skip
        outbox.enqueue(session, queues.START_WORKFLOW, queues.WORKFLOW, [(i,) for i in unstarted], now)
        outbox.enqueue(session, queues.HANDLE_TIMER, queues.WORKFLOW, [(i,) for i in stuck_timers], now)
        outbox.enqueue(session, queues.SEND_EMAIL, queues.OUTGOING_MAIL, [(i,) for i in queued], now)
        # Move what was nudged out of the window, so it is nudged once per window, not on every run.
        if unstarted:
            session.execute(update(CaseRow).where(CaseRow.id.in_(unstarted)).values(updated_at=now))
        if queued:
            session.execute(update(OutboundEmail).where(OutboundEmail.id.in_(queued)).values(updated_at=now))
        if stuck_timers:
            session.execute(update(Timer).where(Timer.id.in_(stuck_timers)).values(claimed_at=now))
        for email in stale:
            email.state, email.updated_at = "needs_review", now
            email.last_error = "verzending onderbroken; mogelijk al afgeleverd — controleer voor opnieuw versturen"
            session.add(AuditEvent(at=now, actor="reconciler", case_id=email.case_id, event="email_needs_review",
                                   details={"email_id": email.id, "kind": email.kind, "from": "sending"}))  # fmt: skip
    return {"unstarted": len(unstarted), "timers": len(stuck_timers), "emails": len(queued),
            "stale_sending": len(stale)}  # fmt: skip


def beat(sessions: sessionmaker[Session], name: str, now: datetime, details: dict[str, Any]) -> None:
    """Record that a periodic job ran (upsert on both databases)."""
    with sessions.begin() as session:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(Heartbeat).values(name=name, last_run_at=now, details=details)
        session.execute(statement.on_conflict_do_update(index_elements=["name"],
                                                        set_={"last_run_at": now, "details": details}))  # fmt: skip
