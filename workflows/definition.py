"""The vocabulary of workflow definitions: triggers, sends, waits with reminders, escalation, close.

A definition says *what* happens to a case; ``workflows.engine`` decides *when*. A definition is
a ``WorkflowDefinition`` whose ``steps`` read as the flow itself::

    Send(notification)+  ->  WaitForOutcome(reminders, escalation, follow_up)  ->  CloseAtDeadline()

The sends go out at the start; the wait holds the reminders (measured from the start), the
escalation (the **earliest** of its ``after`` and ``before_deadline`` moments wins) and the
follow-up a partial outcome gets; the window closes at 00:00 local time on the deadline date.
A new target group is a new definition built from these pieces, never a change to the engine.

Invariants:
    - Definitions are immutable and identified by ``(name, version)``; a running instance keeps
      the version it started with, so a changed flow is a new version, never an edit.
    - ``validate()`` is called when a definition is built or registered and raises
      ``DefinitionError`` naming the definition and the problem; the engine trusts valid ones.
    - Timer names are unique within a definition; ``escalation``, ``follow_up``, ``window_close``
      and ``pause_end`` are reserved for the steps of those names (and an operator's pause).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeAlias

from workflows.calendar import WorkdayCalendar
from workflows.commands import EmailKind, Recipient
from workflows.durations import Duration

ESCALATION_TIMER = "escalation"
FOLLOW_UP_TIMER = "follow_up"
WINDOW_CLOSE_TIMER = "window_close"
PAUSE_END_TIMER = "pause_end"  # an operator's pause ends: the timers that waited are recomputed
RESERVED_TIMERS = frozenset({ESCALATION_TIMER, FOLLOW_UP_TIMER, WINDOW_CLOSE_TIMER, PAUSE_END_TIMER})
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
_REMINDER_KINDS = frozenset({EmailKind.REMINDER, EmailKind.SECOND_REMINDER})


class DefinitionError(ValueError):
    """A workflow definition (or the timers it is built from) is invalid; the message says why."""


@dataclass(frozen=True)
class Trigger:
    """What starts an instance, e.g. ``case_accepted`` or ``detainee_in_custody``."""

    event: str


@dataclass(frozen=True)
class Send:
    """An email the flow sends; ``reason`` is the short Dutch text that says why."""

    kind: EmailKind
    recipient: Recipient
    reason: str
    attach_letter: bool = False


@dataclass(frozen=True)
class Reminder:
    """A reminder sent ``after`` the start when no outcome has come in; ``name`` is its timer."""

    name: str
    after: Duration
    send: Send


@dataclass(frozen=True)
class Escalation:
    """Hand the case to the coordinator at the earliest of ``after`` the start and ``before_deadline``.

    When that moment has already passed at the start, the case is urgent and escalated at once
    with ``urgent_reason`` (or the send's own reason) as the text.
    """

    send: Send
    after: Duration | None = None
    before_deadline: Duration | None = None
    urgent_reason: str | None = None
    after_reason: str | None = None
    before_reason: str | None = None

    def reason(self, start: datetime, deadline_at: datetime, calendar: WorkdayCalendar) -> str:
        """The text for whichever moment came first (falling back to the send's own reason)."""
        after = calendar.after(start, self.after) if self.after is not None else None
        before = calendar.before(deadline_at, self.before_deadline) if self.before_deadline is not None else None
        if after is not None and (before is None or after <= before):
            return self.after_reason or self.send.reason
        return self.before_reason or self.send.reason

    def due(self, start: datetime, deadline_at: datetime, calendar: WorkdayCalendar) -> datetime:
        """The earliest of the moments ``after`` the start and ``before_deadline``: earliest wins."""
        moments = []
        if self.after is not None:
            moments.append(calendar.after(start, self.after))
        if self.before_deadline is not None:
            moments.append(calendar.before(deadline_at, self.before_deadline))
        return min(moments)  # validate() guarantees at least one


@dataclass(frozen=True)
class FollowUp:
    """The single reminder for the missing part of a partial outcome, ``after`` it arrived."""

    after: Duration
    send: Send


@dataclass(frozen=True)
class WaitForOutcome:
    """Wait for the municipality's outcome; any outcome cancels what is still pending."""

    reminders: tuple[Reminder, ...] = ()
    escalation: Escalation | None = None
    follow_up: FollowUp | None = None


@dataclass(frozen=True)
class CloseAtDeadline:
    """The window closes at 00:00 local time on the deadline date; the case ends with what it has."""


Step: TypeAlias = Send | WaitForOutcome | CloseAtDeadline


@dataclass(frozen=True)
class WorkflowDefinition:
    """One versioned flow; ``deadline_field`` names the case date the window closes on."""

    name: str
    version: int
    trigger: Trigger
    deadline_field: str
    steps: tuple[Step, ...]
    description: str = ""

    @property
    def key(self) -> tuple[str, int]:
        return (self.name, self.version)

    @property
    def initial_sends(self) -> tuple[Send, ...]:
        """The sends before the wait: they go out when the instance starts."""
        return tuple(step for step in self.steps if isinstance(step, Send))

    @property
    def wait(self) -> WaitForOutcome:
        for step in self.steps:
            if isinstance(step, WaitForOutcome):
                return step
        raise DefinitionError(f"{self.label}: geen WaitForOutcome-stap")

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"

    def reminder(self, name: str) -> Reminder | None:
        return next((r for r in self.wait.reminders if r.name == name), None)

    def validate(self) -> WorkflowDefinition:
        """Check the definition as a whole and return it, so that builders can end with it.

        Raises:
            DefinitionError: naming the definition and the first problem found.
        """
        _check_identity(self)
        _check_shape(self)
        _check_sends(self)
        _check_timer_names(self)
        _check_durations(self)
        return self


def require_timer(timers: Mapping[str, Duration], key: str, *, definition: str) -> Duration:
    """The configured duration ``key``, or a ``DefinitionError`` naming the missing key."""
    try:
        return timers[key]
    except KeyError:
        raise DefinitionError(f"{definition}: timer {key!r} ontbreekt in de configuratie") from None


def nominal_length(duration: Duration) -> timedelta:
    """A comparable length: a working day counts as 7/5 calendar days.

    Only used to check that a definition's durations are in a sensible order; the engine always
    resolves real moments on the calendar and does not rely on this order.
    """
    if duration.workdays is not None:
        return timedelta(days=duration.workdays * 7 / 5)
    assert duration.delta is not None
    return duration.delta


def _fail(definition: WorkflowDefinition, problem: str) -> DefinitionError:
    return DefinitionError(f"{definition.label}: {problem}")


def _check_identity(d: WorkflowDefinition) -> None:
    if not _IDENTIFIER.match(d.name):
        raise _fail(d, f"naam {d.name!r} moet een identifier zijn (a-z, 0-9, _)")
    if isinstance(d.version, bool) or not isinstance(d.version, int) or d.version < 1:
        raise _fail(d, f"versie {d.version!r} moet een geheel getal vanaf 1 zijn")
    if not _IDENTIFIER.match(d.trigger.event):
        raise _fail(d, f"trigger {d.trigger.event!r} moet een identifier zijn")
    if not _IDENTIFIER.match(d.deadline_field):
        raise _fail(d, f"deadline_field {d.deadline_field!r} moet een identifier zijn")


def _check_shape(d: WorkflowDefinition) -> None:
    steps = d.steps
    if len(steps) < 3 or not isinstance(steps[-1], CloseAtDeadline) or not isinstance(steps[-2], WaitForOutcome):
        raise _fail(d, "stappen moeten zijn: Send..., WaitForOutcome, CloseAtDeadline (in die volgorde)")
    if not all(isinstance(step, Send) for step in steps[:-2]):
        raise _fail(d, "voor WaitForOutcome mogen alleen Send-stappen staan")
    first = steps[0]
    assert isinstance(first, Send)
    if first.kind is not EmailKind.NOTIFICATION or first.recipient is not Recipient.MUNICIPALITY:
        raise _fail(d, "de eerste stap moet de melding (notification) aan de gemeente zijn")


def _check_send(d: WorkflowDefinition, send: Send, where: str, kinds: frozenset[EmailKind], to: Recipient) -> None:
    if not send.reason.strip():
        raise _fail(d, f"{where}: reden (reason) is leeg")
    if send.kind not in kinds:
        raise _fail(d, f"{where}: soort {send.kind.value!r} past niet; verwacht {sorted(k.value for k in kinds)}")
    if send.recipient is not to:
        raise _fail(d, f"{where}: gaat naar {send.recipient.value!r}, verwacht {to.value!r}")


def _check_sends(d: WorkflowDefinition) -> None:
    for send in d.initial_sends:
        if not send.reason.strip():
            raise _fail(d, f"start: reden van {send.kind.value!r} is leeg")
    wait = d.wait
    for reminder in wait.reminders:
        _check_send(d, reminder.send, f"herinnering {reminder.name!r}", _REMINDER_KINDS, Recipient.MUNICIPALITY)
    if wait.escalation is not None:
        _check_send(d, wait.escalation.send, "escalatie", frozenset({EmailKind.ESCALATION}), Recipient.COORDINATOR)
    if wait.follow_up is not None:
        _check_send(d, wait.follow_up.send, "follow-up", frozenset({EmailKind.FOLLOW_UP}), Recipient.MUNICIPALITY)


def _check_timer_names(d: WorkflowDefinition) -> None:
    seen: set[str] = set()
    for reminder in d.wait.reminders:
        if not _IDENTIFIER.match(reminder.name):
            raise _fail(d, f"timernaam {reminder.name!r} moet een identifier zijn")
        if reminder.name in RESERVED_TIMERS:
            raise _fail(d, f"timernaam {reminder.name!r} is gereserveerd")
        if reminder.name in seen:
            raise _fail(d, f"timernaam {reminder.name!r} komt twee keer voor")
        seen.add(reminder.name)


def _is_zero(duration: Duration) -> bool:
    return nominal_length(duration) <= timedelta(0)


def _check_durations(d: WorkflowDefinition) -> None:
    wait, previous = d.wait, None
    for reminder in wait.reminders:
        if _is_zero(reminder.after):
            raise _fail(d, f"herinnering {reminder.name!r}: duur moet groter dan nul zijn")
        if previous is not None and nominal_length(reminder.after) <= nominal_length(previous.after):
            raise _fail(
                d,
                f"herinnering {reminder.name!r} ({reminder.after}) moet na {previous.name!r} ({previous.after}) komen",
            )
        previous = reminder
    if wait.escalation is not None:
        _check_escalation(d, wait.escalation, previous)
    if wait.follow_up is not None and _is_zero(wait.follow_up.after):
        raise _fail(d, "follow-up: duur moet groter dan nul zijn")


def _check_escalation(d: WorkflowDefinition, escalation: Escalation, last: Reminder | None) -> None:
    if escalation.after is None and escalation.before_deadline is None:
        raise _fail(d, "escalatie heeft 'after' of 'before_deadline' (of beide) nodig")
    for label, duration in (("after", escalation.after), ("before_deadline", escalation.before_deadline)):
        # A zero before_deadline would escalate at the very moment the window closes: never in time.
        if duration is not None and _is_zero(duration):
            raise _fail(d, f"escalatie {label}: duur moet groter dan nul zijn")
    if (
        escalation.after is not None
        and last is not None
        and nominal_length(last.after) >= nominal_length(escalation.after)
    ):
        raise _fail(
            d,
            f"herinnering {last.name!r} ({last.after}) valt niet voor de escalatie ({escalation.after} na de melding)",
        )
