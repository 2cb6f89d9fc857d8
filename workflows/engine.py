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
      back from ``escalated`` to ``reminded``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from workflows.calendar import WorkdayCalendar
from workflows.commands import CancelTimers, CloseCase, CloseReason, Command, MarkUrgent, ScheduleTimer, SendEmail
from workflows.definition import (
    ESCALATION_TIMER,
    FOLLOW_UP_TIMER,
    WINDOW_CLOSE_TIMER,
    DefinitionError,
    Send,
    WorkflowDefinition,
)
from workflows.events import (
    Event,
    OperatorAction,
    OperatorActionKind,
    OutcomeReceived,
    Started,
    TimerFired,
    UnknownActionError,
    parse_action,
)
from workflows.model import Answer, CaseState, Outcome

__all__ = ["CaseFacts", "CaseStatus", "Decision", "InstanceState", "UnknownActionError", "handle", "start"]
STATE_FORMAT = 2  # of ``bookkeeping``; bump when its shape changes (and migrate the stored rows)


@dataclass(frozen=True)
class CaseFacts:
    """What the engine needs to know about the case: its id and its deadline date.

    ``deadline`` is the date named by the definition's ``deadline_field`` (the report date for
    self-reporters, the release date for detainees).
    """

    case_id: int
    deadline: date


@dataclass(frozen=True)
class InstanceState:
    """Everything the engine remembers about one running (or closed) instance.

    ``pending`` lists the timers scheduled and not yet fired or cancelled; ``scheduled`` every
    timer ever scheduled (so a second partial outcome gets no second follow-up). Datetimes are
    aware UTC. ``bookkeeping``/``restore`` split it into what the engine alone needs (stored in
    the instance row) and the case's own facts (stored once, on the case).
    """

    definition: str
    version: int
    case_id: int
    stage: CaseState
    started_at: datetime
    deadline_at: datetime
    urgent: bool = False
    outcome: Outcome | None = None
    pending: tuple[str, ...] = ()
    scheduled: tuple[str, ...] = ()
    closed_reason: CloseReason | None = None
    closed_at: datetime | None = None

    @property
    def is_closed(self) -> bool:
        return self.closed_reason is not None

    def bookkeeping(self) -> dict[str, Any]:
        """The engine's own part of the state, JSON-safe: what only the engine needs to go on.

        The rest — stage, urgency, outcome and closure — are facts of the case that the runtime keeps
        once, on the case itself; ``restore`` joins the two again.
        """
        return {
            "format": STATE_FORMAT,
            "started_at": self.started_at.isoformat(),
            "deadline_at": self.deadline_at.isoformat(),
            "pending": list(self.pending),
            "scheduled": list(self.scheduled),
        }

    @property
    def status(self) -> CaseStatus:
        """The case's own facts in this state: what the runtime stores on the case."""
        return CaseStatus(self.case_id, self.definition, self.version, self.stage, self.urgent, self.outcome,
                          self.closed_reason, self.closed_at)  # fmt: skip

    @classmethod
    def restore(cls, bookkeeping: Mapping[str, Any], case: CaseStatus) -> InstanceState:
        """The state from its stored ``bookkeeping`` and the case's own facts.

        Raises:
            ValueError: ``bookkeeping`` is of a format this engine cannot read.
        """
        if bookkeeping.get("format") != STATE_FORMAT:
            raise ValueError(f"onbekend formaat van de instantiestatus: {bookkeeping.get('format')!r}")
        return cls(
            definition=case.definition,
            version=case.version,
            case_id=case.case_id,
            stage=case.stage,
            started_at=_utc(datetime.fromisoformat(bookkeeping["started_at"])),
            deadline_at=_utc(datetime.fromisoformat(bookkeeping["deadline_at"])),
            urgent=case.urgent,
            outcome=case.outcome,
            pending=tuple(bookkeeping["pending"]),
            scheduled=tuple(bookkeeping["scheduled"]),
            closed_reason=case.closed_reason,
            closed_at=_utc(case.closed_at) if case.closed_at is not None else None,
        )


@dataclass(frozen=True)
class CaseStatus:
    """The facts of a case that the runtime stores on the case itself (one place each).

    ``outcome`` is ``None`` while nothing was recorded; ``definition`` and ``version`` name what the
    instance runs on.
    """

    case_id: int
    definition: str
    version: int
    stage: CaseState
    urgent: bool = False
    outcome: Outcome | None = None
    closed_reason: CloseReason | None = None
    closed_at: datetime | None = None


@dataclass(frozen=True)
class Decision:
    """The state to persist and the commands to carry out, in order, in the same transaction."""

    state: InstanceState
    commands: tuple[Command, ...]


def start(definition: WorkflowDefinition, facts: CaseFacts, now: datetime, calendar: WorkdayCalendar) -> Decision:
    """Start an instance of ``definition`` for a case at ``now`` (the moment of notification)."""
    now = _utc(now)
    deadline_at = calendar.start_of_day(facts.deadline)
    state = InstanceState(definition.name, definition.version, facts.case_id, CaseState.NOTIFIED, now, deadline_at)
    if deadline_at <= now:
        return _close(state, CloseReason.WINDOW_CLOSED_WITHOUT_OUTCOME, now)
    sends: tuple[Command, ...] = tuple(
        _email(send, "notification" if i == 0 else f"start_{i}") for i, send in enumerate(definition.initial_sends)
    )
    timers = [(r.name, calendar.after(now, r.after)) for r in definition.wait.reminders]
    escalation = definition.wait.escalation
    due = escalation.due(now, deadline_at, calendar) if escalation is not None else None
    if escalation is not None and due is not None and due <= now:
        # Urgent: the escalation moment has already passed, so it goes out with the notification.
        state = replace(state, urgent=True, stage=CaseState.ESCALATED)
        sends = (MarkUrgent(), *sends, _email(escalation.send, ESCALATION_TIMER, escalation.urgent_reason))
    elif due is not None:
        timers.append((ESCALATION_TIMER, due))
    schedules = _schedules(timers, deadline_at)
    names = tuple(s.name for s in schedules)
    return Decision(replace(state, pending=names, scheduled=names), (*sends, *schedules))


def handle(
    definition: WorkflowDefinition, state: InstanceState, event: Event, now: datetime, calendar: WorkdayCalendar
) -> Decision:
    """Apply ``event`` to a running instance; ``definition`` must be the version it started with.

    Raises:
        DefinitionError: ``definition`` is not the name and version of ``state``.
        UnknownActionError: an ``OperatorAction`` with an action the engine does not know.
    """
    now = _utc(now)
    if definition.key != (state.definition, state.version):
        raise DefinitionError(f"instantie draait op {state.definition} v{state.version}, niet op {definition.label}")
    if isinstance(event, OperatorAction):
        parse_action(event.action)
    merged = _with_outcome(state, event)
    if state.is_closed or isinstance(event, Started):
        # A late reply is still recorded for the report, but a closed case stays silent.
        return Decision(merged, ())
    if now >= state.deadline_at and not _is_operator_close(event):
        # The runtime may deliver late (e.g. after downtime): past the window nothing else is sent.
        return _close(merged, _window_reason(merged.outcome), now)
    if isinstance(event, OutcomeReceived):
        return _on_outcome(definition, merged, now, calendar)
    if isinstance(event, TimerFired):
        return _on_timer(definition, state, event.timer, now, calendar)
    return _on_operator(definition, state, event, now)


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got {now.isoformat()}")
    return now.astimezone(UTC)


def _email(send: Send, step: str, reason: str | None = None) -> SendEmail:
    return SendEmail(send.kind, send.recipient, reason or send.reason, send.attach_letter, step)


def _schedules(timers: list[tuple[str, datetime]], deadline_at: datetime) -> tuple[ScheduleTimer, ...]:
    """Timers that fall before the window closes, plus the window close itself, in due order."""
    kept = [ScheduleTimer(name, due) for name, due in timers if due < deadline_at]
    kept.append(ScheduleTimer(WINDOW_CLOSE_TIMER, deadline_at))
    return tuple(sorted(kept, key=lambda s: s.due_at))


def _is_operator_close(event: Event) -> bool:
    return isinstance(event, OperatorAction) and event.action == OperatorActionKind.CLOSE


def _with_outcome(state: InstanceState, event: Event) -> InstanceState:
    """``state`` with the event's outcome merged in; a later reply overrides what it states."""
    if not isinstance(event, OutcomeReceived):
        return state
    merged = state.outcome.updated_with(event.outcome) if state.outcome is not None else event.outcome
    return replace(state, outcome=merged)


def _close(state: InstanceState, reason: CloseReason, now: datetime) -> Decision:
    """Close the instance, cancelling every timer still pending."""
    commands: list[Command] = [CancelTimers(state.pending)] if state.pending else []
    commands.append(CloseCase(reason))
    closed = replace(state, stage=CaseState.CLOSED, pending=(), closed_reason=reason, closed_at=now)
    return Decision(closed, tuple(commands))


def _window_reason(outcome: Outcome | None) -> CloseReason:
    """How the window closed, judged by the outcome the case has at that moment."""
    if outcome is None or outcome.contact is Answer.UNKNOWN:
        return CloseReason.WINDOW_CLOSED_WITHOUT_OUTCOME
    if outcome.is_partial:
        return CloseReason.WINDOW_CLOSED_PARTIAL
    return CloseReason.WINDOW_CLOSED_WITH_OUTCOME


def _on_outcome(definition: WorkflowDefinition, state: InstanceState, now: datetime, cal: WorkdayCalendar) -> Decision:
    """A complete outcome closes the case; a partial one trades the reminders for one follow-up."""
    assert state.outcome is not None
    if state.outcome.is_complete:
        return _close(state, CloseReason.OUTCOME_COMPLETE, now)
    if not state.outcome.is_partial:
        return Decision(state, ())  # nothing about contact yet: recorded, the flow goes on as before
    keep = {WINDOW_CLOSE_TIMER, FOLLOW_UP_TIMER}
    cancelled = tuple(name for name in state.pending if name not in keep)
    commands: list[Command] = [CancelTimers(cancelled)] if cancelled else []
    state = replace(state, stage=CaseState.OUTCOME_PARTIAL, pending=tuple(n for n in state.pending if n in keep))
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
    state = replace(state, pending=tuple(n for n in state.pending if n != name))
    wait = definition.wait
    if name == WINDOW_CLOSE_TIMER:
        return _close(state, _window_reason(state.outcome), now)
    if name == ESCALATION_TIMER and wait.escalation is not None:
        reason = wait.escalation.reason(state.started_at, state.deadline_at, calendar)
        return Decision(replace(state, stage=CaseState.ESCALATED), (_email(wait.escalation.send, name, reason),))
    if name == FOLLOW_UP_TIMER and wait.follow_up is not None:
        return Decision(state, (_email(wait.follow_up.send, name),))
    reminder = definition.reminder(name)
    if reminder is None:
        return Decision(state, ())
    stage = CaseState.REMINDED if state.stage is CaseState.NOTIFIED else state.stage
    return Decision(replace(state, stage=stage), (_email(reminder.send, name),))


def _on_operator(
    definition: WorkflowDefinition, state: InstanceState, event: OperatorAction, now: datetime
) -> Decision:
    action = parse_action(event.action)
    if action is OperatorActionKind.CLOSE:
        return _close(state, CloseReason.OPERATOR, now)
    if action is OperatorActionKind.RESEND_NOTIFICATION:
        notification = definition.initial_sends[0]
        reason = f"Opnieuw verzonden op verzoek van de beheerder. {notification.reason}"
        return Decision(state, (_email(notification, action.value, reason),))
    escalation = definition.wait.escalation
    if escalation is None:
        return Decision(state, ())
    commands: list[Command] = [CancelTimers((ESCALATION_TIMER,))] if ESCALATION_TIMER in state.pending else []
    reason = "Geëscaleerd door de beheerder" + (f": {event.note}" if event.note else ".")
    commands.append(_email(escalation.send, action.value, reason))
    pending = tuple(n for n in state.pending if n != ESCALATION_TIMER)
    return Decision(replace(state, stage=CaseState.ESCALATED, pending=pending), tuple(commands))
