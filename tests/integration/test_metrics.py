"""The Prometheus exposition: it parses, it has Koers' metric names, and the values come from the database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session, sessionmaker

from schema.models import AuditEvent, CaseRow
from schema.runtime_models import DeadLetter, OutboundEmail, OutboxMessage
from workers.bootstrap import App
from workers.metrics import render_metrics
from workers.periodic import beat
from workers.settings import load_settings

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

EXPECTED_NAMES = {
    "koers_queue_messages_ready", "koers_queue_messages_unacknowledged", "koers_queue_consumers",
    "koers_dead_letters", "koers_outbox_unpublished", "koers_outbox_lag_seconds", "koers_timers",
    "koers_heartbeat_age_seconds", "koers_attention_reasons", "koers_emails", "koers_cases",
    "koers_cases_needing_review", "koers_inbound_messages", "koers_emails_sent", "koers_cases_created",
    "koers_outcomes_recorded", "koers_audit_events",
}  # fmt: skip


def seed(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        for n, state in enumerate(("notified", "notified", "closed")):
            case = CaseRow(dji_id=f"DJI-M-{n}", surname="X", given_names="Y", birth_date=date(1990, 1, 1),
                           sentence_days=10, report_date=NOW.date(), institution="PI Veenhuizen", cbs_code="GM0080",
                           state=state, routing_method="test", created_at=NOW, updated_at=NOW)  # fmt: skip
            session.add(case)
            session.flush()
            session.add(OutboundEmail(case_id=case.id, kind="notification", step="n", recipient="municipality",
                                      reason="t", message_id=f"<m{n}@t>", state="sent", created_at=NOW,
                                      updated_at=NOW))  # fmt: skip
            session.add(AuditEvent(at=NOW, actor="t", case_id=case.id, event="outcome_recorded", details={}))
        session.add(OutboxMessage(message_id="m-1", queue_name="workflow", actor_name="start_workflow", args=[1],
                                  created_at=NOW - timedelta(seconds=90)))  # fmt: skip
        session.add(DeadLetter(message_id="d-1", queue_name="outgoing-mail", actor_name="send_email", args=[1],
                               error="X", failed_at=NOW, state="dead"))  # fmt: skip
    beat(sessions, "timer_sweep", NOW - timedelta(seconds=4), {})


def samples(exposition: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    families = list(text_string_to_metric_families(exposition.decode()))
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families for s in f.samples}


def test_metrics_parse_and_carry_the_database_figures(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    seed(sessions)
    settings = load_settings({"KOERS_HOME": str(tmp_path)})
    app = App(settings=settings, clock=lambda: NOW, _engine=sessions.kw["bind"])

    exposition = render_metrics(app, None)

    families = {f.name: f.type for f in text_string_to_metric_families(exposition.decode())}
    assert set(families) >= EXPECTED_NAMES
    assert families["koers_emails_sent"] == "counter" and families["koers_cases"] == "gauge"
    values = samples(exposition)
    assert values[("koers_cases", (("state", "notified"),))] == 2
    assert values[("koers_cases_created_total", ())] == 3
    assert values[("koers_emails_sent_total", (("kind", "notification"),))] == 3
    assert values[("koers_outcomes_recorded_total", ())] == 3
    assert values[("koers_outbox_unpublished", ())] == 1 and values[("koers_outbox_lag_seconds", ())] == 90
    assert values[("koers_dead_letters", (("queue", "outgoing-mail"),))] == 1
    assert values[("koers_heartbeat_age_seconds", (("job", "timer_sweep"),))] == 4
    assert values[("koers_attention_reasons", ())] == 2  # the dead letter and the stalled outbox
    assert not any(name == "koers_queue_messages_ready" for name, _ in values)  # in-process: no queue numbers
    assert b"DJI-M-" not in exposition  # counts only


def test_metrics_say_when_the_broker_is_down(sqlite_sessions: sessionmaker[Session], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    settings = load_settings({"KOERS_HOME": str(tmp_path), "KOERS_RABBITMQ_API": "http://127.0.0.1:1/api"})
    app = App(settings=settings, _engine=sqlite_sessions.kw["bind"])

    values = samples(render_metrics(app, "amqp://guest:guest@127.0.0.1:1/%2F"))

    assert values[("koers_broker_up", ())] == 0
