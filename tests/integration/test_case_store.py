"""The case store on both databases: one way to change a case, serialised, refusing what does not fit.

Concurrent actions on one case take turns on the case row's lock, so none overwrites another's
change; an action that does not fit the case (closed, not started, wrong stage) raises
``CaseActionError`` with a Dutch reason and writes nothing; each fact is stored once, on the case.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from schema.case_store import CaseActionError, CaseStore, Email
from schema.models import AuditEvent, CaseRow
from schema.runtime_models import OutboundEmail, OutboxMessage, Timer
from testkit.flow import fast_settings
from workers.bootstrap import App
from workers.contacts import Contacts
from workers.services import case_store
from workers.wiring import intake_service
from workflows.calendar import WorkdayCalendar
from workflows.commands import EmailKind, Recipient
from workflows.events import OperatorAction
from workflows.model import Answer, CaseState, ContactForm, Outcome
from workflows.states import AuditKind, TimerState

TRIGGER = "case_accepted"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def app(sessions: sessionmaker[Session], tmp_path: Path) -> App:
    engine = sessions.kw["bind"]
    return App(settings=fast_settings(tmp_path, str(engine.url)), _engine=engine, clock=lambda: NOW)


@pytest.fixture
def store(app: App) -> CaseStore:
    return case_store(app, WorkdayCalendar(), Contacts(app.settings))


def new_case(app: App, *, gemeente: str = "Leeuwarden", report_in_days: int = 40, dji_id: str = "DJI-CS-1") -> int:
    record = {"dji_id": dji_id, "surname": "Visser", "given_names": "Anne", "birth_date": "1990-04-01",
              "street": "Nieuwestad", "house_number": "1", "postcode": "8911 CM", "woonplaats": "Leeuwarden",
              "gemeente": gemeente, "sentence_days": "30", "institution": "PI Leeuwarden",
              "report_date": (NOW.date() + timedelta(days=report_in_days)).isoformat()}  # fmt: skip
    from workers.feed_files import RawRecord

    (result,) = intake_service(app).ingest([RawRecord(1, fields=record)], "test").results
    assert result.case_id is not None
    return result.case_id


def started_case(app: App, store: CaseStore, **kwargs: Any) -> int:
    case_id = new_case(app, **kwargs)
    with store.case(case_id) as case:
        case.start(NOW, TRIGGER)
    return case_id


def row(app: App, case_id: int) -> CaseRow:
    with app.sessions() as session:
        found = session.get(CaseRow, case_id)
        assert found is not None
        return found


def events(app: App, case_id: int) -> list[str]:
    with app.sessions() as session:
        return list(session.scalars(select(AuditEvent.event).where(AuditEvent.case_id == case_id)
                                    .order_by(AuditEvent.id)))  # fmt: skip


def count(app: App, model: Any, **where: Any) -> int:
    with app.sessions() as session:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return int(session.scalar(query) or 0)


def test_a_started_case_keeps_stage_instance_and_timers_once_on_its_row(app: App, store: CaseStore) -> None:
    case_id = started_case(app, store)

    case = row(app, case_id)
    assert (case.state, case.workflow, case.workflow_version) == ("notified", "self_reporter_3noord", 1)
    assert set(case.workflow_progress or {}) == {"format", "started_at", "deadline_at", "pending", "scheduled"}
    assert "stage" not in (case.workflow_progress or {}) and "outcome" not in (case.workflow_progress or {})
    with app.sessions() as session:
        timers = set(session.scalars(select(Timer.name).where(Timer.case_id == case_id,
                                                               Timer.state == TimerState.PENDING)))  # fmt: skip
    assert timers == set((case.workflow_progress or {})["pending"])
    assert count(app, OutboundEmail, case_id=case_id) == 1


def test_starting_twice_starts_once_and_an_unknown_case_is_refused(app: App, store: CaseStore) -> None:
    case_id = started_case(app, store)
    with store.case(case_id) as case:
        assert case.start(NOW, TRIGGER) is None
    assert events(app, case_id).count(AuditKind.WORKFLOW_STARTED) == 1
    with pytest.raises(CaseActionError, match="bestaat niet"), store.case(987654):
        pass


def test_an_outcome_is_merged_once_and_stored_on_the_case(app: App, store: CaseStore) -> None:
    case_id = started_case(app, store)
    with store.case(case_id) as case:
        case.record_outcome(Outcome(contact=Answer.YES, contact_form=ContactForm.PHONE), by="test", now=NOW)
    with store.case(case_id) as case:
        merged = case.record_outcome(Outcome(actions=Answer.NO), by="test", now=NOW + timedelta(hours=1))

    assert (merged.contact, merged.contact_form, merged.actions) == (Answer.YES, ContactForm.PHONE, Answer.NO)
    case_row = row(app, case_id)
    assert (case_row.outcome_contact, case_row.outcome_contact_form, case_row.outcome_actions) == ("yes", "phone", "no")
    assert case_row.state == "closed" and case_row.close_reason == "outcome_complete"
    assert events(app, case_id).count(AuditKind.OUTCOME_RECORDED) == 2


def test_concurrent_actions_on_one_case_take_turns_and_lose_nothing(app: App, store: CaseStore) -> None:
    case_id = started_case(app, store)
    # Given six threads that each add something to the same case at the same time
    fields: list[Callable[[Any], None]] = [
        lambda c: c.record_outcome(Outcome(contact=Answer.YES), by="t1", now=NOW),
        lambda c: c.record_outcome(Outcome(contact_form=ContactForm.VISIT), by="t2", now=NOW),
        lambda c: c.record_outcome(Outcome(known_to_care=Answer.YES), by="t3", now=NOW),
        lambda c: c.record_outcome(Outcome(life_domains=("schulden",)), by="t4", now=NOW),
        lambda c: c.mark_for_review("controleren", by="t5", now=NOW),
        lambda c: c.queue_email(Email(EmailKind.CONFIRMATION, Recipient.SENDER, "a@gm0080.example", "test",
                                      "test"), NOW),
    ]  # fmt: skip
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(fields))

    def act(change: Callable[[Any], None]) -> None:
        try:
            barrier.wait()
            with store.case(case_id) as case:
                change(case)
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=act, args=(f,)) for f in fields]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then every change is there: no thread overwrote another's
    assert errors == []
    case_row = row(app, case_id)
    assert (case_row.outcome_contact, case_row.outcome_contact_form, case_row.outcome_known_to_care) == (
        "yes", "visit", "yes")  # fmt: skip
    assert case_row.outcome_life_domains == ["schulden"]
    assert events(app, case_id).count(AuditKind.OUTCOME_RECORDED) == 4
    assert count(app, OutboundEmail, case_id=case_id, kind="confirmation") == 1


def test_an_operator_action_on_a_closed_case_is_refused_with_the_reason_and_writes_nothing(
    app: App, store: CaseStore
) -> None:
    case_id = started_case(app, store)
    with store.case(case_id) as case:
        case.handle(OperatorAction("close", note="dubbel"), NOW)
    before = (events(app, case_id), count(app, OutboundEmail, case_id=case_id), count(app, OutboxMessage))

    with pytest.raises(CaseActionError, match=r"is afgesloten \(door een operator gesloten\)"), \
            store.case(case_id) as case:  # fmt: skip
        case.handle(OperatorAction("escalate"), NOW + timedelta(hours=1))

    assert (events(app, case_id), count(app, OutboundEmail, case_id=case_id), count(app, OutboxMessage)) == before


def test_a_late_reply_on_a_closed_case_is_kept_for_the_figures_and_sends_nothing(app: App, store: CaseStore) -> None:
    case_id = started_case(app, store)
    with store.case(case_id) as case:
        case.handle(OperatorAction("close"), NOW)
    emails = count(app, OutboundEmail, case_id=case_id)
    with store.case(case_id) as case:
        case.record_outcome(Outcome(contact=Answer.YES, actions=Answer.YES), by="mail", now=NOW + timedelta(days=1))
    case_row = row(app, case_id)
    assert (case_row.state, case_row.outcome_contact, case_row.close_reason) == ("closed", "yes", "operator")
    assert count(app, OutboundEmail, case_id=case_id) == emails


def test_what_does_not_fit_the_case_is_refused(app: App, store: CaseStore) -> None:
    waiting = new_case(app, gemeente="Onbekendorp", dji_id="DJI-CS-2")  # needs routing: not started
    assert row(app, waiting).state == CaseState.NEEDS_ROUTING
    with pytest.raises(CaseActionError, match="nog niet gestart"), store.case(waiting) as case:
        case.record_outcome(Outcome(contact=Answer.YES), by="test", now=NOW)
    with pytest.raises(CaseActionError, match="niet ter beoordeling"), store.case(waiting) as case:
        case.clear_review("gecontroleerd", by="test", now=NOW)
    with pytest.raises(CaseActionError, match="geen gemeente"), store.case(waiting) as case:
        case.assign_municipality("GM0363", by="test", now=NOW)  # Amsterdam: not in the region
    started = started_case(app, store, dji_id="DJI-CS-3")
    with pytest.raises(CaseActionError, match="wacht niet op een gemeentekeuze"), store.case(started) as case:
        case.assign_municipality("GM0080", by="test", now=NOW)
    assert events(app, waiting) == [AuditKind.CASE_CREATED]


def test_triage_assigns_the_municipality_and_queues_the_start(app: App, store: CaseStore) -> None:
    waiting = new_case(app, gemeente="Onbekendorp", dji_id="DJI-CS-4")
    with store.case(waiting) as case:
        case.assign_municipality("GM0080", by="web:op", now=NOW)
    case_row = row(app, waiting)
    assert (case_row.state, case_row.cbs_code, case_row.routing_method) == ("accepted", "GM0080", "operator")
    with store.case(waiting) as case:
        assert case.start(NOW, TRIGGER) is not None
    assert row(app, waiting).state == "notified"


def test_message_ids_count_the_emails_of_their_kind(app: App, store: CaseStore) -> None:
    case_id = started_case(app, store)
    with store.case(case_id) as case:
        first = case.queue_email(Email(EmailKind.CONFIRMATION, Recipient.SENDER, "a@x.example", "r", "s"), NOW)
        second = case.queue_email(Email(EmailKind.CONFIRMATION, Recipient.SENDER, "a@x.example", "r", "s"), NOW)
    with app.sessions() as session:
        ids = {e.id: e.message_id for e in session.scalars(select(OutboundEmail).where(OutboundEmail.case_id == case_id))}
    assert re.fullmatch(rf"<zm-{case_id:06d}\.confirmation\.1\.[a-z2-7]{{16}}@koers\.example>", ids[first])
    assert re.fullmatch(rf"<zm-{case_id:06d}\.confirmation\.2\.[a-z2-7]{{16}}@koers\.example>", ids[second])
