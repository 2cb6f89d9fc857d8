"""When a case's timers are due: an instance's (fresh) start, and moments recomputed later.

``begin`` is the start of an instance — at intake, and again when a re-route starts the flow
afresh for another municipality. ``due_of`` says when a pending or held timer is due: as it was
scheduled (the engine tracks every timer's moment, ``track_dues``), or, for an instance stored
before moments were tracked, as the definition computes it. ``escalate_now`` is the urgent path
shared by a date that moved close and a pause that ran past the escalation's last moment.

Invariant: pure; every moment is aware UTC; no timer but the window close is ever at or after
the deadline.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from workflows.calendar import WorkdayCalendar
from workflows.commands import CloseReason, Command, MarkUrgent, ScheduleTimer
from workflows.definition import ESCALATION_TIMER, FOLLOW_UP_TIMER, WINDOW_CLOSE_TIMER, WorkflowDefinition
from workflows.instance import Decision, InstanceState, close, email, schedules
from workflows.model import CaseState

SOON = timedelta(seconds=1)  # a timer overdue when a pause began fires this long after it ends, never "in the past"


def begin(definition: WorkflowDefinition, case_id: int, deadline_at: datetime, now: datetime,
          calendar: WorkdayCalendar) -> Decision:  # fmt: skip
    """The notification and the timers of a fresh instance, notified at ``now``.

    Urgent when the escalation moment has already passed: it goes out with the notification. A
    deadline that has already begun closes the instance at once without sending anything.
    """
    state = InstanceState(definition.name, definition.version, case_id, CaseState.NOTIFIED, now, deadline_at)
    if deadline_at <= now:
        return close(state, CloseReason.WINDOW_CLOSED_WITHOUT_OUTCOME, now)
    sends: tuple[Command, ...] = tuple(
        email(send, "notification" if i == 0 else f"start_{i}") for i, send in enumerate(definition.initial_sends)
    )
    timers = [(r.name, calendar.after(now, r.after)) for r in definition.wait.reminders]
    escalation = definition.wait.escalation
    due = escalation.due(now, deadline_at, calendar) if escalation is not None else None
    if escalation is not None and due is not None and due <= now:
        state = replace(state, urgent=True, stage=CaseState.ESCALATED)
        sends = (MarkUrgent(), *sends, email(escalation.send, ESCALATION_TIMER, escalation.urgent_reason))
    elif due is not None:
        timers.append((ESCALATION_TIMER, due))
    planned = schedules(timers, deadline_at)
    names = tuple(s.name for s in planned)
    return Decision(replace(state, pending=names, scheduled=names), (*sends, *planned))


def due_of(definition: WorkflowDefinition, state: InstanceState, name: str, calendar: WorkdayCalendar) -> datetime:
    """When the pending or held timer ``name`` is due: as scheduled, else as the definition computes it."""
    if name in state.due:
        return state.due[name]
    wait = definition.wait
    if name == WINDOW_CLOSE_TIMER:
        return state.deadline_at
    if name == ESCALATION_TIMER and wait.escalation is not None:
        return wait.escalation.due(state.measured_from, state.deadline_at, calendar)
    reminder = definition.reminder(name)
    if reminder is not None:
        return calendar.after(state.measured_from, reminder.after)
    if name == FOLLOW_UP_TIMER and wait.follow_up is not None:
        return calendar.after(state.measured_from, wait.follow_up.after)
    return state.deadline_at  # a name this definition does not know: it cannot come before the window closes


def escalation_due(definition: WorkflowDefinition, state: InstanceState, calendar: WorkdayCalendar) -> datetime:
    """The escalation's moment for ``state``'s start (later by any pause) and deadline."""
    escalation = definition.wait.escalation
    assert escalation is not None
    return escalation.due(state.measured_from, state.deadline_at, calendar)


def latest_escalation(definition: WorkflowDefinition, deadline_at: datetime, calendar: WorkdayCalendar) -> datetime:
    """The last moment the escalation may come: its ``before_deadline`` moment, else the deadline."""
    escalation = definition.wait.escalation
    if escalation is None or escalation.before_deadline is None:
        return deadline_at
    return calendar.before(deadline_at, escalation.before_deadline)


def escalate_now(definition: WorkflowDefinition, state: InstanceState, reason: str, *, urgent: bool) -> Decision:
    """Send the escalation at once (it is no longer pending nor held); ``urgent`` also flags the case."""
    escalation = definition.wait.escalation
    assert escalation is not None
    commands: list[Command] = [MarkUrgent()] if urgent and not state.urgent else []
    commands.append(email(escalation.send, ESCALATION_TIMER, reason))
    escalated = replace(state, stage=CaseState.ESCALATED, urgent=state.urgent or urgent,
                        pending=_without(state.pending, ESCALATION_TIMER),
                        held=_without(state.held, ESCALATION_TIMER))  # fmt: skip
    return Decision(escalated, tuple(commands))


def track_dues(decision: Decision) -> Decision:
    """``decision`` with the moments of its pending and held timers: kept ones, plus those it schedules."""
    state = decision.state
    if state.is_closed:
        return Decision(replace(state, due={}), decision.commands) if state.due else decision
    keep = {*state.pending, *state.held}
    due = {name: moment for name, moment in state.due.items() if name in keep}
    due.update((c.name, c.due_at) for c in decision.commands if isinstance(c, ScheduleTimer))
    return Decision(replace(state, due=due), decision.commands) if due != state.due else decision


def _without(names: tuple[str, ...], name: str) -> tuple[str, ...]:
    return tuple(n for n in names if n != name)


__all__ = ["SOON", "begin", "due_of", "escalate_now", "escalation_due", "latest_escalation", "track_dues"]
