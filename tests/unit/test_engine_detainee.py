"""The short-sentenced detainee definition on the same engine: a new group is data, not code.

Intake on Friday 24 April 2026 at 10:00 local time (King's Day is Monday 27 April). Release on
Monday 15 June 2026: ten working days before is Monday 1 June (Fri 12 .. Mon 8 June is five,
Fri 5 .. Mon 1 June another five).
"""

from __future__ import annotations

import ast
import inspect
from datetime import date, timedelta

import pytest

from tests.unit.test_engine_self_reporter import (
    COMPLETE,
    PARTIAL,
    TIMERS,
    Runner,
    local,
)
from workflows import engine
from workflows.commands import CloseReason, EmailKind, MarkUrgent, Recipient, ScheduleTimer, SendEmail
from workflows.definition import DefinitionError
from workflows.definitions import self_reporter_3noord, short_sentenced_detainee
from workflows.durations import Duration
from workflows.events import OutcomeReceived
from workflows.model import CaseState
from workflows.registry import default_registry

DETAINEE = short_sentenced_detainee.build(TIMERS)
RELEASE = date(2026, 6, 15)


def test_the_detainee_definition_is_started_by_intake_of_someone_in_custody() -> None:
    registry = default_registry(TIMERS)
    assert registry.for_trigger("detainee_in_custody") == (DETAINEE,)
    assert DETAINEE.trigger.event == short_sentenced_detainee.TRIGGER == "detainee_in_custody"
    assert DETAINEE.deadline_field == "release_date"
    assert (DETAINEE.name, DETAINEE.version) == (short_sentenced_detainee.NAME, short_sentenced_detainee.VERSION)


def test_start_notifies_the_municipality_and_plans_a_reminder_and_escalation_before_release() -> None:
    decision = Runner(DETAINEE).start(RELEASE)
    notification = decision.commands[0]
    assert isinstance(notification, SendEmail)
    assert (notification.kind, notification.recipient, notification.attach_letter) == (
        EmailKind.NOTIFICATION,
        Recipient.MUNICIPALITY,
        False,
    )
    assert decision.commands[1:] == (
        ScheduleTimer("first_reminder", local(2026, 5, 4, 10)),
        ScheduleTimer("escalation", local(2026, 6, 1)),  # 10 working days before release, no "after"
        ScheduleTimer("window_close", local(2026, 6, 15)),  # 00:00 on the release date
    )
    assert decision.state.definition == "short_sentenced_detainee"


def test_without_outcome_the_detainee_case_is_reminded_escalated_and_closed_at_release() -> None:
    runner = Runner(DETAINEE)
    runner.start(RELEASE)
    assert runner.run_to_end() == ["first_reminder", "escalation", "window_close"]
    assert runner.kinds == [EmailKind.NOTIFICATION, EmailKind.REMINDER, EmailKind.ESCALATION]
    assert runner.emails[-1].recipient is Recipient.COORDINATOR
    assert runner.stages == [CaseState.NOTIFIED, CaseState.REMINDED, CaseState.ESCALATED, CaseState.CLOSED]
    assert runner.closed == [CloseReason.WINDOW_CLOSED_WITHOUT_OUTCOME]


def test_release_already_close_at_intake_is_urgent() -> None:
    # Release Friday 8 May: ten working days before is Thursday 23 April, before the intake.
    runner = Runner(DETAINEE)
    decision = runner.start(date(2026, 5, 8))
    assert decision.commands[0] == MarkUrgent()
    assert [c.kind for c in decision.commands if isinstance(c, SendEmail)] == [
        EmailKind.NOTIFICATION,
        EmailKind.ESCALATION,
    ]
    assert runner.timers == {"first_reminder": local(2026, 5, 4, 10), "window_close": local(2026, 5, 8)}
    assert decision.state.urgent and decision.state.stage is CaseState.ESCALATED


def test_complete_outcome_closes_the_detainee_case() -> None:
    runner = Runner(DETAINEE)
    runner.start(RELEASE)
    runner.fire_next()
    runner.clock.advance(timedelta(days=1))
    runner.send(OutcomeReceived(COMPLETE))
    assert runner.closed == [CloseReason.OUTCOME_COMPLETE] and runner.timers == {}


def test_partial_outcome_gets_one_follow_up_and_closes_as_partial_at_release() -> None:
    runner = Runner(DETAINEE)
    runner.start(RELEASE)
    runner.send(OutcomeReceived(PARTIAL))
    assert runner.timers == {"follow_up": local(2026, 5, 4, 10), "window_close": local(2026, 6, 15)}
    assert runner.run_to_end() == ["follow_up", "window_close"]
    assert runner.kinds == [EmailKind.NOTIFICATION, EmailKind.FOLLOW_UP]
    assert runner.closed == [CloseReason.WINDOW_CLOSED_PARTIAL]


def test_escalation_before_release_can_be_configured() -> None:
    definition = short_sentenced_detainee.build({**TIMERS, "escalate_before_release": Duration.of_workdays(3)})
    runner = Runner(definition)
    runner.start(RELEASE)
    assert runner.timers["escalation"] == local(2026, 6, 10)  # Fri 12, Thu 11, Wed 10 June


def test_missing_timer_is_named() -> None:
    timers = {k: v for k, v in TIMERS.items() if k != "first_reminder"}
    with pytest.raises(DefinitionError, match="first_reminder"):
        short_sentenced_detainee.build(timers)


def test_both_definitions_run_side_by_side_on_the_same_engine() -> None:
    self_reporter, detainee = Runner(self_reporter_3noord.build(TIMERS)), Runner(DETAINEE)
    self_reporter.start(RELEASE, case_id=1)
    detainee.start(RELEASE, case_id=2)
    assert self_reporter.run_to_end() == ["first_reminder", "second_reminder", "escalation", "window_close"]
    assert detainee.run_to_end() == ["first_reminder", "escalation", "window_close"]


def code_words(module: object) -> set[str]:
    """Names and string literals in a module's code, docstrings left out."""
    tree = ast.parse(inspect.getsource(module))  # type: ignore[arg-type]
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    words: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            words.add(node.id.lower())
        elif isinstance(node, ast.Attribute):
            words.add(node.attr.lower())
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            words.add(node.value.lower())
    return words


def test_the_engine_code_knows_no_definition_by_name() -> None:
    words = code_words(engine)
    assert "window_close_timer" in words  # the check does see the code
    for name in ("detainee", "3noord", "self_reporter", "report_date", "release"):
        assert not [word for word in words if name in word]
