"""The broker: the only module that calls ``dramatiq.set_broker``.

RabbitMQ (``KOERS_BROKER_URL``) with publisher confirms and heartbeats, or the in-process
``StubBroker`` for the embedded default. Both get the ``DeadLetters`` middleware, which keeps a
durable record of every message that exhausted its retries (RabbitMQ's XQ drops them after 7
days), and ``ScrubTracebacks``, which keeps exception text out of the message itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Middleware, Retries, default_middleware
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from schema.runtime_models import DeadLetter
from workflows.states import DeadLetterState

log = logging.getLogger(__name__)


class DeadLetters(Middleware):
    """Writes a ``dead_letters`` row before a failed message is rejected to the broker's DLQ.

    The error is taken from ``after_process_message``, which dramatiq gives the exception, and kept
    (as its summary, never the exception with its traceback) until the message is acked or nacked
    on the same worker thread.
    """

    def __init__(self, sessions: Callable[[], sessionmaker[Session] | None], clock: Callable[[], datetime]) -> None:
        self._sessions = sessions
        self._clock = clock
        self._errors: dict[str, str] = {}  # message id -> its error, from processing until ack or nack

    def after_process_message(self, broker: dramatiq.Broker, message: Any, *, result: Any = None,
                              exception: BaseException | None = None) -> None:  # fmt: skip
        if exception is not None:
            self._errors[message.message_id] = error_summary(exception)

    def after_ack(self, broker: dramatiq.Broker, message: Any) -> None:
        self._errors.pop(message.message_id, None)  # it succeeded, or Retries enqueued it again

    def before_nack(self, broker: dramatiq.Broker, message: Any) -> None:
        error = self._errors.pop(message.message_id, "onbekend")  # e.g. skipped by the age limit
        sessions = self._sessions()
        if sessions is None:
            return
        row = {
            "message_id": message.message_id, "queue_name": message.queue_name, "actor_name": message.actor_name,
            "args": list(message.args), "error": error, "retries": int(message.options.get("retries", 0)),
            "failed_at": self._clock(), "state": DeadLetterState.DEAD.value,
        }  # fmt: skip
        try:
            with sessions.begin() as session:
                dialect = session.get_bind().dialect.name
                insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
                session.execute(insert(DeadLetter).values(row).on_conflict_do_nothing(index_elements=["message_id"]))
        except Exception:  # the broker keeps it in its DLQ; the reconciler still sees the stuck row
            log.exception("dead letter %s could not be recorded", message.message_id)


def error_summary(exception: BaseException) -> str:
    """What a dead letter says about its error: the type, and the text only of Koers' own errors (ids only)."""
    error = type(exception).__name__
    if type(exception).__module__.startswith("workers"):
        error += f": {exception}"
    return error[:500]


class ScrubTracebacks(Middleware):
    """Drops the traceback that ``Retries`` stores in the message: messages carry ids only."""

    def after_process_message(self, broker: dramatiq.Broker, message: Any, *, result: Any = None,
                              exception: BaseException | None = None) -> None:  # fmt: skip
        if exception is not None and "traceback" in message.options:
            message.options["traceback"] = type(exception).__name__


def make_broker(broker_url: str | None, dead_letters: DeadLetters) -> dramatiq.Broker:
    """Create and install the broker; call once per process before declaring actors."""
    # dramatiq's defaults, less its Prometheus exporter (it needs a process-boot hook we don't run;
    # Koers exposes its own metrics).
    middleware = [m() for m in default_middleware if m.__name__ != "Prometheus"]
    if broker_url:
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        url = broker_url
        if "heartbeat=" not in url:  # detect a dead connection within a minute, not at TCP timeout
            url += ("&" if "?" in url else "?") + "heartbeat=30"
        broker: dramatiq.Broker = RabbitmqBroker(url=url, confirm_delivery=True, middleware=middleware)
    else:
        broker = StubBroker(middleware=middleware)
        broker.emit_after("process_boot")
    # "after" hooks run in reverse order: placed before Retries, this one runs after it.
    broker.add_middleware(ScrubTracebacks(), before=Retries)
    broker.add_middleware(dead_letters)
    dramatiq.set_broker(broker)
    return broker
