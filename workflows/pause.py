"""An operator's pause: the case's timers wait until a date, then go on as if the pause had not taken time.

``pause`` moves every pending timer but the window close into ``held`` and schedules ``pause_end``
at 00:00 local time on the given date; a pause that would end on or after the deadline is refused
(then there is no time left for contact before it). ``resume`` — by the operator, or when
``pause_end`` fires — schedules each held timer later by the time paused, so it keeps the time it
had left, except that the escalation never comes after its last moment before the deadline (at
once when that moment passed during the pause) and nothing falls in the paused time. While paused,
a timer the flow schedules (a partial outcome's follow-up) is held too (``hold_while_paused``).

Invariant: the window still closes on the deadline while paused; repeating a pause with the same
date, or resuming a case that is not paused, changes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from workflows.calendar import WorkdayCalendar
from workflows.commands import CancelTimers, Command, ScheduleTimer
from workflows.definition import ESCALATION_TIMER, PAUSE_END_TIMER, WINDOW_CLOSE_TIMER, WorkflowDefinition
from workflows.events import OperatorAction, RefusedActionError
from workflows.instance import Decision, InstanceState
from workflows.timing import SOON, due_of, escalate_now, latest_escalation

STAYS_PENDING = frozenset({WINDOW_CLOSE_TIMER, PAUSE_END_TIMER})


def pause(definition: WorkflowDefinition, state: InstanceState, action: OperatorAction, now: datetime,
          calendar: WorkdayCalendar) -> Decision:  # fmt: skip
    """Hold the timers until ``action.until``; a paused case only moves the pause's end.

    Raises:
        RefusedActionError: no date, a date not in the future, or one on or after the deadline.
    """
    if action.until is None:
        raise RefusedActionError("geef de datum waarop de pauze eindigt")
    until_at = calendar.start_of_day(action.until)
    if until_at <= now:
        raise RefusedActionError(f"de pauze moet in de toekomst eindigen; {action.until:%d-%m-%Y} is voorbij")
    if until_at >= state.deadline_at:
        deadline = calendar.local_date(state.deadline_at)
        raise RefusedActionError(f"een pauze tot {action.until:%d-%m-%Y} loopt tot op of na de einddatum van de zaak "
                                 f"({deadline:%d-%m-%Y}): dan is er geen tijd meer voor contact vooraf. Kies een "
                                 "eerdere datum, of sluit de zaak")  # fmt: skip
    if state.is_paused:
        if until_at == state.paused_until:
            return Decision(state, ())
        moved = (CancelTimers((PAUSE_END_TIMER,)), ScheduleTimer(PAUSE_END_TIMER, until_at))
        return Decision(replace(state, paused_until=until_at), moved)
    held = tuple(name for name in state.pending if name not in STAYS_PENDING)
    commands: list[Command] = [CancelTimers(held)] if held else []
    commands.append(ScheduleTimer(PAUSE_END_TIMER, until_at))
    pending = (*(name for name in state.pending if name in STAYS_PENDING), PAUSE_END_TIMER)
    scheduled = state.scheduled if PAUSE_END_TIMER in state.scheduled else (*state.scheduled, PAUSE_END_TIMER)
    paused = replace(state, paused_until=until_at, paused_at=now, held=held, pending=pending, scheduled=scheduled)
    return Decision(paused, tuple(commands))


def resume(definition: WorkflowDefinition, state: InstanceState, now: datetime,
           calendar: WorkdayCalendar) -> Decision:  # fmt: skip
    """End the pause now: each held timer later by the time paused (see the module docstring)."""
    if not state.is_paused:
        return Decision(state, ())
    shift = now - state.paused_at if state.paused_at is not None else timedelta(0)
    commands: list[Command] = [CancelTimers((PAUSE_END_TIMER,))] if PAUSE_END_TIMER in state.pending else []
    timers: list[ScheduleTimer] = []
    overdue_escalation = False
    for name in state.held:
        due = due_of(definition, state, name, calendar) + shift
        if name == ESCALATION_TIMER:
            due = min(due, latest_escalation(definition, state.deadline_at, calendar))
            overdue_escalation = due <= now
        elif due <= now:  # it was overdue when the pause began: it fires right after the pause
            due = now + SOON
        if due < state.deadline_at and not (name == ESCALATION_TIMER and overdue_escalation):
            timers.append(ScheduleTimer(name, due))
    timers.sort(key=lambda timer: timer.due_at)
    pending = (*(n for n in state.pending if n != PAUSE_END_TIMER), *(t.name for t in timers))
    resumed = replace(state, pending=pending, held=(), paused_until=None, paused_at=None,
                      paused_for=state.paused_for + shift)  # fmt: skip
    if overdue_escalation:
        escalation = definition.wait.escalation
        assert escalation is not None
        urgent = escalate_now(definition, resumed, escalation.before_reason or escalation.send.reason, urgent=False)
        return Decision(urgent.state, (*commands, *timers, *urgent.commands))
    return Decision(resumed, (*commands, *timers))


def hold_while_paused(decision: Decision) -> Decision:
    """A timer scheduled while the case is paused waits for the pause's end with the others."""
    state = decision.state
    if not state.is_paused or state.is_closed:
        return decision
    held = [c for c in decision.commands if isinstance(c, ScheduleTimer) and c.name not in STAYS_PENDING]
    if not held:
        return decision
    names = {c.name for c in held}
    commands = tuple(c for c in decision.commands if not (isinstance(c, ScheduleTimer) and c.name in names))
    holding = replace(state, pending=tuple(n for n in state.pending if n not in names),
                      held=(*state.held, *sorted(names - set(state.held))),
                      due={**state.due, **{c.name: c.due_at for c in held}})  # fmt: skip
    return Decision(holding, commands)
