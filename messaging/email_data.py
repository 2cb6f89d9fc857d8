"""What each kind of email is rendered from: exactly what that email may say.

Minimal data: only the notification carries the person's details; reminders, escalations and the
answers to replies carry the case reference and the deadline. Plain values, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from workflows.model import Outcome, TargetGroup


@dataclass(frozen=True)
class NotificationData:
    """The case notification: the facts the municipality's team needs to reach the person in time."""

    case_ref: str
    municipality_name: str
    report_date: date
    days_left: int
    institution: str
    sentence_days: int
    given_names: str
    surname: str
    birth_date: date
    reason: str
    routed_by: str
    street: str | None = None
    house_number: str | None = None
    postcode: str | None = None
    woonplaats: str | None = None
    phone: str | None = None
    email: str | None = None
    urgent: bool = False


@dataclass(frozen=True)
class DetaineeNotificationData:
    """The case notification for a detainee: who, in which institution, released when. No letter: the
    person is inside, so nothing goes to the home address; no phone or email: they cannot be reached there.
    The address is the one on record, which is why the municipality is theirs."""

    case_ref: str
    municipality_name: str
    release_date: date
    days_left: int
    custody_since: date
    institution: str
    sentence_days: int
    given_names: str
    surname: str
    birth_date: date
    reason: str
    routed_by: str
    street: str | None = None
    house_number: str | None = None
    postcode: str | None = None
    woonplaats: str | None = None
    urgent: bool = False


@dataclass(frozen=True)
class ReminderData:
    """A (second) reminder: the reference and the deadline (the group's date), no personal data."""

    case_ref: str
    municipality_name: str
    deadline: date
    days_left: int
    notified_on: date
    working_days_waited: int
    urgent: bool = False
    group: TargetGroup = TargetGroup.SELF_REPORTER


@dataclass(frozen=True)
class EscalationData:
    """An escalation to the province's coordinator; ``reason`` is a Dutch sentence from the engine."""

    case_ref: str
    municipality_name: str
    cbs_code: str
    deadline: date
    days_left: int
    reason: str
    notified_mailbox: str | None
    notified_on: date | None
    reminders_sent: int = 0
    group: TargetGroup = TargetGroup.SELF_REPORTER


@dataclass(frozen=True)
class FollowUpData:
    """Contact was recorded but the outcome is partial: ask only for what is missing."""

    case_ref: str
    municipality_name: str
    deadline: date
    days_left: int
    outcome: Outcome
    group: TargetGroup = TargetGroup.SELF_REPORTER


@dataclass(frozen=True)
class ConfirmationData:
    """What was recorded from a reply, sent back so the sender can correct it."""

    case_ref: str
    municipality_name: str
    outcome: Outcome
    group: TargetGroup = TargetGroup.SELF_REPORTER


@dataclass(frozen=True)
class AskBackData:
    """A reply that could not (fully) be read: the lines quoted back and the fields still needed.

    ``needed`` holds field keys of ``messaging.reply_block`` (e.g. ``("contact", "actions")``).
    """

    case_ref: str
    unreadable: tuple[str, ...]
    needed: tuple[str, ...]
    read: tuple[tuple[str, str], ...] = ()  # (field key, value as Koers wrote it) of what was read and recorded
    group: TargetGroup = TargetGroup.SELF_REPORTER


@dataclass(frozen=True)
class ProposalData:
    """An outcome read from prose, proposed to the sender; ``needed`` holds the fields it still asks for."""

    case_ref: str
    proposal: Outcome
    needed: tuple[str, ...] = ()
    group: TargetGroup = TargetGroup.SELF_REPORTER


@dataclass(frozen=True)
class NoticeData:
    """A short notice about a case: it moved to another municipality, or a "not our resident" reply was read.

    ``place`` is the new place a reply named (echoed to its sender only); no personal data.
    """

    case_ref: str
    place: str | None = None
