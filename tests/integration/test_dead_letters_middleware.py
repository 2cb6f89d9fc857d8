"""The DeadLetters middleware takes the error from dramatiq's public hook, for the attempt that failed last."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Retries
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from schema import migrate
from schema.db import make_engine, make_session_factory
from schema.runtime_models import DeadLetter
from workers.broker import DeadLetters
from workers.errors import PermanentError

ATTEMPTS: list[int] = []


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[StubBroker, sessionmaker[Session]]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'koers.db'}")
    migrate.upgrade(engine)
    sessions = make_session_factory(engine)
    broker = StubBroker(middleware=[Retries()])
    broker.add_middleware(DeadLetters(lambda: sessions, lambda: datetime(2025, 3, 3, tzinfo=UTC)))
    broker.emit_after("process_boot")
    ATTEMPTS.clear()
    yield broker, sessions
    broker.close()
    engine.dispose()


def run(broker: StubBroker, fn: object, *args: object) -> None:
    actor = dramatiq.actor(fn, broker=broker, queue_name="q", max_retries=2, min_backoff=1, max_backoff=1)
    worker = dramatiq.Worker(broker, worker_timeout=50)
    worker.start()
    try:
        actor.send(*args)
        broker.join("q")
        worker.join()
    finally:
        worker.stop()


def dead_letters(sessions: sessionmaker[Session]) -> list[tuple[str, str, int]]:
    with sessions() as session:
        return [(d.actor_name, d.error, d.retries) for d in session.scalars(select(DeadLetter))]


def test_a_message_that_exhausts_its_retries_is_recorded_with_the_error_of_its_last_attempt(setup: tuple) -> None:
    broker, sessions = setup

    def flaky(case_id: int) -> None:
        ATTEMPTS.append(case_id)
        raise (KeyError if len(ATTEMPTS) < 3 else PermanentError)(f"zaak {case_id}")

    run(broker, flaky, 42)

    assert ATTEMPTS == [42, 42, 42]
    assert dead_letters(sessions) == [("flaky", "PermanentError: zaak 42", 3)]  # Koers' own errors carry ids only


def test_an_error_from_a_dependency_is_recorded_by_its_type_only(setup: tuple) -> None:
    broker, sessions = setup

    def broken(case_id: int) -> None:
        raise ValueError("Sjoukje de Vries")  # a library's text may carry anything

    run(broker, broken, 42)

    assert dead_letters(sessions) == [("broken", "ValueError", 3)]


def test_a_message_that_succeeds_on_a_retry_leaves_no_dead_letter(setup: tuple) -> None:
    broker, sessions = setup

    def once_flaky(case_id: int) -> None:
        ATTEMPTS.append(case_id)
        if len(ATTEMPTS) == 1:
            raise KeyError(case_id)

    run(broker, once_flaky, 7)

    assert ATTEMPTS == [7, 7] and dead_letters(sessions) == []
