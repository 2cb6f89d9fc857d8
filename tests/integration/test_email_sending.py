"""Outbound email against a real SMTP server: transient errors retry, permanent ones fail at once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from messaging.smtp import SmtpMailer
from schema import migrate
from schema.models import AuditEvent
from schema.reference_sync import sync_reference_data
from schema.runtime_models import OutboundEmail
from testkit.flow import fast_settings
from testkit.smtp_sink import SmtpSink
from workers.bootstrap import App, bootstrap
from workers.demo.synthetic import FeedMix, generate_records, write_feed
from workers.email_sender import EmailSender
from workers.errors import RetryLaterError
from workers.feed_files import iter_feed
from workers.services import build_services
from workers.wiring import intake_service


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as s:
        yield s


@pytest.fixture
def app(tmp_path: Path, sink: SmtpSink) -> Iterator[App]:
    application = bootstrap(fast_settings(tmp_path, f"sqlite:///{tmp_path / 'koers.db'}", smtp_url=sink.url))
    migrate.upgrade(application.engine)
    with application.sessions.begin() as session:
        sync_reference_data(session)
    yield application
    application.dispose()


def queued_notification(app: App, tmp_path: Path, url: str | None = None) -> tuple[EmailSender, int]:
    """A started case with its notification queued, and a sender that talks to ``url``."""
    services = build_services(app, SmtpMailer(url or app.settings.smtp_url or "", timeout=2))
    feed = tmp_path / "feed.csv"
    write_feed(feed, generate_records(1, seed=8, today=date.today(), mix=FeedMix(0, 0, 0, 0)))
    (result,) = intake_service(app).ingest(iter_feed(feed), "feed").results
    services.workflow.start_case(result.case_id)  # type: ignore[arg-type]
    with app.sessions() as session:
        email_id = session.scalar(select(OutboundEmail.id).where(OutboundEmail.kind == "notification"))
    return services.sender, int(email_id)  # type: ignore[arg-type]


def email(app: App, email_id: int) -> OutboundEmail:
    with app.sessions() as session:
        return session.get(OutboundEmail, email_id)  # type: ignore[return-value]


def test_a_temporary_refusal_is_retried_and_then_sent_once(app: App, sink: SmtpSink, tmp_path: Path) -> None:
    sender, email_id = queued_notification(app, tmp_path)
    sink.fail_next(1, code=451, stage="RCPT")
    with pytest.raises(RetryLaterError):
        sender.send(email_id)
    assert (email(app, email_id).state, email(app, email_id).attempts) == ("queued", 1)
    assert "451" in (email(app, email_id).last_error or "")

    assert sender.send(email_id) == "sent"
    assert sender.send(email_id) == "sent"  # a redelivered message finds it sent and does nothing
    assert sink.received == 1 and email(app, email_id).sent_at is not None


def test_a_permanent_refusal_fails_the_email_at_once_and_visibly(app: App, sink: SmtpSink, tmp_path: Path) -> None:
    sender, email_id = queued_notification(app, tmp_path)
    sink.reject_recipient(email(app, email_id).to_address or "", code=550)

    assert sender.send(email_id) == "failed"

    failed = email(app, email_id)
    assert failed.state == "failed" and "550" in (failed.last_error or "") and sink.received == 0
    with app.sessions() as session:
        events = list(session.scalars(select(AuditEvent.event).where(AuditEvent.case_id == failed.case_id)))
    assert "email_failed" in events


def test_an_unreachable_server_is_a_temporary_error(app: App, tmp_path: Path) -> None:
    sender, email_id = queued_notification(app, tmp_path, url="smtp://127.0.0.1:9")
    with pytest.raises(RetryLaterError):
        sender.send(email_id)
    assert email(app, email_id).state == "queued"


def test_an_email_that_keeps_failing_temporarily_fails_after_its_attempts(app: App, sink: SmtpSink,
                                                                          tmp_path: Path) -> None:  # fmt: skip
    sender, email_id = queued_notification(app, tmp_path)
    sender._max_attempts = 3  # noqa: SLF001 — a short ceiling for the test
    sink.fail_next(10, code=421, stage="MAIL")
    for _ in range(2):
        with pytest.raises(RetryLaterError):
            sender.send(email_id)
    assert sender.send(email_id) == "failed"
    assert "3 pogingen" in (email(app, email_id).last_error or "")


def test_an_email_without_a_configured_mailbox_fails_with_a_clear_reason(app: App, sink: SmtpSink,
                                                                         tmp_path: Path) -> None:  # fmt: skip
    app.settings = replace(app.settings, municipalities={})
    sender, email_id = queued_notification(app, tmp_path)
    assert sender.send(email_id) == "failed"
    assert "geen e-mailadres" in (email(app, email_id).last_error or "")


def test_no_answer_after_data_puts_the_email_to_review_instead_of_sending_it_again(app: App, sink: SmtpSink,
                                                                                   tmp_path: Path) -> None:  # fmt: skip
    # Given a server that stores the message but answers only after our time-out
    sender, email_id = queued_notification(app, tmp_path)
    sink.hang(4)
    # When the send times out (after 2 s) waiting for the verdict on DATA
    state = sender.send(email_id)
    # Then nobody resends it blindly: it waits for a person, and a redelivered message does nothing
    assert state == "needs_review" and "mogelijk afgeleverd" in (email(app, email_id).last_error or "")
    assert sender.send(email_id) == "needs_review"
