"""The pure workflow engine: instance state and an event in, new state and commands out.

``start`` begins an instance of a definition for a case; ``handle`` applies one event to it. Both
take ``now`` (aware) and a ``WorkdayCalendar`` and return a ``Decision``; nothing here does I/O or
reads the clock, and nothing here knows a definition by name — a new target group is a new
definition, not a change to this module.

Invariants:
    - The window closes at 00:00 local time on the deadline date; no timer is ever scheduled at
      or after that moment except ``window_close`` itself, and an open case that sees any
      event at or after it is closed as the window prescribes.
    - Events are idempotent: a timer that is not pending, a repeated ``Started`` or any event on
      a closed case yields no commands. Only an outcome on a closed case still updates the
      stored outcome (it is recorded, never answered).
    - A report or release date that has already begun at the start closes the instance at once
      as ``window_closed_without_outcome`` without sending anything: the letter would invite
      contact before a date that has passed. Intake rejects such dates; this is the safe net.
    - ``stage`` is a ``CaseState`` so the runtime can mirror it onto the case; it never moves
      back from ``escalated`` to ``reminded`` — only a re-route starts the flow afresh.
    - Operator actions (``workflows.operator_actions``) are decided here like every other event;
      one that does not fit raises ``RefusedActionError``. While a case is paused
      (``workflows.pause``) its timers wait, and any it schedules waits with them.
    - Every decision carries the moment of each pending and held timer (``timing.track_dues``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from workflows.calendar import WorkdayCalendar
from workflows.commands import CancelTimers, CloseReason, Command, ScheduleTimer
from workflows.definition import (
    ESCALATION_TIMER,
    FOLLOW_UP_TIMER,
    PAUSE_END_TIMER,
    WINDOW_CLOSE_TIMER,
    DefinitionError,
    WorkflowDefinition,
)
from workflows.events import (
    Event,
    OperatorAction,
    OperatorActionKind,
    OutcomeReceived,
    RefusedActionError,
    Started,
    TimerFired,
    UnknownActionError,
    parse_action,
)
from workflows.instance import (
    STATE_FORMAT,
    CaseFacts,
    CaseStatus,
    Decision,
    InstanceState,
    close,
    email,
    utc,
    window_reason,
)
from workflows.model import CaseState
from workflows.operator_actions import decide
from workflows.pause import hold_while_paused, resume
from workflows.timing import begin, track_dues

__all__ = ["STATE_FORMAT", "CaseFacts", "CaseStatus", "Decision", "InstanceState", "RefusedActionError",
           "UnknownActionError", "handle", "start"]  # fmt: skip


def start(definition: WorkflowDefinition, facts: CaseFacts, now: datetime, calendar: WorkdayCalendar) -> Decision:
    """Start an instance of ``definition`` for a case at ``now`` (the moment of notification)."""
    now = utc(now)
    return track_dues(begin(definition, facts.case_id, calendar.start_of_day(facts.deadline), now, calendar))


def handle(
    definition: WorkflowDefinition, state: InstanceState, event: Event, now: datetime, calendar: WorkdayCalendar
) -> Decision:
    """Apply ``event`` to a running instance; ``definition`` must be the version it started with.

    Raises:
        DefinitionError: ``definition`` is not the name and version of ``state``.
        UnknownActionError: an ``OperatorAction`` with an action the engine does not know.
        RefusedActionError: an ``OperatorAction`` that does not fit this instance.
    """
    now = utc(now)
    if definition.key != (state.definition, state.version):
        raise DefinitionError(f"instantie draait op {state.definition} v{state.version}, niet op {definition.label}")
    kind = parse_action(event.action) if isinstance(event, OperatorAction) else None
    merged = _with_outcome(state, event)
    if state.is_closed or isinstance(event, Started):
        # A late reply is still recorded for the report, but a closed case stays silent.
        return Decision(merged, ())
    if now >= state.deadline_at and kind is not OperatorActionKind.CLOSE:
        # The runtime may deliver late (e.g. after downtime): past the window nothing else is sent.
        return close(merged, window_reason(merged.outcome), now)
    if isinstance(event, OutcomeReceived):
        return track_dues(hold_while_paused(_on_outcome(definition, merged, now, calendar)))
    if isinstance(event, TimerFired):
        return track_dues(_on_timer(definition, state, event.timer, now, calendar))
    assert isinstance(event, OperatorAction) and kind is not None
    return track_dues(decide(definition, state, event, kind, now, calendar))


def _with_outcome(state: InstanceState, event: Event) -> InstanceState:
    """``state`` with the event's outcome merged in; a later reply overrides what it states."""
    if not isinstance(event, OutcomeReceived):
        return state
    merged = state.outcome.updated_with(event.outcome) if state.outcome is not None else event.outcome
    return replace(state, outcome=merged)


def _on_outcome(definition: WorkflowDefinition, state: InstanceState, now: datetime, cal: WorkdayCalendar) -> Decision:
    """A complete outcome closes the case; a partial one trades the reminders for one follow-up."""
    assert state.outcome is not None
    if state.outcome.is_complete:
        return close(state, CloseReason.OUTCOME_COMPLETE, now)
    if not state.outcome.is_partial:
        return Decision(state, ())  # nothing about contact yet: recorded, the flow goes on as before
    keep = {WINDOW_CLOSE_TIMER, FOLLOW_UP_TIMER, PAUSE_END_TIMER}
    cancelled = tuple(name for name in state.pending if name not in keep)
    commands: list[Command] = [CancelTimers(cancelled)] if cancelled else []
    state = replace(state, stage=CaseState.OUTCOME_PARTIAL, pending=tuple(n for n in state.pending if n in keep),
                    held=tuple(n for n in state.held if n in keep))  # fmt: skip
    follow_up = definition.wait.follow_up
    if follow_up is not None and FOLLOW_UP_TIMER not in state.scheduled:
        due = cal.after(now, follow_up.after)
        if due < state.deadline_at:
            commands.append(ScheduleTimer(FOLLOW_UP_TIMER, due))
            state = replace(
                state, pending=(*state.pending, FOLLOW_UP_TIMER), scheduled=(*state.scheduled, FOLLOW_UP_TIMER)
            )
    return Decision(state, tuple(commands))


def _on_timer(
    definition: WorkflowDefinition, state: InstanceState, name: str, now: datetime, calendar: WorkdayCalendar
) -> Decision:
    if name not in state.pending:
        return Decision(state, ())  # cancelled meanwhile, or delivered twice
    if name == PAUSE_END_TIMER:
        return resume(definition, replace(state, pending=tuple(n for n in state.pending if n != name)), now, calendar)
    state = replace(state, pending=tuple(n for n in state.pending if n != name))
    wait = definition.wait
    if name == WINDOW_CLOSE_TIMER:
        return close(state, window_reason(state.outcome), now)
    if name == ESCALATION_TIMER and wait.escalation is not None:
        reason = wait.escalation.reason(state.started_at, state.deadline_at, calendar)
        return Decision(replace(state, stage=CaseState.ESCALATED), (email(wait.escalation.send, name, reason),))
    if name == FOLLOW_UP_TIMER and wait.follow_up is not None:
        return Decision(state, (email(wait.follow_up.send, name),))
    reminder = definition.reminder(name)
    if reminder is None:
        return Decision(state, ())
    stage = CaseState.REMINDED if state.stage is CaseState.NOTIFIED else state.stage
    return Decision(replace(state, stage=stage), (email(reminder.send, name),))
