"""The 3Noord self-reporter flow (*Koers & Kansen 3Noord*), the first workflow definition.

When a case is accepted, the municipality's mailbox gets the case notification with the letter
for the self-reporter. Without an outcome it gets a reminder after ``first_reminder`` and
another after ``second_reminder``; the province's coordinator gets the case at the earlier of
``escalate_after`` the notification and ``escalate_before_report`` before the report date — at
once, with the notification, when the report date is already that close. A partial outcome
(contact yes, actions unknown) gets one follow-up after ``partial_follow_up``. At 00:00 on the
report date the pre-detention window closes and the case ends with the outcome it has.

All durations come from the ``[timers]`` config table (defaults in ``workers.settings``), so the
region can tune them, and tests and the demo can run the flow in seconds (``PT20S``).
"""

from __future__ import annotations

from collections.abc import Mapping

from workflows.commands import EmailKind, Recipient
from workflows.definition import (
    CloseAtDeadline,
    Escalation,
    FollowUp,
    Reminder,
    Send,
    Trigger,
    WaitForOutcome,
    WorkflowDefinition,
    require_timer,
)
from workflows.durations import Duration

NAME = "self_reporter_3noord"
VERSION = 1
TRIGGER = "case_accepted"
DEADLINE_FIELD = "report_date"
TIMER_KEYS = ("first_reminder", "second_reminder", "escalate_after", "escalate_before_report", "partial_follow_up")


NOTIFICATION = Send(
    EmailKind.NOTIFICATION,
    Recipient.MUNICIPALITY,
    "Nieuwe zelfmelder in uw gemeente: graag contact leggen vóór de meldingsdatum.",
    attach_letter=True,
)
FOLLOW_UP = Send(
    EmailKind.FOLLOW_UP,
    Recipient.MUNICIPALITY,
    "Er was contact, maar nog niet bekend is of er acties zijn uitgezet. Graag aanvullen.",
)


def build(timers: Mapping[str, Duration]) -> WorkflowDefinition:
    """The 3Noord self-reporter definition with the configured durations, validated.

    Raises:
        DefinitionError: a timer is missing or the durations are out of order.
    """
    t = {key: require_timer(timers, key, definition=f"{NAME} v{VERSION}") for key in TIMER_KEYS}
    wait = WaitForOutcome(
        reminders=(
            _reminder("first_reminder", EmailKind.REMINDER, t["first_reminder"]),
            _reminder("second_reminder", EmailKind.SECOND_REMINDER, t["second_reminder"]),
        ),
        escalation=_escalation(after=t["escalate_after"], before_report=t["escalate_before_report"]),
        follow_up=FollowUp(t["partial_follow_up"], FOLLOW_UP),
    )
    return WorkflowDefinition(
        name=NAME,
        version=VERSION,
        trigger=Trigger(TRIGGER),
        deadline_field=DEADLINE_FIELD,
        steps=(NOTIFICATION, wait, CloseAtDeadline()),
        description="Zelfmelders 3Noord: voorzorg via de gemeente vóór de meldingsdatum.",
    ).validate()


def _reminder(name: str, kind: EmailKind, after: Duration) -> Reminder:
    return Reminder(
        name, after, Send(kind, Recipient.MUNICIPALITY, f"Nog geen uitkomst ontvangen, {after} na de melding.")
    )


def _escalation(after: Duration, before_report: Duration) -> Escalation:
    reason = (
        f"Geen uitkomst van de gemeente binnen {after} na de melding, of de meldingsdatum ligt binnen {before_report}."
    )
    return Escalation(
        Send(EmailKind.ESCALATION, Recipient.COORDINATOR, reason),
        after=after,
        before_deadline=before_report,
        urgent_reason=f"Spoed: de meldingsdatum ligt bij binnenkomst al binnen {before_report}.",
        after_reason=f"Geen uitkomst van de gemeente binnen {after} na de melding, ook niet na twee herinneringen.",
        before_reason=f"De meldingsdatum ligt nu binnen {before_report} en er is nog geen uitkomst van de gemeente.",
    )
