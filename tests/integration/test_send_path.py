"""The hot path on both databases: ``start_case``, ``EmailSender.send`` and the outbox relay.

These pin what the handlers write (rows, Message-IDs, audit events and their order), that they are
idempotent, that ``queued → sending`` is committed before SMTP, and what ``_finish`` records when
something moved the row while the worker was talking to the server.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from schema.models import AuditEvent, CaseRow
from schema.runtime_models import OutboundEmail, OutboxMessage, Timer
from testkit.flow import fast_settings
from workers import queues
from workers.bootstrap import App
from workers.contacts import Contacts
from workers.demo.synthetic import FeedMix, generate_records, write_feed
from workers.feed_files import iter_feed
from workers.periodic import relay_outbox
from workers.services import Services, build_services
from workers.wiring import intake_service


@dataclass
class RecordingMailer:
    """Accepts every message; ``during`` runs inside ``send`` (while the worker waits for SMTP)."""

    sent: list[EmailMessage] = field(default_factory=list)
    during: Any = None

    envelopes: list[Any] = field(default_factory=list)

    def send(self, message: EmailMessage, envelope: Any = None) -> str:
        self.envelopes.append(envelope)
        if self.during is not None:
            self.during(message)
        self.sent.append(message)
        return "250 2.0.0 Ok: queued as TEST"


def is_message_id(value: str, case_id: int, kind: str, sequence: int, domain: str) -> bool:
    """Koers' Message-ID for that email: the readable parts, then the 16-character HMAC part."""
    pattern = rf"<zm-{case_id:06d}\.{kind}\.{sequence}\.[a-z2-7]{{16}}@{re.escape(domain)}>"
    return re.fullmatch(pattern, value) is not None


@pytest.fixture
def app(sessions: sessionmaker[Session], tmp_path: Path) -> Iterator[App]:
    engine = sessions.kw["bind"]
    application = App(settings=fast_settings(tmp_path, str(engine.url)), _engine=engine)
    yield application


@pytest.fixture
def mailer() -> RecordingMailer:
    return RecordingMailer()


@pytest.fixture
def services(app: App, mailer: RecordingMailer) -> Services:
    return build_services(app, mailer)


def accepted_cases(app: App, tmp_path: Path, n: int = 1, seed: int = 11) -> list[int]:
    feed = tmp_path / f"feed-{seed}.csv"
    write_feed(feed, generate_records(n, seed=seed, today=date.today(), mix=FeedMix(0, 0, 0, 0)))
    results = intake_service(app).ingest(iter_feed(feed), "feed").results
    return [r.case_id for r in results if r.case_id is not None]


def domain(app: App) -> str:
    return Contacts(app.settings).message_domain


def audit_trail(app: App, case_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    with app.sessions() as session:
        rows = session.execute(select(AuditEvent.actor, AuditEvent.event, AuditEvent.details)
                               .where(AuditEvent.case_id == case_id).order_by(AuditEvent.id))  # fmt: skip
        return [(a, e, d) for a, e, d in rows]


def emails_of(app: App, case_id: int) -> list[OutboundEmail]:
    with app.sessions() as session:
        return list(session.scalars(select(OutboundEmail).where(OutboundEmail.case_id == case_id)
                                    .order_by(OutboundEmail.id)))  # fmt: skip


def test_start_case_writes_instance_timers_email_outbox_and_audit_in_command_order(app: App, services: Services,
                                                                                   tmp_path: Path) -> None:  # fmt: skip
    (case_id,) = accepted_cases(app, tmp_path)
    services.workflow.start_case(case_id)

    with app.sessions() as session:
        case = session.get(CaseRow, case_id)
        timers = list(session.scalars(select(Timer).where(Timer.case_id == case_id).order_by(Timer.id)))
        outbox = list(session.scalars(select(OutboxMessage).where(OutboxMessage.actor_name == queues.SEND_EMAIL)))
    assert case is not None and case.state == "notified" and case.workflow == "self_reporter_3noord"
    # The case row holds its instance: the stage once (in ``state``), the engine's bookkeeping beside it.
    assert case.workflow_version == 1 and set(case.workflow_progress or {}) == {
        "format", "started_at", "deadline_at", "pending", "scheduled"}
    assert sorted(case.workflow_progress["pending"]) == sorted(t.name for t in timers)  # type: ignore[index]
    assert timers and {t.state for t in timers} == {"pending"}
    (email,) = emails_of(app, case_id)
    assert (email.kind, email.state, email.attempts, email.recipient) == ("notification", "queued", 0, "municipality")
    assert is_message_id(email.message_id, case_id, "notification", 1, domain(app))
    assert email.to_address == f"zelfmelders@{(case.cbs_code or '').lower()}.example"
    assert [m.args for m in outbox] == [[email.id]] and outbox[0].queue_name == queues.OUTGOING_MAIL

    trail = audit_trail(app, case_id)
    trail = [(a, e, d) for a, e, d in trail if a != "intake"]
    events = [e for _, e, _ in trail]
    assert events[0] == "workflow_started" and events[-1] == "stage_changed"
    assert events.count("timer_scheduled") == len(timers) and events.count("email_queued") == 1
    details = {e: d for _, e, d in trail}
    assert details["email_queued"] == {"email_id": email.id, "kind": "notification", "recipient": "municipality"}
    assert details["stage_changed"] == {"from": "accepted", "to": "notified"}
    assert [d["timer"] for _, e, d in trail if e == "timer_scheduled"] == [t.name for t in timers]
    assert {a for a, _, _ in trail} == {"workflow"}


def test_start_case_twice_starts_it_once(app: App, services: Services, tmp_path: Path) -> None:
    (case_id,) = accepted_cases(app, tmp_path)
    services.workflow.start_case(case_id)
    before = audit_trail(app, case_id)
    services.workflow.start_case(case_id)
    assert audit_trail(app, case_id) == before and len(emails_of(app, case_id)) == 1


def test_message_id_sequence_counts_the_emails_of_that_kind_the_case_already_has(app: App, services: Services,
                                                                                tmp_path: Path) -> None:  # fmt: skip
    first, second = accepted_cases(app, tmp_path, n=2)
    now = datetime.now(UTC)
    mid_domain = domain(app)
    with app.sessions.begin() as session:  # an earlier notification of the first case; a confirmation of the second
        for case_id, kind in ((first, "notification"), (second, "confirmation")):
            session.add(OutboundEmail(case_id=case_id, kind=kind, step="earlier", recipient="municipality",
                                      to_address="x@example.org", reason="eerder", attach_letter=False,
                                      message_id=f"<zm-{case_id:06d}.{kind}.1@{mid_domain}>", state="sent", attempts=1,
                                      created_at=now, updated_at=now))  # fmt: skip
    services.workflow.start_case(first)
    services.workflow.start_case(second)
    assert is_message_id(emails_of(app, first)[-1].message_id, first, "notification", 2, mid_domain)
    assert is_message_id(emails_of(app, second)[-1].message_id, second, "notification", 1, mid_domain)


def test_an_unknown_case_is_a_permanent_error(services: Services) -> None:
    from workers.errors import PermanentError

    with pytest.raises(PermanentError):
        services.workflow.start_case(987654)
    with pytest.raises(PermanentError):
        services.sender.send(987654)


def test_send_commits_sending_before_smtp_then_sent_with_an_audit_event_per_transition(
    app: App, services: Services, mailer: RecordingMailer, tmp_path: Path
) -> None:
    (case_id,) = accepted_cases(app, tmp_path)
    services.workflow.start_case(case_id)
    (email,) = emails_of(app, case_id)
    seen: list[tuple[str, int]] = []
    mailer.during = lambda _m: seen.append((emails_of(app, case_id)[0].state, emails_of(app, case_id)[0].attempts))

    assert services.sender.send(email.id) == "sent"
    assert seen == [("sending", 1)]
    (sent,) = emails_of(app, case_id)
    assert (sent.state, sent.attempts, sent.smtp_response) == ("sent", 1, "250 2.0.0 Ok: queued as TEST")
    assert sent.sent_at is not None and sent.sending_started_at is not None and sent.last_error is None
    (message,) = mailer.sent
    assert message["Message-ID"] == email.message_id and message["To"] == email.to_address
    assert message["In-Reply-To"] is None  # the notification starts the thread
    mail_events = [(e, d) for a, e, d in audit_trail(app, case_id) if a == "mailer"]
    common = {"email_id": email.id, "kind": "notification", "attempt": 1}
    assert mail_events == [("email_sending", {**common, "from": "queued", "to": "sending"}),
                           ("email_sent", {**common, "from": "sending", "to": "sent"})]  # fmt: skip

    # A redelivered message does nothing twice.
    assert services.sender.send(email.id) == "sent"
    assert len(mailer.sent) == 1
    assert [e for a, e, _ in audit_trail(app, case_id) if a == "mailer"] == ["email_sending", "email_sent"]


def test_a_row_moved_while_smtp_was_talking_is_finished_from_the_state_it_is_in(
    app: App, services: Services, mailer: RecordingMailer, tmp_path: Path
) -> None:
    (case_id,) = accepted_cases(app, tmp_path)
    services.workflow.start_case(case_id)
    (email,) = emails_of(app, case_id)

    def reconciler_meanwhile(_message: EmailMessage) -> None:
        with app.sessions.begin() as session:
            session.execute(update(OutboundEmail).where(OutboundEmail.id == email.id).values(state="needs_review"))

    mailer.during = reconciler_meanwhile
    assert services.sender.send(email.id) == "sent"
    (after,) = emails_of(app, case_id)
    assert (after.state, after.attempts) == ("sent", 1) and after.sent_at is not None
    last = [(e, d) for a, e, d in audit_trail(app, case_id) if a == "mailer"][-1]
    assert last == ("email_sent", {"email_id": email.id, "kind": "notification", "from": "needs_review",
                                   "to": "sent", "attempt": 1})  # fmt: skip


def test_a_stale_sending_row_goes_to_review_and_an_email_without_address_fails(app: App, services: Services,
                                                                             tmp_path: Path) -> None:  # fmt: skip
    stale_case, no_address_case = accepted_cases(app, tmp_path, n=2)
    services.workflow.start_case(stale_case)
    services.workflow.start_case(no_address_case)
    (stale,) = emails_of(app, stale_case)
    (no_address,) = emails_of(app, no_address_case)
    with app.sessions.begin() as session:
        session.execute(
            update(OutboundEmail)
            .where(OutboundEmail.id == stale.id)
            .values(state="sending", attempts=1, sending_started_at=datetime.now(UTC) - timedelta(hours=1))
        )
        session.execute(update(OutboundEmail).where(OutboundEmail.id == no_address.id).values(to_address=None))
    assert services.sender.send(stale.id) == "needs_review"
    assert services.sender.send(no_address.id) == "failed"
    assert emails_of(app, stale_case)[0].state == "needs_review"
    assert "mogelijk al afgeleverd" in (emails_of(app, stale_case)[0].last_error or "")
    assert "geen e-mailadres" in (emails_of(app, no_address_case)[0].last_error or "")
    assert [(e, d["from"], d["attempt"]) for a, e, d in audit_trail(app, stale_case) if a == "mailer"] == [
        ("email_needs_review", "sending", 1)]  # fmt: skip
    assert [(e, d["from"]) for a, e, d in audit_trail(app, no_address_case) if a == "mailer"] == [
        ("email_failed", "queued")]  # fmt: skip


def test_a_reminder_threads_under_the_notification_and_gets_its_own_sequence(
    app: App, services: Services, mailer: RecordingMailer, tmp_path: Path
) -> None:
    (case_id,) = accepted_cases(app, tmp_path)
    services.workflow.start_case(case_id)
    (notification,) = emails_of(app, case_id)
    assert services.sender.send(notification.id) == "sent"
    with app.sessions.begin() as session:
        timer = session.scalars(select(Timer).where(Timer.case_id == case_id, Timer.name == "first_reminder")).one()
        timer.due_at = datetime.now(UTC) - timedelta(seconds=1)
        timer_id = timer.id
    services.workflow.fire_timer(timer_id)
    services.workflow.fire_timer(timer_id)  # a redelivered timer does nothing twice

    emails = emails_of(app, case_id)
    assert [e.kind for e in emails] == ["notification", "reminder"]
    reminder = emails[1]
    assert is_message_id(reminder.message_id, case_id, "reminder", 1, domain(app))
    assert services.sender.send(reminder.id) == "sent"
    assert mailer.sent[-1]["In-Reply-To"] == notification.message_id
    with app.sessions() as session:
        assert session.get(Timer, timer_id).state == "done"  # type: ignore[union-attr]


def test_the_relay_publishes_each_outbox_row_once_in_order(app: App, services: Services, tmp_path: Path) -> None:
    case_ids = accepted_cases(app, tmp_path, n=3)

    @dataclass
    class Broker:
        messages: list[Any] = field(default_factory=list)

        def enqueue(self, message: Any, *, delay: int | None = None) -> Any:
            self.messages.append(message)
            return message

    broker = Broker()
    assert relay_outbox(app.sessions, broker, lambda: datetime.now(UTC), batch=2) == 3  # type: ignore[arg-type]
    assert relay_outbox(app.sessions, broker, lambda: datetime.now(UTC)) == 0  # type: ignore[arg-type]
    assert [m.args for m in broker.messages] == [(c,) for c in case_ids]
    assert {(m.queue_name, m.actor_name) for m in broker.messages} == {(queues.WORKFLOW, queues.START_WORKFLOW)}
    with app.sessions() as session:
        rows = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert [r.message_id for r in rows] == [m.message_id for m in broker.messages]
    assert all(r.published_at is not None for r in rows)


def test_concurrent_starts_and_sends_of_one_case_do_everything_once(pg_sessions: sessionmaker[Session],
                                                                    tmp_path: Path) -> None:  # fmt: skip
    # PostgreSQL: the row locks, not the luck of timing, keep a redelivered message from acting twice.
    import threading

    engine = pg_sessions.kw["bind"]
    app = App(settings=fast_settings(tmp_path, str(engine.url)), _engine=engine)
    mailer = RecordingMailer(during=lambda _m: threading.Event().wait(0.2))  # SMTP takes a moment
    services = build_services(app, mailer)
    case_ids = accepted_cases(app, tmp_path, n=5)
    errors: list[BaseException] = []

    def each(target: Any, args: list[int]) -> None:
        def run(arg: int) -> None:
            try:
                target(arg)
            except BaseException as exc:  # noqa: BLE001 — collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(a,)) for a in args for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    each(services.workflow.start_case, case_ids)
    assert errors == []
    emails = [e for c in case_ids for e in emails_of(app, c)]
    assert len(emails) == 5 and {e.kind for e in emails} == {"notification"}
    with app.sessions() as session:
        instances = list(session.scalars(select(CaseRow.id).where(CaseRow.workflow.is_not(None))))
        started = [e for e in session.scalars(select(AuditEvent.event)) if e == "workflow_started"]
    assert sorted(instances) == sorted(case_ids) and len(started) == 5

    each(services.sender.send, [e.id for e in emails])
    assert errors == [] and len(mailer.sent) == 5
    assert {e.state for c in case_ids for e in emails_of(app, c)} == {"sent"}
    for c in case_ids:
        assert [e for a, e, _ in audit_trail(app, c) if a == "mailer"] == ["email_sending", "email_sent"]
