"""Timer sweep, leader election and the reconciler on PostgreSQL; dead letters on the stub broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dramatiq
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from schema.runtime_models import DeadLetter, Heartbeat, OutboxMessage, Timer
from testkit.flow import TEST_SECRET_KEY, fast_settings, wait_until, write_config
from tests.conftest import PG_URL
from workers import queues
from workers.bootstrap import App, bootstrap
from workers.dead_letters import list_dead_letters, replay
from workers.demo.synthetic import FeedMix, generate_records, write_feed
from workers.feed_files import iter_feed
from workers.leader import PostgresLeaderLock
from workers.periodic import sweep_timers
from workers.runner import start
from workers.services import build_services
from workers.settings import load_settings
from workers.wiring import intake_service

REPO = Path(__file__).resolve().parents[2]


def slow_app(tmp_path: Path) -> App:
    """Working-day timers: nothing falls due by itself while the test runs."""
    settings = fast_settings(tmp_path, PG_URL)
    return bootstrap(replace(settings, timers=load_settings({"KOERS_HOME": str(tmp_path)}).timers))


def started_cases(app: App, tmp_path: Path, n: int) -> None:
    """n cases with their workflows started (timers pending), without any broker running."""
    feed = tmp_path / "feed.csv"
    write_feed(feed, generate_records(n, seed=3, today=date.today(), mix=FeedMix(0, 0, 0, 0)))
    services = build_services(app)
    for result in intake_service(app).ingest(iter_feed(feed), "feed").results:
        services.workflow.start_case(result.case_id)  # type: ignore[arg-type]


def make_due(sessions: sessionmaker[Session], name: str) -> int:
    with sessions.begin() as session:
        result = session.execute(update(Timer).where(Timer.name == name, Timer.state == "pending")
                                 .values(due_at=datetime.now(UTC) - timedelta(seconds=1)))  # fmt: skip
        return int(result.rowcount)


def claims_per_timer(sessions: sessionmaker[Session]) -> Counter[int]:
    with sessions() as session:
        rows = session.scalars(select(OutboxMessage.args).where(OutboxMessage.actor_name == queues.HANDLE_TIMER))
        return Counter(args[0] for args in rows)


def test_two_sweeps_at_once_claim_every_due_timer_exactly_once(pg_sessions: sessionmaker[Session],
                                                               tmp_path: Path) -> None:  # fmt: skip
    app = slow_app(tmp_path)
    started_cases(app, tmp_path, 60)
    due = make_due(app.sessions, "first_reminder") + make_due(app.sessions, "second_reminder")
    now = datetime.now(UTC)

    threads = [threading.Thread(target=sweep_timers, args=(app.sessions, now, 7)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    claims = claims_per_timer(app.sessions)
    assert due > 100 and len(claims) == due and set(claims.values()) == {1}
    app.dispose()


def test_only_one_of_two_schedulers_leads(pg_engine: Engine) -> None:
    first, second = PostgresLeaderLock(pg_engine), PostgresLeaderLock(pg_engine)
    assert first.try_acquire() and not second.try_acquire()
    first.release()
    assert second.try_acquire()
    second.release()


def test_two_scheduler_processes_fire_nothing_twice(pg_sessions: sessionmaker[Session], tmp_path: Path,
                                                    amqp_url: str) -> None:  # fmt: skip
    app = slow_app(tmp_path)
    started_cases(app, tmp_path, 40)
    config = write_config(tmp_path / "koers.toml", scheduler={"sweep_interval": "PT0.2S", "relay_interval": "PT0.2S"})
    env = {**os.environ, "KOERS_DATABASE_URL": PG_URL, "KOERS_BROKER_URL": amqp_url, "KOERS_CONFIG": str(config),
           "KOERS_SECRET_KEY": TEST_SECRET_KEY, "KOERS_HOME": str(tmp_path)}  # fmt: skip
    schedulers = [subprocess.Popen([sys.executable, "-m", "workers.cli", "scheduler"], cwd=REPO, env=env,
                                   stderr=subprocess.DEVNULL) for _ in range(2)]  # fmt: skip
    try:
        time.sleep(3)  # both running, one leading
        due = make_due(app.sessions, "first_reminder")
        wait_until(lambda: len(claims_per_timer(app.sessions)) == due, timeout=30)
        time.sleep(2)  # give a second leader every chance to claim something again
        claims = claims_per_timer(app.sessions)
        assert due > 30 and len(claims) == due and set(claims.values()) == {1}
        with app.sessions() as session:
            assert session.get(Heartbeat, "timer_sweep") is not None
            unpublished = session.scalar(select(func.count()).select_from(OutboxMessage)
                                         .where(OutboxMessage.published_at.is_(None)))  # fmt: skip
        assert unpublished == 0
    finally:
        for process in schedulers:
            process.send_signal(signal.SIGTERM)
        for process in schedulers:
            process.wait(timeout=20)
        app.dispose()


def test_a_message_that_fails_permanently_is_kept_as_a_dead_letter_and_can_be_replayed(tmp_path: Path) -> None:
    app = bootstrap(fast_settings(tmp_path, f"sqlite:///{tmp_path / 'koers.db'}"))
    from schema import migrate

    migrate.upgrade(app.engine)
    running = start(app, worker_threads=1)
    try:
        assert isinstance(running.broker, StubBroker)
        # Given a start_workflow message for a case that does not exist (a permanent error)
        running.broker.enqueue(dramatiq.Message(queue_name=queues.WORKFLOW, actor_name=queues.START_WORKFLOW,
                                                args=(999_999,), kwargs={}, options={}))  # fmt: skip
        running.broker.join(queues.WORKFLOW)
        running.worker.join()  # type: ignore[union-attr]
        # Then it is recorded durably, with ids only
        with app.sessions() as session:
            (dead,) = list_dead_letters(session)
        assert dead["actor"] == queues.START_WORKFLOW and dead["args"] == [999_999]
        assert "PermanentError" in dead["error"]
        # And an operator can replay it (through the outbox)
        with app.sessions.begin() as session:
            replay(session, dead["id"], "test", datetime.now(UTC))
        with app.sessions() as session:
            assert session.get(DeadLetter, dead["id"]).state == "replayed"  # type: ignore[union-attr]
            assert session.scalar(select(func.count()).select_from(OutboxMessage)
                                  .where(OutboxMessage.actor_name == queues.START_WORKFLOW)) == 1  # fmt: skip
    finally:
        running.stop()
        app.dispose()
