"""Commands: what the workflow engine asks the runtime to carry out.

The engine is pure; it never sends, stores or waits. It returns these imperative values and the
runtime (``workers/``) turns them into outbox rows, timer rows and case updates in one
transaction. Commands therefore carry only what the runtime cannot know by itself: which email,
to whom and why, which timer and when. Identifiers of the case travel beside them, not in them.

Invariants: commands are immutable; every ``datetime`` in them is timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeAlias


class EmailKind(StrEnum):
    """Which email the runtime renders; each kind has its own Dutch template."""

    NOTIFICATION = "notification"
    REMINDER = "reminder"
    SECOND_REMINDER = "second_reminder"
    ESCALATION = "escalation"
    FOLLOW_UP = "follow_up"
    CONFIRMATION = "confirmation"  # a recorded outcome, confirmed to the one who sent it
    ASK_BACK = "ask_back"  # the question about what could not be read in a reply
    PROPOSAL = "proposal"  # what Koers read from prose, proposed to the sender to confirm with "ja"
    REROUTED = "rerouted"  # to the previous municipality: the case moved elsewhere, nothing more to do
    NOT_RESIDENT_RECEIVED = "not_resident_received"  # "not our resident" read; an operator picks the municipality


class Recipient(StrEnum):
    """Who receives an email; the runtime looks up the address for the case."""

    MUNICIPALITY = "municipality"  # the municipality's mailbox for self-reporters
    COORDINATOR = "coordinator"  # the province's coordinator (Zorg- en Veiligheidshuis)
    SENDER = "sender"  # whoever sent the reply being answered (confirmation, ask-back)
    FORMER_MUNICIPALITY = "former_municipality"  # the mailbox of the municipality a re-route moved away from


class CloseReason(StrEnum):
    """Why a workflow instance ended; the monitoring report counts cases by it."""

    OUTCOME_COMPLETE = "outcome_complete"
    WINDOW_CLOSED_WITH_OUTCOME = "window_closed_with_outcome"
    WINDOW_CLOSED_PARTIAL = "window_closed_partial"
    WINDOW_CLOSED_WITHOUT_OUTCOME = "window_closed_without_outcome"
    OPERATOR = "operator"


@dataclass(frozen=True)
class SendEmail:
    """Send one email about the case.

    Attributes:
        reason: short Dutch text saying why this email goes out; it is put into the body.
        step: the definition step that caused it (``notification``, a timer name, or an operator
            action), so that the runtime can give the email a deterministic id.
        to: an address a person gave for this one email (an operator's resend to a corrected
            mailbox); ``None``: the runtime looks up the recipient's configured address.
    """

    kind: EmailKind
    recipient: Recipient
    reason: str
    attach_letter: bool = False
    step: str = ""
    to: str | None = None


@dataclass(frozen=True)
class ScheduleTimer:
    """Store a timer row that fires ``TimerFired(name)`` at ``due_at``; names are unique per instance."""

    name: str
    due_at: datetime


@dataclass(frozen=True)
class CancelTimers:
    """Mark these pending timer rows cancelled; names that are not pending are ignored."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class CancelEmails:
    """Withdraw the case's emails still waiting in the queue (a re-route: they were for the old municipality).

    An email already being sent is left alone: it may have been delivered.
    """


@dataclass(frozen=True)
class CloseCase:
    """End the case: nothing more will be sent or scheduled for it."""

    reason: CloseReason


@dataclass(frozen=True)
class MarkUrgent:
    """Flag the case as urgent: its report date was already close when it came in."""


Command: TypeAlias = SendEmail | ScheduleTimer | CancelTimers | CancelEmails | CloseCase | MarkUrgent
