"""Operator actions on the pure engine: every action in every stage, then each action's own rules.

The 3Noord flow as in ``test_engine_self_reporter`` (notified Friday 24 April 2026 10:00, report
date Monday 15 June): first reminder Monday 4 May, second Monday 11 May, escalation Tuesday 19 May
(15 working days; King's Day and Ascension skipped), window close 00:00 on 15 June. The Runner
there plays the runtime and checks the engine's invariants after every decision; here it also
checks that the engine knows the moment of every timer it keeps (``due``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from tests.unit.test_engine_self_reporter import (
    DEFINITION,
    NOTIFIED_AT,
    PARTIAL,
    Runner,
    local,
)
from workflows.commands import CancelEmails, CancelTimers, CloseCase, CloseReason, MarkUrgent, Recipient, SendEmail
from workflows.engine import Decision
from workflows.events import OperatorAction, OutcomeReceived, RefusedActionError
from workflows.model import CaseState

PAUSE_UNTIL = date(2026, 5, 25)  # a Monday (Whit Monday is 25 May 2026: a pause may end on a holiday)
FIRST, SECOND, ESCALATION, CLOSE = "first_reminder", "second_reminder", "escalation", "window_close"


class CheckedRunner(Runner):
    """The runtime of the other engine tests, also checking that every kept timer has its moment."""

    def _apply(self, decision: Decision) -> Decision:
        applied = super()._apply(decision)
        state = applied.state
        if not state.is_closed:
            assert set(state.due) == set(state.pending) | set(state.held)
            assert all(state.due[name] == due for name, due in self.timers.items())
        return applied


def in_stage(stage: str) -> CheckedRunner:
    """A runner whose case is in ``stage``, one hour after it got there."""
    runner = CheckedRunner(DEFINITION)
    runner.start(date(2026, 4, 29) if stage == "urgent" else date(2026, 6, 15))
    if stage == "reminded":
        runner.fire_next()
    elif stage == "escalated":
        assert [runner.fire_next()[0] for _ in range(3)] == [FIRST, SECOND, ESCALATION]
    elif stage == "outcome_partial":
        runner.send(OutcomeReceived(PARTIAL))
    elif stage == "paused":
        runner.send(OperatorAction("pause", until=PAUSE_UNTIL, note="in gesprek met de zelfmelder"))
    elif stage == "closed":
        runner.send(OperatorAction("close", note="overleden"))
    runner.clock.advance(timedelta(hours=1))
    return runner


ACTIONS = {
    "close": OperatorAction("close", note="verhuisd naar het buitenland"),
    "escalate": OperatorAction("escalate", note="gemeente onbereikbaar"),
    "resend": OperatorAction("resend_notification", to="nieuw@leeuwarden.example"),
    "reroute": OperatorAction("reroute", municipality="GM0106", note="verhuisd naar Assen"),
    "pause": OperatorAction("pause", until=date(2026, 6, 1), note="opgenomen in het ziekenhuis"),
    "resume": OperatorAction("resume"),
    "update_date": OperatorAction("update_date", deadline=date(2026, 6, 29), note="uitstel"),
}


@dataclass(frozen=True)
class Expect:
    stage: CaseState
    emails: tuple[str, ...] = ()
    pending: frozenset[str] = frozenset()
    held: frozenset[str] = frozenset()


def expect(stage: CaseState, emails: str = "", pending: str = "", held: str = "") -> Expect:
    return Expect(stage, tuple(emails.split()), frozenset(pending.split()), frozenset(held.split()))


N, R, E, P, C = CaseState.NOTIFIED, CaseState.REMINDED, CaseState.ESCALATED, CaseState.OUTCOME_PARTIAL, CaseState.CLOSED
ALL = f"{FIRST} {SECOND} {ESCALATION} {CLOSE}"
PAUSED = f"{CLOSE} pause_end"
FRESH = expect(N, "rerouted notification", ALL)
# (stage, action) -> what the case looks like after it; every pair is listed.
TABLE: dict[tuple[str, str], Expect] = {
    ("notified", "close"): expect(C),
    ("notified", "escalate"): expect(E, "escalation", f"{FIRST} {SECOND} {CLOSE}"),
    ("notified", "resend"): expect(N, "notification", ALL),
    ("notified", "reroute"): FRESH,
    ("notified", "pause"): expect(N, "", PAUSED, f"{FIRST} {SECOND} {ESCALATION}"),
    ("notified", "resume"): expect(N, "", ALL),
    ("notified", "update_date"): expect(N, "", ALL),
    ("reminded", "close"): expect(C),
    ("reminded", "escalate"): expect(E, "escalation", f"{SECOND} {CLOSE}"),
    ("reminded", "resend"): expect(R, "notification", f"{SECOND} {ESCALATION} {CLOSE}"),
    ("reminded", "reroute"): FRESH,
    ("reminded", "pause"): expect(R, "", PAUSED, f"{SECOND} {ESCALATION}"),
    ("reminded", "resume"): expect(R, "", f"{SECOND} {ESCALATION} {CLOSE}"),
    ("reminded", "update_date"): expect(R, "", f"{SECOND} {ESCALATION} {CLOSE}"),
    ("escalated", "close"): expect(C),
    ("escalated", "escalate"): expect(E, "", CLOSE),
    ("escalated", "resend"): expect(E, "notification", CLOSE),
    ("escalated", "reroute"): FRESH,
    ("escalated", "pause"): expect(E, "", PAUSED),
    ("escalated", "resume"): expect(E, "", CLOSE),
    ("escalated", "update_date"): expect(E, "", CLOSE),
    ("outcome_partial", "close"): expect(C),
    ("outcome_partial", "escalate"): expect(E, "escalation", f"follow_up {CLOSE}"),
    ("outcome_partial", "resend"): expect(P, "notification", f"follow_up {CLOSE}"),
    ("outcome_partial", "reroute"): FRESH,
    ("outcome_partial", "pause"): expect(P, "", PAUSED, "follow_up"),
    ("outcome_partial", "resume"): expect(P, "", f"follow_up {CLOSE}"),
    ("outcome_partial", "update_date"): expect(P, "", f"follow_up {CLOSE}"),
    ("paused", "close"): expect(C),
    ("paused", "escalate"): expect(E, "escalation", PAUSED, f"{FIRST} {SECOND}"),
    ("paused", "resend"): expect(N, "notification", PAUSED, f"{FIRST} {SECOND} {ESCALATION}"),
    ("paused", "reroute"): FRESH,
    ("paused", "pause"): expect(N, "", PAUSED, f"{FIRST} {SECOND} {ESCALATION}"),
    ("paused", "resume"): expect(N, "", ALL),
    ("paused", "update_date"): expect(N, "", PAUSED, f"{FIRST} {SECOND} {ESCALATION}"),
    ("urgent", "close"): expect(C),
    ("urgent", "escalate"): expect(E, "", CLOSE),
    ("urgent", "resend"): expect(E, "notification", CLOSE),
    ("urgent", "reroute"): expect(E, "rerouted notification escalation", CLOSE),
    ("urgent", "resume"): expect(E, "", CLOSE),
    ("urgent", "update_date"): expect(E, "", CLOSE),
    **{("closed", action): expect(C) for action in ACTIONS},
}
REFUSED = {("urgent", "pause"): "op of na de einddatum"}  # its report date (29 April) comes before 1 June
STAGES = ("notified", "reminded", "escalated", "outcome_partial", "paused", "urgent", "closed")


def test_the_table_lists_every_action_in_every_stage() -> None:
    assert set(TABLE) | set(REFUSED) == {(stage, action) for stage in STAGES for action in ACTIONS}


@pytest.mark.parametrize(("stage", "action"), sorted(TABLE), ids="-".join)
def test_every_action_in_every_stage(stage: str, action: str) -> None:
    runner = in_stage(stage)
    closed_before = runner.state is not None and runner.state.is_closed
    decision = runner.send(ACTIONS[action])
    expected = TABLE[(stage, action)]
    state = decision.state
    assert state.stage is expected.stage
    assert tuple(c.kind.value for c in decision.commands if isinstance(c, SendEmail)) == expected.emails
    assert (set(state.pending), set(state.held)) == (expected.pending, expected.held)
    if closed_before:
        assert decision.commands == ()  # a closed case stays silent (the case store refuses a person)
    elif action == "close":
        assert decision.commands[-1] == CloseCase(CloseReason.OPERATOR)


@pytest.mark.parametrize(("stage", "action"), sorted(REFUSED), ids="-".join)
def test_an_action_that_does_not_fit_is_refused_with_its_reason(stage: str, action: str) -> None:
    runner = in_stage(stage)
    with pytest.raises(RefusedActionError, match=REFUSED[(stage, action)]):
        runner.send(ACTIONS[action])


@pytest.mark.parametrize("action", ["escalate", "pause", "resume", "update_date"])
def test_repeating_an_action_that_already_holds_decides_nothing(action: str) -> None:
    runner = in_stage("notified")
    runner.send(ACTIONS[action])
    assert runner.send(ACTIONS[action]).commands == ()


# --- re-route ----------------------------------------------------------------------------------


def test_reroute_withdraws_what_was_pending_tells_the_old_municipality_and_starts_afresh() -> None:
    runner = in_stage("reminded")
    decision = runner.send(ACTIONS["reroute"])
    cancel, withdraw, told, notification = decision.commands[:4]
    assert cancel == CancelTimers((SECOND, ESCALATION, CLOSE)) and withdraw == CancelEmails()
    assert isinstance(told, SendEmail) and told.recipient is Recipient.FORMER_MUNICIPALITY
    assert isinstance(notification, SendEmail) and notification.recipient is Recipient.MUNICIPALITY
    assert notification.attach_letter
    # The new municipality gets the full flow, measured from now: 5 working days after 11:00 on 4 May.
    assert runner.timers[FIRST] == local(2026, 5, 11, 11)
    assert decision.state.started_at == runner.clock.now() and decision.state.stage is CaseState.NOTIFIED


def test_reroute_keeps_the_outcome_recorded_so_far_and_needs_a_municipality() -> None:
    runner = in_stage("outcome_partial")
    assert runner.send(ACTIONS["reroute"]).state.outcome == PARTIAL
    with pytest.raises(RefusedActionError, match="nieuwe gemeente"):
        runner.send(OperatorAction("reroute"))


# --- pause and resume --------------------------------------------------------------------------


def test_nothing_fires_while_paused_and_the_timers_keep_the_time_they_had_left() -> None:
    # Given a case paused at its notification (10:00 on 24 April) until 25 May
    runner = in_stage("paused")
    paused_for = local(2026, 5, 25) - NOTIFIED_AT
    # When time runs to the end
    assert runner.fire_next()[0] == "pause_end"
    assert runner.clock.now() == local(2026, 5, 25)
    timers = dict(runner.timers)
    fired = runner.run_to_end()
    # Then nothing fired in the paused time; each timer keeps the time it had left, but the escalation
    # still comes 5 working days before the report date (8 June), before the second reminder
    assert timers == {FIRST: local(2026, 5, 4, 10) + paused_for, SECOND: local(2026, 5, 11, 10) + paused_for,
                      ESCALATION: local(2026, 6, 8), CLOSE: local(2026, 6, 15)}  # fmt: skip
    assert fired == [FIRST, ESCALATION, SECOND, CLOSE]
    assert runner.state is not None and runner.state.paused_for == paused_for
    assert runner.kinds == ["notification", "reminder", "escalation", "second_reminder"]


def test_resume_recomputes_from_the_time_paused() -> None:
    runner = in_stage("paused")
    runner.clock.advance_to(local(2026, 5, 1, 10))  # paused for exactly one week
    runner.send(OperatorAction("resume"))
    assert runner.timers == {FIRST: local(2026, 5, 11, 10), SECOND: local(2026, 5, 18, 10),
                             ESCALATION: local(2026, 5, 26, 10), CLOSE: local(2026, 6, 15)}  # fmt: skip


def test_an_escalation_whose_last_moment_passed_during_the_pause_goes_out_at_resume() -> None:
    # Given a report date of Friday 22 May: the escalation is due 5 working days before it (15 May)
    runner = CheckedRunner(DEFINITION)
    runner.start(date(2026, 5, 22))
    assert runner.timers[ESCALATION] == local(2026, 5, 15)
    runner.send(OperatorAction("pause", until=date(2026, 5, 18)))
    # When the pause ends on 18 May
    assert runner.fire_next()[0] == "pause_end"
    # Then the coordinator gets the case at once; the reminders would come after the report date: dropped
    assert runner.kinds[-1] == "escalation" and runner.state is not None
    assert runner.state.stage is CaseState.ESCALATED and not runner.state.is_paused
    assert runner.timers == {CLOSE: local(2026, 5, 22)}


def test_a_partial_outcome_while_paused_holds_its_follow_up_until_the_pause_ends() -> None:
    runner = in_stage("paused")
    decision = runner.send(OutcomeReceived(PARTIAL))
    assert runner.state is not None and runner.state.held == ("follow_up",)
    assert "pause_end" in decision.state.pending and set(runner.timers) == {"pause_end", CLOSE}
    assert runner.run_to_end() == ["pause_end", "follow_up", CLOSE]


@pytest.mark.parametrize(
    ("until", "reason"),
    [(None, "datum waarop de pauze eindigt"), (date(2026, 4, 24), "in de toekomst"),
     (date(2026, 6, 15), "op of na de einddatum"), (date(2026, 7, 1), "op of na de einddatum")],
)  # fmt: skip
def test_a_pause_without_a_future_date_before_the_deadline_is_refused(until: date | None, reason: str) -> None:
    runner = in_stage("notified")
    with pytest.raises(RefusedActionError, match=reason):
        runner.send(OperatorAction("pause", until=until))


def test_pausing_again_moves_the_pause_end_only() -> None:
    runner = in_stage("paused")
    decision = runner.send(ACTIONS["pause"])
    assert runner.timers["pause_end"] == local(2026, 6, 1)
    assert decision.commands == (CancelTimers(("pause_end",)), decision.commands[1])


# --- a new date ---------------------------------------------------------------------------------


def test_a_later_date_moves_the_window_close_and_an_escalation_that_depended_on_it() -> None:
    # Given a report date of Friday 22 May: the escalation is due 5 working days before it (15 May)
    runner = CheckedRunner(DEFINITION)
    runner.start(date(2026, 5, 22))
    assert runner.timers[ESCALATION] == local(2026, 5, 15)
    # When the date moves to 15 June
    runner.send(OperatorAction("update_date", deadline=date(2026, 6, 15)))
    # Then the escalation is 15 working days after the notification, and the window closes on the new date
    assert runner.timers == {FIRST: local(2026, 5, 4, 10), SECOND: local(2026, 5, 11, 10),
                             ESCALATION: local(2026, 5, 19, 10), CLOSE: local(2026, 6, 15)}  # fmt: skip


def test_an_earlier_date_that_makes_the_case_urgent_escalates_at_once_and_drops_later_timers() -> None:
    runner = in_stage("notified")
    decision = runner.send(OperatorAction("update_date", deadline=date(2026, 4, 30), note="eerder melden"))
    assert MarkUrgent() in decision.commands
    escalation = [c for c in decision.commands if isinstance(c, SendEmail)]
    assert [e.recipient for e in escalation] == [Recipient.COORDINATOR] and "30-04-2026" in escalation[0].reason
    assert runner.timers == {CLOSE: local(2026, 4, 30)}
    assert decision.state.urgent and decision.state.stage is CaseState.ESCALATED


@pytest.mark.parametrize(
    ("deadline", "reason"),
    [(None, "nieuwe datum"), (date(2026, 4, 24), "niet in de toekomst"), (date(2026, 3, 1), "niet in de toekomst")],
)
def test_a_new_date_that_is_missing_or_past_is_refused(deadline: date | None, reason: str) -> None:
    with pytest.raises(RefusedActionError, match=reason):
        in_stage("notified").send(OperatorAction("update_date", deadline=deadline))


def test_a_new_date_before_the_end_of_a_pause_is_refused() -> None:
    with pytest.raises(RefusedActionError, match="gepauzeerd tot 25-05-2026"):
        in_stage("paused").send(OperatorAction("update_date", deadline=date(2026, 5, 20)))


def test_an_instance_stored_before_pauses_existed_is_read_and_paused() -> None:
    runner = Runner(DEFINITION)  # (not checked for moments: an old instance has none)
    runner.start(date(2026, 6, 15))
    runner.clock.advance(timedelta(hours=1))
    assert runner.state is not None
    old = {k: v for k, v in runner.state.bookkeeping().items() if k not in {"paused_at", "paused_seconds", "held",
                                                                            "due"}} | {"format": 2}  # fmt: skip
    restored = type(runner.state).restore(old, runner.state.status)
    assert restored.due == {} and restored.held == ()
    runner.state = restored
    runner.send(ACTIONS["pause"])
    runner.clock.advance_to(local(2026, 5, 1, 11))
    runner.send(OperatorAction("resume"))
    assert runner.timers[FIRST] == local(2026, 5, 11, 10)  # computed from the definition, a week later


def test_a_timer_overdue_when_the_pause_began_fires_right_after_it_not_in_the_past() -> None:
    # Given the sweep has not yet fired the first reminder (due 4 May) when the case is paused on 5 May
    runner = in_stage("notified")
    runner.clock.advance_to(local(2026, 5, 5, 9))
    runner.timers.pop(FIRST)  # what the sweep would claim: the pause cancels the row
    runner.send(OperatorAction("pause", until=date(2026, 5, 7)))
    # When the pause ends
    assert runner.fire_next()[0] == "pause_end"
    # Then the reminder comes one second after it; the others keep the time they had left
    assert runner.timers[FIRST] == local(2026, 5, 7) + timedelta(seconds=1)
    assert runner.timers[SECOND] == local(2026, 5, 11, 10) + (local(2026, 5, 7) - local(2026, 5, 5, 9))
