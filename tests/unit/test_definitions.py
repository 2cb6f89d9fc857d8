"""Definitions are validated when built or registered; the registry keeps every version apart.

A running instance keeps the version it started with, also across a JSON round trip of its state.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.test_engine_self_reporter import CALENDAR, FAR_REPORT_DATE, NOTIFIED_AT, Runner, local, started
from workers.settings import DEFAULT_TIMERS
from workflows.calendar import WorkdayCalendar
from workflows.commands import CloseReason, EmailKind, Recipient
from workflows.definition import (
    CloseAtDeadline,
    DefinitionError,
    Escalation,
    FollowUp,
    Reminder,
    Send,
    WaitForOutcome,
    WorkflowDefinition,
    nominal_length,
)
from workflows.definitions import build_all, self_reporter_3noord, short_sentenced_detainee
from workflows.durations import Duration, parse_duration
from workflows.engine import InstanceState, handle
from workflows.events import TimerFired
from workflows.model import Answer, CaseState, ContactForm, Outcome
from workflows.registry import DefinitionRegistry, UnknownDefinitionError, default_registry

TIMERS = {key: parse_duration(text) for key, text in DEFAULT_TIMERS.items()}
DEFINITION = self_reporter_3noord.build(TIMERS)
AMS = ZoneInfo("Europe/Amsterdam")


def timers(**changes: str) -> dict[str, Duration]:
    return {**TIMERS, **{key: parse_duration(text) for key, text in changes.items()}}


def with_wait(definition: WorkflowDefinition, **changes: object) -> WorkflowDefinition:
    notification, wait, close = definition.steps
    assert isinstance(wait, WaitForOutcome)
    return replace(definition, steps=(notification, replace(wait, **changes), close))  # type: ignore[arg-type]


# --- the shipped definitions -------------------------------------------------------------------


def test_self_reporter_definition_is_built_from_the_configured_timers() -> None:
    assert (DEFINITION.name, DEFINITION.version) == (self_reporter_3noord.NAME, self_reporter_3noord.VERSION)
    assert DEFINITION.trigger.event == "case_accepted" and DEFINITION.deadline_field == "report_date"
    (notification,) = DEFINITION.initial_sends
    assert notification.kind is EmailKind.NOTIFICATION and notification.attach_letter
    wait = DEFINITION.wait
    assert [(r.name, r.after) for r in wait.reminders] == [
        ("first_reminder", Duration.of_workdays(5)),
        ("second_reminder", Duration.of_workdays(10)),
    ]
    assert wait.escalation is not None and wait.escalation.send.recipient is Recipient.COORDINATOR
    assert (wait.escalation.after, wait.escalation.before_deadline) == (
        Duration.of_workdays(15),
        Duration.of_workdays(5),
    )
    assert wait.follow_up is not None and wait.follow_up.after == Duration.of_workdays(5)
    assert DEFINITION.validate() is DEFINITION


def test_reasons_name_the_configured_durations() -> None:
    wait = self_reporter_3noord.build(timers(first_reminder="PT20S")).wait
    assert "20 seconden" in wait.reminders[0].send.reason
    assert "15 werkdagen" in wait.escalation.send.reason  # type: ignore[union-attr]
    assert "15 werkdagen" in (wait.escalation.after_reason or "")  # type: ignore[union-attr]
    assert "5 werkdagen" in (wait.escalation.before_reason or "")  # type: ignore[union-attr]


def test_every_shipped_definition_builds_from_the_defaults() -> None:
    assert [d.name for d in build_all(TIMERS)] == [self_reporter_3noord.NAME, short_sentenced_detainee.NAME]


@pytest.mark.parametrize("key", self_reporter_3noord.TIMER_KEYS)
def test_a_missing_timer_is_named(key: str) -> None:
    with pytest.raises(DefinitionError, match=key):
        self_reporter_3noord.build({k: v for k, v in TIMERS.items() if k != key})


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"first_reminder": "10 werkdagen"}, "second_reminder"),  # equal to the second reminder
        ({"first_reminder": "12 werkdagen"}, "second_reminder"),
        ({"second_reminder": "15 werkdagen"}, "escalatie"),  # a reminder later than the escalation
        ({"escalate_after": "P7D"}, "escalatie"),
        ({"first_reminder": "0 werkdagen"}, "groter dan nul"),
        ({"escalate_before_report": "PT0S"}, "before_deadline"),
        ({"partial_follow_up": "0 werkdagen"}, "follow-up"),
    ],
)
def test_durations_out_of_order_are_refused(changes: dict[str, str], problem: str) -> None:
    with pytest.raises(DefinitionError, match=problem) as error:
        self_reporter_3noord.build(timers(**changes))
    assert str(error.value).startswith("self_reporter_3noord v1: ")


def test_seconds_and_working_days_may_be_mixed() -> None:
    definition = self_reporter_3noord.build(timers(first_reminder="PT20S", second_reminder="PT40S"))
    assert definition.wait.reminders[0].after == Duration(delta=timedelta(seconds=20))


def test_nominal_length_counts_a_working_day_as_seven_fifths_of_a_day() -> None:
    assert nominal_length(Duration.of_workdays(5)) == timedelta(days=7)
    assert nominal_length(parse_duration("PT20S")) == timedelta(seconds=20)


# --- structural checks -------------------------------------------------------------------------

REMINDER_SEND = Send(EmailKind.REMINDER, Recipient.MUNICIPALITY, "Herinnering.")
NOTIFICATION = DEFINITION.initial_sends[0]


@pytest.mark.parametrize(
    ("broken", "problem"),
    [
        (replace(DEFINITION, version=0), "versie"),
        (replace(DEFINITION, name="Zelfmelders 3Noord"), "naam"),
        (replace(DEFINITION, deadline_field=""), "deadline_field"),
        (replace(DEFINITION, steps=DEFINITION.steps[:2]), "volgorde"),
        (replace(DEFINITION, steps=(NOTIFICATION, CloseAtDeadline(), DEFINITION.wait)), "volgorde"),
        (replace(DEFINITION, steps=(DEFINITION.wait, DEFINITION.wait, CloseAtDeadline())), "alleen Send"),
        (
            replace(DEFINITION, steps=(replace(NOTIFICATION, kind=EmailKind.REMINDER), *DEFINITION.steps[1:])),
            "eerste stap",
        ),
        (replace(DEFINITION, steps=(replace(NOTIFICATION, reason=" "), *DEFINITION.steps[1:])), "leeg"),
    ],
)
def test_malformed_definitions_are_refused(broken: WorkflowDefinition, problem: str) -> None:
    with pytest.raises(DefinitionError, match=problem):
        broken.validate()


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"reminders": (Reminder("escalation", Duration.of_workdays(1), REMINDER_SEND),)}, "gereserveerd"),
        ({"reminders": (Reminder("Eerste", Duration.of_workdays(1), REMINDER_SEND),)}, "identifier"),
        (
            {
                "reminders": (
                    Reminder("nudge", Duration.of_workdays(1), REMINDER_SEND),
                    Reminder("nudge", Duration.of_workdays(2), REMINDER_SEND),
                )
            },
            "twee keer",
        ),
        (
            {"reminders": (Reminder("r", Duration.of_workdays(1), replace(REMINDER_SEND, kind=EmailKind.ESCALATION)),)},
            "soort",
        ),
        (
            {
                "reminders": (
                    Reminder("r", Duration.of_workdays(1), replace(REMINDER_SEND, recipient=Recipient.COORDINATOR)),
                )
            },
            "coordinator",
        ),
        ({"escalation": Escalation(Send(EmailKind.ESCALATION, Recipient.COORDINATOR, "Escalatie."))}, "after"),
        (
            {
                "escalation": Escalation(
                    Send(EmailKind.ESCALATION, Recipient.MUNICIPALITY, "E."), after=Duration.of_workdays(20)
                )
            },
            "municipality",
        ),
        ({"follow_up": FollowUp(Duration.of_workdays(5), REMINDER_SEND)}, "follow-up"),
    ],
)
def test_malformed_waits_are_refused(changes: dict[str, object], problem: str) -> None:
    with pytest.raises(DefinitionError, match=problem):
        with_wait(DEFINITION, **changes).validate()


def test_a_wait_without_reminders_or_escalation_is_allowed() -> None:
    assert with_wait(DEFINITION, reminders=(), escalation=None, follow_up=None).validate()


# --- escalation moment -------------------------------------------------------------------------


def test_escalation_due_is_the_earliest_of_its_two_moments() -> None:
    calendar = WorkdayCalendar()
    escalation = DEFINITION.wait.escalation
    assert escalation is not None
    start = datetime(2026, 4, 24, 10, tzinfo=AMS).astimezone(UTC)
    far = calendar.start_of_day(date(2026, 6, 15))
    near = calendar.start_of_day(date(2026, 5, 22))
    assert escalation.due(start, far, calendar) == datetime(2026, 5, 19, 10, tzinfo=AMS)  # 15 working days after
    assert escalation.due(start, near, calendar) == datetime(2026, 5, 15, tzinfo=AMS)  # 5 working days before


# --- registry ----------------------------------------------------------------------------------


def version_2() -> WorkflowDefinition:
    third = Reminder("third_reminder", Duration.of_workdays(12), REMINDER_SEND)
    return with_wait(replace(DEFINITION, version=2), reminders=(*DEFINITION.wait.reminders, third))


def test_registry_serves_latest_to_new_instances_and_exact_versions_to_running_ones() -> None:
    registry = DefinitionRegistry([DEFINITION])
    registry.register(version_2())
    assert registry.latest("self_reporter_3noord").version == 2
    assert registry.get("self_reporter_3noord", 1) is DEFINITION
    assert registry.versions("self_reporter_3noord") == (1, 2)
    assert registry.for_trigger("case_accepted") == (registry.get("self_reporter_3noord", 2),)
    assert registry.for_trigger("nothing") == ()


def test_registry_refuses_unknown_names_and_versions() -> None:
    registry = DefinitionRegistry([DEFINITION])
    with pytest.raises(UnknownDefinitionError, match="v7"):
        registry.get("self_reporter_3noord", 7)
    with pytest.raises(UnknownDefinitionError, match="onbekend_proces"):
        registry.latest("onbekend_proces")


def test_registry_refuses_a_different_definition_under_an_existing_version() -> None:
    registry = DefinitionRegistry([DEFINITION])
    registry.register(DEFINITION)  # the same one again is harmless
    with pytest.raises(DefinitionError, match="verhoog de versie"):
        registry.register(replace(version_2(), version=1))


def test_registry_validates_what_it_registers() -> None:
    with pytest.raises(DefinitionError):
        DefinitionRegistry([replace(DEFINITION, version=0)])


def test_default_registry_holds_both_shipped_definitions() -> None:
    registry = default_registry(TIMERS)
    assert registry.names() == ("self_reporter_3noord", "short_sentenced_detainee")
    assert registry.for_trigger("case_accepted") == (DEFINITION,)


# --- versions while instances run, and persisted state ---------------------------------------


def test_running_instances_keep_their_version_when_a_new_one_is_registered() -> None:
    registry = DefinitionRegistry([DEFINITION])
    old = Runner(registry.latest("self_reporter_3noord"))
    old.start(FAR_REPORT_DATE, case_id=1)
    # When version 2 (with a third reminder) is registered while the case runs
    registry.register(version_2())
    assert old.state is not None
    running = registry.get(old.state.definition, old.state.version)
    assert running.version == 1
    assert old.run_to_end() == ["first_reminder", "second_reminder", "escalation", "window_close"]
    # And new cases start on version 2, whose third reminder is due 12 working days on (Wed 13 May)
    new = Runner(registry.latest("self_reporter_3noord"))
    new.start(FAR_REPORT_DATE, case_id=2)
    assert new.state is not None and new.state.version == 2
    assert new.timers["third_reminder"] == local(2026, 5, 13, 10)
    assert new.run_to_end() == ["first_reminder", "second_reminder", "third_reminder", "escalation", "window_close"]


def test_handling_an_instance_with_another_version_is_refused() -> None:
    runner = started()
    assert runner.state is not None
    with pytest.raises(DefinitionError, match="v1"):
        handle(version_2(), runner.state, TimerFired("first_reminder"), NOTIFIED_AT, CALENDAR)


UTC_MOMENTS = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC))
OUTCOMES = st.builds(
    Outcome,
    contact=st.sampled_from(Answer),
    contact_form=st.none() | st.sampled_from(ContactForm),
    actions=st.sampled_from(Answer),
    life_domains=st.lists(st.text(max_size=10), max_size=3).map(tuple),
    known_to_care=st.sampled_from(Answer),
    note=st.none() | st.text(max_size=40),
)
NAMES = st.lists(st.sampled_from(["first_reminder", "escalation", "follow_up", "window_close"]), unique=True).map(tuple)
STATES = st.builds(
    InstanceState,
    definition=st.sampled_from(["self_reporter_3noord", "short_sentenced_detainee"]),
    version=st.integers(min_value=1, max_value=99),
    case_id=st.integers(min_value=1, max_value=10**9),
    stage=st.sampled_from(CaseState),
    started_at=UTC_MOMENTS,
    deadline_at=UTC_MOMENTS,
    urgent=st.booleans(),
    outcome=st.none() | OUTCOMES,
    pending=NAMES,
    scheduled=NAMES,
    closed_reason=st.none() | st.sampled_from(CloseReason),
    closed_at=st.none() | UTC_MOMENTS,
)


@given(STATES)
def test_state_survives_being_stored_in_two_places(state: InstanceState) -> None:
    # The runtime keeps the engine's bookkeeping as JSON and the case's own facts on the case row.
    assert InstanceState.restore(json.loads(json.dumps(state.bookkeeping())), state.status) == state


def test_state_from_an_unknown_format_is_refused() -> None:
    state = started().state
    assert state is not None
    data = state.bookkeeping()
    with pytest.raises(ValueError, match="formaat"):
        InstanceState.restore({**data, "format": 99}, state.status)
