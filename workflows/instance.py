"""The state of one workflow instance and the building blocks of the engine's decisions.

``InstanceState`` is everything the engine remembers about a running (or closed) instance; it
splits into the engine's own ``bookkeeping`` (stored as JSON on the case) and the case's own facts
(``CaseStatus``: stage, urgency, outcome, closure, pause — stored once each, as columns of the case).
The helpers below (``close``, ``email``, ``schedules``) are shared by ``workflows.engine`` and
``workflows.operator_actions``; like them they are pure.

Invariant: every datetime here is aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from workflows.commands import CancelTimers, CloseCase, CloseReason, Command, ScheduleTimer, SendEmail
from workflows.definition import WINDOW_CLOSE_TIMER, Send
from workflows.model import Answer, CaseState, Outcome

STATE_FORMAT = 3  # of ``bookkeeping``; bump when its shape changes (and read the older one in ``restore``)
_READABLE_FORMATS = frozenset({2, 3})  # 2: before pauses existed (never paused)


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
    timer ever scheduled (so a second partial outcome gets no second follow-up). While the case is
    paused (``paused_until``), the timers that would otherwise be pending wait in ``held``; only the
    window close and the pause's end stay pending. ``paused_for`` is the paused time so far: timers
    are measured from ``started_at`` plus that time. ``due`` holds the moment of each pending and
    held timer (empty for an instance stored before it was kept: ``workflows.timing.due_of``).
    ``bookkeeping``/``restore`` split the state into what the engine alone needs and the case's own
    facts (stored once, on the case).
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
    paused_until: datetime | None = None
    paused_at: datetime | None = None
    paused_for: timedelta = timedelta(0)
    held: tuple[str, ...] = ()
    due: Mapping[str, datetime] = field(default_factory=dict)

    @property
    def is_closed(self) -> bool:
        return self.closed_reason is not None

    @property
    def is_paused(self) -> bool:
        return self.paused_until is not None

    @property
    def measured_from(self) -> datetime:
        """The start the timers are measured from: the notification, later by the time paused."""
        return self.started_at + self.paused_for

    def bookkeeping(self) -> dict[str, Any]:
        """The engine's own part of the state, JSON-safe: what only the engine needs to go on.

        The rest — stage, urgency, outcome, closure and the pause's end — are facts of the case that
        the runtime keeps once, on the case itself; ``restore`` joins the two again.
        """
        return {
            "format": STATE_FORMAT,
            "started_at": self.started_at.isoformat(),
            "deadline_at": self.deadline_at.isoformat(),
            "pending": list(self.pending),
            "scheduled": list(self.scheduled),
            "paused_at": self.paused_at.isoformat() if self.paused_at is not None else None,
            "paused_seconds": self.paused_for.total_seconds(),
            "held": list(self.held),
            "due": {name: moment.isoformat() for name, moment in self.due.items()},
        }

    @property
    def status(self) -> CaseStatus:
        """The case's own facts in this state: what the runtime stores on the case."""
        return CaseStatus(self.case_id, self.definition, self.version, self.stage, self.urgent, self.outcome,
                          self.closed_reason, self.closed_at, self.paused_until)  # fmt: skip

    @classmethod
    def restore(cls, bookkeeping: Mapping[str, Any], case: CaseStatus) -> InstanceState:
        """The state from its stored ``bookkeeping`` and the case's own facts.

        Raises:
            ValueError: ``bookkeeping`` is of a format this engine cannot read.
        """
        if bookkeeping.get("format") not in _READABLE_FORMATS:
            raise ValueError(f"onbekend formaat van de instantiestatus: {bookkeeping.get('format')!r}")
        paused_at = bookkeeping.get("paused_at")
        return cls(
            definition=case.definition,
            version=case.version,
            case_id=case.case_id,
            stage=case.stage,
            started_at=utc(datetime.fromisoformat(bookkeeping["started_at"])),
            deadline_at=utc(datetime.fromisoformat(bookkeeping["deadline_at"])),
            urgent=case.urgent,
            outcome=case.outcome,
            pending=tuple(bookkeeping["pending"]),
            scheduled=tuple(bookkeeping["scheduled"]),
            closed_reason=case.closed_reason,
            closed_at=utc(case.closed_at) if case.closed_at is not None else None,
            paused_until=utc(case.paused_until) if case.paused_until is not None else None,
            paused_at=utc(datetime.fromisoformat(paused_at)) if paused_at else None,
            paused_for=timedelta(seconds=float(bookkeeping.get("paused_seconds", 0))),
            held=tuple(bookkeeping.get("held", ())),
            due={name: utc(datetime.fromisoformat(at)) for name, at in bookkeeping.get("due", {}).items()},
        )


@dataclass(frozen=True)
class CaseStatus:
    """The facts of a case that the runtime stores on the case itself (one place each).

    ``outcome`` is ``None`` while nothing was recorded; ``definition`` and ``version`` name what the
    instance runs on; ``paused_until`` is set while an operator paused the case.
    """

    case_id: int
    definition: str
    version: int
    stage: CaseState
    urgent: bool = False
    outcome: Outcome | None = None
    closed_reason: CloseReason | None = None
    closed_at: datetime | None = None
    paused_until: datetime | None = None


@dataclass(frozen=True)
class Decision:
    """The state to persist and the commands to carry out, in order, in the same transaction."""

    state: InstanceState
    commands: tuple[Command, ...]


def utc(now: datetime) -> datetime:
    """``now`` as aware UTC; a naive datetime is refused (the engine never guesses a zone)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got {now.isoformat()}")
    return now.astimezone(UTC)


def email(send: Send, step: str, reason: str | None = None, to: str | None = None) -> SendEmail:
    """The command that sends ``send``; ``to`` only when a person named the address."""
    return SendEmail(send.kind, send.recipient, reason or send.reason, send.attach_letter, step, to)


def schedules(timers: list[tuple[str, datetime]], deadline_at: datetime) -> tuple[ScheduleTimer, ...]:
    """Timers that fall before the window closes, plus the window close itself, in due order."""
    kept = [ScheduleTimer(name, due) for name, due in timers if due < deadline_at]
    kept.append(ScheduleTimer(WINDOW_CLOSE_TIMER, deadline_at))
    return tuple(sorted(kept, key=lambda s: s.due_at))


def close(state: InstanceState, reason: CloseReason, now: datetime) -> Decision:
    """Close the instance, cancelling every timer still pending (a pause ends with it)."""
    commands: list[Command] = [CancelTimers(state.pending)] if state.pending else []
    commands.append(CloseCase(reason))
    closed = replace(state, stage=CaseState.CLOSED, pending=(), held=(), due={}, paused_until=None, paused_at=None,
                     closed_reason=reason, closed_at=now)  # fmt: skip
    return Decision(closed, tuple(commands))


def window_reason(outcome: Outcome | None) -> CloseReason:
    """How the window closed, judged by the outcome the case has at that moment."""
    if outcome is None or outcome.contact is Answer.UNKNOWN:
        return CloseReason.WINDOW_CLOSED_WITHOUT_OUTCOME
    if outcome.is_partial:
        return CloseReason.WINDOW_CLOSED_PARTIAL
    return CloseReason.WINDOW_CLOSED_WITH_OUTCOME
