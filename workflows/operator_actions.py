"""What an operator's action does to a running instance, decided purely like every other event.

- ``close``: the case ends now; every pending timer is cancelled.
- ``resend_notification``: the notification (with the letter) goes out again, to the address the
  operator gave or the configured mailbox; the timers are not touched.
- ``escalate``: the coordinator gets the case now (the operator's note is the reason) and the
  scheduled escalation is cancelled; a case already escalated is left as it is.
- ``reroute``: what was pending for the old municipality is withdrawn (timers cancelled, queued
  emails withdrawn), the old municipality is told, and the flow starts afresh for the new one: a
  new notification and new timers measured from now (urgent at once when the deadline is close).
  The outcome recorded so far stays. Which municipality is the runtime's business: the engine only
  needs to know that it changed.
- ``pause`` / ``resume``: see ``workflows.pause``.
- ``update_date``: the deadline moves (uitstel); the window close moves with it, the escalation is
  recomputed for it — at once, marked urgent, when the new date is already that close — and a
  reminder or follow-up that would now fall on or after the new date is dropped.

Invariant: an action that does not fit raises ``RefusedActionError`` with a Dutch reason; repeating
an action that already holds (the same date, an escalated case) decides nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from workflows.calendar import WorkdayCalendar
from workflows.commands import (
    CancelEmails,
    CancelTimers,
    CloseReason,
    Command,
    EmailKind,
    MarkUrgent,
    Recipient,
    ScheduleTimer,
)
from workflows.definition import ESCALATION_TIMER, PAUSE_END_TIMER, WINDOW_CLOSE_TIMER, Send, WorkflowDefinition
from workflows.events import OperatorAction, OperatorActionKind, RefusedActionError
from workflows.instance import Decision, InstanceState, close, email
from workflows.model import CaseState
from workflows.pause import pause, resume
from workflows.timing import begin, due_of, escalate_now, escalation_due

REROUTED = Send(
    EmailKind.REROUTED,
    Recipient.FORMER_MUNICIPALITY,
    "De zaak is overgedragen aan een andere gemeente. Eerdere berichten over deze zaak vervallen; u hoeft niets "
    "meer te doen.",
)
_FIXED = frozenset({WINDOW_CLOSE_TIMER, PAUSE_END_TIMER})


def decide(definition: WorkflowDefinition, state: InstanceState, action: OperatorAction, kind: OperatorActionKind,
           now: datetime, calendar: WorkdayCalendar) -> Decision:  # fmt: skip
    """The decision for ``action`` (of ``kind``) on an open instance before its deadline.

    Raises:
        RefusedActionError: the action does not fit (see the module docstring).
    """
    if kind is OperatorActionKind.CLOSE:
        return close(state, CloseReason.OPERATOR, now)
    if kind is OperatorActionKind.RESEND_NOTIFICATION:
        notification = definition.initial_sends[0]
        reason = f"Opnieuw verzonden op verzoek van de beheerder. {notification.reason}"
        return Decision(state, (email(notification, kind.value, reason, to=action.to),))
    if kind is OperatorActionKind.ESCALATE:
        return _escalate(definition, state, action)
    if kind is OperatorActionKind.REROUTE:
        return _reroute(definition, state, action, now, calendar)
    if kind is OperatorActionKind.PAUSE:
        return pause(definition, state, action, now, calendar)
    if kind is OperatorActionKind.RESUME:
        return resume(definition, state, now, calendar)
    return _update_date(definition, state, action, now, calendar)


def _escalate(definition: WorkflowDefinition, state: InstanceState, action: OperatorAction) -> Decision:
    escalation = definition.wait.escalation
    if escalation is None:
        raise RefusedActionError(f"de workflow {definition.label} kent geen escalatie")
    if state.stage is CaseState.ESCALATED:
        return Decision(state, ())
    cancel: tuple[Command, ...] = (CancelTimers((ESCALATION_TIMER,)),) if ESCALATION_TIMER in state.pending else ()
    reason = "Geëscaleerd door de beheerder" + (f": {action.note}" if action.note else ".")
    escalated = escalate_now(definition, state, reason, urgent=False)
    return Decision(escalated.state, (*cancel, *escalated.commands))


def _reroute(definition: WorkflowDefinition, state: InstanceState, action: OperatorAction, now: datetime,
             calendar: WorkdayCalendar) -> Decision:  # fmt: skip
    if not action.municipality:
        raise RefusedActionError("geef de nieuwe gemeente (CBS-code, bijvoorbeeld GM0106)")
    withdraw: list[Command] = [CancelTimers(state.pending)] if state.pending else []
    withdraw += [CancelEmails(), email(REROUTED, OperatorActionKind.REROUTE.value)]
    fresh = begin(definition, state.case_id, state.deadline_at, now, calendar)
    restarted = replace(fresh.state, outcome=state.outcome, urgent=state.urgent or fresh.state.urgent)
    starting = tuple(c for c in fresh.commands if not (state.urgent and isinstance(c, MarkUrgent)))
    return Decision(restarted, (*withdraw, *starting))


def _update_date(definition: WorkflowDefinition, state: InstanceState, action: OperatorAction, now: datetime,
                 calendar: WorkdayCalendar) -> Decision:  # fmt: skip
    new_at = _new_deadline(state, action, now, calendar)
    if new_at == state.deadline_at:
        return Decision(state, ())
    moved = replace(state, deadline_at=new_at)
    moments = {n: due_of(definition, state, n, calendar) for n in (*state.pending, *state.held) if n not in _FIXED}
    if ESCALATION_TIMER in moments:
        moments[ESCALATION_TIMER] = escalation_due(definition, moved, calendar)
    urgent = ESCALATION_TIMER in moments and moments[ESCALATION_TIMER] <= now
    if urgent:
        del moments[ESCALATION_TIMER]
    kept = {n: due for n, due in moments.items() if due < new_at}
    changed = [ScheduleTimer(n, due) for n, due in kept.items() if n in state.pending and due != state.due.get(n)]
    changed.append(ScheduleTimer(WINDOW_CLOSE_TIMER, new_at))
    cancelled = [n for n in state.pending if n not in _FIXED and (n not in kept or n in {t.name for t in changed})]
    cancelled.append(WINDOW_CLOSE_TIMER)
    moved = replace(moved, pending=tuple(n for n in state.pending if n in _FIXED or n in kept),
                    held=tuple(n for n in state.held if n in kept), due={**state.due, **kept})  # fmt: skip
    changed.sort(key=lambda timer: timer.due_at)
    decision = Decision(moved, (CancelTimers(tuple(cancelled)), *changed))
    if urgent:
        return _urgent_after_new_date(definition, decision, action)
    return decision


def _new_deadline(state: InstanceState, action: OperatorAction, now: datetime, calendar: WorkdayCalendar) -> datetime:
    """The moment the window closes on the new date; refused when missing, past, or within a pause."""
    if action.deadline is None:
        raise RefusedActionError("geef de nieuwe datum (JJJJ-MM-DD)")
    new_at = calendar.start_of_day(action.deadline)
    if new_at <= now:
        raise RefusedActionError(f"de nieuwe datum {action.deadline:%d-%m-%Y} ligt niet in de toekomst")
    if state.paused_until is not None and state.paused_until >= new_at:
        until = calendar.local_date(state.paused_until)
        raise RefusedActionError(f"de zaak is gepauzeerd tot {until:%d-%m-%Y}, op of na de nieuwe datum: hervat de "
                                 "zaak eerst, of kies een latere datum")  # fmt: skip
    return new_at


def _urgent_after_new_date(definition: WorkflowDefinition, decision: Decision, action: OperatorAction) -> Decision:
    """The new date leaves less time than the escalation needs: the coordinator gets the case now."""
    escalation = definition.wait.escalation
    assert escalation is not None and action.deadline is not None
    reason = f"Nieuwe datum {action.deadline:%d-%m-%Y}. " + (escalation.before_reason or escalation.send.reason)
    escalated = escalate_now(definition, decision.state, reason, urgent=True)
    return Decision(escalated.state, (*decision.commands, *escalated.commands))
