"""Events: what happened to a running workflow instance, fed to the engine by the runtime.

The runtime creates the instance with ``engine.start`` and afterwards feeds one of these per
occurrence: a timer row that came due, an outcome read from a municipal reply, or an action an
operator took in the console. Delivery is at least once, so the engine treats a repeated event
as a no-op rather than trusting the runtime to deduplicate.

Invariants: events are immutable and carry no personal data beyond the recorded ``Outcome``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeAlias

from workflows.model import Answer, ContactForm, Outcome


class OperatorActionKind(StrEnum):
    """The actions an operator can take on a running case (console and ``koers case``)."""

    CLOSE = "close"  # end the case now, whatever its state
    RESEND_NOTIFICATION = "resend_notification"  # e.g. the mailbox bounced and was corrected
    ESCALATE = "escalate"  # hand the case to the coordinator now instead of waiting
    REROUTE = "reroute"  # another municipality: what was pending is withdrawn, the flow starts afresh there
    PAUSE = "pause"  # timers wait until a date before the deadline
    RESUME = "resume"  # end a pause now: the waiting timers are recomputed
    UPDATE_DATE = "update_date"  # the deadline date moved (uitstel): every pending timer is recomputed


class UnknownActionError(ValueError):
    """An operator action the engine does not know; the console must not offer it."""


class RefusedActionError(ValueError):
    """An operator action that does not fit the instance (a pause past the deadline, a date in the past).

    The message is Dutch and says why, for the person who asked.
    """


def parse_action(action: str) -> OperatorActionKind:
    """The ``OperatorActionKind`` named by ``action``, or ``UnknownActionError`` listing the known ones."""
    try:
        return OperatorActionKind(action)
    except ValueError:
        known = ", ".join(kind.value for kind in OperatorActionKind)
        raise UnknownActionError(f"onbekende actie {action!r}; bekend: {known}") from None


@dataclass(frozen=True)
class Started:
    """The instance was started; ``engine.start`` handles it, so ``handle`` treats it as a repeat."""

    at: datetime | None = None


@dataclass(frozen=True)
class TimerFired:
    """A timer row named ``timer`` came due (possibly delivered twice)."""

    timer: str


@dataclass(frozen=True)
class OutcomeReceived:
    """The municipality's reply was read; ``outcome`` holds only what that reply stated."""

    outcome: Outcome


@dataclass(frozen=True)
class OperatorAction:
    """An operator acted on the case; ``action`` is an ``OperatorActionKind`` value.

    Attributes:
        note: why (the operator's reason; audited, never put in an email).
        municipality: ``reroute``: the CBS code of the new municipality.
        until: ``pause``: the date the pause ends (timers wait until 00:00 local time that day).
        deadline: ``update_date``: the new deadline date (report or release date).
        to: ``resend_notification``: send to this address instead of the configured mailbox.
    """

    action: str
    note: str | None = None
    municipality: str | None = None
    until: date | None = None
    deadline: date | None = None
    to: str | None = None


Event: TypeAlias = Started | TimerFired | OutcomeReceived | OperatorAction


def outcome_to_dict(outcome: Outcome) -> dict[str, Any]:
    """A JSON-safe form of an ``Outcome``, as stored in instance state and event logs."""
    return {
        "contact": outcome.contact.value,
        "contact_form": outcome.contact_form.value if outcome.contact_form is not None else None,
        "actions": outcome.actions.value,
        "life_domains": list(outcome.life_domains),
        "known_to_care": outcome.known_to_care.value,
        "note": outcome.note,
    }


def outcome_from_dict(data: Mapping[str, Any]) -> Outcome:
    """The inverse of ``outcome_to_dict``; raises ``ValueError`` on an unknown answer value."""
    form = data.get("contact_form")
    return Outcome(
        contact=Answer(data.get("contact", Answer.UNKNOWN.value)),
        contact_form=ContactForm(form) if form is not None else None,
        actions=Answer(data.get("actions", Answer.UNKNOWN.value)),
        life_domains=tuple(str(d) for d in data.get("life_domains", ())),
        known_to_care=Answer(data.get("known_to_care", Answer.UNKNOWN.value)),
        note=data.get("note"),
    )
