"""The 3Noord self-reporter flow on the pure engine, with a fake clock and the real Dutch calendar.

Expected moments are worked out by hand. The usual notification is Friday 24 April 2026 at 10:00
local time, just before King's Day (Monday 27 April); Ascension Day is Thursday 14 May. 5 May
2026 is a working day (Liberation Day is a day off only in lustrum years, as ``holidays.NL`` has it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.fakes import FakeClock
from workers.settings import DEFAULT_TIMERS
from workflows.calendar import WorkdayCalendar
from workflows.commands import (
    CancelTimers,
    CloseCase,
    CloseReason,
    Command,
    EmailKind,
    MarkUrgent,
    Recipient,
    ScheduleTimer,
    SendEmail,
)
from workflows.definition import WorkflowDefinition
from workflows.definitions import self_reporter_3noord
from workflows.durations import parse_duration
from workflows.engine import CaseFacts, Decision, InstanceState, handle, start
from workflows.events import Event, OperatorAction, OutcomeReceived, Started, TimerFired, UnknownActionError
from workflows.model import Answer, CaseState, ContactForm, Outcome

AMS = ZoneInfo("Europe/Amsterdam")
CALENDAR = WorkdayCalendar()
TIMERS = {key: parse_duration(text) for key, text in DEFAULT_TIMERS.items()}
DEFINITION = self_reporter_3noord.build(TIMERS)
FAR_REPORT_DATE = date(2026, 6, 15)  # Monday; 5 working days before it is Monday 8 June

COMPLETE = Outcome(contact=Answer.YES, contact_form=ContactForm.LETTER, actions=Answer.YES)
NO_CONTACT = Outcome(contact=Answer.NO)
PARTIAL = Outcome(contact=Answer.YES, contact_form=ContactForm.PHONE)


def local(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=AMS).astimezone(UTC)


NOTIFIED_AT = local(2026, 4, 24, 10)  # Friday before King's Day


@dataclass
class Runner:
    """Plays the runtime: applies commands, keeps timer rows, persists state as JSON, fires timers.

    After every decision it checks the engine's invariants: pending timers match the rows, no
    timer lies in the past or after the window close, and the state survives a JSON round trip.
    """

    definition: WorkflowDefinition
    clock: FakeClock = field(default_factory=lambda: FakeClock(NOTIFIED_AT))
    state: InstanceState | None = None
    timers: dict[str, datetime] = field(default_factory=dict)
    emails: list[SendEmail] = field(default_factory=list)
    closed: list[CloseReason] = field(default_factory=list)
    stages: list[CaseState] = field(default_factory=list)

    def start(self, deadline: date, case_id: int = 42) -> Decision:
        decision = start(self.definition, CaseFacts(case_id, deadline), self.clock.now(), CALENDAR)
        return self._apply(decision)

    def send(self, event: Event) -> Decision:
        assert self.state is not None
        decision = handle(self.definition, self.state, event, self.clock.now(), CALENDAR)
        return self._apply(decision)

    def fire_next(self) -> tuple[str, Decision]:
        name, due = min(self.timers.items(), key=lambda item: item[1])
        self.clock.advance_to(due)
        del self.timers[name]  # the sweep claims the row
        return name, self.send(TimerFired(name))

    def run_to_end(self) -> list[str]:
        fired = []
        while self.timers:
            fired.append(self.fire_next()[0])
        return fired

    def _apply(self, decision: Decision) -> Decision:
        for command in decision.commands:
            self._carry_out(command, decision.state)
        stored = json.loads(json.dumps(decision.state.bookkeeping()))
        self.state = InstanceState.restore(stored, decision.state.status)
        assert self.state == decision.state
        assert set(self.state.pending) == set(self.timers)
        self.stages.append(self.state.stage)
        return decision

    def _carry_out(self, command: Command, state: InstanceState) -> None:
        if isinstance(command, ScheduleTimer):
            assert command.name not in self.timers, f"{command.name} scheduled twice"
            assert self.clock.now() < command.due_at <= state.deadline_at
            assert command.name == "window_close" or command.due_at < state.deadline_at
            self.timers[command.name] = command.due_at
        elif isinstance(command, CancelTimers):
            for name in command.names:
                self.timers.pop(name, None)
        elif isinstance(command, SendEmail):
            self.emails.append(command)
        elif isinstance(command, CloseCase):
            self.closed.append(command.reason)

    @property
    def kinds(self) -> list[EmailKind]:
        return [email.kind for email in self.emails]


def started(report_date: date = FAR_REPORT_DATE, definition: WorkflowDefinition = DEFINITION) -> Runner:
    runner = Runner(definition)
    runner.start(report_date)
    return runner


# --- start -------------------------------------------------------------------------------------


def test_accepted_case_gets_notification_with_letter_and_reminders_escalation_and_window_close() -> None:
    runner = Runner(DEFINITION)
    decision = runner.start(FAR_REPORT_DATE)
    reason = self_reporter_3noord.NOTIFICATION.reason
    assert decision.commands[0] == SendEmail(
        EmailKind.NOTIFICATION, Recipient.MUNICIPALITY, reason, attach_letter=True, step="notification"
    )
    assert decision.commands[1:] == (
        ScheduleTimer("first_reminder", local(2026, 5, 4, 10)),  # 5 working days, King's Day skipped
        ScheduleTimer("second_reminder", local(2026, 5, 11, 10)),  # 10 working days
        ScheduleTimer("escalation", local(2026, 5, 19, 10)),  # 15 working days beat Monday 8 June 00:00
        ScheduleTimer("window_close", local(2026, 6, 15)),  # 00:00 on the report date
    )
    state = decision.state
    assert (state.definition, state.version, state.case_id) == ("self_reporter_3noord", 1, 42)
    assert state.stage is CaseState.NOTIFIED and not state.urgent and state.outcome is None
    assert state.started_at == NOTIFIED_AT and state.deadline_at == local(2026, 6, 15)


def test_escalation_comes_five_working_days_before_the_report_date_when_that_is_earlier() -> None:
    # Report date Friday 22 May: Thu 21, Wed 20, Tue 19, Mon 18, Fri 15 May -> 00:00 on Fri 15 May,
    # which is earlier than 15 working days after the notification (Tue 19 May 10:00).
    decision = Runner(DEFINITION).start(date(2026, 5, 22))
    schedules = [c for c in decision.commands if isinstance(c, ScheduleTimer)]
    assert schedules == [
        ScheduleTimer("first_reminder", local(2026, 5, 4, 10)),
        ScheduleTimer("second_reminder", local(2026, 5, 11, 10)),
        ScheduleTimer("escalation", local(2026, 5, 15)),
        ScheduleTimer("window_close", local(2026, 5, 22)),
    ]


def test_case_with_report_date_already_close_is_urgent_and_escalated_with_the_notification() -> None:
    # Report date Friday 1 May: five working days before is Thursday 23 April, before the intake.
    runner = Runner(DEFINITION)
    decision = runner.start(date(2026, 5, 1))
    escalation = decision.commands[2]
    assert decision.commands[0] == MarkUrgent()
    assert isinstance(decision.commands[1], SendEmail) and decision.commands[1].kind is EmailKind.NOTIFICATION
    assert isinstance(escalation, SendEmail)
    assert (escalation.kind, escalation.recipient, escalation.step) == (
        EmailKind.ESCALATION,
        Recipient.COORDINATOR,
        "escalation",
    )
    assert escalation.reason.startswith("Spoed")
    # The first reminder (Mon 4 May) would fall after the window closes, so only the close is left.
    assert decision.commands[3:] == (ScheduleTimer("window_close", local(2026, 5, 1)),)
    assert decision.state.urgent and decision.state.stage is CaseState.ESCALATED
    assert runner.run_to_end() == ["window_close"]
    assert runner.closed == [CloseReason.WINDOW_CLOSED_WITHOUT_OUTCOME]
    assert runner.kinds == [EmailKind.NOTIFICATION, EmailKind.ESCALATION]


@pytest.mark.parametrize(
    ("report_date", "is_urgent"),
    [
        (date(2026, 5, 4), True),  # 5 working days before: Fri 24 April 00:00, before 10:00 that day
        (date(2026, 5, 5), False),  # 5 working days before: Tue 28 April 00:00, still ahead
    ],
)
def test_urgency_boundary_is_the_escalation_moment_at_intake(report_date: date, is_urgent: bool) -> None:
    decision = Runner(DEFINITION).start(report_date)
    assert decision.state.urgent is is_urgent
    assert (MarkUrgent() in decision.commands) is is_urgent
    if not is_urgent:
        assert [c for c in decision.commands if isinstance(c, ScheduleTimer)] == [
            ScheduleTimer("escalation", local(2026, 4, 28)),
            ScheduleTimer("first_reminder", local(2026, 5, 4, 10)),
            ScheduleTimer("window_close", local(2026, 5, 5)),
        ]  # the second reminder (Mon 11 May) falls after the window and is not scheduled


def test_urgent_case_keeps_reminders_that_fall_before_the_window_closes() -> None:
    timers = {**TIMERS, "first_reminder": parse_duration("P1D"), "second_reminder": parse_duration("P2D")}
    runner = Runner(self_reporter_3noord.build(timers))
    decision = runner.start(date(2026, 5, 1))
    assert decision.state.urgent
    assert runner.timers == {
        "first_reminder": local(2026, 4, 25, 10),
        "second_reminder": local(2026, 4, 26, 10),
        "window_close": local(2026, 5, 1),
    }
    assert runner.run_to_end() == ["first_reminder", "second_reminder", "window_close"]
    assert runner.stages[-2] is CaseState.ESCALATED  # a reminder never moves an escalated case back


@pytest.mark.parametrize("report_date", [date(2026, 4, 24), date(2026, 4, 20)])
def test_report_date_already_begun_closes_at_once_without_sending(report_date: date) -> None:
    decision = Runner(DEFINITION).start(report_date)
    assert decision.commands == (CloseCase(CloseReason.WINDOW_CLOSED_WITHOUT_OUTCOME),)
    assert decision.state.stage is CaseState.CLOSED and decision.state.pending == ()


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        start(DEFINITION, CaseFacts(1, FAR_REPORT_DATE), datetime(2026, 4, 24, 10), CALENDAR)


# --- no outcome --------------------------------------------------------------------------------


def test_without_outcome_reminders_then_escalation_then_the_window_closes() -> None:
    runner = started()
    assert runner.run_to_end() == ["first_reminder", "second_reminder", "escalation", "window_close"]
    assert runner.kinds == [
        EmailKind.NOTIFICATION,
        EmailKind.REMINDER,
        EmailKind.SECOND_REMINDER,
        EmailKind.ESCALATION,
    ]
    assert [e.recipient for e in runner.emails][-1] is Recipient.COORDINATOR
    assert runner.stages == [
        CaseState.NOTIFIED,
        CaseState.REMINDED,
        CaseState.REMINDED,
        CaseState.ESCALATED,
        CaseState.CLOSED,
    ]
    assert runner.closed == [CloseReason.WINDOW_CLOSED_WITHOUT_OUTCOME]
    assert runner.state is not None and runner.state.closed_at == local(2026, 6, 15)


# --- outcomes ----------------------------------------------------------------------------------


def test_complete_outcome_before_the_first_reminder_cancels_everything_and_closes() -> None:
    runner = started()
    runner.clock.advance(timedelta(days=2))
    decision = runner.send(OutcomeReceived(COMPLETE))
    assert decision.commands == (
        CancelTimers(("first_reminder", "second_reminder", "escalation", "window_close")),
        CloseCase(CloseReason.OUTCOME_COMPLETE),
    )
    assert decision.state.outcome == COMPLETE and decision.state.stage is CaseState.CLOSED
    assert runner.timers == {}


def test_no_contact_between_the_reminders_is_a_complete_outcome() -> None:
    runner = started()
    runner.fire_next()
    runner.clock.advance(timedelta(hours=3))
    decision = runner.send(OutcomeReceived(NO_CONTACT))
    assert decision.commands == (
        CancelTimers(("second_reminder", "escalation", "window_close")),
        CloseCase(CloseReason.OUTCOME_COMPLETE),
    )
    assert runner.kinds == [EmailKind.NOTIFICATION, EmailKind.REMINDER]


def test_outcome_after_the_escalation_closes_the_case() -> None:
    runner = started()
    for _ in range(3):
        runner.fire_next()
    runner.clock.advance(timedelta(days=1))
    decision = runner.send(OutcomeReceived(COMPLETE))
    assert decision.commands == (CancelTimers(("window_close",)), CloseCase(CloseReason.OUTCOME_COMPLETE))


def test_partial_outcome_trades_reminders_and_escalation_for_one_follow_up() -> None:
    runner = started()
    runner.fire_next()  # first reminder, Monday 4 May 10:00
    runner.clock.advance(timedelta(hours=5))
    decision = runner.send(OutcomeReceived(PARTIAL))
    assert decision.commands == (
        CancelTimers(("second_reminder", "escalation")),
        ScheduleTimer("follow_up", local(2026, 5, 11, 15)),  # Tue 5 .. Fri 8 (4), Mon 11 (5)
    )
    assert decision.state.stage is CaseState.OUTCOME_PARTIAL
    assert set(runner.timers) == {"follow_up", "window_close"}


def test_partial_then_complete_closes_with_the_merged_outcome() -> None:
    runner = started()
    runner.send(OutcomeReceived(PARTIAL))
    runner.clock.advance(timedelta(days=1))
    decision = runner.send(OutcomeReceived(Outcome(actions=Answer.YES, life_domains=("wonen",))))
    assert isinstance(decision.commands[0], CancelTimers)
    assert set(decision.commands[0].names) == {"follow_up", "window_close"}
    assert decision.commands[1:] == (CloseCase(CloseReason.OUTCOME_COMPLETE),)
    assert decision.state.outcome == Outcome(
        contact=Answer.YES, contact_form=ContactForm.PHONE, actions=Answer.YES, life_domains=("wonen",)
    )


def test_partial_then_nothing_sends_the_follow_up_and_closes_as_partial() -> None:
    runner = started()
    runner.send(OutcomeReceived(PARTIAL))
    assert runner.run_to_end() == ["follow_up", "window_close"]
    assert runner.kinds == [EmailKind.NOTIFICATION, EmailKind.FOLLOW_UP]
    assert runner.emails[-1].recipient is Recipient.MUNICIPALITY
    assert runner.closed == [CloseReason.WINDOW_CLOSED_PARTIAL]
    assert runner.stages[-2] is CaseState.OUTCOME_PARTIAL


def test_a_second_partial_outcome_does_not_schedule_another_follow_up() -> None:
    runner = started()
    runner.send(OutcomeReceived(PARTIAL))
    assert runner.send(OutcomeReceived(PARTIAL)).commands == ()
    assert runner.fire_next()[0] == "follow_up"
    assert runner.send(OutcomeReceived(Outcome(contact=Answer.YES, note="nog bezig"))).commands == ()
    assert list(runner.timers) == ["window_close"]


def test_no_follow_up_is_scheduled_after_the_window_closes() -> None:
    runner = started(date(2026, 5, 22))
    fired = [runner.fire_next()[0] for _ in range(3)]  # reminders and escalation (Fri 15 May 00:00)
    assert fired == ["first_reminder", "second_reminder", "escalation"]
    runner.clock.advance(timedelta(days=4))  # Tuesday 19 May: 5 working days later is after Fri 22 May
    assert runner.send(OutcomeReceived(PARTIAL)).commands == ()
    assert runner.run_to_end() == ["window_close"]
    assert runner.closed == [CloseReason.WINDOW_CLOSED_PARTIAL]


def test_outcome_without_an_answer_on_contact_is_recorded_and_the_flow_goes_on() -> None:
    runner = started()
    decision = runner.send(OutcomeReceived(Outcome(known_to_care=Answer.YES)))
    assert decision.commands == ()
    assert decision.state.outcome == Outcome(known_to_care=Answer.YES)
    assert runner.run_to_end() == ["first_reminder", "second_reminder", "escalation", "window_close"]
    assert runner.closed == [CloseReason.WINDOW_CLOSED_WITHOUT_OUTCOME]


# --- idempotency, late and closed --------------------------------------------------------------


def test_duplicate_timer_fired_is_a_no_op() -> None:
    runner = started()
    runner.fire_next()
    before = runner.state
    decision = runner.send(TimerFired("first_reminder"))
    assert decision.commands == () and decision.state == before
    assert runner.send(TimerFired("no_such_timer")).commands == ()
    assert runner.send(Started(at=NOTIFIED_AT)).commands == ()


def test_events_after_close_send_nothing_but_a_late_outcome_is_recorded() -> None:
    runner = started()
    runner.run_to_end()
    assert runner.send(TimerFired("window_close")).commands == ()
    assert runner.send(OperatorAction("resend_notification")).commands == ()
    assert runner.send(OperatorAction("close")).commands == ()
    decision = runner.send(OutcomeReceived(COMPLETE))
    assert decision.commands == ()
    assert decision.state.outcome == COMPLETE
    assert decision.state.closed_reason is CloseReason.WINDOW_CLOSED_WITHOUT_OUTCOME


def test_a_timer_delivered_after_the_report_date_closes_the_window_instead() -> None:
    # Given the runtime was down from before the first reminder until after the report date
    runner = started()
    runner.clock.advance_to(local(2026, 6, 16, 9))
    # When the overdue first reminder is delivered
    decision = runner.send(TimerFired("first_reminder"))
    # Then nothing is sent and the case closes as the window prescribes
    assert decision.commands == (
        CancelTimers(("first_reminder", "second_reminder", "escalation", "window_close")),
        CloseCase(CloseReason.WINDOW_CLOSED_WITHOUT_OUTCOME),
    )


def test_an_outcome_read_after_the_report_date_closes_as_window_closed_with_outcome() -> None:
    runner = started()
    runner.clock.advance_to(local(2026, 6, 15, 8))
    decision = runner.send(OutcomeReceived(COMPLETE))
    assert decision.commands[-1] == CloseCase(CloseReason.WINDOW_CLOSED_WITH_OUTCOME)
    assert decision.state.outcome == COMPLETE


# --- operator actions --------------------------------------------------------------------------


def test_operator_close_cancels_everything() -> None:
    runner = started()
    decision = runner.send(OperatorAction("close", note="verhuisd naar buiten de regio"))
    assert decision.commands == (
        CancelTimers(("first_reminder", "second_reminder", "escalation", "window_close")),
        CloseCase(CloseReason.OPERATOR),
    )
    assert decision.state.closed_reason is CloseReason.OPERATOR


def test_operator_resends_the_notification_without_touching_the_timers() -> None:
    runner = started()
    pending = runner.timers.copy()
    decision = runner.send(OperatorAction("resend_notification"))
    (email,) = decision.commands
    assert isinstance(email, SendEmail)
    assert (email.kind, email.attach_letter, email.step) == (EmailKind.NOTIFICATION, True, "resend_notification")
    assert email.reason.startswith("Opnieuw verzonden")
    assert runner.timers == pending and decision.state.stage is CaseState.NOTIFIED


def test_operator_escalates_now_and_the_scheduled_escalation_is_cancelled() -> None:
    runner = started()
    decision = runner.send(OperatorAction("escalate", note="gemeente onbereikbaar"))
    assert decision.commands[0] == CancelTimers(("escalation",))
    email = decision.commands[1]
    assert isinstance(email, SendEmail) and email.recipient is Recipient.COORDINATOR
    assert "gemeente onbereikbaar" in email.reason
    assert decision.state.stage is CaseState.ESCALATED
    assert runner.run_to_end() == ["first_reminder", "second_reminder", "window_close"]
    assert runner.stages[-2] is CaseState.ESCALATED


def test_unknown_operator_action_is_refused_even_on_a_closed_case() -> None:
    runner = started()
    with pytest.raises(UnknownActionError, match="reopen"):
        runner.send(OperatorAction("reopen"))
    runner.send(OperatorAction("close"))
    with pytest.raises(UnknownActionError):
        runner.send(OperatorAction("reopen"))


# --- seconds-scale durations -------------------------------------------------------------------

FAST = {
    **TIMERS,
    "first_reminder": parse_duration("PT20S"),
    "second_reminder": parse_duration("PT40S"),
    "escalate_after": parse_duration("PT60S"),
    "partial_follow_up": parse_duration("PT20S"),
}


def test_seconds_scale_durations_run_the_same_flow_in_real_time() -> None:
    runner = Runner(self_reporter_3noord.build(FAST))
    runner.start(FAR_REPORT_DATE)
    assert runner.timers == {
        "first_reminder": NOTIFIED_AT + timedelta(seconds=20),
        "second_reminder": NOTIFIED_AT + timedelta(seconds=40),
        "escalation": NOTIFIED_AT + timedelta(seconds=60),
        "window_close": local(2026, 6, 15),
    }
    assert [runner.fire_next()[0] for _ in range(3)] == ["first_reminder", "second_reminder", "escalation"]
    assert runner.clock.now() == NOTIFIED_AT + timedelta(seconds=60)
    runner.clock.advance(timedelta(seconds=10))
    runner.send(OutcomeReceived(PARTIAL))
    assert runner.timers["follow_up"] == NOTIFIED_AT + timedelta(seconds=90)
    assert runner.run_to_end() == ["follow_up", "window_close"]
    assert runner.closed == [CloseReason.WINDOW_CLOSED_PARTIAL]


def test_escalation_reason_names_the_moment_that_came_first() -> None:
    from datetime import UTC, date, datetime

    from workflows.calendar import WorkdayCalendar
    from workflows.definitions import self_reporter_3noord
    from workflows.durations import Duration
    from workflows.engine import CaseFacts, handle, start
    from workflows.events import TimerFired

    timers = {"first_reminder": Duration.of_workdays(5), "second_reminder": Duration.of_workdays(10),
              "escalate_after": Duration.of_workdays(15), "escalate_before_report": Duration.of_workdays(5),
              "partial_follow_up": Duration.of_workdays(5)}  # fmt: skip
    definition = self_reporter_3noord.build(timers)
    calendar = WorkdayCalendar()
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Monday
    # Given a report date far away, the 15 working days after the notification come first
    far = start(definition, CaseFacts(1, date(2026, 6, 1)), now, calendar).state
    # And given a report date 8 working days away, "5 working days before" comes first
    near = start(definition, CaseFacts(2, date(2026, 3, 12)), now, calendar).state

    reasons = [handle(definition, s, TimerFired("escalation"), now, calendar).commands[0].reason for s in (far, near)]

    assert "binnen 15 werkdagen na de melding" in reasons[0]
    assert "meldingsdatum ligt nu binnen 5 werkdagen" in reasons[1]
