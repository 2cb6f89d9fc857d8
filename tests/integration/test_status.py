"""``koers status``: queue depths and dead letters from real RabbitMQ, the database's view, attention rules.

The RabbitMQ management plugin is not enabled on the build machines, so the broker's numbers come
over AMQP (passive ``queue_declare``) here; the management-API path is tested against a small fake
server that answers with the API's own queue fields, and against the real API when port 15672 is
open.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import dramatiq
import pika
import pytest
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from pika.exceptions import ChannelClosedByBroker
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from schema.models import CaseRow
from schema.runtime_models import DeadLetter, InboundMessage, OutboundEmail, OutboxMessage
from tests.conftest import PG_URL, port_open, service_unavailable
from workers import queues
from workers.bootstrap import App
from workers.periodic import beat
from workers.queue_probe import broker_vhost, koers_queue_names, management_api_url
from workers.settings import load_settings
from workers.status import attention, collect_status

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
CLOSED_API = "http://guest:guest@127.0.0.1:1/api"  # nothing listens: forces the AMQP fallback


def make_app(engine: Engine, tmp_path: Path, clock: Any = None) -> App:
    settings = load_settings({"KOERS_HOME": str(tmp_path), "KOERS_DATABASE_URL": PG_URL})
    return App(settings=settings, clock=clock or (lambda: datetime.now(UTC)), _engine=engine)


def purge(amqp_url: str, names: list[str]) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    channel = connection.channel()
    for name in names:
        try:
            channel.queue_purge(name)
        except ChannelClosedByBroker:  # not declared: nothing to purge
            channel = connection.channel()
    connection.close()


@pytest.fixture
def clean_queues(amqp_url: str) -> Iterator[str]:
    purge(amqp_url, koers_queue_names())
    yield amqp_url
    purge(amqp_url, koers_queue_names())


def publish_waiting_and_dead(amqp_url: str, waiting: int) -> None:
    """``waiting`` messages on ``workflow`` (no worker consumes them) and one on ``workflow.XQ``."""
    broker = RabbitmqBroker(url=amqp_url, confirm_delivery=True, middleware=[])
    try:
        broker.declare_queue(queues.WORKFLOW)
        for timer_id in range(waiting):
            broker.enqueue(dramatiq.Message(queue_name=queues.WORKFLOW, actor_name=queues.HANDLE_TIMER,
                                            args=(timer_id,), kwargs={}, options={}))  # fmt: skip
        dead: dramatiq.Message[Any] = dramatiq.Message(
            queue_name=queues.WORKFLOW, actor_name=queues.HANDLE_TIMER, args=(99,), kwargs={}, options={}
        )
        broker.channel.basic_publish(exchange="", routing_key="workflow.XQ", body=dead.encode())
    finally:
        broker.close()


def add_dead_letter(sessions: sessionmaker[Session], now: datetime) -> None:
    with sessions.begin() as session:
        session.add(DeadLetter(message_id="0f6c1e0e-0000-4000-8000-000000000001", queue_name="workflow",
                               actor_name="handle_timer", args=[99], error="PermanentError", retries=20,
                               failed_at=now, state="dead"))  # fmt: skip


def fresh_heartbeats(sessions: sessionmaker[Session]) -> None:
    for name in ("timer_sweep", "outbox_relay", "reconciler"):
        beat(sessions, name, datetime.now(UTC), {})


def queue(status: dict[str, Any], name: str) -> dict[str, Any]:
    return next(q for q in status["queues"] if q["name"] == name)


def test_status_shows_waiting_and_dead_lettered_messages_over_amqp(
    pg_sessions: sessionmaker[Session], pg_engine: Engine, clean_queues: str, tmp_path: Path
) -> None:
    # Given three messages nobody consumes, one in the dead-letter queue and one durable dead letter
    publish_waiting_and_dead(clean_queues, waiting=3)
    add_dead_letter(pg_sessions, datetime.now(UTC))

    # When
    status = collect_status(make_app(pg_engine, tmp_path), clean_queues, api_url=CLOSED_API)

    # Then
    assert status["broker"] == {"kind": "rabbitmq", "source": "amqp", "reachable": True, "error": None}
    assert queue(status, "workflow") == {"name": "workflow", "queue": "workflow", "role": "main", "exists": True,
                                             "ready": 3, "unacked": None, "consumers": 0}  # fmt: skip
    assert queue(status, "workflow.XQ")["ready"] == 1 and queue(status, "workflow.DQ")["ready"] == 0
    assert status["dead_letters"] == {"database": 1, "by_queue": {
        "workflow": {"database": 1, "broker": 1}, "outgoing-mail": {"database": 0, "broker": 0},
        "inbound-replies": {"database": 0, "broker": 0}}}  # fmt: skip
    reasons = attention(status)
    assert any("Dead letters van wachtrij workflow: 1 open in de database, 1 in workflow.XQ" in r for r in reasons)
    assert any("Wachtrij workflow: 3 berichten wachten, maar geen worker" in r for r in reasons)
    assert not any("workflow.XQ: " in r and "geen worker" in r for r in reasons)  # nobody consumes an XQ


def run_status_command(amqp_url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOERS_")}
    env |= {"KOERS_DATABASE_URL": PG_URL, "KOERS_BROKER_URL": amqp_url, "KOERS_HOME": str(tmp_path),
            "KOERS_RABBITMQ_API": CLOSED_API}  # fmt: skip
    return subprocess.run([sys.executable, "-c", "from workers.cli import main; main()", "status", "--json"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=60)  # fmt: skip


def test_koers_status_json_exits_1_and_names_the_queue_depths(
    pg_sessions: sessionmaker[Session], clean_queues: str, tmp_path: Path
) -> None:
    publish_waiting_and_dead(clean_queues, waiting=2)
    add_dead_letter(pg_sessions, datetime.now(UTC))
    fresh_heartbeats(pg_sessions)

    result = run_status_command(clean_queues, tmp_path)

    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    depths = {q["name"]: q["ready"] for q in data["queues"]}
    assert depths["workflow"] == 2 and depths["workflow.XQ"] == 1 and depths["outgoing-mail"] == 0
    assert data["dead_letters"]["database"] == 1
    assert len(data["attention"]) == 2  # the dead letters, and waiting messages without a worker


def test_koers_status_exits_0_when_all_is_quiet(pg_sessions: sessionmaker[Session], clean_queues: str,
                                                tmp_path: Path) -> None:  # fmt: skip
    fresh_heartbeats(pg_sessions)

    result = run_status_command(clean_queues, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["attention"] == [] and data["broker"]["source"] == "amqp"
    assert {q["name"] for q in data["queues"]} == set(koers_queue_names())


# --- the management API -----------------------------------------------------------------------

# Queue objects as GET /api/queues/%2F?columns=… returns them (field names of the management API).
MANAGEMENT_QUEUES = [
    {"name": "workflow", "vhost": "/", "messages_ready": 7, "messages_unacknowledged": 2, "consumers": 4},
    {"name": "workflow.DQ", "vhost": "/", "messages_ready": 0, "messages_unacknowledged": 1, "consumers": 4},
    {"name": "workflow.XQ", "vhost": "/", "messages_ready": 2, "messages_unacknowledged": 0, "consumers": 0},
    {"name": "outgoing-mail", "vhost": "/", "messages_ready": 5, "messages_unacknowledged": 0, "consumers": 0},
    {"name": "outgoing-mail.DQ", "vhost": "/", "messages_ready": 0, "messages_unacknowledged": 0, "consumers": 0},
    {"name": "outgoing-mail.XQ", "vhost": "/", "messages_ready": 0, "messages_unacknowledged": 0, "consumers": 0},
    {"name": "inbound-replies", "vhost": "/", "consumers": 1},  # no statistics yet: counts omitted
    {"name": "someone-elses-queue", "vhost": "/", "messages_ready": 9, "messages_unacknowledged": 0, "consumers": 0},
]


@pytest.fixture
def fake_management_api() -> Iterator[tuple[str, list[dict[str, str]]]]:
    requests: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            requests.append({"path": self.path, "authorization": self.headers.get("Authorization", "")})
            body = json.dumps(MANAGEMENT_QUEUES).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://guest:guest@127.0.0.1:{server.server_address[1]}/api", requests
    server.shutdown()
    server.server_close()


def test_status_reads_the_management_api_when_it_answers(
    sqlite_engine: Engine, tmp_path: Path, fake_management_api: tuple[str, list[dict[str, str]]]
) -> None:
    api_url, requests = fake_management_api

    status = collect_status(make_app(sqlite_engine, tmp_path), "amqp://guest:guest@127.0.0.1:1/%2F", api_url=api_url)

    assert status["broker"]["source"] == "management-api"
    assert requests[0]["path"].startswith("/api/queues/%2F?columns=name,messages_ready,messages_unacknowledged")
    assert requests[0]["authorization"] == "Basic Z3Vlc3Q6Z3Vlc3Q="  # guest:guest
    assert queue(status, "workflow") == {"name": "workflow", "queue": "workflow", "role": "main", "exists": True,
                                             "ready": 7, "unacked": 2, "consumers": 4}  # fmt: skip
    assert queue(status, "inbound-replies")["ready"] is None  # the API gave no count
    assert queue(status, "inbound-replies.XQ")["exists"] is False
    assert status["dead_letters"]["by_queue"]["workflow"] == {"database": 0, "broker": 2}
    reasons = attention(status)
    assert any("Wachtrij outgoing-mail: 5 berichten wachten" in r for r in reasons)
    assert not any("Wachtrij workflow:" in r for r in reasons)  # it has consumers
    assert any("2 in workflow.XQ" in r for r in reasons)


def test_an_unreachable_broker_needs_attention(sqlite_engine: Engine, tmp_path: Path) -> None:
    status = collect_status(make_app(sqlite_engine, tmp_path), "amqp://guest:guest@127.0.0.1:1/%2F",
                            api_url=CLOSED_API)  # fmt: skip

    assert status["broker"]["reachable"] is False and status["broker"]["source"] is None
    assert "beheer-API" in status["broker"]["error"] and "AMQP" in status["broker"]["error"]
    assert queue(status, "workflow")["ready"] is None
    assert attention(status)[0].startswith("RabbitMQ is niet bereikbaar")


def test_the_management_api_address_is_derived_from_the_broker_url() -> None:
    assert management_api_url("amqp://koers:s%40cret@rabbit.example:5672/koers") == \
        "http://koers:s%40cret@rabbit.example:15672/api"  # fmt: skip
    assert management_api_url("amqp://rabbit:5672") == "http://guest:guest@rabbit:15672/api"
    assert management_api_url("amqp://x@y/", "https://mq/api") == "https://mq/api"
    assert broker_vhost("amqp://guest:guest@127.0.0.1:5672/%2F") == "/"
    assert broker_vhost("amqp://guest:guest@127.0.0.1:5672/koers") == "koers"


def test_status_reads_the_real_management_api_when_enabled(
    clean_queues: str, pg_engine: Engine, pg_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    if not port_open("127.0.0.1", 15672):
        service_unavailable("RabbitMQ management API on 127.0.0.1:15672 (rabbitmq-plugins enable rabbitmq_management)")
    publish_waiting_and_dead(clean_queues, waiting=2)
    app = make_app(pg_engine, tmp_path)
    deadline = time.monotonic() + 30  # the API's statistics lag a few seconds behind
    status = collect_status(app, clean_queues)
    while queue(status, "workflow")["ready"] != 2 and time.monotonic() < deadline:
        time.sleep(1)
        status = collect_status(app, clean_queues)
    assert status["broker"]["source"] == "management-api"
    assert queue(status, "workflow")["ready"] == 2 and queue(status, "workflow")["unacked"] == 0


# --- what the database knows: attention rules, in-process broker -------------------------------

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def seed_trouble(sessions: sessionmaker[Session]) -> None:
    """One of everything that needs an operator."""
    old = NOW - timedelta(minutes=5)
    with sessions.begin() as session:
        case = CaseRow(dji_id="DJI-S-1", surname="X", given_names="Y", birth_date=datetime(1990, 1, 1).date(),
                       sentence_days=10, report_date=NOW.date(), institution="PI Veenhuizen", cbs_code=None,
                       state="needs_routing", routing_method="test", created_at=old, updated_at=old,
                       review_reason="antwoord onleesbaar")  # fmt: skip
        session.add(case)
        session.flush()
        session.add(OutboxMessage(message_id="m-1", queue_name="workflow", actor_name="start_workflow",
                                  args=[case.id], created_at=old))  # fmt: skip
        for i, state in enumerate(("failed", "bounced", "sent")):
            session.add(OutboundEmail(case_id=case.id, kind="notification", step=f"s{i}", recipient="municipality",
                                      reason="t", message_id=f"<s{i}@t>", state=state, created_at=old,
                                      updated_at=old))  # fmt: skip
        session.add(InboundMessage(received_at=old, source="smtp", envelope_to=[], raw=b"x", size=1,
                                   state="quarantined", details={}))  # fmt: skip
    beat(sessions, "timer_sweep", NOW - timedelta(minutes=10), {})
    beat(sessions, "reconciler", NOW - timedelta(seconds=20), {})


def test_attention_lists_every_kind_of_trouble_in_dutch(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    seed_trouble(sessions)
    app = make_app(sessions.kw["bind"], tmp_path, clock=lambda: NOW)

    status = collect_status(app, None)

    assert status["broker"]["kind"] == "in-process" and queue(status, "workflow")["ready"] is None
    assert status["outbox"] == {"unpublished": 1, "oldest_unpublished_at": (NOW - timedelta(minutes=5)).isoformat(),
                                "lag_seconds": 300.0}  # fmt: skip
    assert status["heartbeats"]["timer_sweep"]["age_seconds"] == 600.0
    assert status["heartbeats"]["outbox_relay"] == {"last_run_at": None, "age_seconds": None, "interval_seconds": 0.5}
    assert status["cases"] == {"total": 1, "by_state": {"needs_routing": 1}, "needs_routing": 1, "needs_review": 1}
    assert status["emails"] == {"failed": 1, "bounced": 1, "sent": 1}
    assert attention(status) == [
        "Outbox staat stil: 1 bericht niet gepubliceerd, het oudste wacht 5 min (draait de scheduler?)",
        "timer_sweep liep voor het laatst 10 min geleden (verwacht elke 5 s)",
        "Uitgaande e-mails: 1 mislukt, 1 onbestelbaar",
        "1 inkomend bericht in quarantaine",
        "1 zaak wacht op routering naar een gemeente",
        "1 zaak ter beoordeling",
    ]


def test_overdue_timers_need_attention(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    from schema.runtime_models import Timer

    with sessions.begin() as session:
        case = CaseRow(dji_id="DJI-S-2", surname="X", given_names="Y", birth_date=datetime(1990, 1, 1).date(),
                       sentence_days=10, report_date=NOW.date(), institution="PI Veenhuizen", cbs_code="GM0014",
                       state="notified", routing_method="test", created_at=NOW, updated_at=NOW)  # fmt: skip
        session.add(case)
        session.flush()
        for name, due in (("late", NOW - timedelta(minutes=1)), ("due", NOW - timedelta(seconds=3)),
                          ("later", NOW + timedelta(days=1))):  # fmt: skip
            session.add(Timer(case_id=case.id, name=name, due_at=due, state="pending",
                              created_at=NOW))  # fmt: skip

    status = collect_status(make_app(sessions.kw["bind"], tmp_path, clock=lambda: NOW), None)

    # sweep interval 5 s: overdue means due more than 2 × 5 s ago
    assert status["timers"] == {"pending": 3, "due_now": 2, "overdue": 1, "claimed": 0, "overdue_after_seconds": 10.0}
    assert attention(status) == ["1 timer is te laat: meer dan 10 s na het geplande tijdstip nog niet opgepakt "
                                 "(draait de scheduler?)"]  # fmt: skip
