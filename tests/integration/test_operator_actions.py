"""Operator actions through the case store on both databases: what each writes, audited with who and why.

A re-route withdraws what was pending for the old municipality, tells it, starts afresh for the new
one and moves the case between the provinces' figures; ``update_date`` recomputes every pending
timer; a pause holds them; each action is audited and a repeat changes nothing; a closed case and a
request from a municipal user go no further than they may.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from schema import reroute_requests
from schema.case_actions import act
from schema.case_store import CaseActionError, CaseStore
from schema.models import AuditEvent, RerouteRequest
from schema.report_queries import monitoring_report
from schema.runtime_models import OutboundEmail, Timer
from testkit.flow import fast_settings, mailbox
from tests.integration.test_case_store import NOW, count, events, new_case, row, started_case
from workers.bootstrap import App
from workers.case_actions import perform
from workers.contacts import Contacts
from workers.services import case_store
from workers.settings import DEFAULT_TIMERS
from workflows.calendar import WorkdayCalendar
from workflows.durations import parse_duration
from workflows.events import OperatorAction
from workflows.states import AuditKind, EmailState, RerouteRequestSource, RerouteRequestState, TimerState

LEEUWARDEN, ASSEN = "GM0080", "GM0106"  # Fryslân, Drenthe
CALENDAR = WorkdayCalendar()


@pytest.fixture
def app(sessions: sessionmaker[Session], tmp_path: Path) -> App:
    """The real timers (working days), so that a new date moves an escalation that depends on it."""
    engine = sessions.kw["bind"]
    settings = fast_settings(tmp_path, str(engine.url))
    settings = replace(settings, timers={k: parse_duration(v) for k, v in DEFAULT_TIMERS.items()})
    return App(settings=settings, _engine=engine, clock=lambda: NOW)


@pytest.fixture
def store(app: App) -> CaseStore:
    return case_store(app, CALENDAR, Contacts(app.settings))


def do(store: CaseStore, case_id: int, action: OperatorAction, *, by: str = "cli:olga", hours: int = 1) -> Any:
    with store.case(case_id) as case:
        return act(case, action, by=by, now=NOW + timedelta(hours=hours))


def pending_timers(app: App, case_id: int) -> dict[str, Any]:
    with app.sessions() as session:
        found = session.execute(select(Timer.name, Timer.due_at).where(Timer.case_id == case_id,
                                                                       Timer.state == TimerState.PENDING))  # fmt: skip
        return {name: due for name, due in found}


def emails(app: App, case_id: int) -> list[tuple[str, str | None, str]]:
    with app.sessions() as session:
        found = session.execute(select(OutboundEmail.kind, OutboundEmail.to_address, OutboundEmail.state)
                                .where(OutboundEmail.case_id == case_id).order_by(OutboundEmail.id))  # fmt: skip
        return [tuple(r) for r in found]  # type: ignore[misc]


def province_figures(app: App) -> dict[str, tuple[int, int]]:
    with app.sessions() as session:
        report = monitoring_report(session, date_from=None, date_to=None)
    return {p.province: (p.group.figures.cases, p.group.figures.letters_sent) for p in report.provinces}


def test_a_reroute_between_provinces_withdraws_informs_starts_afresh_and_moves_the_figures(app: App,
                                                                                          store: CaseStore) -> None:  # fmt: skip
    # Given a Leeuwarden case whose notification went out and whose first reminder waits in the queue
    case_id = started_case(app, store)
    with app.sessions.begin() as session:
        session.execute(update(OutboundEmail).where(OutboundEmail.case_id == case_id)
                        .values(state=EmailState.SENT.value, sent_at=NOW))  # fmt: skip
    with store.case(case_id) as case:
        case.handle(OperatorAction("escalate", note="voorbereiding"), NOW)  # queued, not sent yet
    assert province_figures(app)["Fryslân"] == (1, 1) and province_figures(app)["Drenthe"] == (0, 0)
    old_timers = pending_timers(app, case_id)

    # When an operator re-routes it to Assen
    result = do(store, case_id, OperatorAction("reroute", municipality=ASSEN, note="verhuisd naar Assen"))

    # Then what waited for Leeuwarden is withdrawn, Leeuwarden is told, and Assen gets the whole flow
    assert result.changed and "omgeleid naar GM0106" in result.message
    assert emails(app, case_id) == [
        ("notification", mailbox(LEEUWARDEN), "sent"),
        ("escalation", "coordinator@zvh-fry.example", "cancelled"),
        ("rerouted", mailbox(LEEUWARDEN), "queued"),
        ("notification", mailbox(ASSEN), "queued"),
    ]
    case = row(app, case_id)
    assert (case.cbs_code, case.routing_method, case.state) == (ASSEN, "operator", "notified")
    assert set(pending_timers(app, case_id)) == set(old_timers) | {"escalation"}
    assert all(due > NOW for due in pending_timers(app, case_id).values())
    assert pending_timers(app, case_id)["first_reminder"] != old_timers["first_reminder"]  # measured from now
    # And both provinces' figures moved: the case (and its letter) now count for Drenthe
    assert province_figures(app)["Fryslân"] == (0, 0) and province_figures(app)["Drenthe"] == (1, 1)
    trail = events(app, case_id)
    assert AuditKind.CASE_REROUTED in trail and AuditKind.EMAIL_CANCELLED in trail
    with app.sessions() as session:
        audit = session.scalars(select(AuditEvent).where(AuditEvent.event == AuditKind.OPERATOR_ACTION)
                                .order_by(AuditEvent.id.desc())).first()  # fmt: skip
    assert audit is not None and audit.actor == "cli:olga"
    assert audit.details == {"action": "reroute", "reason": "verhuisd naar Assen", "changed": True,
                             "municipality": ASSEN}  # fmt: skip


def test_a_repeated_reroute_changes_nothing_and_says_so(app: App, store: CaseStore) -> None:
    case_id = started_case(app, store)
    do(store, case_id, OperatorAction("reroute", municipality=ASSEN, note="verhuisd"))
    before = emails(app, case_id)
    again = do(store, case_id, OperatorAction("reroute", municipality=ASSEN, note="verhuisd"), hours=2)
    assert not again.changed and "al bij GM0106" in again.message
    assert emails(app, case_id) == before


def test_a_reroute_outside_the_region_or_without_a_reason_is_refused_and_writes_nothing(app: App,
                                                                                        store: CaseStore) -> None:  # fmt: skip
    case_id = started_case(app, store)
    before = events(app, case_id)
    with pytest.raises(CaseActionError, match="geen gemeente van Groningen"):
        do(store, case_id, OperatorAction("reroute", municipality="GM0363", note="Amsterdam"))
    with pytest.raises(CaseActionError, match="geef een reden"):
        do(store, case_id, OperatorAction("reroute", municipality=ASSEN, note="  "))
    assert events(app, case_id) == before and row(app, case_id).cbs_code == LEEUWARDEN


@pytest.mark.parametrize("new_date", [date(2026, 3, 13), date(2026, 5, 29)], ids=["earlier", "later"])
def test_update_date_recomputes_every_pending_timer(app: App, store: CaseStore, new_date: date) -> None:
    # Given a case reported for Sunday 22 March: reminders 9 and 16 March, the escalation 5 working days
    # before the report date (16 March 00:00, earlier than 15 working days after the notification)
    case_id = started_case(app, store, report_in_days=20)
    before = pending_timers(app, case_id)
    # When the date moves
    result = do(store, case_id, OperatorAction("update_date", deadline=new_date, note="uitstel verleend"))
    # Then every pending timer is where the engine computes it for the new date, none after it but the close
    after = pending_timers(app, case_id)
    with store.case(case_id) as case:
        instance = case.instance
        assert instance is not None
    assert after == dict(instance.due) and set(after) == set(instance.pending)
    assert after["window_close"] == CALENDAR.start_of_day(new_date) != before["window_close"]
    assert after["escalation"] != before["escalation"]  # recomputed for the new date
    assert all(due < after["window_close"] for name, due in after.items() if name != "window_close")
    assert row(app, case_id).report_date == new_date and result.changed
    if new_date < date(2026, 4, 1):  # earlier: the second reminder would come after it
        assert "second_reminder" not in after


def test_a_new_date_that_makes_the_case_urgent_escalates_at_once(app: App, store: CaseStore) -> None:
    case_id = started_case(app, store)
    result = do(store, case_id, OperatorAction("update_date", deadline=date(2026, 3, 5), note="eerder melden"))
    case = row(app, case_id)
    assert (case.urgent, case.state) == (True, "escalated")
    assert ("escalation", "coordinator@zvh-fry.example", "queued") in emails(app, case_id)
    assert "escalatie aan coördinator klaargezet" in result.message


def test_a_pause_holds_the_timers_and_resume_brings_them_back_later(app: App, store: CaseStore) -> None:
    case_id = started_case(app, store)
    before = pending_timers(app, case_id)
    do(store, case_id, OperatorAction("pause", until=date(2026, 3, 16), note="opgenomen"))
    assert set(pending_timers(app, case_id)) == {"window_close", "pause_end"}
    assert row(app, case_id).paused_until == CALENDAR.start_of_day(date(2026, 3, 16))
    with pytest.raises(CaseActionError, match="op of na de einddatum"):
        do(store, case_id, OperatorAction("pause", until=date(2026, 4, 30), note="lang"))

    do(store, case_id, OperatorAction("resume", note="weer bereikbaar"), hours=25)

    after = pending_timers(app, case_id)
    assert row(app, case_id).paused_until is None and set(after) == set(before)
    assert after["first_reminder"] == before["first_reminder"] + timedelta(hours=24)  # paused for a day


def test_a_resend_to_a_new_address_goes_there_once(app: App, store: CaseStore) -> None:
    case_id = started_case(app, store)
    action = OperatorAction("resend_notification", to="nieuw@gm0080.example", note="gebounced; nieuw adres")
    with store.case(case_id) as case:
        first = perform(case, action, contacts=Contacts(app.settings), by="web:op", now=NOW)
    with store.case(case_id) as case:
        second = perform(case, action, contacts=Contacts(app.settings), by="web:op", now=NOW)
    assert first.changed and not second.changed and "wacht al een melding" in second.message
    assert [e for e in emails(app, case_id) if e[1] == "nieuw@gm0080.example"] == [
        ("notification", "nieuw@gm0080.example", "queued")]  # fmt: skip


@pytest.mark.parametrize(
    ("to", "reason"),
    [("iemand@gmail.example", "geen adres van de gemeente"), ("a@gm0080.example\r\nBcc: x@elders.example", "één"),
     ("a@gm0080.example, b@elders.example", "één"), ("Jan <a@gm0080.example>", "één")],
)  # fmt: skip
def test_attack_a_resend_to_a_foreign_or_forged_address_is_refused(app: App, store: CaseStore, to: str,
                                                                   reason: str) -> None:  # fmt: skip
    # The notification carries the letter with the person's name and address: never to anyone else.
    case_id = started_case(app, store)
    before = emails(app, case_id)
    with pytest.raises(CaseActionError, match=reason), store.case(case_id) as case:
        perform(case, OperatorAction("resend_notification", to=to, note="nieuw adres"),
                contacts=Contacts(app.settings), by="web:op", now=NOW)  # fmt: skip
    assert emails(app, case_id) == before


def test_a_closed_case_refuses_every_action_of_a_person(app: App, store: CaseStore) -> None:
    case_id = started_case(app, store)
    do(store, case_id, OperatorAction("close", note="overleden"))
    for action in (OperatorAction("reroute", municipality=LEEUWARDEN, note="x"), OperatorAction("resume", note="x")):
        with pytest.raises(CaseActionError, match="is afgesloten"):
            do(store, case_id, action, hours=2)
    with pytest.raises(CaseActionError, match="is afgesloten"), store.case(case_id) as case:
        reroute_requests.ask(case, reason="woont elders", by="web:lw", now=NOW, source=RerouteRequestSource.CONSOLE)


def test_a_request_stays_open_once_until_a_reroute_settles_it(app: App, store: CaseStore) -> None:
    case_id = started_case(app, store)
    with store.case(case_id) as case:
        first = reroute_requests.ask(case, reason="woont in Assen", by="web:lw", now=NOW,
                                     source=RerouteRequestSource.CONSOLE, suggested=ASSEN)  # fmt: skip
    with store.case(case_id) as case:
        second = reroute_requests.ask(case, reason="nog eens", by="web:lw", now=NOW,
                                      source=RerouteRequestSource.CONSOLE)  # fmt: skip
    assert first[1] and second == (first[0], False)
    do(store, case_id, OperatorAction("reroute", municipality=ASSEN, note="verzoek van Leeuwarden"))
    with app.sessions() as session:
        request = session.get(RerouteRequest, first[0])
        assert request is not None and (request.state, request.decided_by) == (RerouteRequestState.REROUTED,
                                                                              "cli:olga")  # fmt: skip


def test_a_declined_request_keeps_the_municipality(app: App, store: CaseStore) -> None:
    case_id = new_case(app, dji_id="DJI-OA-9")
    with store.case(case_id) as case:
        case.start(NOW, "case_accepted")
        request_id, _ = reroute_requests.ask(case, reason="onbekend hier", by="mail:a@gm0080.example", now=NOW,
                                             source=RerouteRequestSource.REPLY, place="Zwolle")  # fmt: skip
    with store.case(case_id) as case:
        reroute_requests.decline(case, request_id, note="BRP zegt Leeuwarden", by="web:op", now=NOW)
    with pytest.raises(CaseActionError, match="al afgehandeld"), store.case(case_id) as case:
        reroute_requests.decline(case, request_id, note="nog eens", by="web:op", now=NOW)
    assert row(app, case_id).cbs_code == LEEUWARDEN
    assert count(app, RerouteRequest, state=RerouteRequestState.DECLINED) == 1
    assert AuditKind.REROUTE_DECLINED in events(app, case_id)
