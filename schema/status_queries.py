"""Aggregate read queries behind ``koers status`` and the Prometheus metrics.

Each function is one aggregate query (COUNT/MIN with GROUP BY) on an indexed column, so that a
status check stays fast at any number of cases. They return counts only, never a name.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from schema.models import AuditEvent, CaseRow
from schema.runtime_models import DeadLetter, Heartbeat, InboundMessage, OutboundEmail, OutboxMessage, Timer
from workflows.model import CaseState
from workflows.states import AuditKind, DeadLetterState, EmailState, InboundState, TimerState

# Audit events that the metrics count as throughput (a fixed list keeps the query on the index).
COUNTED_EVENTS = tuple(e.value for e in (AuditKind.OUTCOME_RECORDED, AuditKind.CASE_CLOSED, AuditKind.MARKED_URGENT,
                                          AuditKind.REVIEW_NEEDED, AuditKind.DEAD_LETTER_REPLAYED,
                                          AuditKind.DEAD_LETTER_DISCARDED))  # fmt: skip
# The review flag of a case is counted under the same word as the inbound state it mirrors.
NEEDS_REVIEW = InboundState.NEEDS_REVIEW.value


def _count_when(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def counts_by(session: Session, column: InstrumentedAttribute[str]) -> dict[str, int]:
    """``{value: count}`` for one state-like column (``OutboundEmail.state``, ``InboundMessage.state``…)."""
    rows = session.execute(select(column, func.count()).group_by(column))
    return {str(value): int(count) for value, count in rows}


def outbox_lag(session: Session, now: datetime) -> dict[str, Any]:
    """Unpublished outbox rows and how long the oldest has waited."""
    count, oldest = session.execute(
        select(func.count(), func.min(OutboxMessage.created_at)).where(OutboxMessage.published_at.is_(None))
    ).one()
    oldest = _as_utc(oldest)
    return {
        "unpublished": int(count),
        "oldest_unpublished_at": oldest.isoformat() if oldest else None,
        "lag_seconds": round((now - oldest).total_seconds(), 1) if oldest else None,
    }


def timer_counts(session: Session, now: datetime, overdue_after: timedelta) -> dict[str, Any]:
    """Pending timers: total, due now, overdue (due longer ago than the sweep should take); claimed."""
    pending = Timer.state == TimerState.PENDING
    row = session.execute(
        select(_count_when(pending), _count_when(pending & (Timer.due_at <= now)),
               _count_when(pending & (Timer.due_at <= now - overdue_after)),
               _count_when(Timer.state == TimerState.CLAIMED))
        .where(Timer.state.in_(TimerState.waiting()))
    ).one()  # fmt: skip
    pending_total, due_now, overdue, claimed = (int(v) for v in row)
    return {TimerState.PENDING.value: pending_total, "due_now": due_now, "overdue": overdue,
            TimerState.CLAIMED.value: claimed, "overdue_after_seconds": overdue_after.total_seconds()}  # fmt: skip


def heartbeat_times(session: Session) -> dict[str, datetime | None]:
    """When each periodic job last recorded a run."""
    return {name: _as_utc(at) for name, at in session.execute(select(Heartbeat.name, Heartbeat.last_run_at))}


def case_counts(session: Session) -> dict[str, Any]:
    """Cases by state, plus those an operator must look at (routing, review)."""
    rows = session.execute(
        select(CaseRow.state, func.count(), _count_when(CaseRow.review_reason.is_not(None))).group_by(CaseRow.state)
    ).all()
    by_state = {str(state): int(count) for state, count, _ in rows}
    return {
        "total": sum(by_state.values()),
        "by_state": by_state,
        CaseState.NEEDS_ROUTING.value: by_state.get(CaseState.NEEDS_ROUTING, 0),
        NEEDS_REVIEW: sum(int(review) for _, _, review in rows),
    }


def inbound_counts(session: Session) -> dict[str, Any]:
    """Inbound messages by state; quarantined and needs-review separately for the attention list."""
    by_state = counts_by(session, InboundMessage.state)
    return {"by_state": by_state, InboundState.QUARANTINED.value: by_state.get(InboundState.QUARANTINED, 0),
            NEEDS_REVIEW: by_state.get(InboundState.NEEDS_REVIEW, 0)}  # fmt: skip


def dead_letter_counts(session: Session) -> dict[str, int]:
    """Unresolved dead letters (state ``dead``) per queue (delay-queue names folded into their queue)."""
    rows = session.execute(
        select(DeadLetter.queue_name, func.count())
        .where(DeadLetter.state == DeadLetterState.DEAD)
        .group_by(DeadLetter.queue_name)
    )
    counts: dict[str, int] = {}
    for queue, count in rows:
        base = str(queue).removesuffix(".DQ").removesuffix(".XQ")
        counts[base] = counts.get(base, 0) + int(count)
    return counts


def throughput(session: Session) -> dict[str, Any]:
    """Monotonic totals for the metrics: emails sent by kind, cases created, counted audit events."""
    sent = session.execute(
        select(OutboundEmail.kind, func.count())
        .where(OutboundEmail.state == EmailState.SENT)
        .group_by(OutboundEmail.kind)
    )
    events = session.execute(
        select(AuditEvent.event, func.count()).where(AuditEvent.event.in_(COUNTED_EVENTS)).group_by(AuditEvent.event)
    )
    return {
        "emails_sent": {str(kind): int(count) for kind, count in sent},
        "cases_created": int(session.scalar(select(func.count()).select_from(CaseRow)) or 0),
        "audit_events": {event: 0 for event in COUNTED_EVENTS} | {str(e): int(c) for e, c in events},
    }


def _as_utc(value: datetime | None) -> datetime | None:
    # Aggregates (MIN) bypass the column type on SQLite and come back as text or naive values.
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
