"""A worker sends the emails its handler queued itself, right after the commit: one queue message per case.

What makes that safe: the email row is committed before anything is sent; a worker that dies between
the commit and the send leaves the email ``queued``, and the redelivered message (its handler now a
no-op) sends the case's queued emails; a transient SMTP failure hands the email to the ``send_email``
queue, whose retries back off; a permanent one fails it visibly, as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from messaging.smtp import PermanentMailError, TransientMailError
from schema.runtime_models import OutboundEmail, OutboxMessage
from testkit.flow import fast_settings
from workers import queues
from workers.actors.workflow import start_workflow
from workers.bootstrap import App
from workers.demo.synthetic import FeedMix, generate_records, write_feed
from workers.feed_files import iter_feed
from workers.services import Services, build_services, install
from workers.wiring import intake_service


class Mailer:
    """Accepts, or raises what it is told to, and counts what it accepted."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []
        self.fail: Exception | None = None

    def send(self, message: EmailMessage, envelope: object = None) -> str:
        if self.fail is not None:
            raise self.fail
        self.sent.append(message)
        return "250 ok"


@pytest.fixture
def mailer() -> Mailer:
    return Mailer()


@pytest.fixture
def services(sessions: sessionmaker[Session], tmp_path: Path, mailer: Mailer) -> Iterator[Services]:
    engine = sessions.kw["bind"]
    built = build_services(App(settings=fast_settings(tmp_path, str(engine.url)), _engine=engine), mailer)
    install(built)
    yield built


def one_case(services: Services, tmp_path: Path) -> int:
    feed = tmp_path / "feed.csv"
    write_feed(feed, generate_records(1, seed=7, today=date.today(), mix=FeedMix(0, 0, 0, 0)))
    (result,) = intake_service(services.app).ingest(iter_feed(feed), "feed").results
    assert result.case_id is not None
    return result.case_id


def emails(services: Services) -> list[tuple[str, str]]:
    with services.app.sessions() as session:
        return [(e.kind, e.state) for e in session.scalars(select(OutboundEmail).order_by(OutboundEmail.id))]


def send_messages(services: Services) -> list[list[int]]:
    with services.app.sessions() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.actor_name == queues.SEND_EMAIL))
        return [list(r.args) for r in rows]


def test_the_start_message_sends_the_notification_without_a_second_message(services: Services, mailer: Mailer,
                                                                            tmp_path: Path) -> None:  # fmt: skip
    start_workflow(one_case(services, tmp_path))
    assert ("notification", "sent") in emails(services) and len(mailer.sent) >= 1
    assert send_messages(services) == []


def test_a_worker_that_died_after_the_commit_sends_on_the_redelivered_message(services: Services, mailer: Mailer,
                                                                              tmp_path: Path) -> None:  # fmt: skip
    case_id = one_case(services, tmp_path)
    services.workflow.start_case(case_id)  # Given the start committed and the worker died before sending
    assert ("notification", "queued") in emails(services)

    start_workflow(case_id)  # When the message comes again

    assert ("notification", "sent") in emails(services) and len(mailer.sent) >= 1
    start_workflow(case_id)  # and once more: nothing is sent twice
    assert [m["Message-ID"] for m in mailer.sent].count(mailer.sent[0]["Message-ID"]) == 1


def test_a_transient_smtp_failure_goes_to_the_mail_queue_and_a_permanent_one_fails(services: Services, mailer: Mailer,
                                                                                    tmp_path: Path) -> None:  # fmt: skip
    mailer.fail = TransientMailError("451 probeer later")
    start_workflow(one_case(services, tmp_path))
    (notification,) = [state for kind, state in emails(services) if kind == "notification"]
    assert notification == "queued" and len(send_messages(services)) >= 1  # the queue's retries take over

    mailer.fail = PermanentMailError("550 onbekende ontvanger")  # when the queue's retry meets a permanent refusal
    services.sender.send(send_messages(services)[0][0])
    assert ("notification", "failed") in emails(services)
