"""Timer rows outside a case's decisions: the sweep claims the due ones, a handler marks one done.

Timers are created and cancelled by the case store as the engine decides. Here: ``claim_due``
(the sweep: ``pending → claimed`` with the outbox message that fires it, ``FOR UPDATE SKIP
LOCKED`` so two sweeps never take the same row), ``renudge_stuck`` (the reconciler: a claimed
timer whose message was lost is queued again) and ``mark_done`` (under the case's lock). The
sweep's query uses the ``(state, due_at)`` index: its cost grows with the due timers only.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from schema import outbox
from schema.runtime_models import Timer
from workflows.states import TimerState

TIMERS = cast(Table, Timer.__table__)
_CASE_OF = select(TIMERS.c.case_id).where(TIMERS.c.id == bindparam("timer_id"))
_LOAD = select(TIMERS.c.name, TIMERS.c.state, TIMERS.c.due_at).where(TIMERS.c.id == bindparam("timer_id"))


class TimerRow(NamedTuple):
    name: str
    state: str
    due_at: datetime


def case_of(session: Session, timer_id: int) -> int | None:
    found = session.connection().execute(_CASE_OF, {"timer_id": timer_id}).scalar()
    return int(found) if found is not None else None


def load(session: Session, timer_id: int) -> TimerRow:
    return TimerRow._make(session.connection().execute(_LOAD, {"timer_id": timer_id}).one())


def mark_done(session: Session, timer_id: int, now: datetime) -> None:
    session.connection().execute(update(TIMERS).where(TIMERS.c.id == timer_id)
                                 .values(state=TimerState.DONE.value, done_at=now))  # fmt: skip


def claim_due(session: Session, now: datetime, batch: int, nudge: tuple[str, str]) -> int:
    """Claim up to ``batch`` due timers and queue the message that fires each; returns how many."""
    ids = list(session.scalars(
        select(Timer.id).where(Timer.state == TimerState.PENDING, Timer.due_at <= now)
        .order_by(Timer.due_at).limit(batch).with_for_update(skip_locked=True)
    ))  # fmt: skip
    if ids:
        session.execute(update(Timer).where(Timer.id.in_(ids))
                        .values(state=TimerState.CLAIMED.value, claimed_at=now))  # fmt: skip
        outbox.enqueue(session, *nudge, [(i,) for i in ids], now)
    return len(ids)


def renudge_stuck(session: Session, now: datetime, claimed_before: datetime, nudge: tuple[str, str],
                  limit: int = 5000) -> int:  # fmt: skip
    """Queue again the timers claimed before ``claimed_before`` and not fired since (a lost message)."""
    ids = list(session.scalars(
        select(Timer.id).where(Timer.state == TimerState.CLAIMED, Timer.claimed_at < claimed_before).limit(limit)
    ))  # fmt: skip
    if ids:
        outbox.enqueue(session, *nudge, [(i,) for i in ids], now)
        session.execute(update(Timer).where(Timer.id.in_(ids)).values(claimed_at=now))
    return len(ids)
