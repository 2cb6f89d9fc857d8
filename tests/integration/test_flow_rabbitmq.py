"""The runtime on real RabbitMQ + PostgreSQL + SMTP: end to end, redelivery, a killed worker."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import dramatiq
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from schema.models import CaseRow
from schema.runtime_models import OutboundEmail
from testkit.flow import TEST_SECRET_KEY, fast_settings, wait_until, write_config
from testkit.smtp_sink import SmtpSink
from tests.conftest import PG_URL
from workers import queues
from workers.bootstrap import App, bootstrap
from workers.demo.synthetic import FeedMix, generate_records, write_feed
from workers.feed_files import iter_feed
from workers.periodic import ReconcileWindows
from workers.runner import Running, start
from workers.wiring import intake_service

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as s:
        yield s


@pytest.fixture
def app(pg_sessions: sessionmaker[Session], amqp_url: str, sink: SmtpSink, tmp_path: Path) -> Iterator[App]:
    settings = fast_settings(tmp_path, PG_URL, smtp_url=sink.url, broker_url=amqp_url)
    application = bootstrap(settings)
    yield application
    application.dispose()


def run(app: App, **kwargs: object) -> Running:
    running = start(app, **kwargs)  # type: ignore[arg-type]
    running.broker.flush_all()  # nothing left over from an earlier run on this broker
    return running


def ingest(app: App, tmp_path: Path, n: int, seed: int = 11) -> list[int]:
    feed = tmp_path / "feed.csv"
    write_feed(feed, generate_records(n, seed=seed, today=date.today(), mix=FeedMix(0, 0, 0, 0)))
    summary = intake_service(app).ingest(iter_feed(feed), "feed.csv")
    return [r.case_id for r in summary.results if r.case_id is not None]


def email_states(app: App) -> Counter[str]:
    with app.sessions() as session:
        return Counter(session.scalars(select(OutboundEmail.kind + ":" + OutboundEmail.state)))


def test_flow_runs_end_to_end_on_rabbitmq_postgresql_and_smtp(app: App, sink: SmtpSink, tmp_path: Path) -> None:
    running = run(app, worker_threads=4, scheduler=True)
    try:
        ingest(app, tmp_path, 12)

        wait_until(lambda: email_states(app)["escalation:sent"] == 12, timeout=90)

        states = email_states(app)
        assert states["notification:sent"] == states["reminder:sent"] == states["second_reminder:sent"] == 12
        assert len(sink.message_ids()) == 48 and set(sink.message_ids().values()) == {1}
        with app.sessions() as session:
            assert Counter(session.scalars(select(CaseRow.state))) == {"escalated": 12}
    finally:
        running.stop()


def test_a_redelivered_send_message_sends_no_second_email(app: App, sink: SmtpSink, tmp_path: Path) -> None:
    # Given cases whose notifications are queued but not yet sent (no worker runs)
    running = run(app, scheduler=False)
    for case_id in ingest(app, tmp_path, 3):
        running.services.workflow.start_case(case_id)
    with app.sessions() as session:
        email_ids = list(session.scalars(select(OutboundEmail.id)))
    # When every send_email message is delivered three times
    for email_id in email_ids:
        for _ in range(3):
            running.broker.enqueue(dramatiq.Message(queue_name=queues.OUTGOING_MAIL, actor_name=queues.SEND_EMAIL,
                                                    args=(email_id,), kwargs={}, options={}))  # fmt: skip
    running.stop()
    running = start(app, worker_threads=3)
    try:
        # Then each email reaches the server once
        wait_until(lambda: email_states(app)["notification:sent"] == 3, timeout=30)
        running.broker.join(queues.OUTGOING_MAIL, timeout=30_000)
        assert sink.received == 3 and set(sink.message_ids().values()) == {1}
    finally:
        running.stop()


def test_a_worker_killed_between_smtp_acceptance_and_commit_causes_no_resend(
    app: App, sink: SmtpSink, tmp_path: Path, pg_engine: Engine, amqp_url: str
) -> None:
    # Given one queued notification and a published send_email message
    running = run(app, scheduler=False)
    (case_id,) = ingest(app, tmp_path, 1)
    running.services.workflow.start_case(case_id)
    from workers.periodic import relay_outbox

    relay_outbox(app.sessions, running.broker, app.clock)
    running.stop()
    # When a worker takes it, the SMTP server accepts it, and the worker dies before committing
    env = {**os.environ, "KOERS_DATABASE_URL": PG_URL, "KOERS_BROKER_URL": amqp_url, "KOERS_SMTP_URL": sink.url,
           "KOERS_SECRET_KEY": TEST_SECRET_KEY, "KOERS_HOME": str(tmp_path),
           "KOERS_CONFIG": str(write_config(tmp_path / "koers.toml"))}  # fmt: skip
    crashed = subprocess.run([sys.executable, "-m", "testkit.crashing_worker"], cwd=REPO, env=env, timeout=60,
                             capture_output=True)  # fmt: skip
    assert crashed.returncode == 137, crashed.stderr.decode()[-2000:]
    assert sink.received == 1 and email_states(app) == {"notification:sending": 1}
    # Then a healthy worker and the reconciler put it to review instead of sending it again
    running = start(app, worker_threads=2, scheduler=True, windows=ReconcileWindows(stale_sending=timedelta(seconds=1)))
    try:
        wait_until(lambda: email_states(app)["notification:needs_review"] == 1, timeout=30)
        running.broker.join(queues.OUTGOING_MAIL, timeout=30_000)
        with app.sessions() as session:
            notification_id = session.scalar(select(OutboundEmail.message_id).where(OutboundEmail.kind == "notification"))
        # (the reminders that fall due meanwhile are other emails, each with its own Message-ID)
        assert sink.message_ids()[notification_id] == 1 and set(sink.message_ids().values()) == {1}
    finally:
        running.stop()
