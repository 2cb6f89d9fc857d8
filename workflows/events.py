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
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeAlias

from workflows.model import Answer, ContactForm, Outcome


class OperatorActionKind(StrEnum):
    """The actions an operator can take on a running case from the console."""

    CLOSE = "close"  # end the case now, whatever its state
    RESEND_NOTIFICATION = "resend_notification"  # e.g. the mailbox bounced and was corrected
    ESCALATE = "escalate"  # hand the case to the coordinator now instead of waiting


class UnknownActionError(ValueError):
    """An operator action the engine does not know; the console must not offer it."""


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
    """An operator acted on the case; ``action`` is an ``OperatorActionKind`` value."""

    action: str
    note: str | None = None


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
