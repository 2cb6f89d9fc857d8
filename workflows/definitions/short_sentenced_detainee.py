"""The widening of the 2019 plan: all regionally short-sentenced detainees, prepared for before release.

The region widens the target group from self-reporters to everyone from the region with a short
sentence (intake records with ``group = detainee``, ``TargetGroup.DETAINEE``). Those people are
already in custody when they come in, so the window
that matters is not the report date but the **release date**: the municipality is told at
intake (no letter — the person is reached inside the institution), gets one reminder after
``first_reminder``, and the coordinator gets the case ``escalate_before_release`` working days
before release (default 10). A partial outcome gets one follow-up after ``partial_follow_up``;
the window closes at 00:00 on the release date.

A new group is a new definition on the same engine: nothing in ``workflows.engine`` knows about
it; ``workflows.definitions.trigger_of`` ties the group to this definition's trigger.
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

NAME = "short_sentenced_detainee"
VERSION = 1
TRIGGER = "detainee_in_custody"
DEADLINE_FIELD = "release_date"
# A key of the [timers] config table (workers.settings has the same default); a caller that builds the
# definition from fewer timers (tests, benchmarks) gets this one.
ESCALATE_BEFORE_RELEASE_KEY = "escalate_before_release"
DEFAULT_ESCALATE_BEFORE_RELEASE = Duration.of_workdays(10)


NOTIFICATION = Send(
    EmailKind.NOTIFICATION,
    Recipient.MUNICIPALITY,
    "Gedetineerde uit uw gemeente met een korte straf: graag voorbereiden op de vrijlating.",
)
FOLLOW_UP = Send(
    EmailKind.FOLLOW_UP, Recipient.MUNICIPALITY, "Er was contact; zijn er acties uitgezet vóór vrijlating?"
)


def build(timers: Mapping[str, Duration]) -> WorkflowDefinition:
    """The short-sentenced detainee definition with the configured durations, validated.

    Raises:
        DefinitionError: a required timer is missing or a duration is invalid.
    """
    label = f"{NAME} v{VERSION}"
    reminder_after = require_timer(timers, "first_reminder", definition=label)
    before_release = timers.get(ESCALATE_BEFORE_RELEASE_KEY, DEFAULT_ESCALATE_BEFORE_RELEASE)
    reminder = Send(EmailKind.REMINDER, Recipient.MUNICIPALITY, f"Nog geen uitkomst, {reminder_after} na de melding.")
    escalation = Escalation(
        Send(EmailKind.ESCALATION, Recipient.COORDINATOR, f"Geen uitkomst en de vrijlating is over {before_release}."),
        before_deadline=before_release,  # no "after": only the release date matters for this group
        urgent_reason=f"Spoed: de vrijlating ligt bij binnenkomst al binnen {before_release}.",
    )
    wait = WaitForOutcome(
        reminders=(Reminder("first_reminder", reminder_after, reminder),),
        escalation=escalation,
        follow_up=FollowUp(require_timer(timers, "partial_follow_up", definition=label), FOLLOW_UP),
    )
    return WorkflowDefinition(
        name=NAME,
        version=VERSION,
        trigger=Trigger(TRIGGER),
        deadline_field=DEADLINE_FIELD,
        steps=(NOTIFICATION, wait, CloseAtDeadline()),
        description="Kortgestraften in detentie: voorbereiding op de vrijlating via de gemeente.",
    ).validate()
